/** AdamW (decoupled weight decay), as torch.optim.AdamW. */
import { backend } from '../../tensor/engine.js';
import { shapesEqual } from '../../tensor/shape.js';
import { zerosLike } from '../../tensor/ops.js';
import type { Tensor } from '../../tensor/tensor.js';
import { Optimizer, type ParamEntry, type ParamGroupRule } from './optimizer.js';

export interface AdamWOptions {
  lr: number;
  betas?: [number, number];
  eps?: number;
  weightDecay?: number;
  rules?: ParamGroupRule[];
}

/**
 * p ← p·(1 − lr·wd);  m ← β₁m + (1−β₁)g;  v ← β₂v + (1−β₂)g²;
 * p ← p − (lr / (1−β₁ᵗ)) · m / (√v / √(1−β₂ᵗ) + eps)   (PyTorch's arrangement of the bias corrections).
 * lr and wd are scaled by the group's lrMult and decayMult.
 */
export class AdamW extends Optimizer {
  readonly betas: [number, number];
  readonly eps: number;
  readonly weightDecay: number;
  constructor(named: Iterable<[string, Tensor]>, opts: AdamWOptions) {
    super(named, opts.lr, opts.rules);
    this.betas = opts.betas ?? [0.9, 0.999];
    this.eps = opts.eps ?? 1e-8;
    this.weightDecay = opts.weightDecay ?? 0.01;
  }
  protected update(e: ParamEntry, g: Tensor): void {
    const p = e.param;
    const [b1, b2] = this.betas;
    const lr = this.lr * e.lrMult;
    const wd = this.weightDecay * e.decayMult;
    const t = this.stepCount;
    const m = this.slot(e.name, 'exp_avg', () => zerosLike(p));
    const v = this.slot(e.name, 'exp_avg_sq', () => zerosLike(p));
    if (!shapesEqual(g.shape, p.shape)) throw new Error(`AdamW: the gradient of '${e.name}' has shape [${g.shape}], the parameter [${p.shape}]`);
    // NOTE: one fused kernel per parameter (backend.adamw) instead of a dozen element-wise ops.
    const [p1, m1, v1] = backend().adamw(p, g, m, v, {
      beta1: b1,
      beta2: b2,
      decay: 1 - lr * wd,
      stepSize: lr / (1 - b1 ** t),
      invSqrtBc2: 1 / Math.sqrt(1 - b2 ** t),
      eps: this.eps,
    });
    p.assignRaw(p1);
    m.assignRaw(m1);
    v.assignRaw(v1);
  }
}
