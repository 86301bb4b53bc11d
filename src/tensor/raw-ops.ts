/**
 * Composite raw operations built from the backend vocabulary: views, permutes, broadcasts and
 * reductions over arbitrary axes. Used by the forward and backward rules of autograd functions.
 * No autograd here. Intermediates are disposed as soon as they are consumed.
 */
import type { Backend, ReduceOp } from './backend.js';
import { RawTensor } from './raw-tensor.js';
import { keepdimShape, reductionAxes, shapesEqual, sizeOf, stridesOf, type Shape } from './shape.js';

/** A new handle on the same storage with another shape of the same size (reshape is free). */
export function view(x: RawTensor, shape: Shape): RawTensor {
  const s = x.storageFor('reshape');
  if (sizeOf(shape) !== x.size) throw new Error(`internal: view of [${x.shape}] as [${shape}]`);
  s.retain();
  return new RawTensor(shape, x.dtype, s);
}

/** out = x.permute(perm), materialised. */
export function permute(b: Backend, x: RawTensor, perm: readonly number[]): RawTensor {
  if (perm.every((p, i) => p === i)) return view(x, x.shape);
  const st = stridesOf(x.shape);
  return b.strided(x, perm.map((p) => x.shape[p]), perm.map((p) => st[p]), 0);
}

/** Broadcasts x to `shape` (x's rank may be lower; sizes must be 1 or equal), materialised. */
export function expand(b: Backend, x: RawTensor, shape: Shape): RawTensor {
  if (shapesEqual(x.shape, shape)) return view(x, shape);
  const lead = shape.length - x.rank;
  const st = stridesOf(x.shape);
  const strides = shape.map((d, i) => (i < lead || x.shape[i - lead] === 1 ? 0 : st[i - lead]));
  return b.strided(x, shape, strides, 0);
}

/**
 * Reduces `axes` of x with keepdim semantics (reduced axes become 1). Reduced axes are moved to the
 * end first (a copy, skipped when they already are the trailing axes). For sum/max/min, reduced
 * trailing axes go first, with no copy, so that only the smaller result is permuted: a per-channel
 * sum over [N, H, W] of [N, C, H, W] reduces H·W in place, then permutes just [N, C].
 */
export function reduceAxes(b: Backend, op: ReduceOp, x: RawTensor, axes: readonly number[]): RawTensor {
  const outShape = keepdimShape(x.shape, axes);
  if (axes.length === 0) return op === 'argmax' || op === 'argmin' ? b.fill(outShape, 0, 'int32') : view(x, outShape);
  let t = x.rank;
  while (t > 0 && axes.includes(t - 1)) t--;
  if (op !== 'argmax' && op !== 'argmin' && t < x.rank && t > 0 && axes.some((a) => a < t)) {
    const trailing = x.shape.slice(t).reduce((acc, d) => acc * d, 1);
    const rows = view(x, [...x.shape.slice(0, t), trailing]);
    const part = b.reduce(op, rows, x.shape.slice(0, t));
    rows.dispose();
    const out0 = reduceAxes(b, op, part, axes.filter((a) => a < t));
    part.dispose();
    const out = view(out0, outShape);
    out0.dispose();
    return out;
  }
  const kept = x.shape.map((_, i) => i).filter((i) => !axes.includes(i));
  const perm = [...kept, ...axes];
  const R = axes.reduce((acc, a) => acc * x.shape[a], 1);
  const moved = permute(b, x, perm);
  const rows = view(moved, [...kept.map((i) => x.shape[i]), R]);
  moved.dispose();
  const out = b.reduce(op, rows, outShape);
  rows.dispose();
  return out;
}

/** Σ of t [N, C, ...] over every axis but 1, as a [C] tensor (no copy of t). */
export function channelSum(b: Backend, t: RawTensor): RawTensor {
  const C = t.shape[1];
  const v = view(t, [t.shape[0], C, t.size / (t.shape[0] * C) || 1]);
  const r = reduceAxes(b, 'sum', v, [0, 2]);
  v.dispose();
  const out = view(r, [C]);
  r.dispose();
  return out;
}

/** Sums a broadcast gradient back to `shape` (the adjoint of `expand`). */
export function sumTo(b: Backend, g: RawTensor, shape: Shape): RawTensor {
  if (shapesEqual(g.shape, shape)) return view(g, shape);
  const axes = reductionAxes(shape, g.shape);
  const summed = reduceAxes(b, 'sum', g, axes);
  const out = view(summed, shape);
  summed.dispose();
  return out;
}

/** out = x[starts : starts + sizes * steps : steps] per axis (steps > 0). */
export function slice(b: Backend, x: RawTensor, starts: readonly number[], sizes: readonly number[], steps: readonly number[]): RawTensor {
  const st = stridesOf(x.shape);
  const offset = starts.reduce((acc, s, i) => acc + s * st[i], 0);
  return b.strided(x, sizes, st.map((s, i) => s * steps[i]), offset);
}

/** a op b for equal shapes, then disposes the inputs (for chains inside backward rules). */
export function binaryConsume(b: Backend, op: Parameters<Backend['binary']>[0], x: RawTensor, y: RawTensor): RawTensor {
  const out = b.binary(op, x, y);
  x.dispose();
  y.dispose();
  return out;
}

/** x * s, disposing x. */
export function scaleConsume(b: Backend, x: RawTensor, s: number): RawTensor {
  const out = b.unary('mulScalar', x, s);
  x.dispose();
  return out;
}
