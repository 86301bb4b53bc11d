/**
 * Element-wise kernel sources: one output cell per thread, flat index `this.thread.x`.
 * Kernel sources only; every function must be transpilable by gpu.js (see types.ts).
 */
import type { Buf, KernelThis } from './types.js';

// ---- unary ----

export function negKernel(this: KernelThis, x: Buf) {
  return -x[this.thread.x];
}
export function expKernel(this: KernelThis, x: Buf) {
  return Math.exp(x[this.thread.x]);
}
export function logKernel(this: KernelThis, x: Buf) {
  return Math.log(x[this.thread.x]);
}
export function sqrtKernel(this: KernelThis, x: Buf) {
  return Math.sqrt(x[this.thread.x]);
}
export function rsqrtKernel(this: KernelThis, x: Buf) {
  return 1 / Math.sqrt(x[this.thread.x]);
}
export function absKernel(this: KernelThis, x: Buf) {
  return Math.abs(x[this.thread.x]);
}
export function signKernel(this: KernelThis, x: Buf) {
  const v = x[this.thread.x];
  if (v > 0) return 1;
  if (v < 0) return -1;
  return 0;
}
export function squareKernel(this: KernelThis, x: Buf) {
  const v = x[this.thread.x];
  return v * v;
}
export function reciprocalKernel(this: KernelThis, x: Buf) {
  return 1 / x[this.thread.x];
}
export function floorKernel(this: KernelThis, x: Buf) {
  return Math.floor(x[this.thread.x]);
}
export function copyKernel(this: KernelThis, x: Buf) {
  return x[this.thread.x];
}
/**
 * The same copy, kept as a separate kernel for uploads (host arrays in), so that no compiled kernel
 * sees both host arrays and device textures (headless-gl mixes them up across sizes).
 */
export function uploadKernel(this: KernelThis, x: Buf) {
  return x[this.thread.x];
}
/** NOTE: relu'(0) = 0, the PyTorch convention; `stepKernel` is that derivative. */
export function reluKernel(this: KernelThis, x: Buf) {
  return Math.max(x[this.thread.x], 0);
}
export function stepKernel(this: KernelThis, x: Buf) {
  if (x[this.thread.x] > 0) return 1;
  return 0;
}
/** NOTE: the two-sided form never exponentiates a large positive number. */
export function sigmoidKernel(this: KernelThis, x: Buf) {
  const v = x[this.thread.x];
  if (v >= 0) return 1 / (1 + Math.exp(-v));
  const e = Math.exp(v);
  return e / (1 + e);
}
/** NOTE: tanh from exp(-2|x|), which cannot overflow. */
export function tanhKernel(this: KernelThis, x: Buf) {
  const v = x[this.thread.x];
  const e = Math.exp(-2 * Math.abs(v));
  const t = (1 - e) / (1 + e);
  if (v < 0) return -t;
  return t;
}
/** erf by Abramowitz & Stegun 7.1.26 (absolute error below 1.5e-7, under float32 resolution near 1). */
export function erfKernel(this: KernelThis, x: Buf) {
  const v = x[this.thread.x];
  const z = Math.abs(v);
  const t = 1 / (1 + 0.3275911 * z);
  const poly = ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t;
  const r = 1 - poly * Math.exp(-z * z);
  if (v < 0) return -r;
  return r;
}
/** Exact GELU, 0.5·x·(1 + erf(x/√2)), with the erf of `erfKernel`. */
export function geluKernel(this: KernelThis, x: Buf) {
  const v = x[this.thread.x];
  const z = Math.abs(v) * 0.7071067811865476;
  const t = 1 / (1 + 0.3275911 * z);
  const poly = ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t;
  let r = 1 - poly * Math.exp(-z * z);
  if (v < 0) r = -r;
  return 0.5 * v * (1 + r);
}
/** d gelu / dx = Φ(x) + x·φ(x). */
export function geluGradKernel(this: KernelThis, x: Buf) {
  const v = x[this.thread.x];
  const z = Math.abs(v) * 0.7071067811865476;
  const t = 1 / (1 + 0.3275911 * z);
  const poly = ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t;
  let r = 1 - poly * Math.exp(-z * z);
  if (v < 0) r = -r;
  return 0.5 * (1 + r) + v * 0.3989422804014327 * Math.exp(-0.5 * v * v);
}

