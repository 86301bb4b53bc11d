/**
 * Hand-written WebAssembly SIMD kernels for the hot contractions (matmul, conv2d and its two
 * backward passes), the hot element-wise ops (channelAffine, gelu and its gradient, row sums,
 * add/sub/mul/div with broadcasting, relu/step/square/neg/sigmoid), strided copies (permute,
 * expand and slice views), softmax /
 * log-softmax along an axis (forward and backward), dot products and normalisation along an axis
 * (norm, normalize), gather / scatterAdd along an axis, the SSA-Seg head's whole inference
 * pass in one job (ssaLogits), the AdamW update (its three outputs in one job), interpolate's
 * separable resampling (resample2d), softmax cross-entropy with int targets and batch normalisation
 * in training (forward and backward, one job each), installed as
 * the gpu.js backend's `HostKernels` on the CPU modes (webasm, cpu).
 * Same contract as the gpu.js kernels they replace: flat row-major Float32Array in and out.
 *
 * Threads: jobs large enough (PARALLEL_MIN_FLOP) run on worker threads over one shared
 * WebAssembly.Memory. On a synchronous backend the calling thread works too and then sleeps in
 * Atomics.wait for the last tasks; on an asynchronous backend the workers do all the work and the
 * kernel returns a Promise. Without SharedArrayBuffer (or with one thread) everything runs on the
 * calling thread.
 *
 * Environment: SSA_SEG_WASM_KERNELS=0 leaves the gpu.js kernels in place; SSA_SEG_WASM_THREADS=n sets
 * the thread count (default: hardware threads, at most 8); SSA_SEG_WASM_PARALLEL_MIN_FLOP=f the work
 * from which a job uses them (default PARALLEL_MIN_FLOP, 2²⁴). In a browser, await prepareWasmKernels()
 * before first use (main threads may not compile synchronously).
 */
import { type AdamWStep, type Conv2dSpec, type MatmulSpec, type ResampleAxis, type SsaLogitsSpec, resampleAxis } from '../../backend.js';
import type { HostBinaryOp, HostKernels, HostUnaryOp } from '../gpu/gpu-backend.js';
import {
  type AdamwOutputs,
  type BatchNormOutputs,
  type Built,
  type ChannelAffineArgs,
  type CrossEntropyOutputs,
  adamwFlop,
  alongFlop,
  batchNormFlop,
  buildAdamw,
  buildBatchNormBackward,
  buildBatchNormForward,
  buildBinary,
  buildChannelAffine,
  buildConv2d,
  buildConv2dBackwardInput,
  buildConv2dBackwardWeight,
  buildFork,
  buildDotAlong,
  buildGather,
  buildGelu,
  buildMatmul,
  buildNormalizeAlong,
  buildResample2d,
  buildScatterAdd,
  buildSoftmax,
  buildSoftmaxBackward,
  buildSoftmaxCrossEntropy,
  buildSoftmaxCrossEntropyBackward,
  buildSsaLogits,
  buildStrided,
  buildSumRows,
  buildUnary,
  channelAffineFlop,
  conv2dFlop,
  crossEntropyFlop,
  elementwiseFlop,
  isDepthwise,
  geluFlop,
  indexFlop,
  matmulFlop,
  resampleFlop,
  softmaxFlop,
  ssaLogitsFlop,
} from './jobs.js';
import { WasmRuntime, hardwareThreads, threadsSupported, wasmSimdSupported } from './runtime.js';

export { WasmRuntime, threadsSupported, wasmSimdSupported } from './runtime.js';

/**
 * Below this many flops a job runs on the calling thread alone. Waking a sleeping worker costs
 * 50-100 µs or more on these virtual machines (an idle vCPU is descheduled by the host), and the
 * calling thread's plain memory takes copies ~2.3× faster than the shared one, so in the training
 * step every job under ~10 MFLOP ran faster on one thread: moving the threshold from 2²¹ to 2²⁴
 * made the bench's step 13 % faster (docs/performance.md, "Session 14: fewer, larger parallel jobs").
 * SSA_SEG_WASM_PARALLEL_MIN_FLOP overrides it (a machine whose cores wake fast may want less).
 */
export const PARALLEL_MIN_FLOP = 1 << 24;

const MAX_DEFAULT_THREADS = 8;

