/**
 * The public ops: argument checks, broadcasting, and dispatch to autograd primitives (differentiable)
 * or straight to the backend (comparisons, argmax, oneHot: not differentiable, no graph node).
 * Composite ops (mean, var, logsumexp, normalize, losses, interpolate, dropout) are written here in
 * terms of other ops, so their gradients come from the primitives'.
 */
import { apply, constant } from '../autograd/apply.js';
import { runBackward } from '../autograd/backward.js';
import { noGrad } from '../autograd/grad-mode.js';
import { tidy } from './memory.js';
import * as F from '../autograd/functions/index.js';
import type { BackendName, Conv2dSpec, Pool2dSpec } from './backend.js';
import type { DType } from './dtype.js';
import { backend, withBackend } from './engine.js';
import { expand as rawExpand, reduceAxes, view } from './raw-ops.js';
import { rngFor } from './random.js';
import {
  assertValidShape, broadcastShapes, fmt, inferReshape, normalizeAxes, normalizeAxis, shapesEqual, sizeOf, squeezeAxes, type Shape,
} from './shape.js';
import { Tensor, type TensorOrScalar } from './tensor.js';

/** Largest finite float32: stands in for ±∞ in kernels (some backends mishandle infinite literals). */
const F32_MAX = 3.4028234663852886e38;

function assertTensor(op: string, x: unknown, arg = 'input'): asserts x is Tensor {
  if (!(x instanceof Tensor)) throw new Error(`${op}: ${arg} must be a Tensor, got ${x === null ? 'null' : typeof x}`);
  x.storageFor(op);
}

function assertFloat(op: string, x: Tensor, arg = 'input'): void {
  if (x.dtype !== 'float32') throw new Error(`${op}: ${arg} must be float32, got ${x.dtype} of shape ${fmt(x.shape)}`);
}

function assertNumber(op: string, v: unknown, arg: string): asserts v is number {
  if (typeof v !== 'number' || Number.isNaN(v)) throw new Error(`${op}: ${arg} must be a number, got ${String(v)}`);
}

/** A 0-d tensor of value v on the current backend (to mix numbers into tensor ops). */
function scalarTensor(v: number, dtype: DType = 'float32'): Tensor {
  return Tensor.fromRaw(backend().fill([], v, dtype));
}

// ---- autograd entry ----

/** Called by Tensor.backward. */
export function backwardHook(t: Tensor, dy: Tensor | undefined, opts: { retainGraph?: boolean }): void {
  runBackward(t, dy, opts);
}

// ---- broadcasting ----

/** Brings a tensor to `shape` by the differentiable Expand (identity when already there). */
export function broadcastTo(x: Tensor, shape: Shape): Tensor {
  if (shapesEqual(x.shape, shape)) return x;
  broadcastShapes('expand', x.shape, shape);
  const lead = shape.length - x.rank;
  const r = lead > 0 ? reshape(x, [...new Array(lead).fill(1), ...x.shape]) : x;
  if (shapesEqual(r.shape, shape)) return r;
  return apply(new F.Expand(shape), r);
}

function broadcastPair(op: string, a: Tensor, b: Tensor): [Tensor, Tensor] {
  const shape = broadcastShapes(op, a.shape, b.shape);
  return [broadcastTo(a, shape), broadcastTo(b, shape)];
}

// ---- element-wise: binary ----

type BinaryFnClass = new () => F.Add | F.Sub | F.Mul | F.Div | F.Pow | F.Maximum | F.Minimum;

function binary(op: string, Fn: BinaryFnClass, a: TensorOrScalar, b: TensorOrScalar): Tensor {
  if (typeof a === 'number') {
    assertTensor(op, b, 'other');
    a = scalarTensor(a, b.dtype === 'int32' && Number.isInteger(a) ? 'int32' : 'float32');
  }
  assertTensor(op, a, 'input');
  if (typeof b === 'number') b = scalarTensor(b, a.dtype === 'int32' && Number.isInteger(b) ? 'int32' : 'float32');
  assertTensor(op, b, 'other');
  if (Fn === F.Add || Fn === F.Sub || Fn === F.Mul || Fn === F.Div) {
    // NOTE: these primitives broadcast in the backend (no Expand copies); operands only get a common rank.
    const shape = broadcastShapes(op, a.shape, b.shape);
    const lift = (t: Tensor) => (t.rank < shape.length ? reshape(t, [...new Array<number>(shape.length - t.rank).fill(1), ...t.shape]) : t);
    return apply(new Fn(), lift(a), lift(b));
  }
  const [x, y] = broadcastPair(op, a, b);
  return apply(new Fn(), x, y);
}

/** a + b, broadcasting. */
export function add(a: TensorOrScalar, b: TensorOrScalar): Tensor {
  if (a instanceof Tensor && typeof b === 'number') {
    assertNumber('add', b, 'other');
    return apply(new F.AddScalar(b), a);
  }
  return binary('add', F.Add, a, b);
}
/** a − b, broadcasting. */
export function sub(a: TensorOrScalar, b: TensorOrScalar): Tensor {
  if (a instanceof Tensor && typeof b === 'number') {
    assertNumber('sub', b, 'other');
    return apply(new F.AddScalar(-b), a);
  }
  return binary('sub', F.Sub, a, b);
}
/** a · b, broadcasting. */
export function mul(a: TensorOrScalar, b: TensorOrScalar): Tensor {
  if (a instanceof Tensor && typeof b === 'number') {
    assertNumber('mul', b, 'other');
    return apply(new F.MulScalar(b), a);
  }
  return binary('mul', F.Mul, a, b);
}
/** a / b, broadcasting (true division, float32 result). */
export function div(a: TensorOrScalar, b: TensorOrScalar): Tensor {
  if (a instanceof Tensor && typeof b === 'number' && a.dtype === 'float32') {
    assertNumber('div', b, 'other');
    return apply(new F.MulScalar(1 / b), a);
  }
  return binary('div', F.Div, a, b);
}
/** aᵇ, broadcasting. A number base must be positive when the exponent is a tensor. */
export function pow(a: TensorOrScalar, b: TensorOrScalar): Tensor {
  if (a instanceof Tensor && typeof b === 'number') {
    assertNumber('pow', b, 'exponent');
    return apply(new F.PowScalar(b), a);
  }
  if (typeof a === 'number' && b instanceof Tensor) {
    if (!(a > 0)) throw new Error(`pow: a number base with a tensor exponent must be positive, got ${a}`);
    return apply(new F.RpowScalar(a), b);
  }
  return binary('pow', F.Pow, a, b);
}
/** Element-wise maximum; ties split the gradient. */
export function maximum(a: TensorOrScalar, b: TensorOrScalar): Tensor {
  return binary('maximum', F.Maximum, a, b);
}
/** Element-wise minimum; ties split the gradient. */
export function minimum(a: TensorOrScalar, b: TensorOrScalar): Tensor {
  return binary('minimum', F.Minimum, a, b);
}

// ---- element-wise: unary ----

