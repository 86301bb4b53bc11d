// Algebraic laws, on the reference and on every device backend: adjoint identities of the linear ops
// (⟨L x, y⟩ = ⟨x, Lᵀ y⟩), broadcasting commutativity and idempotence, reshape/permute round trips,
// and the softmax invariants (rows sum to 1, shift invariance).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import * as T from '../../src/index.js';
import { axisArb, broadcastShapesArb, dim, fcParams, floatInput, intInput, shapeArb, smallDim, toF32 } from '../helpers/arbitraries.js';
import {
  describeDevices, REFERENCE, runForward, runWithGrad, sizeOfShape, skipIfUnavailable, type HostInput, type Target,
} from '../helpers/backends.js';
import { expectClose, expectEqualArrays, forwardTolerance, testTolerance, type Tolerance } from '../helpers/close.js';

const RUNS = 8;

/** How closely the two sides of a law must agree on a backend. */
interface LawTolerance {
  /** Relative to Σ|terms| of both inner products (f32 summation error grows with that). */
  innerRtol: number;
  /** Absolute floor (f32 underflow of tiny products). */
  innerAtol: number;
  forward: Tolerance;
  grad: Tolerance;
}

function lawTolerance(target: Target): LawTolerance {
  if (target.name === 'reference') return { innerRtol: 1e-12, innerAtol: 1e-12, forward: testTolerance('reference'), grad: testTolerance('reference') };
  return { innerRtol: 1e-5, innerAtol: 1e-6, forward: forwardTolerance(target.name), grad: testTolerance('device-grad') };
}

function dot(a: ArrayLike<number>, b: ArrayLike<number>): { v: number; abs: number } {
  expect(a.length, 'inner product of arrays of different lengths').toBe(b.length);
  let v = 0;
  let abs = 0;
  for (let i = 0; i < a.length; i++) {
    v += a[i] * b[i];
    abs += Math.abs(a[i] * b[i]);
  }
  return { v, abs };
}

/** ⟨lhs⟩ = ⟨rhs⟩ within innerAtol + innerRtol · (Σ|terms| of both); a readable message otherwise. */
function expectInnerEqual(lhs: { v: number; abs: number }, rhs: { v: number; abs: number }, tol: LawTolerance, label: string): void {
  const allowed = tol.innerAtol + tol.innerRtol * (lhs.abs + rhs.abs);
  const diff = Math.abs(lhs.v - rhs.v);
  if (!(diff <= allowed)) {
    throw new Error(`${label}: ${lhs.v} ≠ ${rhs.v} (|difference| ${diff.toExponential(3)} > allowed ${allowed.toExponential(3)} = ${tol.innerAtol} + ${tol.innerRtol} × Σ|terms|)`);
  }
}

const values = (x: HostInput) => x.values;
const inverse = (p: readonly number[]) => p.map((_, i) => p.indexOf(i));

// ---- arbitraries ----

/** x with some size-1 axes, a broadcast target (new leading axes too), and y of the target's shape. */
const expandArb = shapeArb(0, 3, 12, fc.constantFrom(1, 1, 2, 3))
  .chain((s) => fc.tuple(fc.array(smallDim, { maxLength: 2 }), fc.tuple(...s.map((d) => (d === 1 ? fc.constantFrom(1, 2, 3) : fc.constant(d))))).map(([lead, rest]) => [s, [...lead, ...rest]]))
  .chain(([s, to]) => fc.tuple(floatInput(s), floatInput(to, 'any', false), fc.constant(to)));

const permArb = (r: number) => fc.shuffledSubarray(Array.from({ length: r }, (_, i) => i), { minLength: r, maxLength: r });
const permuteArb = shapeArb(1, 4).chain((s) => permArb(s.length).chain((p) => fc.tuple(floatInput(s), floatInput(p.map((a) => s[a]), 'any', false), fc.constant(p))));