function env(name: string): string | undefined {
  const p = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process;
  const v = p?.env?.[name];
  return v === undefined || v.trim() === '' ? undefined : v.trim();
}

/** Thread count: SSA_SEG_WASM_THREADS, else the hardware threads (at most 8). */
export function defaultThreads(): number {
  const v = env('SSA_SEG_WASM_THREADS');
  if (v !== undefined) {
    const n = Number(v);
    if (!Number.isInteger(n) || n < 1) throw new Error(`SSA_SEG_WASM_THREADS must be a positive integer, got '${v}'`);
    return n;
  }
  return Math.min(MAX_DEFAULT_THREADS, hardwareThreads());
}

/** Flops from which a job uses threads: SSA_SEG_WASM_PARALLEL_MIN_FLOP, else PARALLEL_MIN_FLOP. */
export function defaultParallelMinFlop(): number {
  const v = env('SSA_SEG_WASM_PARALLEL_MIN_FLOP');
  if (v === undefined) return PARALLEL_MIN_FLOP;
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0) throw new Error(`SSA_SEG_WASM_PARALLEL_MIN_FLOP must be a number of flops >= 0, got '${v}'`);
  return n;
}

/** Whether the backend's kernels keep outputs resident: yes, unless SSA_SEG_WASM_RESIDENT=0. */
export function residentDefault(): boolean {
  const v = env('SSA_SEG_WASM_RESIDENT');
  if (v === undefined || v === '1' || v === 'true' || v === 'on') return true;
  if (v === '0' || v === 'false' || v === 'off') return false;
  throw new Error(`SSA_SEG_WASM_RESIDENT must be 0 or 1, got '${v}'`);
}

/** Whether a convolution's two gradients run as one job: yes, unless SSA_SEG_WASM_CONV_FORK=0. */
export function convForkDefault(): boolean {
  const v = env('SSA_SEG_WASM_CONV_FORK');
  if (v === undefined || v === '1' || v === 'true' || v === 'on') return true;
  if (v === '0' || v === 'false' || v === 'off') return false;
  throw new Error(`SSA_SEG_WASM_CONV_FORK must be 0 or 1, got '${v}'`);
}

/** Whether the kernels should be installed: not when SSA_SEG_WASM_KERNELS=0, nor without SIMD. */
export function wasmKernelsEnabled(): boolean {
  const v = env('SSA_SEG_WASM_KERNELS');
  if (v === '0' || v === 'false' || v === 'off') return false;
  return wasmSimdSupported();
}

// One runtime per thread count, shared by every WasmKernels. The single-threaded one (plain memory)
// also takes every job that runs on the calling thread alone, and a synchronous call that arrives
// while an asynchronous job holds the threaded runtime's arena (see WasmKernels.exec).
const runtimes = new Map<number, WasmRuntime>();
let plainFailed = false;

function runtimeFor(threads: number): WasmRuntime {
  let rt = runtimes.get(threads);
  if (!rt) {
    rt = new WasmRuntime({ shared: threads > 1 && threadsSupported(), threads });
    runtimes.set(threads, rt);
  }
  return rt;
}

/**
 * Compiles and instantiates the kernels asynchronously. Optional in Node and in workers; on a
 * browser's main thread, which refuses synchronous compilation of modules over 4 KB, call it (and
 * await it) before the backend is first used, or installWasmKernels declines to install.
 */
export async function prepareWasmKernels(threads = defaultThreads()): Promise<void> {
  for (const n of new Set([threads, 1])) {
    if (!runtimes.has(n)) runtimes.set(n, await WasmRuntime.create({ shared: n > 1 && threadsSupported(), threads: n }));
  }
}

/**
 * The single-threaded runtime (plain memory), or null where it cannot be created synchronously (a
 * browser's main thread before prepareWasmKernels()).
 */
function plainRuntime(): WasmRuntime | null {
  if (runtimes.has(1)) return runtimes.get(1)!;
  if (plainFailed) return null;
  try {
    return runtimeFor(1);
  } catch {
    plainFailed = true;
    return null;
  }
}

