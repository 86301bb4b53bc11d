/** Convolution layer. */
import { Module } from '../module.js';
import { kaimingUniformDefault } from '../init.js';
import type { Tensor } from '../../tensor/tensor.js';
import { conv2d } from '../../tensor/ops.js';

export interface Conv2dLayerOptions {
  stride?: number | [number, number];
  padding?: number | [number, number];
  dilation?: number | [number, number];
  groups?: number;
  bias?: boolean;
}

/**
 * 2-D convolution, weight [out, in/groups, kh, kw], optional bias [out]. x: [N, in, H, W] → [N, out, OH, OW].
 * Default init (PyTorch): weight and bias ~ U(±1/√fanIn), fanIn = in/groups · kh · kw.
 */
export class Conv2d extends Module {
  readonly weight: Tensor;
  readonly bias: Tensor | null;
  readonly kernelSize: [number, number];
  constructor(
    readonly inChannels: number,
    readonly outChannels: number,
    kernelSize: number | [number, number],
    readonly opts: Conv2dLayerOptions = {},
  ) {
    super();
    const groups = opts.groups ?? 1;
    if (inChannels % groups !== 0 || outChannels % groups !== 0) {
      throw new Error(`Conv2d: groups=${groups} must divide in (${inChannels}) and out (${outChannels}) channels`);
    }
    this.kernelSize = typeof kernelSize === 'number' ? [kernelSize, kernelSize] : kernelSize;
    const [kh, kw] = this.kernelSize;
    const fanIn = (inChannels / groups) * kh * kw;
    this.weight = this.registerParameter('weight', kaimingUniformDefault([outChannels, inChannels / groups, kh, kw], fanIn));
    this.bias = opts.bias === false ? null : this.registerParameter('bias', kaimingUniformDefault([outChannels], fanIn));
  }
  forward(x: Tensor): Tensor {
    return conv2d(x, this.weight, this.bias, this.opts);
  }
}
