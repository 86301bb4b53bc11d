/**
 * Reference movement ops: strided gather, constant padding, gather/scatterAdd along an axis, one-hot.
 * Every loop walks explicit output (or source) coordinates; flat indices are rebuilt from them.
 */
import { fmt, sizeOf, stridesOf, type Shape } from '../../shape.js';

/** Coordinates of flat row-major index `i` in `shape`. */
function unravel(i: number, shape: Shape): number[] {
  const c = new Array<number>(shape.length);
  for (let d = shape.length - 1; d >= 0; d--) {
    c[d] = i % shape[d];
    i = Math.floor(i / shape[d]);
  }
  return c;
}

/** Flat row-major index of coordinates `c` given the shape's strides. */
function ravel(c: readonly number[], strides: readonly number[]): number {
  let i = 0;
  for (let d = 0; d < c.length; d++) i += c[d] * strides[d];
  return i;
}

/** True when `j` is an integer position along an axis of length `n`. */
function inRange(j: number, n: number): boolean {
  return Number.isInteger(j) && j >= 0 && j < n;
}

// ---- strided view ----

/**
 * out[c] = x[offset + Σ c_i·strides[i]] for every coordinate c of `shape`.
 * Throws when some coordinate would read outside x (the oracle never invents values).
 */
export function strided(x: Float64Array, xShape: Shape, shape: Shape, strides: readonly number[], offset: number): Float64Array {
  if (strides.length !== shape.length) {
    throw new Error(`strided: got ${strides.length} strides [${strides.join(', ')}] for the output shape ${fmt(shape)}`);
  }
  const n = sizeOf(shape);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const src = offset + ravel(unravel(i, shape), strides);
    if (!inRange(src, x.length)) {
      throw new Error(
        `strided: output shape ${fmt(shape)} with strides [${strides.join(', ')}] and offset ${offset} ` +
          `reads element ${src} of an input of shape ${fmt(xShape)} (${x.length} elements)`,
      );
    }
    out[i] = x[src];
  }
  return out;
}

// ---- concatenation ----

/** a and b (shapes equal but along `axis`) joined along `axis`. */
export function cat(a: Float64Array, aShape: Shape, b: Float64Array, bShape: Shape, axis: number): Float64Array {
  if (aShape.length !== bShape.length || aShape.some((d, i) => i !== axis && d !== bShape[i])) {
    throw new Error(`cat: shapes ${fmt(aShape)} and ${fmt(bShape)} must match on every axis but ${axis}`);
  }
  const inner = sizeOf(aShape.slice(axis + 1));
  const da = aShape[axis] * inner;
  const db = bShape[axis] * inner;
  const outer = sizeOf(aShape.slice(0, axis));
  const out = new Float64Array(outer * (da + db));
  for (let o = 0; o < outer; o++) {
    out.set(a.subarray(o * da, (o + 1) * da), o * (da + db));
    out.set(b.subarray(o * db, (o + 1) * db), o * (da + db) + da);
  }
  return out;
}

// ---- padding ----

/** Output shape of `pad`: each axis grows by before + after. */
export function paddedShape(xShape: Shape, pads: readonly (readonly [number, number])[]): number[] {
  if (pads.length !== xShape.length) {
    throw new Error(`pad: got ${pads.length} [before, after] pairs for an input of shape ${fmt(xShape)}; expected one per axis`);
  }
  for (const [before, after] of pads) {
    if (!Number.isInteger(before) || !Number.isInteger(after) || before < 0 || after < 0) {
      throw new Error(`pad: paddings must be non-negative integers, got ${JSON.stringify(pads)} for shape ${fmt(xShape)}`);
    }
  }
  return xShape.map((d, i) => d + pads[i][0] + pads[i][1]);
}

/** out[c] = x[c - before] where that lies inside x, else `value`. */
export function pad(x: Float64Array, xShape: Shape, pads: readonly (readonly [number, number])[], value: number): Float64Array {
  const shape = paddedShape(xShape, pads);
  const xStrides = stridesOf(xShape);
  const out = new Float64Array(sizeOf(shape));
  for (let i = 0; i < out.length; i++) {
    const c = unravel(i, shape);
    let inside = true;
    for (let d = 0; d < c.length; d++) {
      c[d] -= pads[d][0];
      if (c[d] < 0 || c[d] >= xShape[d]) inside = false;
    }
    out[i] = inside ? x[ravel(c, xStrides)] : value;
  }
  return out;
}

// ---- gather / scatterAdd ----

/** Checks that `index` has `shape` except along `axis` (where any length is allowed). */
function checkIndexShape(op: string, arg: string, indexShape: Shape, shape: Shape, axis: number): void {
  if (!Number.isInteger(axis) || axis < 0 || axis >= shape.length) {
    throw new Error(`${op}: axis ${axis} is out of range for a tensor of shape ${fmt(shape)}`);
  }
  const ok = indexShape.length === shape.length && indexShape.every((d, i) => i === axis || d === shape[i]);
  if (!ok) {
    throw new Error(`${op}: index of shape ${fmt(indexShape)} must match ${arg} of shape ${fmt(shape)} on every axis except ${axis}`);
  }
}

/** out[c] = x[c with c[axis] = index[c]], or 0 when index[c] is outside [0, xShape[axis]). out has index's shape. */
export function gather(x: Float64Array, xShape: Shape, index: Float64Array, indexShape: Shape, axis: number): Float64Array {
  checkIndexShape('gather', 'x', indexShape, xShape, axis);
  const xStrides = stridesOf(xShape);
  const out = new Float64Array(index.length);
  for (let i = 0; i < index.length; i++) {
    const c = unravel(i, indexShape);
    const j = index[i];
    if (!inRange(j, xShape[axis])) continue; // NOTE: out-of-range indices read 0.
    c[axis] = j;
    out[i] = x[ravel(c, xStrides)];
  }
  return out;
}

/**
 * Adjoint of gather: out (shape xShape, zeros) accumulates src[c] at c with c[axis] = index[c].
 * Out-of-range indices are skipped, which is exactly the adjoint of gather reading 0 for them.
 */
export function scatterAdd(src: Float64Array, index: Float64Array, indexShape: Shape, axis: number, xShape: Shape): Float64Array {
  checkIndexShape('scatterAdd', 'the output', indexShape, xShape, axis);
  const xStrides = stridesOf(xShape);
  const out = new Float64Array(sizeOf(xShape));
  for (let i = 0; i < index.length; i++) {
    const c = unravel(i, indexShape);
    const j = index[i];
    if (!inRange(j, xShape[axis])) continue;
    c[axis] = j;
    out[ravel(c, xStrides)] += src[i];
  }
  return out;
}

// ---- one-hot ----

/** out[i, k] = labels[i] === k ? 1 : 0 for k in [0, K); labels outside [0, K) give all-zero rows. */
export function oneHot(labels: Float64Array, K: number): Float64Array {
  if (!Number.isInteger(K) || K < 0) throw new Error(`oneHot: the number of classes K must be a non-negative integer, got ${K}`);
  const out = new Float64Array(labels.length * K);
  for (let i = 0; i < labels.length; i++) {
    const k = labels[i];
    if (inRange(k, K)) out[i * K + k] = 1;
  }
  return out;
}