export interface WasmKernelOptions {
  /** Return Promises for threaded jobs (the backend's queue awaits them). Default false. */
  async?: boolean;
  /** Compute threads (default `defaultThreads()`); 1 runs everything on the calling thread. */
  threads?: number;
  /** Flops from which a job is split over threads (default: defaultParallelMinFlop()). */
  parallelMinFlop?: number;
  /**
   * Hand out outputs as views of the shared WebAssembly memory ("resident" blocks, resident.ts),
   * which later jobs read in place with no copy. The caller must then give every output back with
   * release() once nothing reads it (the backend does, when a tensor's storage is released); a view
   * that is merely dropped is freed only after the garbage collector finds it. Default false: each
   * output is a copy in an ordinary array. installWasmKernels turns it on unless
   * SSA_SEG_WASM_RESIDENT=0. Without shared memory (one thread, no SharedArrayBuffer) outputs are
   * always copies.
   */
  resident?: boolean;
  /**
   * Whether to offer conv2dBackward, a convolution's input and weight gradients as one job (kind 24)
   * whose tasks the threads share: each alone is often under the threads threshold, the two
   * together not. Default: SSA_SEG_WASM_CONV_FORK, else true.
   */
  convFork?: boolean;
}

/**
 * The flops a forward or input-gradient conv counts as when deciding whether to use threads. A
 * stride-1 depthwise plane is one short task, and a two-thread job costs about as much more as a
 * 2-3 MFLOP one takes (48 channels 3×3 at 16×21, batch 8: 108 µs on one thread, 126-160 on two),
 * so those count a quarter: threads from ~8 MFLOP. Their weight gradient gains from threads sooner
 * and counts in full (docs/performance.md, "Depthwise convolutions on thin rows").
 */
function threadFlop(spec: Conv2dSpec): number {
  return isDepthwise(spec) ? conv2dFlop(spec) / 4 : conv2dFlop(spec);
}

/** The host kernels: every method copies its operands into WebAssembly memory, runs one job, copies out. */
export class WasmKernels implements HostKernels {
  readonly name = 'wasm';
  readonly async: boolean;
  readonly threads: number;
  private readonly parallelMinFlop: number;
  readonly resident: boolean;
  /** Both gradients of a convolution in one job (see WasmKernelOptions.convFork); absent when off. */
  readonly conv2dBackward?: (x: Float32Array, dy: Float32Array, w: Float32Array, spec: Conv2dSpec) => [Float32Array, Float32Array] | Promise<[Float32Array, Float32Array]>;

  constructor(opts: WasmKernelOptions = {}) {
    this.async = opts.async ?? false;
    this.threads = Math.max(1, Math.floor(opts.threads ?? defaultThreads()));
    this.parallelMinFlop = opts.parallelMinFlop ?? defaultParallelMinFlop();
    this.resident = opts.resident ?? false;
    if (opts.convFork ?? convForkDefault()) this.conv2dBackward = (x, dy, w, spec) => this.conv2dBackwardBoth(x, dy, w, spec);
  }

  /**
   * Frees the resident block under `a` when it is an output view one of the runtimes handed out
   * (resident.ts); false for any other array (the caller pools or drops it).
   */
  release(a: Float32Array): boolean {
    if (typeof SharedArrayBuffer === 'undefined' || !(a.buffer instanceof SharedArrayBuffer)) return false;
    for (const rt of runtimes.values()) if (rt.release(a)) return true;
    return false;
  }

  /** The runtime this instance uses (for diagnostics and warm-up). */
  get runtime(): WasmRuntime {
    return runtimeFor(this.threads);
  }

  matmul(a: Float32Array, b: Float32Array, spec: MatmulSpec): Float32Array | Promise<Float32Array> {
    if (spec.K === 0) return new Float32Array(spec.batch * spec.M * spec.N);
    return this.exec(matmulFlop(spec), (rt, t) => buildMatmul(rt, a, b, spec, t));
  }

  conv2d(x: Float32Array, w: Float32Array, spec: Conv2dSpec): Float32Array | Promise<Float32Array> {
    if (spec.Cin === 0) return new Float32Array(spec.N * spec.Cout * spec.OH * spec.OW);
    return this.exec(threadFlop(spec), (rt, t) => buildConv2d(rt, x, w, spec, t));
  }

  conv2dBackwardInput(dy: Float32Array, w: Float32Array, spec: Conv2dSpec): Float32Array | Promise<Float32Array> {
    if (spec.Cout === 0 || spec.OH * spec.OW === 0) return new Float32Array(spec.N * spec.Cin * spec.H * spec.W);
    return this.exec(threadFlop(spec), (rt, t) => buildConv2dBackwardInput(rt, dy, w, spec, t));
  }

