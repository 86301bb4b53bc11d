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

/** m = max_axis x (keepdim), e = exp(x − m), s = Σ e: the shared start of softmax and logSoftmax. */
function shiftedExp(fn: AutogradFunction, x: RawTensor, axis: number): { xm: RawTensor; e: RawTensor; s: RawTensor } {
  const b = fn.b;
  const m = reduceAxes(b, 'max', x, [axis]);
  const mb = expand(b, m, x.shape);
  m.dispose();
  const xm = b.binary('sub', x, mb);
  mb.dispose();
  const e = b.unary('exp', xm);
  const s = reduceAxes(b, 'sum', e, [axis]);
  return { xm, e, s };
}

/** y = eˣ / Σ eˣ along `axis`.  dx = y · (dy − Σ dy·y).  NOTE: computed from x − max(x). */
export class Softmax extends AutogradFunction {
  readonly name = 'softmax';
  constructor(readonly axis: number) {
    super();
  }
  forward(x: RawTensor) {
    const b = this.b;
    const { xm, e, s } = shiftedExp(this, x, this.axis);
    xm.dispose();
    const sb = expand(b, s, x.shape);
    s.dispose();
    const y = b.binary('div', e, sb);
    e.dispose();
    sb.dispose();
    this.saveForBackward(y);
    return y;
  }
  backward(dy: RawTensor) {
    const b = this.b;
    const y = this.saved[0];
    const dyy = b.binary('mul', dy, y);
    const s = reduceAxes(b, 'sum', dyy, [this.axis]);
    dyy.dispose();
    const sb = expand(b, s, y.shape);
    s.dispose();
    const d = b.binary('sub', dy, sb);
    sb.dispose();
    const dx = b.binary('mul', y, d);
    d.dispose();
    return [dx];
  }
}

/** y = x − max − ln Σ e^(x−max) along `axis`.  dx = dy − softmax(x) · Σ dy. */
export class LogSoftmax extends AutogradFunction {
  readonly name = 'logSoftmax';
  constructor(readonly axis: number) {
    super();
  }
  forward(x: RawTensor) {
    const b = this.b;
    const { xm, e, s } = shiftedExp(this, x, this.axis);
    e.dispose();
    const ls = b.unary('log', s);
    s.dispose();
    const lb = expand(b, ls, x.shape);
    ls.dispose();
    const y = b.binary('sub', xm, lb);
    xm.dispose();
    lb.dispose();
    this.saveForBackward(y);
    return y;
  }
  backward(dy: RawTensor) {
    const b = this.b;
    const y = this.saved[0];
    const p = b.unary('exp', y);
    const s = reduceAxes(b, 'sum', dy, [this.axis]);
    const sb = expand(b, s, y.shape);
    s.dispose();
    const t = b.binary('mul', p, sb);
    p.dispose();
    sb.dispose();
    const dx = b.binary('sub', dy, t);
    t.dispose();
    return [dx];
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
    const sq = b.unary('square', x);
    const s = reduceAxes(b, 'sum', sq, this.axes);
    sq.dispose();
    const r = b.unary('sqrt', s);
    s.dispose();
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
