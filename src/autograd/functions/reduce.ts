/**
 * Differentiable reductions and the normalisations built on them (softmax, logSoftmax, L2 norm).
 * Axes arrive normalised (sorted, non-negative) from the tensor layer.
 */
import { AutogradFunction } from '../function.js';
import type { RawTensor } from '../../tensor/raw-tensor.js';
import { expand, reduceAxes, view } from '../../tensor/raw-ops.js';
import { keepdimShape, squeezeAxes } from '../../tensor/shape.js';

/** Shape of a reduction's output with or without the reduced axes. */
function outShape(shape: readonly number[], axes: readonly number[], keepdim: boolean): number[] {
  return keepdim ? keepdimShape(shape, axes) : squeezeAxes(shape, axes);
}

/** y = Σ_axes x.  dx = broadcast(dy) back to x's shape. */
export class Sum extends AutogradFunction {
  readonly name = 'sum';
  private xShape: number[] = [];
  constructor(
    readonly axes: readonly number[],
    readonly keepdim: boolean,
  ) {
    super();
  }
  forward(x: RawTensor) {
    this.xShape = x.shape;
    const r = reduceAxes(this.b, 'sum', x, this.axes);
    const y = view(r, outShape(x.shape, this.axes, this.keepdim));
    r.dispose();
    return y;
  }
  backward(dy: RawTensor) {
    const k = view(dy, keepdimShape(this.xShape, this.axes));
    const dx = expand(this.b, k, this.xShape);
    k.dispose();
    return [dx];
  }
}

/**
 * y = max_axes x (or min).  dx = dy / (number of maxima) at every maximal cell, 0 elsewhere.
 * NOTE: ties split the gradient evenly (PyTorch's rule for amax/amin).
 */
export class MaxMin extends AutogradFunction {
  readonly name: string;
  constructor(
    readonly op: 'max' | 'min',
    readonly axes: readonly number[],
    readonly keepdim: boolean,
  ) {
    super();
    this.name = op;
  }
  forward(x: RawTensor) {
    const r = reduceAxes(this.b, this.op, x, this.axes);
    this.saveForBackward(x, r);
    const y = view(r, outShape(x.shape, this.axes, this.keepdim));
    r.dispose();
    return y;
  }
  backward(dy: RawTensor) {
    const [x, r] = this.saved;
    const b = this.b;
    const rb = expand(b, r, x.shape);
    const mask = b.binary('eq', x, rb);
    rb.dispose();
    const count = reduceAxes(b, 'sum', mask, this.axes);
    const k = view(dy, r.shape);
    const share = b.binary('div', k, count);
    k.dispose();
    count.dispose();
    const shareB = expand(b, share, x.shape);
    share.dispose();
    const dx = b.binary('mul', shareB, mask);
    shareB.dispose();
    mask.dispose();
    return [dx];
  }
}

/** x's shape read as [outer, R, inner] around `axis`: the row length R and the stride `inner` of its cells. */
function along(shape: readonly number[], axis: number): { R: number; inner: number } {
  let inner = 1;
  for (let i = axis + 1; i < shape.length; i++) inner *= shape[i];
  return { R: shape[axis], inner };
}

/**
 * y = eˣ / Σ eˣ along `axis`.  dx = y · (dy − Σ dy·y).
 * NOTE: computed as exp(x − lse), lse = max + ln Σ exp(x − max): two launches each way, along the
 * axis in place (no permuted or broadcast copies).
 */
export class Softmax extends AutogradFunction {
  readonly name = 'softmax';
  constructor(readonly axis: number) {
    super();
  }
  forward(x: RawTensor) {
    const { R, inner } = along(x.shape, this.axis);
    const y = this.b.softmax(x, R, inner, false);
    this.saveForBackward(y);
    return y;
  }
  backward(dy: RawTensor) {
    const y = this.saved[0];
    const { R, inner } = along(y.shape, this.axis);
    return [this.b.softmaxBackward(y, dy, R, inner, false)];
  }
}

/** y = x − max − ln Σ e^(x−max) along `axis`.  dx = dy − softmax(x) · Σ dy. */
export class LogSoftmax extends AutogradFunction {
  readonly name = 'logSoftmax';
  constructor(readonly axis: number) {
    super();
  }
  forward(x: RawTensor) {
    const { R, inner } = along(x.shape, this.axis);
    const y = this.b.softmax(x, R, inner, true);
    this.saveForBackward(y);
    return y;
  }
  backward(dy: RawTensor) {
    const y = this.saved[0];
    const { R, inner } = along(y.shape, this.axis);
    return [this.b.softmaxBackward(y, dy, R, inner, true)];
  }
}

/**
 * y = x / (‖x‖₂ + eps) along `axis` (eps added to the norm, as the SSA reference code does).
 * dx = dy/d − x · (Σ dy·x) / (‖x‖·d²), d = ‖x‖ + eps; the second term is 0 where ‖x‖ = 0 (the
 * norm's subgradient at 0, as `Norm`). Two launches each way, along the axis in place.
 */
export class Normalize extends AutogradFunction {
  readonly name = 'normalize';
  constructor(
    readonly axis: number,
    readonly eps: number,
  ) {
    super();
  }
  forward(x: RawTensor) {
    const { R, inner } = along(x.shape, this.axis);
    const [y, n] = this.b.normalize(x, R, inner, this.eps);
    this.saveForBackward(x, n);
    n.dispose();
    return y;
  }
  backward(dy: RawTensor) {
    const [x, n] = this.saved;
    const { R, inner } = along(x.shape, this.axis);
    return [this.b.normalizeBackward(x, n, dy, R, inner, this.eps)];
  }
}

/**
 * y = ‖x‖₂ along `axis`.  dx = dy · x / y, and 0 where y = 0.
 * NOTE: the zero-norm rule is PyTorch's (torch.linalg.vector_norm's subgradient at 0).
 */
export class Norm extends AutogradFunction {
  readonly name = 'norm';
  constructor(
    readonly axes: readonly number[],
    readonly keepdim: boolean,
  ) {
    super();
  }
  forward(x: RawTensor) {
    const b = this.b;
    let r: RawTensor;
    if (this.axes.length === 1 && x.size > 0) {
      // NOTE: one axis: one launch along it in place (no square, permuted copy, sum and sqrt).
      const { R, inner } = along(x.shape, this.axes[0]);
      const n = b.norm(x, R, inner);
      r = view(n, keepdimShape(x.shape, this.axes));
      n.dispose();
    } else {
      const sq = b.unary('square', x);
      const s = reduceAxes(b, 'sum', sq, this.axes);
      sq.dispose();
      r = b.unary('sqrt', s);
      s.dispose();
    }
    this.saveForBackward(x, r);
    const y = view(r, outShape(x.shape, this.axes, this.keepdim));
    r.dispose();
    return y;
  }
  backward(dy: RawTensor) {
    const b = this.b;
    const [x, r] = this.saved;
    const pos = b.unary('gtScalar', r, 0);
    const inv = b.unary('reciprocal', r);
    const zero = b.fill(r.shape, 0, 'float32');
    const safe = b.where(pos, inv, zero);
    pos.dispose();
    inv.dispose();
    zero.dispose();
    const k = view(dy, r.shape);
    const g = b.binary('mul', k, safe);
    k.dispose();
    safe.dispose();
    const gb = expand(b, g, x.shape);
    g.dispose();
    const dx = b.binary('mul', gb, x);
    gb.dispose();
    return [dx];
  }
}