  conv2dBackwardWeight(x: Float32Array, dy: Float32Array, spec: Conv2dSpec): Float32Array | Promise<Float32Array> {
    if (spec.N === 0 || spec.OH * spec.OW === 0) return new Float32Array(spec.Cout * (spec.Cin / spec.groups) * spec.kh * spec.kw);
    return this.exec(conv2dFlop(spec), (rt, t) => buildConv2dBackwardWeight(rt, x, dy, spec, t));
  }

  /**
   * [dx, dw], the same bits as conv2dBackwardInput and conv2dBackwardWeight when both run on the same
   * threads: the two jobs are laid out, then run as one (kind 24), so the threads threshold applies
   * to their sum.
   */
  private conv2dBackwardBoth(x: Float32Array, dy: Float32Array, w: Float32Array, spec: Conv2dSpec): [Float32Array, Float32Array] | Promise<[Float32Array, Float32Array]> {
    if (spec.N * spec.Cin * spec.Cout * spec.H * spec.W * spec.OH * spec.OW === 0) {
      const dx = this.conv2dBackwardInput(dy, w, spec);
      const dw = this.conv2dBackwardWeight(x, dy, spec);
      return dx instanceof Promise || dw instanceof Promise ? Promise.all([dx, dw]) : [dx, dw];
    }
    return this.exec(threadFlop(spec) + conv2dFlop(spec), (rt, t) =>
      buildFork(rt, buildConv2dBackwardInput(rt, dy, w, spec, t), buildConv2dBackwardWeight(rt, x, dy, spec, t)));
  }

  channelAffine(
    a: Float32Array, b: Float32Array | null, p: Float32Array | null, q: Float32Array | null, r: Float32Array | null,
    C: number, inner: number, size: number,
  ): Float32Array | Promise<Float32Array> {
    const s: ChannelAffineArgs = { a, b, p, q, r, C, inner, size };
    return this.exec(channelAffineFlop(s), (rt, t) => buildChannelAffine(rt, s, t));
  }

  gelu(x: Float32Array, n: number, grad: boolean): Float32Array | Promise<Float32Array> {
    return this.exec(geluFlop(n), (rt, t) => buildGelu(rt, x, n, grad, t));
  }

  sumRows(x: Float32Array, rows: number, R: number): Float32Array | Promise<Float32Array> {
    if (R === 0) return new Float32Array(rows);
    // NOTE: streaming like channelAffine: one flop per value
    return this.exec(rows * R, (rt, t) => buildSumRows(rt, x, rows, R, t));
  }

  softmax(x: Float32Array, outer: number, R: number, inner: number, log: boolean): Float32Array | Promise<Float32Array> {
    const size = outer * R * inner;
    if (size === 0) return new Float32Array(0);
    return this.exec(softmaxFlop(size), (rt, t) => buildSoftmax(rt, x, outer, R, inner, log, t));
  }

  softmaxBackward(y: Float32Array, dy: Float32Array, outer: number, R: number, inner: number, log: boolean): Float32Array | Promise<Float32Array> {
    const size = outer * R * inner;
    if (size === 0) return new Float32Array(0);
    return this.exec(softmaxFlop(size), (rt, t) => buildSoftmaxBackward(rt, y, dy, outer, R, inner, log, t));
  }

  /**
   * out = a ∘ b (op add, sub, mul or div) over out viewed as [d0, d1, d2] (`dims`), each operand read
   * through its own strides in floats (0 along its broadcast axes); same-shape operands are
   * dims [1, 1, n] with strides [0, 0, 1]. Bit-identical to f32 arithmetic.
   */
  binary(
    op: HostBinaryOp, a: Float32Array, b: Float32Array,
    dims: readonly [number, number, number], aStrides: readonly [number, number, number], bStrides: readonly [number, number, number],
  ): Float32Array | Promise<Float32Array> {
    const size = dims[0] * dims[1] * dims[2];
    if (size === 0) return new Float32Array(0);
    return this.exec(elementwiseFlop(size), (rt, t) => buildBinary(rt, op, a, b, dims, aStrides, bStrides, t));
  }

