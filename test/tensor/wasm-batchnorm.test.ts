// Batch normalisation in training on the host kernels (kinds 25 and 26: WasmKernels.batchNormForward /
// batchNormBackward, GpuBackend's hooks, BatchNorm's fused path) against the same formulas in float64
// JavaScript (within ~2.5 f32 ulps of each result's terms): many shapes (N = 1..9, odd C, inner 1, inner not a multiple of 4, large offsets that a
// one-pass variance would cancel), 1 and 2 threads, synchronous and asynchronous (the same bits on
// all); then behind GpuBackend (one launch per direction, three outputs) and through the BatchNorm
// autograd function (hook against composite within f32 tolerance, on cpu, webasm, webasm-async).
import { afterAll, describe, expect, it } from 'vitest';
import { BatchNorm } from '../../src/autograd/functions/norm.js';
import type { HostKernels } from '../../src/tensor/backends/gpu/gpu-backend.js';
import { GpuBackend } from '../../src/tensor/backends/gpu/gpu-backend.js';
import { WasmKernels, shutdownWasmKernels } from '../../src/tensor/backends/wasm/index.js';
import { useBackend } from '../../src/tensor/engine.js';
import { batchNorm, tensor } from '../../src/tensor/ops.js';
import type { RawTensor } from '../../src/tensor/raw-tensor.js';
import { seeded as rng, HOST_KERNEL_MODES } from '../helpers/backends.js';

afterAll(() => shutdownWasmKernels());

/** n values: offset + spread·(uniform in [−1, 1)), rounded to f32. */
function values(n: number, seed: number, offset = 0, spread = 1): Float32Array {
  const r = rng(seed);
  return Float32Array.from({ length: n }, () => offset + spread * (2 * r() - 1));
}

interface Case {
  N: number;
  C: number;
  inner: number;
  offset: number;
  spread: number;
}

/** The flat indices of channel c of [N, C, inner]. */
function channel(N: number, C: number, inner: number, c: number): number[] {
  const idx: number[] = [];
  for (let a = 0; a < N; a++) for (let i = 0; i < inner; i++) idx.push((a * C + c) * inner + i);
  return idx;
}

interface Ref {
  y: number[];
  mean: number[];
  var: number[];
  dx: number[];
  dw: number[];
  db: number[];
  /** Per value / channel, the size of the terms each result sums (its tolerance is relative to it). */
  yMag: number[];
  dxMag: number[];
  dwMag: number[];
  dbMag: number[];
  meanMag: number[];
}

/** The forward and training backward in float64, two-pass statistics (norm.ts's formulas). */
function reference(x: Float32Array, w: Float32Array, b: Float32Array, dy: Float32Array, N: number, C: number, inner: number, eps: number): Ref {
  const r: Ref = { y: [], mean: [], var: [], dx: [], dw: [], db: [], yMag: [], dxMag: [], dwMag: [], dbMag: [], meanMag: [] };
  const n = N * inner;
  for (let c = 0; c < C; c++) {
    const idx = channel(N, C, inner, c);
    const mu = idx.reduce((s, j) => s + x[j], 0) / n;
    const v = idx.reduce((s, j) => s + (x[j] - mu) ** 2, 0) / n;
    const rstd = 1 / Math.sqrt(v + eps);
    const k = w[c] * rstd;
    const s1 = idx.reduce((s, j) => s + dy[j], 0);
    const s2 = idx.reduce((s, j) => s + dy[j] * (x[j] - mu), 0);
    const a1 = idx.reduce((s, j) => s + Math.abs(dy[j]), 0);
    const a2 = idx.reduce((s, j) => s + Math.abs(dy[j] * (x[j] - mu)), 0);
    r.mean[c] = mu;
    r.var[c] = v;
    r.meanMag[c] = idx.reduce((s, j) => Math.max(s, Math.abs(x[j])), 0);
    r.dw[c] = rstd * s2;
    r.dwMag[c] = rstd * a2;
    r.db[c] = s1;
    r.dbMag[c] = a1;
    for (const j of idx) {
      const d = x[j] - mu;
      r.y[j] = d * k + b[c];
      r.yMag[j] = Math.abs(d * k) + Math.abs(b[c]);
      r.dx[j] = k * (dy[j] - s1 / n - d * rstd * rstd * (s2 / n));
      r.dxMag[j] = Math.abs(k) * (Math.abs(dy[j]) + a1 / n + Math.abs(d) * rstd * rstd * (a2 / n));
    }
  }
  return r;
}

