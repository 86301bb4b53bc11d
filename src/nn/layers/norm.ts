/** Normalisation layers: BatchNorm2d (running statistics), GroupNorm, LayerNorm. */
import { Module } from '../module.js';
import { noGrad } from '../../autograd/grad-mode.js';
import { fmt } from '../../tensor/shape.js';
import type { Tensor } from '../../tensor/tensor.js';
import { add, batchNorm, full, mean, mul, ones, reshape, rsqrt, sub, variance, zeros } from '../../tensor/ops.js';

/**
 * Batch normalisation over [N, C, H, W]: y = (x − μ)/√(σ² + eps)·γ + β per channel.
 * Training: μ, σ² (biased) from the batch; running_mean/var updated with momentum (running_var from the
 * unbiased variance, as PyTorch). Eval: the running statistics.
 */
export class BatchNorm2d extends Module {
  readonly weight: Tensor;
  readonly bias: Tensor;
  readonly runningMean: Tensor;
  readonly runningVar: Tensor;
  readonly numBatchesTracked: Tensor;
  constructor(
    readonly numFeatures: number,
    readonly opts: { eps?: number; momentum?: number } = {},
  ) {
    super();
    this.weight = this.registerParameter('weight', ones([numFeatures]));
    this.bias = this.registerParameter('bias', zeros([numFeatures]));
    this.runningMean = this.registerBuffer('running_mean', zeros([numFeatures]));
    this.runningVar = this.registerBuffer('running_var', ones([numFeatures]));
    this.numBatchesTracked = this.registerBuffer('num_batches_tracked', zeros([], { dtype: 'int32' }));
  }
  forward(x: Tensor): Tensor {
    const C = this.numFeatures;
    if (x.rank !== 4 || x.shape[1] !== C) throw new Error(`BatchNorm2d(${C}): input must be [N, ${C}, H, W], got ${fmt(x.shape)}`);
    if (this.training) {
      noGrad(() => this.numBatchesTracked.assign(add(this.numBatchesTracked, full([], 1, { dtype: 'int32' }))));
    }
    return batchNorm(x, this.runningMean, this.runningVar, this.weight, this.bias, {
      training: this.training,
      momentum: this.opts.momentum ?? 0.1,
      eps: this.opts.eps ?? 1e-5,
    });
  }
}

/** Group normalisation over [N, C, ...]: statistics per (sample, group of C/G channels), affine per channel. */
export class GroupNorm extends Module {
  readonly weight: Tensor;
  readonly bias: Tensor;
  constructor(
    readonly numGroups: number,
    readonly numChannels: number,
    readonly eps = 1e-5,
  ) {
    super();
    if (numChannels % numGroups !== 0) throw new Error(`GroupNorm: ${numGroups} groups must divide ${numChannels} channels`);
    this.weight = this.registerParameter('weight', ones([numChannels]));
    this.bias = this.registerParameter('bias', zeros([numChannels]));
  }
  forward(x: Tensor): Tensor {
    const [N, C] = x.shape;
    if (C !== this.numChannels) throw new Error(`GroupNorm(${this.numGroups}, ${this.numChannels}): input has shape ${fmt(x.shape)}`);
    const g = reshape(x, [N, this.numGroups, -1]);
    const mu = mean(g, 2, true);
    const v = variance(g, 2, { correction: 0, keepdim: true });
    const y = reshape(mul(sub(g, mu), rsqrt(add(v, this.eps))), x.shape);
    const shape = [1, C, ...x.shape.slice(2).map(() => 1)];
    return add(mul(y, reshape(this.weight, shape)), reshape(this.bias, shape));
  }
}

/** Layer normalisation over the trailing `normalizedShape` axes. */
export class LayerNorm extends Module {
  readonly weight: Tensor;
  readonly bias: Tensor;
  readonly normalizedShape: number[];
  constructor(
    normalizedShape: number | number[],
    readonly eps = 1e-5,
  ) {
    super();
    this.normalizedShape = typeof normalizedShape === 'number' ? [normalizedShape] : normalizedShape;
    this.weight = this.registerParameter('weight', ones(this.normalizedShape));
    this.bias = this.registerParameter('bias', zeros(this.normalizedShape));
  }
  forward(x: Tensor): Tensor {
    const k = this.normalizedShape.length;
    const tail = x.shape.slice(-k);
    if (tail.join() !== this.normalizedShape.join()) throw new Error(`LayerNorm(${fmt(this.normalizedShape)}): input has shape ${fmt(x.shape)}`);
    const axes = tail.map((_, i) => x.rank - k + i);
    const mu = mean(x, axes, true);
    const v = variance(x, axes, { correction: 0, keepdim: true });
    return add(mul(mul(sub(x, mu), rsqrt(add(v, this.eps))), this.weight), this.bias);
  }
}
