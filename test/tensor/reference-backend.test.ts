// The float64 reference backend (the test oracle): hand-derived cases per op family, plus adjoint and
// finite-difference identities for the backward ops (conv2d, pooling, gather/scatterAdd).
import { describe, expect, it } from 'vitest';
import type { Conv2dSpec, Pool2dSpec } from '../../src/tensor/backend.js';
import type { DType } from '../../src/tensor/dtype.js';
import { memory } from '../../src/tensor/memory.js';
import type { RawTensor } from '../../src/tensor/raw-tensor.js';
import { ReferenceBackend } from '../../src/tensor/backends/reference/reference-backend.js';
import { seeded as rng } from '../helpers/backends.js';

const be = new ReferenceBackend();

function t(data: readonly number[], shape: readonly number[], dtype: DType = 'float32'): RawTensor {
  return be.upload(data, shape, dtype);
}

async function values(x: RawTensor): Promise<number[]> {
  return Array.from(await be.download(x));
}

/** Element-wise |a - e| <= atol + rtol·|e| (NaN matches NaN, infinities must be equal). */
function expectClose(actual: ArrayLike<number>, expected: readonly number[], atol = 1e-9, rtol = 1e-9): void {
  expect(actual.length).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i];
    const e = expected[i];
    if (Number.isNaN(e) || !Number.isFinite(e)) {
      expect(a, `element ${i}`).toBe(e);
    } else if (Math.abs(a - e) > atol + rtol * Math.abs(e)) {
      expect.fail(`element ${i}: got ${a}, expected ${e} (atol ${atol}, rtol ${rtol})`);
    }
  }
}

async function expectValues(x: RawTensor, expected: readonly number[], atol?: number, rtol?: number): Promise<void> {
  expectClose(await values(x), expected, atol, rtol);
}

function randomArray(n: number, next: () => number): number[] {
  return Array.from({ length: n }, () => 2 * next() - 1);
}

