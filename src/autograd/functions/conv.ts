/** Convolution and pooling primitives (NCHW). The geometry is computed by the tensor layer. */
import { AutogradFunction } from '../function.js';
import type { Conv2dSpec, Pool2dSpec, PoolOp } from '../../tensor/backend.js';
import type { RawTensor } from '../../tensor/raw-tensor.js';

/**
 * y = conv2d(x, w) (cross-correlation, PyTorch semantics, no bias).
 * dx = conv2dBackwardInput(dy, w) (the transposed convolution), dw = conv2dBackwardWeight(x, dy).
 */
export class Conv2d extends AutogradFunction {
  readonly name = 'conv2d';
  constructor(readonly spec: Conv2dSpec) {
    super();
  }
  forward(x: RawTensor, w: RawTensor) {
    this.saveForBackward(x, w);
    return this.b.conv2d(x, w, this.spec);
  }
  backward(dy: RawTensor) {
    const [x, w] = this.saved;
    return [
      this.needsInputGrad[0] ? this.b.conv2dBackwardInput(dy, w, this.spec) : null,
      this.needsInputGrad[1] ? this.b.conv2dBackwardWeight(x, dy, this.spec) : null,
    ];
  }
}

/**
 * y = avg or max pooling.  avg: dx spreads dy/(kh·kw) over each window;
 * max: dx routes each window's dy to its first maximal cell (PyTorch's argmax rule).
 */
export class Pool2d extends AutogradFunction {
  readonly name: string;
  constructor(
    readonly op: PoolOp,
    readonly spec: Pool2dSpec,
  ) {
    super();
    this.name = `${op}Pool2d`;
  }
  forward(x: RawTensor) {
    this.saveForBackward(x);
    return this.b.pool2d(this.op, x, this.spec);
  }
  backward(dy: RawTensor) {
    return [this.b.pool2dBackward(this.op, this.saved[0], dy, this.spec)];
  }
}