function unary(op: string, fn: F.Neg | F.Exp | F.Log | F.Sqrt | F.Rsqrt | F.Abs | F.Square | F.Relu | F.Gelu | F.Sigmoid | F.Tanh, x: Tensor): Tensor {
  assertTensor(op, x);
  return apply(fn, x);
}
export function neg(x: Tensor): Tensor { return unary('neg', new F.Neg(), x); }
export function exp(x: Tensor): Tensor { return unary('exp', new F.Exp(), x); }
export function log(x: Tensor): Tensor { return unary('log', new F.Log(), x); }
export function sqrt(x: Tensor): Tensor { return unary('sqrt', new F.Sqrt(), x); }
export function rsqrt(x: Tensor): Tensor { return unary('rsqrt', new F.Rsqrt(), x); }
export function abs(x: Tensor): Tensor { return unary('abs', new F.Abs(), x); }
export function square(x: Tensor): Tensor { return unary('square', new F.Square(), x); }
export function relu(x: Tensor): Tensor { return unary('relu', new F.Relu(), x); }
/** Exact (erf) GELU, PyTorch's default. */
export function gelu(x: Tensor): Tensor { return unary('gelu', new F.Gelu(), x); }
export function sigmoid(x: Tensor): Tensor { return unary('sigmoid', new F.Sigmoid(), x); }
export function tanh(x: Tensor): Tensor { return unary('tanh', new F.Tanh(), x); }

/** Clamps into [min, max]; either bound may be omitted. */
export function clamp(x: Tensor, min?: number, max?: number): Tensor {
  assertTensor('clamp', x);
  if (min === undefined && max === undefined) throw new Error('clamp: at least one of min and max must be given');
  if (min !== undefined) assertNumber('clamp', min, 'min');
  if (max !== undefined) assertNumber('clamp', max, 'max');
  return apply(new F.Clamp(min ?? -F32_MAX, max ?? F32_MAX), x);
}

/** Converts the dtype (float → int truncates toward zero). Not differentiable. */
export function cast(x: Tensor, dtype: DType): Tensor {
  assertTensor('cast', x);
  if (x.dtype === dtype) return x;
  return constant('cast', [x], () => backend().cast(x, dtype));
}

// ---- comparisons (masks, not differentiable) ----

function compare(op: 'eq' | 'ne' | 'lt' | 'le' | 'gt' | 'ge', a: TensorOrScalar, b: TensorOrScalar): Tensor {
  if (typeof a === 'number') {
    const flip = { eq: 'eq', ne: 'ne', lt: 'gt', le: 'ge', gt: 'lt', ge: 'le' } as const;
    return compare(flip[op], b, a);
  }
  assertTensor(op, a);
  if (typeof b === 'number') {
    assertNumber(op, b, 'other');
    return constant(op, [a], () => backend().unary(`${op}Scalar`, a, b));
  }
  assertTensor(op, b, 'other');
  const shape = broadcastShapes(op, a.shape, b.shape);
  return constant(op, [a, b], () => {
    const bk = backend();
    const x = rawExpand(bk, a, shape);
    const y = rawExpand(bk, b, shape);
    const out = bk.binary(op, x, y);
    x.dispose();
    y.dispose();
    return out;
  });
}
/** 1 where a = b, else 0 (float32 mask). Not differentiable. */
export function eq(a: TensorOrScalar, b: TensorOrScalar): Tensor { return compare('eq', a, b); }
export function ne(a: TensorOrScalar, b: TensorOrScalar): Tensor { return compare('ne', a, b); }
export function lt(a: TensorOrScalar, b: TensorOrScalar): Tensor { return compare('lt', a, b); }
export function le(a: TensorOrScalar, b: TensorOrScalar): Tensor { return compare('le', a, b); }
export function gt(a: TensorOrScalar, b: TensorOrScalar): Tensor { return compare('gt', a, b); }
export function ge(a: TensorOrScalar, b: TensorOrScalar): Tensor { return compare('ge', a, b); }

/** cond ? a : b element-wise, broadcasting all three; cond is a mask (non-zero = true). */
export function where(cond: Tensor, a: TensorOrScalar, b: TensorOrScalar): Tensor {
  assertTensor('where', cond, 'condition');
  if (typeof a === 'number') a = scalarTensor(a);
  if (typeof b === 'number') b = scalarTensor(b);
  assertTensor('where', a, 'input');
  assertTensor('where', b, 'other');
  const shape = broadcastShapes('where', broadcastShapes('where', cond.shape, a.shape), b.shape);
  const c = cond.requiresGrad ? cond.detach() : cond;
  return apply(new F.Where(), broadcastTo(c, shape), broadcastTo(a, shape), broadcastTo(b, shape));
}

// ---- reductions ----

/** Σ over `axis` (all axes when omitted). */
export function sum(x: Tensor, axis?: number | readonly number[], keepdim = false): Tensor {
  assertTensor('sum', x);
  return apply(new F.Sum(normalizeAxes('sum', axis, x.rank), keepdim), x);
}

/** Mean over `axis` (all axes when omitted). */
export function mean(x: Tensor, axis?: number | readonly number[], keepdim = false): Tensor {
  assertTensor('mean', x);
  const axes = normalizeAxes('mean', axis, x.rank);
  const n = axes.reduce((acc, a) => acc * x.shape[a], 1);
  if (n === 0) throw new Error(`mean: cannot average over an empty axis of shape ${fmt(x.shape)}`);
  return mul(sum(cast(x, 'float32'), axes, keepdim), 1 / n);
}

/** Largest value over `axis` (values only, like torch.amax); ties split the gradient. */
export function max(x: Tensor, axis?: number | readonly number[], keepdim = false): Tensor {
  assertTensor('max', x);
  if (x.size === 0) throw new Error(`max: the tensor of shape ${fmt(x.shape)} is empty`);
  return apply(new F.MaxMin('max', normalizeAxes('max', axis, x.rank), keepdim), x);
}

/** Smallest value over `axis` (values only, like torch.amin); ties split the gradient. */
export function min(x: Tensor, axis?: number | readonly number[], keepdim = false): Tensor {
  assertTensor('min', x);
  if (x.size === 0) throw new Error(`min: the tensor of shape ${fmt(x.shape)} is empty`);
  return apply(new F.MaxMin('min', normalizeAxes('min', axis, x.rank), keepdim), x);
}

function argExtreme(op: 'argmax' | 'argmin', x: Tensor, axis: number | undefined, keepdim: boolean): Tensor {
  assertTensor(op, x);
  if (x.size === 0) throw new Error(`${op}: the tensor of shape ${fmt(x.shape)} is empty`);
  if (axis === undefined) {
    const flat = reshape(x.detach(), [x.size]);
    return argExtreme(op, flat, 0, false);
  }
  const a = normalizeAxis(op, axis, x.rank);
  return constant(op, [x], () => {
    const bk = backend();
    const r = reduceAxes(bk, op, x, x.rank === 0 ? [] : [a]);
    const out = view(r, keepdim ? r.shape : squeezeAxes(r.shape, x.rank === 0 ? [] : [a]));
    r.dispose();
    return out;
  });
}
/** Index of the first largest value along `axis` (over the flattened tensor when omitted); int32. Not differentiable. */
export function argmax(x: Tensor, axis?: number, keepdim = false): Tensor { return argExtreme('argmax', x, axis, keepdim); }
/** Index of the first smallest value along `axis`; int32. Not differentiable. */
export function argmin(x: Tensor, axis?: number, keepdim = false): Tensor { return argExtreme('argmin', x, axis, keepdim); }

/** log Σ exp over `axis`, computed as m + log Σ exp(x − m) with m = max (detached). */
export function logsumexp(x: Tensor, axis: number | readonly number[], keepdim = false): Tensor {
  assertTensor('logsumexp', x);
  const axes = normalizeAxes('logsumexp', axis, x.rank);
  const m = max(x.detach(), axes, true);
  const s = sum(exp(sub(x, m)), axes, true);
  const out = add(log(s), m);
  return keepdim ? out : reshape(out, squeezeAxes(x.shape, axes));
}

