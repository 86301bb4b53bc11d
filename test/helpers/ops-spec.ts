// ONE table with an entry per public op (several for ops with distinct code paths): how to draw its
// inputs, the function to run, which inputs are differentiable, and which ALL_FUNCTIONS primitives
// its graph uses. forward/gradcheck/coverage tests iterate over OP_SPECS.
import fc from 'fast-check';
import * as T from '../../src/index.js';
import type { Tensor } from '../../src/index.js';
import {
  axesArb, axisArb, broadcastableTo, broadcastShapesArb, dim, floatInput, fmtShape, intInput, mkCase,
  shapeArb, smallDim, type Domain, type OpCase,
} from './arbitraries.js';
import { sizeOfShape, type HostInput } from './backends.js';
import type { Tolerance } from './close.js';

export interface OpSpec {
  /** The op's exported name in src/tensor/ops.ts. */
  op: string;
  /** Which code path of the op this entry draws (several entries may share an op). */
  variant?: string;
  /** Whether gradients are checked (differentiable inputs are those with `grad: true`). */
  differentiable: boolean;
  /** The ALL_FUNCTIONS primitives recorded in its graph (checked against the graph by coverage.test.ts). */
  fns: readonly string[];
  /**
   * The primitives its graph records instead on the CPU backends with their WebAssembly host kernels,
   * where that differs (a fused primitive only those backends have): checked on `cpu` by coverage.test.ts.
   */
  hostFns?: readonly string[];
  arb: fc.Arbitrary<OpCase>;
  /** Compare forward outputs exactly (masks, indices, integer casts). */
  exact?: boolean;
  /** Per-op loosening of the default tolerances; each use carries a NOTE: saying why. */
  tol?: { forward?: Partial<Tolerance>; grad?: Partial<Tolerance> };
  /**
   * Skip the finite-difference gradcheck on the reference (device gradients are still compared with
   * the reference's). Only for the `large` entries: thousands of elements × 2 forward passes each.
   */
  skipNumericalGradcheck?: boolean;
}

/** Entry label: `op` or `op (variant)`. */
export function specLabel(s: OpSpec): string {
  return s.variant ? `${s.op} (${s.variant})` : s.op;
}

type Fn = (...xs: Tensor[]) => Tensor;
const fmtA = (v: unknown) => JSON.stringify(v) ?? 'undefined';
const BCAST = ['Expand', 'Reshape'] as const; // what broadcasting an operand records

// ---- builders for the common shapes of entry ----

/** Element-wise op of one tensor, ranks 0-4. */
function unary(op: string, fn: Fn, domain: Domain, fns: string[], extra: Partial<OpSpec> = {}): OpSpec {
  const arb = shapeArb().chain((s) => floatInput(s, domain)).map((x) => mkCase(`${op}(x${fmtShape(x.shape)})`, [x], fn));
  return { op, differentiable: true, fns, arb, ...extra };
}

/**
 * Broadcasting binary op of two tensors. add, sub, mul and div broadcast inside the primitive (only
 * Reshape lifts a lower-rank operand); the others go through Expand (`bcast`).
 */
function binary(op: string, fn: Fn, da: Domain, db: Domain, fns: string[], bcast: readonly string[] = ['Reshape']): OpSpec {
  const arb = broadcastShapesArb(2)
    .chain(([sa, sb]) => fc.tuple(floatInput(sa, da), floatInput(sb, db)))
    .map(([a, b]) => mkCase(`${op}(a${fmtShape(a.shape)}, b${fmtShape(b.shape)})`, [a, b], fn));
  return { op, differentiable: true, fns: [...fns, ...bcast], arb };
}

/** Binary op with one number operand: `tensor ∘ c` and `c ∘ tensor`. */
function withScalar(op: string, fn: (a: T.TensorOrScalar, b: T.TensorOrScalar) => Tensor, dx: Domain, scalars: number[], fns: string[]): OpSpec {
  const arb = fc.tuple(shapeArb().chain((s) => floatInput(s, dx)), fc.constantFrom(...scalars), fc.boolean())
    .map(([x, c, left]) => left
      ? mkCase(`${op}(${c}, x${fmtShape(x.shape)})`, [x], (t) => fn(c, t))
      : mkCase(`${op}(x${fmtShape(x.shape)}, ${c})`, [x], (t) => fn(t, c)));
  return { op, variant: 'number operand', differentiable: true, fns, arb };
}

type CompareFn = (a: T.TensorOrScalar, b: T.TensorOrScalar) => Tensor;
/** Comparison: tensor-tensor with broadcasting and ties, or a number on either side. Not differentiable. */
function compare(op: string, fn: CompareFn): OpSpec {
  const pair = broadcastShapesArb(2).chain(([sa, sb]) => fc.tuple(floatInput(sa, 'ties'), floatInput(sb, 'ties')))
    .map(([a, b]) => mkCase(`${op}(a${fmtShape(a.shape)}, b${fmtShape(b.shape)})`, [a, b], (x, y) => fn(x, y)));
  const num = fc.tuple(shapeArb().chain((s) => floatInput(s, 'ties')), fc.integer({ min: -2, max: 2 }), fc.boolean())
    .map(([a, c, left]) => left
      ? mkCase(`${op}(${c}, a${fmtShape(a.shape)})`, [a], (x) => fn(c, x))
      : mkCase(`${op}(a${fmtShape(a.shape)}, ${c})`, [a], (x) => fn(x, c)));
  return { op, differentiable: false, exact: true, fns: [], arb: fc.oneof(pair, num) };
}

type ReduceFn = (x: Tensor, axis: number | number[] | undefined, keepdim: boolean) => Tensor;
/** Reduction over undefined / one / several (negative) axes, keepdim or not, ranks 0-4. */
function reduction(op: string, fn: ReduceFn, domain: Domain, fns: string[], extra: Partial<OpSpec> = {}): OpSpec {
  const arb = shapeArb()
    .chain((s) => fc.tuple(floatInput(s, domain), axesArb(s.length), fc.boolean()))
    .map(([x, axis, keep]) => mkCase(`${op}(x${fmtShape(x.shape)}, axis=${fmtA(axis)}, keepdim=${keep})`, [x], (t) => fn(t, axis, keep)));
  return { op, differentiable: true, fns, arb, ...extra };
}