// ---- unary with a scalar ----

export function addScalarKernel(this: KernelThis, x: Buf, s: number) {
  return x[this.thread.x] + s;
}
export function mulScalarKernel(this: KernelThis, x: Buf, s: number) {
  return x[this.thread.x] * s;
}
/**
 * x^s. NOTE: pow of a negative base is computed from |x| with the sign of an odd integer exponent
 * (`odd` = 1); a non-integer exponent (`isInt` = 0) of a negative base gives NaN, as in PyTorch.
 */
export function powScalarKernel(this: KernelThis, x: Buf, s: number, isInt: number, odd: number) {
  const v = x[this.thread.x];
  if (s === 0) return 1;
  if (v === 0) {
    if (s > 0) return 0;
    return 1 / v;
  }
  const a = Math.pow(Math.abs(v), s);
  if (v > 0) return a;
  // NOTE: NaN made at run time (v − v = 0 here); WGSL rejects a literal sqrt(-1) at compile time.
  if (isInt === 0) return (v - v) / (v - v);
  if (odd === 1) return -a;
  return a;
}
/** s^x for a positive base s (the tensor layer rejects others). */
export function rpowScalarKernel(this: KernelThis, x: Buf, s: number) {
  return Math.exp(x[this.thread.x] * Math.log(s));
}
export function clampMinKernel(this: KernelThis, x: Buf, s: number) {
  return Math.max(x[this.thread.x], s);
}
export function clampMaxKernel(this: KernelThis, x: Buf, s: number) {
  return Math.min(x[this.thread.x], s);
}
export function eqScalarKernel(this: KernelThis, x: Buf, s: number) {
  if (x[this.thread.x] === s) return 1;
  return 0;
}
export function neScalarKernel(this: KernelThis, x: Buf, s: number) {
  if (x[this.thread.x] !== s) return 1;
  return 0;
}
export function ltScalarKernel(this: KernelThis, x: Buf, s: number) {
  if (x[this.thread.x] < s) return 1;
  return 0;
}
export function leScalarKernel(this: KernelThis, x: Buf, s: number) {
  if (x[this.thread.x] <= s) return 1;
  return 0;
}
export function gtScalarKernel(this: KernelThis, x: Buf, s: number) {
  if (x[this.thread.x] > s) return 1;
  return 0;
}
export function geScalarKernel(this: KernelThis, x: Buf, s: number) {
  if (x[this.thread.x] >= s) return 1;
  return 0;
}
/** float → int32 values: truncation toward zero. */
export function truncKernel(this: KernelThis, x: Buf) {
  const v = x[this.thread.x];
  if (v < 0) return -Math.floor(-v);
  return Math.floor(v);
}

// ---- binary (equal shapes) ----

export function addKernel(this: KernelThis, a: Buf, b: Buf) {
  return a[this.thread.x] + b[this.thread.x];
}
export function subKernel(this: KernelThis, a: Buf, b: Buf) {
  return a[this.thread.x] - b[this.thread.x];
}
export function mulKernel(this: KernelThis, a: Buf, b: Buf) {
  return a[this.thread.x] * b[this.thread.x];
}
export function divKernel(this: KernelThis, a: Buf, b: Buf) {
  return a[this.thread.x] / b[this.thread.x];
}
/** a^b with the same negative-base rule as powScalarKernel, decided per element. */
export function powKernel(this: KernelThis, a: Buf, b: Buf) {
  const v = a[this.thread.x];
  const s = b[this.thread.x];
  if (s === 0) return 1;
  if (v === 0) {
    if (s > 0) return 0;
    return 1 / v;
  }
  const p = Math.pow(Math.abs(v), s);
  if (v > 0) return p;
  if (Math.floor(s) !== s) return (v - v) / (v - v);
  const half = s * 0.5;
  if (Math.floor(half) !== half) return -p;
  return p;
}
export function maximumKernel(this: KernelThis, a: Buf, b: Buf) {
  return Math.max(a[this.thread.x], b[this.thread.x]);
}
export function minimumKernel(this: KernelThis, a: Buf, b: Buf) {
  return Math.min(a[this.thread.x], b[this.thread.x]);
}
export function eqKernel(this: KernelThis, a: Buf, b: Buf) {
  if (a[this.thread.x] === b[this.thread.x]) return 1;
  return 0;
}
export function neKernel(this: KernelThis, a: Buf, b: Buf) {
  if (a[this.thread.x] !== b[this.thread.x]) return 1;
  return 0;
}
export function ltKernel(this: KernelThis, a: Buf, b: Buf) {
  if (a[this.thread.x] < b[this.thread.x]) return 1;
  return 0;
}
export function leKernel(this: KernelThis, a: Buf, b: Buf) {
  if (a[this.thread.x] <= b[this.thread.x]) return 1;
  return 0;
}
export function gtKernel(this: KernelThis, a: Buf, b: Buf) {
  if (a[this.thread.x] > b[this.thread.x]) return 1;
  return 0;
}
export function geKernel(this: KernelThis, a: Buf, b: Buf) {
  if (a[this.thread.x] >= b[this.thread.x]) return 1;
  return 0;
}

