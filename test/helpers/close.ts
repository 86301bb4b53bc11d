// Tolerances (STYLE 5.9, one table) and an element-wise closeness assertion with a readable report.

/** |actual − expected| ≤ atol + rtol·|expected|, element-wise. */
export interface Tolerance {
  atol: number;
  rtol: number;
}

/** Numerical gradcheck settings: central differences with step `eps`. */
export interface GradcheckTolerance extends Tolerance {
  eps: number;
}

export type ToleranceKind =
  | 'reference' // float64 reference vs hand-derived values
  | 'gradcheck' // numerical gradcheck on the float64 reference, eps 1e-6
  | 'cpu-forward' // gpu.js cpu mode (f32) vs reference, forward
  | 'device-forward' // GPU / webasm f32 vs reference, forward
  | 'device-grad'; // any f32 backend vs reference, gradients

const TABLE = {
  reference: { atol: 1e-9, rtol: 1e-9 },
  gradcheck: { eps: 1e-6, atol: 1e-5, rtol: 1e-3 },
  'cpu-forward': { atol: 1e-6, rtol: 1e-4 },
  'device-forward': { atol: 1e-5, rtol: 1e-3 },
  'device-grad': { atol: 1e-4, rtol: 1e-3 },
} as const satisfies Record<ToleranceKind, Tolerance & { eps?: number }>;

/** STYLE 5.9's default tolerances, one place (as tfjs's testEpsilon()). */
export function testTolerance(kind: 'gradcheck'): GradcheckTolerance;
export function testTolerance(kind: ToleranceKind): Tolerance;
export function testTolerance(kind: ToleranceKind): Tolerance | GradcheckTolerance {
  return { ...TABLE[kind] };
}

/**
 * The forward tolerance of a device backend: gpu.js `cpu` mode sums in the reference's order and is
 * held tighter. NOTE: with the WebAssembly GEMM/conv kernels (on by default on cpu and webasm) the
 * contractions sum in blocked order, so `cpu` then gets the device tolerance too.
 */
export function forwardTolerance(backendName: string): Tolerance {
  const gpujsOnly = process.env.SSA_SEG_WASM_KERNELS === '0';
  return testTolerance(backendName === 'cpu' && gpujsOnly ? 'cpu-forward' : 'device-forward');
}

/** Takes the larger atol and rtol of two tolerances (a per-op loosening never tightens the default). */
export function loosen(base: Tolerance, extra: Partial<Tolerance> | undefined): Tolerance {
  if (!extra) return base;
  return { atol: Math.max(base.atol, extra.atol ?? 0), rtol: Math.max(base.rtol, extra.rtol ?? 0) };
}

function fmtShape(shape: readonly number[] | undefined): string {
  return shape ? `[${shape.join(', ')}]` : '';
}

/** Row-major multi-index of flat index i (for the failure message). */
function unravel(i: number, shape: readonly number[] | undefined): string {
  if (!shape || shape.length === 0) return '';
  const idx: number[] = [];
  let r = i;
  for (let a = shape.length - 1; a >= 0; a--) {
    idx.unshift(r % shape[a]);
    r = Math.floor(r / shape[a]);
  }
  return ` (at [${idx.join(', ')}] of ${fmtShape(shape)})`;
}

/**
 * Asserts element-wise closeness. NaN must meet NaN and infinities must be equal. On failure it
 * throws one message with the label, the first bad index, its values, how many elements failed,
 * and the largest absolute and relative errors.
 */
export function expectClose(
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  tol: Tolerance,
  label: string,
  shape?: readonly number[],
): void {
  if (actual.length !== expected.length) {
    throw new Error(`${label}: got ${actual.length} values, expected ${expected.length}${shape ? ` for shape ${fmtShape(shape)}` : ''}`);
  }
  let bad = 0;
  let first = -1;
  let maxAbs = 0;
  let maxAbsAt = -1;
  let maxRel = 0;
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i];
    const e = expected[i];
    let ok: boolean;
    if (Number.isNaN(e) || Number.isNaN(a)) ok = Number.isNaN(e) && Number.isNaN(a);
    else if (!Number.isFinite(e) || !Number.isFinite(a)) ok = a === e;
    else {
      const err = Math.abs(a - e);
      ok = err <= tol.atol + tol.rtol * Math.abs(e);
      if (err > maxAbs) {
        maxAbs = err;
        maxAbsAt = i;
      }
      if (e !== 0) maxRel = Math.max(maxRel, err / Math.abs(e));
    }
    if (!ok) {
      bad++;
      if (first < 0) first = i;
    }
  }
  if (bad === 0) return;
  const lines = [
    `${label}: ${bad} of ${expected.length} element(s) differ beyond atol ${tol.atol}, rtol ${tol.rtol}`,
    `  first at index ${first}${unravel(first, shape)}: got ${actual[first]}, expected ${expected[first]}`,
    `  max |error| ${maxAbs.toExponential(3)} at index ${maxAbsAt}${unravel(maxAbsAt, shape)}; max relative error ${maxRel.toExponential(3)}`,
  ];
  if (expected.length <= 24) {
    lines.push(`  got      [${Array.from(actual, (v) => +v.toPrecision(7)).join(', ')}]`);
    lines.push(`  expected [${Array.from(expected, (v) => +v.toPrecision(7)).join(', ')}]`);
  }
  throw new Error(lines.join('\n'));
}

/** Exact equality of two arrays (masks, indices), with the same kind of report. */
export function expectEqualArrays(actual: ArrayLike<number>, expected: ArrayLike<number>, label: string, shape?: readonly number[]): void {
  expectClose(actual, expected, { atol: 0, rtol: 0 }, label, shape);
}
