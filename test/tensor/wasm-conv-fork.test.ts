// Kind 24, the fork job: WasmKernels.conv2dBackward lays out a convolution's input-gradient and
// weight-gradient jobs and runs them as one, their tasks shared by the threads. It must give exactly
// the bits of the two separate calls on the same threads (dense, strided, grouped, dilated, 1×1 and
// depthwise geometries; the compact model's shapes; one and two threads, sync and async, resident
// outputs or copies), and the autograd conv must give the same gradients with and without it. Also
// WasmRuntime.sumChunks, which adds the weight gradient's per-image-chunk partial sums.
import { afterAll, describe, expect, it, vi } from 'vitest';
import type { Conv2dSpec } from '../../src/tensor/backend.js';
import type { GpuBackend } from '../../src/tensor/backends/gpu/gpu-backend.js';
import { WasmKernels, WasmRuntime, convForkDefault, shutdownWasmKernels, threadsSupported } from '../../src/tensor/backends/wasm/index.js';
import { useBackend } from '../../src/tensor/engine.js';
import { conv2d, tensor } from '../../src/tensor/ops.js';
import { seeded as rng, HOST_KERNEL_MODES, randomArray } from '../helpers/backends.js';
import { convSpec } from '../helpers/conv.js';

afterAll(() => shutdownWasmKernels());

const SPECS: [string, Conv2dSpec][] = [
  ['3×3 pad 1', convSpec(2, 3, 9, 11, 5, [3, 3], { pad: [1, 1] })],
  ['3×3 stride 2 pad 1', convSpec(2, 4, 10, 13, 6, [3, 3], { stride: [2, 2], pad: [1, 1] })],
  ['3×3 dilation 2, groups 2', convSpec(1, 6, 12, 12, 4, [3, 3], { pad: [2, 2], dil: [2, 2], groups: 2 })],
  ['1×1', convSpec(2, 5, 6, 7, 7, [1, 1])],
  ['depthwise 5×5', convSpec(3, 8, 7, 9, 8, [5, 5], { pad: [2, 2], groups: 8 })],
  ['depthwise strip 1×11', convSpec(2, 8, 16, 21, 8, [1, 11], { pad: [0, 5], groups: 8 })],
  ['depthwise 3×3 stride 2 (GEMM path)', convSpec(2, 6, 8, 8, 6, [3, 3], { stride: [2, 2], pad: [1, 1], groups: 6 })],
  // the compact model's: the decoder's 3×3 32→32, the stem, a stage's 1×1 and depthwise convs
  ['model 3×3 32→32 at 16×21', convSpec(8, 32, 16, 21, 32, [3, 3], { pad: [1, 1] })],
  ['model stem 3→12 stride 2', convSpec(8, 3, 64, 84, 12, [3, 3], { stride: [2, 2], pad: [1, 1] })],
  ['model 1×1 48→96 at 8×11', convSpec(8, 48, 8, 11, 96, [1, 1])],
  ['model depthwise 24 3×3 at 16×21', convSpec(8, 24, 16, 21, 24, [3, 3], { pad: [1, 1], groups: 24 })],
];

type Config = { label: string; threads: number; parallelMinFlop: number; async: boolean; resident: boolean };
const CONFIGS: Config[] = [
  { label: '1 thread', threads: 1, parallelMinFlop: 0, async: false, resident: false },
  ...(threadsSupported()
    ? [
        { label: '2 threads (always split)', threads: 2, parallelMinFlop: 0, async: false, resident: false },
        { label: '2 threads, resident outputs', threads: 2, parallelMinFlop: 0, async: false, resident: true },
        { label: '2 threads, async', threads: 2, parallelMinFlop: 0, async: true, resident: false },
        { label: '2 threads, never split', threads: 2, parallelMinFlop: Infinity, async: false, resident: true },
      ]
    : []),
];

describe.each(CONFIGS)('conv2dBackward (kind 24 fork) on $label', (cfg) => {
  it.each(SPECS)('%s: the same bits as conv2dBackwardInput and conv2dBackwardWeight', async (_name, s) => {
    const k = new WasmKernels({ ...cfg, convFork: true });
    const r = rng(s.N * 1000 + s.Cin * 31 + s.kh);
    const x = randomArray(r, s.N * s.Cin * s.H * s.W);
    const w = randomArray(r, s.Cout * (s.Cin / s.groups) * s.kh * s.kw);
    const dy = randomArray(r, s.N * s.Cout * s.OH * s.OW);
    // NOTE: copies: resident outputs are views the next job may reuse once released
    const [dx, dw] = (await k.conv2dBackward!(x, dy, w, s)).map((a) => a.slice());
    const dx1 = (await k.conv2dBackwardInput(dy, w, s)).slice();
    const dw1 = (await k.conv2dBackwardWeight(x, dy, s)).slice();
    expect(dx.length).toBe(x.length);
    expect(dw.length).toBe(w.length);
    expect(dx.some((v) => v !== 0) && dw.some((v) => v !== 0)).toBe(true);
    expect(Buffer.from(dx.buffer).equals(Buffer.from(dx1.buffer)), 'dx differs from conv2dBackwardInput').toBe(true);
    expect(Buffer.from(dw.buffer).equals(Buffer.from(dw1.buffer)), 'dw differs from conv2dBackwardWeight').toBe(true);
  });
});