/** Variance over `axis` with Bessel's correction by default (PyTorch: correction = 1). */
export function variance(x: Tensor, axis?: number | readonly number[], opts: { correction?: number; keepdim?: boolean } = {}): Tensor {
  assertTensor('var', x);
  const axes = normalizeAxes('var', axis, x.rank);
  const n = axes.reduce((acc, a) => acc * x.shape[a], 1);
  const correction = opts.correction ?? 1;
  if (n - correction <= 0) throw new Error(`var: ${n} element(s) over the reduced axes of ${fmt(x.shape)} with correction ${correction} leave no degrees of freedom`);
  const mu = mean(x, axes, true);
  const d2 = square(sub(x, mu));
  return mul(sum(d2, axes, opts.keepdim ?? false), 1 / (n - correction));
}

/** L2 norm over `axis` (all axes when omitted); its gradient at a zero vector is 0. */
export function norm(x: Tensor, axis?: number | readonly number[], keepdim = false): Tensor {
  assertTensor('norm', x);
  assertFloat('norm', x);
  return apply(new F.Norm(normalizeAxes('norm', axis, x.rank), keepdim), x);
}

/** softmax along `axis`. */
export function softmax(x: Tensor, axis: number): Tensor {
  assertTensor('softmax', x);
  assertFloat('softmax', x);
  if (x.rank === 0) return apply(new F.Softmax(0), reshape(x, [1])).reshape([]);
  return apply(new F.Softmax(normalizeAxis('softmax', axis, x.rank)), x);
}

/** log softmax along `axis`. */
export function logSoftmax(x: Tensor, axis: number): Tensor {
  assertTensor('logSoftmax', x);
  assertFloat('logSoftmax', x);
  if (x.rank === 0) return apply(new F.LogSoftmax(0), reshape(x, [1])).reshape([]);
  return apply(new F.LogSoftmax(normalizeAxis('logSoftmax', axis, x.rank)), x);
}

// ---- movement ----

/** Same values, new shape (one entry may be −1). Shares storage. */
export function reshape(x: Tensor, shape: readonly number[]): Tensor {
  assertTensor('reshape', x);
  const target = inferReshape('reshape', x.shape, shape);
  if (shapesEqual(target, x.shape)) return x;
  return apply(new F.Reshape(target), x);
}

/** Reorders axes: out axis i is input axis perm[i]. */
export function permute(x: Tensor, perm: readonly number[]): Tensor {
  assertTensor('permute', x);
  if (perm.length !== x.rank) throw new Error(`permute: the permutation [${perm.join(', ')}] has ${perm.length} entries but the tensor has shape ${fmt(x.shape)}`);
  const p = perm.map((a) => normalizeAxis('permute', a, x.rank, 'dims'));
  if (new Set(p).size !== p.length) throw new Error(`permute: [${perm.join(', ')}] is not a permutation of the axes of ${fmt(x.shape)}`);
  if (p.every((v, i) => v === i)) return x;
  return apply(new F.Permute(p), x);
}

/** Swaps two axes. */
export function transpose(x: Tensor, dim0: number, dim1: number): Tensor {
  assertTensor('transpose', x);
  const a = normalizeAxis('transpose', dim0, x.rank, 'dim0');
  const b = normalizeAxis('transpose', dim1, x.rank, 'dim1');
  const perm = x.shape.map((_, i) => (i === a ? b : i === b ? a : i));
  return permute(x, perm);
}

/** Broadcasts to `shape` (−1 keeps a size); new axes go in front. */
export function expand(x: Tensor, shape: readonly number[]): Tensor {
  assertTensor('expand', x);
  const lead = shape.length - x.rank;
  if (lead < 0) throw new Error(`expand: the target ${fmt(shape)} has fewer axes than the tensor ${fmt(x.shape)}`);
  const target = shape.map((d, i) => (d === -1 ? (i < lead ? -1 : x.shape[i - lead]) : d));
  target.forEach((d, i) => {
    if (d < 0) throw new Error(`expand: −1 is not allowed for the new leading axis ${i} of ${fmt(shape)}`);
    if (i >= lead && x.shape[i - lead] !== 1 && x.shape[i - lead] !== d) {
      throw new Error(`expand: cannot expand ${fmt(x.shape)} to ${fmt(shape)}: axis ${i} has size ${x.shape[i - lead]} (only size-1 axes expand)`);
    }
  });
  return broadcastTo(x, target);
}

/** Removes size-1 axes (all of them, or those named). */
export function squeeze(x: Tensor, axis?: number | readonly number[]): Tensor {
  assertTensor('squeeze', x);
  const axes = axis === undefined ? x.shape.map((_, i) => i).filter((i) => x.shape[i] === 1) : normalizeAxes('squeeze', axis, x.rank).filter((a) => x.shape[a] === 1);
  return reshape(x, squeezeAxes(x.shape, axes));
}

/** Inserts a size-1 axis at `axis` (−1 appends). */
export function unsqueeze(x: Tensor, axis: number): Tensor {
  assertTensor('unsqueeze', x);
  const a = normalizeAxis('unsqueeze', axis, x.rank + 1);
  return reshape(x, [...x.shape.slice(0, a), 1, ...x.shape.slice(a)]);
}

/** Merges axes startDim..endDim into one. */
export function flatten(x: Tensor, startDim = 0, endDim = -1): Tensor {
  assertTensor('flatten', x);
  if (x.rank === 0) return reshape(x, [1]);
  const s = normalizeAxis('flatten', startDim, x.rank, 'startDim');
  const e = normalizeAxis('flatten', endDim, x.rank, 'endDim');
  if (s > e) throw new Error(`flatten: startDim ${startDim} comes after endDim ${endDim} for shape ${fmt(x.shape)}`);
  return reshape(x, [...x.shape.slice(0, s), sizeOf(x.shape.slice(s, e + 1)), ...x.shape.slice(e + 1)]);
}

/** Python-style slice along one axis: start, end (exclusive) and step may be negative/omitted; step > 0. */
export function slice(x: Tensor, axis: number, start?: number, end?: number, step = 1): Tensor {
  assertTensor('slice', x);
  const a = normalizeAxis('slice', axis, x.rank);
  if (!Number.isInteger(step) || step <= 0) throw new Error(`slice: step must be a positive integer, got ${step}`);
  const d = x.shape[a];
  const norm = (v: number | undefined, dflt: number) => {
    if (v === undefined) return dflt;
    if (!Number.isInteger(v)) throw new Error(`slice: start and end must be integers, got ${v}`);
    const w = v < 0 ? v + d : v;
    return Math.min(Math.max(w, 0), d);
  };
  const s = norm(start, 0);
  const e = Math.max(norm(end, d), s);
  const n = Math.ceil((e - s) / step);
  if (s === 0 && n === d && step === 1) return x;
  const starts = x.shape.map((_, i) => (i === a ? s : 0));
  const sizes = x.shape.map((v, i) => (i === a ? n : v));
  const steps = x.shape.map((_, i) => (i === a ? step : 1));
  return apply(new F.Slice(starts, sizes, steps), x);
}

