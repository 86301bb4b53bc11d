// Softmax cross-entropy with int targets on the host kernels (kinds 21 and 22,
// WasmKernels.softmaxCrossEntropy / softmaxCrossEntropyBackward, SoftmaxCrossEntropy behind
// crossEntropy on the CPU backends): the kernels against a float64 implementation over every C from 1
// to 40, position counts that are not multiples of 8 (the kernels' unit), [N, C] logits, ignored and
// all-ignored positions, logits of ±80, NaN and ±Inf, on 1 and 2 threads, synchronous and
// asynchronous; then crossEntropy against the composite (logSoftmax, nllLoss) on cpu, webasm and
// webasm-async for every reduction, a finite-difference check of its gradient, and the launches.
import { afterAll, describe, expect, it } from 'vitest';
import { crossEntropy, logSoftmax, nllLoss, noGrad, tensor, tidy } from '../../src/index.js';
import type { GpuBackend } from '../../src/tensor/backends/gpu/gpu-backend.js';
import { WasmKernels, shutdownWasmKernels } from '../../src/tensor/backends/wasm/index.js';
import { useBackend } from '../../src/tensor/engine.js';
import { on, runWithGrad, seeded, type HostInput, type Target } from '../helpers/backends.js';
import { expectClose, testTolerance } from '../helpers/close.js';
import { numericalGrads } from '../helpers/gradcheck.js';

afterAll(() => shutdownWasmKernels());

interface Ref {
  loss: Float64Array;
  lse: Float64Array;
  /** dx for the upstream gradient g. */
  dx: Float64Array;
}

/** Cross-entropy in float64 from the f32 inputs: loss = lse − x[t] (0 unless t is a class other than ign). */
function reference(x: Float32Array, t: Float32Array, g: Float32Array, N: number, C: number, S: number, ign: number): Ref {
  const loss = new Float64Array(N * S);
  const lse = new Float64Array(N * S);
  const dx = new Float64Array(N * C * S);
  for (let n = 0; n < N; n++) {
    for (let s = 0; s < S; s++) {
      const at = (c: number) => x[(n * C + c) * S + s];
      let m = -Infinity;
      let nan = false;
      for (let c = 0; c < C; c++) {
        if (Number.isNaN(at(c))) nan = true;
        m = Math.max(m, at(c));
      }
      let z = 0;
      for (let c = 0; c < C; c++) z += Math.exp(at(c) - m);
      const l = nan ? NaN : m + Math.log(z);
      lse[n * S + s] = l;
      const tt = t[n * S + s];
      const valid = Number.isInteger(tt) && tt >= 0 && tt < C && tt !== ign;
      loss[n * S + s] = valid ? l - at(tt) : 0;
      for (let c = 0; c < C; c++) dx[(n * C + c) * S + s] = valid ? (Math.exp(at(c) - l) - (c === tt ? 1 : 0)) * g[n * S + s] : 0;
    }
  }
  return { loss, lse, dx };
}

/** n values in [−scale, scale) (f32). */
function logits(n: number, seed: number, scale = 6): Float32Array {
  const r = seeded(seed);
  return Float32Array.from({ length: n }, () => (2 * r() - 1) * scale);
}

/** n targets in [0, C), about a fifth of them `ign`. */
function targets(n: number, C: number, ign: number, seed: number, ignoreShare = 0.2): Float32Array {
  const r = seeded(seed);
  return Float32Array.from({ length: n }, () => (r() < ignoreShare ? ign : Math.floor(r() * C)));
}

const ONE = new WasmKernels({ threads: 1 });
const KERNELS: [string, WasmKernels][] = [
  ['1 thread', ONE],
  ['2 threads', new WasmKernels({ threads: 2, parallelMinFlop: 0 })],
  ['2 threads, async', new WasmKernels({ threads: 2, parallelMinFlop: 0, async: true })],
];

/**
 * Runs both kernels and checks them against float64: loss and lse within a few f32 ulp of their
 * magnitudes (lse is rounded to f32 before loss = lse − x[t]), dx within a few ulp of g relative to
 * e^(x − lse), whose argument carries the rounding of x − lse.
 */
