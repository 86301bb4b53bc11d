/**
 * Reference element-wise ops: plain loops over Float64Array, one output element per input element.
 * Pure functions of arrays (no RawTensor, no Storage); the backend class wraps them and picks dtypes.
 */
import type { BinaryOp, UnaryOp } from '../../backend.js';
import type { DType } from '../../dtype.js';

const SQRT1_2 = Math.SQRT1_2;
const INV_SQRT_PI = 1 / Math.sqrt(Math.PI);
const INV_SQRT_2PI = 1 / Math.sqrt(2 * Math.PI);
/** |x| from which erf/erfc use the continued fraction instead of the series. */
const ERF_SWITCH = 2;

function assertNever(x: never, op: string): never {
  throw new Error(`${op}: unknown op ${JSON.stringify(x)}`);
}

// ---- special functions ----

/**
 * erf for |x| < 2 through the all-positive series erf(x) = 2/√π · e^(-x²) · Σ 2^n x^(2n+1) / (2n+1)!!
 * (Abramowitz & Stegun 7.1.6). NOTE: unlike the alternating Taylor series, no term cancels another,
 * so the result keeps ~15 significant digits.
 */
function erfSeries(x: number): number {
  const x2 = x * x;
  let term = x;
  let sum = x;
  for (let n = 0; n < 200; n++) {
    term *= (2 * x2) / (2 * n + 3);
    sum += term;
    if (Math.abs(term) < 1e-17 * Math.abs(sum)) break;
  }
  return 2 * INV_SQRT_PI * Math.exp(-x2) * sum;
}

/**
 * erfc for x ≥ 2 through its continued fraction
 * erfc(x) = e^(-x²)/√π · 1/(x + (1/2)/(x + 1/(x + (3/2)/(x + 2/(x + ...))))),
 * evaluated bottom-up at a fixed depth. NOTE: depth 60 already converges to the last bit at x = 2
 * (checked against a float64 erfc); 120 leaves a wide margin.
 */
function erfcContinuedFraction(x: number): number {
  let f = x;
  for (let n = 120; n >= 1; n--) f = x + n / 2 / f;
  return (INV_SQRT_PI * Math.exp(-x * x)) / f;
}

/** erfc(x) = 1 - erf(x), accurate in relative terms in the far right tail too. */
function erfc(x: number): number {
  if (Number.isNaN(x)) return NaN;
  if (x >= ERF_SWITCH) return erfcContinuedFraction(x);
  if (x <= -ERF_SWITCH) return 2 - erfcContinuedFraction(-x);
  return 1 - erfSeries(x);
}

/** erf(x), odd, with absolute error below 1e-15. */
function erf(x: number): number {
  if (Number.isNaN(x)) return NaN;
  if (x >= ERF_SWITCH) return 1 - erfcContinuedFraction(x);
  if (x <= -ERF_SWITCH) return erfcContinuedFraction(-x) - 1;
  return erfSeries(x);
}

/** Standard normal CDF Φ(x) = (1 + erf(x/√2)) / 2, written through erfc so the left tail keeps its digits. */
function normalCdf(x: number): number {
  return 0.5 * erfc(-x * SQRT1_2);
}

/** Logistic function, stable for large |x|: exp is only ever taken of a non-positive number. */
function sigmoid(x: number): number {
  if (x >= 0) return 1 / (1 + Math.exp(-x));
  const e = Math.exp(x);
  return e / (1 + e);
}

// ---- unary ops ----

/** Float-valued unary ops: their output is float32 whatever the input dtype. */
const FLOAT_UNARY: ReadonlySet<UnaryOp> = new Set<UnaryOp>([
  'exp', 'log', 'sqrt', 'rsqrt', 'sigmoid', 'tanh', 'gelu', 'geluGrad', 'erf', 'reciprocal',
]);

/** Comparisons against the scalar: float32 0/1 masks. */
const SCALAR_COMPARISONS: ReadonlySet<UnaryOp> = new Set<UnaryOp>([
  'eqScalar', 'neScalar', 'ltScalar', 'leScalar', 'gtScalar', 'geScalar',
]);

/** Unary ops that read `scalar`. */
const SCALAR_UNARY: ReadonlySet<UnaryOp> = new Set<UnaryOp>([
  'addScalar', 'mulScalar', 'powScalar', 'rpowScalar', 'clampMin', 'clampMax', ...SCALAR_COMPARISONS,
]);

/** True when `op` needs the `scalar` argument. */
export function unaryNeedsScalar(op: UnaryOp): boolean {
  return SCALAR_UNARY.has(op);
}

/** Output dtype of a unary op: float32 for comparisons and float-valued ops, else the input's dtype. */
export function unaryDType(op: UnaryOp, x: DType): DType {
  return FLOAT_UNARY.has(op) || SCALAR_COMPARISONS.has(op) ? 'float32' : x;
}

