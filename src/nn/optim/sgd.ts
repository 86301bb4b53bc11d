/** Stochastic gradient descent with momentum and (L2) weight decay, as torch.optim.SGD. */
import type { Tensor } from '../../tensor/tensor.js';
import { Optimizer, type ParamEntry, type ParamGroupRule } from './optimizer.js';

export interface SGDOptions {
  lr: number;
  momentum?: number;
  weightDecay?: number;
  rules?: ParamGroupRule[];
}

/**
 * g ← g + wd·p;  buf ← momentum·buf + g (buf = g on the first step);  p ← p − lr·buf.
 * The group's lrMult scales lr and its decayMult scales wd.
 */
export class SGD extends Optimizer {
  readonly momentum: number;
  readonly weightDecay: number;
  constructor(named: Iterable<[string, Tensor]>, opts: SGDOptions) {
    super(named, opts.lr, opts.rules);
    this.momentum = opts.momentum ?? 0;
    this.weightDecay = opts.weightDecay ?? 0;
  }
  protected update(e: ParamEntry, grad: Tensor): void {
    const p = e.param;
    const wd = this.weightDecay * e.decayMult;
    let g = wd !== 0 ? grad.add(p.mul(wd)) : grad;
    if (this.momentum !== 0) {
      const key = `${e.name}.momentum_buffer`;
      const fresh = !this.slots.has(key);
      const buf = this.slot(e.name, 'momentum_buffer', () => g.detach());
      if (!fresh) buf.assign(buf.mul(this.momentum).add(g));
      g = buf;
    }
    p.assign(p.sub(g.mul(this.lr * e.lrMult)));
  }
}