async function check(k: WasmKernels, x: Float32Array, t: Float32Array, N: number, C: number, S: number, ign: number, label: string): Promise<void> {
  const g = logits(N * S, N * 1000 + C * 10 + S, 2);
  const [loss, lse] = await k.softmaxCrossEntropy(x, t, N, C, S, ign);
  const dx = await k.softmaxCrossEntropyBackward(x, t, lse, g, N, C, S, ign);
  expect([loss.length, lse.length, dx.length], label).toEqual([N * S, N * S, N * C * S]);
  const ref = reference(x, t, g, N, C, S, ign);
  const eps = 2 ** -23;
  // (NaN and infinite values must match exactly)
  const mag = (v: number) => (Number.isFinite(v) ? Math.abs(v) : 0);
  const tolLoss = Array.from(ref.loss, (l, i) => 4 * eps * (1 + mag(ref.lse[i]) + mag(l)));
  const tolDx = Array.from(ref.dx, (_, i) => {
    const p = i % S;
    const n = Math.floor(i / (C * S));
    const j = n * S + p;
    return 4 * eps * Math.abs(g[j]) * (1 + mag(x[i]) + mag(ref.lse[j]));
  });
  const expectWithin = (got: ArrayLike<number>, want: Float64Array, tol: number[], what: string) => {
    for (let i = 0; i < want.length; i++) {
      const a = got[i];
      const e = want[i];
      const ok = Number.isNaN(e) ? Number.isNaN(a) : !Number.isFinite(e) ? a === e : Math.abs(a - e) <= tol[i];
      if (!ok) expect.fail(`${label}: ${what}[${i}] is ${a}, float64 gives ${e} (tolerance ${tol[i]})`);
    }
  };
  expectWithin(loss, ref.loss, tolLoss, 'loss');
  expectWithin(lse, ref.lse, Array.from(ref.lse, (l) => 4 * eps * (1 + mag(l))), 'lse');
  expectWithin(dx, ref.dx, tolDx, 'dx');
}