/** Op along one (negative allowed) axis, ranks `minRank`-4. */
function alongAxis(op: string, fn: (x: Tensor, axis: number) => Tensor, domain: Domain, fns: string[], minRank = 1): OpSpec {
  const arb = shapeArb(minRank)
    .chain((s) => fc.tuple(floatInput(s, domain), s.length === 0 ? fc.constantFrom(0, -1) : axisArb(s.length)))
    .map(([x, axis]) => mkCase(`${op}(x${fmtShape(x.shape)}, axis=${axis})`, [x], (t) => fn(t, axis)));
  return { op, differentiable: true, fns, arb };
}

function spec(op: string, fns: string[], arb: fc.Arbitrary<OpCase>, extra: Partial<OpSpec> = {}): OpSpec {
  return { op, differentiable: fns.length > 0, fns, arb, ...extra };
}

// ---- arbitraries of the more structured ops ----

/** pow with a number exponent: any exponent on positive bases, integer exponents on any sign. */
const powScalarCase = fc.oneof(
  fc.tuple(shapeArb().chain((s) => floatInput(s, 'pos')), fc.constantFrom(0.5, -0.5, 1.5, -1, 2, 3, 0)),
  fc.tuple(shapeArb().chain((s) => floatInput(s, 'awayZero')), fc.constantFrom(2, 3, -1, -2)),
).map(([x, p]) => mkCase(`pow(x${fmtShape(x.shape)}, ${p})`, [x], (t) => T.pow(t, p)));

const rpowCase = fc.tuple(shapeArb().chain((s) => floatInput(s, 'unit')), fc.constantFrom(0.5, 2, Math.E, 3))
  .map(([x, c]) => mkCase(`pow(${c}, x${fmtShape(x.shape)})`, [x], (t) => T.pow(c, t)));

/** clamp with both, only min, or only max; x on a grid 0.05 away from the (grid) bounds. */
const clampCase = fc.tuple(
  shapeArb().chain((s) => floatInput(s, 'offLattice')),
  fc.integer({ min: -15, max: 0 }), fc.integer({ min: 1, max: 15 }), fc.constantFrom('both', 'min', 'max'),
).map(([x, lo, hi, which]) => {
  const mn = which === 'max' ? undefined : lo / 10;
  const mx = which === 'min' ? undefined : hi / 10;
  return mkCase(`clamp(x${fmtShape(x.shape)}, ${mn}, ${mx})`, [x], (t) => T.clamp(t, mn, mx));
});

/** maximum/minimum of two tensors on disjoint grids (no ties), or of a tensor and a number. */
function extremumCase(op: string, fn: (a: T.TensorOrScalar, b: T.TensorOrScalar) => Tensor): fc.Arbitrary<OpCase> {
  const pair = broadcastShapesArb(2).chain(([sa, sb]) => fc.tuple(floatInput(sa, 'offLattice'), floatInput(sb, 'lattice')))
    .map(([a, b]) => mkCase(`${op}(a${fmtShape(a.shape)}, b${fmtShape(b.shape)})`, [a, b], (x, y) => fn(x, y)));
  const num = fc.tuple(shapeArb().chain((s) => floatInput(s, 'offLattice')), fc.integer({ min: -10, max: 10 }))
    .map(([a, k]) => mkCase(`${op}(a${fmtShape(a.shape)}, ${k / 10})`, [a], (x) => fn(x, k / 10)));
  return fc.oneof({ arbitrary: pair, weight: 3 }, { arbitrary: num, weight: 1 });
}

/** where(cond, a, b), all three broadcasting; a or b sometimes a number. */
const whereCase = fc.tuple(broadcastShapesArb(3), fc.constantFrom('tt', 'tn', 'nt'))
  .chain(([[sc, sa, sb], kind]) => fc.tuple(floatInput(sc, 'mask', false), floatInput(sa, 'any'), floatInput(sb, 'any'), fc.constant(kind)))
  .map(([c, a, b, kind]) => {
    const d = `where(c${fmtShape(c.shape)}`;
    if (kind === 'tn') return mkCase(`${d}, a${fmtShape(a.shape)}, -1.5)`, [c, a], (x, y) => T.where(x, y, -1.5));
    if (kind === 'nt') return mkCase(`${d}, 2.5, b${fmtShape(b.shape)})`, [c, b], (x, y) => T.where(x, 2.5, y));
    return mkCase(`${d}, a${fmtShape(a.shape)}, b${fmtShape(b.shape)})`, [c, a, b], (x, y, z) => T.where(x, y, z));
  });

/** cast float → int32 (truncation toward zero) and int32 → float32. */
const castCase = fc.oneof(
  shapeArb().chain((s) => floatInput(s, 'any')).map((x) => mkCase(`cast(x${fmtShape(x.shape)}, 'int32')`, [x], (t) => T.cast(t, 'int32'))),
  shapeArb().chain((s) => intInput(s, -7, 7)).map((x) => mkCase(`cast(i${fmtShape(x.shape)}, 'float32')`, [x], (t) => T.cast(t, 'float32'))),
);

/** argmax/argmin over the flattened tensor or one axis, with ties (the first index must win). */
function argCase(op: string, fn: (x: Tensor, axis?: number, keepdim?: boolean) => Tensor): fc.Arbitrary<OpCase> {
  return shapeArb(0)
    .chain((s) => fc.tuple(floatInput(s, 'ties'), s.length === 0 ? fc.constant(undefined) : fc.option(axisArb(s.length), { nil: undefined }), fc.boolean()))
    .map(([x, axis, keep]) => mkCase(`${op}(x${fmtShape(x.shape)}, axis=${axis}, keepdim=${keep})`, [x], (t) => fn(t, axis, keep)));
}

const logsumexpCase = shapeArb(1)
  .chain((s) => fc.tuple(floatInput(s, 'any'), axesArb(s.length).filter((a) => a !== undefined), fc.boolean()))
  .map(([x, axis, keep]) => mkCase(`logsumexp(x${fmtShape(x.shape)}, ${fmtA(axis)}, ${keep})`, [x], (t) => T.logsumexp(t, axis as number | number[], keep)));

/** variance with correction 0 or 1 (enough elements left over), keepdim or not. */
const varianceCase = shapeArb()
  .chain((s) => fc.tuple(floatInput(s, 'any'), axesArb(s.length), fc.constantFrom(0, 1), fc.boolean()))
  .filter(([x, axis, corr]) => {
    const axes = axis === undefined ? x.shape.map((_, i) => i) : typeof axis === 'number' ? [axis] : axis;
    return axes.reduce((n, a) => n * x.shape[(a + x.shape.length) % x.shape.length], 1) > corr;
  })
  .map(([x, axis, correction, keepdim]) =>
    mkCase(`variance(x${fmtShape(x.shape)}, ${fmtA(axis)}, {correction: ${correction}, keepdim: ${keepdim}})`, [x], (t) => T.variance(t, axis, { correction, keepdim })));

