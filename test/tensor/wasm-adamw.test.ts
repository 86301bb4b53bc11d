// The AdamW host kernel (kind 20, WasmKernels.adamw, GpuBackend.adamw on the CPU modes) against
// gpu.js's adamwKernel in cpu mode and against the same arithmetic in JavaScript numbers, bit for bit
// (toEqual compares with Object.is: −0 ≠ 0, NaN = NaN): many sizes (tails of 1–3 cells, task splits),
// weight decay on and off, special values (zero gradients, ±0, ±Inf, NaN, f32 subnormals, the f32
// extremes, negative second moments), eps of 0 and of an f32 subnormal, 1 and 2 threads, synchronous
// and asynchronous; then behind GpuBackend (one host call, three outputs, the buffer pool, failures)
// and an AdamW optimizer run with host kernels on and off.
import { afterAll, describe, expect, it } from 'vitest';
import type { AdamWStep } from '../../src/tensor/backend.js';
import { GpuBackend } from '../../src/tensor/backends/gpu/gpu-backend.js';
import { WasmKernels, shutdownWasmKernels, threadsSupported } from '../../src/tensor/backends/wasm/index.js';
import { hostPool } from '../../src/tensor/buffer-pool.js';
import { blockBytes } from '../../src/tensor/backends/wasm/resident.js';
import { useBackend } from '../../src/tensor/engine.js';
import { AdamW } from '../../src/nn/optim/adamw.js';
import { tensor } from '../../src/tensor/ops.js';
import type { RawTensor } from '../../src/tensor/raw-tensor.js';
import { seeded as rng, HOST_KERNEL_MODES } from '../helpers/backends.js';

afterAll(() => shutdownWasmKernels());

const SPECIAL = [0, -0, Infinity, -Infinity, NaN, 1e-45, -1e-40, 1.1754943508222875e-38, 3.4028234663852886e38, -3e38, 1e-30, -1e30, 65504];

/**
 * n values in [−1, 1) times 10^[−6, 6) (so g·g and the moments span many binades); `nonNegative` for
 * second moments; `specials` sprinkles SPECIAL values into about every ninth cell.
 */
function values(n: number, seed: number, o: { nonNegative?: boolean; specials?: boolean } = {}): Float32Array {
  const r = rng(seed);
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const x = (2 * r() - 1) * 10 ** Math.floor(12 * r() - 6);
    a[i] = o.nonNegative ? Math.abs(x) : x;
  }
  if (o.specials) for (let i = Math.floor(9 * r()); i < n; i += 1 + Math.floor(16 * r())) a[i] = SPECIAL[Math.floor(r() * SPECIAL.length)];
  return a;
}

/** The AdamWStep of AdamW.update for step t (lr and wd already scaled by the group's multipliers). */
function stepOf(lr: number, wd: number, t: number, [b1, b2]: [number, number], eps: number): AdamWStep {
  return { beta1: b1, beta2: b2, decay: 1 - lr * wd, stepSize: lr / (1 - b1 ** t), invSqrtBc2: 1 / Math.sqrt(1 - b2 ** t), eps };
}

const STEPS: [string, AdamWStep][] = [
  ['weight decay on, t = 1', stepOf(1e-3, 0.01, 1, [0.9, 0.999], 1e-8)],
  ['weight decay off (decay 1), t = 7', stepOf(6e-3, 0, 7, [0.9, 0.999], 1e-8)],
  ['head lr ×10, weight decay 0.05, t = 1000', stepOf(6e-2, 0.05, 1000, [0.9, 0.999], 1e-8)],
  ['betas [0.5, 0.99], eps 1e-12, t = 3', stepOf(1e-2, 0.01, 3, [0.5, 0.99], 1e-12)],
  ['eps 0 (0/0 and x/0 where v\' = 0)', stepOf(1e-3, 0.01, 2, [0.9, 0.999], 0)],
  ['eps an f32 subnormal (1e-45), betas [0, 0]', { beta1: 0, beta2: 0, decay: 0.75, stepSize: 0.1, invSqrtBc2: 1, eps: 1e-45 }],
];