describe('wasm softmax cross-entropy kernels (kinds 21, 22) vs float64', () => {
  it('every C from 1 to 40, with position counts of 1 ([N, C] logits) to 21', async () => {
    for (let C = 1; C <= 40; C++) {
      for (const [N, S] of [[1, 1], [5, 1], [2, 3], [1, 7], [3, 8], [2, 9], [2, 21]]) {
        const x = logits(N * C * S, C * 100 + S);
        const t = targets(N * S, C, -100, C * 7 + S);
        await check(ONE, x, t, N, C, S, -100, `N ${N}, C ${C}, S ${S}`);
      }
    }
  });

  it.each(KERNELS)('%s: [8, 11, 17, 21], [2, 19, 129], ignoreIndex 255 and −1', async (_, k) => {
    for (const [N, C, S, ign] of [[8, 11, 17 * 21, 255], [2, 19, 129, -1], [3, 4, 8 * 37, 255]]) {
      await check(k, logits(N * C * S, S), targets(N * S, C, ign, S + 1), N, C, S, ign, `N ${N}, C ${C}, S ${S}, ignore ${ign}`);
    }
  });

  it('ignored positions and targets outside [0, C) give loss 0 and gradient 0, also where all are ignored', async () => {
    const [N, C, S] = [2, 5, 11];
    const x = logits(N * C * S, 3);
    const all = new Float32Array(N * S).fill(255);
    await check(ONE, x, all, N, C, S, 255, 'all ignored');
    const [loss] = await ONE.softmaxCrossEntropy(x, all, N, C, S, 255);
    const dx = await ONE.softmaxCrossEntropyBackward(x, all, loss, new Float32Array(N * S).fill(1), N, C, S, 255);
    expect(Array.from(loss)).toEqual(new Array(N * S).fill(0));
    expect(Array.from(dx)).toEqual(new Array(N * C * S).fill(0));
    // out of range (crossEntropy rejects these before, whenever their values are known on the host)
    const odd = Float32Array.from({ length: N * S }, (_, i) => [5, -1, 1.5, 7, 0, 4][i % 6]);
    await check(ONE, x, odd, N, C, S, 255, 'targets 5, −1, 1.5, 7');
  });

  it('logits of ±80 (e^x far outside f32 without the max shift)', async () => {
    const [N, C, S] = [2, 13, 19];
    const r = seeded(5);
    const x = Float32Array.from({ length: N * C * S }, () => (r() < 0.5 ? -80 : 80) + (r() - 0.5));
    await check(ONE, x, targets(N * S, C, 255, 6), N, C, S, 255, '±80');
    const big = logits(N * C * S, 7, 80);
    await check(ONE, big, targets(N * S, C, 255, 8), N, C, S, 255, 'uniform in ±80');
  });

  it('NaN logits make their position\'s loss and gradient NaN (0 if ignored); +Inf too; a −Inf cell is a class of probability 0', async () => {
    const [N, C, S] = [1, 6, 10];
    const x = logits(N * C * S, 9);
    const t = Float32Array.from({ length: S }, (_, s) => s % C);
    x[2 * S + 0] = NaN; // position 0: NaN in class 2
    x[0 * S + 1] = NaN; // position 1: NaN in class 0 (the first class read)
    x[5 * S + 2] = NaN; // position 2: NaN in the last class
    t[3] = 255;
    x[1 * S + 3] = NaN; // position 3: NaN, but ignored
    x[4 * S + 4] = Infinity; // position 4: +Inf
    x[3 * S + 5] = -Infinity; // position 5: −Inf in a non-target class
    for (let c = 0; c < C; c++) x[c * S + 6] = -Infinity; // position 6: only −Inf
    x[(7 % C) * S + 7] = -Infinity; // position 7: −Inf at the target (class 1)
    await check(ONE, x, t, N, C, S, 255, 'special values');
    const [loss, lse] = await ONE.softmaxCrossEntropy(x, t, N, C, S, 255);
    const dx = await ONE.softmaxCrossEntropyBackward(x, t, lse, new Float32Array(S).fill(1), N, C, S, 255);
    expect([0, 1, 2, 4, 6].map((s) => loss[s])).toEqual([NaN, NaN, NaN, NaN, NaN]);
    expect(loss[3]).toBe(0);
    expect(Number.isFinite(loss[5])).toBe(true);
    expect(loss[7]).toBe(Infinity);
    for (let c = 0; c < C; c++) {
      expect(dx[c * S + 0], `class ${c}`).toBeNaN();
      expect(dx[c * S + 3], `class ${c}`).toBe(0);
    }
    expect(Math.abs(dx[3 * S + 5])).toBeLessThan(1e-37);
  });

  it('an ignoreIndex that is a class: its positions give loss 0 and gradient 0 in every class, the target class included', async () => {
    // the kernels pick x[t] and subtract g at the target per lane by comparing t with each class
    const [N, C, S] = [2, 5, 13];
    const x = logits(N * C * S, 31);
    const t = Float32Array.from({ length: N * S }, (_, i) => i % C);
    await check(ONE, x, t, N, C, S, 2, 'ignoreIndex 2 of 5 classes');
    const [loss, lse] = await ONE.softmaxCrossEntropy(x, t, N, C, S, 2);
    const dx = await ONE.softmaxCrossEntropyBackward(x, t, lse, new Float32Array(N * S).fill(1), N, C, S, 2);
    for (let n = 0; n < N; n++) {
      for (let s = 0; s < S; s++) {
        if (t[n * S + s] !== 2) continue;
        expect(loss[n * S + s]).toBe(0);
        for (let c = 0; c < C; c++) expect(dx[(n * C + c) * S + s], `n ${n}, s ${s}, class ${c}`).toBe(0);
      }
    }
  });

  it('lse is within one f32 ulp of float64 for 8000 classes (Σ e^(x − m) is kept far below f32 rounding)', async () => {
    // a plain f32 sum of 8000 terms near 0.6 would be off by ~3e-6 relative (3 ulp of lse); the
    // kernel's compensated sums and f64 logarithm leave lse's own rounding and e^x's ~1e-7 per term
    const [N, C, S] = [1, 8000, 12];
    const x = logits(N * C * S, 41, 0.5);
    const t = targets(N * S, C, 255, 42);
    const [, lse] = await ONE.softmaxCrossEntropy(x, t, N, C, S, 255);
    const ref = reference(x, t, new Float32Array(N * S), N, C, S, 255);
    for (let s = 0; s < S; s++) {
      const ulp = 2 ** (Math.floor(Math.log2(Math.abs(ref.lse[s]))) - 23);
      expect(Math.abs(lse[s] - ref.lse[s]), `position ${s}: ${lse[s]} vs ${ref.lse[s]}`).toBeLessThanOrEqual(ulp);
    }
  });

  it('1 and 2 threads, synchronous and asynchronous, give the same bits', async () => {
    const [N, C, S] = [3, 11, 37 * 41];
    const x = logits(N * C * S, 21);
    const t = targets(N * S, C, 255, 22);
    const g = logits(N * S, 23, 1);
    const [loss, lse] = await ONE.softmaxCrossEntropy(x, t, N, C, S, 255);
    const dx = await ONE.softmaxCrossEntropyBackward(x, t, lse, g, N, C, S, 255);
    for (const [label, k] of KERNELS.slice(1)) {
      const f = k.softmaxCrossEntropy(x, t, N, C, S, 255);
      const b = k.softmaxCrossEntropyBackward(x, t, lse, g, N, C, S, 255);
      if (k.async) {
        expect(f).toBeInstanceOf(Promise);
        expect(b).toBeInstanceOf(Promise);
      }
      const [l2, s2] = await f;
      expect(Array.from(l2), label).toEqual(Array.from(loss));
      expect(Array.from(s2), label).toEqual(Array.from(lse));
      expect(Array.from(await b), label).toEqual(Array.from(dx));
    }
  });

  it('reads the first elements of longer arrays, returns empty outputs for no positions, and names the sizes in errors', async () => {
    const [N, C, S] = [2, 3, 5];
    const x = logits(N * C * S + 7, 1);
    const t = targets(N * S + 3, C, 255, 2);
    const [loss] = await ONE.softmaxCrossEntropy(x, t, N, C, S, 255);
    const [want] = await ONE.softmaxCrossEntropy(x.slice(0, N * C * S), t.slice(0, N * S), N, C, S, 255);
    expect(Array.from(loss)).toEqual(Array.from(want));
    expect((await ONE.softmaxCrossEntropy(x, t, 0, C, S, 255)).map((a) => a.length)).toEqual([0, 0]);
    expect((await ONE.softmaxCrossEntropyBackward(x, t, t, t, 2, C, 0, 255)).length).toBe(0);
    expect(() => ONE.softmaxCrossEntropy(x.subarray(0, 10), t, N, C, S, 255))
      .toThrow(/wasm softmaxCrossEntropy: needs N, C, S >= 1, logits of N·C·S floats and targets of N·S, got N 2, C 3, S 5 \(logits 10, target 13 floats\)/);
    expect(() => ONE.softmaxCrossEntropyBackward(x, t, t.subarray(0, 4), t, N, C, S, 255))
      .toThrow(/wasm softmaxCrossEntropyBackward: needs lse and g of N·S = 10 floats, got lse 4, g 13/);
  });
});