/** A shape of the same size as `s`: its non-1 factors shuffled, maybe merged, 1s inserted, one −1. */
function reshapeTarget(s: readonly number[]): fc.Arbitrary<number[]> {
  const factors = s.filter((d) => d !== 1);
  return fc.tuple(
    fc.shuffledSubarray(factors, { minLength: factors.length, maxLength: factors.length }),
    fc.boolean(), fc.integer({ min: 0, max: 2 }), fc.boolean(),
  ).map(([f, merge, ones, minusOne]) => {
    let t = [...f];
    if (merge && t.length >= 2) t = [t[0] * t[1], ...t.slice(2)];
    for (let i = 0; i < ones; i++) t.splice(i % (t.length + 1), 0, 1);
    if (minusOne && t.length > 0) t[t.length - 1] = -1;
    return t;
  });
}
const reshapeCase = shapeArb()
  .chain((s) => fc.tuple(floatInput(s), reshapeTarget(s)))
  .map(([x, to]) => mkCase(`reshape(x${fmtShape(x.shape)}, ${fmtShape(to)})`, [x], (t) => T.reshape(t, to)));

const permuteCase = shapeArb(1)
  .chain((s) => {
    const r = s.length;
    const perm = fc.shuffledSubarray(Array.from({ length: r }, (_, i) => i), { minLength: r, maxLength: r })
      .chain((p) => fc.tuple(...p.map((a) => fc.constantFrom(a, a - r))));
    return fc.tuple(floatInput(s), perm);
  })
  .map(([x, p]) => mkCase(`permute(x${fmtShape(x.shape)}, ${fmtShape(p)})`, [x], (t) => T.permute(t, p)));

const transposeCase = shapeArb(1)
  .chain((s) => fc.tuple(floatInput(s), axisArb(s.length), axisArb(s.length)))
  .map(([x, a, b]) => mkCase(`transpose(x${fmtShape(x.shape)}, ${a}, ${b})`, [x], (t) => T.transpose(t, a, b)));

/** expand / broadcastTo: size-1 axes grow, 0-2 leading axes appear; expand may say −1 for kept sizes. */
function expandTarget(s: readonly number[], allowMinusOne: boolean): fc.Arbitrary<number[]> {
  return fc.tuple(
    fc.array(smallDim, { maxLength: 2 }),
    fc.tuple(...s.map((d) => (d === 1 ? fc.constantFrom(1, 2, 3) : allowMinusOne ? fc.constantFrom(d, -1) : fc.constant(d)))),
  ).map(([lead, rest]) => [...lead, ...rest]);
}
function expandCase(op: string, fn: (x: Tensor, shape: number[]) => Tensor, allowMinusOne: boolean): fc.Arbitrary<OpCase> {
  return shapeArb(0, 4, 24, fc.constantFrom(1, 1, 2, 3))
    .chain((s) => fc.tuple(floatInput(s), expandTarget(s, allowMinusOne)))
    .filter(([x, to]) => sizeOfShape(to.map((d, i) => (d === -1 ? x.shape[i - (to.length - x.shape.length)] : d))) <= 96)
    .map(([x, to]) => mkCase(`${op}(x${fmtShape(x.shape)}, ${fmtShape(to)})`, [x], (t) => fn(t, to)));
}

const squeezeCase = shapeArb(0, 4, 48, fc.constantFrom(1, 1, 2, 3))
  .chain((s) => fc.tuple(floatInput(s), axesArb(s.length)))
  .map(([x, axis]) => mkCase(`squeeze(x${fmtShape(x.shape)}, ${fmtA(axis)})`, [x], (t) => T.squeeze(t, axis)));

const unsqueezeCase = shapeArb(0, 3)
  .chain((s) => fc.tuple(floatInput(s), fc.integer({ min: -(s.length + 1), max: s.length })))
  .map(([x, a]) => mkCase(`unsqueeze(x${fmtShape(x.shape)}, ${a})`, [x], (t) => T.unsqueeze(t, a)));

const flattenCase = shapeArb()
  .chain((s) => {
    const r = Math.max(s.length, 1);
    return fc.tuple(floatInput(s), fc.integer({ min: 0, max: r - 1 }), fc.integer({ min: 0, max: r - 1 }), fc.boolean(), fc.boolean());
  })
  .map(([x, i, j, negS, negE]) => {
    const r = Math.max(x.shape.length, 1);
    const [lo, hi] = [Math.min(i, j), Math.max(i, j)];
    const s = negS ? lo - r : lo;
    const e = negE ? hi - r : hi;
    return mkCase(`flatten(x${fmtShape(x.shape)}, ${s}, ${e})`, [x], (t) => T.flatten(t, s, e));
  });

/** cat of 1-3 tensors that differ only along `axis`. */
const catCase = shapeArb(1, 4, 24)
  .chain((s) => fc.tuple(fc.constant(s), axisArb(s.length), fc.array(fc.constantFrom(1, 2, 3), { minLength: 1, maxLength: 3 })))
  .chain(([s, axis, sizes]) => {
    const a = axis < 0 ? axis + s.length : axis;
    return fc.tuple(fc.constant(axis), fc.tuple(...sizes.map((n) => floatInput(s.map((d, i) => (i === a ? n : d))))));
  })
  .map(([axis, xs]) => mkCase(`cat([${xs.map((x) => fmtShape(x.shape)).join(', ')}], ${axis})`, xs, (...ts) => T.cat(ts, axis)));

const stackCase = shapeArb(0, 3, 24)
  .chain((s) => fc.tuple(fc.integer({ min: -(s.length + 1), max: s.length }), fc.integer({ min: 1, max: 3 }).chain((k) => fc.tuple(...Array.from({ length: k }, () => floatInput(s))))))
  .map(([axis, xs]) => mkCase(`stack(${xs.length}×${fmtShape(xs[0].shape)}, ${axis})`, xs, (...ts) => T.stack(ts, axis)));

/**
 * Python-style slices: negative/omitted start and end, steps 1-3. NOTE: empty results are left to
 * empty-tensors.test.ts (webasm cannot take size-0 inputs yet, so Slice's backward fails there).
 */