type Outputs = [number[], number[], number[]];

/**
 * adamwKernel as gpu.js's cpu mode runs it: JavaScript numbers from the f32 inputs and from the meta
 * values as a Float32Array holds them, m' and v' unrounded inside p', each output rounded to f32 once.
 */
function jsAdamw(p: Float32Array, g: Float32Array, m: Float32Array, v: Float32Array, h: AdamWStep, roundMeta = true): Outputs {
  const raw = [h.beta1, 1 - h.beta1, h.beta2, 1 - h.beta2, h.decay, h.stepSize, h.invSqrtBc2, h.eps];
  const meta = roundMeta ? Array.from(Float32Array.from(raw)) : raw;
  const out: Outputs = [[], [], []];
  for (let i = 0; i < p.length; i++) {
    const gi = g[i];
    const mi = m[i] * meta[0] + gi * meta[1];
    const vi = v[i] * meta[2] + gi * gi * meta[3];
    out[0].push(Math.fround(p[i] * meta[4] - (mi / (Math.sqrt(vi) * meta[6] + meta[7])) * meta[5]));
    out[1].push(Math.fround(mi));
    out[2].push(Math.fround(vi));
  }
  return out;
}

/** gpu.js's adamwKernel itself: a cpu-mode GpuBackend without host kernels (three launches). */
const gpujs = new GpuBackend('cpu', false);

async function gpujsAdamw(p: Float32Array, g: Float32Array, m: Float32Array, v: Float32Array, h: AdamWStep): Promise<Outputs> {
  const up = (a: Float32Array) => gpujs.upload(a, [a.length], 'float32');
  const ins = [up(p), up(g), up(m), up(v)];
  const outs = gpujs.adamw(ins[0], ins[1], ins[2], ins[3], h);
  const res = (await Promise.all(outs.map(async (t) => Array.from((await gpujs.download(t)) as Float32Array)))) as Outputs;
  for (const t of [...ins, ...outs]) t.dispose();
  return res;
}

const asArrays = async (r: ReturnType<WasmKernels['adamw']>): Promise<Outputs> => (await r).map((a) => Array.from(a)) as Outputs;

const VARIANTS: [string, () => WasmKernels][] = [
  ['1 thread', () => new WasmKernels({ threads: 1 })],
  ['2 threads, sync', () => new WasmKernels({ threads: 2, parallelMinFlop: 0 })],
  ['2 threads, async', () => new WasmKernels({ threads: 2, parallelMinFlop: 0, async: true })],
];

const SIZES = [1, 2, 3, 4, 5, 7, 8, 15, 16, 17, 31, 33, 100, 1000, 4097, 65537];

/** The inputs of one case: random moments and gradients, specials in some. */
function inputs(n: number, seed: number, specials: boolean): [Float32Array, Float32Array, Float32Array, Float32Array] {
  return [
    values(n, seed, { specials }),
    values(n, seed + 1, { specials }),
    values(n, seed + 2, { specials }),
    values(n, seed + 3, { nonNegative: true, specials }),
  ];
}