/** `length` entries along `axis` from `start` (PyTorch narrow; start may be negative). */
export function narrow(x: Tensor, axis: number, start: number, length: number): Tensor {
  assertTensor('narrow', x);
  const a = normalizeAxis('narrow', axis, x.rank);
  const d = x.shape[a];
  const s = start < 0 ? start + d : start;
  if (!Number.isInteger(s) || !Number.isInteger(length) || s < 0 || length < 0 || s + length > d) {
    throw new Error(`narrow: start ${start} and length ${length} do not fit axis ${axis} of size ${d} (shape ${fmt(x.shape)})`);
  }
  return slice(x, a, s, s + length);
}

/**
 * Constant padding, in PyTorch's F.pad order: [left, right] for the last axis, then [top, bottom]
 * for the one before, and so on. Negative pads are not supported (use slice).
 */
export function pad(x: Tensor, pads: readonly number[], value = 0): Tensor {
  assertTensor('pad', x);
  if (pads.length % 2 !== 0 || pads.length / 2 > x.rank) {
    throw new Error(`pad: pads must hold pairs for at most ${x.rank} axes (last axis first), got [${pads.join(', ')}] for shape ${fmt(x.shape)}`);
  }
  if (pads.some((p) => !Number.isInteger(p) || p < 0)) throw new Error(`pad: pads must be non-negative integers, got [${pads.join(', ')}]`);
  const per: [number, number][] = x.shape.map(() => [0, 0]);
  for (let i = 0; i < pads.length / 2; i++) per[x.rank - 1 - i] = [pads[2 * i], pads[2 * i + 1]];
  if (per.every((p) => p[0] === 0 && p[1] === 0)) return x;
  return apply(new F.Pad(per, value), x);
}

/** Concatenates along `axis`; every other axis must match. */
export function cat(xs: readonly Tensor[], axis = 0): Tensor {
  if (!xs || typeof xs.length !== 'number' || xs.length === 0) throw new Error('cat: expected a non-empty array of tensors');
  xs.forEach((x, i) => assertTensor('cat', x, `tensors[${i}]`));
  const ref = xs[0];
  const a = normalizeAxis('cat', axis, ref.rank);
  for (let i = 1; i < xs.length; i++) {
    const s = xs[i].shape;
    if (s.length !== ref.rank || s.some((d, j) => j !== a && d !== ref.shape[j])) {
      throw new Error(`cat: tensors[${i}] has shape ${fmt(s)} but tensors[0] has ${fmt(ref.shape)}; all axes but ${a} must match`);
    }
    if (xs[i].dtype !== ref.dtype) throw new Error(`cat: tensors[${i}] is ${xs[i].dtype} but tensors[0] is ${ref.dtype}`);
  }
  if (xs.length === 1) return xs[0];
  return apply(new F.Cat(a), ...xs);
}

/** Stacks equal-shaped tensors along a new axis. */
export function stack(xs: readonly Tensor[], axis = 0): Tensor {
  if (!xs || typeof xs.length !== 'number' || xs.length === 0) throw new Error('stack: expected a non-empty array of tensors');
  xs.forEach((x, i) => {
    assertTensor('stack', x, `tensors[${i}]`);
    if (!shapesEqual(x.shape, xs[0].shape)) throw new Error(`stack: tensors[${i}] has shape ${fmt(x.shape)} but tensors[0] has ${fmt(xs[0].shape)}`);
  });
  const a = normalizeAxis('stack', axis, xs[0].rank + 1);
  return cat(xs.map((x) => unsqueeze(x, a)), a);
}

/** Tiles the tensor: sizes[i] copies along axis i (leading sizes add axes), as torch.Tensor.repeat. */
export function repeat(x: Tensor, sizes: readonly number[]): Tensor {
  assertTensor('repeat', x);
  if (sizes.length < x.rank) throw new Error(`repeat: ${sizes.length} repeat counts for a tensor of shape ${fmt(x.shape)}; need at least ${x.rank}`);
  if (sizes.some((s) => !Number.isInteger(s) || s < 0)) throw new Error(`repeat: counts must be non-negative integers, got [${sizes.join(', ')}]`);
  const lead = sizes.length - x.rank;
  const base = [...new Array(lead).fill(1), ...x.shape];
  // per repeated axis: [.., d, ..] → [.., 1, d, ..] → expand [.., r, d, ..] → [.., r·d, ..]
  let y = reshape(x, base);
  for (let i = 0; i < base.length; i++) {
    const r = sizes[i];
    if (r === 1) continue;
    const s = y.shape;
    const inter = [...s.slice(0, i), 1, ...s.slice(i)];
    const wide = [...s.slice(0, i), r, ...s.slice(i)];
    y = reshape(expand(reshape(y, inter), wide), [...s.slice(0, i), r * s[i], ...s.slice(i + 1)]);
  }
  return y;
}

function assertIndex(op: string, index: Tensor): void {
  assertTensor(op, index, 'index');
  if (index.dtype !== 'int32') throw new Error(`${op}: index must be an int32 tensor, got ${index.dtype} of shape ${fmt(index.shape)}`);
}

/** out[.., j, ..] = x[.., index[.., j, ..], ..] along `axis` (index has x's shape except along axis). */
export function gather(x: Tensor, axis: number, index: Tensor): Tensor {
  assertTensor('gather', x);
  assertIndex('gather', index);
  const a = normalizeAxis('gather', axis, x.rank);
  if (index.rank !== x.rank || index.shape.some((d, i) => i !== a && d !== x.shape[i])) {
    throw new Error(`gather: index of shape ${fmt(index.shape)} must match the input ${fmt(x.shape)} on every axis but ${a}`);
  }
  checkRange('gather', index, x.shape[a]);
  return apply(new F.Gather(a), x, index.requiresGrad ? index.detach() : index);
}

/** Selects entries along `axis` by a 1-D int32 index (torch.index_select). */
export function indexSelect(x: Tensor, axis: number, index: Tensor): Tensor {
  assertTensor('indexSelect', x);
  assertIndex('indexSelect', index);
  if (index.rank !== 1) throw new Error(`indexSelect: index must be 1-D, got shape ${fmt(index.shape)}`);
  const a = normalizeAxis('indexSelect', axis, x.rank);
  checkRange('indexSelect', index, x.shape[a]);
  const shape = x.shape.map((d, i) => (i === a ? index.shape[0] : d));
  const idxShape = x.shape.map((_, i) => (i === a ? index.shape[0] : 1));
  const full = constant('indexSelect', [index], () => rawExpand(backend(), view(index, idxShape), shape));
  const out = gather(x, a, full);
  full.dispose();
  return out;
}

/**
 * One-hot encoding of int32 labels: float32 [..., numClasses]. Not differentiable. Labels must lie in
 * [0, numClasses) or equal `ignoreIndex`, whose rows are all zero.
 */
export function oneHot(labels: Tensor, numClasses: number, opts: { ignoreIndex?: number } = {}): Tensor {
  assertIndex('oneHot', labels);
  if (!Number.isInteger(numClasses) || numClasses <= 0) throw new Error(`oneHot: numClasses must be a positive integer, got ${numClasses}`);
  checkRange('oneHot', labels, numClasses, opts.ignoreIndex);
  return constant('oneHot', [labels], () => backend().oneHot(labels, numClasses));
}

