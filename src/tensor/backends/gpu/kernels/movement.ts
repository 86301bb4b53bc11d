/**
 * Movement kernel sources. Shapes reach kernels as a small `meta` array (padded to rank 6 with
 * leading 1s), so one compiled kernel serves every shape.
 * NOTE: `Math.floor((i + 0.5) / d)` is an exact integer quotient for i < 2^23 (MAX_ELEMENTS) even in
 * float32 arithmetic: the +0.5 keeps the true quotient at least 0.5/d away from an integer.
 * Kernel sources only; every function must be transpilable by gpu.js (see types.ts).
 */
import type { Buf, KernelThis } from './types.js';

/**
 * out[c] = x[offset + Σ c_k·stride_k]. meta = [offset, d0..d5, s0..s5] (out dims, input strides).
 * Serves permute, expand (stride 0), slice with step and flip (negative stride).
 */
export function stridedKernel(this: KernelThis, x: Buf, meta: Buf) {
  const i5 = this.thread.x;
  const i4 = Math.floor((i5 + 0.5) / meta[6]);
  const i3 = Math.floor((i4 + 0.5) / meta[5]);
  const i2 = Math.floor((i3 + 0.5) / meta[4]);
  const i1 = Math.floor((i2 + 0.5) / meta[3]);
  const i0 = Math.floor((i1 + 0.5) / meta[2]);
  const off =
    meta[0] +
    (i5 - i4 * meta[6]) * meta[12] +
    (i4 - i3 * meta[5]) * meta[11] +
    (i3 - i2 * meta[4]) * meta[10] +
    (i2 - i1 * meta[3]) * meta[9] +
    (i1 - i0 * meta[2]) * meta[8] +
    i0 * meta[7];
  return x[off];
}

/** Rank-1 strided read: out[i] = x[offset + i·s0]. meta = [offset, s0]. */
export function strided1Kernel(this: KernelThis, x: Buf, meta: Buf) {
  return x[meta[0] + this.thread.x * meta[1]];
}

/** Rank-2 strided read. meta = [offset, d1, s0, s1]. */
export function strided2Kernel(this: KernelThis, x: Buf, meta: Buf) {
  const i1 = this.thread.x;
  const i0 = Math.floor((i1 + 0.5) / meta[1]);
  return x[meta[0] + (i1 - i0 * meta[1]) * meta[3] + i0 * meta[2]];
}

/** Rank-3 strided read. meta = [offset, d1, d2, s0, s1, s2]. */
export function strided3Kernel(this: KernelThis, x: Buf, meta: Buf) {
  const i2 = this.thread.x;
  const i1 = Math.floor((i2 + 0.5) / meta[2]);
  const i0 = Math.floor((i1 + 0.5) / meta[1]);
  return x[meta[0] + (i2 - i1 * meta[2]) * meta[5] + (i1 - i0 * meta[1]) * meta[4] + i0 * meta[3]];
}

/**
 * Concatenation of two tensors along an axis, all viewed as [outer, L, inner] with L = da + db.
 * meta = [da, db, inner]: out[o, j, n] = a[o, j, n] for j < da, else b[o, j − da, n].
 */
export function cat2Kernel(this: KernelThis, a: Buf, b: Buf, meta: Buf) {
  const i = this.thread.x;
  const da = meta[0];
  const db = meta[1];
  const inner = meta[2];
  const row = Math.floor((i + 0.5) / inner);
  const n = i - row * inner;
  const o = Math.floor((row + 0.5) / (da + db));
  const j = row - o * (da + db);
  if (j < da) return a[(o * da + j) * inner + n];
  return b[(o * db + j - da) * inner + n];
}

/**
 * Constant padding. meta = [value, outDims(6), before(6), xDims(6), xStrides(6)].
 * Each output coordinate minus `before` is the input coordinate; outside the input gives `value`.
 */
export function padKernel(this: KernelThis, x: Buf, meta: Buf) {
  const i5 = this.thread.x;
  const i4 = Math.floor((i5 + 0.5) / meta[6]);
  const i3 = Math.floor((i4 + 0.5) / meta[5]);
  const i2 = Math.floor((i3 + 0.5) / meta[4]);
  const i1 = Math.floor((i2 + 0.5) / meta[3]);
  const i0 = Math.floor((i1 + 0.5) / meta[2]);
  const c5 = i5 - i4 * meta[6] - meta[12];
  const c4 = i4 - i3 * meta[5] - meta[11];
  const c3 = i3 - i2 * meta[4] - meta[10];
  const c2 = i2 - i1 * meta[3] - meta[9];
  const c1 = i1 - i0 * meta[2] - meta[8];
  const c0 = i0 - meta[7];
  if (c5 < 0 || c5 >= meta[18] || c4 < 0 || c4 >= meta[17] || c3 < 0 || c3 >= meta[16]) return meta[0];
  if (c2 < 0 || c2 >= meta[15] || c1 < 0 || c1 >= meta[14] || c0 < 0 || c0 >= meta[13]) return meta[0];
  return x[c5 * meta[24] + c4 * meta[23] + c3 * meta[22] + c2 * meta[21] + c1 * meta[20] + c0 * meta[19]];
}

/**
 * gather along an axis, with tensors viewed as [outer, L, inner]. meta = [Lidx, inner, Lx].
 * out[o, j, n] = x[o, index[o, j, n], n]; an index outside [0, Lx) reads 0.
 */
export function gatherKernel(this: KernelThis, x: Buf, index: Buf, meta: Buf) {
  const i = this.thread.x;
  const inner = meta[1];
  const oj = Math.floor((i + 0.5) / inner);
  const n = i - oj * inner;
  const o = Math.floor((oj + 0.5) / meta[0]);
  const t = index[i];
  if (t < 0 || t >= meta[2]) return 0;
  return x[(o * meta[2] + t) * inner + n];
}

/**
 * Adjoint of gather: out[o, t, n] = Σ_j [index[o, j, n] = t] · src[o, j, n]. meta = [Lidx, inner, Lx].
 */
export function scatterAddKernel(this: KernelThis, src: Buf, index: Buf, meta: Buf) {
  const i = this.thread.x;
  const inner = meta[1];
  const ot = Math.floor((i + 0.5) / inner);
  const n = i - ot * inner;
  const o = Math.floor((ot + 0.5) / meta[2]);
  const t = ot - o * meta[2];
  const L = meta[0];
  let s = 0;
  for (let j = 0; j < L; j++) {
    const k = (o * L + j) * inner + n;
    if (index[k] === t) s += src[k];
  }
  return s;
}

/** out[i, k] = labels[i] = k ? 1 : 0, for K classes. */
export function oneHotKernel(this: KernelThis, labels: Buf, K: number) {
  const i = this.thread.x;
  const r = Math.floor((i + 0.5) / K);
  if (labels[r] === i - r * K) return 1;
  return 0;
}