function sizeOf(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

async function dot(a: RawTensor, b: RawTensor): Promise<number> {
  const x = await values(a);
  const y = await values(b);
  expect(x.length).toBe(y.length);
  let s = 0;
  for (let i = 0; i < x.length; i++) s += x[i] * y[i];
  return s;
}

// ---- data ----

describe('reference backend: data', () => {
  it('describes itself as the synchronous float64 oracle', async () => {
    expect(be.name).toBe('reference');
    expect(be.isAsync).toBe(false);
    expect(be.float64).toBe(true);
    await expect(be.sync()).resolves.toBeUndefined();
  });

  it('round-trips float32 tensors as Float64Array without rounding to float32', async () => {
    const x = t([0.1, -2, 3.5], [3]);
    const out = await be.download(x);
    expect(out).toBeInstanceOf(Float64Array);
    expect(Array.from(out)).toEqual([0.1, -2, 3.5]); // 0.1 is not representable in float32
    expect(x.shape).toEqual([3]);
    expect(x.dtype).toBe('float32');
  });

  it('downloads int32 tensors as Int32Array and truncates non-integers on upload', async () => {
    const x = t([2.7, -2.7, 5], [3], 'int32');
    const out = await be.download(x);
    expect(out).toBeInstanceOf(Int32Array);
    expect(Array.from(out)).toEqual([2, -2, 5]);
  });

  it('returns a copy from download', async () => {
    const x = t([1, 2], [2]);
    const out = await be.download(x);
    out[0] = 99;
    expect(await values(x)).toEqual([1, 2]);
  });

  it('fills a shape with a value', async () => {
    const x = be.fill([2, 2], 1.5, 'float32');
    expect(x.shape).toEqual([2, 2]);
    expect(await values(x)).toEqual([1.5, 1.5, 1.5, 1.5]);
    expect(await values(be.fill([3], 2.9, 'int32'))).toEqual([2, 2, 2]);
  });

  it('counts 8 bytes per element and frees them on dispose', () => {
    const before = memory();
    const x = t([1, 2, 3], [3]);
    expect(memory().numBytes - before.numBytes).toBe(24);
    expect(memory().numStorages - before.numStorages).toBe(1);
    x.dispose();
    expect(memory()).toEqual(before);
  });

  it('rejects a length mismatch and names the op when a disposed tensor is used', () => {
    expect(() => t([1, 2, 3], [2, 2])).toThrow(/upload: got 3 values for shape \[2, 2\]/);
    const x = t([1], [1]);
    x.dispose();
    expect(() => be.unary('exp', x)).toThrow(/exp: .*disposed/);
    expect(() => be.matmul(x, x, { batch: 1, M: 1, K: 1, N: 1, aBatch: 0, aRow: 1, aCol: 1, bBatch: 0, bRow: 1, bCol: 1 }, [1, 1, 1]))
      .toThrow(/matmul: .*disposed/);
  });
});

// ---- element-wise ----

describe('reference backend: unary', () => {
  const x = [-2, -0.5, 0, 1.5];

  it('computes the algebraic ops', async () => {
    const X = t(x, [2, 2]);
    await expectValues(be.unary('neg', X), [2, 0.5, 0, -1.5]);
    await expectValues(be.unary('abs', X), [2, 0.5, 0, 1.5]);
    await expectValues(be.unary('sign', X), [-1, -1, 0, 1]);
    await expectValues(be.unary('square', X), [4, 0.25, 0, 2.25]);
    await expectValues(be.unary('relu', X), [0, 0, 0, 1.5]);
    await expectValues(be.unary('step', X), [0, 0, 0, 1]); // subgradient 0 at x = 0
    await expectValues(be.unary('floor', X), [-2, -1, 0, 1]);
    await expectValues(be.unary('copy', X), x);
    expect(be.unary('neg', X).shape).toEqual([2, 2]);
    // 1/x of -2, -0.5, 1.5
    await expectValues(be.unary('reciprocal', t([-2, -0.5, 1.5], [3])), [-0.5, -2, 2 / 3]);
  });

  it('computes exp, log, sqrt and rsqrt', async () => {
    await expectValues(be.unary('exp', t([0, 1, -1], [3])), [1, Math.E, 1 / Math.E]);
    await expectValues(be.unary('log', t([1, Math.E, 0.5], [3])), [0, 1, -Math.LN2]);
    await expectValues(be.unary('sqrt', t([4, 2.25, 0], [3])), [2, 1.5, 0]);
    await expectValues(be.unary('rsqrt', t([4, 0.25], [2])), [0.5, 2]);
  });

  it('computes sigmoid stably and tanh', async () => {
    // σ(ln 3) = 1/(1 + 1/3) = 3/4, σ(-ln 3) = 1/4; σ(±800) must not be NaN.
    await expectValues(be.unary('sigmoid', t([0, Math.log(3), -Math.log(3), 800, -800], [5])), [0.5, 0.75, 0.25, 1, 0]);
    // tanh(ln 2) = (2 - 1/2) / (2 + 1/2) = 0.6
    await expectValues(be.unary('tanh', t([0, Math.LN2, -Math.LN2], [3])), [0, 0.6, -0.6]);
  });

  it('computes erf to float64 accuracy', async () => {
    // Reference values of erf (16-17 significant digits, from a float64 libm erf).
    const xs = [0, 0.1, 0.5, 1, 1.5, 2, 2.5, 3, 5, -0.7, Infinity, -Infinity];
    const erf = [
      0, 0.1124629160182849, 0.5204998778130465, 0.8427007929497149, 0.9661051464753108, 0.9953222650189527,
      0.999593047982555, 0.9999779095030014, 0.9999999999984626, -0.6778011938374184, 1, -1,
    ];
    await expectValues(be.unary('erf', t(xs, [xs.length])), erf, 1e-14, 0);
    await expectValues(be.unary('erf', t([NaN], [1])), [NaN]);
  });

  it('computes the exact gelu and its derivative', async () => {
    // gelu(x) = x·Φ(x); Φ(1) = 0.8413447460685429, Φ(-1) = 1 - Φ(1), Φ(-3) = 0.0013498980316300946.
    const xs = [0, 1, -1, -3];
    await expectValues(be.unary('gelu', t(xs, [4])), [0, 0.8413447460685429, -0.15865525393145707, -0.004049694094890287], 1e-13);
    // geluGrad(x) = Φ(x) + x·φ(x): at 0 it is 1/2; at 1 it is 0.8413447460685429 + 0.24197072451914337.
    await expectValues(be.unary('geluGrad', t([0, 1], [2])), [0.5, 1.0833154705876863], 1e-13);
    // Central differences of gelu agree with geluGrad (error O(h²) ≈ 1e-10).
    const h = 1e-5;
    const pts = [-2.3, -0.4, 0.7, 1.9, 3.1];
    const up = await values(be.unary('gelu', t(pts.map((p) => p + h), [5])));
    const down = await values(be.unary('gelu', t(pts.map((p) => p - h), [5])));
    const fd = up.map((u, i) => (u - down[i]) / (2 * h));
    expectClose(await values(be.unary('geluGrad', t(pts, [5]))), fd, 1e-8, 0);
  });

  it('computes the scalar ops', async () => {
    const X = t(x, [4]);
    await expectValues(be.unary('addScalar', X, 1), [-1, 0.5, 1, 2.5]);
    await expectValues(be.unary('mulScalar', X, 2), [-4, -1, 0, 3]);
    await expectValues(be.unary('powScalar', t([1, 2, 3, 4], [4]), 2), [1, 4, 9, 16]);
    await expectValues(be.unary('powScalar', t([4, 9], [2]), 0.5), [2, 3]);
    // 2^-1, 2^0, 2^3
    await expectValues(be.unary('rpowScalar', t([-1, 0, 3], [3]), 2), [0.5, 1, 8]);
    await expectValues(be.unary('clampMin', X, -1), [-1, -0.5, 0, 1.5]);
    await expectValues(be.unary('clampMax', X, 0), [-2, -0.5, 0, 0]);
  });

  it('compares against the scalar with 0/1 float32 masks', async () => {
    const X = t(x, [4]); // [-2, -0.5, 0, 1.5] OP 0
    await expectValues(be.unary('eqScalar', X, 0), [0, 0, 1, 0]);
    await expectValues(be.unary('neScalar', X, 0), [1, 1, 0, 1]);
    await expectValues(be.unary('ltScalar', X, 0), [1, 1, 0, 0]);
    await expectValues(be.unary('leScalar', X, 0), [1, 1, 1, 0]);
    await expectValues(be.unary('gtScalar', X, 0), [0, 0, 0, 1]);
    await expectValues(be.unary('geScalar', X, 0), [0, 0, 1, 1]);
  });

  it('keeps int32 except for comparisons and float-valued ops, truncating int32 results', async () => {
    const I = t([3, -3], [2], 'int32');
    expect(be.unary('neg', I).dtype).toBe('int32');
    expect(be.unary('relu', I).dtype).toBe('int32');
    expect(be.unary('addScalar', I, 1).dtype).toBe('int32');
    for (const op of ['exp', 'log', 'sqrt', 'rsqrt', 'sigmoid', 'tanh', 'gelu', 'geluGrad', 'erf', 'reciprocal'] as const) {
      expect(be.unary(op, I).dtype, op).toBe('float32');
    }
    expect(be.unary('gtScalar', I, 0).dtype).toBe('float32');
    await expectValues(be.unary('mulScalar', I, 0.5), [1, -1]); // 1.5 → 1, -1.5 → -1
  });

  it('requires the scalar argument of scalar ops', () => {
    expect(() => be.unary('addScalar', t([1], [1]))).toThrow(/unary: op 'addScalar' needs a scalar/);
  });
});

describe('reference backend: binary, where, cast', () => {
  const a = [1, -2, 3, 4];
  const b = [2, 2, -3, 4];

  it('computes arithmetic ops element-wise', async () => {
    const A = t(a, [2, 2]);
    const B = t(b, [2, 2]);
    await expectValues(be.binary('add', A, B), [3, 0, 0, 8]);
    await expectValues(be.binary('sub', A, B), [-1, -4, 6, 0]);
    await expectValues(be.binary('mul', A, B), [2, -4, -9, 16]);
    await expectValues(be.binary('div', A, B), [0.5, -1, -1, 1]);
    await expectValues(be.binary('maximum', A, B), [2, 2, 3, 4]);
    await expectValues(be.binary('minimum', A, B), [1, -2, -3, 4]);
    // 2^3, 4^0.5, 9^-1
    await expectValues(be.binary('pow', t([2, 4, 9], [3]), t([3, 0.5, -1], [3])), [8, 2, 1 / 9]);
    expect(be.binary('add', A, B).shape).toEqual([2, 2]);
  });

  it('compares element-wise with 0/1 float32 masks', async () => {
    const A = t(a, [4]);
    const B = t(b, [4]);
    await expectValues(be.binary('eq', A, B), [0, 0, 0, 1]);
    await expectValues(be.binary('ne', A, B), [1, 1, 1, 0]);
    await expectValues(be.binary('lt', A, B), [1, 1, 0, 0]);
    await expectValues(be.binary('le', A, B), [1, 1, 0, 1]);
    await expectValues(be.binary('gt', A, B), [0, 0, 1, 0]);
    await expectValues(be.binary('ge', A, B), [0, 0, 1, 1]);
  });

  it('gives int32 only for add/sub/mul/maximum/minimum of two int32 inputs', async () => {
    const I = t([7, -7], [2], 'int32');
    const J = t([2, 2], [2], 'int32');
    const F = t([2, 2], [2]);
    for (const op of ['add', 'sub', 'mul', 'maximum', 'minimum'] as const) {
      expect(be.binary(op, I, J).dtype, op).toBe('int32');
      expect(be.binary(op, I, F).dtype, op).toBe('float32');
    }
    for (const op of ['div', 'pow', 'eq', 'ne', 'lt', 'le', 'gt', 'ge'] as const) expect(be.binary(op, I, J).dtype, op).toBe('float32');
    await expectValues(be.binary('div', I, J), [3.5, -3.5]); // true division, no truncation
  });

  it('broadcasts size-1 axes of either input, and rejects other shapes', async () => {
    await expectValues(be.binary('sub', t([1, 2], [2, 1]), t([10, 20, 30], [1, 3])), [-9, -19, -29, -8, -18, -28]);
    expect(() => be.binary('add', t([1, 2], [2]), t([1, 2], [1, 2]))).toThrow(/add: a and b must have one rank and, per axis, equal sizes or a 1; got \[2\] and \[1, 2\]/);
    expect(() => be.binary('add', t([1, 2], [2]), t([1, 2, 3], [3]))).toThrow(/add: a and b must have one rank/);
  });

  it('selects with where (cond != 0)', async () => {
    const out = be.where(t([1, 0, -2, 0], [4]), t([1, 2, 3, 4], [4]), t([10, 20, 30, 40], [4]));
    await expectValues(out, [1, 20, 3, 40]);
    expect(out.dtype).toBe('float32');
  });

  it('casts float to int32 by truncating toward zero, and back', async () => {
    const i = be.cast(t([-1.7, 2.9, -0.2, 3], [4]), 'int32');
    expect(i.dtype).toBe('int32');
    expect(await be.download(i)).toEqual(Int32Array.from([-1, 2, 0, 3]));
    const f = be.cast(i, 'float32');
    expect(f.dtype).toBe('float32');
    await expectValues(f, [-1, 2, 0, 3]);
  });
});

// ---- movement ----

describe('reference backend: movement', () => {
  const x23 = [0, 1, 2, 3, 4, 5]; // [[0, 1, 2], [3, 4, 5]]

  it('reads strided views: transpose, expand, flip, stepped slice', async () => {
    const X = t(x23, [2, 3]);
    // transpose: out[i, j] = x[j, i] = x[3j + i]
    const T = be.strided(X, [3, 2], [1, 3], 0);
    expect(T.shape).toEqual([3, 2]);
    await expectValues(T, [0, 3, 1, 4, 2, 5]);
    // expand a row with stride 0 on the new axis
    await expectValues(be.strided(t([7, 8, 9], [3]), [2, 3], [0, 1], 0), [7, 8, 9, 7, 8, 9]);
    // flip the last axis: out[i, j] = x[i, 2 - j] = x[2 + 3i - j]
    await expectValues(be.strided(X, [2, 3], [3, -1], 2), [2, 1, 0, 5, 4, 3]);
    // x[1::3] of 0..9
    await expectValues(be.strided(t([0, 1, 2, 3, 4, 5, 6, 7, 8, 9], [10]), [3], [3], 1), [1, 4, 7]);
  });

  it('rejects strided reads outside the input', () => {
    // offset 2 + 2·3 = 8 is past the 6 elements
    expect(() => be.strided(t(x23, [2, 3]), [3], [3], 2)).toThrow(/strided: .*reads element 8 of an input of shape \[2, 3\]/);
  });

  it('pads with a constant', async () => {
    // [[1, 2], [3, 4]] with one row before and two columns after, filled with 9
    const P = be.pad(t([1, 2, 3, 4], [2, 2]), [[1, 0], [0, 2]], 9);
    expect(P.shape).toEqual([3, 4]);
    await expectValues(P, [9, 9, 9, 9, 1, 2, 9, 9, 3, 4, 9, 9]);
    await expectValues(be.pad(t([5], [1]), [[2, 1]], 0), [0, 0, 5, 0]);
  });

  it('gathers along an axis, reading 0 for out-of-range indices', async () => {
    const X = t([10, 11, 12, 20, 21, 22], [2, 3]);
    // axis 1: out[i, j] = x[i, index[i, j]]; index 5 and -1 are out of range
    const G = be.gather(X, t([2, 0, 1, 5, -1, 1], [2, 3], 'int32'), 1);
    expect(G.shape).toEqual([2, 3]);
    await expectValues(G, [12, 10, 11, 0, 0, 21]);
    // axis 0 with a shorter index: out[0, j] = x[index[0, j], j]
    const G0 = be.gather(X, t([1, 0, 1], [1, 3], 'int32'), 0);
    expect(G0.shape).toEqual([1, 3]);
    await expectValues(G0, [20, 11, 22]);
  });

  it('scatter-adds along an axis, skipping out-of-range indices', async () => {
    // row 0: both sources land in column 2 (1 + 2); row 1: 3 lands in column 0, index 5 is skipped
    const S = be.scatterAdd(t([1, 2, 3, 4], [2, 2]), t([2, 2, 0, 5], [2, 2], 'int32'), 1, [2, 3]);
    expect(S.shape).toEqual([2, 3]);
    await expectValues(S, [0, 0, 3, 3, 0, 0]);
  });

  it('satisfies the adjoint identity ⟨gather(x, i), y⟩ = ⟨x, scatterAdd(y, i)⟩', async () => {
    const next = rng(7);
    for (const axis of [0, 1, 2]) {
      const xShape = [3, 4, 5];
      const iShape = [...xShape];
      iShape[axis] = 6;
      // indices in [-1, xShape[axis] + 1], so some fall out of range on both sides
      const idx = Array.from({ length: sizeOf(iShape) }, () => Math.floor(next() * (xShape[axis] + 3)) - 1);
      const X = t(randomArray(sizeOf(xShape), next), xShape);
      const Y = t(randomArray(sizeOf(iShape), next), iShape);
      const I = t(idx, iShape, 'int32');
      const lhs = await dot(be.gather(X, I, axis), Y);
      const rhs = await dot(X, be.scatterAdd(Y, I, axis, xShape));
      expect(Math.abs(lhs - rhs), `axis ${axis}`).toBeLessThan(1e-9);
    }
  });

  it('rejects non-int32 indices and mismatched index shapes', () => {
    const X = t(x23, [2, 3]);
    expect(() => be.gather(X, t([0, 1], [2, 1]), 1)).toThrow(/gather: index must be an int32 tensor/);
    expect(() => be.gather(X, t([0, 1, 0], [3, 1], 'int32'), 1)).toThrow(/gather: index of shape \[3, 1\] must match x of shape \[2, 3\]/);
  });

  it('one-hot encodes labels, with all-zero rows out of range', async () => {
    const O = be.oneHot(t([0, 2, 3, -1], [2, 2], 'int32'), 3);
    expect(O.shape).toEqual([2, 2, 3]);
    expect(O.dtype).toBe('float32');
    await expectValues(O, [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0]);
  });
});

// ---- reductions ----

describe('reference backend: reduce', () => {
  // rows [1, 5, 5] and [-1, -7, -7]
  const X = () => t([1, 5, 5, -1, -7, -7], [2, 3]);

  it('sums, maxes and mins over the last axis', async () => {
    await expectValues(be.reduce('sum', X(), [2]), [11, -15]);
    await expectValues(be.reduce('max', X(), [2]), [5, -1]);
    await expectValues(be.reduce('min', X(), [2, 1]), [1, -7]);
    expect(be.reduce('min', X(), [2, 1]).shape).toEqual([2, 1]);
    expect(be.reduce('sum', X(), [2]).dtype).toBe('float32');
  });

  it('gives int32 first indices of the extreme value for argmax/argmin', async () => {
    const am = be.reduce('argmax', X(), [2]);
    expect(am.dtype).toBe('int32');
    expect(await be.download(am)).toEqual(Int32Array.from([1, 0])); // the first 5 is at 1
    expect(await values(be.reduce('argmin', X(), [2]))).toEqual([0, 1]); // the first -7 is at 1
  });

  it('keeps int32 for sum/max/min of int32 input, and propagates NaN', async () => {
    const I = t([1, 2, 3, 4], [2, 2], 'int32');
    for (const op of ['sum', 'max', 'min'] as const) expect(be.reduce(op, I, [2]).dtype, op).toBe('int32');
    await expectValues(be.reduce('sum', I, [2]), [3, 7]);
    const N = t([1, NaN, 3], [1, 3]);
    await expectValues(be.reduce('max', N, [1]), [NaN]);
    expect(await values(be.reduce('argmax', N, [1]))).toEqual([1]);
  });

  it('rejects an output shape that does not match the rows', () => {
    expect(() => be.reduce('sum', X(), [3])).toThrow(/reduce: sum over the last axis of \[2, 3\] cannot give the output shape \[3\]/);
  });
});

// ---- contractions ----

describe('reference backend: matmul', () => {
  // [[1, 2, 3], [4, 5, 6]] · [[7, 8], [9, 10], [11, 12]] = [[58, 64], [139, 154]]
  const A = [1, 2, 3, 4, 5, 6];
  const B = [7, 8, 9, 10, 11, 12];
  const spec = { batch: 1, M: 2, K: 3, N: 2, aBatch: 6, aRow: 3, aCol: 1, bBatch: 6, bRow: 2, bCol: 1 };

  it('multiplies row-major matrices', async () => {
    const out = be.matmul(t(A, [2, 3]), t(B, [3, 2]), spec, [2, 2]);
    expect(out.shape).toEqual([2, 2]);
    expect(out.dtype).toBe('float32');
    await expectValues(out, [58, 64, 139, 154]);
  });

  it('reads a transposed operand through its strides', async () => {
    // Bᵀ stored row-major as [[7, 9, 11], [8, 10, 12]]: B[k, n] = bt[3n + k]
    const bt = [7, 9, 11, 8, 10, 12];
    await expectValues(be.matmul(t(A, [2, 3]), t(bt, [2, 3]), { ...spec, bRow: 1, bCol: 3 }, [2, 2]), [58, 64, 139, 154]);
  });

  it('broadcasts an operand with batch stride 0', async () => {
    // batch 0 uses A, batch 1 uses 2A; B is shared, so batch 1 is twice batch 0
    const a2 = [...A, ...A.map((v) => 2 * v)];
    const out = be.matmul(t(a2, [2, 2, 3]), t(B, [3, 2]), { ...spec, batch: 2, bBatch: 0 }, [2, 2, 2]);
    await expectValues(out, [58, 64, 139, 154, 116, 128, 278, 308]);
  });

  it('rejects specs that read past an operand', () => {
    expect(() => be.matmul(t(A, [2, 3]), t(B, [3, 2]), { ...spec, aRow: 4 }, [2, 2])).toThrow(/matmul: .*reads a at offsets 0\.\.6, but a holds 6 elements/);
  });
});

function convSpec(p: Omit<Conv2dSpec, 'OH' | 'OW'>): Conv2dSpec {
  // PyTorch: O = floor((I + 2p - d·(k - 1) - 1) / s) + 1
  const OH = Math.floor((p.H + 2 * p.padH - p.dilationH * (p.kh - 1) - 1) / p.strideH) + 1;
  const OW = Math.floor((p.W + 2 * p.padW - p.dilationW * (p.kw - 1) - 1) / p.strideW) + 1;
  return { ...p, OH, OW };
}

const plainConv = { N: 1, Cin: 1, H: 3, W: 3, Cout: 1, kh: 2, kw: 2, strideH: 1, strideW: 1, padH: 0, padW: 0, dilationH: 1, dilationW: 1, groups: 1 };
const x3x3 = [1, 2, 3, 4, 5, 6, 7, 8, 9]; // [[1, 2, 3], [4, 5, 6], [7, 8, 9]]

describe('reference backend: conv2d', () => {
  it('convolves with a 2×2 box kernel', async () => {
    const spec = convSpec(plainConv);
    const y = be.conv2d(t(x3x3, [1, 1, 3, 3]), t([1, 1, 1, 1], [1, 1, 2, 2]), spec);
    expect(y.shape).toEqual([1, 1, 2, 2]);
    // window sums: 1+2+4+5, 2+3+5+6, 4+5+7+8, 5+6+8+9
    await expectValues(y, [12, 16, 24, 28]);
  });

  it('applies padding and stride', async () => {
    const spec = convSpec({ ...plainConv, padH: 1, padW: 1, strideH: 2, strideW: 2 });
    expect([spec.OH, spec.OW]).toEqual([2, 2]);
    // windows start at rows/cols -1 and 1: {1}, {2, 3}, {4, 7}, {5, 6, 8, 9}
    await expectValues(be.conv2d(t(x3x3, [1, 1, 3, 3]), t([1, 1, 1, 1], [1, 1, 2, 2]), spec), [1, 5, 11, 28]);
  });

  it('applies dilation', async () => {
    const spec = convSpec({ ...plainConv, dilationH: 2, dilationW: 2 });
    expect([spec.OH, spec.OW]).toEqual([1, 1]);
    // taps at the four corners: 1·1 + 3·10 + 7·100 + 9·1000
    await expectValues(be.conv2d(t(x3x3, [1, 1, 3, 3]), t([1, 10, 100, 1000], [1, 1, 2, 2]), spec), [9731]);
  });

  it('sums over input channels and separates groups', async () => {
    // Cin 2 → Cout 1 with w = [1, -1]: y = x0 - x1
    const two = convSpec({ ...plainConv, Cin: 2, H: 2, W: 2, kh: 1, kw: 1 });
    await expectValues(be.conv2d(t([1, 2, 3, 4, 10, 20, 30, 40], [1, 2, 2, 2]), t([1, -1], [1, 2, 1, 1]), two), [-9, -18, -27, -36]);
    // groups 2, Cout 4: channels 0, 1 read input channel 0 (= 3); channels 2, 3 read input channel 1 (= 5)
    const grouped = convSpec({ ...plainConv, Cin: 2, Cout: 4, H: 1, W: 1, kh: 1, kw: 1, groups: 2 });
    const y = be.conv2d(t([3, 5], [1, 2, 1, 1]), t([1, 2, 10, 20], [4, 1, 1, 1]), grouped);
    expect(y.shape).toEqual([1, 4, 1, 1]);
    await expectValues(y, [3, 6, 50, 100]);
  });

  it('computes both backward passes for the box kernel', async () => {
    const spec = convSpec(plainConv);
    const dy = t([1, 1, 1, 1], [1, 1, 2, 2]);
    // dx counts how many of the four windows cover each cell: corners 1, edges 2, centre 4
    const dx = be.conv2dBackwardInput(dy, t([1, 1, 1, 1], [1, 1, 2, 2]), spec);
    expect(dx.shape).toEqual([1, 1, 3, 3]);
    await expectValues(dx, [1, 2, 1, 2, 4, 2, 1, 2, 1]);
    // dw[i, j] = Σ_{oh, ow} x[oh + i, ow + j]: the same window sums as the forward
    const dw = be.conv2dBackwardWeight(t(x3x3, [1, 1, 3, 3]), dy, spec);
    expect(dw.shape).toEqual([1, 1, 2, 2]);
    await expectValues(dw, [12, 16, 24, 28]);
  });

  it('rejects inputs that do not match the spec', () => {
    const spec = convSpec(plainConv);
    expect(() => be.conv2d(t([1, 2, 3, 4], [1, 1, 2, 2]), t([1, 1, 1, 1], [1, 1, 2, 2]), spec)).toThrow(/conv2d: x of shape \[1, 1, 2, 2\]/);
    expect(() => be.conv2d(t([1, 2, 3], [1, 3, 1, 1]), t([1, 1, 1], [3, 1, 1, 1]), convSpec({ ...plainConv, Cin: 3, Cout: 3, H: 1, W: 1, kh: 1, kw: 1, groups: 2 })))
      .toThrow(/conv2d: groups \(2\) must divide both Cin \(3\) and Cout \(3\)/);
  });

  const geometries: [string, Omit<Conv2dSpec, 'OH' | 'OW'>][] = [
    ['strided, padded, dilated, grouped', { N: 2, Cin: 4, H: 5, W: 6, Cout: 6, kh: 3, kw: 2, strideH: 2, strideW: 1, padH: 1, padW: 0, dilationH: 1, dilationW: 2, groups: 2 }],
    ['depthwise 3×3, padding 1', { N: 1, Cin: 3, H: 4, W: 4, Cout: 3, kh: 3, kw: 3, strideH: 1, strideW: 1, padH: 1, padW: 1, dilationH: 1, dilationW: 1, groups: 3 }],
    ['1×1, stride 2', { N: 2, Cin: 3, H: 5, W: 5, Cout: 2, kh: 1, kw: 1, strideH: 2, strideW: 2, padH: 0, padW: 0, dilationH: 1, dilationW: 1, groups: 1 }],
    ['kernel larger than stride with big padding', { N: 1, Cin: 2, H: 3, W: 4, Cout: 4, kh: 4, kw: 3, strideH: 3, strideW: 2, padH: 2, padW: 2, dilationH: 1, dilationW: 1, groups: 1 }],
  ];

  it.each(geometries)('has adjoint backward passes (%s)', async (_name, geometry) => {
    const spec = convSpec(geometry);
    const next = rng(11);
    const xShape = [spec.N, spec.Cin, spec.H, spec.W];
    const wShape = [spec.Cout, spec.Cin / spec.groups, spec.kh, spec.kw];
    const yShape = [spec.N, spec.Cout, spec.OH, spec.OW];
    const x = t(randomArray(sizeOf(xShape), next), xShape);
    const w = t(randomArray(sizeOf(wShape), next), wShape);
    const dy = t(randomArray(sizeOf(yShape), next), yShape);
    const y = be.conv2d(x, w, spec);
    expect(y.shape).toEqual(yShape);
    const dx = be.conv2dBackwardInput(dy, w, spec);
    const dw = be.conv2dBackwardWeight(x, dy, spec);
    expect(dx.shape).toEqual(xShape);
    expect(dw.shape).toEqual(wShape);
    // conv is bilinear, so ⟨conv(x, w), dy⟩ = ⟨x, dx⟩ = ⟨w, dw⟩ exactly (up to rounding)
    const ydy = await dot(y, dy);
    expect(Math.abs(ydy - (await dot(x, dx)))).toBeLessThan(1e-9);
    expect(Math.abs(ydy - (await dot(w, dw)))).toBeLessThan(1e-9);
    // Central differences along random directions v (input) and u (weight):
    // ⟨(conv(x + εv, w) - conv(x - εv, w)) / 2ε, dy⟩ = ⟨v, dx⟩, and likewise for w.
    const eps = 1e-3;
    const v = randomArray(sizeOf(xShape), next);
    const u = randomArray(sizeOf(wShape), next);
    const xv = await values(x);
    const wv = await values(w);
    const shift = (base: number[], dir: number[], s: number, shape: number[]) => t(base.map((b, i) => b + s * eps * dir[i]), shape);
    const fdX = ((await dot(be.conv2d(shift(xv, v, 1, xShape), w, spec), dy)) - (await dot(be.conv2d(shift(xv, v, -1, xShape), w, spec), dy))) / (2 * eps);
    const fdW = ((await dot(be.conv2d(x, shift(wv, u, 1, wShape), spec), dy)) - (await dot(be.conv2d(x, shift(wv, u, -1, wShape), spec), dy))) / (2 * eps);
    expect(Math.abs(fdX - (await dot(t(v, xShape), dx)))).toBeLessThan(1e-9);
    expect(Math.abs(fdW - (await dot(t(u, wShape), dw)))).toBeLessThan(1e-9);
  });
});

// ---- pooling ----

describe('reference backend: pool2d', () => {
  const x4x4 = Array.from({ length: 16 }, (_, i) => i + 1); // rows 1..4, 5..8, 9..12, 13..16
  const pool2x2: Pool2dSpec = { N: 1, C: 1, H: 4, W: 4, OH: 2, OW: 2, kh: 2, kw: 2, strideH: 2, strideW: 2, padH: 0, padW: 0 };
  const padded: Pool2dSpec = { N: 1, C: 1, H: 2, W: 2, OH: 3, OW: 3, kh: 2, kw: 2, strideH: 1, strideW: 1, padH: 1, padW: 1 };

  it('max- and average-pools 2×2 windows', async () => {
    const X = t(x4x4, [1, 1, 4, 4]);
    const y = be.pool2d('max', X, pool2x2);
    expect(y.shape).toEqual([1, 1, 2, 2]);
    await expectValues(y, [6, 8, 14, 16]);
    // (1+2+5+6)/4, (3+4+7+8)/4, (9+10+13+14)/4, (11+12+15+16)/4
    await expectValues(be.pool2d('avg', X, pool2x2), [3.5, 5.5, 11.5, 13.5]);
  });

  it('counts padded cells as 0 in the average divisor', async () => {
    // x = [[1, 2], [3, 4]], every window divided by 4: {1}, {1,2}, {2}, {1,3}, {1..4}, {2,4}, {3}, {3,4}, {4}
    await expectValues(be.pool2d('avg', t([1, 2, 3, 4], [1, 1, 2, 2]), padded), [0.25, 0.75, 0.5, 1, 2.5, 1.5, 0.75, 1.75, 1]);
  });

  it('ignores padded cells in max pooling', async () => {
    // all inputs negative: a padded 0 must never win
    await expectValues(be.pool2d('max', t([-1, -2, -3, -4], [1, 1, 2, 2]), padded), [-1, -1, -2, -1, -1, -2, -3, -3, -4]);
  });

  it('routes max-pool gradients to the first maximal cell, accumulating over windows', async () => {
    const one: Pool2dSpec = { ...pool2x2, H: 2, W: 2, OH: 1, OW: 1 };
    // three tied maxima: the first (row-major) gets all of dy
    await expectValues(be.pool2dBackward('max', t([5, 5, 5, 1], [1, 1, 2, 2]), t([7], [1, 1, 1, 1]), one), [7, 0, 0, 0]);
    // overlapping 1×2 windows over [1, 3, 2] both pick the 3: it receives 1 + 10
    const row: Pool2dSpec = { N: 1, C: 1, H: 1, W: 3, OH: 1, OW: 2, kh: 1, kw: 2, strideH: 1, strideW: 1, padH: 0, padW: 0 };
    const dx = be.pool2dBackward('max', t([1, 3, 2], [1, 1, 1, 3]), t([1, 10], [1, 1, 1, 2]), row);
    expect(dx.shape).toEqual([1, 1, 1, 3]);
    await expectValues(dx, [0, 11, 0]);
  });

  it('spreads avg-pool gradients as dy/(kh·kw) over in-bounds cells', async () => {
    // each of the 4 cells lies in 4 of the 9 padded windows: 4 · (1/4) = 1
    await expectValues(be.pool2dBackward('avg', t([1, 2, 3, 4], [1, 1, 2, 2]), be.fill([1, 1, 3, 3], 1, 'float32'), padded), [1, 1, 1, 1]);
    // non-overlapping windows: each cell gets its window's dy / 4
    const dx = be.pool2dBackward('avg', t(x4x4, [1, 1, 4, 4]), t([4, 8, 12, 16], [1, 1, 2, 2]), pool2x2);
    await expectValues(dx, [1, 1, 2, 2, 1, 1, 2, 2, 3, 3, 4, 4, 3, 3, 4, 4]);
  });

  const geometries: [string, Pool2dSpec][] = [
    ['3×3 stride 2 pad 1', { N: 2, C: 3, H: 7, W: 6, OH: 4, OW: 3, kh: 3, kw: 3, strideH: 2, strideW: 2, padH: 1, padW: 1 }],
    ['2×3 overlapping, stride 1', { N: 1, C: 2, H: 5, W: 5, OH: 4, OW: 3, kh: 2, kw: 3, strideH: 1, strideW: 1, padH: 0, padW: 0 }],
  ];

  it.each(geometries)('has adjoint backward passes (%s)', async (_name, spec) => {
    const next = rng(23);
    const xShape = [spec.N, spec.C, spec.H, spec.W];
    const yShape = [spec.N, spec.C, spec.OH, spec.OW];
    const xv = randomArray(sizeOf(xShape), next);
    const x = t(xv, xShape);
    const dy = t(randomArray(sizeOf(yShape), next), yShape);
    for (const op of ['avg', 'max'] as const) {
      const dx = be.pool2dBackward(op, x, dy, spec);
      expect(dx.shape).toEqual(xShape);
      // avg is linear and max is positively homogeneous (pool(x) = S(x)·x with S(x) a selection),
      // so ⟨pool(x), dy⟩ = ⟨x, dx⟩ holds exactly for both.
      expect(Math.abs((await dot(be.pool2d(op, x, spec), dy)) - (await dot(x, dx))), op).toBeLessThan(1e-9);
      // Central difference along a random v; with distinct random values no window's argmax moves.
      const eps = 1e-6;
      const v = randomArray(xv.length, next);
      const plus = be.pool2d(op, t(xv.map((a, i) => a + eps * v[i]), xShape), spec);
      const minus = be.pool2d(op, t(xv.map((a, i) => a - eps * v[i]), xShape), spec);
      const fd = ((await dot(plus, dy)) - (await dot(minus, dy))) / (2 * eps);
      expect(Math.abs(fd - (await dot(t(v, xShape), dx))), op).toBeLessThan(1e-8);
    }
  });
});
