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