  /** relu, step (x > 0 ? 1 : 0), square, neg or sigmoid (within a few f32 ulp) of the first n values of x. */
  unary(op: HostUnaryOp, x: Float32Array, n: number): Float32Array | Promise<Float32Array> {
    if (n === 0) return new Float32Array(0);
    // NOTE: sigmoid computes an e^x per cell: weighed as GELU (8 flops per value)
    return this.exec(op === 'sigmoid' ? geluFlop(n) : elementwiseFlop(n), (rt, t) => buildUnary(rt, op, x, n, t));
  }

  /**
   * out[i0, i1, i2] = x[offset + i0·s0 + i1·s1 + i2·s2] over out viewed as [d0, d1, d2] (`dims`),
   * strides in floats: an exact copy of the cells a permuted, expanded or sliced view reads.
   */
  strided(x: Float32Array, dims: readonly [number, number, number], strides: readonly [number, number, number], offset: number): Float32Array | Promise<Float32Array> {
    const size = dims[0] * dims[1] * dims[2];
    if (size === 0) return new Float32Array(0);
    return this.exec(elementwiseFlop(size), (rt, t) => buildStrided(rt, x, dims, strides, offset, t));
  }

  /**
   * out[o, n] = Σ_r a·b (b given) or Σ_r a (b null) along R of [outer, R, inner], √ of it when
   * `sqrt`: in f64 r = 0..R−1, rounded to f32 once (the bits of gpu.js's cpu-mode dotAlongKernel).
   */
  dotAlong(a: Float32Array, b: Float32Array | null, outer: number, R: number, inner: number, sqrt: boolean): Float32Array | Promise<Float32Array> {
    if (outer * inner === 0) return new Float32Array(0);
    // an empty sum is +0 (and √0 = 0), as gpu.js's
    if (R === 0) return new Float32Array(outer * inner);
    return this.exec(alongFlop(outer * R * inner), (rt, t) => buildDotAlong(rt, a, b, outer, R, inner, sqrt, t));
  }

  /** y = x / (nrm[o, n] + eps) over [outer, R, inner], in f64 then f32 (gpu.js's cpu-mode normalizeAlongKernel). */
  normalizeAlong(x: Float32Array, nrm: Float32Array, outer: number, R: number, inner: number, eps: number): Float32Array | Promise<Float32Array> {
    const size = outer * R * inner;
    if (size === 0) return new Float32Array(0);
    return this.exec(alongFlop(size), (rt, t) => buildNormalizeAlong(rt, x, nrm, outer, R, inner, eps, t));
  }

  /** out[o, j, n] = x[o, index[o, j, n], n] (0 out of [0, Lx)), index [outer, L, inner], x [outer, Lx, inner]. */
  gather(x: Float32Array, index: Float32Array, outer: number, L: number, inner: number, Lx: number): Float32Array | Promise<Float32Array> {
    const cells = outer * L * inner;
    if (cells === 0) return new Float32Array(0);
    if (Lx === 0) return new Float32Array(cells);
    return this.exec(indexFlop(2 * cells), (rt, t) => buildGather(rt, x, index, outer, L, inner, Lx, t));
  }

  /** out[o, t, n] = Σ_j [index[o, j, n] = t]·src[o, j, n], j ascending in f64 (gpu.js's cpu-mode scatterAddKernel). */
  scatterAdd(src: Float32Array, index: Float32Array, outer: number, L: number, inner: number, Lx: number): Float32Array | Promise<Float32Array> {
    const cells = outer * Lx * inner;
    if (cells === 0) return new Float32Array(0);
    if (L === 0) return new Float32Array(cells);
    return this.exec(indexFlop(cells + 2 * outer * L * inner), (rt, t) => buildScatterAdd(rt, src, index, outer, L, inner, Lx, t));
  }

  /**
   * The SSA-Seg classifier head's inference pass (kind 19): logits [B, K, h·w] from features
   * [B, C, h, w] and the 12 weights in SSA_WEIGHT_NAMES order (null where the switches leave them
   * unused). One task per image, so threads help from B = 2 on and never change the bits.
   */
  ssaLogits(feat: Float32Array, weights: readonly (Float32Array | null)[], spec: SsaLogitsSpec): Float32Array | Promise<Float32Array> {
    return this.exec(ssaLogitsFlop(spec), (rt, t) => buildSsaLogits(rt, feat, weights, spec, t));
  }