// ---- binary with broadcasting ----

/**
 * out = a ∘ b over out viewed as [d0, d1, d2], each operand read through its own strides (0 along
 * its broadcast axes). meta = [op, d1, d2, aS0, aS1, aS2, bS0, bS1, bS2]; op 0 add, 1 sub, 2 mul, 3 div.
 */
export function broadcastBinaryKernel(this: KernelThis, a: Buf, b: Buf, meta: Buf) {
  const i2 = this.thread.x;
  const i1 = Math.floor((i2 + 0.5) / meta[2]);
  const i0 = Math.floor((i1 + 0.5) / meta[1]);
  const c2 = i2 - i1 * meta[2];
  const c1 = i1 - i0 * meta[1];
  // NOTE: offsets go through locals: gpu.js's WebGL1 output breaks on meta reads inside an index.
  const ia = i0 * meta[3] + c1 * meta[4] + c2 * meta[5];
  const ib = i0 * meta[6] + c1 * meta[7] + c2 * meta[8];
  const x = a[ia];
  const y = b[ib];
  if (meta[0] < 0.5) return x + y;
  if (meta[0] < 1.5) return x - y;
  if (meta[0] < 2.5) return x * y;
  return x / y;
}

// ---- ternary ----

export function whereKernel(this: KernelThis, c: Buf, a: Buf, b: Buf) {
  if (c[this.thread.x] !== 0) return a[this.thread.x];
  return b[this.thread.x];
}

// ---- fused ----

/**
 * out = a·p[c] + b·q[c] + r[c] over [N, C, inner]. meta = [C, inner, hasP, hasB, hasR]; a term whose
 * flag is 0 is skipped and its argument is never read (callers pass `a` in its place).
 */
export function channelAffineKernel(this: KernelThis, a: Buf, b: Buf, p: Buf, q: Buf, r: Buf, meta: Buf) {
  const i = this.thread.x;
  const j = Math.floor((i + 0.5) / meta[1]);
  const c = j - Math.floor((j + 0.5) / meta[0]) * meta[0];
  let y = a[i];
  if (meta[2] > 0.5) y = y * p[c];
  if (meta[3] > 0.5) y = y + b[i] * q[c];
  if (meta[4] > 0.5) y = y + r[c];
  return y;
}

/**
 * One AdamW update; meta = [which, β₁, 1−β₁, β₂, 1−β₂, decay, stepSize, invSqrtBc2, eps]. which 0
 * returns the new parameter, 1 the new exp_avg, 2 the new exp_avg_sq (three launches, one kernel).
 */
export function adamwKernel(this: KernelThis, p: Buf, g: Buf, m: Buf, v: Buf, meta: Buf) {
  const i = this.thread.x;
  const gi = g[i];
  const mi = m[i] * meta[1] + gi * meta[2];
  if (meta[0] > 0.5 && meta[0] < 1.5) return mi;
  const vi = v[i] * meta[3] + gi * gi * meta[4];
  if (meta[0] > 1.5) return vi;
  return p[i] * meta[5] - (mi / (Math.sqrt(vi) * meta[7] + meta[8])) * meta[6];
}
