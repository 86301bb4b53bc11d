/** Activations, dropout and Sequential. */
import { Module } from '../module.js';
import { rngFor } from '../../tensor/random.js';
import type { Tensor } from '../../tensor/tensor.js';
import { dropout, gelu, mul, relu, tensor } from '../../tensor/ops.js';

export class ReLU extends Module {
  forward(x: Tensor): Tensor {
    return relu(x);
  }
}

/** Exact (erf) GELU. */
export class GELU extends Module {
  forward(x: Tensor): Tensor {
    return gelu(x);
  }
}

export class Identity extends Module {
  forward(x: Tensor): Tensor {
    return x;
  }
}

/** Element-wise inverted dropout (active in training mode only). */
export class Dropout extends Module {
  constructor(readonly p = 0.5) {
    super();
  }
  forward(x: Tensor): Tensor {
    return dropout(x, this.p, { training: this.training });
  }
}

/** Zeroes whole channels of [N, C, ...] with probability p, scaling the rest by 1/(1−p) (training only). */
export class Dropout2d extends Module {
  constructor(readonly p = 0.5) {
    super();
  }
  forward(x: Tensor): Tensor {
    if (!this.training || this.p === 0) return x;
    const [N, C] = x.shape;
    const rng = rngFor();
    const keep = this.p === 1 ? 0 : 1 / (1 - this.p);
    const m = new Float32Array(N * C);
    for (let i = 0; i < m.length; i++) m[i] = rng.next() >= this.p ? keep : 0;
    return mul(x, tensor(m, [N, C, ...x.shape.slice(2).map(() => 1)]));
  }
}

/** Runs modules in order; they are named '0', '1', … as in PyTorch. */
export class Sequential extends Module {
  readonly layers: Module[];
  constructor(...layers: Module[]) {
    super();
    this.layers = layers.map((m, i) => this.registerModule(String(i), m));
  }
  forward(x: Tensor): Tensor {
    let y = x;
    for (const m of this.layers) y = (m as unknown as { forward(t: Tensor): Tensor }).forward(y);
    return y;
  }
}
