/** Convolution and pooling primitives (NCHW). The geometry is computed by the tensor layer. */
import { AutogradFunction } from '../function.js';
import type { Conv2dSpec, Pool2dSpec, PoolOp } from '../../tensor/backend.js';
import type { RawTensor } from '../../tensor/raw-tensor.js';
import { channelSum } from '../../tensor/raw-ops.js';

/**
 * y = conv2d(x, w) + b (cross-correlation, PyTorch semantics; the bias b [Cout] is optional).
 * dx = conv2dBackwardInput(dy, w) (the transposed convolution), dw = conv2dBackwardWeight(x, dy),
 * db = Σ dy over every axis but the channel one. The bias is added by one `channelAffine` launch.
 */
export class Conv2d extends AutogradFunction {
  readonly name = 'conv2d';
  constructor(readonly spec: Conv2dSpec) {
    super();
  }
  forward(x: RawTensor, w: RawTensor, bias?: RawTensor) {
    this.saveForBackward(x, w);
    const y = this.b.conv2d(x, w, this.spec);
    if (!bias) return y;
    const out = this.b.channelAffine(y, null, null, null, bias);
    y.dispose();
    return out;
  }
  backward(dy: RawTensor) {
    const [x, w] = this.saved;
    // both gradients in one pass where the backend has one (the CPU modes' WebAssembly kernels)
    const both = this.needsInputGrad[0] && this.needsInputGrad[1] ? (this.b.conv2dBackward?.(x, dy, w, this.spec) ?? null) : null;
    const grads: (RawTensor | null)[] = both ?? [
      this.needsInputGrad[0] ? this.b.conv2dBackwardInput(dy, w, this.spec) : null,
      this.needsInputGrad[1] ? this.b.conv2dBackwardWeight(x, dy, this.spec) : null,
    ];
    if (this.parents.length === 3) grads.push(this.needsInputGrad[2] ? channelSum(this.b, dy) : null);
    return grads;
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