/**
 * |got − want| within ~2.5 f32 ulps of the terms' magnitude (and of the result): the kernels form
 * d = x − μ in f32 (from μ split into two f32), take products and sums in f64, and run the maps
 * (d·s + b, d·P + dy·k + R) in f32 with coefficients rounded from f64.
 */
function expectClose(what: string, got: ArrayLike<number>, want: number[], mag: number[]): void {
  expect(got.length, `${what}: length`).toBe(want.length);
  let worst = 0;
  let at = -1;
  for (let i = 0; i < want.length; i++) {
    const err = Math.abs(got[i] - want[i]) / (3e-7 * Math.max(mag[i], Math.abs(want[i])) + 1e-30);
    if (!(err <= worst)) {
      worst = err;
      at = i;
    }
  }
  expect(worst, `${what}: worst at ${at}: got ${got[at]}, want ${want[at]} (magnitude ${mag[at]})`).toBeLessThanOrEqual(1);
}

const CASES: Case[] = [];
for (const N of [1, 2, 3, 5, 8, 9]) {
  for (const C of [1, 3, 7]) {
    for (const inner of [1, 2, 3, 4, 5, 7, 8, 13, 17, 33]) {
      if (N * inner >= 2) CASES.push({ N, C, inner, offset: 0, spread: 1 });
    }
  }
}
// the model's shapes, odd ones, and offsets where a one-pass variance (or f32 statistics) cancel
CASES.push(
  { N: 8, C: 24, inner: 336, offset: 0, spread: 3 },
  { N: 8, C: 12, inner: 1344, offset: 0.5, spread: 1 },
  { N: 3, C: 5, inner: 101, offset: 1e4, spread: 1 },
  { N: 4, C: 3, inner: 9, offset: -3e5, spread: 2 },
  { N: 2, C: 9, inner: 64, offset: 1e6, spread: 8 },
  { N: 9, C: 1, inner: 1, offset: 1e3, spread: 1e-2 },
  { N: 7, C: 11, inner: 6, offset: 0, spread: 1e-20 }, // σ² below f32's normal range
  { N: 5, C: 2, inner: 3, offset: 0, spread: 1e15 },
);

type Outs = [Float32Array, Float32Array, Float32Array];

function inputsOf(s: Case, seed: number): { x: Float32Array; w: Float32Array; b: Float32Array; dy: Float32Array } {
  const size = s.N * s.C * s.inner;
  return { x: values(size, seed, s.offset, s.spread), w: values(s.C, seed + 1, 0.5, 1.5), b: values(s.C, seed + 2), dy: values(size, seed + 3) };
}

const EPS = 1e-5;

describe('wasm batch norm (kinds 25 and 26) against float64', () => {
  const one = new WasmKernels({ threads: 1 });
  it.each(CASES.map((s, i) => [`[${s.N}, ${s.C}, ${s.inner}] offset ${s.offset} spread ${s.spread}`, s, i] as const))('%s', async (_, s, i) => {
    const { x, w, b, dy } = inputsOf(s, 10 * i);
    const eps = s.spread < 1e-10 ? 1e-45 : EPS;
    const ref = reference(x, w, b, dy, s.N, s.C, s.inner, eps);
    const [y, mean, v] = (await one.batchNormForward(x, w, b, s.N, s.C, s.inner, eps)) as Outs;
    const [dx, dw, db] = (await one.batchNormBackward(dy, x, w, s.N, s.C, s.inner, eps)) as Outs;
    expectClose('y', y, ref.y, ref.yMag);
    expectClose('mean', mean, ref.mean, ref.meanMag.map((m) => m * 1e-9));
    expectClose('var', v, ref.var, ref.var.map((m) => m));
    expectClose('dx', dx, ref.dx, ref.dxMag);
    expectClose('dw', dw, ref.dw, ref.dwMag);
    expectClose('db', db, ref.db, ref.dbMag);
  });

  it('keeps the variance where a one-pass Σx² − nμ² in f64 loses it (offset 10⁶, spread 2⁻⁶)', async () => {
    const s = { N: 4, C: 2, inner: 37 };
    const x = values(4 * 2 * 37, 5, 1e6, 2 ** -6 * 37);
    const w = Float32Array.of(1, 1);
    const b = Float32Array.of(0, 0);
    const ref = reference(x, w, b, x, s.N, s.C, s.inner, 0);
    const [, , v] = (await one.batchNormForward(x, w, b, s.N, s.C, s.inner, 0)) as Outs;
    expectClose('var', v, ref.var, ref.var);
    // the one-pass formula on the same data is off by far more than an f32 rounding
    const idx = channel(s.N, s.C, s.inner, 0);
    const n = idx.length;
    const onePass = idx.reduce((t, j) => t + x[j] * x[j], 0) / n - (idx.reduce((t, j) => t + x[j], 0) / n) ** 2;
    expect(Math.abs(onePass - ref.var[0]) / ref.var[0]).toBeGreaterThan(1e-6);
  });
});