const TARGETS: Target[] = [
  { id: 'cpu', name: 'cpu', opts: {} },
  { id: 'webasm', name: 'webasm', opts: { async: false } },
  { id: 'webasm-async', name: 'webasm', opts: { async: true } },
];
const REDUCTIONS = ['mean', 'sum', 'none'] as const;

function inputs(shape: number[], ign: number, seed: number): HostInput[] {
  const [N, C, ...sp] = shape;
  const cells = N * sp.reduce((a, b) => a * b, 1);
  return [
    { shape, dtype: 'float32', values: logits(C * cells, seed, 4), grad: true },
    { shape: [N, ...sp], dtype: 'int32', values: targets(cells, C, ign, seed + 1), grad: false },
  ];
}

/** Counts the host calls of the two kernels. */
class Counting extends WasmKernels {
  forward = 0;
  backward = 0;
  override softmaxCrossEntropy(...args: Parameters<WasmKernels['softmaxCrossEntropy']>) {
    this.forward++;
    return super.softmaxCrossEntropy(...args);
  }
  override softmaxCrossEntropyBackward(...args: Parameters<WasmKernels['softmaxCrossEntropyBackward']>) {
    this.backward++;
    return super.softmaxCrossEntropyBackward(...args);
  }
}

describe('crossEntropy with int targets on the host kernels vs the composite (logSoftmax, nllLoss)', () => {
  const tol = { atol: 1e-6, rtol: 4e-6 };
  it.each(TARGETS.map((t) => [t.id, t] as const))('%s: values and gradients for every reduction, [N, C] and [N, C, h, w] logits', async (_, target) => {
    for (const [shape, ign] of [[[8, 11, 13, 21], 255], [[6, 19], -100], [[2, 3, 5, 3, 2], -1], [[3, 1, 9], 255]] as const) {
      for (const reduction of REDUCTIONS) {
        const ins = inputs([...shape], ign, shape.length * 10 + shape[1]);
        const opts = { ignoreIndex: ign, reduction };
        const label = `${target.id} [${shape.join(', ')}] ${reduction}`;
        const fused = await runWithGrad(target, ins, (x, t) => {
          const y = crossEntropy(x, t, opts);
          // the fused node is there (the mean and sum add Sum and Div after it)
          let node = y.gradFn;
          while (node && node.constructor.name !== 'SoftmaxCrossEntropy') node = node.parents[0]?.gradFn ?? null;
          expect(node?.constructor.name, label).toBe('SoftmaxCrossEntropy');
          return y;
        }, 7);
        const composite = await runWithGrad(target, ins, (x, t) => nllLoss(logSoftmax(x, 1), t, opts), 7);
        expect(fused.shape, label).toEqual(composite.shape);
        expectClose(fused.values, composite.values, tol, `${label}: loss`);
        expectClose(fused.grads[0]!, composite.grads[0]!, tol, `${label}: gradient`);
      }
    }
  });

  it('the gradient agrees with central differences of the float64 loss', async () => {
    const target = TARGETS[0];
    for (const [shape, reduction] of [[[2, 4, 3, 2], 'mean'], [[5, 3], 'sum'], [[1, 6, 7], 'none']] as const) {
      const ins = inputs([...shape], 255, 3 + shape[1]);
      const fn = (x: Parameters<typeof crossEntropy>[0], t: Parameters<typeof crossEntropy>[1]) => crossEntropy(x, t, { ignoreIndex: 255, reduction });
      const ours = await runWithGrad(target, ins, fn, 11);
      const [numerical] = await numericalGrads(ins, fn, ours.dy, 1e-6);
      const g = testTolerance('gradcheck');
      expectClose(ours.grads[0]!, numerical!, { atol: 1e-5, rtol: Math.max(g.rtol, 1e-4) }, `[${shape.join(', ')}] ${reduction}: finite differences`);
    }
  });

  it.each([false, true])('one launch forward and one backward on cpu and webasm (async %s), against 5 or more for the composite\'s forward', async (isAsync) => {
    for (const mode of ['cpu', 'webasm'] as const) {
      const be = useBackend(mode, { async: isAsync }) as GpuBackend;
      const saved = be.host;
      const k = new Counting({ async: isAsync, threads: 2 });
      try {
        be.setHostKernels(k);
        const [xi, ti] = inputs([8, 11, 16, 21], 255, 4);
        const x = tensor(Float32Array.from(xi.values), xi.shape, { requiresGrad: true });
        const t = tensor(Int32Array.from(ti.values), ti.shape, { dtype: 'int32' });
        const count = (f: () => void) => {
          const l0 = be.launches;
          f();
          return be.launches - l0;
        };
        let y = null as ReturnType<typeof crossEntropy> | null;
        const dy = tensor(new Float32Array(8 * 16 * 21).fill(1), [8, 16, 21]);
        expect(count(() => (y = crossEntropy(x, t, { ignoreIndex: 255, reduction: 'none' }))), `${mode}: forward launches`).toBe(1);
        expect(count(() => y!.backward(dy)), `${mode}: backward launches`).toBe(1);
        await x.grad!.data();
        expect([k.forward, k.backward]).toEqual([1, 1]);
        const composite = count(() => {
          const z = nllLoss(logSoftmax(x, 1), t, { ignoreIndex: 255, reduction: 'none' });
          z.dispose();
        });
        expect(composite, `${mode}: composite launches`).toBeGreaterThanOrEqual(5);
        for (const v of [x, t, y!, dy]) v.dispose();
      } finally {
        be.setHostKernels(saved);
        useBackend('reference');
      }
    }
  });

  it('runs the composite without host kernels and on the reference backend', () => {
    const be = useBackend('cpu') as GpuBackend;
    const saved = be.host;
    const names = (): string[] =>
      tidy(() => {
        const x = tensor(logits(2 * 3 * 4, 1), [2, 3, 4], { requiresGrad: true });
        const t = tensor([0, 1, 2, 255, 1, 0, 2, 2], [2, 4], { dtype: 'int32' });
        return [crossEntropy(x, t, { ignoreIndex: 255, reduction: 'none' }).gradFn!.constructor.name];
      });
    try {
      expect(names()).toEqual(['SoftmaxCrossEntropy']);
      be.setHostKernels(null);
      expect(be.softmaxCrossEntropy).toBeUndefined();
      expect(names()).not.toEqual(['SoftmaxCrossEntropy']);
      be.setHostKernels(saved);
      expect(on({ id: 'reference', name: 'reference', opts: {} }, names)).not.toEqual(['SoftmaxCrossEntropy']);
    } finally {
      be.setHostKernels(saved);
      useBackend('reference');
    }
  });

  it('raises the composite\'s errors for out-of-range targets, target shapes and reductions', () => {
    useBackend('cpu');
    try {
      noGrad(() => tidy(() => {
        const x = tensor(logits(2 * 3 * 4, 1), [2, 3, 4]);
        const bad = tensor([0, 1, 2, 7, 1, 0, 2, 2], [2, 4], { dtype: 'int32' });
        expect(() => crossEntropy(x, bad, { ignoreIndex: 255 })).toThrow(/nllLoss: index values must lie in \[0, 3\) or equal ignoreIndex 255, but they range over \[0, 7\]/);
        const wrong = tensor([0, 1, 2, 1], [2, 2], { dtype: 'int32' });
        expect(() => crossEntropy(x, wrong)).toThrow(/nllLoss: target has shape \[2, 2\] but input \[2, 3, 4\] needs target shape \[2, 4\]/);
        const ok = tensor([0, 1, 2, 1, 1, 0, 2, 2], [2, 4], { dtype: 'int32' });
        expect(() => crossEntropy(x, ok, { reduction: 'avg' as 'mean' })).toThrow(/nllLoss: reduction must be 'mean', 'sum' or 'none', got 'avg'/);
      }));
    } finally {
      useBackend('reference');
    }
  });

  it('a NaN logit gives a NaN loss at its position and a NaN mean; an ignored position gives 0 whatever its logits', async () => {
    useBackend('cpu');
    try {
      const x = logits(2 * 3 * 4, 1);
      x[1 * 4 + 1] = NaN; // n 0, class 1, position 1
      x[12 + 2 * 4 + 3] = NaN; // n 1, class 2, position 3 (ignored)
      const t = tensor([0, 1, 2, 1, 1, 0, 2, 255], [2, 4], { dtype: 'int32' });
      const xt = tensor(x, [2, 3, 4]);
      const perPosition = crossEntropy(xt, t, { ignoreIndex: 255, reduction: 'none' });
      const mean = crossEntropy(xt, t, { ignoreIndex: 255 });
      const none = Array.from(await perPosition.data());
      expect(none[1]).toBeNaN();
      expect(none[7]).toBe(0);
      expect(none.filter((v) => Number.isNaN(v)).length).toBe(1);
      expect((await mean.data())[0]).toBeNaN();
      for (const v of [xt, t, perPosition, mean]) v.dispose();
    } finally {
      useBackend('reference');
    }
  });
});
