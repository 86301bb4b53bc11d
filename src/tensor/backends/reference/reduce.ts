/**
 * Reference reductions over the last axis: x viewed as [M, R] → [M], one row at a time.
 * NOTE: max/min/argmax/argmin propagate NaN as PyTorch does: a NaN is the extreme value, and the
 * arg ops return the index of the first NaN.
 */
import type { ReduceOp } from '../../backend.js';

function assertNever(x: never, op: string): never {
  throw new Error(`${op}: unknown op ${JSON.stringify(x)}`);
}

/** Index within row `m` (elements [m·R, (m+1)·R) of x) of its first largest (`sign` 1) or smallest (`sign` -1) value. */
function argExtreme(x: Float64Array, m: number, R: number, sign: 1 | -1): number {
  let best = 0;
  for (let r = 0; r < R; r++) {
    const v = x[m * R + r];
    if (Number.isNaN(v)) return r;
    // Strict comparison: a later equal value never replaces an earlier one.
    if (r > 0 && sign * v > sign * x[m * R + best]) best = r;
  }
  return best;
}

/** One output element: `op` over row m of the [M, R] view of x. */
function reduceRow(op: ReduceOp, x: Float64Array, m: number, R: number): number {
  switch (op) {
    case 'sum': {
      let s = 0;
      for (let r = 0; r < R; r++) s += x[m * R + r];
      return s;
    }
    case 'max': return x[m * R + argExtreme(x, m, R, 1)];
    case 'min': return x[m * R + argExtreme(x, m, R, -1)];
    case 'argmax': return argExtreme(x, m, R, 1);
    case 'argmin': return argExtreme(x, m, R, -1);
    default: return assertNever(op, 'reduce');
  }
}

/** out[m] = op(x[m, 0..R-1]) for x viewed as [M, R]. An empty row sums to 0; the other ops reject it. */
export function reduce(op: ReduceOp, x: Float64Array, M: number, R: number): Float64Array {
  if (R === 0 && op !== 'sum' && M > 0) {
    throw new Error(`reduce: cannot take ${op} over an empty axis (rows of length 0)`);
  }
  const out = new Float64Array(M);
  for (let m = 0; m < M; m++) out[m] = reduceRow(op, x, m, R);
  return out;
}

// ---- along the middle axis of [outer, R, inner] ----

/** Calls fn(base, o·inner + n) for every row: the row's cells are base + r·inner, r < R. */
function eachRow(size: number, R: number, inner: number, fn: (base: number, row: number) => void): void {
  const outer = R * inner === 0 ? 0 : size / (R * inner);
  for (let o = 0; o < outer; o++) for (let n = 0; n < inner; n++) fn(o * R * inner + n, o * inner + n);
}

/** softmax (or log-softmax) along R: exp(x − lse) or x − lse, lse = m + ln Σ exp(x − m). */
export function softmaxAlong(x: Float64Array, R: number, inner: number, log: boolean): Float64Array {
  const out = new Float64Array(x.length);
  eachRow(x.length, R, inner, (base) => {
    let m = -Infinity;
    for (let r = 0; r < R; r++) m = Math.max(m, x[base + r * inner]);
    let s = 0;
    for (let r = 0; r < R; r++) s += Math.exp(x[base + r * inner] - m);
    const lse = m + Math.log(s);
    for (let r = 0; r < R; r++) {
      const v = x[base + r * inner] - lse;
      out[base + r * inner] = log ? v : Math.exp(v);
    }
  });
  return out;
}

/** dx = y·(dy − Σ dy·y), or dy − exp(y)·Σ dy for log-softmax outputs y. */
export function softmaxBackwardAlong(y: Float64Array, dy: Float64Array, R: number, inner: number, log: boolean): Float64Array {
  const out = new Float64Array(y.length);
  eachRow(y.length, R, inner, (base) => {
    let s = 0;
    for (let r = 0; r < R; r++) s += log ? dy[base + r * inner] : dy[base + r * inner] * y[base + r * inner];
    for (let r = 0; r < R; r++) {
      const k = base + r * inner;
      out[k] = log ? dy[k] - Math.exp(y[k]) * s : y[k] * (dy[k] - s);
    }
  });
  return out;
}

/** [x / (‖x‖ + eps), ‖x‖] along R; the norms are [outer, inner]. */
export function normalizeAlong(x: Float64Array, R: number, inner: number, eps: number): [Float64Array, Float64Array] {
  const out = new Float64Array(x.length);
  const norms = new Float64Array(R * inner === 0 ? 0 : x.length / R);
  eachRow(x.length, R, inner, (base, row) => {
    let s = 0;
    for (let r = 0; r < R; r++) s += x[base + r * inner] ** 2;
    const n = Math.sqrt(s);
    norms[row] = n;
    for (let r = 0; r < R; r++) out[base + r * inner] = x[base + r * inner] / (n + eps);
  });
  return [out, norms];
}

/** dx = dy/d − x·(Σ dy·x)/(n·d²), d = n + eps, without the second term where n = 0. */
export function normalizeBackwardAlong(x: Float64Array, norms: Float64Array, dy: Float64Array, R: number, inner: number, eps: number): Float64Array {
  const out = new Float64Array(x.length);
  eachRow(x.length, R, inner, (base, row) => {
    const n = norms[row];
    const d = n + eps;
    let s = 0;
    for (let r = 0; r < R; r++) s += dy[base + r * inner] * x[base + r * inner];
    for (let r = 0; r < R; r++) {
      const k = base + r * inner;
      out[k] = n > 0 ? dy[k] / d - (x[k] * s) / (n * d * d) : dy[k] / d;
    }
  });
  return out;
}

/** ‖x‖₂ along R, [outer, inner]. */
export function normAlong(x: Float64Array, R: number, inner: number): Float64Array {
  return normalizeAlong(x, R, inner, 0)[1];
}