const sliceCase = shapeArb(1)
  .chain((s) => fc.tuple(floatInput(s), axisArb(s.length)).chain(([x, axis]) => {
    const d = x.shape[axis < 0 ? axis + x.shape.length : axis];
    return fc.tuple(fc.constant(x), fc.constant(axis),
      fc.option(fc.integer({ min: -d - 1, max: d }), { nil: undefined }),
      fc.option(fc.integer({ min: -d - 1, max: d + 1 }), { nil: undefined }),
      fc.integer({ min: 1, max: 3 }));
  }))
  .filter(([x, axis, start, end]) => {
    const d = x.shape[axis < 0 ? axis + x.shape.length : axis];
    const norm = (v: number | undefined, dflt: number) => (v === undefined ? dflt : Math.min(Math.max(v < 0 ? v + d : v, 0), d));
    return norm(end, d) > norm(start, 0);
  })
  .map(([x, axis, start, end, step]) => mkCase(`slice(x${fmtShape(x.shape)}, ${axis}, ${start}, ${end}, ${step})`, [x], (t) => T.slice(t, axis, start, end, step)));

const narrowCase = shapeArb(1)
  .chain((s) => fc.tuple(floatInput(s), axisArb(s.length)).chain(([x, axis]) => {
    const d = x.shape[axis < 0 ? axis + x.shape.length : axis];
    return fc.tuple(fc.constant(x), fc.constant(axis), fc.integer({ min: 0, max: d - 1 }), fc.boolean())
      .chain(([x2, a, s0, neg]) => fc.tuple(fc.constant(x2), fc.constant(a), fc.constant(neg ? s0 - d : s0), fc.integer({ min: 1, max: d - s0 })));
  }))
  .map(([x, axis, start, len]) => mkCase(`narrow(x${fmtShape(x.shape)}, ${axis}, ${start}, ${len})`, [x], (t) => T.narrow(t, axis, start, len)));

/** pad: pairs for the last 1..rank axes (F.pad order), constant 0 or not. */
const padCase = shapeArb(1, 4, 24)
  .chain((s) => fc.tuple(floatInput(s), fc.integer({ min: 1, max: s.length }).chain((k) => fc.array(fc.integer({ min: 0, max: 2 }), { minLength: 2 * k, maxLength: 2 * k })), fc.constantFrom(0, 1.5, -2)))
  .map(([x, pads, v]) => mkCase(`pad(x${fmtShape(x.shape)}, ${fmtShape(pads)}, ${v})`, [x], (t) => T.pad(t, pads, v)));

const repeatCase = shapeArb(0, 3, 12)
  .chain((s) => fc.tuple(floatInput(s), fc.array(fc.constantFrom(1, 2, 3), { minLength: s.length, maxLength: s.length + 1 })))
  .map(([x, sizes]) => mkCase(`repeat(x${fmtShape(x.shape)}, ${fmtShape(sizes)})`, [x], (t) => T.repeat(t, sizes)));

/** gather: index has x's shape except along axis (any length there); values in range, repeats allowed. */
const gatherCase = shapeArb(1, 3, 24)
  .chain((s) => fc.tuple(floatInput(s), axisArb(s.length), fc.integer({ min: 1, max: 4 })))
  .chain(([x, axis, m]) => {
    const a = axis < 0 ? axis + x.shape.length : axis;
    return fc.tuple(fc.constant(x), fc.constant(axis), intInput(x.shape.map((d, i) => (i === a ? m : d)), 0, x.shape[a] - 1));
  })
  .map(([x, axis, idx]) => mkCase(`gather(x${fmtShape(x.shape)}, ${axis}, i${fmtShape(idx.shape)})`, [x, idx], (t, i) => T.gather(t, axis, i)));

const indexSelectCase = shapeArb(1, 3, 24)
  .chain((s) => fc.tuple(floatInput(s), axisArb(s.length), fc.integer({ min: 1, max: 5 })))
  .chain(([x, axis, m]) => fc.tuple(fc.constant(x), fc.constant(axis), intInput([m], 0, x.shape[axis < 0 ? axis + x.shape.length : axis] - 1)))
  .map(([x, axis, idx]) => mkCase(`indexSelect(x${fmtShape(x.shape)}, ${axis}, [${Array.from(idx.values).join(',')}])`, [x, idx], (t, i) => T.indexSelect(t, axis, i)));

const oneHotCase = fc.tuple(shapeArb(0, 3, 12), fc.integer({ min: 1, max: 5 }))
  .chain(([s, k]) => fc.tuple(intInput(s, 0, k - 1), fc.constant(k)))
  .map(([l, k]) => mkCase(`oneHot(l${fmtShape(l.shape)}, ${k})`, [l], (t) => T.oneHot(t, k)));

// ---- matmul: each promotion / broadcasting path ----

function mm(a: number[], b: number[]): fc.Arbitrary<OpCase> {
  return fc.tuple(floatInput(a), floatInput(b)).map(([x, y]) => mkCase(`matmul(a${fmtShape(a)}, b${fmtShape(b)})`, [x, y], (p, q) => T.matmul(p, q)));
}
const batchShape = (maxRank: number) => fc.array(fc.constantFrom(1, 2, 3), { minLength: 1, maxLength: maxRank });
const matmulCases: [string, string[], fc.Arbitrary<OpCase>][] = [
  ['1-D·1-D', ['Matmul', 'Reshape'], dim.chain((k) => mm([k], [k]))],
  ['1-D·N-D', ['Matmul', 'Reshape'], fc.tuple(fc.array(smallDim, { maxLength: 2 }), dim, dim).chain(([bt, k, n]) => mm([k], [...bt, k, n]))],
  ['N-D·1-D', ['Matmul', 'Reshape'], fc.tuple(fc.array(smallDim, { maxLength: 2 }), dim, dim).chain(([bt, m, k]) => mm([...bt, m, k], [k]))],
  ['batched, broadcast batch axes', ['Matmul', ...BCAST], fc.tuple(batchShape(2), dim, dim, dim)
    .chain(([bt, m, k, n]) => fc.tuple(broadcastableTo(bt), broadcastableTo(bt), fc.constant([m, k, n])))
    .chain(([ba, bb, [m, k, n]]) => mm([...ba, m, k], [...bb, k, n]))],
  ['2-D·3-D and 3-D·2-D', ['Matmul', 'Reshape'], fc.tuple(fc.constantFrom(2, 3), dim, dim, dim, fc.boolean())
    .chain(([bt, m, k, n, left]) => (left ? mm([m, k], [bt, k, n]) : mm([bt, m, k], [k, n])))],
  ['transA / transB, shared or batched operands', ['Matmul', 'Reshape'], fc.tuple(fc.constantFrom(1, 2, 3), dim, dim, dim, fc.boolean(), fc.boolean(), fc.constantFrom('ab', 'a', 'b', ''))
    .chain(([bt, m, k, n, transA, transB, batched]) => {
      const sa = [...(batched.includes('a') ? [bt] : []), ...(transA ? [k, m] : [m, k])];
      const sb = [...(batched.includes('b') ? [bt] : []), ...(transB ? [n, k] : [k, n])];
      const opts = { transA, transB };
      return fc.tuple(floatInput(sa), floatInput(sb))
        .map(([x, y]) => mkCase(`matmul(a${fmtShape(sa)}, b${fmtShape(sb)}, ${JSON.stringify(opts)})`, [x, y], (p, q) => T.matmul(p, q, opts)));
    })],
];