/** Checks host-known label values against [0, n) (for tensors made from host data). */
function checkRange(op: string, index: Tensor, n: number, ignore?: number): void {
  const r = index.valueRange;
  if (!r) return;
  const [lo, hi] = r;
  if ((lo < 0 && lo !== ignore) || (hi >= n && hi !== ignore)) {
    throw new Error(`${op}: index values must lie in [0, ${n})${ignore !== undefined ? ` or equal ignoreIndex ${ignore}` : ''}, but they range over [${lo}, ${hi}]`);
  }
}

// ---- linear algebra ----

/** Which operands `matmul` reads transposed (their last two axes swapped). */
export interface MatmulOptions {
  transA?: boolean;
  transB?: boolean;
}

/**
 * Matrix product with PyTorch semantics: 1-D operands are promoted, batch axes broadcast.
 * `transA` / `transB` (as tf.matMul's) multiply by an operand's transpose without copying it:
 * matmul(x, w, { transB: true }) = x·wᵀ.
 */
export function matmul(a: Tensor, b: Tensor, opts: MatmulOptions = {}): Tensor {
  assertTensor('matmul', a);
  assertTensor('matmul', b, 'other');
  assertFloat('matmul', a);
  assertFloat('matmul', b, 'other');
  if (a.rank === 0 || b.rank === 0) throw new Error(`matmul: both arguments need at least one axis, got ${fmt(a.shape)} and ${fmt(b.shape)}`);
  const tA = opts.transA ?? false;
  const tB = opts.transB ?? false;
  if ((tA && a.rank < 2) || (tB && b.rank < 2)) {
    throw new Error(`matmul: transA / transB need an operand with at least two axes, got ${fmt(a.shape)} (transA ${tA}) and ${fmt(b.shape)} (transB ${tB})`);
  }
  const a2 = a.rank === 1 ? reshape(a, [1, a.shape[0]]) : a;
  const b2 = b.rank === 1 ? reshape(b, [b.shape[0], 1]) : b;
  const aMat = a2.shape.slice(-2);
  const bMat = b2.shape.slice(-2);
  const [M, K] = tA ? [aMat[1], aMat[0]] : aMat;
  const [K2, N] = tB ? [bMat[1], bMat[0]] : bMat;
  if (K !== K2) throw new Error(`matmul: inner dimensions must match, got ${fmt(a.shape)} and ${fmt(b.shape)}${tA || tB ? ` (transA ${tA}, transB ${tB})` : ''}`);
  const batchA = a2.shape.slice(0, -2);
  const batchB = b2.shape.slice(0, -2);
  const batch = broadcastShapes('matmul', batchA, batchB);
  const Bt = sizeOf(batch);
  let out: Tensor;
  if (sizeOf(batchB) === 1 && !tA) {
    // b is one matrix: fold a's batch into its rows.
    const A = batch.length > 0 ? reshape(broadcastTo(a2, [...batch, M, K]), [Bt * M, K]) : a2;
    const y = apply(new F.Matmul(false, tB), A, reshape(b2, bMat));
    out = reshape(y, [...batch, M, N]);
  } else {
    // NOTE: an operand with a single matrix is shared by every batch (batch stride 0), not copied.
    const A = sizeOf(batchA) === 1 ? reshape(a2, aMat) : reshape(broadcastTo(a2, [...batch, ...aMat]), [Bt, ...aMat]);
    const B = sizeOf(batchB) === 1 ? reshape(b2, bMat) : reshape(broadcastTo(b2, [...batch, ...bMat]), [Bt, ...bMat]);
    out = reshape(apply(new F.Matmul(tA, tB), A, B), [...batch, M, N]);
  }
  if (a.rank === 1) out = squeeze(out, -2);
  if (b.rank === 1) out = squeeze(out, -1);
  return out;
}

// ---- convolution and pooling ----

function pair(op: string, v: number | readonly number[], arg: string, min: number): [number, number] {
  const p = typeof v === 'number' ? [v, v] : [...v];
  if (p.length !== 2 || p.some((x) => !Number.isInteger(x) || x < min)) {
    throw new Error(`${op}: ${arg} must be an integer ≥ ${min} or a pair of them, got ${JSON.stringify(v)}`);
  }
  return p as [number, number];
}

export interface Conv2dOptions {
  stride?: number | readonly number[];
  padding?: number | readonly number[];
  dilation?: number | readonly number[];
  groups?: number;
}

/** 2-D convolution (cross-correlation), x [N, Cin, H, W], weight [Cout, Cin/groups, kh, kw], bias [Cout]. */
export function conv2d(x: Tensor, weight: Tensor, bias?: Tensor | null, opts: Conv2dOptions = {}): Tensor {
  assertTensor('conv2d', x);
  assertTensor('conv2d', weight, 'weight');
  assertFloat('conv2d', x);
  if (x.rank !== 4) throw new Error(`conv2d: input must be 4-D [N, C, H, W], got ${fmt(x.shape)}`);
  if (weight.rank !== 4) throw new Error(`conv2d: weight must be 4-D [Cout, Cin/groups, kh, kw], got ${fmt(weight.shape)}`);
  const [sH, sW] = pair('conv2d', opts.stride ?? 1, 'stride', 1);
  const [pH, pW] = pair('conv2d', opts.padding ?? 0, 'padding', 0);
  const [dH, dW] = pair('conv2d', opts.dilation ?? 1, 'dilation', 1);
  const groups = opts.groups ?? 1;
  const [N, Cin, H, W] = x.shape;
  const [Cout, cinG, kh, kw] = weight.shape;
  if (!Number.isInteger(groups) || groups < 1 || Cin % groups !== 0 || Cout % groups !== 0) {
    throw new Error(`conv2d: groups=${groups} must divide both input channels ${Cin} and output channels ${Cout}`);
  }
  if (cinG !== Cin / groups) {
    throw new Error(`conv2d: weight ${fmt(weight.shape)} expects ${cinG * groups} input channels with groups=${groups}, but the input ${fmt(x.shape)} has ${Cin}`);
  }
  const OH = Math.floor((H + 2 * pH - dH * (kh - 1) - 1) / sH) + 1;
  const OW = Math.floor((W + 2 * pW - dW * (kw - 1) - 1) / sW) + 1;
  if (OH <= 0 || OW <= 0) {
    throw new Error(`conv2d: the input ${fmt(x.shape)} is too small for kernel ${kh}×${kw} with padding ${pH},${pW} and dilation ${dH},${dW}`);
  }
  const spec: Conv2dSpec = { N, Cin, H, W, Cout, kh, kw, OH, OW, strideH: sH, strideW: sW, padH: pH, padW: pW, dilationH: dH, dilationW: dW, groups };
  if (bias === undefined || bias === null) return apply(new F.Conv2d(spec), x, weight);
  assertTensor('conv2d', bias, 'bias');
  if (bias.rank !== 1 || bias.shape[0] !== Cout) throw new Error(`conv2d: bias must have shape [${Cout}], got ${fmt(bias.shape)}`);
  return apply(new F.Conv2d(spec), x, weight, bias);
}

export interface Pool2dOptions {
  stride?: number | readonly number[];
  padding?: number | readonly number[];
}