  /**
   * One AdamW update of the first n values (kind 20): [p', exp_avg', exp_avg_sq'] in one job, with the
   * bits of gpu.js's cpu-mode adamwKernel (f64 from the f32 inputs and f32-rounded meta values).
   */
  adamw(p: Float32Array, g: Float32Array, m: Float32Array, v: Float32Array, n: number, h: AdamWStep): AdamwOutputs | Promise<AdamwOutputs> {
    if (n === 0) return [new Float32Array(0), new Float32Array(0), new Float32Array(0)];
    return this.exec(adamwFlop(n), (rt, t) => buildAdamw(rt, p, g, m, v, n, h, t));
  }

  /**
   * out[p] = Rh · x[p] · Rwᵀ over the first `planes` planes [H, W] of x (kind 23), h = Rh [OH, H] and
   * w = Rw [OW, W] as bands: interpolate's forward, and its backward with the transposed matrices.
   * Tasks are runs of whole planes, so threads never change the bits.
   */
  resample2d(x: Float32Array, planes: number, h: ResampleAxis, w: ResampleAxis): Float32Array | Promise<Float32Array> {
    if (planes === 0) return new Float32Array(0);
    return this.exec(resampleFlop(planes, h, w), (rt, t) => buildResample2d(rt, x, planes, h, w, t));
  }

  /**
   * Softmax cross-entropy of logits [N, C, S] against integer targets [N, S] (kind 21): [loss, lse],
   * each [N, S]; loss = lse − x[t], 0 where t is ignoreIndex or not a class; lse = log Σ_c e^x.
   */
  softmaxCrossEntropy(x: Float32Array, target: Float32Array, N: number, C: number, S: number, ignoreIndex: number): CrossEntropyOutputs | Promise<CrossEntropyOutputs> {
    if (N * S === 0) return [new Float32Array(0), new Float32Array(0)];
    return this.exec(crossEntropyFlop(N * C * S), (rt, t) => buildSoftmaxCrossEntropy(rt, x, target, N, C, S, ignoreIndex, t));
  }

  /** Its gradient (kind 22): dx [N, C, S] = (e^(x − lse) − [c = t])·g, 0 at positions whose t is not a class. */
  softmaxCrossEntropyBackward(
    x: Float32Array, target: Float32Array, lse: Float32Array, g: Float32Array, N: number, C: number, S: number, ignoreIndex: number,
  ): Float32Array | Promise<Float32Array> {
    if (N * C * S === 0) return new Float32Array(0);
    return this.exec(crossEntropyFlop(N * C * S), (rt, t) => buildSoftmaxCrossEntropyBackward(rt, x, target, lse, g, N, C, S, ignoreIndex, t));
  }

  /**
   * Batch normalisation in training, forward (kind 25): x [N, C, inner], weight and bias [C] →
   * [y, mean, var], the batch mean and biased variance per channel (two-pass, sums in f64), y in
   * f32x4. One task per run of channels, so threads never change the bits.
   */
  batchNormForward(x: Float32Array, w: Float32Array, b: Float32Array, N: number, C: number, inner: number, eps: number): BatchNormOutputs | Promise<BatchNormOutputs> {
    return this.exec(batchNormFlop(N, C, inner), (rt, t) => buildBatchNormForward(rt, x, w, b, N, C, inner, eps, t));
  }

  /**
   * Batch normalisation in training, backward (kind 26): [dx, dw, db] from dy and x [N, C, inner] and
   * the weight [C], the statistics recomputed from x as batchNormForward computes them (same bits).
   */
  batchNormBackward(dy: Float32Array, x: Float32Array, w: Float32Array, N: number, C: number, inner: number, eps: number): BatchNormOutputs | Promise<BatchNormOutputs> {
    return this.exec(batchNormFlop(N, C, inner), (rt, t) => buildBatchNormBackward(rt, dy, x, w, N, C, inner, eps, t));
  }