// ---- convolution, pooling, resampling ----

interface ConvGeom { N: number; groups: number; cinG: number; coutG: number; H: number; W: number; kh: number; kw: number; stride: [number, number]; padding: [number, number]; dilation: [number, number]; bias: boolean }

function convOut(g: ConvGeom): [number, number] {
  const oh = Math.floor((g.H + 2 * g.padding[0] - g.dilation[0] * (g.kh - 1) - 1) / g.stride[0]) + 1;
  const ow = Math.floor((g.W + 2 * g.padding[1] - g.dilation[1] * (g.kw - 1) - 1) / g.stride[1]) + 1;
  return [oh, ow];
}
const pairArb = (lo: number, hi: number) => fc.tuple(fc.integer({ min: lo, max: hi }), fc.integer({ min: lo, max: hi }));

/**
 * batchNorm on [N, C, ...] (rank 2-4). Training: batch statistics, every channel's values spread
 * (variance ≥ 0.05, so finite differences stay well conditioned). Evaluation: running statistics as
 * non-differentiable inputs.
 */
function batchNormCase(training: boolean): fc.Arbitrary<OpCase> {
  return fc.tuple(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 3 }), fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 0, maxLength: 2 }))
    .filter(([N, , sp]) => N * sp.reduce((a, d) => a * d, 1) >= 2)
    .chain(([N, C, sp]) => fc.tuple(floatInput([N, C, ...sp]), floatInput([C]), floatInput([C]), floatInput([C], 'any', false), floatInput([C], 'pos', false)))
    .filter(([x]) => {
      const [N, C] = x.shape;
      const inner = x.values.length / (N * C);
      for (let c = 0; c < C; c++) {
        const v: number[] = [];
        for (let n = 0; n < N; n++) for (let i = 0; i < inner; i++) v.push(x.values[(n * C + c) * inner + i]);
        const m = v.reduce((a, b) => a + b, 0) / v.length;
        if (v.reduce((a, b) => a + (b - m) ** 2, 0) / v.length < 0.05) return false;
      }
      return true;
    })
    .map(([x, w, b, rm, rv]) => {
      const desc = `batchNorm(x${fmtShape(x.shape)}, ${training ? 'null, null' : `rm${fmtShape(rm.shape)}, rv${fmtShape(rv.shape)}`}, w, b, {training: ${training}})`;
      return training
        ? mkCase(desc, [x, w, b], (p, q, r) => T.batchNorm(p, null, null, q, r, { training: true }))
        : mkCase(desc, [x, w, b, rm, rv], (p, q, r, m, v) => T.batchNorm(p, m, v, q, r, { training: false }));
    });
}

function convCase(depthwise: boolean): fc.Arbitrary<OpCase> {
  return fc.record({
    N: fc.constantFrom(1, 2), groups: depthwise ? fc.constantFrom(2, 3) : fc.constantFrom(1, 1, 2),
    cinG: depthwise ? fc.constant(1) : fc.constantFrom(1, 2), coutG: fc.constantFrom(1, 2),
    H: fc.integer({ min: 1, max: 6 }), W: fc.integer({ min: 1, max: 6 }), kh: fc.integer({ min: 1, max: 3 }), kw: fc.integer({ min: 1, max: 3 }),
    stride: pairArb(1, 2), padding: pairArb(0, 2), dilation: pairArb(1, 2), bias: fc.boolean(),
  })
    .filter((g) => convOut(g).every((o) => o >= 1) && g.N * g.groups * g.cinG * g.H * g.W <= 120)
    .chain((g) => {
      const cin = g.groups * g.cinG;
      const cout = g.groups * g.coutG;
      return fc.tuple(fc.constant(g), floatInput([g.N, cin, g.H, g.W]), floatInput([cout, g.cinG, g.kh, g.kw]), floatInput([cout]));
    })
    .map(([g, x, w, b]) => {
      const opts = { stride: g.stride, padding: g.padding, dilation: g.dilation, groups: g.groups };
      const desc = `conv2d(x${fmtShape(x.shape)}, w${fmtShape(w.shape)}, ${g.bias ? `b${fmtShape(b.shape)}` : 'null'}, ${JSON.stringify(opts)})`;
      return g.bias
        ? mkCase(desc, [x, w, b], (p, q, r) => T.conv2d(p, q, r, opts))
        : mkCase(desc, [x, w], (p, q) => T.conv2d(p, q, null, opts));
    });
}

function poolCase(op: 'avgPool2d' | 'maxPool2d'): fc.Arbitrary<OpCase> {
  const fn = op === 'avgPool2d' ? T.avgPool2d : T.maxPool2d;
  return fc.record({ N: fc.constantFrom(1, 2), C: fc.constantFrom(1, 2, 3), H: fc.integer({ min: 1, max: 6 }), W: fc.integer({ min: 1, max: 6 }), k: pairArb(1, 3), stride: pairArb(1, 3), usePad: fc.boolean() })
    .chain((g) => fc.tuple(fc.constant(g), g.usePad ? fc.tuple(fc.integer({ min: 0, max: Math.floor(g.k[0] / 2) }), fc.integer({ min: 0, max: Math.floor(g.k[1] / 2) })) : fc.constant([0, 0] as [number, number])))
    .filter(([g, p]) => g.H + 2 * p[0] >= g.k[0] && g.W + 2 * p[1] >= g.k[1])
    // NOTE: distinct values keep max pooling away from ties (its gradient picks one cell).
    .chain(([g, p]) => fc.tuple(fc.constant(g), fc.constant(p), floatInput([g.N, g.C, g.H, g.W], op === 'maxPool2d' ? 'distinct' : 'any')))
    .map(([g, p, x]) => {
      const opts = { stride: g.stride, padding: p };
      return mkCase(`${op}(x${fmtShape(x.shape)}, ${fmtShape(g.k)}, ${JSON.stringify(opts)})`, [x], (t) => fn(t, g.k, opts));
    });
}