describe.each(VARIANTS)('wasm adamw (kind 20): the bits of gpu.js\'s cpu-mode adamwKernel (%s)', (_name, make) => {
  const k = make();

  it.each(SIZES)('n = %i, every step setting, plain and with special values', async (n) => {
    for (const specials of [false, true]) {
      const [p, g, m, v] = inputs(n, n * 7 + (specials ? 1 : 0), specials);
      for (const [label, h] of STEPS) {
        const ours = await asArrays(k.adamw(p, g, m, v, n, h));
        const what = `n ${n}, ${label}${specials ? ', specials' : ''}`;
        const js = jsAdamw(p, g, m, v, h);
        for (let j = 0; j < 3; j++) expect(ours[j], `${what}: output ${j} vs JavaScript numbers`).toEqual(js[j]);
        // gpu.js's own kernel on the large sizes only for the first setting (it takes ~20 ns a cell)
        if (n <= 4097 || label === STEPS[0][0]) {
          const theirs = await gpujsAdamw(p, g, m, v, h);
          for (let j = 0; j < 3; j++) expect(ours[j], `${what}: output ${j} vs gpu.js`).toEqual(theirs[j]);
        }
      }
    }
  });

  it('zero gradients: the first step of an untouched parameter is p·decay, the moments stay 0', async () => {
    const n = 37;
    const p = values(n, 5, { specials: true });
    const z = new Float32Array(n);
    for (const [label, h] of STEPS.filter(([, s]) => s.eps > 0)) {
      const ours = await asArrays(k.adamw(p, z, z, z, n, h));
      expect(ours, label).toEqual(await gpujsAdamw(p, z, z, z, h));
      expect(ours[1], label).toEqual(new Array(n).fill(0));
      expect(ours[2], label).toEqual(new Array(n).fill(0));
      expect(ours[0], label).toEqual(Array.from(p, (x) => Math.fround(x * Math.fround(h.decay) - (0 / Math.fround(h.eps)) * Math.fround(h.stepSize))));
    }
    // zero gradients with live moments: the moments decay
    const m = values(n, 6);
    const v = values(n, 7, { nonNegative: true });
    const ours = await asArrays(k.adamw(p, z, m, v, n, STEPS[0][1]));
    expect(ours).toEqual(await gpujsAdamw(p, z, m, v, STEPS[0][1]));
  });

  it('huge and tiny values: m\' and v\' are f64 inside p\' (v\' overflows f32, p\' does not), and f32 subnormal results', async () => {
    const g = Float32Array.from([3e38, -3e38, 1e30, 1e20, 1e-20, 1e-30, 1e-45, -1e-45, 1e-38, 2e19, 1.8446744e19, 0]);
    const n = g.length;
    const p = Float32Array.from({ length: n }, (_, i) => (i % 2 ? -1 : 1) * 10 ** (i - 6));
    const m = Float32Array.from({ length: n }, (_, i) => g[i] / 3);
    const v = Float32Array.from({ length: n }, (_, i) => Math.fround(g[i] * g[i]) / 2);
    for (const [label, h] of STEPS) {
      const ours = await asArrays(k.adamw(p, g, m, v, n, h));
      expect(ours, label).toEqual(await gpujsAdamw(p, g, m, v, h));
      expect(ours, label).toEqual(jsAdamw(p, g, m, v, h));
    }
    // g = 3e38 from zero moments: v' = (1 − β2)·9e76 is +Inf as an f32 (and g·g already is), but in
    // f64 √v' is finite, so p' moves by about stepSize·m'/(√v'·c) instead of staying p·decay
    const h = STEPS[0][1];
    const one = (x: number) => Float32Array.of(x);
    const ours = await asArrays(k.adamw(one(1), one(3e38), one(0), one(0), 1, h));
    expect(ours).toEqual(await gpujsAdamw(one(1), one(3e38), one(0), one(0), h));
    expect(ours[2][0]).toBe(Infinity);
    expect(ours[1][0]).toBe(Math.fround(3e38 * Math.fround(1 - h.beta1)));
    // m'/(√v'·c) = (1 − β1)/(√(1 − β2)·c) = 0.1 here: p' = 0.99999 − 0.1·0.01
    expect(ours[0][0]).toBeCloseTo(h.decay - (h.stepSize * (1 - h.beta1)) / (Math.sqrt(1 - h.beta2) * h.invSqrtBc2), 6);
    expect(ours[0][0]).not.toBe(Math.fround(h.decay));
  });
});