function pool(op: 'avg' | 'max', x: Tensor, kernelSize: number | readonly number[], opts: Pool2dOptions): Tensor {
  const name = `${op}Pool2d`;
  assertTensor(name, x);
  assertFloat(name, x);
  if (x.rank !== 4) throw new Error(`${name}: input must be 4-D [N, C, H, W], got ${fmt(x.shape)}`);
  const [kh, kw] = pair(name, kernelSize, 'kernelSize', 1);
  const [sH, sW] = pair(name, opts.stride ?? [kh, kw], 'stride', 1);
  const [pH, pW] = pair(name, opts.padding ?? 0, 'padding', 0);
  if (pH > kh / 2 || pW > kw / 2) throw new Error(`${name}: padding ${pH},${pW} must be at most half the kernel ${kh}×${kw}`);
  const [N, C, H, W] = x.shape;
  const OH = Math.floor((H + 2 * pH - kh) / sH) + 1;
  const OW = Math.floor((W + 2 * pW - kw) / sW) + 1;
  if (OH <= 0 || OW <= 0) throw new Error(`${name}: the input ${fmt(x.shape)} is smaller than the kernel ${kh}×${kw}`);
  const spec: Pool2dSpec = { N, C, H, W, OH, OW, kh, kw, strideH: sH, strideW: sW, padH: pH, padW: pW };
  return apply(new F.Pool2d(op, spec), x);
}

/** Average pooling (padded cells count as zeros: count_include_pad=True). */
export function avgPool2d(x: Tensor, kernelSize: number | readonly number[], opts: Pool2dOptions = {}): Tensor {
  return pool('avg', x, kernelSize, opts);
}
/** Max pooling. */
export function maxPool2d(x: Tensor, kernelSize: number | readonly number[], opts: Pool2dOptions = {}): Tensor {
  return pool('max', x, kernelSize, opts);
}

// ---- resampling ----

export interface InterpolateOptions {
  size?: number | readonly number[];
  scaleFactor?: number | readonly number[];
  mode?: 'bilinear' | 'nearest';
  alignCorners?: boolean;
}

/**
 * The [out, in] matrix of one axis of a resampling, with PyTorch's source-index rules:
 * nearest: src = min(floor(dst·scale), in−1); bilinear with alignCorners: src = dst·(in−1)/(out−1);
 * bilinear without: src = max((dst+0.5)·scale − 0.5, 0); scale = in/out, or 1/scaleFactor if given.
 */
export function resampleMatrix(inSize: number, outSize: number, mode: 'bilinear' | 'nearest', alignCorners: boolean, scaleFactor?: number): Float64Array {
  const m = new Float64Array(outSize * inSize);
  const scale = scaleFactor !== undefined ? 1 / scaleFactor : inSize / outSize;
  for (let o = 0; o < outSize; o++) {
    if (mode === 'nearest') {
      m[o * inSize + Math.min(Math.floor(o * scale), inSize - 1)] = 1;
      continue;
    }
    let src: number;
    if (alignCorners) src = outSize > 1 ? (o * (inSize - 1)) / (outSize - 1) : 0;
    else src = Math.max((o + 0.5) * scale - 0.5, 0);
    const i0 = Math.min(Math.floor(src), inSize - 1);
    const i1 = Math.min(i0 + 1, inSize - 1);
    const l1 = src - i0;
    m[o * inSize + i0] += 1 - l1;
    m[o * inSize + i1] += l1;
  }
  return m;
}

/**
 * Resizes the last two axes of x [N, C, H, W] (bilinear or nearest), as F.interpolate.
 * NOTE: each axis is a matrix product with a resampling matrix (Resample2d: one host launch over
 * the matrices' bands where the backend has one, else two matmuls), so the backward pass is the
 * same map with the transposed matrices.
 */
export function interpolate(x: Tensor, opts: InterpolateOptions): Tensor {
  assertTensor('interpolate', x);
  assertFloat('interpolate', x);
  if (x.rank !== 4) throw new Error(`interpolate: input must be 4-D [N, C, H, W], got ${fmt(x.shape)}`);
  const mode = opts.mode ?? 'nearest';
  if (mode !== 'bilinear' && mode !== 'nearest') throw new Error(`interpolate: mode must be 'bilinear' or 'nearest', got '${String(mode)}'`);
  if (mode === 'nearest' && opts.alignCorners) throw new Error("interpolate: alignCorners applies only to mode 'bilinear'");
  const [N, C, H, W] = x.shape;
  let OH: number, OW: number;
  let sfH: number | undefined, sfW: number | undefined;
  if (opts.size !== undefined) {
    if (opts.scaleFactor !== undefined) throw new Error('interpolate: give either size or scaleFactor, not both');
    [OH, OW] = pair('interpolate', opts.size, 'size', 1);
  } else if (opts.scaleFactor !== undefined) {
    const sf = typeof opts.scaleFactor === 'number' ? [opts.scaleFactor, opts.scaleFactor] : [...opts.scaleFactor];
    if (sf.length !== 2 || sf.some((v) => !(v > 0))) throw new Error(`interpolate: scaleFactor must be positive, got ${JSON.stringify(opts.scaleFactor)}`);
    [sfH, sfW] = sf;
    OH = Math.floor(H * sfH);
    OW = Math.floor(W * sfW);
  } else {
    throw new Error('interpolate: size or scaleFactor is required');
  }
  const align = opts.alignCorners ?? false;
  if (OH === H && OW === W && sfH === undefined) return x;
  const Rw = resampleMatrix(W, OW, mode, align, align ? undefined : sfW);
  const Rh = resampleMatrix(H, OH, mode, align, align ? undefined : sfH);
  return apply(new F.Resample2d(Rh, Rw, OH, OW), x);
}

// ---- normalisation, dropout ----

/** x / (‖x‖₂ + eps) along `axis` (eps added to the norm, as the SSA reference code does). */
export function normalize(x: Tensor, opts: { axis?: number; eps?: number } = {}): Tensor {
  assertTensor('normalize', x);
  assertFloat('normalize', x);
  const axis = normalizeAxis('normalize', opts.axis ?? 1, x.rank);
  const eps = opts.eps ?? 1e-12;
  assertNumber('normalize', eps, 'eps');
  return apply(new F.Normalize(axis, eps), x);
}

/**
 * Zeroes each element with probability p and scales the rest by 1/(1−p) (inverted dropout).
 * The mask is drawn on the host from the global generator (or `seed`), identical on every backend.
 */
export function dropout(x: Tensor, p = 0.5, opts: { training?: boolean; seed?: number } = {}): Tensor {
  assertTensor('dropout', x);
  if (!(p >= 0 && p <= 1)) throw new Error(`dropout: p must lie in [0, 1], got ${p}`);
  if (opts.training === false || p === 0) return x;
  const rng = rngFor(opts.seed);
  const mask = new Float32Array(x.size);
  const keepScale = p === 1 ? 0 : 1 / (1 - p);
  for (let i = 0; i < mask.length; i++) mask[i] = rng.next() >= p ? keepScale : 0;
  return mul(x, tensor(mask, x.shape));
}

export interface BatchNormOptions {
  /** Batch statistics (and running-average updates) when true; running statistics when false. Default true. */
  training?: boolean;
  /** Weight of the new batch statistic in the running averages (PyTorch's momentum), default 0.1. */
  momentum?: number;
  eps?: number;
}

/**
 * Batch normalisation over axis 1 of x [N, C, ...], as torch.nn.functional.batch_norm. Training
 * normalises with the batch mean and biased variance and, when running tensors are given, updates
 * them in place: r ← (1 − m)·r + m·s, with the unbiased variance. Evaluation uses the running
 * statistics. weight and bias (size C) may be null (1 and 0). One graph node (see F.BatchNorm).
 */
