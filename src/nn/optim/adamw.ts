/** AdamW (decoupled weight decay), as torch.optim.AdamW. */
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
    m.assign(m.mul(b1).add(g.mul(1 - b1)));
    v.assign(v.mul(b2).add(g.square().mul(1 - b2)));
    const bc1 = 1 - b1 ** t;
    const bc2 = 1 - b2 ** t;
    const denom = v.sqrt().mul(1 / Math.sqrt(bc2)).add(this.eps);
    const decayed = wd !== 0 ? p.mul(1 - lr * wd) : p;
    p.assign(decayed.sub(m.div(denom).mul(lr / bc1)));
  }
}