describe('wasm adamw: what the bit-identity tests can tell apart', () => {
  it('f64 meta values (not rounded to f32) or f32 arithmetic would give other bits on some cells', () => {
    const n = 1000;
    const [p, g, m, v] = inputs(n, 11, false);
    const h = STEPS[0][1];
    const js = jsAdamw(p, g, m, v, h);
    const unrounded = jsAdamw(p, g, m, v, h, false);
    const differs = (a: number[], b: number[]) => a.some((x, i) => !Object.is(x, b[i]));
    expect(differs(js[0], unrounded[0]) || differs(js[1], unrounded[1]) || differs(js[2], unrounded[2])).toBe(true);
    // the same expression in f32 arithmetic (every operation rounded)
    const f = Math.fround;
    const meta = Array.from(Float32Array.from([h.beta1, 1 - h.beta1, h.beta2, 1 - h.beta2, h.decay, h.stepSize, h.invSqrtBc2, h.eps]));
    const f32p = Array.from(p, (pi, i) => {
      const mi = f(f(m[i] * meta[0]) + f(g[i] * meta[1]));
      const vi = f(f(v[i] * meta[2]) + f(f(g[i] * g[i]) * meta[3]));
      return f(f(pi * meta[4]) - f(f(mi / f(f(f(Math.sqrt(vi)) * meta[6]) + meta[7])) * meta[5]));
    });
    expect(differs(js[0], f32p)).toBe(true);
  });
});

describe('wasm adamw: threads and arguments', () => {
  it('gives the same bits on 1 and 2 threads, synchronous and asynchronous, split into many tasks', async () => {
    const one = new WasmKernels({ threads: 1 });
    const n = (1 << 18) + 3;
    const [p, g, m, v] = inputs(n, 3, true);
    const want = await asArrays(one.adamw(p, g, m, v, n, STEPS[2][1]));
    for (const k of [new WasmKernels({ threads: 2, parallelMinFlop: 0 }), new WasmKernels({ threads: 2, parallelMinFlop: 0, async: true })]) {
      const r = k.adamw(p, g, m, v, n, STEPS[2][1]);
      if (k.async) expect(r).toBeInstanceOf(Promise);
      expect(await asArrays(r)).toEqual(want);
    }
  });

  it('reads only the first n values of longer arrays, returns empty outputs for n = 0, and names the sizes in errors', async () => {
    const k = new WasmKernels({ threads: 1 });
    const [p, g, m, v] = inputs(9, 4, false);
    const h = STEPS[0][1];
    const ours = await asArrays(k.adamw(p, g, m, v, 5, h));
    expect(ours).toEqual(jsAdamw(p.subarray(0, 5), g.subarray(0, 5), m.subarray(0, 5), v.subarray(0, 5), h));
    expect((await k.adamw(p, g, m, v, 0, h)).map((a) => a.length)).toEqual([0, 0, 0]);
    expect(() => k.adamw(p, g, m.subarray(0, 4), v, 5, h)).toThrow(/wasm adamw: needs n >= 1 and p, g, m, v of n floats, got n 5 \(p 9, g 9, m 4, v 9 floats\)/);
  });
});

/** Counts the host adamw calls; `fail` makes the next call throw. */
class Counting extends WasmKernels {
  calls = 0;
  fail = false;
  override adamw(...args: Parameters<WasmKernels['adamw']>) {
    this.calls++;
    if (this.fail) throw new Error('injected failure');
    return super.adamw(...args);
  }
}