/** interpolate: output size given directly (up or down) or as a scale factor. */
function interpCase(mode: 'bilinear' | 'nearest', alignCorners: boolean): fc.Arbitrary<OpCase> {
  const size = fc.tuple(fc.integer({ min: 1, max: 7 }), fc.integer({ min: 1, max: 7 })).map((s) => ({ size: s as number | number[] }));
  const scale = fc.oneof(fc.constantFrom(0.5, 2, 1.5, 3), fc.tuple(fc.constantFrom(0.5, 2, 3), fc.constantFrom(0.5, 1, 2.5))).map((sf) => ({ scaleFactor: sf as number | number[] }));
  return fc.tuple(fc.constantFrom(1, 2), fc.constantFrom(1, 2), fc.integer({ min: 1, max: 5 }), fc.integer({ min: 1, max: 5 }), fc.oneof(size, scale))
    .filter(([, , H, W, o]) => {
      if (!('scaleFactor' in o)) return true;
      const sf = typeof o.scaleFactor === 'number' ? [o.scaleFactor, o.scaleFactor] : o.scaleFactor;
      return Math.floor(H * sf[0]) >= 1 && Math.floor(W * sf[1]) >= 1;
    })
    .chain(([N, C, H, W, o]) => fc.tuple(floatInput([N, C, H, W]), fc.constant(o)))
    .map(([x, o]) => {
      const opts: T.InterpolateOptions = { ...o, mode, ...(mode === 'bilinear' ? { alignCorners } : {}) };
      return mkCase(`interpolate(x${fmtShape(x.shape)}, ${JSON.stringify(opts)})`, [x], (t) => T.interpolate(t, opts));
    });
}

const normalizeCase = shapeArb(1)
  .chain((s) => fc.tuple(floatInput(s, 'awayZero'), fc.option(axisArb(s.length), { nil: undefined })))
  .filter(([x, axis]) => axis !== undefined || x.shape.length >= 2)
  .map(([x, axis]) => mkCase(`normalize(x${fmtShape(x.shape)}, {axis: ${axis}})`, [x], (t) => T.normalize(t, axis === undefined ? {} : { axis })));

/** dropout with a fixed seed, so both backends (and every finite-difference evaluation) use one mask. */
const dropoutCase = fc.tuple(shapeArb(1, 3, 48), fc.constantFrom(0, 0.25, 0.5, 0.9), fc.integer({ min: 1, max: 1e6 }))
  .chain(([s, p, seed]) => fc.tuple(floatInput(s), fc.constant(p), fc.constant(seed)))
  .map(([x, p, seed]) => mkCase(`dropout(x${fmtShape(x.shape)}, ${p}, {seed: ${seed}})`, [x], (t) => T.dropout(t, p, { seed })));

/** Class targets [N, ...] in [0, C) with some positions at ignoreIndex (at least one valid). */
function labelsArb(shape: number[], C: number, ignore: number): fc.Arbitrary<HostInput> {
  return fc.array(fc.oneof({ arbitrary: fc.integer({ min: 0, max: C - 1 }), weight: 4 }, { arbitrary: fc.constant(ignore), weight: 1 }), { minLength: sizeOfShape(shape), maxLength: sizeOfShape(shape) })
    .filter((v) => v.some((l) => l !== ignore))
    .map((v) => ({ shape, dtype: 'int32' as const, values: v, grad: false }));
}
const lossGeom = fc.tuple(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 4 }), fc.array(fc.constantFrom(1, 2, 3), { maxLength: 2 }),
  fc.constantFrom(undefined, 255, -1), fc.constantFrom('mean', 'sum', 'none') as fc.Arbitrary<'mean' | 'sum' | 'none'>);

function classLossCase(op: 'crossEntropy' | 'nllLoss'): fc.Arbitrary<OpCase> {
  const fn = op === 'crossEntropy' ? T.crossEntropy : T.nllLoss;
  return lossGeom
    .chain(([N, C, sp, ignoreIndex, reduction]) => fc.tuple(floatInput([N, C, ...sp]), labelsArb([N, ...sp], C, ignoreIndex ?? -100), fc.constant({ ...(ignoreIndex !== undefined ? { ignoreIndex } : {}), reduction })))
    .map(([x, y, opts]) => mkCase(`${op}(x${fmtShape(x.shape)}, y=[${Array.from(y.values).join(',')}], ${JSON.stringify(opts)})`, [x, y], (p, q) => fn(p, q, opts)));
}

/** Soft targets: positive class probabilities along axis 1 (differentiable too). */
const softCrossEntropyCase = lossGeom
  .chain(([N, C, sp, , reduction]) => fc.tuple(floatInput([N, C, ...sp]), floatInput([N, C, ...sp], 'pos'), fc.constant(reduction)))
  .map(([x, p, reduction]) => {
    const [N, C] = x.shape;
    const inner = sizeOfShape(x.shape.slice(2));
    const v = Array.from(p.values);
    for (let n = 0; n < N; n++) for (let i = 0; i < inner; i++) {
      let s = 0;
      for (let c = 0; c < C; c++) s += v[(n * C + c) * inner + i];
      for (let c = 0; c < C; c++) v[(n * C + c) * inner + i] = Math.fround(v[(n * C + c) * inner + i] / s);
    }
    const target = { ...p, values: v };
    return mkCase(`crossEntropy(x${fmtShape(x.shape)}, probs${fmtShape(x.shape)}, {reduction: '${reduction}'})`, [x, target], (a, b) => T.crossEntropy(a, b, { reduction }));
  });

// ---- large cases: ≥ 4096 output cells, where webasm's async contract runs worker threads ----