export function batchNorm(
  x: Tensor,
  runningMean: Tensor | null,
  runningVar: Tensor | null,
  weight: Tensor | null,
  bias: Tensor | null,
  opts: BatchNormOptions = {},
): Tensor {
  assertTensor('batchNorm', x);
  assertFloat('batchNorm', x);
  if (x.rank < 2) throw new Error(`batchNorm: input must be [N, C, ...], got ${fmt(x.shape)}`);
  const C = x.shape[1];
  const args = { runningMean, runningVar, weight, bias };
  for (const [name, t] of Object.entries(args)) {
    if (t === null) continue;
    assertTensor('batchNorm', t, name);
    if (t.rank !== 1 || t.shape[0] !== C) throw new Error(`batchNorm: ${name} must have shape [${C}] (one value per channel of the input ${fmt(x.shape)}), got ${fmt(t.shape)}`);
  }
  const training = opts.training ?? true;
  const eps = opts.eps ?? 1e-5;
  const momentum = opts.momentum ?? 0.1;
  if (!training && (!runningMean || !runningVar)) throw new Error('batchNorm: evaluation (training: false) needs runningMean and runningVar');
  const n = x.size / Math.max(1, C);
  if (training && n <= 1) throw new Error(`batchNorm: training needs more than one value per channel, got input ${fmt(x.shape)}`);
  const w = weight ?? ones([C]);
  const b = bias ?? zeros([C]);
  const fn = new F.BatchNorm(eps);
  const y = training ? apply(fn, x, w, b) : apply(fn, x, w, b, runningMean!, runningVar!);
  if (!weight) w.dispose();
  if (!bias) b.dispose();
  if (training) {
    const mean = Tensor.fromRaw(fn.batchMean!);
    const biased = Tensor.fromRaw(fn.batchVar!);
    fn.batchMean = fn.batchVar = null;
    if (runningMean && runningVar) {
      noGrad(() =>
        tidy(() => {
          runningMean.assign(add(mul(runningMean, 1 - momentum), mul(mean, momentum)));
          runningVar.assign(add(mul(runningVar, 1 - momentum), mul(biased, (momentum * n) / (n - 1))));
        }),
      );
    }
    mean.dispose();
    biased.dispose();
  }
  return y;
}

// ---- losses ----

export interface CrossEntropyOptions {
  /** Target value whose positions add nothing (default −100, as PyTorch). */
  ignoreIndex?: number;
  reduction?: 'mean' | 'sum' | 'none';
}

/**
 * The checks nllLoss makes of input [N, C, ...] and int32 targets (also on crossEntropy's fused path,
 * which so raises the same errors, named nllLoss as they always were).
 */
function checkClassTargets(input: Tensor, target: Tensor, ignore: number): void {
  if (input.rank < 2) throw new Error(`nllLoss: input must be [N, C, ...], got ${fmt(input.shape)}`);
  const expected = [input.shape[0], ...input.shape.slice(2)];
  if (!shapesEqual(target.shape, expected)) {
    throw new Error(`nllLoss: target has shape ${fmt(target.shape)} but input ${fmt(input.shape)} needs target shape ${fmt(expected)}`);
  }
  checkRange('nllLoss', target, input.shape[1], ignore);
}

function checkReduction(op: string, reduction: unknown): asserts reduction is 'mean' | 'sum' | 'none' {
  if (reduction !== 'mean' && reduction !== 'sum' && reduction !== 'none') {
    throw new Error(`${op}: reduction must be 'mean', 'sum' or 'none', got '${String(reduction)}'`);
  }
}

/**
 * Negative log-likelihood of log-probabilities logp [N, C, ...] (or [N, C]) for int32 targets
 * [N, ...]. 'mean' divides by the number of non-ignored targets (NaN if there are none, as PyTorch).
 */
export function nllLoss(logp: Tensor, target: Tensor, opts: CrossEntropyOptions = {}): Tensor {
  assertTensor('nllLoss', logp);
  assertIndex('nllLoss', target);
  const ignore = opts.ignoreIndex ?? -100;
  const reduction = opts.reduction ?? 'mean';
  checkClassTargets(logp, target, ignore);
  const valid = ne(target, ignore);
  const safe = constant('nllLoss', [target, valid], () => {
    const bk = backend();
    const zero = bk.fill(target.shape, 0, 'int32');
    const out = bk.where(valid, target, zero);
    zero.dispose();
    return out;
  });
  const picked = squeeze(gather(logp, 1, unsqueeze(safe, 1)), 1); // [N, ...]
  const losses = neg(mul(picked, valid));
  if (reduction === 'none') return losses;
  if (reduction === 'sum') return sum(losses);
  checkReduction('nllLoss', reduction);
  return div(sum(losses), sum(valid));
}

/**
 * Cross-entropy of logits [N, C, ...] (class axis 1) against int32 class targets [N, ...] (with
 * ignoreIndex) or float32 class probabilities of the logits' shape (soft targets: 'mean' averages
 * over N and the spatial positions, as PyTorch).
 */
export function crossEntropy(logits: Tensor, target: Tensor, opts: CrossEntropyOptions = {}): Tensor {
  assertTensor('crossEntropy', logits);
  assertTensor('crossEntropy', target, 'target');
  assertFloat('crossEntropy', logits);
  if (logits.rank < 2) throw new Error(`crossEntropy: input must be [N, C, ...], got ${fmt(logits.shape)}`);
  if (target.dtype === 'int32') return fusedCrossEntropy(logits, target, opts) ?? nllLoss(logSoftmax(logits, 1), target, opts);
  const logp = logSoftmax(logits, 1);
  if (!shapesEqual(target.shape, logits.shape)) {
    throw new Error(`crossEntropy: soft targets must have the input's shape ${fmt(logits.shape)}, got ${fmt(target.shape)}`);
  }
  const losses = neg(sum(mul(logp, target), 1));
  const reduction = opts.reduction ?? 'mean';
  if (reduction === 'none') return losses;
  if (reduction === 'sum') return sum(losses);
  return mean(losses);
}

/**
 * crossEntropy with int32 targets in one launch each way (SoftmaxCrossEntropy), or null where the
 * backend has no fused pass (reference, GPU modes, CPU modes without host kernels), or for logits
 * that are not float32 or have no classes: the caller then runs the composite. Same reductions:
 * 'mean' divides by the number of non-ignored targets, as nllLoss.
 * NOTE: an ignored position contributes 0 even when its logits hold NaN; the composite's
 * logp·0 would give NaN there (PyTorch gives 0).
 */
function fusedCrossEntropy(logits: Tensor, target: Tensor, opts: CrossEntropyOptions): Tensor | null {
  if (!backend().softmaxCrossEntropy || logits.dtype !== 'float32' || logits.shape[1] === 0) return null;
  const ignore = opts.ignoreIndex ?? -100;
  const reduction = opts.reduction ?? 'mean';
  checkClassTargets(logits, target, ignore);
  checkReduction('nllLoss', reduction);
  const losses = apply(new F.SoftmaxCrossEntropy(ignore), logits, target.requiresGrad ? target.detach() : target);
  if (reduction === 'none') return losses;
  if (reduction === 'sum') return sum(losses);
  return div(sum(losses), sum(ne(target, ignore)));
}

// ---- creation ----

export interface CreationOptions {
  dtype?: DType;
  requiresGrad?: boolean;
}

type Nested = number | readonly Nested[];

function inferShape(data: Nested): number[] {
  const shape: number[] = [];
  let d: Nested = data;
  while (Array.isArray(d)) {
    shape.push(d.length);
    d = d[0] as Nested;
  }
  return shape;
}