  /**
   * Runs one job. Small jobs (and every job with one thread) run on the calling thread and return
   * the result; large ones on an asynchronous instance return a Promise.
   */
  private exec<T = Float32Array>(flop: number, build: (rt: WasmRuntime, threads: number) => Built<T>): T | Promise<T> {
    const rt = runtimeFor(this.threads);
    const parallel = this.threads > 1 && rt.shared && flop >= this.parallelMinFlop;
    if (this.async && parallel) {
      return rt.exclusive(async () => {
        rt.reset();
        rt.keep = this.resident;
        const b = build(rt, rt.threads);
        await rt.runAsync(b.job);
        return b.read();
      });
    }
    // NOTE: a job that runs on this thread alone goes to the plain-memory runtime: copies into and
    // out of a SharedArrayBuffer take ~2.3× as long as with an ArrayBuffer, and the training step
    // ran 2-3 ms faster so (docs/performance.md, "Small jobs on plain memory"). A synchronous call
    // cannot wait for an asynchronous job holding the shared arena either; it goes there too.
    let use = rt;
    // NOTE: with resident outputs small jobs stay on the shared runtime too: their operands are read
    // in place, which is cheaper than any copy into the plain memory.
    if (rt.shared && (rt.busy || (!parallel && !(this.resident && rt.heap)))) {
      const plain = plainRuntime();
      if (plain) use = plain;
      else if (rt.busy) throw new Error('wasm kernels: a synchronous job arrived while an asynchronous one holds the shared arena, and the single-threaded runtime could not be created here (await prepareWasmKernels() first)');
    }
    use.busy = true;
    try {
      use.reset();
      use.keep = this.resident;
      const b = build(use, parallel && use === rt ? rt.threads : 1);
      use.runSync(b.job, parallel && use === rt);
      return b.read();
    } finally {
      use.busy = false;
    }
  }
}

/** The part of GpuBackend installWasmKernels needs. */
interface HostKernelTarget {
  readonly name: string;
  readonly isAsync: boolean;
  setHostKernels(h: HostKernels | null): void;
}

/**
 * Installs the WebAssembly kernels on a gpu.js backend in a CPU mode (webasm, cpu), unless
 * SSA_SEG_WASM_KERNELS=0 or SIMD is missing; returns whether it did. Other modes are left alone.
 */
export function installWasmKernels(backend: HostKernelTarget, opts: Omit<WasmKernelOptions, 'async'> = {}): boolean {
  if (backend.name !== 'webasm' && backend.name !== 'cpu') return false;
  if (!wasmKernelsEnabled()) return false;
  const k = new WasmKernels({ resident: residentDefault(), ...opts, async: backend.isAsync });
  try {
    // create the runtime now, so an environment that cannot compile synchronously keeps gpu.js's kernels
    void k.runtime;
  } catch {
    return false;
  }
  backend.setHostKernels(k);
  return true;
}

/**
 * Runs a few small jobs of every kind on the calling thread so V8 tiers the kernels up from its
 * baseline compiler (Liftoff) to TurboFan before anything is timed; the compiled code is shared by
 * every runtime and worker. Optional: without it the first large jobs simply run slower.
 */