describe('wasm adamw behind GpuBackend.adamw', () => {

  it.each(HOST_KERNEL_MODES)('%s (async %s): one host call for the three outputs, with the bits of gpu.js\'s cpu mode', async (mode, isAsync) => {
    const be = useBackend(mode, { async: isAsync }) as GpuBackend;
    const saved = be.host;
    const k = new Counting({ async: isAsync, threads: 2 });
    try {
      be.setHostKernels(k);
      for (const n of [1, 17, 1000, 20000]) {
        const [p, g, m, v] = inputs(n, n, true);
        const ins = [p, g, m, v].map((a) => be.upload(a, [n], 'float32'));
        const launches = be.launches;
        const outs = be.adamw(ins[0], ins[1], ins[2], ins[3], STEPS[0][1]);
        expect(be.launches - launches, `n ${n}: launches`).toBe(1);
        expect(outs.map((t) => t.shape)).toEqual([[n], [n], [n]]);
        expect(new Set(outs.map((t) => t.storage)).size).toBe(3);
        // the inputs may go before the queued kernel has run (async: it holds them)
        for (const t of ins) t.dispose();
        const got = await Promise.all(outs.map(async (t) => Array.from((await be.download(t)) as Float32Array)));
        expect(got, `n ${n}`).toEqual(await gpujsAdamw(p, g, m, v, STEPS[0][1]));
        for (const t of outs) t.dispose();
      }
      expect(k.calls).toBe(4);
    } finally {
      be.setHostKernels(saved);
      useBackend('reference');
    }
  });

  it.each([
    [false, false],
    [true, false],
    [false, true],
    [true, true],
  ])('outputs are pooled host arrays, or resident views, each given back on its own when released (async %s, resident %s)', async (isAsync, resident) => {
    const be = useBackend('webasm', { async: isAsync }) as GpuBackend;
    const saved = be.host;
    try {
      const k = new WasmKernels({ async: isAsync, threads: 2, resident });
      be.setHostKernels(k);
      // no shared memory (no SharedArrayBuffer): outputs are copies even when resident is asked for
      const heap = resident ? k.runtime.heap : null;
      if (resident) expect(heap !== null).toBe(threadsSupported());
      // a size no other test uses, above the pool's 16384-float minimum
      const n = 20011;
      const [p, g, m, v] = inputs(n, 9, false);
      const ins = [p, g, m, v].map((a) => be.upload(a, [n], 'float32'));
      const run = () => be.adamw(ins[0], ins[1], ins[2], ins[3], STEPS[1][1]);
      const want = jsAdamw(p, g, m, v, STEPS[1][1]);
      // what the kernels hold for released outputs: heap bytes on free lists, or pooled host bytes
      const held = () => (heap ? heap.stats().freeBytes : hostPool.stats().pooledBytes);
      const unit = heap ? blockBytes(n * 4) : n * 4;
      const first = run();
      // released before it was computed (async): freed once its kernel has settled, not under it
      first[0].dispose();
      expect(Array.from((await be.download(first[1])) as Float32Array)).toEqual(want[1]);
      expect(Array.from((await be.download(first[2])) as Float32Array)).toEqual(want[2]);
      const held0 = held();
      first[1].dispose();
      expect(held() - held0).toBe(unit);
      first[2].dispose();
      expect(held() - held0).toBe(2 * unit);
      // the next update takes its three outputs from the blocks (or arrays) just given back
      const top0 = heap?.stats().topBytes;
      const hits0 = hostPool.stats().hits;
      const second = run();
      const got = await Promise.all(second.map(async (t) => Array.from((await be.download(t)) as Float32Array)));
      if (heap) expect(heap.stats().topBytes).toBe(top0);
      else expect(hostPool.stats().hits - hits0).toBe(3);
      expect(got).toEqual(want);
      for (const t of [...ins, ...second]) t.dispose();
    } finally {
      be.setHostKernels(saved);
      useBackend('reference');
    }
  });

  it.each([false, true])('a failing host call fails all three outputs, naming the op (async %s)', async (isAsync) => {
    const be = useBackend('webasm', { async: isAsync }) as GpuBackend;
    const saved = be.host;
    const k = new Counting({ async: isAsync, threads: 1 });
    const ins: RawTensor[] = [];
    try {
      be.setHostKernels(k);
      for (let i = 0; i < 4; i++) ins.push(be.upload(values(8, i), [8], 'float32'));
      k.fail = true;
      const message = /adamw: kernel wasm\.adamw failed on the webasm backend: injected failure/;
      if (!isAsync) {
        expect(() => be.adamw(ins[0], ins[1], ins[2], ins[3], STEPS[0][1])).toThrow(message);
      } else {
        const outs = be.adamw(ins[0], ins[1], ins[2], ins[3], STEPS[0][1]);
        for (const t of outs) await expect(be.download(t)).rejects.toThrow(message);
        for (const t of outs) t.dispose();
      }
    } finally {
      for (const t of ins) t.dispose();
      be.setHostKernels(saved);
      useBackend('reference');
    }
  });

  it('stays on gpu.js without host kernels (three launches)', () => {
    const be = useBackend('cpu') as GpuBackend;
    const saved = be.host;
    try {
      be.setHostKernels(null);
      const ins = [0, 1, 2, 3].map((i) => be.upload(values(5, i), [5], 'float32'));
      const launches = be.launches;
      const outs = be.adamw(ins[0], ins[1], ins[2], ins[3], STEPS[0][1]);
      expect(be.launches - launches).toBe(3);
      for (const t of [...ins, ...outs]) t.dispose();
    } finally {
      be.setHostKernels(saved);
      useBackend('reference');
    }
  });
});

