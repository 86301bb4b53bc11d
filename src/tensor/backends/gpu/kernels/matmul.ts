/**
 * Batched matrix product kernel source. Transposes and batch broadcasting are strides, so one kernel
 * serves forward (A·B) and both backward products (dY·Bᵀ, Aᵀ·dY).
 * Kernel sources only; every function must be transpilable by gpu.js (see types.ts).
 */
import type { Buf, KernelThis } from './types.js';

/**
 * out[b, m, n] = Σ_k a[b·aBatch + m·aRow + k·aCol] · b[b·bBatch + k·bRow + n·bCol].
 * meta = [M, N, K, aBatch, aRow, aCol, bBatch, bRow, bCol].
 */
export function matmulKernel(this: KernelThis, a: Buf, b: Buf, meta: Buf) {
  const i = this.thread.x;
  const N = meta[1];
  const MN = meta[0] * N;
  const bi = Math.floor((i + 0.5) / MN);
  const rem = i - bi * MN;
  const m = Math.floor((rem + 0.5) / N);
  const n = rem - m * N;
  const aOff = bi * meta[3] + m * meta[4];
  const bOff = bi * meta[6] + n * meta[8];
  const aCol = meta[5];
  const bRow = meta[7];
  const K = meta[2];
  let s = 0;
  for (let k = 0; k < K; k++) {
    s += a[aOff + k * aCol] * b[bOff + k * bRow];
  }
  return s;
}