function flattenNested(op: string, data: Nested, shape: readonly number[]): number[] {
  const out: number[] = [];
  const walk = (d: Nested, axis: number) => {
    if (axis === shape.length) {
      if (typeof d !== 'number') throw new Error(`${op}: ragged nested array: expected a number at depth ${axis}`);
      out.push(d);
      return;
    }
    if (!Array.isArray(d) || d.length !== shape[axis]) throw new Error(`${op}: ragged nested array: expected ${shape[axis]} entries at depth ${axis}`);
    for (const v of d) walk(v as Nested, axis + 1);
  };
  walk(data, 0);
  return out;
}

/**
 * Makes a tensor from a number, nested arrays or a flat array (with `shape`).
 *
 * @example
 * const x = tensor([[1, 2], [3, 4]], undefined, { requiresGrad: true });
 * const labels = tensor(new Int32Array([0, 2, 255]), [3], { dtype: 'int32' });
 */
export function tensor(data: Nested | ArrayLike<number>, shape?: readonly number[], opts: CreationOptions = {}): Tensor {
  const dtype = opts.dtype ?? (data instanceof Int32Array ? 'int32' : 'float32');
  if (dtype !== 'float32' && dtype !== 'int32') throw new Error(`tensor: dtype must be 'float32' or 'int32', got ${JSON.stringify(dtype)}`);
  let flat: ArrayLike<number>;
  let s: number[];
  if (typeof data === 'number') {
    flat = [data];
    s = shape ? [...shape] : [];
  } else if (ArrayBuffer.isView(data) || (Array.isArray(data) && shape !== undefined && !data.some(Array.isArray))) {
    flat = data as ArrayLike<number>;
    s = shape ? [...shape] : [flat.length];
  } else if (Array.isArray(data)) {
    const inferred = inferShape(data as Nested);
    flat = flattenNested('tensor', data as Nested, inferred);
    s = shape ? [...shape] : inferred;
  } else {
    throw new Error(`tensor: data must be a number, an array or a typed array, got ${typeof data}`);
  }
  const target = inferReshape('tensor', [flat.length], s);
  let lo = Infinity;
  let hi = -Infinity;
  // NOTE: a typed array holds only numbers, and an integer-typed one only integers: float32 data of
  // either kind needs no per-element check, int32 data from an integer array only its range (a
  // batch of images and labels per training step went through the generic loop, ~1.7 ms a step).
  const typed = ArrayBuffer.isView(data) && !(data instanceof DataView || data instanceof BigInt64Array || data instanceof BigUint64Array);
  const integerTyped = typed && !(data instanceof Float32Array || data instanceof Float64Array);
  if (typed && dtype === 'float32') {
    // nothing to check
  } else if (integerTyped && dtype === 'int32') {
    [lo, hi] = integerRange(flat as Int32Array);
    const far = Math.max(Math.abs(lo), Math.abs(hi));
    if (far > 16777216) {
      const i = Array.prototype.findIndex.call(flat, (v: number) => Math.abs(v) > 16777216);
      throw new Error(`tensor: int32 values must lie within ±2^24 (16777216), element ${i} is ${flat[i]}`);
    }
  } else {
    for (let i = 0; i < flat.length; i++) {
      const v = flat[i];
      if (typeof v !== 'number') throw new Error(`tensor: element ${i} is not a number (${String(v)})`);
      if (dtype === 'int32') {
        if (!Number.isInteger(v)) throw new Error(`tensor: int32 data must hold integers, element ${i} is ${v}`);
        // NOTE: gpu.js keeps every value as float32 on the device, exact for integers up to 2^24.
        if (Math.abs(v) > 16777216) throw new Error(`tensor: int32 values must lie within ±2^24 (16777216), element ${i} is ${v}`);
        if (v < lo) lo = v;
        if (v > hi) hi = v;
      }
    }
  }
  const t = Tensor.fromRaw(backend().upload(flat, target, dtype));
  if (dtype === 'int32' && flat.length > 0) t.valueRange = [lo, hi];
  if (opts.requiresGrad) t.requiresGrad_(true);
  return t;
}

/** The smallest and largest value of an integer-typed array (Infinity, −Infinity when empty). */
function integerRange(a: ArrayLike<number>): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < a.length; i++) {
    const v = a[i];
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  return [lo, hi];
}

/** A tensor filled with `value`. */
export function full(shape: readonly number[], value: number, opts: CreationOptions = {}): Tensor {
  assertNumber('full', value, 'value');
  const dtype = opts.dtype ?? 'float32';
  assertValidShape('full', shape);
  const t = Tensor.fromRaw(backend().fill(shape, value, dtype));
  if (dtype === 'int32') t.valueRange = [value, value];
  if (opts.requiresGrad) t.requiresGrad_(true);
  return t;
}
export function zeros(shape: readonly number[], opts: CreationOptions = {}): Tensor { return full(shape, 0, opts); }
export function ones(shape: readonly number[], opts: CreationOptions = {}): Tensor { return full(shape, 1, opts); }
export function zerosLike(x: Tensor, opts: CreationOptions = {}): Tensor { return full(x.shape, 0, { dtype: x.dtype, ...opts }); }
export function onesLike(x: Tensor, opts: CreationOptions = {}): Tensor { return full(x.shape, 1, { dtype: x.dtype, ...opts }); }

/** Values start, start+step, … below end (as torch.arange). int32 when every argument is an integer. */
export function arange(start: number, end?: number, step = 1, opts: CreationOptions = {}): Tensor {
  if (end === undefined) [start, end] = [0, start];
  if (step === 0 || !Number.isFinite(step)) throw new Error(`arange: step must be a non-zero finite number, got ${step}`);
  const n = Math.max(0, Math.ceil((end - start) / step));
  const v = Array.from({ length: n }, (_, i) => start + i * step);
  const dtype = opts.dtype ?? ([start, end, step].every(Number.isInteger) ? 'int32' : 'float32');
  return tensor(v, [n], { ...opts, dtype });
}

/** n×m identity (m defaults to n). */
export function eye(n: number, m = n, opts: CreationOptions = {}): Tensor {
  const v = new Float32Array(n * m);
  for (let i = 0; i < Math.min(n, m); i++) v[i * m + i] = 1;
  return tensor(v, [n, m], opts);
}

/** Uniform values in [0, 1), seeded (global generator, or `seed`). */
export function rand(shape: readonly number[], opts: CreationOptions & { seed?: number } = {}): Tensor {
  const rng = rngFor(opts.seed);
  const v = new Float32Array(sizeOf(shape));
  for (let i = 0; i < v.length; i++) v[i] = rng.next();
  return tensor(v, shape, opts);
}

/** Standard normal values, seeded (global generator, or `seed`). */
export function randn(shape: readonly number[], opts: CreationOptions & { seed?: number } = {}): Tensor {
  const rng = rngFor(opts.seed);
  const v = new Float32Array(sizeOf(shape));
  for (let i = 0; i < v.length; i++) v[i] = rng.normal();
  return tensor(v, shape, opts);
}

/** Copies a tensor to another backend. */
export async function toBackend(x: Tensor, name: BackendName): Promise<Tensor> {
  const data = await x.data();
  const t = withBackend(name, () => tensor(x.dtype === 'int32' ? Int32Array.from(data) : data, x.shape, { dtype: x.dtype }));
  t.valueRange = x.valueRange;
  return t;
}