describe('wasm batch norm: threads and arguments', () => {
  it('gives the same bits on 1 and 2 threads, synchronous and asynchronous, split into many tasks', async () => {
    const one = new WasmKernels({ threads: 1 });
    for (const s of [{ N: 8, C: 48, inner: 88 }, { N: 3, C: 7, inner: 5 }, { N: 2, C: 1, inner: 3 }]) {
      const { x, w, b, dy } = inputsOf({ ...s, offset: 1, spread: 2 }, 7);
      const fwd = (k: WasmKernels) => k.batchNormForward(x, w, b, s.N, s.C, s.inner, EPS);
      const bwd = (k: WasmKernels) => k.batchNormBackward(dy, x, w, s.N, s.C, s.inner, EPS);
      const arrays = async (r: Outs | Promise<Outs>) => (await r).map((a) => Array.from(a));
      const want = [await arrays(fwd(one)), await arrays(bwd(one))];
      for (const k of [new WasmKernels({ threads: 2, parallelMinFlop: 0 }), new WasmKernels({ threads: 2, parallelMinFlop: 0, async: true })]) {
        const f = fwd(k);
        const g = bwd(k);
        if (k.async) {
          expect(f).toBeInstanceOf(Promise);
          expect(g).toBeInstanceOf(Promise);
        }
        expect([await arrays(f), await arrays(g)], `[${s.N}, ${s.C}, ${s.inner}] async ${k.async}`).toEqual(want);
      }
    }
  });

  it('the backward recomputes the forward\'s statistics bit for bit (dw = 0 and db = Σ dy for dy = 1)', async () => {
    const k = new WasmKernels({ threads: 1 });
    const s = { N: 3, C: 4, inner: 10 };
    const { x, w, b } = inputsOf({ ...s, offset: 100, spread: 1 }, 11);
    const ones = new Float32Array(x.length).fill(1);
    const [dx, dw, db] = (await k.batchNormBackward(ones, x, w, s.N, s.C, s.inner, EPS)) as Outs;
    // a constant dy has no gradient through the normalisation: dx = k·(1 − 1) − k·rstd²·(Σd/n)·d and
    // dw = rstd·Σd vanish but for the rounding of d to f32 (rstd·Σ|d| is ~26 here, |k| ~1)
    expect(Array.from(db)).toEqual([30, 30, 30, 30]);
    for (const v of [...dw, ...dx]) expect(Math.abs(v)).toBeLessThan(1e-5);
    void b;
  });

  it('names the sizes in errors', () => {
    const k = new WasmKernels({ threads: 1 });
    const x = values(24, 1);
    const w = values(3, 2);
    expect(() => k.batchNormForward(x, w, w.subarray(0, 2), 2, 3, 4, EPS)).toThrow(/wasm batchNormForward: bias needs 3 floats for \[N 2, C 3, inner 4\], got 2/);
    expect(() => k.batchNormBackward(x.subarray(0, 20), x, w, 2, 3, 4, EPS)).toThrow(/wasm batchNormBackward: dy needs 24 floats for \[N 2, C 3, inner 4\], got 20/);
    expect(() => k.batchNormForward(x, w, w, 0, 3, 4, EPS)).toThrow(/wasm batchNormForward: needs N, C, inner >= 1, got N 0, C 3, inner 4/);
  });
});

/** Counts the host batch-norm calls. */
class Counting extends WasmKernels {
  forwardCalls = 0;
  backwardCalls = 0;
  override batchNormForward(...args: Parameters<WasmKernels['batchNormForward']>) {
    this.forwardCalls++;
    return super.batchNormForward(...args);
  }
  override batchNormBackward(...args: Parameters<WasmKernels['batchNormBackward']>) {
    this.backwardCalls++;
    return super.batchNormBackward(...args);
  }
}

/** The same host kernels without the batch-norm hooks (BatchNorm then runs its composite on them). */
function withoutBatchNorm(k: WasmKernels): HostKernels {
  const h = Object.create(k) as HostKernels;
  Object.assign(h, { batchNormForward: undefined, batchNormBackward: undefined });
  return h;
}

