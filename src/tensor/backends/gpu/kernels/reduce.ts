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