const padArb = shapeArb(1, 3, 24)
  .chain((s) => fc.tuple(fc.constant(s), fc.array(fc.tuple(fc.integer({ min: 0, max: 2 }), fc.integer({ min: 0, max: 2 })), { minLength: s.length, maxLength: s.length })))
  .chain(([s, per]) => fc.tuple(floatInput(s), floatInput(s.map((d, i) => d + per[i][0] + per[i][1]), 'any', false), fc.constant(per)));

const matmulArb = fc.tuple(fc.array(smallDim, { maxLength: 1 }), dim, dim, dim)
  .chain(([bt, m, k, n]) => fc.tuple(floatInput([...bt, m, k]), floatInput([...bt, k, n]), floatInput([...bt, m, n], 'any', false)));

const convArb = fc.record({ N: fc.constantFrom(1, 2), g: fc.constantFrom(1, 2), cinG: smallDim, coutG: smallDim, H: fc.integer({ min: 3, max: 6 }), W: fc.integer({ min: 3, max: 6 }), k: fc.integer({ min: 1, max: 3 }), stride: fc.constantFrom(1, 2), padding: fc.constantFrom(0, 1), dilation: fc.constantFrom(1, 2) })
  .filter((c) => c.H + 2 * c.padding > c.dilation * (c.k - 1) && c.W + 2 * c.padding > c.dilation * (c.k - 1))
  .chain((c) => {
    const oh = Math.floor((c.H + 2 * c.padding - c.dilation * (c.k - 1) - 1) / c.stride) + 1;
    const ow = Math.floor((c.W + 2 * c.padding - c.dilation * (c.k - 1) - 1) / c.stride) + 1;
    return fc.tuple(floatInput([c.N, c.g * c.cinG, c.H, c.W]), floatInput([c.g * c.coutG, c.cinG, c.k, c.k]), floatInput([c.N, c.g * c.coutG, oh, ow], 'any', false), fc.constant(c));
  });

const gatherArb = shapeArb(1, 3, 24)
  .chain((s) => fc.tuple(fc.constant(s), axisArb(s.length), fc.integer({ min: 1, max: 4 })))
  .chain(([s, axis, m]) => {
    const a = axis < 0 ? axis + s.length : axis;
    const is = s.map((d, i) => (i === a ? m : d));
    return fc.tuple(floatInput(s), intInput(is, 0, s[a] - 1), floatInput(is, 'any', false), fc.constant(axis));
  });

/** Host scatter-add, the adjoint of gather: out[.., index[.., j, ..], ..] += src[.., j, ..]. */
function scatterAdd(src: ArrayLike<number>, index: ArrayLike<number>, ishape: readonly number[], xshape: readonly number[], axis: number): Float64Array {
  const out = new Float64Array(sizeOfShape(xshape));
  const a = axis < 0 ? axis + xshape.length : axis;
  const inner = sizeOfShape(xshape.slice(a + 1));
  for (let f = 0; f < src.length; f++) {
    const outer = Math.floor(f / (ishape[a] * inner));
    const rest = f % inner;
    out[(outer * xshape[a] + index[f]) * inner + rest] += src[f];
  }
  return out;
}

const softmaxArb = shapeArb(1, 4).chain((s) => fc.tuple(floatInput(s, 'any', false), axisArb(s.length), fc.double({ min: -5, max: 5, noNaN: true }).map(toF32)));

// ---- the laws, on one backend ----