const MODES = HOST_KERNEL_MODES;

const download = async (be: GpuBackend, t: RawTensor) => Array.from((await be.download(t)) as Float32Array);

describe('batch norm behind GpuBackend and BatchNorm', () => {
  it.each(MODES)('%s (async %s): one launch per direction, three outputs, the host kernels\' values', async (mode, isAsync) => {
    const be = useBackend(mode, { async: isAsync }) as GpuBackend;
    const saved = be.host;
    const k = new Counting({ async: isAsync, threads: 2 });
    try {
      be.setHostKernels(k);
      const s = { N: 4, C: 5, inner: 21 };
      const { x, w, b, dy } = inputsOf({ ...s, offset: 2, spread: 3 }, 21);
      const xt = be.upload(x, [4, 5, 3, 7], 'float32');
      const wt = be.upload(w, [5], 'float32');
      const bt = be.upload(b, [5], 'float32');
      const dyt = be.upload(dy, [4, 5, 3, 7], 'float32');
      const fn = new BatchNorm(EPS);
      fn.b = be;
      fn.needsInputGrad = [true, true, true];
      let launches = be.launches;
      const y = fn.forward(xt, wt, bt);
      expect(be.launches - launches, 'forward launches').toBe(1);
      expect([y.shape, fn.batchMean!.shape, fn.batchVar!.shape]).toEqual([[4, 5, 3, 7], [5], [5]]);
      launches = be.launches;
      const grads = fn.backward(dyt) as RawTensor[];
      expect(be.launches - launches, 'backward launches').toBe(1);
      expect(grads.map((g) => g.shape)).toEqual([[4, 5, 3, 7], [5], [5]]);
      const want = [
        await k.batchNormForward(x, w, b, s.N, s.C, s.inner, EPS),
        await k.batchNormBackward(dy, x, w, s.N, s.C, s.inner, EPS),
      ].flat().map((a) => Array.from(a));
      const got = await Promise.all([y, fn.batchMean!, fn.batchVar!, ...grads].map((t) => download(be, t)));
      // (async: the calls ran on the queue, before the downloads settled)
      expect([k.forwardCalls, k.backwardCalls]).toEqual([2, 2]);
      expect(got).toEqual(want);
      for (const t of [xt, wt, bt, dyt, y, fn.batchMean!, fn.batchVar!, ...grads]) t.dispose();
      fn.release();
    } finally {
      be.setHostKernels(saved);
      useBackend('reference');
    }
  });

  it('returns null (the composite runs) without host kernels, for other dtypes and empty inputs', () => {
    const be = useBackend('cpu') as GpuBackend;
    const saved = be.host;
    try {
      const x = be.upload(values(12, 1), [2, 3, 2], 'float32');
      const w = be.upload(values(3, 2), [3], 'float32');
      const xi = be.upload([1, 2, 3, 4, 5, 6], [2, 3], 'int32');
      const empty = be.upload([], [0, 3], 'float32');
      expect(be.batchNormForward(xi, w, w, EPS)).toBeNull();
      expect(be.batchNormForward(empty, w, w, EPS)).toBeNull();
      be.setHostKernels(null);
      expect(be.batchNormForward(x, w, w, EPS)).toBeNull();
      expect(be.batchNormBackward(x, x, w, EPS)).toBeNull();
      for (const t of [x, w, xi, empty]) t.dispose();
    } finally {
      be.setHostKernels(saved);
      useBackend('reference');
    }
  });

  /** batchNorm's output and the gradients of x, weight and bias for a weighted sum of the output. */
  async function run(mode: 'cpu' | 'webasm', isAsync: boolean, shape: number[], seed: number, offset: number): Promise<number[][]> {
    useBackend(mode, { async: isAsync });
    const C = shape[1];
    const size = shape.reduce((a, b) => a * b, 1);
    const x = tensor(values(size, seed, offset, 2), shape, { requiresGrad: true });
    const w = tensor(values(C, seed + 1, 0.5, 1.5), [C], { requiresGrad: true });
    const b = tensor(values(C, seed + 2), [C], { requiresGrad: true });
    const rm = tensor(new Float32Array(C), [C]);
    const rv = tensor(new Float32Array(C).fill(1), [C]);
    const y = batchNorm(x, rm, rv, w, b, { training: true });
    const dy = tensor(values(size, seed + 3), shape);
    y.backward(dy);
    const out = [];
    for (const t of [y, x.grad!, w.grad!, b.grad!, rm, rv]) out.push(Array.from(await t.data()));
    for (const t of [x, w, b, rm, rv, y, dy]) t.dispose();
    useBackend('reference');
    return out;
  }

  const SHAPES: [number[], number][] = [
    [[8, 24, 16, 21], 0], [[8, 48, 8, 11], 0], [[8, 12, 32, 42], 0], [[8, 32, 16, 21], 0], [[8, 96, 8, 11], 0],
    [[2, 3], 0], [[9, 5, 1, 3], 0], [[1, 7, 5], 0], [[3, 5, 2, 7], 50], [[4, 3, 5], -1e3],
  ];

  it.each(MODES)('%s (async %s): BatchNorm with the hook matches the composite within f32 tolerance, and launches fewer kernels', async (mode, isAsync) => {
    const be = useBackend(mode, { async: isAsync }) as GpuBackend;
    const saved = be.host;
    const k = new Counting({ async: isAsync, threads: 2 });
    try {
      for (const [shape, offset] of SHAPES) {
        const seed = shape.reduce((a, b) => 31 * a + b, 3);
        be.setHostKernels(k);
        const calls = k.forwardCalls;
        let launches = be.launches;
        const fused = await run(mode, isAsync, shape, seed, offset);
        const fusedLaunches = be.launches - launches;
        expect(k.forwardCalls - calls, `${shape}: host forward calls`).toBe(1);
        expect(k.backwardCalls - calls, `${shape}: host backward calls`).toBe(1);
        be.setHostKernels(withoutBatchNorm(k));
        launches = be.launches;
        const composite = await run(mode, isAsync, shape, seed, offset);
        const compositeLaunches = be.launches - launches;
        // ~13 forward and ~14 backward launches become 1 each (the running averages stay as they are)
        expect(compositeLaunches - fusedLaunches, `${shape}: launches saved (${fusedLaunches} vs ${compositeLaunches})`).toBeGreaterThanOrEqual(20);
        const names = ['y', 'dx', 'dw', 'db', 'running mean', 'running var'];
        fused.forEach((f, i) => {
          const c = composite[i];
          // ~4 f32 ulps of the largest value, plus what the composite loses by rounding μ and d = x − μ
          // to f32 (~|offset|·2⁻²⁴/σ; the hook keeps them in f64). Measured: at most 3.2e-7 of the
          // largest value without an offset, 4.0e-6 at offset 50, 1.5e-5 at offset −1000 (webasm).
          const scale = c.reduce((m, v) => Math.max(m, Math.abs(v)), 0) + 1e-30;
          const tol = (5e-7 + 1e-7 * Math.abs(offset)) * scale;
          f.forEach((v, j) => {
            if (!(Math.abs(v - c[j]) <= tol)) expect.fail(`${shape} ${names[i]}[${j}]: hook ${v}, composite ${c[j]} (tolerance ${tol})`);
          });
        });
      }
    } finally {
      be.setHostKernels(saved);
      useBackend('reference');
    }
  });

  it.each(MODES)('%s (async %s): a backward without the hook (host kernels removed after the fused forward) falls back to the composite', async (mode, isAsync) => {
    const be = useBackend(mode, { async: isAsync }) as GpuBackend;
    const saved = be.host;
    const k = new WasmKernels({ async: isAsync, threads: 2 });
    try {
      const shape = [3, 4, 5];
      const { x, w, b, dy } = inputsOf({ N: 3, C: 4, inner: 5, offset: 1, spread: 2 }, 41);
      const ref = reference(x, w, b, dy, 3, 4, 5, EPS);
      be.setHostKernels(k);
      const xt = tensor(x, shape, { requiresGrad: true });
      const wt = tensor(w, [4], { requiresGrad: true });
      const bt = tensor(b, [4], { requiresGrad: true });
      const y = batchNorm(xt, null, null, wt, bt);
      be.setHostKernels(withoutBatchNorm(k));
      const launches = be.launches;
      y.backward(tensor(dy, shape));
      expect(be.launches - launches).toBeGreaterThan(5);
      const mags = [ref.dxMag, ref.dwMag, ref.dbMag].map((m) => m.map((v) => v * 100));
      const got = await Promise.all([xt.grad!, wt.grad!, bt.grad!].map(async (t) => Array.from(await t.data())));
      expectClose('dx', got[0], ref.dx, mags[0]);
      expectClose('dw', got[1], ref.dw, mags[1]);
      expectClose('db', got[2], ref.db, mags[2]);
      for (const t of [xt, wt, bt, y]) t.dispose();
    } finally {
      be.setHostKernels(saved);
      useBackend('reference');
    }
  });
});