export async function warmUpWasmKernels(rounds = 12): Promise<void> {
  const k = new WasmKernels({ threads: 1 });
  const r = (n: number) => Float32Array.from({ length: n }, (_, i) => ((i * 7919) % 17) / 17 - 0.5);
  const mm: MatmulSpec = { batch: 1, M: 96, K: 300, N: 100, aBatch: 0, aRow: 300, aCol: 1, bBatch: 0, bRow: 1, bCol: 300 };
  const geo = (kh: number, stride: number, groups: number, C: number): Conv2dSpec => {
    const OH = Math.floor((20 + 2 - kh) / stride) + 1;
    return { N: 2, Cin: C, H: 20, W: 20, Cout: C, kh, kw: kh, OH, OW: OH, strideH: stride, strideW: stride, padH: 1, padW: 1, dilationH: 1, dilationW: 1, groups };
  };
  const convs = [geo(3, 1, 1, 16), geo(3, 2, 1, 16), geo(3, 1, 16, 16)];
  const a = r(96 * 300);
  const b = r(300 * 100);
  const c = r(8 * 16 * 37);
  const idx = Float32Array.from({ length: c.length }, (_, i) => ((i * 31) % 19) - 1);
  // the SSA head's pass (kind 19) with each switch combination: 8 channels, 3 classes, 5×7
  const ssa = ([[true, true], [true, false], [false, true]] as const).map(([sepa, sppa]) => {
    const spec: SsaLogitsSpec = { B: 1, C: 8, K: 3, h: 5, w: 7, hidden: 4, sepa, sppa };
    const p = (n: number) => (sppa ? r(n) : null);
    const e = (n: number) => (sepa ? r(n) : null);
    const weights = [r(24), r(3), p(72), p(8), p(24), p(64), p(32), p(8), e(64), e(32), e(8), r(64)];
    return { spec, weights };
  });
  const feat = r(8 * 35);
  const absArr = c.map(Math.abs);
  // kind 23 in both pass orders: bilinear [4, 5] → [8, 10] and its transposed bands
  const band = (i: number, o: number, t: boolean) => {
    const m = new Float64Array(o * i);
    for (let r = 0; r < o; r++) m[r * i + Math.min(i - 1, Math.floor((r * i) / o))] = 1;
    return resampleAxis(m, o, i, t);
  };
  const rs = [false, true].map((t) => ({ h: band(4, 8, t), w: band(5, 10, t) }));
  for (let i = 0; i < rounds; i++) {
    k.matmul(a, b, mm);
    k.channelAffine(c, c, c, c, c, 16, 37, c.length);
    k.channelAffine(c, null, c, null, c, 16, 37, c.length);
    k.gelu(c, c.length, false);
    k.gelu(c, c.length, true);
    k.sumRows(c, 8 * 16, 37);
    k.softmax(c, 8, 16, 37, false);
    k.softmax(c, 8 * 16, 37, 1, true);
    k.softmaxBackward(c, c, 8, 16, 37, true);
    k.softmaxBackward(c, c, 8 * 16, 37, 1, false);
    for (const op of ['add', 'sub', 'mul', 'div'] as const) {
      k.binary(op, c, c, [1, 1, c.length], [0, 0, 1], [0, 0, 1]);
      k.binary(op, c, c, [8, 16, 37], [592, 37, 1], [0, 1, 0]);
    }
    for (const op of ['relu', 'step', 'square', 'neg', 'sigmoid'] as const) k.unary(op, c, c.length);
    k.strided(c, [8, 37, 16], [592, 1, 37], 0);
    k.strided(c, [8, 16, 37], [0, 37, 1], 0);
    k.strided(c, [8, 15, 35], [592, 37, 1], 38);
    k.dotAlong(c, c, 8, 16, 37, true);
    k.dotAlong(c, null, 8 * 16, 37, 1, false);
    k.normalizeAlong(c, c, 8, 16, 37, 1e-12);
    k.normalizeAlong(c, c, 8 * 16, 37, 1, 1e-12);
    k.gather(c, idx, 8, 16, 37, 16);
    k.scatterAdd(c, idx, 8, 16, 37, 16);
    k.scatterAdd(c, idx, 8, 2, 296, 16);
    for (const { spec, weights } of ssa) k.ssaLogits(feat, weights, spec);
    for (const { h, w } of rs) k.resample2d(c, 4, h, w);
    k.softmaxCrossEntropy(c, idx, 8, 16, 37, 3);
    k.softmaxCrossEntropyBackward(c, idx, c, c, 8, 16, 37, 3);
    k.adamw(c, c, c, absArr, c.length, { beta1: 0.9, beta2: 0.999, decay: 0.999, stepSize: 1e-3, invSqrtBc2: 1.2, eps: 1e-8 });
    k.batchNormForward(c, c, c, 8, 16, 37, 1e-5);
    k.batchNormBackward(c, c, c, 8, 16, 37, 1e-5);
    for (const s of convs) {
      const x = r(s.N * s.Cin * s.H * s.W);
      const w = r(s.Cout * (s.Cin / s.groups) * s.kh * s.kw);
      const dy = r(s.N * s.Cout * s.OH * s.OW);
      k.conv2d(x, w, s);
      k.conv2dBackwardInput(dy, w, s);
      k.conv2dBackwardWeight(x, dy, s);
    }
    // let the background TurboFan compilations finish
    await new Promise((res) => setTimeout(res, 5));
  }
}

/** Stops every worker (tests; processes exit without it since workers are unref'd). */
export function shutdownWasmKernels(): void {
  for (const rt of runtimes.values()) rt.destroy();
  runtimes.clear();
}