describe('conv2dBackward through GpuBackend and autograd', () => {
  it.each(HOST_KERNEL_MODES)('%s (async %s): conv2d with bias gives the same gradients with the fork as without, and uses it', async (mode, isAsync) => {
    const be = useBackend(mode, { async: isAsync }) as GpuBackend;
    const saved = be.host;
    const threads = threadsSupported() ? 2 : 1;
    const grads = async (fork: boolean) => {
      const k = new WasmKernels({ threads, parallelMinFlop: 0, convFork: fork, resident: true });
      const spy = fork ? vi.spyOn(k, 'conv2dBackward') : null;
      be.setHostKernels(k);
      const r = rng(7);
      const x = tensor(randomArray(r, 2 * 6 * 10 * 12), [2, 6, 10, 12], { requiresGrad: true });
      const w = tensor(randomArray(r, 8 * 3 * 3 * 3), [8, 3, 3, 3], { requiresGrad: true });
      const b = tensor(randomArray(r, 8), [8], { requiresGrad: true });
      const y = conv2d(x, w, b, { padding: 1, stride: [1, 2], groups: 2 });
      await y.mul(y).sum().backward();
      const out = [await x.grad!.data(), await w.grad!.data(), await b.grad!.data()].map((a) => Float32Array.from(a));
      if (spy) expect(spy).toHaveBeenCalledTimes(1);
      return out;
    };
    try {
      const withFork = await grads(true);
      const without = await grads(false);
      for (let i = 0; i < 3; i++) expect(Array.from(withFork[i])).toEqual(Array.from(without[i]));
    } finally {
      be.setHostKernels(saved);
      useBackend('reference');
    }
  });

  it('only the input gradient (a frozen weight) does not use the fork', async () => {
    const be = useBackend('cpu') as GpuBackend;
    const saved = be.host;
    const k = new WasmKernels({ threads: 1, convFork: true });
    const spy = vi.spyOn(k, 'conv2dBackward');
    try {
      be.setHostKernels(k);
      const x = tensor(randomArray(rng(3), 1 * 2 * 5 * 5), [1, 2, 5, 5], { requiresGrad: true });
      const w = tensor(randomArray(rng(4), 3 * 2 * 3 * 3), [3, 2, 3, 3]);
      await conv2d(x, w, null, { padding: 1 }).sum().backward();
      expect(spy).not.toHaveBeenCalled();
      expect((await x.grad!.data()).some((v) => v !== 0)).toBe(true);
    } finally {
      be.setHostKernels(saved);
      useBackend('reference');
    }
  });

  it('SSA_SEG_WASM_CONV_FORK=0 turns it off; a bad value says what is wrong', () => {
    const old = process.env.SSA_SEG_WASM_CONV_FORK;
    try {
      process.env.SSA_SEG_WASM_CONV_FORK = '0';
      expect(convForkDefault()).toBe(false);
      expect(new WasmKernels({ threads: 1 }).conv2dBackward).toBeUndefined();
      delete process.env.SSA_SEG_WASM_CONV_FORK;
      expect(convForkDefault()).toBe(true);
      expect(typeof new WasmKernels({ threads: 1 }).conv2dBackward).toBe('function');
      process.env.SSA_SEG_WASM_CONV_FORK = 'maybe';
      expect(() => convForkDefault()).toThrow(/SSA_SEG_WASM_CONV_FORK must be 0 or 1, got 'maybe'/);
    } finally {
      if (old === undefined) delete process.env.SSA_SEG_WASM_CONV_FORK;
      else process.env.SSA_SEG_WASM_CONV_FORK = old;
    }
  });
});

// The dense weight gradient on two or more threads splits the batch into image chunks whose partial
// dW are added after the job (WasmRuntime.sumChunks, kernels.wat `sum_chunks`): chunk order, f32
// rounding after each add, the same bits as that loop in JavaScript.
describe('WasmRuntime.sumChunks', () => {
  it.each([
    [1, 1], [3, 2], [4, 2], [7, 3], [16, 4], [9217, 4], [5, 5],
  ])('n %i, %i chunks: the bits of Math.fround adds in chunk order', (n, count) => {
    const rt = new WasmRuntime({ shared: false, threads: 1 });
    try {
      rt.reset();
      const r = rng(n * 7 + count);
      const src = rt.alloc(n * count * 4, 'chunks');
      const dst = rt.alloc((n + 4) * 4, 'sum');
      const v = rt.f32;
      // values of mixed magnitude, so that a different order or a missing round would change bits
      for (let i = 0; i < n * count; i++) v[(src >> 2) + i] = (2 * r() - 1) * 10 ** Math.floor(6 * r() - 3);
      v.fill(-7, dst >> 2, (dst >> 2) + n + 4);
      rt.sumChunks(src, n, count, dst);
      const want = new Float32Array(n);
      for (let i = 0; i < n; i++) {
        let acc = v[(src >> 2) + i];
        for (let c = 1; c < count; c++) acc = Math.fround(acc + v[(src >> 2) + c * n + i]);
        want[i] = acc;
      }
      expect(Array.from(v.subarray(dst >> 2, (dst >> 2) + n))).toEqual(Array.from(want));
      // nothing past the n floats is written
      expect(Array.from(v.subarray((dst >> 2) + n, (dst >> 2) + n + 4))).toEqual([-7, -7, -7, -7]);
    } finally {
      rt.destroy();
    }
  });
});
