/** Linear and Embedding layers. */
import { Module } from '../module.js';
import { kaimingUniformDefault, normal } from '../init.js';
import { fmt } from '../../tensor/shape.js';
import type { Tensor } from '../../tensor/tensor.js';
import { add, indexSelect, matmul, reshape } from '../../tensor/ops.js';

/**
 * y = x·Wᵀ + b.  x: [..., inFeatures] → [..., outFeatures]; W: [out, in] (PyTorch layout).
 * Default init: W, b ~ U(±1/√in).
 */
export class Linear extends Module {
  readonly weight: Tensor;
  readonly bias: Tensor | null;
  constructor(
    readonly inFeatures: number,
    readonly outFeatures: number,
    opts: { bias?: boolean } = {},
  ) {
    super();
    this.weight = this.registerParameter('weight', kaimingUniformDefault([outFeatures, inFeatures], inFeatures));
    this.bias = opts.bias === false ? null : this.registerParameter('bias', kaimingUniformDefault([outFeatures], inFeatures));
  }
  forward(x: Tensor): Tensor {
    if (x.shape[x.rank - 1] !== this.inFeatures) {
      throw new Error(`Linear(${this.inFeatures}, ${this.outFeatures}): input has shape ${fmt(x.shape)}; its last axis must be ${this.inFeatures}`);
    }
    const y = matmul(x, this.weight, { transB: true });
    return this.bias ? add(y, this.bias) : y;
  }
}

/** Looks up rows of a [numEmbeddings, dim] table by int32 indices. Default init N(0, 1). */
export class Embedding extends Module {
  readonly weight: Tensor;
  constructor(
    readonly numEmbeddings: number,
    readonly embeddingDim: number,
  ) {
    super();
    this.weight = this.registerParameter('weight', normal([numEmbeddings, embeddingDim]));
  }
  /** indices [...] (int32) → [..., dim]. */
  forward(indices: Tensor): Tensor {
    const flat = reshape(indices, [indices.size]);
    const rows = indexSelect(this.weight, 0, flat);
    return reshape(rows, [...indices.shape, this.embeddingDim]);
  }
}