function laws(target: Target, skip: (ctx: { skip: (note?: string) => never }) => void): void {
  const tol = lawTolerance(target);
  const prop = <A>(name: string, arb: fc.Arbitrary<A>, check: (a: A) => Promise<void>) =>
    it(name, async (ctx) => {
      skip(ctx);
      await fc.assert(fc.asyncProperty(arb, check), fcParams(RUNS));
    });

  prop('⟨expand(x), y⟩ = ⟨x, sumTo(y)⟩, and sumTo is the gradient of expand', expandArb, async ([x, y, to]) => {
    const r = await runWithGrad(target, [x], (a) => T.broadcastTo(a, to), y.values);
    // sumTo(y): sum over new leading axes and over axes where x has size 1, then back to x's shape.
    const lead = to.length - x.shape.length;
    const axes = to.map((_, i) => i).filter((i) => i < lead || (x.shape[i - lead] === 1 && to[i] !== 1));
    const s = await runForward(target, [y], (b) => T.reshape(axes.length > 0 ? T.sum(b, axes, true) : b, x.shape));
    expectClose(r.grads[0]!, s.values, tol.grad, `d expand(x)·y / dx vs sumTo(y), x${JSON.stringify(x.shape)} → ${JSON.stringify(to)}`);
    expectInnerEqual(dot(r.values, values(y)), dot(values(x), s.values), tol, `expand ${JSON.stringify(x.shape)} → ${JSON.stringify(to)}`);
  });

  prop('⟨permute(x, p), y⟩ = ⟨x, permute(y, p⁻¹)⟩', permuteArb, async ([x, y, p]) => {
    const px = await runForward(target, [x], (a) => T.permute(a, p));
    const py = await runForward(target, [y], (b) => T.permute(b, inverse(p)));
    expectInnerEqual(dot(px.values, values(y)), dot(values(x), py.values), tol, `permute ${JSON.stringify(x.shape)} by [${p}]`);
  });

  prop('⟨pad(x), y⟩ = ⟨x, slice(y)⟩ (zero padding)', padArb, async ([x, y, per]) => {
    const pads = [...per].reverse().flat(); // F.pad order: last axis first
    const padded = await runForward(target, [x], (a) => T.pad(a, pads));
    const inner = await runForward(target, [y], (b) => per.reduce((t, [before], i) => T.slice(t, i, before, before + x.shape[i]), b));
    expectInnerEqual(dot(padded.values, values(y)), dot(values(x), inner.values), tol, `pad ${JSON.stringify(x.shape)} by ${JSON.stringify(per)}`);
  });

  prop('⟨AB, G⟩ = ⟨A, G Bᵀ⟩ = ⟨B, Aᵀ G⟩', matmulArb, async ([a, b, g]) => {
    const ab = await runForward(target, [a, b], (p, q) => T.matmul(p, q));
    const gbt = await runForward(target, [g, b], (p, q) => T.matmul(p, T.transpose(q, -1, -2)));
    const atg = await runForward(target, [a, g], (p, q) => T.matmul(T.transpose(p, -1, -2), q));
    const lhs = dot(ab.values, values(g));
    const label = `matmul ${JSON.stringify(a.shape)}·${JSON.stringify(b.shape)}`;
    expectInnerEqual(lhs, dot(values(a), gbt.values), tol, `${label}, ⟨A, GBᵀ⟩`);
    expectInnerEqual(lhs, dot(values(b), atg.values), tol, `${label}, ⟨B, AᵀG⟩`);
  });

  prop('⟨conv2d(x, w), y⟩ = ⟨x, ∂/∂x⟩ = ⟨w, ∂/∂w⟩ (conv2d is bilinear)', convArb, async ([x, w, y, c]) => {
    const opts = { stride: c.stride, padding: c.padding, dilation: c.dilation, groups: c.g };
    const r = await runWithGrad(target, [x, w], (p, q) => T.conv2d(p, q, null, opts), y.values);
    const lhs = dot(r.values, values(y));
    const label = `conv2d x${JSON.stringify(x.shape)} w${JSON.stringify(w.shape)} ${JSON.stringify(opts)}`;
    expectInnerEqual(lhs, dot(values(x), r.grads[0]!), tol, `${label}, ⟨x, dx⟩`);
    expectInnerEqual(lhs, dot(values(w), r.grads[1]!), tol, `${label}, ⟨w, dw⟩`);
  });

  prop('⟨gather(x, idx), y⟩ = ⟨x, scatterAdd(y, idx)⟩, and scatterAdd is the gradient of gather', gatherArb, async ([x, idx, y, axis]) => {
    const r = await runWithGrad(target, [x, idx], (p, i) => T.gather(p, axis, i), y.values);
    const s = scatterAdd(values(y), values(idx), idx.shape, x.shape, axis);
    const label = `gather x${JSON.stringify(x.shape)} axis ${axis} idx=[${Array.from(values(idx))}]`;
    expectClose(r.grads[0]!, s, tol.grad, `${label}: gradient vs host scatter-add`, x.shape);
    expectInnerEqual(dot(r.values, values(y)), dot(values(x), s), tol, label);
  });

  prop('add and mul commute under broadcasting (exactly)', broadcastShapesArb(2).chain(([sa, sb]) => fc.tuple(floatInput(sa), floatInput(sb))), async ([a, b]) => {
    for (const op of [T.add, T.mul, T.maximum] as const) {
      const ab = await runForward(target, [a, b], (p, q) => op(p, q));
      const ba = await runForward(target, [a, b], (p, q) => op(q, p));
      expect(ab.shape).toEqual(ba.shape);
      expectEqualArrays(ab.values, ba.values, `${op.name}(a${JSON.stringify(a.shape)}, b${JSON.stringify(b.shape)}) vs swapped`, ab.shape);
    }
  });

  prop('broadcasting to its own shape, maximum(x, x) and minimum(x, x) are identities', shapeArb().chain((s) => floatInput(s)), async (x) => {
    for (const [name, fn] of [['broadcastTo', (a: T.Tensor) => T.broadcastTo(a, x.shape)], ['expand', (a: T.Tensor) => T.expand(a, x.shape)], ['maximum', (a: T.Tensor) => T.maximum(a, a)], ['minimum', (a: T.Tensor) => T.minimum(a, a)]] as const) {
      const y = await runForward(target, [x], fn);
      expect(y.shape).toEqual(x.shape);
      expectEqualArrays(y.values, values(x), `${name} of x${JSON.stringify(x.shape)}`, x.shape);
    }
  });

  prop('reshape and permute round trips give x back exactly', shapeArb(1).chain((s) => fc.tuple(floatInput(s), permArb(s.length), fc.constantFrom(-1, 1))), async ([x, p, k]) => {
    const flat = await runForward(target, [x], (a) => T.reshape(T.reshape(a, k === -1 ? [-1] : [1, sizeOfShape(x.shape)]), x.shape));
    expectEqualArrays(flat.values, values(x), `reshape round trip of x${JSON.stringify(x.shape)}`, x.shape);
    const back = await runForward(target, [x], (a) => T.permute(T.permute(a, p), inverse(p)));
    expect(back.shape).toEqual(x.shape);
    expectEqualArrays(back.values, values(x), `permute round trip of x${JSON.stringify(x.shape)} by [${p}]`, x.shape);
  });

  prop('softmax: entries in (0, 1], sums along the axis are 1, adding a constant changes nothing', softmaxArb, async ([x, axis, c]) => {
    const y = await runForward(target, [x], (a) => T.softmax(a, axis));
    const sums = await runForward(target, [x], (a) => T.sum(T.softmax(a, axis), axis));
    const shifted = await runForward(target, [x], (a) => T.softmax(T.add(a, c), axis));
    const rowShift = await runForward(target, [x], (a) => T.softmax(T.add(a, T.mul(T.max(a, axis, true), -1)), axis));
    for (const v of y.values) expect(v > 0 && v <= 1, `softmax value ${v} outside (0, 1]`).toBe(true);
    const label = `softmax(x${JSON.stringify(x.shape)}, ${axis})`;
    expectClose(sums.values, new Float64Array(sums.values.length).fill(1), tol.forward, `${label}: sums`);
    expectClose(shifted.values, y.values, tol.forward, `${label} + ${c}`, x.shape);
    expectClose(rowShift.values, y.values, tol.forward, `${label} − row max`, x.shape);
  });
}

describe('laws on the float64 reference', () => {
  laws(REFERENCE, () => {});
});

describeDevices('laws', (dev) => {
  laws(dev, (ctx) => skipIfUnavailable(dev, ctx));
});