const big = fc.integer({ min: 61, max: 71 }); // odd and even sizes, mostly not multiples of the SIMD width
const LARGE = { variant: 'large, threaded webasm', skipNumericalGradcheck: true } as const;
// NOTE: no shrinking for these: thousands of values shrink one by one for minutes and say no more.
function noShrink<M extends Record<string, fc.Arbitrary<OpCase>>>(m: M): M {
  return Object.fromEntries(Object.entries(m).map(([k, a]) => [k, fc.noShrink(a)])) as M;
}
const largeCases = noShrink({
  add: fc.tuple(big, big).chain(([m, n]) => fc.tuple(floatInput([m, n]), floatInput([n])))
    .map(([a, b]) => mkCase(`add(a${fmtShape(a.shape)}, b${fmtShape(b.shape)})`, [a, b], (x, y) => T.add(x, y))),
  gelu: fc.tuple(big, big).chain(([m, n]) => floatInput([m, n]))
    .map((x) => mkCase(`gelu(x${fmtShape(x.shape)})`, [x], (t) => T.gelu(t))),
  sum: fc.tuple(big, big, fc.constantFrom(0, -1)).chain(([m, n, a]) => fc.tuple(floatInput([m, 2, n]), fc.constant(a)))
    .map(([x, a]) => mkCase(`sum(x${fmtShape(x.shape)}, ${a})`, [x], (t) => T.sum(t, a))),
  softmax: fc.tuple(big, big, fc.constantFrom(0, 1)).chain(([m, n, a]) => fc.tuple(floatInput([m, n]), fc.constant(a)))
    .map(([x, a]) => mkCase(`softmax(x${fmtShape(x.shape)}, ${a})`, [x], (t) => T.softmax(t, a))),
  matmul: fc.tuple(big, fc.integer({ min: 5, max: 40 }), big).chain(([m, k, n]) => fc.tuple(floatInput([m, k]), floatInput([k, n])))
    .map(([a, b]) => mkCase(`matmul(a${fmtShape(a.shape)}, b${fmtShape(b.shape)})`, [a, b], (x, y) => T.matmul(x, y))),
  batchNorm: fc.tuple(fc.integer({ min: 20, max: 26 }), fc.integer({ min: 20, max: 26 }))
    .chain(([h, w]) => fc.tuple(floatInput([2, 4, h, w]), floatInput([4]), floatInput([4])))
    .map(([x, w, b]) => mkCase(`batchNorm(x${fmtShape(x.shape)}, null, null, w, b)`, [x, w, b], (p, q, r) => T.batchNorm(p, null, null, q, r))),
  conv2d: fc.tuple(fc.integer({ min: 20, max: 26 }), fc.integer({ min: 20, max: 26 }), fc.constantFrom(1, 2))
    .chain(([h, w, g]) => fc.tuple(floatInput([2, 2 * g, h, w]), floatInput([4 * g, 2, 3, 3]), fc.constant(g)))
    .map(([x, w, g]) => mkCase(`conv2d(x${fmtShape(x.shape)}, w${fmtShape(w.shape)}, null, {padding: 1, groups: ${g}})`, [x, w], (p, q) => T.conv2d(p, q, null, { padding: 1, groups: g }))),
  maxPool2d: fc.tuple(fc.integer({ min: 40, max: 50 }), fc.integer({ min: 40, max: 50 }))
    .chain(([h, w]) => floatInput([2, 3, h, w], 'distinct'))
    .map((x) => mkCase(`maxPool2d(x${fmtShape(x.shape)}, 2, {stride: 1})`, [x], (t) => T.maxPool2d(t, 2, { stride: 1 }))),
  gather: fc.tuple(big, big).chain(([m, n]) => fc.tuple(floatInput([m, 7]), intInput([m, n], 0, 6)))
    .map(([x, i]) => mkCase(`gather(x${fmtShape(x.shape)}, 1, i${fmtShape(i.shape)})`, [x, i], (t, j) => T.gather(t, 1, j))),
  pad: fc.tuple(big, big).chain(([m, n]) => floatInput([m, n]))
    .map((x) => mkCase(`pad(x${fmtShape(x.shape)}, [1, 2, 3, 0], 0.5)`, [x], (t) => T.pad(t, [1, 2, 3, 0], 0.5))),
  permute: fc.tuple(big, fc.integer({ min: 5, max: 9 }), big).chain(([a, b, c]) => floatInput([a, b, c]))
    .map((x) => mkCase(`permute(x${fmtShape(x.shape)}, [2, 0, 1])`, [x], (t) => T.permute(t, [2, 0, 1]))),
  interpolate: fc.tuple(fc.integer({ min: 10, max: 16 }), fc.integer({ min: 10, max: 16 })).chain(([h, w]) => floatInput([1, 3, h, w]))
    .map((x) => mkCase(`interpolate(x${fmtShape(x.shape)}, {scaleFactor: 2.5, mode: 'bilinear'})`, [x], (t) => T.interpolate(t, { scaleFactor: 2.5, mode: 'bilinear' }))),
  crossEntropy: fc.tuple(fc.integer({ min: 30, max: 40 }), fc.integer({ min: 30, max: 40 }))
    .chain(([h, w]) => fc.tuple(floatInput([2, 5, h, w]), labelsArb([2, h, w], 5, 255)))
    .map(([x, y]) => mkCase(`crossEntropy(x${fmtShape(x.shape)}, y${fmtShape(y.shape)}, {ignoreIndex: 255})`, [x, y], (p, q) => T.crossEntropy(p, q, { ignoreIndex: 255 }))),
});

// ---- the table ----

/** crossEntropy with class targets on the host kernels: one fused primitive, then the reduction ('mean': Sum, Div). */
const CE_HOST_FNS = ['SoftmaxCrossEntropy', 'Sum', 'Div'];

