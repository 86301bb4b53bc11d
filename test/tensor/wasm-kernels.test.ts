// The WebAssembly SIMD host kernels (src/tensor/backends/wasm) against the float64 reference backend
// and against gpu.js's own kernels: random shapes (odd sizes, transposes, batch broadcast, strides,
// padding, dilation, groups, depthwise, 1×1), one and two threads, synchronous and asynchronous;
// the element-wise kernels (channelAffine in every flag combination, gelu, geluGrad, row sums) on
// odd sizes and rows whose length is not a multiple of 4; softmax and log-softmax along an axis
// (forward and backward) with the axis first, in the middle and last, -Inf, NaN and large entries;
// add/sub/mul/div with broadcasting along each axis and relu/step/square/neg, bit for bit; dot products
// and normalisation along an axis, gather and scatterAdd, bit for bit with gpu.js's cpu mode; sigmoid
// within a few f32 ulp (its special values exactly); strided copies (permute, expand, slice), exact.
import { readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { OUT_PATH, WAT_PATH, assemble, generate, plainPatch, watHash } from '../../scripts/build-wasm.js';
import type { Conv2dSpec, MatmulSpec } from '../../src/tensor/backend.js';
import type { RawTensor } from '../../src/tensor/raw-tensor.js';
import { GpuBackend } from '../../src/tensor/backends/gpu/gpu-backend.js';
import { dotAlongKernel } from '../../src/tensor/backends/gpu/kernels/reduce.js';
import { ReferenceBackend } from '../../src/tensor/backends/reference/reference-backend.js';
import { PARALLEL_MIN_FLOP, WasmKernels, WasmRuntime, defaultParallelMinFlop, installWasmKernels, prepareWasmKernels, shutdownWasmKernels, threadsSupported, wasmKernelsEnabled } from '../../src/tensor/backends/wasm/index.js';
import { KERNELS_WASM_PLAIN_PATCH, KERNELS_WAT_SHA256 } from '../../src/tensor/backends/wasm/kernels-wasm.js';
import { useBackend } from '../../src/tensor/engine.js';
import { add, batchNorm, conv2d, div, expand, gather, gelu, logSoftmax, matmul, mul, neg, norm, normalize, permute, relu, sigmoid, slice, softmax, square, sub, sum, tensor } from '../../src/tensor/ops.js';
import type { Tensor } from '../../src/tensor/tensor.js';
import { seeded as rng, HOST_KERNEL_MODES, randomArray } from '../helpers/backends.js';
import { convSpec } from '../helpers/conv.js';

const ref = new ReferenceBackend();

const absArray = (a: Float32Array) => a.map(Math.abs);

/**
 * |ours − ref| ≤ rtol · |·|ref + tiny, where |·|ref is the same contraction over |inputs| (the sum
 * of |terms| each output adds up): the scale f32 rounding error is proportional to.
 * NOTE: rtol 1e-4 for K ≤ 1024 (f32 error grows ~√K·2⁻²⁴ relative to that scale, far below).
 */
function expectContraction(label: string, ours: ArrayLike<number>, want: ArrayLike<number>, scale: ArrayLike<number>, rtol = 1e-4): void {
  expect(ours.length, `${label}: length`).toBe(want.length);
  for (let i = 0; i < want.length; i++) {
    const err = Math.abs(ours[i] - want[i]);
    if (!(err <= rtol * scale[i] + 1e-30)) {
      expect.fail(`${label}: element ${i} is ${ours[i]}, the float64 reference ${want[i]} (|terms| ${scale[i]}, rtol ${rtol})`);
    }
  }
}

// ---- reference results ----

async function refMatmul(a: Float32Array, b: Float32Array, s: MatmulSpec): Promise<Float64Array> {
  const A = ref.upload(a, [a.length], 'float32');
  const B = ref.upload(b, [b.length], 'float32');
  return (await ref.download(ref.matmul(A, B, s, [s.batch, s.M, s.N]))) as Float64Array;
}

type ConvOp = 'conv2d' | 'conv2dBackwardInput' | 'conv2dBackwardWeight';

async function refConv(op: ConvOp, p: Float32Array, q: Float32Array, s: Conv2dSpec): Promise<Float64Array> {
  const cinG = s.Cin / s.groups;
  const xShape = [s.N, s.Cin, s.H, s.W];
  const wShape = [s.Cout, cinG, s.kh, s.kw];
  const yShape = [s.N, s.Cout, s.OH, s.OW];
  if (op === 'conv2d') return (await ref.download(ref.conv2d(ref.upload(p, xShape, 'float32'), ref.upload(q, wShape, 'float32'), s))) as Float64Array;
  if (op === 'conv2dBackwardInput') {
    return (await ref.download(ref.conv2dBackwardInput(ref.upload(p, yShape, 'float32'), ref.upload(q, wShape, 'float32'), s))) as Float64Array;
  }
  return (await ref.download(ref.conv2dBackwardWeight(ref.upload(p, xShape, 'float32'), ref.upload(q, yShape, 'float32'), s))) as Float64Array;
}

/** The operands of a conv op: conv2d (x, w), backward input (dy, w), backward weight (x, dy). */
function convOperands(r: () => number, op: ConvOp, s: Conv2dSpec): [Float32Array, Float32Array] {
  const x = s.N * s.Cin * s.H * s.W;
  const w = s.Cout * (s.Cin / s.groups) * s.kh * s.kw;
  const y = s.N * s.Cout * s.OH * s.OW;
  if (op === 'conv2d') return [randomArray(r, x), randomArray(r, w)];
  if (op === 'conv2dBackwardInput') return [randomArray(r, y), randomArray(r, w)];
  return [randomArray(r, x), randomArray(r, y)];
}

// ---- shapes ----

function mmSpec(batch: number, M: number, K: number, N: number, o: { transA?: boolean; transB?: boolean; broadcastA?: boolean; broadcastB?: boolean } = {}): MatmulSpec {
  return {
    batch, M, K, N,
    aBatch: o.broadcastA ? 0 : M * K, aRow: o.transA ? 1 : K, aCol: o.transA ? M : 1,
    bBatch: o.broadcastB ? 0 : K * N, bRow: o.transB ? 1 : N, bCol: o.transB ? K : 1,
  };
}

const mmLen = (s: MatmulSpec, which: 'a' | 'b') =>
  which === 'a' ? (s.aBatch === 0 ? 1 : s.batch) * s.M * s.K : (s.bBatch === 0 ? 1 : s.batch) * s.K * s.N;

const MATMULS: [string, MatmulSpec][] = [
  ['1×1×1', mmSpec(1, 1, 1, 1)],
  ['odd 5×7×3', mmSpec(1, 5, 7, 3)],
  ['A transposed, batch 2', mmSpec(2, 13, 17, 19, { transA: true })],
  ['B transposed, batch 3', mmSpec(3, 9, 33, 70, { transB: true })],
  ['both transposed, A broadcast', mmSpec(2, 64, 300, 65, { transA: true, transB: true, broadcastA: true })],
  ['B broadcast', mmSpec(4, 6, 8, 9, { broadcastB: true })],
  ['K past one depth block (KC), ragged edges', mmSpec(1, 130, 600, 75)],
  ['N past one column block (NC)', mmSpec(1, 9, 20, 1100)],
  ['K = 1024', mmSpec(1, 20, 1024, 24)],
];

const CONVS: [string, Conv2dSpec][] = [
  ['3×3 pad 1', convSpec(2, 3, 9, 11, 5, [3, 3], { pad: [1, 1] })],
  ['3×3 stride 2 pad 1', convSpec(2, 4, 10, 13, 6, [3, 3], { stride: [2, 2], pad: [1, 1] })],
  ['3×3 stride 2 no pad', convSpec(1, 3, 17, 16, 5, [3, 3], { stride: [2, 2] })],
  ['3×3 dilation 2 pad 2, groups 2', convSpec(1, 6, 12, 12, 4, [3, 3], { pad: [2, 2], dil: [2, 2], groups: 2 })],
  ['3×3 dilation 2 groups 4 (2 in, 2 out per group)', convSpec(1, 8, 9, 10, 8, [3, 3], { pad: [1, 1], dil: [2, 2], groups: 4 })],
  ['depthwise 5×5', convSpec(3, 8, 7, 9, 8, [5, 5], { pad: [2, 2], groups: 8 })],
  ['depthwise strip 1×7', convSpec(2, 8, 16, 21, 8, [1, 7], { pad: [0, 3], groups: 8 })],
  ['depthwise strip 11×1', convSpec(2, 8, 16, 21, 8, [11, 1], { pad: [5, 0], groups: 8 })],
  ['depthwise 3×3 dilation 2', convSpec(2, 5, 11, 13, 5, [3, 3], { pad: [2, 2], dil: [2, 2], groups: 5 })],
  ['depthwise 3×3 stride 2 (GEMM path)', convSpec(2, 6, 8, 8, 6, [3, 3], { stride: [2, 2], pad: [1, 1], groups: 6 })],
  ['depthwise multiplier 2 (GEMM path)', convSpec(1, 3, 6, 7, 6, [3, 3], { pad: [1, 1], groups: 3 })],
  ['1×1', convSpec(2, 5, 6, 7, 7, [1, 1])],
  ['1×1 stride 2', convSpec(2, 4, 9, 9, 8, [1, 1], { stride: [2, 2] })],
  ['3×3 no pad (valid)', convSpec(2, 4, 8, 9, 3, [3, 3])],
  ['asymmetric 3×5, stride (2, 1), pad (0, 2)', convSpec(2, 3, 9, 10, 4, [3, 5], { stride: [2, 1], pad: [0, 2] })],
  ['padding past the kernel reach (3×3 pad 3)', convSpec(1, 2, 5, 6, 3, [3, 3], { pad: [3, 3] })],
  ['stem 3→12 3×3 stride 2', convSpec(2, 3, 32, 42, 12, [3, 3], { stride: [2, 2], pad: [1, 1] })],
  // strided convs read phase planes ($phase_copy): strides past the kernel, dilation across phases, groups
  ['5×5 stride 3 pad 2', convSpec(2, 3, 14, 17, 4, [5, 5], { stride: [3, 3], pad: [2, 2] })],
  ['3×3 stride 2 dilation 2 pad 2, groups 2', convSpec(2, 4, 13, 12, 6, [3, 3], { stride: [2, 2], pad: [2, 2], dil: [2, 2], groups: 2 })],
  ['2×2 stride 4 (taps skip cells)', convSpec(1, 2, 11, 13, 3, [2, 2], { stride: [4, 4] })],
  ['3×3 stride (1, 2) pad (1, 0)', convSpec(2, 3, 7, 12, 5, [3, 3], { stride: [1, 2], pad: [1, 0] })],
  ['32→32 3×3 on 16×21 (the decoder fuse)', convSpec(2, 32, 16, 21, 32, [3, 3], { pad: [1, 1] })],
  // strided: the input gradient by output phases (kind 3), stride-2 panels packed as vector runs
  ['stride 2, odd H and W, Cin 3 (the stem, odd)', convSpec(2, 3, 33, 43, 12, [3, 3], { stride: [2, 2], pad: [1, 1] })],
  ['12→24 stride 2 on 16×21 (odd W)', convSpec(2, 12, 16, 21, 24, [3, 3], { stride: [2, 2], pad: [1, 1] })],
  ['stride 2 groups 3, odd sizes', convSpec(2, 6, 15, 17, 9, [3, 3], { stride: [2, 2], pad: [1, 1], groups: 3 })],
  ['5×5 stride 2 pad 2, odd sizes', convSpec(1, 4, 19, 23, 6, [5, 5], { stride: [2, 2], pad: [2, 2] })],
  ['4×4 stride 2 pad 1 (2×2 taps per phase)', convSpec(2, 3, 12, 14, 5, [4, 4], { stride: [2, 2], pad: [1, 1] })],
  ['3×3 stride 2 pad 1 on 2 columns (short rows)', convSpec(3, 2, 9, 3, 4, [3, 3], { stride: [2, 2], pad: [1, 1] })],
  ['stride 2 in row chunks (the phase buffers hold 40 of 50 rows)', convSpec(1, 64, 100, 100, 4, [3, 3], { stride: [2, 2], pad: [1, 1] })],
];

const CONV_OPS: ConvOp[] = ['conv2d', 'conv2dBackwardInput', 'conv2dBackwardWeight'];

/** Every thread/mode combination to check; threaded ones force the parallel path with parallelMinFlop 0. */
const VARIANTS: [string, () => WasmKernels][] = [
  ['1 thread', () => new WasmKernels({ threads: 1 })],
  ['2 threads, sync', () => new WasmKernels({ threads: 2, parallelMinFlop: 0 })],
  ['2 threads, async', () => new WasmKernels({ threads: 2, parallelMinFlop: 0, async: true })],
];

afterAll(() => shutdownWasmKernels());

/**
 * Every element of `ours` within `tol(reference value)` of both the float64 reference and gpu.js's
 * result. With `skipWhereExact`, an element identical to the reference's (Object.is: ±Inf, NaN) is not compared.
 */
function expectNearBoth(ours: Float32Array[], oracle: Float32Array[], gpujs: Float32Array[], tol: (ref: number) => number, opts: { skipWhereExact?: boolean } = {}): void {
  for (let i = 0; i < ours.length; i++) {
    for (let j = 0; j < ours[i].length; j++) {
      if (opts.skipWhereExact && Object.is(ours[i][j], oracle[i][j])) continue;
      const t = tol(oracle[i][j]);
      expect(Math.abs(ours[i][j] - oracle[i][j]), `tensor ${i} element ${j} vs reference`).toBeLessThanOrEqual(t);
      expect(Math.abs(ours[i][j] - gpujs[i][j]), `tensor ${i} element ${j} vs gpu.js`).toBeLessThanOrEqual(t);
    }
  }
}

/**
 * Runs `run` on `mode` three ways: with gpu.js's kernels only, with `kernels(be)` as the backend's host
 * kernels, and on the float64 reference. Restores the backend's own host kernels afterwards.
 */
async function runThreeWays(
  mode: 'webasm' | 'cpu',
  isAsync: boolean,
  run: () => Promise<Float32Array[]>,
  kernels: (be: GpuBackend) => WasmKernels,
): Promise<{ gpujs: Float32Array[]; ours: Float32Array[]; oracle: Float32Array[] }> {
  const be = useBackend(mode, { async: isAsync }) as GpuBackend;
  const saved = be.host;
  try {
    be.setHostKernels(null);
    const gpujs = await run();
    be.setHostKernels(kernels(be));
    const ours = await run();
    useBackend('reference');
    return { gpujs, ours, oracle: await run() };
  } finally {
    be.setHostKernels(saved);
    useBackend('reference');
  }
}

describe('wasm kernels: build', () => {
  it('kernels-wasm.ts was assembled from the committed kernels.wat', () => {
    expect(KERNELS_WAT_SHA256).toBe(watHash(readFileSync(WAT_PATH, 'utf8')));
  });

  it('`npm run build:wasm` regenerates kernels-wasm.ts byte for byte', async () => {
    expect(await generate(readFileSync(WAT_PATH, 'utf8'))).toBe(readFileSync(OUT_PATH, 'utf8'));
  });

  it('the plain-memory binary is the shared one with the memory limits flag changed, and nothing else', async () => {
    const { shared, plain } = await assemble(readFileSync(WAT_PATH, 'utf8'));
    expect(plainPatch(shared, plain)).toEqual(KERNELS_WASM_PLAIN_PATCH);
    const patched = shared.slice();
    patched[KERNELS_WASM_PLAIN_PATCH.offset] = KERNELS_WASM_PLAIN_PATCH.value;
    expect(Buffer.from(patched).equals(Buffer.from(plain))).toBe(true);
    const other = plain.slice();
    other[other.length - 1] ^= 1;
    expect(() => plainPatch(shared, other)).toThrow(/differ from the shared one in the memory limits flag alone/);
    // the plain runtime's memory is an ordinary ArrayBuffer
    const rt = new WasmRuntime({ shared: false, threads: 1 });
    try {
      expect(rt.f32.buffer instanceof ArrayBuffer).toBe(true);
    } finally {
      rt.destroy();
    }
  });

  it('prepareWasmKernels compiles and instantiates asynchronously (the browser main-thread path)', async () => {
    await prepareWasmKernels(3);
    const k = new WasmKernels({ threads: 3, parallelMinFlop: 0 });
    const s = mmSpec(1, 9, 10, 11);
    const r = rng(1);
    const a = randomArray(r, 90);
    const b = randomArray(r, 110);
    expectContraction('matmul after prepareWasmKernels', await k.matmul(a, b, s), await refMatmul(a, b, s), await refMatmul(absArray(a), absArray(b), s));
    expect(k.runtime.threads).toBe(threadsSupported() ? 3 : 1);
  });

  it('runs here (SIMD) and uses worker threads when SharedArrayBuffer exists', () => {
    expect(wasmKernelsEnabled()).toBe(true);
    expect(threadsSupported()).toBe(typeof SharedArrayBuffer !== 'undefined');
  });
});

describe.each(VARIANTS)('wasm kernels vs the float64 reference (%s)', (_name, make) => {
  const k = make();

  it.each(MATMULS)('matmul %s', async (label, s) => {
    const r = rng(s.M * 7 + s.K * 13 + s.N);
    const a = randomArray(r, mmLen(s, 'a'));
    const b = randomArray(r, mmLen(s, 'b'));
    const ours = await k.matmul(a, b, s);
    expectContraction(`matmul ${label}`, ours, await refMatmul(a, b, s), await refMatmul(absArray(a), absArray(b), s));
  });

  describe.each(CONV_OPS)('%s', (op) => {
    it.each(CONVS)('%s', async (label, s) => {
      const r = rng(s.Cin * 31 + s.Cout * 7 + s.H + s.kh * 3 + op.length);
      const [p, q] = convOperands(r, op, s);
      const ours = await k[op](p, q, s);
      expectContraction(`${op} ${label}`, ours, await refConv(op, p, q, s), await refConv(op, absArray(p), absArray(q), s));
    });
  });
});

// ---- element-wise kernels ----

/** [N, C, inner] shapes: odd sizes, rows shorter than a vector, rows with tails of 1–3 floats. */
const AFFINE_SHAPES: [number, number, number][] = [
  [1, 1, 1], [2, 3, 5], [3, 4, 8], [2, 5, 13], [4, 7, 1], [1, 3, 2], [2, 6, 37], [3, 2, 64], [2, 16, 84],
];

/** Which terms a channelAffine call has: bit 0 p, bit 1 b and q, bit 2 r (all 8 combinations). */
const FLAGS = [0, 1, 2, 3, 4, 5, 6, 7];

interface AffineCase {
  shape: [number, number, number];
  a: Float32Array;
  b: Float32Array | null;
  p: Float32Array | null;
  q: Float32Array | null;
  r: Float32Array | null;
}

function affineCase(shape: [number, number, number], flags: number, seed: number): AffineCase {
  const r = rng(seed);
  const [N, C, inner] = shape;
  const size = N * C * inner;
  return {
    shape,
    a: randomArray(r, size),
    b: flags & 2 ? randomArray(r, size) : null,
    p: flags & 1 ? randomArray(r, C) : null,
    q: flags & 2 ? randomArray(r, C) : null,
    r: flags & 4 ? randomArray(r, C) : null,
  };
}

const sizeOfCase = (c: AffineCase) => c.shape[0] * c.shape[1] * c.shape[2];

/** The reference's channelAffine, and the same over |terms| (the scale of its f32 rounding error). */
async function refAffine(c: AffineCase): Promise<{ want: Float64Array; scale: Float64Array }> {
  const [N, C, inner] = c.shape;
  const run = async (abs: boolean) => {
    const f = (v: Float32Array | null, shape: number[]): RawTensor | null => (v ? ref.upload(abs ? absArray(v) : v, shape, 'float32') : null);
    return (await ref.download(ref.channelAffine(f(c.a, [N, C, inner])!, f(c.b, [N, C, inner]), f(c.p, [C]), f(c.q, [C]), f(c.r, [C])))) as Float64Array;
  };
  return { want: await run(false), scale: await run(true) };
}

/** GELU inputs: the interesting points (0, −0, the tails, where e^(−x²/2) underflows) and random values in [−8, 8]. */
function geluInput(n: number, seed: number): Float32Array {
  const special = [0, -0, -0.5, 0.5, -3, 3, -6, 6, -10, 10, -14, 14, -40, 1e-20, -1e-20];
  const r = rng(seed);
  const x = new Float32Array(n);
  for (let i = 0; i < n; i++) x[i] = i < special.length && i % 3 === 0 ? special[i / 3] : 16 * r() - 8;
  return x;
}

/** |gelu error| bound: A&S 7.1.26 (|erf error| < 1.5e-7, times 0.5·|x|) plus f32 rounding of the result. */
const geluTol = (x: number, want: number) => 1e-7 * (1 + Math.abs(x)) + 4e-7 * Math.abs(want);

// NOTE: kind 8 steps by 8 values (two vectors): every size mod 8 appears, below and above one step
const GELU_SIZES = [1, 2, 3, 4, 5, 6, 7, 8, 9, 14, 16, 17, 22, 63, 1001, 4099];

/** [rows, R] of the row sums: rows shorter than a vector, tails of 1–3, one long row (gpu.js reduces it in two passes). */
const SUM_SHAPES: [number, number][] = [[1, 1], [3, 1], [5, 2], [4, 3], [2, 4], [7, 5], [3, 16], [9, 17], [33, 63], [2, 4099], [1, 43008]];

describe.each(VARIANTS)('wasm element-wise kernels vs the float64 reference (%s)', (_name, make) => {
  const k = make();

  describe.each(FLAGS)('channelAffine, flags %i', (flags) => {
    it.each(AFFINE_SHAPES)('[%i, %i, %i]', async (N, C, inner) => {
      const c = affineCase([N, C, inner], flags, N * 100 + C * 10 + inner + flags);
      const ours = await k.channelAffine(c.a, c.b, c.p, c.q, c.r, C, inner, sizeOfCase(c));
      const { want, scale } = await refAffine(c);
      // three f32 roundings at most, each ≤ 2⁻²⁴ of the sum of |terms|
      expectContraction(`channelAffine [${N}, ${C}, ${inner}] flags ${flags}`, ours, want, scale, 1e-6);
    });
  });

  it.each(SUM_SHAPES)('sumRows of %i rows of %i', async (rows, R) => {
    const x = randomArray(rng(rows * 31 + R), rows * R);
    const ours = await k.sumRows(x, rows, R);
    const X = ref.upload(x, [rows, R], 'float32');
    const want = (await ref.download(ref.reduce('sum', X, [rows]))) as Float64Array;
    const scale = (await ref.download(ref.reduce('sum', ref.upload(absArray(x), [rows, R], 'float32'), [rows]))) as Float64Array;
    // accumulated in f64: only the final rounding to f32 (2⁻²⁴ of the result, bounded by Σ|x|)
    expectContraction(`sumRows ${rows}×${R}`, ours, want, scale, 1e-7);
  });

  it.each(GELU_SIZES)('gelu and geluGrad of %i values', async (n) => {
    const x = geluInput(n, n);
    for (const op of ['gelu', 'geluGrad'] as const) {
      const ours = await k.gelu(x, n, op === 'geluGrad');
      const want = (await ref.download(ref.unary(op, ref.upload(x, [n], 'float32')))) as Float64Array;
      expect(ours.length).toBe(n);
      for (let i = 0; i < n; i++) {
        if (!(Math.abs(ours[i] - want[i]) <= geluTol(x[i], want[i]))) expect.fail(`${op}(${x[i]}) is ${ours[i]}, the float64 reference ${want[i]}`);
      }
    }
  });
});

describe('wasm element-wise kernels vs gpu.js kernels', () => {
  const gpu = new GpuBackend('cpu', false);
  const k = new WasmKernels({ threads: 2, parallelMinFlop: 0 });
  const up = (v: Float32Array | null, shape: number[]) => (v ? gpu.upload(v, shape, 'float32') : null);

  it.each(FLAGS)('channelAffine, flags %i', async (flags) => {
    for (const shape of AFFINE_SHAPES) {
      const [N, C, inner] = shape;
      const c = affineCase(shape, flags, 7 * flags + N + C + inner);
      const theirs = await gpu.download(gpu.channelAffine(up(c.a, shape)!, up(c.b, shape), up(c.p, [C]), up(c.q, [C]), up(c.r, [C])));
      const { scale } = await refAffine(c);
      expectContraction(`channelAffine ${shape} flags ${flags} vs gpu.js`, await k.channelAffine(c.a, c.b, c.p, c.q, c.r, C, inner, sizeOfCase(c)), theirs, scale, 1e-6);
    }
  });

  it('channelAffine keeps −0 where a term is missing (x·1 and x + (−0) are exact), as gpu.js does', async () => {
    const a = Float32Array.from([-0, 0, -0, 1, -0, 2, -0, 3, -0]);
    const p = Float32Array.from([1, 2, 3]);
    for (const withP of [false, true]) {
      const theirs = await gpu.download(gpu.channelAffine(gpu.upload(a, [1, 3, 3], 'float32'), null, withP ? gpu.upload(p, [3], 'float32') : null, null, null));
      const ours = await k.channelAffine(a, null, withP ? p : null, null, null, 3, 3, 9);
      expect(Array.from(ours).map((v) => Object.is(v, -0))).toEqual(Array.from(theirs).map((v) => Object.is(v, -0)));
      expect(Array.from(ours)).toEqual(Array.from(theirs));
    }
  });

  it.each(GELU_SIZES.filter((n) => n > 4))('gelu and geluGrad of %i values', async (n) => {
    const x = geluInput(n, 3 * n);
    for (const op of ['gelu', 'geluGrad'] as const) {
      const theirs = await gpu.download(gpu.unary(op, gpu.upload(x, [n], 'float32')));
      const ours = await k.gelu(x, n, op === 'geluGrad');
      for (let i = 0; i < n; i++) {
        if (!(Math.abs(ours[i] - theirs[i]) <= 1e-7 + 2e-7 * Math.abs(theirs[i]))) expect.fail(`${op}(${x[i]}) is ${ours[i]}, gpu.js ${theirs[i]}`);
      }
    }
  });

  it('sumRows matches the gpu.js sum (one and two passes) to f32 rounding', async () => {
    for (const [rows, R] of SUM_SHAPES) {
      const x = randomArray(rng(rows + 7 * R), rows * R);
      const theirs = await gpu.download(gpu.reduce('sum', gpu.upload(x, [rows, R], 'float32'), [rows]));
      const scale = (await ref.download(ref.reduce('sum', ref.upload(absArray(x), [rows, R], 'float32'), [rows]))) as Float64Array;
      expectContraction(`sumRows ${rows}×${R} vs gpu.js`, await k.sumRows(x, rows, R), theirs, scale, 1e-6);
    }
    expect(Array.from(await k.sumRows(new Float32Array(1), 3, 0))).toEqual([0, 0, 0]);
  });

  it('gelu and geluGrad of ±Inf, NaN and ±0 give what the gpu.js kernels give', async () => {
    const x = Float32Array.from([Infinity, -Infinity, NaN, 0, -0, 100, -100]);
    for (const op of ['gelu', 'geluGrad'] as const) {
      const theirs = Array.from(await gpu.download(gpu.unary(op, gpu.upload(x, [x.length], 'float32'))));
      expect(Array.from(await k.gelu(x, x.length, op === 'geluGrad')), op).toEqual(theirs);
    }
  });
});

describe('wasm element-wise kernels: threads', () => {
  it('give bit-identical results on 1 and 2 threads, synchronous and asynchronous', async () => {
    const one = new WasmKernels({ threads: 1 });
    const two = new WasmKernels({ threads: 2, parallelMinFlop: 0 });
    const twoAsync = new WasmKernels({ threads: 2, parallelMinFlop: 0, async: true });
    const c = affineCase([5, 7, 101], 7, 1);
    const size = sizeOfCase(c);
    const base = await one.channelAffine(c.a, c.b, c.p, c.q, c.r, 7, 101, size);
    expect(Array.from(await two.channelAffine(c.a, c.b, c.p, c.q, c.r, 7, 101, size))).toEqual(Array.from(base));
    expect(Array.from(await twoAsync.channelAffine(c.a, c.b, c.p, c.q, c.r, 7, 101, size))).toEqual(Array.from(base));
    const rowsX = randomArray(rng(9), 101 * 37);
    const sums = Array.from(await one.sumRows(rowsX, 101, 37));
    expect(Array.from(await two.sumRows(rowsX, 101, 37))).toEqual(sums);
    expect(Array.from(await twoAsync.sumRows(rowsX, 101, 37))).toEqual(sums);
    const x = geluInput(10007, 2);
    for (const grad of [false, true]) {
      const want = Array.from(await one.gelu(x, x.length, grad));
      expect(Array.from(await two.gelu(x, x.length, grad))).toEqual(want);
      expect(Array.from(await twoAsync.gelu(x, x.length, grad))).toEqual(want);
    }
  });

  it('gelu of 0 values is empty and leaves the next job intact', async () => {
    const k = new WasmKernels({ threads: 1 });
    for (const grad of [false, true]) expect(Array.from(await k.gelu(new Float32Array(4), 0, grad))).toEqual([]);
    const x = Float32Array.from([1, -1, 2]);
    expect(Array.from(await k.gelu(x, 3, false))).toEqual(Array.from(await k.gelu(Float32Array.from([1, -1, 2, 0, 0, 0, 0, 0]), 3, false)));
  });

  it('read only the first `size` values of longer arrays', async () => {
    const k = new WasmKernels({ threads: 1 });
    const x = Float32Array.from([1, -1, 2, NaN, NaN]);
    expect(Array.from(await k.gelu(x, 3, false))).toEqual(Array.from(await k.gelu(x.slice(0, 3), 3, false)));
    expect(Array.from(await k.sumRows(x, 1, 3))).toEqual([2]);
    const c = affineCase([1, 2, 3], 7, 4);
    const long = (v: Float32Array | null) => (v ? Float32Array.from([...v, NaN, NaN]) : null);
    expect(Array.from(await k.channelAffine(long(c.a)!, long(c.b), long(c.p), long(c.q), long(c.r), 2, 3, 6))).toEqual(
      Array.from(await k.channelAffine(c.a, c.b, c.p, c.q, c.r, 2, 3, 6)),
    );
  });
});

// ---- softmax family along an axis: x viewed as [outer, R, inner] ----

/** [outer, R, inner]: axis last (inner 1), first (outer 1) and in the middle; rows of 1; tails of 1–3 columns or cells. */
const SOFTMAX_SHAPES: [number, number, number][] = [
  [1, 1, 1], [3, 1, 5], [4, 7, 1], [2, 5, 3], [1, 6, 2], [2, 11, 9], [3, 13, 4], [2, 300, 1], [3, 17, 1], [2, 4, 37], [1, 11, 130], [8, 11, 67],
];

/** Entries in ±range, a −Inf in some rows (never a whole row), some rows offset by ±1e4. */
function softmaxInput(outer: number, R: number, inner: number, seed: number): Float32Array {
  const r = rng(seed);
  const x = new Float32Array(outer * R * inner);
  for (let o = 0; o < outer; o++) {
    for (let n = 0; n < inner; n++) {
      const off = (o + n) % 5 === 0 ? 1e4 * (n % 2 ? 1 : -1) : 0;
      for (let q = 0; q < R; q++) x[(o * R + q) * inner + n] = off + 30 * (r() - 0.5);
      if (R > 1 && (o + 2 * n) % 3 === 0) x[(o * R + ((o + n) % R)) * inner + n] = -Infinity;
    }
  }
  return x;
}

/** max |x| (finite entries) of the row through cell i: lse's f32 rounding error scales with it. */
function rowScale(x: Float32Array, R: number, inner: number): Float64Array {
  const s = new Float64Array(x.length);
  for (let i = 0; i < x.length; i++) {
    const o = Math.floor(i / (R * inner));
    const n = i % inner;
    let m = 0;
    for (let q = 0; q < R; q++) {
      const v = Math.abs(x[(o * R + q) * inner + n]);
      if (Number.isFinite(v)) m = Math.max(m, v);
    }
    s[i] = m;
  }
  return s;
}

/** Tolerance of a softmax (log false) or log-softmax output: f32 roundings of lse (relative to the row's scale) and of exp. */
function softmaxTol(want: number, scale: number, log: boolean): number {
  const lseErr = 4 * 2 ** -24 * (scale + 1);
  return log ? lseErr + 1e-6 * Math.abs(want) + 1e-7 : Math.abs(want) * (4e-6 + lseErr) + 1e-7;
}

function expectSoftmax(label: string, ours: ArrayLike<number>, want: ArrayLike<number>, scale: ArrayLike<number>, log: boolean): void {
  expect(ours.length, `${label}: length`).toBe(want.length);
  for (let i = 0; i < want.length; i++) {
    if (Object.is(ours[i], want[i])) continue;
    if (!(Math.abs(ours[i] - want[i]) <= softmaxTol(want[i], scale[i], log))) expect.fail(`${label}: element ${i} is ${ours[i]}, expected ${want[i]}`);
  }
}

/** A gradient case: y = the reference (log-)softmax of x rounded to f32, dy random; the scale of each dx cell. */
async function softmaxGradCase(outer: number, R: number, inner: number, log: boolean, seed: number) {
  const x = softmaxInput(outer, R, inner, seed);
  const y = Float32Array.from((await ref.download(ref.softmax(ref.upload(x, [outer, R, inner], 'float32'), R, inner, log))) as Float64Array);
  const dy = randomArray(rng(seed + 1), x.length);
  const want = (await ref.download(ref.softmaxBackward(ref.upload(y, [outer, R, inner], 'float32'), ref.upload(dy, [outer, R, inner], 'float32'), R, inner, log))) as Float64Array;
  // |dx| ≤ |dy| + p·Σ|dy|(·p): p = y (softmax) or e^y (log)
  const scale = new Float64Array(x.length);
  for (let o = 0; o < outer; o++) {
    for (let n = 0; n < inner; n++) {
      let s = 0;
      for (let q = 0; q < R; q++) {
        const i = (o * R + q) * inner + n;
        s += Math.abs(dy[i]) * (log ? 1 : Math.abs(y[i]));
      }
      for (let q = 0; q < R; q++) {
        const i = (o * R + q) * inner + n;
        scale[i] = Math.abs(dy[i]) * (log ? 1 : Math.abs(y[i])) + (log ? Math.exp(y[i]) : Math.abs(y[i])) * s;
      }
    }
  }
  return { y, dy, want, scale };
}

describe.each(VARIANTS)('wasm softmax kernels vs the float64 reference (%s)', (_name, make) => {
  const k = make();
  it.each(SOFTMAX_SHAPES)('softmax and logSoftmax of [%i, %i, %i] along the middle axis', async (outer, R, inner) => {
    const x = softmaxInput(outer, R, inner, outer * 100 + R * 10 + inner);
    const scale = rowScale(x, R, inner);
    for (const log of [false, true]) {
      const want = (await ref.download(ref.softmax(ref.upload(x, [outer, R, inner], 'float32'), R, inner, log))) as Float64Array;
      expectSoftmax(`${log ? 'logSoftmax' : 'softmax'} [${outer}, ${R}, ${inner}]`, await k.softmax(x, outer, R, inner, log), want, scale, log);
    }
  });

  it.each(SOFTMAX_SHAPES)('softmaxBackward and logSoftmaxBackward of [%i, %i, %i]', async (outer, R, inner) => {
    for (const log of [false, true]) {
      const c = await softmaxGradCase(outer, R, inner, log, outer * 7 + R * 3 + inner);
      const ours = await k.softmaxBackward(c.y, c.dy, outer, R, inner, log);
      expectContraction(`${log ? 'logSoftmax' : 'softmax'} backward [${outer}, ${R}, ${inner}]`, ours, c.want, c.scale, 1e-5);
    }
  });
});

describe('wasm softmax kernels vs gpu.js kernels', () => {
  const gpu = new GpuBackend('cpu', false);
  const k = new WasmKernels({ threads: 2, parallelMinFlop: 0 });

  it.each(SOFTMAX_SHAPES)('forward and backward of [%i, %i, %i]', async (outer, R, inner) => {
    const shape = [outer, R, inner];
    const x = softmaxInput(outer, R, inner, 3 * outer + R + inner);
    const scale = rowScale(x, R, inner);
    for (const log of [false, true]) {
      const theirs = await gpu.download(gpu.softmax(gpu.upload(x, shape, 'float32'), R, inner, log));
      expectSoftmax(`${log ? 'logSoftmax' : 'softmax'} ${shape} vs gpu.js`, await k.softmax(x, outer, R, inner, log), theirs, scale, log);
      const c = await softmaxGradCase(outer, R, inner, log, outer + R + inner);
      const theirsGrad = await gpu.download(gpu.softmaxBackward(gpu.upload(c.y, shape, 'float32'), gpu.upload(c.dy, shape, 'float32'), R, inner, log));
      expectContraction(`${log ? 'logSoftmax' : 'softmax'} backward ${shape} vs gpu.js`, await k.softmaxBackward(c.y, c.dy, outer, R, inner, log), theirsGrad, c.scale, 1e-5);
    }
  });

  it('rows with −Inf, +Inf, NaN, only −Inf, or huge entries give what the gpu.js kernels give', async () => {
    // rows of 3: finite with one −Inf; only −Inf (NaN: −Inf − −Inf); NaN; +Inf; ±3e38; a single −Inf... in a row of 1
    const rows = [[-Infinity, 1, 2], [-Infinity, -Infinity, -Infinity], [NaN, 0, 1], [Infinity, 0, 1], [3e38, -3e38, 0], [-1e30, 5, -Infinity], [0, 0, 0]];
    const cells = rows.flat();
    const R = 3;
    const same = (a: number, b: number) => Object.is(a, b) || Math.abs(a - b) <= 1e-6 * Math.abs(b) + 1e-7;
    for (const inner of [1, 2, 7]) {
      // inner > 1: the same rows along the middle axis (column n holds row n mod 7)
      const outer = inner === 1 ? rows.length : 1;
      const x = new Float32Array(outer * R * inner);
      for (let o = 0; o < outer; o++) {
        for (let n = 0; n < inner; n++) for (let q = 0; q < R; q++) x[(o * R + q) * inner + n] = cells[((inner === 1 ? o : n) % rows.length) * R + q];
      }
      for (const log of [false, true]) {
        const theirs = Array.from(await gpu.download(gpu.softmax(gpu.upload(x, [outer, R, inner], 'float32'), R, inner, log)));
        const ours = Array.from(await k.softmax(x, outer, R, inner, log));
        ours.forEach((v, i) => expect(same(v, theirs[i]), `${log ? 'logSoftmax' : 'softmax'} inner ${inner} cell ${i} (x ${x[i]}): ${v} vs gpu.js ${theirs[i]}`).toBe(true));
        const dy = Float32Array.from(x, (_, i) => ((i * 5) % 7) / 7 - 0.5);
        const y = Float32Array.from(theirs);
        const theirsGrad = Array.from(await gpu.download(gpu.softmaxBackward(gpu.upload(y, [outer, R, inner], 'float32'), gpu.upload(dy, [outer, R, inner], 'float32'), R, inner, log)));
        const oursGrad = Array.from(await k.softmaxBackward(y, dy, outer, R, inner, log));
        oursGrad.forEach((v, i) => expect(same(v, theirsGrad[i]), `${log ? 'logSoftmax' : 'softmax'} backward inner ${inner} cell ${i}: ${v} vs gpu.js ${theirsGrad[i]}`).toBe(true));
      }
    }
  });

  it('give bit-identical results on 1 and 2 threads, synchronous and asynchronous', async () => {
    const one = new WasmKernels({ threads: 1 });
    const twoAsync = new WasmKernels({ threads: 2, parallelMinFlop: 0, async: true });
    for (const [outer, R, inner] of [[5, 13, 37], [41, 37, 1]] as const) {
      const x = softmaxInput(outer, R, inner, 5);
      const dy = randomArray(rng(6), x.length);
      for (const log of [false, true]) {
        const want = Array.from(await one.softmax(x, outer, R, inner, log));
        expect(Array.from(await k.softmax(x, outer, R, inner, log))).toEqual(want);
        expect(Array.from(await twoAsync.softmax(x, outer, R, inner, log))).toEqual(want);
        const y = Float32Array.from(want);
        const g = Array.from(await one.softmaxBackward(y, dy, outer, R, inner, log));
        expect(Array.from(await k.softmaxBackward(y, dy, outer, R, inner, log))).toEqual(g);
        expect(Array.from(await twoAsync.softmaxBackward(y, dy, outer, R, inner, log))).toEqual(g);
      }
    }
  });
});

// ---- plain element-wise arithmetic: add/sub/mul/div with broadcasting, relu/step/square/neg ----

type Dims3 = [number, number, number];

/** Row-major strides of a rank-3 shape, 0 along its size-1 axes (how the backend reads a broadcast operand). */
function strides3(shape: Dims3): Dims3 {
  return [shape[0] === 1 ? 0 : shape[1] * shape[2], shape[1] === 1 ? 0 : shape[2], shape[2] === 1 ? 0 : 1];
}

/** [label, a shape, b shape] (rank 3; out is their broadcast): broadcast along each axis, splats, size-1 dims, tails of 1–3. */
const BINARY_SHAPES: [string, Dims3, Dims3][] = [
  ['same shape, 1 cell', [1, 1, 1], [1, 1, 1]],
  ['same shape, 7 cells', [1, 1, 7], [1, 1, 7]],
  ['same shape [3, 5, 9]', [3, 5, 9], [3, 5, 9]],
  ['same shape, 4099 cells', [1, 1, 4099], [1, 1, 4099]],
  ['b broadcast along d0', [3, 5, 7], [1, 5, 7]],
  ['b broadcast along d1', [3, 5, 7], [3, 1, 7]],
  ['b broadcast along d2 (a splat per row)', [3, 5, 7], [3, 5, 1]],
  ['a broadcast along d2', [4, 6, 1], [4, 6, 9]],
  ['a broadcast along d0 and d1', [1, 1, 21], [4, 3, 21]],
  ['b scalar-like [1]', [2, 3, 37], [1, 1, 1]],
  ['a scalar-like [1]', [1, 1, 1], [1, 1, 38]],
  ['per channel [N, C, HW] ∘ [1, C, 1]', [2, 16, 84], [1, 16, 1]],
  ['outer product [1, 13, 1] ∘ [1, 1, 11]', [1, 13, 1], [1, 1, 11]],
  ['size-1 middle dim', [5, 1, 6], [5, 1, 1]],
  ['long rows, b broadcast along d1', [2, 3, 1030], [2, 1, 1030]],
];

/** Operands in [−1, 1) with ±0, ±Inf, NaN, subnormals and values whose products or quotients overflow or underflow. */
function arithInput(n: number, seed: number): Float32Array {
  const special = [0, -0, Infinity, -Infinity, NaN, 1e-40, -3e-39, 3e38, -3e38, 1e-30, 7e-46, 1];
  const r = rng(seed);
  const x = randomArray(r, n);
  for (let i = 3; i < n; i += 5) x[i] = special[Math.floor(r() * special.length)];
  return x;
}

const BINARY_OPS = ['add', 'sub', 'mul', 'div'] as const;
const UNARY_OPS = ['relu', 'step', 'square', 'neg'] as const;
const UNARY_SIZES = [1, 2, 3, 4, 5, 7, 16, 17, 63, 1001, 4099];

/** The float64 reference's result rounded to f32: for these exactly rounded ops, the f32 arithmetic's bits. */
async function refRounded(t: RawTensor): Promise<number[]> {
  return Array.from((await ref.download(t)) as Float64Array, Math.fround);
}

describe.each(VARIANTS)('wasm binary and unary kernels: bits of f32 arithmetic (%s)', (_name, make) => {
  const k = make();

  describe.each(BINARY_OPS)('%s', (op) => {
    it.each(BINARY_SHAPES)('%s', async (_label, aShape, bShape) => {
      const a = arithInput(aShape[0] * aShape[1] * aShape[2], aShape.join('').length + op.length);
      const b = arithInput(bShape[0] * bShape[1] * bShape[2], bShape[2] * 7 + op.length);
      const out = aShape.map((d, i) => Math.max(d, bShape[i])) as Dims3;
      const want = await refRounded(ref.binary(op, ref.upload(a, aShape, 'float32'), ref.upload(b, bShape, 'float32')));
      const ours = Array.from(await k.binary(op, a, b, out, strides3(aShape), strides3(bShape)));
      // toEqual compares numbers with Object.is: −0 ≠ 0, NaN = NaN
      expect(ours).toEqual(want);
    });
  });

  it('reads through any strides: a transposed operand, strides over d0 only', async () => {
    // out [2, 5, 6] = a viewed transposed (a is [2, 6, 5]) ∘ b [2, 5, 6]; then out [4, 1, 3] with gaps in a
    const a = arithInput(60, 1);
    const b = arithInput(60, 2);
    for (const [dims, sa, sb] of [[[2, 5, 6], [30, 1, 5], [30, 6, 1]], [[4, 1, 3], [15, 0, 2], [3, 0, 1]], [[3, 4, 5], [0, 0, 0], [0, 5, 1]]] as [Dims3, Dims3, Dims3][]) {
      for (const op of BINARY_OPS) {
        const f = { add: (x: number, y: number) => x + y, sub: (x: number, y: number) => x - y, mul: (x: number, y: number) => x * y, div: (x: number, y: number) => x / y }[op];
        const want: number[] = [];
        for (let i0 = 0; i0 < dims[0]; i0++) {
          for (let i1 = 0; i1 < dims[1]; i1++) {
            for (let i2 = 0; i2 < dims[2]; i2++) want.push(Math.fround(f(a[i0 * sa[0] + i1 * sa[1] + i2 * sa[2]], b[i0 * sb[0] + i1 * sb[1] + i2 * sb[2]])));
          }
        }
        expect(Array.from(await k.binary(op, a, b, dims, sa, sb)), `${op} [${dims}] a strides [${sa}] b strides [${sb}]`).toEqual(want);
      }
    }
  });

  describe.each(UNARY_OPS)('%s', (op) => {
    it.each(UNARY_SIZES)('of %i values', async (n) => {
      const x = arithInput(n, 11 * n + op.length);
      const want = await refRounded(ref.unary(op, ref.upload(x, [n], 'float32')));
      expect(Array.from(await k.unary(op, x, n))).toEqual(want);
    });
  });
});

describe('wasm binary and unary kernels vs gpu.js kernels', () => {
  const gpu = new GpuBackend('cpu', false);
  const k = new WasmKernels({ threads: 2, parallelMinFlop: 0 });

  it.each(BINARY_OPS)('%s: broadcastBinaryKernel and the same-shape kernel give the same bits', async (op) => {
    for (const [label, aShape, bShape] of BINARY_SHAPES) {
      const a = arithInput(aShape[0] * aShape[1] * aShape[2], 3 + aShape[1]);
      const b = arithInput(bShape[0] * bShape[1] * bShape[2], 5 + bShape[2]);
      const out = aShape.map((d, i) => Math.max(d, bShape[i])) as Dims3;
      const theirs = Array.from(await gpu.download(gpu.binary(op, gpu.upload(a, aShape, 'float32'), gpu.upload(b, bShape, 'float32'))));
      expect(Array.from(await k.binary(op, a, b, out, strides3(aShape), strides3(bShape))), `${op} ${label}`).toEqual(theirs);
    }
  });

  it.each(UNARY_OPS)('%s gives the same bits (−0, NaN, ±Inf, subnormals included)', async (op) => {
    for (const n of UNARY_SIZES) {
      const x = arithInput(n, n + 1);
      const theirs = Array.from(await gpu.download(gpu.unary(op, gpu.upload(x, [n], 'float32'))));
      expect(Array.from(await k.unary(op, x, n)), `${op} of ${n} values`).toEqual(theirs);
    }
  });
});

describe('wasm binary and unary kernels: threads and arguments', () => {
  it('give bit-identical results on 1 and 2 threads, synchronous and asynchronous, rows or columns split', async () => {
    const one = new WasmKernels({ threads: 1 });
    const two = new WasmKernels({ threads: 2, parallelMinFlop: 0 });
    const twoAsync = new WasmKernels({ threads: 2, parallelMinFlop: 0, async: true });
    // [1, 1, n]: one row, split into column runs; [6, 7, 45]: rows split; [1, 2, 999]: fewer rows than tasks
    for (const [aShape, bShape] of [[[1, 1, 10007], [1, 1, 10007]], [[6, 7, 45], [1, 7, 1]], [[1, 2, 999], [1, 1, 999]]] as [Dims3, Dims3][]) {
      const a = arithInput(aShape[0] * aShape[1] * aShape[2], 8);
      const b = arithInput(bShape[0] * bShape[1] * bShape[2], 9);
      const out = aShape.map((d, i) => Math.max(d, bShape[i])) as Dims3;
      for (const op of BINARY_OPS) {
        const want = Array.from(await one.binary(op, a, b, out, strides3(aShape), strides3(bShape)));
        expect(Array.from(await two.binary(op, a, b, out, strides3(aShape), strides3(bShape)))).toEqual(want);
        expect(Array.from(await twoAsync.binary(op, a, b, out, strides3(aShape), strides3(bShape)))).toEqual(want);
      }
    }
    const x = arithInput(10007, 10);
    for (const op of UNARY_OPS) {
      const want = Array.from(await one.unary(op, x, x.length));
      expect(Array.from(await two.unary(op, x, x.length))).toEqual(want);
      expect(Array.from(await twoAsync.unary(op, x, x.length))).toEqual(want);
    }
  });

  it('read only the cells their strides reach of longer arrays, and name the op and shapes in errors', async () => {
    const k = new WasmKernels({ threads: 1 });
    const a = Float32Array.from([1, 2, 3, 4, NaN, NaN]);
    const b = Float32Array.from([10, 20, NaN]);
    expect(Array.from(await k.binary('add', a, b, [1, 2, 2], [0, 2, 1], [0, 0, 1]))).toEqual([11, 22, 13, 24]);
    expect(Array.from(await k.unary('neg', a, 3))).toEqual([-1, -2, -3]);
    expect(Array.from(await k.binary('mul', a, b, [0, 2, 2], [0, 2, 1], [0, 0, 1]))).toEqual([]);
    expect(() => k.binary('div', a, b, [1, 3, 3], [0, 3, 1], [0, 0, 1])).toThrow(/wasm binary div: .*a needs 9.*dims \[1,3,3\]/);
    expect(() => k.unary('relu', a, 7)).toThrow(/wasm unary relu: 7 values/);
  });
});

// ---- dot products and normalisation along an axis, gather and scatterAdd (kinds 14-17) ----

/** [outer, R, inner]: rows (inner = 1), R = 1, inner = 1..17 not a multiple of 8 or 4, 8-column groups exactly, the head's [1, 64, 84]. */
const ALONG_SHAPES: Dims3[] = [
  [1, 1, 1], [3, 1, 1], [4, 1, 7], [5, 7, 1], [2, 37, 1], [1, 300, 1], [3, 5, 3], [2, 6, 8], [2, 9, 13], [3, 4, 17], [1, 64, 84],
];

/** Values in [−1, 1) with a few ±0, ±Inf, NaN, subnormals and huge values (whose squares overflow f32 but not f64). */
function alongInput(n: number, seed: number, specials = true): Float32Array {
  const special = [0, -0, Infinity, -Infinity, NaN, 1e-40, -3e-39, 3e38, -3e30, 1e-30];
  const r = rng(seed);
  const x = randomArray(r, n);
  if (specials) for (let i = 7; i < n; i += 23) x[i] = special[Math.floor(r() * special.length)];
  return x;
}

/**
 * gpu.js's dotAlongKernel itself (cpu mode, no host kernels): the backend only launches it through
 * norm / normalize / normalizeBackward, so the test reaches its private launcher.
 */
function gpuDotAlong(gpu: GpuBackend, a: Float32Array, b: Float32Array | null, [outer, R, inner]: Dims3, sqrt: boolean): Promise<Float32Array> {
  const A = gpu.upload(a, [outer, R, inner], 'float32');
  const B = b === null ? A : gpu.upload(b, [outer, R, inner], 'float32');
  const launch = (gpu as unknown as { launch(op: string, fn: unknown, args: unknown[], shape: number[], dtype: string): RawTensor }).launch.bind(gpu);
  return gpu.download(launch('dotAlong', dotAlongKernel, [A, B, Float32Array.from([R, inner, sqrt ? 1 : 0, b === null ? 0 : 1])], [outer, inner], 'float32')) as Promise<Float32Array>;
}

/** dotAlongKernel in JavaScript numbers (what gpu.js's cpu mode runs): f64 sums r = 0..R−1 from +0, rounded to f32. */
function jsDotAlong(a: Float32Array, b: Float32Array | null, [outer, R, inner]: Dims3, sqrt: boolean): number[] {
  const out: number[] = [];
  for (let o = 0; o < outer; o++) {
    for (let n = 0; n < inner; n++) {
      let s = 0;
      for (let r = 0; r < R; r++) {
        const i = (o * R + r) * inner + n;
        s += b === null ? a[i] : a[i] * b[i];
      }
      out.push(Math.fround(sqrt ? Math.sqrt(s) : s));
    }
  }
  return out;
}

/** Index values for [outer, L, inner] into an axis of Lx: mostly in range, some repeated, some negative or ≥ Lx. */
function indexInput(n: number, Lx: number, seed: number, outOfRange = true): Float32Array {
  const r = rng(seed);
  return Float32Array.from({ length: n }, () => (outOfRange ? Math.floor(r() * (Lx + 4)) - 2 : Math.floor(r() * Lx)));
}

/** [outer, L, inner, Lx]: L = 1 (f32 sums), 2, 3 and more (f64 sums), inner = 1, Lx = 1, inner not a multiple of 4. */
const INDEXED_SHAPES: [number, number, number, number][] = [
  [1, 1, 1, 1], [2, 1, 7, 5], [3, 2, 5, 4], [2, 3, 9, 6], [1, 12, 1, 3], [4, 5, 3, 11], [2, 1, 37, 1], [3, 7, 13, 2], [2, 1, 84, 11],
];

describe.each(VARIANTS)('wasm dotAlong, normalizeAlong, gather and scatterAdd: the bits of gpu.js\'s cpu mode (%s)', (_name, make) => {
  const k = make();
  const gpu = new GpuBackend('cpu', false);

  it.each(ALONG_SHAPES)('dotAlong [%i, %i, %i]: Σ a·b, Σ a, Σ a·a and its √ (norm)', async (outer, R, inner) => {
    const dims: Dims3 = [outer, R, inner];
    const a = alongInput(outer * R * inner, outer * 31 + R * 7 + inner);
    const b = alongInput(outer * R * inner, outer + R * 5 + inner * 3);
    for (const [bv, sqrt] of [[b, false], [null, false], [a, false], [a, true], [b, true]] as [Float32Array | null, boolean][]) {
      const label = `${bv === null ? 'Σ a' : bv === a ? 'Σ a·a' : 'Σ a·b'}${sqrt ? ', √' : ''} of [${dims}]`;
      const ours = Array.from(await k.dotAlong(a, bv, outer, R, inner, sqrt));
      // toEqual compares with Object.is: −0 ≠ 0, NaN = NaN
      expect(ours, `${label} vs gpu.js`).toEqual(Array.from(await gpuDotAlong(gpu, a, bv, dims, sqrt)));
      expect(ours, `${label} vs JavaScript numbers`).toEqual(jsDotAlong(a, bv, dims, sqrt));
    }
    // norm through the backend's gpu.js path (dotAlongKernel with x twice)
    const X = gpu.upload(a, dims, 'float32');
    expect(Array.from(await k.dotAlong(a, a, outer, R, inner, true))).toEqual(Array.from(await gpu.download(gpu.norm(X, R, inner))));
  });

  it.each(ALONG_SHAPES)('normalizeAlong [%i, %i, %i]: x / (n + eps) as normalizeAlongKernel (eps 1e-12, 0.1, 0)', async (outer, R, inner) => {
    const dims: Dims3 = [outer, R, inner];
    const x = alongInput(outer * R * inner, outer * 3 + R + inner * 11);
    const X = gpu.upload(x, dims, 'float32');
    for (const eps of [1e-12, 0.1, 0]) {
      const [y, n] = gpu.normalize(X, R, inner, eps);
      const nv = (await gpu.download(n)) as Float32Array;
      const ours = Array.from(await k.normalizeAlong(x, nv, outer, R, inner, eps));
      expect(ours, `[${dims}] eps ${eps}`).toEqual(Array.from(await gpu.download(y)));
      // JavaScript numbers: eps is read from a Float32Array, n + eps and the quotient in f64
      const e = Math.fround(eps);
      expect(ours).toEqual(Array.from(x, (v, i) => Math.fround(v / (nv[Math.floor(i / (R * inner)) * inner + (i % inner)] + e))));
    }
  });

  it.each(INDEXED_SHAPES)('gather and scatterAdd [outer %i, L %i, inner %i, Lx %i]: out-of-range, negative and repeated indices, NaN/Inf, −0', async (outer, L, inner, Lx) => {
    const x = alongInput(outer * Lx * inner, Lx * 13 + inner);
    const src = alongInput(outer * L * inner, L * 17 + inner);
    const index = indexInput(outer * L * inner, Lx, outer + L + inner + Lx);
    const X = gpu.upload(x, [outer, Lx, inner], 'float32');
    const S = gpu.upload(src, [outer, L, inner], 'float32');
    const I = gpu.upload(index, [outer, L, inner], 'int32');
    const label = `[${outer}, ${L}, ${inner}] into Lx ${Lx}`;
    expect(Array.from(await k.gather(x, index, outer, L, inner, Lx)), `gather ${label}`).toEqual(Array.from(await gpu.download(gpu.gather(X, I, 1))));
    const theirs = Array.from(await gpu.download(gpu.scatterAdd(S, I, 1, [outer, Lx, inner])));
    const ours = Array.from(await k.scatterAdd(src, index, outer, L, inner, Lx));
    expect(ours, `scatterAdd ${label}`).toEqual(theirs);
    // JavaScript numbers: each cell's terms j ascending from +0, rounded once
    const want = new Array<number>(outer * Lx * inner).fill(0);
    for (let o = 0; o < outer; o++) {
      for (let t = 0; t < Lx; t++) {
        for (let n = 0; n < inner; n++) {
          let s = 0;
          for (let j = 0; j < L; j++) if (index[(o * L + j) * inner + n] === t) s += src[(o * L + j) * inner + n];
          want[(o * Lx + t) * inner + n] = Math.fround(s);
        }
      }
    }
    expect(ours).toEqual(want);
  });

  it('scatterAdd sums many repeated terms in f64 (L = 40 into Lx = 2), where f32 sums would differ', async () => {
    // 1 + 40 terms of ±2⁻²⁴ and 1: f32 accumulation loses the small terms, f64 keeps them
    const [outer, L, inner, Lx] = [2, 40, 5, 2];
    const src = Float32Array.from({ length: outer * L * inner }, (_, i) => (i % 7 === 0 ? 1 : (i % 2 ? 1 : -1) * 2 ** -24 * (1 + (i % 5))));
    const index = indexInput(outer * L * inner, Lx, 5, false);
    const S = gpu.upload(src, [outer, L, inner], 'float32');
    const I = gpu.upload(index, [outer, L, inner], 'int32');
    expect(Array.from(await k.scatterAdd(src, index, outer, L, inner, Lx))).toEqual(Array.from(await gpu.download(gpu.scatterAdd(S, I, 1, [outer, Lx, inner]))));
  });
});

describe('wasm dotAlong, normalizeAlong, gather and scatterAdd: threads and arguments', () => {
  it('give bit-identical results on 1 and 2 threads, synchronous and asynchronous, on larger shapes', async () => {
    const one = new WasmKernels({ threads: 1 });
    const two = new WasmKernels({ threads: 2, parallelMinFlop: 0 });
    const twoAsync = new WasmKernels({ threads: 2, parallelMinFlop: 0, async: true });
    const x = alongInput(8 * 11 * 333, 1);
    const y = alongInput(8 * 11 * 333, 2);
    const nrm = absArray(alongInput(8 * 333, 3));
    for (const k of [two, twoAsync]) {
      for (const [outer, R, inner] of [[8, 11, 333], [8 * 11 * 3, 111, 1], [1, 11, 8 * 333]] as Dims3[]) {
        expect(Array.from(await k.dotAlong(x, y, outer, R, inner, false))).toEqual(Array.from(await one.dotAlong(x, y, outer, R, inner, false)));
        expect(Array.from(await k.dotAlong(x, x, outer, R, inner, true))).toEqual(Array.from(await one.dotAlong(x, x, outer, R, inner, true)));
      }
      expect(Array.from(await k.normalizeAlong(x, nrm, 8, 11, 333, 1e-6))).toEqual(Array.from(await one.normalizeAlong(x, nrm, 8, 11, 333, 1e-6)));
      expect(Array.from(await k.normalizeAlong(x, nrm, 8 * 333, 11, 1, 1e-6))).toEqual(Array.from(await one.normalizeAlong(x, nrm, 8 * 333, 11, 1, 1e-6)));
      // gather: runs of cells; scatterAdd: one outer index split into column runs, and 8 whole ones
      for (const [outer, L, inner, Lx] of [[8, 1, 333, 11], [1, 3, 2000, 11], [8, 4, 333, 11]]) {
        const index = indexInput(outer * L * inner, Lx, L);
        expect(Array.from(await k.gather(x, index, outer, L, inner, Lx))).toEqual(Array.from(await one.gather(x, index, outer, L, inner, Lx)));
        expect(Array.from(await k.scatterAdd(y, index, outer, L, inner, Lx))).toEqual(Array.from(await one.scatterAdd(y, index, outer, L, inner, Lx)));
      }
    }
  });

  it('read only the cells they need of longer arrays, handle empty axes, and name the op and shapes in errors', async () => {
    const k = new WasmKernels({ threads: 1 });
    const a = Float32Array.from([3, 4, 1, 2, NaN, NaN]);
    expect(Array.from(await k.dotAlong(a, a, 1, 2, 2, true))).toEqual([Math.fround(Math.sqrt(10)), Math.fround(Math.sqrt(20))]);
    expect(Array.from(await k.dotAlong(a, null, 2, 2, 1, false))).toEqual([7, 3]);
    expect(Array.from(await k.dotAlong(a, a, 2, 0, 3, true))).toEqual([0, 0, 0, 0, 0, 0]);
    expect(Array.from(await k.normalizeAlong(a, Float32Array.from([4, 1, NaN]), 2, 2, 1, 0))).toEqual([0.75, 1, 1, 2]);
    const index = Float32Array.from([1, 0, -1, 2, 7, 7]);
    expect(Array.from(await k.gather(a, index, 1, 1, 4, 1))).toEqual([0, 4, 0, 0]);
    expect(Array.from(await k.gather(a, index, 1, 2, 2, 2))).toEqual([1, 4, 0, 0]);
    expect(Array.from(await k.scatterAdd(a, index, 1, 2, 2, 2))).toEqual([0, 4, 3, 0]);
    expect(Array.from(await k.scatterAdd(a, Float32Array.from([1, 1, 1, 0]), 1, 2, 2, 2))).toEqual([0, 2, 4, 4]);
    expect(Array.from(await k.scatterAdd(a, index, 1, 0, 2, 2))).toEqual([0, 0, 0, 0]);
    expect(() => k.dotAlong(a, a, 2, 2, 2, false)).toThrow(/wasm dotAlong: .*\[2, 2, 2\] \(a 6 floats, b 6\)/);
    expect(() => k.normalizeAlong(a, a, 1, 3, 3, 0)).toThrow(/wasm normalizeAlong: .*\[1, 3, 3\] \(x 6, nrm 6 floats\)/);
    expect(() => k.gather(a, index, 1, 2, 3, 3)).toThrow(/wasm gather: .*outer 1, L 2, inner 3, Lx 3 \(x 6, index 6 floats\)/);
    expect(() => k.scatterAdd(a, index, 2, 2, 2, 2)).toThrow(/wasm scatterAdd: .*outer 2, L 2, inner 2, Lx 2 \(src 6, index 6 floats\)/);
  });
});

describe('wasm dotAlong, normalizeAlong, gather and scatterAdd behind the public ops', () => {
  /**
   * norm along the channel axis and normalize along the last and the middle axis, forward and backward
   * (normalizeBackward's Σ dy·x on the host), and gather along axis 1 with repeated indices, whose
   * backward is scatterAdd (3 terms per output cell at most: f64 sums).
   */
  async function runIndexed(): Promise<Float32Array[]> {
    const r = rng(57);
    const x = tensor(randomArray(r, 2 * 11 * 16 * 16), [2, 11, 16, 16], { requiresGrad: true });
    const index = tensor(Int32Array.from(indexInput(2 * 3 * 16 * 16, 11, 4, false)), [2, 3, 16, 16]);
    const p = tensor(randomArray(r, 2 * 9 * 37), [2, 9, 37], { requiresGrad: true });
    const g = gather(x, 1, index);
    const nrm = norm(p, 1, true);
    const q = normalize(p, { axis: 2, eps: 1e-12 });
    const q1 = normalize(p, { axis: 1, eps: 0.01 });
    const t = add(add(sum(mul(g, tensor(randomArray(r, g.size), g.shape))), sum(mul(nrm, tensor(randomArray(r, nrm.size), nrm.shape)))),
      add(sum(mul(q, tensor(randomArray(r, q.size), q.shape))), sum(mul(q1, tensor(randomArray(r, q1.size), q1.shape)))));
    await t.backward();
    return Promise.all([g, nrm, q, q1, x.grad as Tensor, p.grad as Tensor].map(async (v) => Float32Array.from(await v.data())));
  }

  it.each(HOST_KERNEL_MODES)('%s (async %s): norm, normalize, gather and scatterAdd run on the host and match gpu.js and the reference', async (mode, isAsync) => {
    const used = new Set<string>();
    class Counting extends WasmKernels {
      override dotAlong(...args: Parameters<WasmKernels['dotAlong']>) {
        used.add(args[1] === null ? 'dotAlong Σ a' : args[1] === args[0] ? `dotAlong Σ a·a${args[5] ? ' √' : ''}` : 'dotAlong Σ a·b');
        return super.dotAlong(...args);
      }
      override normalizeAlong(...args: Parameters<WasmKernels['normalizeAlong']>) {
        used.add(`normalizeAlong inner ${args[4] === 1 ? '1' : '> 1'}`);
        return super.normalizeAlong(...args);
      }
      override gather(...args: Parameters<WasmKernels['gather']>) {
        used.add('gather');
        return super.gather(...args);
      }
      override scatterAdd(...args: Parameters<WasmKernels['scatterAdd']>) {
        used.add('scatterAdd');
        return super.scatterAdd(...args);
      }
    }
    const { gpujs, ours, oracle } = await runThreeWays(mode, isAsync, runIndexed, () => new Counting({ async: isAsync, threads: 2, parallelMinFlop: 0 }));
    expect([...used].sort()).toEqual(['dotAlong Σ a·a √', 'dotAlong Σ a·b', 'gather', 'normalizeAlong inner 1', 'normalizeAlong inner > 1', 'scatterAdd']);
    // the forward values (gather, norm, normalize) and x's gradient (scatterAdd alone) are the bits of gpu.js's cpu mode
    if (mode === 'cpu') for (const i of [0, 1, 2, 3, 4]) expect(Array.from(ours[i]), `output ${i}`).toEqual(Array.from(gpujs[i]));
    expectNearBoth(ours, oracle, gpujs, (ref) => 1e-5 * (1 + Math.abs(ref)));
  });

  it('gather with a small index or a much larger x, and scatterAdd below 256 output cells, stay on gpu.js', async () => {
    const be = useBackend('cpu') as GpuBackend;
    const saved = be.host;
    const used: string[] = [];
    class Counting extends WasmKernels {
      override gather(...args: Parameters<WasmKernels['gather']>) {
        used.push(`gather ${args[2] * args[3] * args[4]}`);
        return super.gather(...args);
      }
      override scatterAdd(...args: Parameters<WasmKernels['scatterAdd']>) {
        used.push(`scatterAdd ${args[2] * args[5] * args[4]}`);
        return super.scatterAdd(...args);
      }
    }
    try {
      be.setHostKernels(new Counting({ threads: 1 }));
      const x = (n: number, L: number) => tensor(randomArray(rng(n), n * L), [1, L, n], { requiresGrad: true });
      const idx = (n: number, L: number) => tensor(Int32Array.from({ length: n }, (_, i) => i % L), [1, 1, n]);
      // 1000 index cells; 1024 cells from x 17× as large: gpu.js (their backward scatterAdds: 17000 and 17408 cells, host)
      await sum(gather(x(1000, 2), 1, idx(1000, 2))).backward();
      await sum(gather(x(1024, 17), 1, idx(1024, 17))).backward();
      // 1024 cells from x 16× as large: host; 200 cells into 200: gpu.js both ways
      await sum(gather(x(1024, 16), 1, idx(1024, 16))).backward();
      await sum(gather(x(200, 1), 1, idx(200, 1))).backward();
      expect(used).toEqual(['scatterAdd 2000', 'scatterAdd 17408', 'gather 1024', 'scatterAdd 16384']);
    } finally {
      be.setHostKernels(saved);
      useBackend('reference');
    }
  });
});

// ---- sigmoid (kind 13, op 4) and the strided copy (kind 18) ----

/** Distance in f32 ulps between two finite (or equal) f32 values: steps along the ordered f32 line (subnormals one step each). */
function ulpDistance(a: number, b: number): number {
  if (Object.is(a, b) || (Number.isNaN(a) && Number.isNaN(b))) return 0;
  if (Number.isNaN(a) || Number.isNaN(b)) return Infinity;
  const f = new Float32Array([a, b]);
  const u = new Int32Array(f.buffer);
  const ord = (v: number) => (v < 0 ? -(v & 0x7fffffff) : v);
  return Math.abs(ord(u[0]) - ord(u[1]));
}

/**
 * Sigmoid tolerance in f32 ulps of the exact value rounded to f32. The host kernel's e^x ($vexp, a
 * Cephes polynomial) is within ~2 ulp, then one division and 1 − t add a rounding each; gpu.js's
 * Math.exp in f64 rounds once. Measured worst case over a 0.0007-step scan of [−110, 30]: 2 ulp.
 */
const SIGMOID_ULP = 4;

/** sigmoid of x in f64, rounded to f32 (the float64 reference). */
const sigmoid64 = (x: number) => Math.fround(1 / (1 + Math.exp(-x)));

/**
 * Sigmoid inputs: [−30, 30) with ±0, ±Inf, NaN, subnormals, the saturation edges near ±17 and the
 * f32-subnormal results of x in (−104, −87.3).
 */
function sigmoidInput(n: number, seed: number): Float32Array {
  const special = [0, -0, Infinity, -Infinity, NaN, 1e-40, -3e-39, 3e38, -3e38, 17.3, 17.33, 17.34, -17.33, -88, -95.5, -103.9, -104.5, 88.8, -87.34];
  const r = rng(seed);
  const x = new Float32Array(n);
  for (let i = 0; i < n; i++) x[i] = 60 * r() - 30;
  for (let i = 2; i < n; i += 5) x[i] = special[Math.floor(r() * special.length)];
  return x;
}

function expectSigmoidNear(label: string, x: Float32Array, ours: ArrayLike<number>, want: ArrayLike<number>): void {
  expect(ours.length, `${label}: length`).toBe(want.length);
  for (let i = 0; i < want.length; i++) {
    if (!(ulpDistance(ours[i], want[i]) <= SIGMOID_ULP)) {
      expect.fail(`${label}: sigmoid(${x[i]}) is ${ours[i]}, want ${want[i]} (${ulpDistance(ours[i], want[i])} ulp apart, at most ${SIGMOID_ULP})`);
    }
  }
}

describe.each(VARIANTS)('wasm sigmoid (%s)', (_name, make) => {
  const k = make();

  it.each(UNARY_SIZES)('of %i values is within SIGMOID_ULP of the float64 reference', async (n) => {
    const x = sigmoidInput(n, 13 * n);
    const want = Array.from((await ref.download(ref.unary('sigmoid', ref.upload(x, [n], 'float32')))) as Float64Array, Math.fround);
    expectSigmoidNear(`${n} values`, x, Array.from(await k.unary('sigmoid', x, n)), want);
  });

  it('on a dense scan of [−110, 30] (the subnormal results, the saturation to 1) is within SIGMOID_ULP', async () => {
    const x = Float32Array.from({ length: 200001 }, (_, i) => -110 + i * 0.0007);
    expectSigmoidNear('scan', x, Array.from(await k.unary('sigmoid', x, x.length)), Array.from(x, sigmoid64));
  });
});

describe('wasm sigmoid vs gpu.js sigmoidKernel', () => {
  const gpu = new GpuBackend('cpu', false);
  const k = new WasmKernels({ threads: 2, parallelMinFlop: 0 });

  it('matches gpu.js exactly at its special values (±Inf, NaN, ±0, saturation) and within SIGMOID_ULP elsewhere', async () => {
    const special = Float32Array.from([Infinity, -Infinity, NaN, 0, -0, 17.4, 20, 88, 1e30, 3e38, -104.5, -200, -1e30, -3e38]);
    const theirs = Array.from(await gpu.download(gpu.unary('sigmoid', gpu.upload(special, [special.length], 'float32'))));
    expect(theirs).toEqual([1, 0, NaN, 0.5, 0.5, 1, 1, 1, 1, 1, 0, 0, 0, 0]);
    expect(Array.from(await k.unary('sigmoid', special, special.length))).toEqual(theirs);
    for (const n of [7, 1001, 4099]) {
      const x = sigmoidInput(n, n + 5);
      const g = Array.from(await gpu.download(gpu.unary('sigmoid', gpu.upload(x, [n], 'float32'))));
      expectSigmoidNear(`vs gpu.js, ${n} values`, x, Array.from(await k.unary('sigmoid', x, n)), g);
    }
  });
});

describe('wasm sigmoid behind the public op', () => {
  /** sigmoid of a [4, 6, 10, 12] tensor in [−12, 12) forward and backward (its gradient y·(1 − y)·dy on gpu.js). */
  async function runSigmoid(): Promise<Float32Array[]> {
    const r = rng(73);
    const x = tensor(Float32Array.from(randomArray(r, 2880), (v) => 12 * v), [4, 6, 10, 12], { requiresGrad: true });
    const y = sigmoid(x);
    await sum(mul(y, tensor(randomArray(r, 2880), [4, 6, 10, 12]))).backward();
    return Promise.all([y, x.grad as Tensor].map(async (v) => Float32Array.from(await v.data())));
  }

  it.each(HOST_KERNEL_MODES)('%s (async %s): runs on the host within SIGMOID_ULP of the reference', async (mode, isAsync) => {
    const used = new Set<string>();
    class Counting extends WasmKernels {
      override unary(...args: Parameters<WasmKernels['unary']>) {
        used.add(args[0]);
        return super.unary(...args);
      }
    }
    const { gpujs, ours, oracle } = await runThreeWays(mode, isAsync, runSigmoid, () => new Counting({ async: isAsync, threads: 2, parallelMinFlop: 0 }));
    expect(used.has('sigmoid')).toBe(true);
    for (let i = 0; i < oracle[0].length; i++) expect(ulpDistance(ours[0][i], Math.fround(oracle[0][i])), `element ${i}`).toBeLessThanOrEqual(SIGMOID_ULP);
    expectNearBoth(ours, oracle, gpujs, (ref) => 1e-5 * (1 + Math.abs(ref)));
  });
});

/** [label, x length, out dims, strides, offset]: permutes, expands (stride 0), slices with offsets and steps; 1, 2 and 3 dims; odd row lengths. */
const STRIDED_CASES: [string, number, Dims3, Dims3, number][] = [
  ['1 cell', 3, [1, 1, 1], [0, 0, 0], 2],
  ['1 dim, contiguous from an offset', 1010, [1, 1, 1001], [0, 0, 1], 5],
  ['1 dim, step 3', 120, [1, 1, 37], [0, 0, 3], 2],
  ['1 dim, a splat (expand of one cell)', 9, [1, 1, 23], [0, 0, 0], 4],
  ['2 dims, transpose of [13, 7]', 91, [1, 7, 13], [0, 1, 7], 0],
  ['2 dims, rows of 6 from a [5, 10] slice', 50, [1, 5, 6], [0, 10, 1], 3],
  ['2 dims, a row expanded', 7, [1, 9, 7], [0, 0, 1], 0],
  ['3 dims, batched transpose [3, 5, 9] → [3, 9, 5]', 135, [3, 9, 5], [45, 1, 9], 0],
  ['3 dims, per-channel expand [1, 16, 1] → [2, 16, 84]', 16, [2, 16, 84], [0, 1, 0], 0],
  ['3 dims, expand along d0', 42, [4, 6, 7], [0, 7, 1], 0],
  ['3 dims, slice with offset', 240, [3, 4, 6], [80, 10, 1], 13],
  ['3 dims, slice with steps', 200, [2, 5, 9], [100, 20, 2], 3],
  ['3 dims, NHWC → NCHW of [2, 11, 13, 6]', 2 * 11 * 13 * 6, [2, 6, 143], [858, 1, 6], 0],
  ['long rows split into columns', 2060, [1, 2, 1030], [0, 1030, 1], 0],
];

/** out[i0, i1, i2] = x[offset + i0·s0 + i1·s1 + i2·s2]. */
function stridedLoop(x: Float32Array, dims: Dims3, s: Dims3, offset: number): number[] {
  const out: number[] = [];
  for (let i0 = 0; i0 < dims[0]; i0++) for (let i1 = 0; i1 < dims[1]; i1++) for (let i2 = 0; i2 < dims[2]; i2++) out.push(x[offset + i0 * s[0] + i1 * s[1] + i2 * s[2]]);
  return out;
}

describe.each(VARIANTS)('wasm strided copy: exact (%s)', (_name, make) => {
  const k = make();

  it.each(STRIDED_CASES)('%s', async (_label, len, dims, strides, offset) => {
    // values with −0, NaN, ±Inf and subnormals: a copy keeps every one (toEqual compares with Object.is)
    const x = arithInput(len, len + offset);
    const want = stridedLoop(x, dims, strides, offset);
    const viaRef = Array.from((await ref.download(ref.strided(ref.upload(x, [len], 'float32'), dims, strides, offset))) as Float64Array, Math.fround);
    expect(viaRef).toEqual(want);
    expect(Array.from(await k.strided(x, dims, strides, offset))).toEqual(want);
  });
});

describe('wasm strided copy vs gpu.js strided kernels', () => {
  const gpu = new GpuBackend('cpu', false);
  const k = new WasmKernels({ threads: 2, parallelMinFlop: 0 });

  it('gives the bits of strided1/2/3Kernel for every case', async () => {
    for (const [label, len, dims, strides, offset] of STRIDED_CASES) {
      const x = arithInput(len, 3 * len);
      const theirs = Array.from(await gpu.download(gpu.strided(gpu.upload(x, [len], 'float32'), dims, strides, offset)));
      expect(Array.from(await k.strided(x, dims, strides, offset)), label).toEqual(theirs);
    }
  });

  it('copies only the span the strides reach, and names the shapes in errors', async () => {
    const one = new WasmKernels({ threads: 1 });
    const a = Float32Array.from([NaN, 1, 2, 3, 4, 5, 6, NaN]);
    expect(Array.from(await one.strided(a, [1, 2, 3], [0, 3, 1], 1))).toEqual([1, 2, 3, 4, 5, 6]);
    expect(Array.from(await one.strided(a, [1, 3, 2], [0, 1, 3], 1))).toEqual([1, 4, 2, 5, 3, 6]);
    expect(Array.from(await one.strided(a, [2, 0, 3], [0, 1, 3], 1))).toEqual([]);
    expect(() => one.strided(a, [1, 3, 3], [0, 3, 1], 1)).toThrow(/wasm strided: .*cells 1\.\.9 .*dims \[1,3,3\], strides \[0,3,1\], offset 1 \(8 floats\)/);
  });
});

describe('wasm strided copies (and sigmoid) behind the public ops', () => {
  /**
   * sigmoid of a [4, 6, 10, 12] tensor, permuted to NHWC, sliced along H (offset) and W (step 2), and
   * a [1, 6, 1, 12] tensor expanded to [4, 6, 10, 12], forward and backward (the backward of a
   * permute is a permute; of a slice, a pad; of an expand, a sum).
   */
  async function runViews(): Promise<Float32Array[]> {
    const r = rng(71);
    const x = tensor(Float32Array.from(randomArray(r, 2880), (v) => 12 * v), [4, 6, 10, 12], { requiresGrad: true });
    const c = tensor(randomArray(r, 72), [1, 6, 1, 12], { requiresGrad: true });
    const y = sigmoid(x);
    const p = permute(y, [0, 2, 3, 1]);
    const s = slice(slice(y, 2, 1, 9), 3, 0, 12, 2);
    const e = expand(c, [4, 6, 10, 12]);
    const t = add(add(sum(mul(p, tensor(randomArray(r, p.size), p.shape))), sum(mul(s, tensor(randomArray(r, s.size), s.shape)))),
      sum(mul(mul(e, y), tensor(randomArray(r, 2880), [4, 6, 10, 12]))));
    await t.backward();
    return Promise.all([y, p, s, e, x.grad as Tensor, c.grad as Tensor].map(async (v) => Float32Array.from(await v.data())));
  }

  it.each(HOST_KERNEL_MODES)('%s (async %s): sigmoid and the permute/slice/expand copies run on the host and match gpu.js and the reference', async (mode, isAsync) => {
    const used = new Set<string>();
    class Counting extends WasmKernels {
      override unary(...args: Parameters<WasmKernels['unary']>) {
        used.add(args[0]);
        return super.unary(...args);
      }
      override strided(...args: Parameters<WasmKernels['strided']>) {
        const [dims, s] = [args[1], args[2]];
        // an expand reads some axis longer than 1 with stride 0; the padded leading axes are 1s
        used.add(s.some((v, i) => v === 0 && dims[i] > 1) ? 'strided expand' : args[3] > 0 ? 'strided slice' : 'strided permute');
        return super.strided(...args);
      }
    }
    const { gpujs, ours, oracle } = await runThreeWays(mode, isAsync, runViews, () => new Counting({ async: isAsync, threads: 2, parallelMinFlop: 0 }));
    expect(used.has('sigmoid')).toBe(true);
    for (const what of ['strided expand', 'strided permute', 'strided slice']) expect(used.has(what), what).toBe(true);
    // the copies are exact: the views are the bits of the (host) sigmoid; the expand, gpu.js's
    expect(Array.from(ours[1])).toEqual(stridedLoop(ours[0], [4, 120, 6], [720, 1, 120], 0));
    expect(Array.from(ours[3])).toEqual(Array.from(gpujs[3]));
    // sigmoid within SIGMOID_ULP (~2.4e-7 relative per ulp); the gradients also sum over f32 products
    expectNearBoth(ours, oracle, gpujs, (ref) => 1e-5 * (1 + Math.abs(ref)));
  });

  it('int32 views are copied on the host too; views below 512 cells and sigmoid below 256 values stay on gpu.js', async () => {
    const be = useBackend('cpu') as GpuBackend;
    const saved = be.host;
    const used: string[] = [];
    class Counting extends WasmKernels {
      override unary(...args: Parameters<WasmKernels['unary']>) {
        used.push(`unary ${args[0]}`);
        return super.unary(...args);
      }
      override strided(...args: Parameters<WasmKernels['strided']>) {
        used.push(`strided ${args[1][0] * args[1][1] * args[1][2]}`);
        return super.strided(...args);
      }
    }
    try {
      be.setHostKernels(new Counting({ threads: 1 }));
      const ints = tensor(Int32Array.from({ length: 2048 }, (_, i) => i * 4099 - 5_000_000), [32, 64]);
      const tr = permute(ints, [1, 0]);
      expect(tr.dtype).toBe('int32');
      const v = Array.from(await tr.data());
      expect(v.slice(0, 3)).toEqual([-5_000_000, -5_000_000 + 64 * 4099, -5_000_000 + 128 * 4099]);
      expect(used).toEqual(['strided 2048']);
      await permute(tensor(randomArray(rng(1), 500), [5, 100]), [1, 0]).data();
      await sigmoid(tensor(randomArray(rng(2), 250), [250])).data();
      expect(used).toEqual(['strided 2048']);
      await permute(tensor(randomArray(rng(1), 512), [4, 128]), [1, 0]).data();
      await sigmoid(tensor(randomArray(rng(2), 256), [256])).data();
      expect(used).toEqual(['strided 2048', 'strided 512', 'unary sigmoid']);
    } finally {
      be.setHostKernels(saved);
      useBackend('reference');
    }
  });
});

describe('wasm kernels: random shapes', () => {
  it('matmul and the three conv ops agree with the reference on 40 random problems', async () => {
    const r = rng(2024);
    const int = (lo: number, hi: number) => lo + Math.floor(r() * (hi - lo + 1));
    const k = new WasmKernels({ threads: 2, parallelMinFlop: 0 });
    for (let i = 0; i < 20; i++) {
      const s = mmSpec(int(1, 3), int(1, 40), int(1, 70), int(1, 40), { transA: r() < 0.5, transB: r() < 0.5, broadcastA: r() < 0.2, broadcastB: r() < 0.2 });
      const a = randomArray(r, mmLen(s, 'a'));
      const b = randomArray(r, mmLen(s, 'b'));
      expectContraction(`random matmul ${JSON.stringify(s)}`, await k.matmul(a, b, s), await refMatmul(a, b, s), await refMatmul(absArray(a), absArray(b), s));
    }
    for (let i = 0; i < 20; i++) {
      const groups = [1, 1, 2, 3][int(0, 3)];
      const depthwise = r() < 0.3;
      const cinG = depthwise ? 1 : int(1, 4);
      const coutG = depthwise ? 1 : int(1, 4);
      const G = depthwise ? int(1, 6) : groups;
      const kh = int(1, 5);
      const kw = int(1, 5);
      const d: [number, number] = [int(1, 2), int(1, 2)];
      const st: [number, number] = [int(1, 2), int(1, 2)];
      const pad: [number, number] = [int(0, kh), int(0, kw)];
      const H = int(Math.max(1, d[0] * (kh - 1) + 1 - 2 * pad[0]), 14);
      const W = int(Math.max(1, d[1] * (kw - 1) + 1 - 2 * pad[1]), 14);
      const s = convSpec(int(1, 3), cinG * G, H, W, coutG * G, [kh, kw], { stride: st, pad, dil: d, groups: G });
      for (const op of CONV_OPS) {
        const [p, q] = convOperands(r, op, s);
        expectContraction(`random ${op} ${JSON.stringify(s)}`, await k[op](p, q, s), await refConv(op, p, q, s), await refConv(op, absArray(p), absArray(q), s));
      }
    }
  });
});

describe('wasm kernels: threads', () => {
  it('give bit-identical results on 1 and 2 threads, except dW (2 threads sum per-chunk copies)', async () => {
    const one = new WasmKernels({ threads: 1 });
    const two = new WasmKernels({ threads: 2, parallelMinFlop: 0 });
    const twoAsync = new WasmKernels({ threads: 2, parallelMinFlop: 0, async: true });
    const r = rng(7);
    const s = mmSpec(1, 200, 150, 260);
    const a = randomArray(r, mmLen(s, 'a'));
    const b = randomArray(r, mmLen(s, 'b'));
    const base = await one.matmul(a, b, s);
    expect(Array.from(await two.matmul(a, b, s))).toEqual(Array.from(base));
    expect(Array.from(await twoAsync.matmul(a, b, s))).toEqual(Array.from(base));
    const convs = [
      convSpec(4, 16, 20, 22, 24, [3, 3], { pad: [1, 1] }),
      // strided: the model's 12→24 (phases in kind 3, vector runs in kinds 2 and 4), odd sizes
      convSpec(4, 12, 32, 42, 24, [3, 3], { stride: [2, 2], pad: [1, 1] }),
      convSpec(3, 6, 17, 23, 8, [3, 3], { stride: [2, 2], pad: [1, 1], groups: 2 }),
    ];
    for (const c of convs) {
      for (const op of CONV_OPS) {
        const [p, q] = convOperands(r, op, c);
        const want = await one[op](p, q, c);
        const got = await two[op](p, q, c);
        // the same thread count splits the same way: synchronous and asynchronous runs agree exactly
        expect(Array.from(await twoAsync[op](p, q, c)), `${op} async`).toEqual(Array.from(got));
        if (op !== 'conv2dBackwardWeight') {
          expect(Array.from(got), op).toEqual(Array.from(want));
        } else {
          expectContraction(op, got, want, await refConv(op, absArray(p), absArray(q), c), 1e-5);
        }
      }
    }
  });

  it('threaded jobs return Promises on asynchronous instances and arrays on synchronous ones', async () => {
    const s = mmSpec(1, 256, 256, 256);
    const a = new Float32Array(256 * 256).fill(1);
    const sync = new WasmKernels({ threads: 2 }).matmul(a, a, s);
    expect(sync).toBeInstanceOf(Float32Array);
    const asyncResult = new WasmKernels({ threads: 2, async: true }).matmul(a, a, s);
    expect(asyncResult instanceof Promise).toBe(threadsSupported());
    expect((await asyncResult)[0]).toBe(256);
    // small jobs stay on the calling thread even when asynchronous
    expect(new WasmKernels({ threads: 2, async: true }).matmul(a.subarray(0, 16), a.subarray(0, 16), mmSpec(1, 4, 4, 4))).toBeInstanceOf(Float32Array);
  });

  /** Runs fn and records, for each job, whether its runtime had shared memory and ran threaded. */
  function jobsOf(fn: () => unknown): { shared: boolean; parallel: boolean }[] {
    const seen: { shared: boolean; parallel: boolean }[] = [];
    const orig = WasmRuntime.prototype.runSync;
    WasmRuntime.prototype.runSync = function (this: WasmRuntime, job: number, parallel: boolean) {
      seen.push({ shared: this.shared, parallel });
      return orig.call(this, job, parallel);
    };
    try {
      fn();
    } finally {
      WasmRuntime.prototype.runSync = orig;
    }
    return seen;
  }

  it('jobs below the threads threshold run on the plain-memory runtime, larger ones on the shared one', () => {
    const k = new WasmKernels({ threads: 2, parallelMinFlop: 1 << 21 });
    const r = rng(21);
    const small = mmSpec(1, 8, 8, 8);
    const a = randomArray(r, 64);
    const big = mmSpec(1, 160, 160, 160);
    const A = randomArray(r, 160 * 160);
    let got: Float32Array | null = null;
    expect(jobsOf(() => (got = k.matmul(a, a, small) as Float32Array))).toEqual([{ shared: false, parallel: false }]);
    expect(Array.from(got!)).toEqual(Array.from(new WasmKernels({ threads: 1 }).matmul(a, a, small) as Float32Array));
    expect(jobsOf(() => k.matmul(A, A, big))).toEqual([{ shared: threadsSupported(), parallel: threadsSupported() }]);
  });

  it('a stride-1 depthwise forward and input gradient count a quarter of their flops for threads; the weight gradient in full', () => {
    // 48 channels 3×3 at 16×21, batch 8: 2.3 MFLOP, above a 2 MFLOP threshold
    const s: Conv2dSpec = { N: 8, Cin: 48, H: 16, W: 21, Cout: 48, kh: 3, kw: 3, OH: 16, OW: 21, strideH: 1, strideW: 1, padH: 1, padW: 1, dilationH: 1, dilationW: 1, groups: 48 };
    const r = rng(22);
    const x = randomArray(r, 8 * 48 * 336);
    const w = randomArray(r, 48 * 9);
    const k = new WasmKernels({ threads: 2, parallelMinFlop: 1 << 21 });
    expect(jobsOf(() => k.conv2d(x, w, s))).toEqual([{ shared: false, parallel: false }]);
    expect(jobsOf(() => k.conv2dBackwardInput(x, w, s))).toEqual([{ shared: false, parallel: false }]);
    expect(jobsOf(() => k.conv2dBackwardWeight(x, x, s))).toEqual([{ shared: threadsSupported(), parallel: threadsSupported() }]);
    // 4× the images: 9.3 MFLOP, threaded again
    const s4 = { ...s, N: 32 };
    const x4 = randomArray(r, 32 * 48 * 336);
    expect(jobsOf(() => k.conv2d(x4, w, s4))).toEqual([{ shared: threadsSupported(), parallel: threadsSupported() }]);
  });

  it('the default threshold is PARALLEL_MIN_FLOP, SSA_SEG_WASM_PARALLEL_MIN_FLOP overrides it, and a bad value is named', () => {
    const r = rng(23);
    // 2·160³ = 8.2 MFLOP: under the default 2²⁴, over an override of 2²¹
    const big = mmSpec(1, 160, 160, 160);
    const A = randomArray(r, 160 * 160);
    const saved = process.env.SSA_SEG_WASM_PARALLEL_MIN_FLOP;
    try {
      delete process.env.SSA_SEG_WASM_PARALLEL_MIN_FLOP;
      expect(PARALLEL_MIN_FLOP).toBe(1 << 24);
      expect(defaultParallelMinFlop()).toBe(PARALLEL_MIN_FLOP);
      expect(jobsOf(() => new WasmKernels({ threads: 2 }).matmul(A, A, big))).toEqual([{ shared: false, parallel: false }]);
      process.env.SSA_SEG_WASM_PARALLEL_MIN_FLOP = String(1 << 21);
      expect(jobsOf(() => new WasmKernels({ threads: 2 }).matmul(A, A, big))).toEqual([{ shared: threadsSupported(), parallel: threadsSupported() }]);
      process.env.SSA_SEG_WASM_PARALLEL_MIN_FLOP = 'lots';
      expect(() => new WasmKernels({ threads: 2 })).toThrow(/SSA_SEG_WASM_PARALLEL_MIN_FLOP must be a number of flops >= 0, got 'lots'/);
    } finally {
      if (saved === undefined) delete process.env.SSA_SEG_WASM_PARALLEL_MIN_FLOP;
      else process.env.SSA_SEG_WASM_PARALLEL_MIN_FLOP = saved;
    }
  });

  it('a synchronous call during an asynchronous job uses the single-threaded runtime and both are right', async () => {
    const s = mmSpec(1, 384, 384, 384);
    const r = rng(11);
    const a = randomArray(r, 384 * 384);
    const b = randomArray(r, 384 * 384);
    const want = await new WasmKernels({ threads: 1 }).matmul(a, b, s);
    const asyncK = new WasmKernels({ threads: 2, parallelMinFlop: 0, async: true });
    const pending = asyncK.matmul(a, b, s);
    // let the queued job start: it holds the shared arena until its workers finish
    for (let i = 0; i < 3 && !asyncK.runtime.busy; i++) await Promise.resolve();
    expect(asyncK.runtime.busy || !threadsSupported()).toBe(true);
    const now = new WasmKernels({ threads: 2, parallelMinFlop: 0 }).matmul(a, b, s);
    expect(Array.from(now as Float32Array)).toEqual(Array.from(want));
    expect(Array.from(await pending)).toEqual(Array.from(want));
  });
});

describe('wasm kernels vs gpu.js kernels', () => {
  // gpu.js cpu mode runs the same kernel sources as webasm, in plain JavaScript (fast to compile).
  const gpu = new GpuBackend('cpu', false);
  const k = new WasmKernels({ threads: 2, parallelMinFlop: 0 });
  const rel = (a: ArrayLike<number>, b: ArrayLike<number>) => {
    let num = 0;
    let den = 0;
    for (let i = 0; i < a.length; i++) {
      num = Math.max(num, Math.abs(a[i] - b[i]));
      den = Math.max(den, Math.abs(b[i]));
    }
    return den === 0 ? num : num / den;
  };

  it.each(MATMULS.slice(1, 6))('matmul %s', async (_label, s) => {
    const r = rng(99);
    const a = randomArray(r, mmLen(s, 'a'));
    const b = randomArray(r, mmLen(s, 'b'));
    const theirs = await gpu.download(gpu.matmul(gpu.upload(a, [a.length], 'float32'), gpu.upload(b, [b.length], 'float32'), s, [s.batch, s.M, s.N]));
    expect(rel(await k.matmul(a, b, s), theirs)).toBeLessThan(1e-5);
  });

  it.each(CONVS.filter((_, i) => i % 3 === 0))('conv ops %s', async (_label, s) => {
    const r = rng(5);
    const x = randomArray(r, s.N * s.Cin * s.H * s.W);
    const w = randomArray(r, s.Cout * (s.Cin / s.groups) * s.kh * s.kw);
    const dy = randomArray(r, s.N * s.Cout * s.OH * s.OW);
    const X = gpu.upload(x, [s.N, s.Cin, s.H, s.W], 'float32');
    const Wt = gpu.upload(w, [s.Cout, s.Cin / s.groups, s.kh, s.kw], 'float32');
    const DY = gpu.upload(dy, [s.N, s.Cout, s.OH, s.OW], 'float32');
    expect(rel(await k.conv2d(x, w, s), await gpu.download(gpu.conv2d(X, Wt, s)))).toBeLessThan(1e-5);
    expect(rel(await k.conv2dBackwardInput(dy, w, s), await gpu.download(gpu.conv2dBackwardInput(DY, Wt, s)))).toBeLessThan(1e-5);
    expect(rel(await k.conv2dBackwardWeight(x, dy, s), await gpu.download(gpu.conv2dBackwardWeight(X, DY, s)))).toBeLessThan(1e-5);
  });
});

describe('wasm kernels behind the public ops', () => {
  /** conv2d + matmul forward and backward through the Tensor API; returns every value and gradient. */
  async function run(): Promise<Float32Array[]> {
    const r = rng(3);
    const x = tensor(randomArray(r, 2 * 6 * 10 * 12), [2, 6, 10, 12], { requiresGrad: true });
    const w = tensor(randomArray(r, 6 * 3 * 3 * 3), [6, 3, 3, 3], { requiresGrad: true });
    const m = tensor(randomArray(r, 12 * 5), [12, 5], { requiresGrad: true });
    const y = conv2d(x, w, null, { padding: 1, groups: 2 });
    const z = matmul(y, m);
    const u = tensor(randomArray(r, 2 * 6 * 10 * 5), [2, 6, 10, 5]);
    await sum(mul(z, u)).backward();
    const grads = [x.grad, w.grad, m.grad] as Tensor[];
    return Promise.all([z, ...grads].map(async (t) => Float32Array.from(await t.data())));
  }

  it.each(HOST_KERNEL_MODES)('%s (async %s) with the kernels installed matches gpu.js kernels and the reference', async (mode, isAsync) => {
    const { gpujs, ours, oracle } = await runThreeWays(mode, isAsync, run, (be) => {
      expect(installWasmKernels(be)).toBe(true);
      expect(be.host?.name).toBe('wasm');
      expect((be.host as WasmKernels).async).toBe(isAsync);
      // every job threaded, so the asynchronous backend's queue awaits the kernels' Promises
      return new WasmKernels({ async: isAsync, threads: 2, parallelMinFlop: 0 });
    });
    expectNearBoth(ours, oracle, gpujs, (ref) => 1e-4 * (1 + Math.abs(ref)));
  });

  /** conv2d with bias, batch norm (training) and gelu forward and backward: channelAffine and gelu on the host. */
  async function runNorm(): Promise<Float32Array[]> {
    const r = rng(13);
    const x = tensor(randomArray(r, 3 * 4 * 7 * 9), [3, 4, 7, 9], { requiresGrad: true });
    const w = tensor(randomArray(r, 6 * 4 * 3 * 3), [6, 4, 3, 3], { requiresGrad: true });
    const bias = tensor(randomArray(r, 6), [6], { requiresGrad: true });
    const gamma = tensor(randomArray(r, 6), [6], { requiresGrad: true });
    const beta = tensor(randomArray(r, 6), [6], { requiresGrad: true });
    const y = gelu(batchNorm(conv2d(x, w, bias, { padding: 1 }), null, null, gamma, beta));
    const u = tensor(randomArray(r, 3 * 6 * 7 * 9), [3, 6, 7, 9]);
    await sum(mul(y, u)).backward();
    const grads = [x.grad, w.grad, bias.grad, gamma.grad, beta.grad] as Tensor[];
    return Promise.all([y, ...grads].map(async (t) => Float32Array.from(await t.data())));
  }

  it.each(HOST_KERNEL_MODES)('%s (async %s): batch norm, conv bias and gelu with the element-wise kernels and row sums match gpu.js and the reference', async (mode, isAsync) => {
    const used = new Set<string>();
    class Counting extends WasmKernels {
      override channelAffine(...args: Parameters<WasmKernels['channelAffine']>) {
        used.add('channelAffine');
        return super.channelAffine(...args);
      }
      override gelu(x: Float32Array, n: number, grad: boolean) {
        used.add(grad ? 'geluGrad' : 'gelu');
        return super.gelu(x, n, grad);
      }
      override sumRows(x: Float32Array, rows: number, R: number) {
        used.add('sumRows');
        return super.sumRows(x, rows, R);
      }
    }
    const { gpujs, ours, oracle } = await runThreeWays(mode, isAsync, runNorm, () => new Counting({ async: isAsync, threads: 2, parallelMinFlop: 0 }));
    expect([...used].sort()).toEqual(['channelAffine', 'gelu', 'geluGrad', 'sumRows']);
    expectNearBoth(ours, oracle, gpujs, (ref) => 1e-4 * (1 + Math.abs(ref)));
  });

  /** softmax and logSoftmax along every axis of a [2, 5, 3, 6] tensor, forward and backward. */
  async function runSoftmax(): Promise<Float32Array[]> {
    const r = rng(29);
    const x = tensor(softmaxInput(2, 5, 18, 11), [2, 5, 3, 6], { requiresGrad: true });
    const outs: Tensor[] = [];
    let total: Tensor | null = null;
    for (let axis = 0; axis < 4; axis++) {
      for (const f of [softmax, logSoftmax]) {
        const y = f(x, axis);
        outs.push(y);
        const t = sum(mul(y, tensor(randomArray(r, 180), [2, 5, 3, 6])));
        total = total ? add(total, t) : t;
      }
    }
    await total!.backward();
    return Promise.all([...outs, x.grad as Tensor].map(async (t) => Float32Array.from(await t.data())));
  }

  it.each(HOST_KERNEL_MODES)('%s (async %s): softmax and logSoftmax along every axis run on the host and match gpu.js and the reference', async (mode, isAsync) => {
    const used = new Set<string>();
    class Counting extends WasmKernels {
      override softmax(...args: Parameters<WasmKernels['softmax']>) {
        used.add(args[4] ? 'logSoftmax' : 'softmax');
        return super.softmax(...args);
      }
      override softmaxBackward(...args: Parameters<WasmKernels['softmaxBackward']>) {
        used.add(args[5] ? 'logSoftmaxBackward' : 'softmaxBackward');
        return super.softmaxBackward(...args);
      }
    }
    const { gpujs, ours, oracle } = await runThreeWays(mode, isAsync, runSoftmax, () => new Counting({ async: isAsync, threads: 2, parallelMinFlop: 0 }));
    expect([...used].sort()).toEqual(['logSoftmax', 'logSoftmaxBackward', 'softmax', 'softmaxBackward']);
    // the inputs reach 1e4: lse's f32 rounding is ~1e-3 there; values equal to the reference's (±Inf, NaN) pass
    expectNearBoth(ours, oracle, gpujs, (ref) => 1e-4 * (1 + Math.abs(ref)) + 2e-3, { skipWhereExact: true });
  });

  /**
   * add/sub/mul/div (same shapes, a per-channel [1, 8, 1] operand, a scalar-like [1]) and relu/square/neg
   * forward and backward (relu's backward is step): every output large enough for the host kernels.
   */
  async function runArith(): Promise<Float32Array[]> {
    const r = rng(41);
    const x = tensor(randomArray(r, 4 * 8 * 40), [4, 8, 40], { requiresGrad: true });
    const y = tensor(randomArray(r, 4 * 8 * 40), [4, 8, 40], { requiresGrad: true });
    const c = tensor(randomArray(r, 8), [1, 8, 1], { requiresGrad: true });
    const s = tensor([0.5], [1], { requiresGrad: true });
    const z = neg(div(relu(sub(mul(x, c), y)), add(square(y), s)));
    await sum(mul(z, tensor(randomArray(r, 4 * 8 * 40), [4, 8, 40]))).backward();
    const grads = [x.grad, y.grad, c.grad, s.grad] as Tensor[];
    return Promise.all([z, ...grads].map(async (t) => Float32Array.from(await t.data())));
  }

  it.each(HOST_KERNEL_MODES)('%s (async %s): add/sub/mul/div with broadcasting and relu/step/square/neg run on the host with the bits of gpu.js', async (mode, isAsync) => {
    const used = new Set<string>();
    class Counting extends WasmKernels {
      override binary(...args: Parameters<WasmKernels['binary']>) {
        used.add(args[0]);
        return super.binary(...args);
      }
      override unary(...args: Parameters<WasmKernels['unary']>) {
        used.add(args[0]);
        return super.unary(...args);
      }
    }
    const { gpujs, ours, oracle } = await runThreeWays(mode, isAsync, runArith, () => new Counting({ async: isAsync, threads: 2, parallelMinFlop: 0 }));
    expect([...used].sort()).toEqual(['add', 'div', 'mul', 'neg', 'relu', 'square', 'step', 'sub']);
    // the forward pass is element-wise ops only: the same bits as gpu.js's kernels
    expect(Array.from(ours[0])).toEqual(Array.from(gpujs[0]));
    // the gradients also sum over broadcast axes (host row sums vs gpu.js's sum: f32 rounding apart)
    expectNearBoth(ours, oracle, gpujs, (ref) => 1e-5 * (1 + Math.abs(ref)));
  });

  it('int32 operands and outputs below the size thresholds stay on gpu.js', async () => {
    const be = useBackend('cpu') as GpuBackend;
    const saved = be.host;
    const used: string[] = [];
    class Counting extends WasmKernels {
      override binary(...args: Parameters<WasmKernels['binary']>) {
        used.push(`binary ${args[0]}`);
        return super.binary(...args);
      }
      override unary(...args: Parameters<WasmKernels['unary']>) {
        used.push(`unary ${args[0]}`);
        return super.unary(...args);
      }
    }
    try {
      be.setHostKernels(new Counting({ threads: 1 }));
      const n = 2048;
      const ints = tensor(Int32Array.from({ length: n }, (_, i) => i - 1000), [n]);
      expect(ints.dtype).toBe('int32');
      const sumInts = add(ints, ints);
      expect(sumInts.dtype).toBe('int32');
      expect(Array.from(await sumInts.data()).slice(0, 3)).toEqual([-2000, -1998, -1996]);
      await mul(ints, tensor(Int32Array.from([3]), [1])).data();
      await neg(ints).data();
      expect(used).toEqual([]);
      // float32: 1000 same-shape cells and 200 broadcast cells stay on gpu.js, 1024 and 256 do not
      const f = (m: number, shape: number[]) => tensor(randomArray(rng(m), m), shape);
      await add(f(1000, [1000]), f(1000, [1000])).data();
      await mul(f(200, [25, 8]), f(8, [1, 8])).data();
      await relu(f(1000, [1000])).data();
      expect(used).toEqual([]);
      await add(f(1024, [1024]), f(1024, [1024])).data();
      await mul(f(256, [32, 8]), f(8, [1, 8])).data();
      await relu(f(1024, [1024])).data();
      expect(used).toEqual(['binary add', 'binary mul', 'unary relu']);
    } finally {
      be.setHostKernels(saved);
      useBackend('reference');
    }
  });

  it('installWasmKernels leaves GPU modes alone and honours SSA_SEG_WASM_KERNELS=0', () => {
    const calls: unknown[] = [];
    const target = (name: string) => ({ name, isAsync: false, setHostKernels: (h: unknown) => calls.push(h) });
    expect(installWasmKernels(target('webgpu'))).toBe(false);
    expect(installWasmKernels(target('headlessgl'))).toBe(false);
    const prev = process.env.SSA_SEG_WASM_KERNELS;
    process.env.SSA_SEG_WASM_KERNELS = '0';
    try {
      expect(installWasmKernels(target('cpu'))).toBe(false);
    } finally {
      if (prev === undefined) delete process.env.SSA_SEG_WASM_KERNELS;
      else process.env.SSA_SEG_WASM_KERNELS = prev;
    }
    expect(calls).toEqual([]);
    expect(installWasmKernels(target('cpu'))).toBe(true);
    expect(calls.length).toBe(1);
  });
});