describe('AdamW steps with and without the host kernel', () => {
  /**
   * Five AdamW steps over parameters of 1, 5, 17, 1000 and 20000 cells, a frozen one (zero gradients),
   * one group with lr ×10 and one without weight decay; returns every parameter and moment.
   */
  async function train(mode: 'cpu' | 'webasm', isAsync: boolean): Promise<number[][]> {
    useBackend(mode, { async: isAsync });
    const sizes = [1, 5, 17, 1000, 20000, 33];
    const params = sizes.map((n, i) => tensor(values(n, 100 + i), [n], { requiresGrad: true }));
    const names = ['a.weight', 'b.norm.bias', 'head.w', 'c.weight', 'head.big', 'frozen'];
    const opt = new AdamW(names.map((nm, i) => [nm, params[i]] as [string, (typeof params)[number]]), {
      lr: 3e-3, weightDecay: 0.05, rules: [{ pattern: 'head', lrMult: 10 }, { pattern: 'norm', decayMult: 0 }],
    });
    for (let s = 0; s < 5; s++) {
      params.forEach((p, i) => {
        p.grad = tensor(i === 5 ? new Float32Array(sizes[i]) : values(sizes[i], 1000 * s + i, { specials: s === 3 && i !== 4 }), [sizes[i]]);
      });
      opt.step();
      opt.zeroGrad();
    }
    const state = opt.stateDict();
    const out: number[][] = [];
    for (const p of params) out.push(Array.from(await p.data()));
    for (const key of Object.keys(state.tensors).sort()) out.push(Array.from(await state.tensors[key].data()));
    opt.dispose();
    for (const p of params) p.dispose();
    useBackend('reference');
    return out;
  }

  it('cpu: the same bits with the host kernel (one call per parameter) and with gpu.js\'s adamwKernel; webasm (sync and async) on the host kernel too', async () => {
    const be = useBackend('cpu') as GpuBackend;
    const saved = be.host;
    expect(saved?.adamw, 'the cpu backend has the host adamw installed').toBeTypeOf('function');
    const counting = new Counting({ threads: 2 });
    try {
      be.setHostKernels(counting);
      const host = await train('cpu', false);
      expect(counting.calls).toBe(5 * 6);
      be.setHostKernels(null);
      const gpu = await train('cpu', false);
      expect(host.length).toBe(6 + 12);
      host.forEach((h, i) => expect(h, `tensor ${i}`).toEqual(gpu[i]));
      be.setHostKernels(saved);
      for (const isAsync of [false, true]) {
        const webasm = await train('webasm', isAsync);
        webasm.forEach((h, i) => expect(h, `webasm (async ${isAsync}) tensor ${i}`).toEqual(gpu[i]));
      }
    } finally {
      be.setHostKernels(saved);
      useBackend('reference');
    }
  });
});
