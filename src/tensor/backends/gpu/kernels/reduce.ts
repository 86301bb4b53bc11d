/**
 * Reduction kernel sources over the last axis of x viewed as [M, R]. Each thread reduces one chunk
 * of one row: out[m, j] covers r in [j·chunk, min((j+1)·chunk, R)). With J = 1 a thread reduces a
 * whole row; long rows go through two passes (the backend chooses the chunk).
 * Kernel sources only; every function must be transpilable by gpu.js (see types.ts).
 */
import type { Buf, KernelThis } from './types.js';

export function sumReduceKernel(this: KernelThis, x: Buf, R: number, J: number, chunk: number) {
  const i = this.thread.x;
  const m = Math.floor((i + 0.5) / J);
  const j = i - m * J;
  const start = m * R + j * chunk;
  const len = Math.min(chunk, R - j * chunk);
  let s = 0;
  for (let r = 0; r < len; r++) {
    s += x[start + r];
  }
  return s;
}

export function maxReduceKernel(this: KernelThis, x: Buf, R: number, J: number, chunk: number) {
  const i = this.thread.x;
  const m = Math.floor((i + 0.5) / J);
  const j = i - m * J;
  const start = m * R + j * chunk;
  const len = Math.min(chunk, R - j * chunk);
  let best = x[start];
  for (let r = 1; r < len; r++) {
    best = Math.max(best, x[start + r]);
  }
  return best;
}

export function minReduceKernel(this: KernelThis, x: Buf, R: number, J: number, chunk: number) {
  const i = this.thread.x;
  const m = Math.floor((i + 0.5) / J);
  const j = i - m * J;
  const start = m * R + j * chunk;
  const len = Math.min(chunk, R - j * chunk);
  let best = x[start];
  for (let r = 1; r < len; r++) {
    best = Math.min(best, x[start + r]);
  }
  return best;
}

/** Index of the first maximum of each row (one pass: J = 1). */
export function argmaxReduceKernel(this: KernelThis, x: Buf, R: number) {
  const start = this.thread.x * R;
  let best = x[start];
  let at = 0;
  for (let r = 1; r < R; r++) {
    const v = x[start + r];
    if (v > best) {
      best = v;
      at = r;
    }
  }
  return at;
}

/** Index of the first minimum of each row (one pass: J = 1). */
export function argminReduceKernel(this: KernelThis, x: Buf, R: number) {
  const start = this.thread.x * R;
  let best = x[start];
  let at = 0;
  for (let r = 1; r < R; r++) {
    const v = x[start + r];
    if (v < best) {
      best = v;
      at = r;
    }
  }
  return at;
}

// ---- along the middle axis of [outer, R, inner]: per-row statistics, then an element-wise apply ----
// NOTE: a row is R cells `inner` apart, read by one thread in one pass whatever R (these serve
// softmax and normalisation axes: classes, channels, or the pixels of a feature map). Each loop of
// a kernel has its own counter name: gpu.js's JS mode declares them all in one scope.

/** out[o, n] = m + ln Σ_r exp(x[o, r, n] − m), m = max_r x[o, r, n]. meta = [R, inner]. */
export function logsumexpAlongKernel(this: KernelThis, x: Buf, meta: Buf) {
  const i = this.thread.x;
  const R = meta[0];
  const inner = meta[1];
  const o = Math.floor((i + 0.5) / inner);
  const start = o * R * inner + (i - o * inner);
  let m = x[start];
  for (let r = 1; r < R; r++) {
    m = Math.max(m, x[start + r * inner]);
  }
  let s = 0;
  for (let q = 0; q < R; q++) {
    s += Math.exp(x[start + q * inner] - m);
  }
  return m + Math.log(s);
}

/** out[o, n] = Σ_r a[o, r, n]·b[o, r, n] (root = 1: its square root; useB = 0: Σ_r a). meta = [R, inner, root, useB]. */
export function dotAlongKernel(this: KernelThis, a: Buf, b: Buf, meta: Buf) {
  const i = this.thread.x;
  const R = meta[0];
  const inner = meta[1];
  const o = Math.floor((i + 0.5) / inner);
  const start = o * R * inner + (i - o * inner);
  let s = 0;
  if (meta[3] > 0.5) {
    for (let r = 0; r < R; r++) {
      s += a[start + r * inner] * b[start + r * inner];
    }
  } else {
    for (let q = 0; q < R; q++) {
      s += a[start + q * inner];
    }
  }
  if (meta[2] > 0.5) return Math.sqrt(s);
  return s;
}

/** y = exp(x − lse[o, n]), or x − lse[o, n] when log = 1. meta = [R, inner, log]. */
export function softmaxAlongKernel(this: KernelThis, x: Buf, lse: Buf, meta: Buf) {
  const i = this.thread.x;
  const inner = meta[1];
  const o = Math.floor((i + 0.5) / (meta[0] * inner));
  const n = i - Math.floor((i + 0.5) / inner) * inner;
  const v = x[i] - lse[o * inner + n];
  if (meta[2] > 0.5) return v;
  return Math.exp(v);
}

/** dx = y·(dy − s[o, n]) (softmax), or dy − exp(y)·s[o, n] (log = 1). meta = [R, inner, log]. */
export function softmaxBackwardAlongKernel(this: KernelThis, y: Buf, dy: Buf, s: Buf, meta: Buf) {
  const i = this.thread.x;
  const inner = meta[1];
  const o = Math.floor((i + 0.5) / (meta[0] * inner));
  const n = i - Math.floor((i + 0.5) / inner) * inner;
  const t = s[o * inner + n];
  if (meta[2] > 0.5) return dy[i] - Math.exp(y[i]) * t;
  return y[i] * (dy[i] - t);
}

/** y = x / (nrm[o, n] + eps). meta = [R, inner, eps]. */
export function normalizeAlongKernel(this: KernelThis, x: Buf, nrm: Buf, meta: Buf) {
  const i = this.thread.x;
  const inner = meta[1];
  const o = Math.floor((i + 0.5) / (meta[0] * inner));
  const n = i - Math.floor((i + 0.5) / inner) * inner;
  return x[i] / (nrm[o * inner + n] + meta[2]);
}

/** dx = dy/d − x·s/(nrm·d²), d = nrm + eps, s = Σ_r dy·x; the second term is 0 where nrm = 0. meta = [R, inner, eps]. */
export function normalizeBackwardAlongKernel(this: KernelThis, x: Buf, dy: Buf, nrm: Buf, s: Buf, meta: Buf) {
  const i = this.thread.x;
  const inner = meta[1];
  const o = Math.floor((i + 0.5) / (meta[0] * inner));
  const j = o * inner + (i - Math.floor((i + 0.5) / inner) * inner);
  const nv = nrm[j];
  const d = nv + meta[2];
  if (nv > 0) return dy[i] / d - (x[i] * s[j]) / (nv * d * d);
  return dy[i] / d;
}