/** One element of a unary op; `s` is the scalar argument (unused by most ops). */
function unaryAt(op: UnaryOp, x: number, s: number): number {
  switch (op) {
    case 'neg': return -x;
    case 'exp': return Math.exp(x);
    case 'log': return Math.log(x);
    case 'sqrt': return Math.sqrt(x);
    case 'rsqrt': return 1 / Math.sqrt(x);
    case 'abs': return Math.abs(x);
    // NOTE: explicit branches so that -0 gives +0 and NaN stays NaN.
    case 'sign': return x > 0 ? 1 : x < 0 ? -1 : x === 0 ? 0 : NaN;
    case 'square': return x * x;
    case 'reciprocal': return 1 / x;
    case 'relu': return Math.max(x, 0);
    // NOTE: step is the ReLU derivative with subgradient 0 at x = 0 (PyTorch convention).
    case 'step': return x > 0 ? 1 : 0;
    case 'sigmoid': return sigmoid(x);
    case 'tanh': return Math.tanh(x);
    // gelu(x) = x·Φ(x) = 0.5·x·(1 + erf(x/√2)), the exact (not tanh-approximated) form.
    case 'gelu': return x * normalCdf(x);
    // d/dx [x·Φ(x)] = Φ(x) + x·φ(x), φ the standard normal density.
    case 'geluGrad': return normalCdf(x) + x * INV_SQRT_2PI * Math.exp(-0.5 * x * x);
    case 'erf': return erf(x);
    case 'floor': return Math.floor(x);
    case 'copy': return x;
    case 'addScalar': return x + s;
    case 'mulScalar': return x * s;
    case 'powScalar': return Math.pow(x, s);
    case 'rpowScalar': return Math.pow(s, x);
    case 'clampMin': return Math.max(x, s);
    case 'clampMax': return Math.min(x, s);
    case 'eqScalar': return x === s ? 1 : 0;
    case 'neScalar': return x !== s ? 1 : 0;
    case 'ltScalar': return x < s ? 1 : 0;
    case 'leScalar': return x <= s ? 1 : 0;
    case 'gtScalar': return x > s ? 1 : 0;
    case 'geScalar': return x >= s ? 1 : 0;
    default: return assertNever(op, 'unary');
  }
}

/** out[i] = op(x[i]) (with the scalar argument `s` for the `*Scalar` and clamp ops). */
export function unary(op: UnaryOp, x: Float64Array, s: number): Float64Array {
  const out = new Float64Array(x.length);
  for (let i = 0; i < x.length; i++) out[i] = unaryAt(op, x[i], s);
  return out;
}

// ---- binary ops ----

/** Ops that keep int32 when both inputs are int32 (every other binary op gives float32). */
const INT_PRESERVING_BINARY: ReadonlySet<BinaryOp> = new Set<BinaryOp>(['add', 'sub', 'mul', 'maximum', 'minimum']);

/** Output dtype of a binary op: int32 only for add/sub/mul/maximum/minimum of two int32 inputs. */
export function binaryDType(op: BinaryOp, a: DType, b: DType): DType {
  return a === 'int32' && b === 'int32' && INT_PRESERVING_BINARY.has(op) ? 'int32' : 'float32';
}

/** One element of a binary op. */
function binaryAt(op: BinaryOp, a: number, b: number): number {
  switch (op) {
    case 'add': return a + b;
    case 'sub': return a - b;
    case 'mul': return a * b;
    case 'div': return a / b;
    case 'pow': return Math.pow(a, b);
    case 'maximum': return Math.max(a, b);
    case 'minimum': return Math.min(a, b);
    case 'eq': return a === b ? 1 : 0;
    case 'ne': return a !== b ? 1 : 0;
    case 'lt': return a < b ? 1 : 0;
    case 'le': return a <= b ? 1 : 0;
    case 'gt': return a > b ? 1 : 0;
    case 'ge': return a >= b ? 1 : 0;
    default: return assertNever(op, 'binary');
  }
}

/** out[i] = op(a[i], b[i]) for two arrays of one length. */
export function binary(op: BinaryOp, a: Float64Array, b: Float64Array): Float64Array {
  const out = new Float64Array(a.length);
  for (let i = 0; i < a.length; i++) out[i] = binaryAt(op, a[i], b[i]);
  return out;
}

/**
 * A binary op with broadcasting: a and b have out's rank, each axis equal to out's or 1 (read
 * repeatedly). out[c] = a[c with broadcast axes at 0] ∘ b[likewise].
 */
export function broadcastBinary(op: BinaryOp, a: Float64Array, aShape: readonly number[], b: Float64Array, bShape: readonly number[], outShape: readonly number[]): Float64Array {
  const rank = outShape.length;
  const size = outShape.reduce((n, d) => n * d, 1);
  const out = new Float64Array(size);
  const c = new Array<number>(rank).fill(0);
  for (let i = 0; i < size; i++) {
    let rest = i;
    for (let d = rank - 1; d >= 0; d--) {
      c[d] = rest % outShape[d];
      rest = Math.floor(rest / outShape[d]);
    }
    let ia = 0;
    let ib = 0;
    for (let d = 0; d < rank; d++) {
      ia = ia * aShape[d] + (aShape[d] === 1 ? 0 : c[d]);
      ib = ib * bShape[d] + (bShape[d] === 1 ? 0 : c[d]);
    }
    out[i] = binaryAt(op, a[ia], b[ib]);
  }
  return out;
}

// ---- selection and conversion ----

/** out[i] = cond[i] != 0 ? a[i] : b[i]. NOTE: a NaN condition counts as true (it is not 0). */
export function where(cond: Float64Array, a: Float64Array, b: Float64Array): Float64Array {
  const out = new Float64Array(cond.length);
  for (let i = 0; i < cond.length; i++) out[i] = cond[i] !== 0 ? a[i] : b[i];
  return out;
}

/** Values converted to `dtype`: int32 truncates toward zero, float32 keeps them (the oracle is float64). */
export function cast(x: Float64Array, dtype: DType): Float64Array {
  const out = new Float64Array(x.length);
  for (let i = 0; i < x.length; i++) out[i] = dtype === 'int32' ? Math.trunc(x[i]) : x[i];
  return out;
}