export const OP_SPECS: readonly OpSpec[] = [
  // element-wise: binary (tensor ∘ tensor with broadcasting, and a number operand)
  binary('add', (a, b) => T.add(a, b), 'any', 'any', ['Add']),
  withScalar('add', T.add, 'any', [-1.5, 0, 2], ['AddScalar', 'Add']),
  binary('sub', (a, b) => T.sub(a, b), 'any', 'any', ['Sub']),
  withScalar('sub', T.sub, 'any', [-1.5, 2], ['AddScalar', 'Sub']),
  binary('mul', (a, b) => T.mul(a, b), 'any', 'any', ['Mul']),
  withScalar('mul', T.mul, 'any', [-1.5, 0.5, 3], ['MulScalar', 'Mul']),
  binary('div', (a, b) => T.div(a, b), 'any', 'awayZero', ['Div']),
  withScalar('div', T.div, 'awayZero', [-1.5, 0.5, 4], ['MulScalar', 'Div']),
  binary('pow', (a, b) => T.pow(a, b), 'pos', 'any', ['Pow'], BCAST),
  spec('pow', ['PowScalar'], powScalarCase, { variant: 'number exponent' }),
  spec('pow', ['RpowScalar'], rpowCase, { variant: 'number base' }),
  spec('maximum', ['Maximum', ...BCAST], extremumCase('maximum', T.maximum)),
  spec('minimum', ['Minimum', ...BCAST], extremumCase('minimum', T.minimum)),
  spec('where', ['Where', ...BCAST], whereCase),
  // element-wise: unary
  unary('neg', T.neg, 'any', ['Neg']),
  unary('exp', T.exp, 'any', ['Exp']),
  unary('log', T.log, 'pos', ['Log']),
  unary('sqrt', T.sqrt, 'pos', ['Sqrt']),
  unary('rsqrt', T.rsqrt, 'pos', ['Rsqrt']),
  unary('abs', T.abs, 'awayZero', ['Abs']),
  unary('square', T.square, 'any', ['Square']),
  unary('relu', T.relu, 'awayZero', ['Relu']),
  unary('gelu', T.gelu, 'any', ['Gelu']),
  unary('sigmoid', T.sigmoid, 'any', ['Sigmoid']),
  unary('tanh', T.tanh, 'any', ['Tanh']),
  spec('clamp', ['Clamp'], clampCase),
  // not differentiable: masks, integer casts
  compare('eq', T.eq), compare('ne', T.ne), compare('lt', T.lt), compare('le', T.le), compare('gt', T.gt), compare('ge', T.ge),
  spec('cast', [], castCase, { exact: true }),
  // reductions
  reduction('sum', T.sum, 'any', ['Sum']),
  reduction('mean', T.mean, 'any', ['Sum', 'MulScalar']),
  reduction('max', T.max, 'distinct', ['MaxMin']),
  reduction('min', T.min, 'distinct', ['MaxMin']),
  spec('argmax', [], argCase('argmax', T.argmax), { exact: true }),
  spec('argmin', [], argCase('argmin', T.argmin), { exact: true }),
  spec('logsumexp', ['Sub', 'Exp', 'Sum', 'Log', 'Add', 'Reshape'], logsumexpCase),
  spec('variance', ['Sub', 'Square', 'Sum', 'MulScalar'], varianceCase),
  reduction('norm', T.norm, 'awayZero', ['Norm']),
  alongAxis('softmax', T.softmax, 'any', ['Softmax', 'Reshape'], 0),
  alongAxis('logSoftmax', T.logSoftmax, 'any', ['LogSoftmax', 'Reshape'], 0),
  // movement
  spec('reshape', ['Reshape'], reshapeCase),
  spec('permute', ['Permute'], permuteCase),
  spec('transpose', ['Permute'], transposeCase),
  spec('expand', [...BCAST], expandCase('expand', T.expand, true)),
  spec('broadcastTo', [...BCAST], expandCase('broadcastTo', T.broadcastTo, false)),
  spec('squeeze', ['Reshape'], squeezeCase),
  spec('unsqueeze', ['Reshape'], unsqueezeCase),
  spec('flatten', ['Reshape'], flattenCase),
  spec('cat', ['Cat'], catCase),
  spec('stack', ['Cat', 'Reshape'], stackCase),
  spec('slice', ['Slice'], sliceCase),
  spec('narrow', ['Slice'], narrowCase),
  spec('pad', ['Pad'], padCase),
  spec('repeat', [...BCAST], repeatCase),
  spec('gather', ['Gather'], gatherCase),
  spec('indexSelect', ['Gather'], indexSelectCase),
  spec('oneHot', [], oneHotCase, { exact: true }),
  // linear algebra
  ...matmulCases.map(([variant, fns, arb]) => spec('matmul', fns, arb, { variant })),
  // convolution, pooling, resampling
  spec('conv2d', ['Conv2d'], convCase(false), { variant: 'stride, padding, dilation, groups, bias' }),
  spec('conv2d', ['Conv2d'], convCase(true), { variant: 'depthwise' }),
  spec('avgPool2d', ['Pool2d'], poolCase('avgPool2d')),
  spec('maxPool2d', ['Pool2d'], poolCase('maxPool2d')),
  spec('interpolate', ['Resample2d'], interpCase('bilinear', true), { variant: 'bilinear, alignCorners' }),
  spec('interpolate', ['Resample2d'], interpCase('bilinear', false), { variant: 'bilinear' }),
  spec('interpolate', ['Resample2d'], interpCase('nearest', false), { variant: 'nearest' }),
  // normalisation, dropout, losses
  spec('normalize', ['Normalize'], normalizeCase),
  spec('batchNorm', ['BatchNorm'], batchNormCase(true), { variant: 'training, batch statistics' }),
  spec('batchNorm', ['BatchNorm'], batchNormCase(false), { variant: 'evaluation, running statistics' }),
  spec('dropout', ['Mul'], dropoutCase),
  spec('crossEntropy', ['LogSoftmax', 'Gather', 'Reshape', 'Mul', 'Neg', 'Sum', 'Div'], classLossCase('crossEntropy'), { variant: 'class targets', hostFns: CE_HOST_FNS }),
  spec('crossEntropy', ['LogSoftmax', 'Mul', 'Sum', 'Neg', 'MulScalar'], softCrossEntropyCase, { variant: 'soft targets' }),
  spec('nllLoss', ['Gather', 'Reshape', 'Mul', 'Neg', 'Sum', 'Div'], classLossCase('nllLoss')),
  // large cases (≥ 4096 output cells: webasm's worker threads engage)
  spec('add', ['Add', 'Reshape'], largeCases.add, LARGE),
  spec('gelu', ['Gelu'], largeCases.gelu, LARGE),
  spec('sum', ['Sum'], largeCases.sum, LARGE),
  spec('softmax', ['Softmax'], largeCases.softmax, LARGE),
  spec('matmul', ['Matmul'], largeCases.matmul, LARGE),
  spec('conv2d', ['Conv2d'], largeCases.conv2d, LARGE),
  spec('batchNorm', ['BatchNorm'], largeCases.batchNorm, LARGE),
  spec('maxPool2d', ['Pool2d'], largeCases.maxPool2d, LARGE),
  spec('gather', ['Gather'], largeCases.gather, LARGE),
  spec('pad', ['Pad'], largeCases.pad, LARGE),
  spec('permute', ['Permute'], largeCases.permute, LARGE),
  spec('interpolate', ['Resample2d'], largeCases.interpolate, LARGE),
  spec('crossEntropy', ['LogSoftmax', 'Gather', 'Reshape', 'Mul', 'Neg', 'Sum', 'Div'], largeCases.crossEntropy, { ...LARGE, hostFns: CE_HOST_FNS }),
];
