/**
 * The gpu.js backend: implements the backend vocabulary by launching the kernel sources in
 * `kernels/`, on any gpu.js mode (webgpu, headlessgl, webgl2, webgl, webasm, cpu).
 *
 * Execution model (see README, "Asynchronous execution"): every op returns its output handle at
 * once. On synchronous modes the kernel runs inside the call. On asynchronous modes (webgpu,
 * threaded webasm) the launch is appended to one in-order queue, like a GPU command queue; the
 * output storage's `ready` promise settles when its kernel has run, and `download` awaits it.
 */
import type { GPU, IKernelRunShortcut } from 'gpu.js';
import { type AdamWStep, type Backend, type BinaryOp, type Conv2dSpec, type MatmulSpec, type Pool2dSpec, type PoolOp, type ReduceOp, type ResampleAxis, type SsaLogitsSpec, type UnaryOp, adamwMetaValues } from '../../backend.js';
import type { DType, HostArray } from '../../dtype.js';
import { hostPool } from '../../buffer-pool.js';
import { RawTensor } from '../../raw-tensor.js';
import { MAX_RANK, assertValidShape, collapseAxes, shapesEqual, sizeOf, type Shape } from '../../shape.js';
import { Storage, type StorageOwner } from '../../storage.js';
import { createGpu, type GpuMode } from './context.js';
import * as C from './kernels/conv.js';
import * as E from './kernels/elementwise.js';
import { matmulKernel } from './kernels/matmul.js';
import * as Mv from './kernels/movement.js';
import * as R from './kernels/reduce.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type KernelSource = (...args: any[]) => number;
type Arg = RawTensor | number | Float32Array;

/** Stands in for empty inputs (gpu.js rejects zero-length arguments). */
const EMPTY_STAND_IN = new Float32Array(1);

/** Rows longer than this are reduced in two passes (chunks of about √R), so no thread loops too long. */
const ONE_PASS_MAX = 4096;

function assertNever(x: never, what: string): never {
  throw new Error(`internal: unknown ${what} ${String(x)}`);
}

const UNARY: Record<UnaryOp, KernelSource> = {
  neg: E.negKernel, exp: E.expKernel, log: E.logKernel, sqrt: E.sqrtKernel, rsqrt: E.rsqrtKernel,
  abs: E.absKernel, sign: E.signKernel, square: E.squareKernel, reciprocal: E.reciprocalKernel,
  relu: E.reluKernel, step: E.stepKernel, sigmoid: E.sigmoidKernel, tanh: E.tanhKernel,
  gelu: E.geluKernel, geluGrad: E.geluGradKernel, erf: E.erfKernel, floor: E.floorKernel, copy: E.copyKernel,
  addScalar: E.addScalarKernel, mulScalar: E.mulScalarKernel, powScalar: E.powScalarKernel,
  rpowScalar: E.rpowScalarKernel, clampMin: E.clampMinKernel, clampMax: E.clampMaxKernel,
  eqScalar: E.eqScalarKernel, neScalar: E.neScalarKernel, ltScalar: E.ltScalarKernel,
  leScalar: E.leScalarKernel, gtScalar: E.gtScalarKernel, geScalar: E.geScalarKernel,
};

const BINARY: Record<BinaryOp, KernelSource> = {
  add: E.addKernel, sub: E.subKernel, mul: E.mulKernel, div: E.divKernel, pow: E.powKernel,
  maximum: E.maximumKernel, minimum: E.minimumKernel, eq: E.eqKernel, ne: E.neKernel,
  lt: E.ltKernel, le: E.leKernel, gt: E.gtKernel, ge: E.geKernel,
};

/** Output dtype of a unary op: comparisons and transcendental ops give float32; the rest keep it. */
export function unaryDType(op: UnaryOp, x: DType): DType {
  switch (op) {
    case 'neg': case 'abs': case 'sign': case 'square': case 'relu': case 'step': case 'floor': case 'copy':
    case 'addScalar': case 'mulScalar': case 'powScalar': case 'clampMin': case 'clampMax':
      return x;
    default:
      return 'float32';
  }
}

/** Output dtype of a binary op: int32 only for integer-closed ops of two int32 inputs. */
export function binaryDType(op: BinaryOp, a: DType, b: DType): DType {
  const intOp = op === 'add' || op === 'sub' || op === 'mul' || op === 'maximum' || op === 'minimum';
  return intOp && a === 'int32' && b === 'int32' ? 'int32' : 'float32';
}

/** The binary ops the broadcasting kernel runs, by its op code. */
const BROADCAST_OPS: readonly BinaryOp[] = ['add', 'sub', 'mul', 'div'];

/** Row-major strides of `shape`, 0 along size-1 axes (read repeatedly when broadcast). */
function broadcastStrides(shape: Shape): number[] {
  const st = new Array<number>(shape.length);
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    st[i] = shape[i] === 1 ? 0 : acc;
    acc *= shape[i];
  }
  return st;
}

/** Drops size-1 axes and merges neighbours that both operands read as one axis. */
function collapse2(shape: Shape, sa: readonly number[], sb: readonly number[]): [number[], number[], number[]] {
  const dims: number[] = [];
  const ta: number[] = [];
  const tb: number[] = [];
  for (let i = 0; i < shape.length; i++) {
    if (shape[i] === 1) continue;
    const k = dims.length - 1;
    if (k >= 0 && ta[k] === sa[i] * shape[i] && tb[k] === sb[i] * shape[i]) {
      dims[k] *= shape[i];
      ta[k] = sa[i];
      tb[k] = sb[i];
    } else {
      dims.push(shape[i]);
      ta.push(sa[i]);
      tb.push(sb[i]);
    }
  }
  return [dims, ta, tb];
}

/** Pads a shape to MAX_RANK with leading 1s, and strides with leading 0s. */
function pad6(values: readonly number[], fillValue: number): number[] {
  const out = new Array<number>(MAX_RANK - values.length).fill(fillValue);
  return out.concat(values);
}

/**
 * Host implementations of hot contractions for the CPU modes (webasm, cpu), with the same contract
 * as the gpu.js kernels they stand in for (flat row-major Float32Array in and out). The gpu.js
 * kernel of each op stays: it runs on the GPU modes and is the parity check for these.
 */
export interface HostKernels {
  readonly name: string;
  /**
   * Takes back an output array the kernels still own (a view of their memory, see
   * wasm/resident.ts) when its storage is released; false for any other array.
   */
  release?(a: Float32Array): boolean;
  matmul?(a: Float32Array, b: Float32Array, spec: MatmulSpec): Float32Array | Promise<Float32Array>;
  conv2d?(x: Float32Array, w: Float32Array, spec: Conv2dSpec): Float32Array | Promise<Float32Array>;
  conv2dBackwardInput?(dy: Float32Array, w: Float32Array, spec: Conv2dSpec): Float32Array | Promise<Float32Array>;
  conv2dBackwardWeight?(x: Float32Array, dy: Float32Array, spec: Conv2dSpec): Float32Array | Promise<Float32Array>;
  /** Both gradients at once (Backend.conv2dBackward): [dx, dw] from x, dy and w. */
  conv2dBackward?(x: Float32Array, dy: Float32Array, w: Float32Array, spec: Conv2dSpec): [Float32Array, Float32Array] | Promise<[Float32Array, Float32Array]>;
  /** channelAffineKernel over `size` cells of a [N, C, inner]; a null term is skipped (b and q come together). */
  channelAffine?(
    a: Float32Array, b: Float32Array | null, p: Float32Array | null, q: Float32Array | null, r: Float32Array | null,
    C: number, inner: number, size: number,
  ): Float32Array | Promise<Float32Array>;
  /** geluKernel (grad false) or geluGradKernel (grad true) over the first n values of x. */
  gelu?(x: Float32Array, n: number, grad: boolean): Float32Array | Promise<Float32Array>;
  /** sumReduceKernel: the sum of each of `rows` rows of R floats of x (float32 tensors only). */
  sumRows?(x: Float32Array, rows: number, R: number): Float32Array | Promise<Float32Array>;
  /** logsumexpAlongKernel then softmaxAlongKernel along R of x viewed as [outer, R, inner] (size >= 1). */
  softmax?(x: Float32Array, outer: number, R: number, inner: number, log: boolean): Float32Array | Promise<Float32Array>;
  /** dotAlongKernel then softmaxBackwardAlongKernel along R of y and dy viewed as [outer, R, inner]. */
  softmaxBackward?(y: Float32Array, dy: Float32Array, outer: number, R: number, inner: number, log: boolean): Float32Array | Promise<Float32Array>;
  /**
   * broadcastBinaryKernel (and add/sub/mul/div on equal shapes) over float32: out = a ∘ b over out
   * viewed as [d0, d1, d2] (`dims`), each operand read through its own strides in floats (0 along
   * its broadcast axes). Must give the bits of f32 arithmetic.
   */
  binary?(
    op: HostBinaryOp, a: Float32Array, b: Float32Array,
    dims: readonly [number, number, number], aStrides: readonly [number, number, number], bStrides: readonly [number, number, number],
  ): Float32Array | Promise<Float32Array>;
  /**
   * reluKernel, stepKernel, squareKernel or negKernel over the first n values of x (float32), with
   * their bits; sigmoidKernel within a few f32 ulp (its special values exactly).
   */
  unary?(op: HostUnaryOp, x: Float32Array, n: number): Float32Array | Promise<Float32Array>;
  /**
   * strided1/2/3Kernel: out[i0, i1, i2] = x[offset + i0·s0 + i1·s1 + i2·s2] over out viewed as
   * [d0, d1, d2] (`dims`), strides in floats (0 along expanded axes). An exact copy.
   */
  strided?(x: Float32Array, dims: readonly [number, number, number], strides: readonly [number, number, number], offset: number): Float32Array | Promise<Float32Array>;
  /**
   * dotAlongKernel over float32: out[o, n] = Σ_r a·b (b given; b may be a) or Σ_r a (b null) along R
   * of [outer, R, inner], √ of it when `sqrt`. Must give the cpu mode's bits (f64 sums, r ascending).
   */
  dotAlong?(a: Float32Array, b: Float32Array | null, outer: number, R: number, inner: number, sqrt: boolean): Float32Array | Promise<Float32Array>;
  /** normalizeAlongKernel: y = x / (nrm[o, n] + eps) over [outer, R, inner], in f64 then f32. */
  normalizeAlong?(x: Float32Array, nrm: Float32Array, outer: number, R: number, inner: number, eps: number): Float32Array | Promise<Float32Array>;
  /** gatherKernel: out[o, j, n] = x[o, index[o, j, n], n], 0 out of [0, Lx) (index [outer, L, inner] of integers). */
  gather?(x: Float32Array, index: Float32Array, outer: number, L: number, inner: number, Lx: number): Float32Array | Promise<Float32Array>;
  /** scatterAddKernel: out [outer, Lx, inner], out[o, t, n] = Σ_j [index[o, j, n] = t]·src[o, j, n] (j ascending, f64). */
  scatterAdd?(src: Float32Array, index: Float32Array, outer: number, L: number, inner: number, Lx: number): Float32Array | Promise<Float32Array>;
  /**
   * The SSA head's whole inference pass (Backend.ssaLogits): features [B, C, h, w] and the weights
   * in SSA_WEIGHT_NAMES order → logits [B, K, h·w]. A fusion of ops that have gpu.js kernels, so it
   * has no gpu.js kernel of its own: the composite of those ops is its GPU path and parity check.
   */
  ssaLogits?(feat: Float32Array, weights: readonly (Float32Array | null)[], spec: SsaLogitsSpec): Float32Array | Promise<Float32Array>;
  /**
   * adamwKernel's three outputs in one call: [p', exp_avg', exp_avg_sq'] of the first n values of p,
   * g, m, v (float32), with the bits of gpu.js's cpu mode: f64 from the f32 inputs and the meta values
   * rounded to f32 (as the kernel reads them from a Float32Array), each output rounded to f32 once.
   */
  adamw?(p: Float32Array, g: Float32Array, m: Float32Array, v: Float32Array, n: number, step: AdamWStep):
    [Float32Array, Float32Array, Float32Array] | Promise<[Float32Array, Float32Array, Float32Array]>;
  /**
   * Backend.resample2d: out[p] = Rh · x[p] · Rwᵀ over `planes` planes [h.inSize, w.inSize] of x →
   * [planes, h.outSize, w.outSize]. Like ssaLogits it has no gpu.js kernel: the two matmuls it
   * replaces are its GPU path and parity check.
   */
  resample2d?(x: Float32Array, planes: number, h: ResampleAxis, w: ResampleAxis): Float32Array | Promise<Float32Array>;
  /**
   * Softmax cross-entropy of logits x [N, C, S] (class axis in the middle) against integer targets
   * [N, S] stored as floats: [loss, lse], each [N, S], with loss = lse − x[t] and lse = log Σ_c e^x;
   * loss 0 where t is ignoreIndex or not an integer in [0, C). Within f32 tolerance of the composite
   * (logSoftmax then nllLoss); a NaN logit gives a NaN loss at its position unless it is ignored.
   */
  softmaxCrossEntropy?(x: Float32Array, target: Float32Array, N: number, C: number, S: number, ignoreIndex: number):
    [Float32Array, Float32Array] | Promise<[Float32Array, Float32Array]>;
  /** Its gradient: dx [N, C, S] = (e^(x − lse) − [c = t])·g[n, s], 0 at positions whose target is not a class. */
  softmaxCrossEntropyBackward?(x: Float32Array, target: Float32Array, lse: Float32Array, g: Float32Array, N: number, C: number, S: number, ignoreIndex: number):
    Float32Array | Promise<Float32Array>;
  /**
   * Batch normalisation in training (Backend.batchNormForward): x [N, C, inner] (float32), weight and
   * bias [C] → [y, mean, var], the batch mean and biased variance per channel. A fusion of ops that
   * have gpu.js kernels (BatchNorm's composite is its GPU path and parity check); within f32
   * rounding of the float64 result.
   */
  batchNormForward?(x: Float32Array, w: Float32Array, b: Float32Array, N: number, C: number, inner: number, eps: number):
    [Float32Array, Float32Array, Float32Array] | Promise<[Float32Array, Float32Array, Float32Array]>;
  /** Its gradient (Backend.batchNormBackward): [dx, dw, db] from dy and x [N, C, inner] and the weight [C]. */
  batchNormBackward?(dy: Float32Array, x: Float32Array, w: Float32Array, N: number, C: number, inner: number, eps: number):
    [Float32Array, Float32Array, Float32Array] | Promise<[Float32Array, Float32Array, Float32Array]>;
}

/** The binary ops host kernels may run (broadcastBinaryKernel's op codes 0-3). */
export type HostBinaryOp = 'add' | 'sub' | 'mul' | 'div';
/** The unary ops host kernels may run. */
export type HostUnaryOp = 'relu' | 'step' | 'square' | 'neg' | 'sigmoid';
const HOST_UNARY: readonly UnaryOp[] = ['relu', 'step', 'square', 'neg', 'sigmoid'];

/**
 * Outputs smaller than this stay on gpu.js for the plain element-wise ops (host `binary` of equal
 * shapes, `unary`). A host call costs ~2 µs more than a gpu.js launch whatever its size (the job
 * header, copies in and out of WebAssembly memory, a fresh output array), and gpu.js's cpu mode
 * runs these one-operation kernels at ~1–4 ns per cell. Through GpuBackend on `cpu` (min of 12 runs,
 * 2 threads installed, load average ~5 on 2 cores), gpu.js / wasm µs: add 5.6 / 5.0 at 1024 cells
 * (2.8 / 4.3 at 128, 10.8 / 6.9 at 2048), relu 4.6 / 4.1 at 1024 (3.3 / 3.3 at 512).
 */
const HOST_ELEMENTWISE_MIN_CELLS = 1024;
/**
 * The same for broadcast operands: broadcastBinaryKernel's two index divisions per cell make gpu.js
 * ~3× slower there (mul [n/8, 8]·[1, 8], same runs: 5.2 / 5.3 µs at 128 cells, 6.8 / 5.4 at 256,
 * 16.2 / 6.2 at 1024).
 */
const HOST_BROADCAST_MIN_CELLS = 256;
/**
 * gather runs on the host from this many output cells, when x has at most HOST_GATHER_MAX_RATIO times
 * as many cells (the host copies all of x into WebAssembly memory, ~0.5 ns per cell here, while
 * gpu.js's cpu mode spends ~12 ns per output cell and never touches the rest of x). Through GpuBackend
 * on `cpu` (min of 15×10 runs, load average ~2.5 on 2 cores), gpu.js / wasm µs, x [8, Lx, n] along
 * axis 1, index [8, 1, n]: Lx 11 n 5376 (the cross-entropy's) 625 / 298, Lx 32 n 2048 240 / 172,
 * Lx 64 n 1024 124 / 206; Lx 11 n 100 16.7 / 15.8, n 48 9.3 / 9.9 ([2, 11, n]: 10.2 / 8.9 at 1034
 * output cells, 6.2 / 6.7 at 506).
 */
const HOST_GATHER_MIN_CELLS = 1024;
const HOST_GATHER_MAX_RATIO = 16;
/**
 * scatterAdd runs on the host from this many output cells: gpu.js's kernel loops over all L index
 * cells for every output cell, so the host wins from small sizes on (same runs: 7541 / 436 µs for
 * the cross-entropy's [8, 11, 64, 84] from [8, 1, 64, 84], 35.6 / 10.2 at 2112 output cells;
 * [2, 11, n]: 5.1 / 4.2 at 264 cells, 3.1 / 3.2 at 132).
 */
const HOST_SCATTER_MIN_CELLS = 256;
/**
 * sigmoid runs on the host from this many cells: gpu.js's Math.exp makes its kernel ~15 ns per cell
 * (through GpuBackend on `cpu`, min of 15×20 runs, 2 threads installed, load average ~1.3 on 2 cores,
 * gpu.js / wasm µs: 3.8–4.2 / 4.0–5.8 at 128 cells, 5.7–8.8 / 4.5–5.4 at 256, 8.8–10.6 / 5.0–5.3 at
 * 512, 15.3–15.9 / 6.5–7.6 at 1024).
 */
const HOST_SIGMOID_MIN_CELLS = 256;
/**
 * strided copies (permute, expand, slice) of at most 3 merged dims run on the host from this many
 * cells; gpu.js's strided2/3Kernel spend 5–10 ns per cell on index divisions (same runs, gpu.js /
 * wasm µs: a [m, 20] → [m, 16] row slice 3.4 / 3.6 at 256 cells, 4.8 / 3.8 at 512, 7.6 / 4.4 at
 * 1024; an expand [1, 8, 1] → [4, 8, m] 3.9 / 3.6 at 256, 6.0 / 3.6 at 512; a batched transpose
 * [4, 8, m] 5.3 / 4.6–5.8 at 256, 6.7 / 4.6–6.0 at 512; a transpose of [16, m] (no SIMD: 16-float
 * strides) 7.3–11.5 / 7.7–10.9 at 512, 9.8–13.6 / 8.0–11.0 at 1024, 407 / 120 at 65536).
 */
const HOST_STRIDED_MIN_CELLS = 512;

/** [N, C, inner] of a non-empty x [N, C, ...] (inner: the product of the axes after 1), else null. */
/** Stores a kernel's result on its output storages: the value itself for one, an array's items for several. */
function settleOutputs(storages: readonly Storage[], result: unknown): void {
  if (storages.length === 1) {
    storages[0].value = result;
    return;
  }
  const values = result as readonly unknown[];
  if (!Array.isArray(values) || values.length !== storages.length) throw new Error(`internal: expected ${storages.length} outputs, got ${Array.isArray(values) ? values.length : typeof values}`);
  storages.forEach((s, i) => (s.value = values[i]));
}

function bnGeometry(x: RawTensor): [number, number, number] | null {
  if (x.shape.length < 2 || x.size === 0) return null;
  const [N, C] = x.shape;
  return [N, C, x.size / (N * C)];
}

export class GpuBackend implements Backend, StorageOwner {
  readonly float64 = false;
  private readonly gpu: GPU;
  private readonly compiled = new Map<KernelSource, IKernelRunShortcut>();
  private tail: Promise<void> = Promise.resolve();
  /** Kernels gpu.js ran on another mode than asked for: kernel name → reason. */
  readonly fallbacks = new Map<string, string>();
  /** Number of kernel launches so far (for tests and profiling). */
  launches = 0;
  /** Per-kernel launch counts and milliseconds, when profiling is on (synchronous modes time exactly). */
  profile: Map<string, { calls: number; ms: number; cells: number }> | null =
    typeof process !== 'undefined' && process.env?.SSA_SEG_PROFILE ? new Map() : null;
  /** Profile keys name the op and output shape too (SSA_SEG_PROFILE=shapes). */
  readonly profileByShape = typeof process !== 'undefined' && (process.env?.SSA_SEG_PROFILE === 'shapes' || process.env?.SSA_SEG_PROFILE === 'args');
  /** Profile keys name the input shapes too (SSA_SEG_PROFILE=args). */
  readonly profileByArgs = typeof process !== 'undefined' && process.env?.SSA_SEG_PROFILE === 'args';

  /** Host kernels in use (CPU modes only); null: every op runs as a gpu.js kernel. */
  host: HostKernels | null = null;

  constructor(
    readonly name: GpuMode,
    readonly isAsync: boolean,
  ) {
    this.gpu = createGpu(name);
  }

  /** Installs (or with null removes) host kernels for the hot contractions; ignored on GPU modes. */
  setHostKernels(h: HostKernels | null): void {
    this.host = h;
  }

  // ---- storage owner ----

  releaseValue(value: unknown): void {
    // NOTE: host-kernel outputs go back to the pool for the next kernel of that size (buffer-pool.ts).
    if (value instanceof Float32Array) {
      if (this.host?.release?.(value)) return;
      return hostPool.give(value);
    }
    const v = value as { delete?: () => void };
    if (v && typeof v.delete === 'function') v.delete();
  }

  // ---- kernel plumbing ----

  private kernel(fn: KernelSource): IKernelRunShortcut {
    let k = this.compiled.get(fn);
    if (!k) {
      k = this.gpu.createKernel(fn, {
        output: [1],
        dynamicOutput: true,
        dynamicArguments: true,
        pipeline: true,
        immutable: true,
        precision: 'single',
        tactic: 'precision',
        loopMaxIterations: 1 << 24,
        asyncMode: this.isAsync,
      } as never) as IKernelRunShortcut;
      this.compiled.set(fn, k);
    }
    return k;
  }

  /** Records which gpu.js mode actually ran a kernel, once, after its first call. */
  private noteMode(fn: KernelSource, k: IKernelRunShortcut): void {
    const inner = (k as unknown as { kernel?: { constructor?: { mode?: string }; fallbackReason?: string | null } }).kernel;
    const mode = inner?.constructor?.mode;
    // NOTE: GL kernels report their family ('gpu'); only a move to plain JS, or a stated reason, is a fallback.
    const moved = !!inner?.fallbackReason || (mode === 'cpu' && this.name !== 'cpu');
    if (moved && !this.fallbacks.has(fn.name)) {
      this.fallbacks.set(fn.name, inner?.fallbackReason ?? `ran on ${mode}`);
    }
  }

  /**
   * Launches `fn` over an output of `shape`. Tensor arguments are read from their storages when the
   * kernel actually runs; in async mode their storages are held until then.
   */
  private launch(op: string, fn: KernelSource, args: readonly Arg[], shape: Shape, dtype: DType): RawTensor {
    const k = this.kernel(fn);
    return this.enqueue(op, fn.name, args, shape, dtype, (values, size) => {
      k.setOutput([size]);
      const r = k(...(values as never[]));
      this.noteMode(fn, k);
      return r;
    });
  }

  /**
   * Runs `exec` (a kernel launch, or a host implementation) on the argument values, synchronously or
   * on the in-order queue. The output storage takes whatever `exec` returns (or resolves to).
   */
  private enqueue(op: string, name: string, args: readonly Arg[], shape: Shape, dtype: DType, exec: (values: unknown[], size: number) => unknown): RawTensor {
    return this.enqueueOutputs(op, name, args, [shape], dtype, exec)[0];
  }

  /**
   * `enqueue` for a host kernel with `count` (>= 2) outputs of one shape and dtype, produced by one
   * call: `exec` returns (or resolves to) `count` values, one per output storage, each released on
   * its own (host arrays from the buffer pool go back to it one by one).
   */
  private enqueueMulti(
    op: string, name: string, args: readonly Arg[], shape: Shape, dtype: DType, count: number,
    exec: (values: unknown[], size: number) => readonly unknown[] | Promise<readonly unknown[]>,
  ): RawTensor[] {
    if (!(Number.isInteger(count) && count >= 2)) throw new Error(`internal: enqueueMulti needs 2 or more outputs, got ${count}`);
    return this.enqueueOutputs(op, name, args, Array.from({ length: count }, () => shape), dtype, exec);
  }

  /**
   * enqueueMulti for outputs of different shapes (one dtype), e.g. a map and its per-channel
   * statistics; `exec`'s `size` is the first output's. Every output must be non-empty.
   */
  private enqueueShaped(
    op: string, name: string, args: readonly Arg[], shapes: readonly Shape[], dtype: DType,
    exec: (values: unknown[], size: number) => readonly unknown[] | Promise<readonly unknown[]>,
  ): RawTensor[] {
    if (shapes.length < 2 || shapes.some((s) => sizeOf(s) === 0)) throw new Error(`internal: enqueueShaped needs 2 or more non-empty outputs, got ${shapes.map((s) => `[${s.join(', ')}]`).join(', ')}`);
    return this.enqueueOutputs(op, name, args, shapes, dtype, exec);
  }

  /**
   * enqueue's body for one output per shape in `shapes`: with one output `exec`'s result is that
   * storage's value, with more an array of one value per output. `exec`'s `size` is the first
   * output's; when it is 0 every output is empty (enqueueShaped never has empty outputs).
   */
  /** The values a kernel reads: each input storage's value, other arguments as they are. */
  private inputValues(inputs: readonly unknown[]): unknown[] {
    return inputs.map((v) => {
      if (!(v instanceof Storage)) return v;
      if (v.error) throw v.error;
      // NOTE: gpu.js cannot take an empty argument; kernels never read an empty input's cells.
      return v.size === 0 ? this.emptyStandIn() : v.value;
    });
  }

  /** The error a failed kernel leaves on its outputs, naming the op, kernel and backend. */
  private kernelError(op: string, name: string, e: unknown): Error {
    // NOTE: an input's own failure is passed on as it is, so the message names the op that failed.
    if (e instanceof Error && (e as Error & { fromKernel?: boolean }).fromKernel) return e;
    const err = new Error(`${op}: kernel ${name} failed on the ${this.name} backend: ${(e as Error)?.message ?? String(e)}`);
    (err as Error & { cause?: unknown; fromKernel?: boolean }).cause = e;
    (err as Error & { fromKernel?: boolean }).fromKernel = true;
    return err;
  }

  // NOTE: no named closures per launch: under tsx/esbuild (keepNames) each one costs a __name call.
  private enqueueOutputs(op: string, name: string, args: readonly Arg[], shapes: readonly Shape[], dtype: DType, exec: (values: unknown[], size: number) => unknown): RawTensor[] {
    for (const shape of shapes) assertValidShape(op, shape, 'output shape');
    const shape = shapes[0];
    const size = sizeOf(shape);
    const storages = shapes.map((s) => new Storage(this, sizeOf(s), dtype));
    const outs = storages.map((s, i) => new RawTensor(shapes[i], dtype, s));
    if (size === 0) {
      for (const s of storages) s.value = new Float32Array(0);
      return outs;
    }
    const inputs = args.map((a) => (a instanceof RawTensor ? a.storageFor(op) : a));
    this.launches++;
    if (!this.isAsync) {
      const t0 = this.profile ? performance.now() : 0;
      try {
        settleOutputs(storages, exec(this.inputValues(inputs), size));
      } catch (e) {
        throw this.kernelError(op, name, e);
      }
      if (this.profile) {
        const argShapes = this.profileByArgs ? ' ← ' + args.map((a) => (a instanceof RawTensor ? `[${a.shape.join(',')}]` : typeof a === 'number' ? String(a) : '·')).join(' ') : '';
        const key = this.profileByShape ? `${name} ${op} [${shape.join(',')}]${argShapes}` : name;
        const e = this.profile.get(key) ?? { calls: 0, ms: 0, cells: 0 };
        e.calls++;
        e.ms += performance.now() - t0;
        e.cells += size;
        this.profile.set(key, e);
      }
      return outs;
    }
    const held = inputs.filter((v): v is Storage => v instanceof Storage);
    for (const s of held) s.hold();
    const run = async () => {
      try {
        settleOutputs(storages, await exec(this.inputValues(inputs), size));
      } catch (e) {
        const err = this.kernelError(op, name, e);
        for (const s of storages) s.error = err;
      } finally {
        for (const s of held) s.unhold();
      }
    };
    const p = this.tail.then(run);
    this.tail = p;
    for (const s of storages) {
      s.ready = p.then(() => {
        s.ready = null;
      });
    }
    return outs;
  }

  private standIn: unknown = null;

  /**
   * What an empty input is passed as: a 1-cell host array, or on GL modes a 1-cell texture (GL kernels
   * must never see host arrays and textures in the same argument slot).
   */
  private emptyStandIn(): unknown {
    if (this.standIn === null) {
      const gl = this.name === 'headlessgl' || this.name === 'webgl' || this.name === 'webgl2';
      if (gl) {
        const k = this.kernel(E.uploadKernel);
        k.setOutput([1]);
        this.standIn = k(EMPTY_STAND_IN as never);
      } else this.standIn = EMPTY_STAND_IN;
    }
    return this.standIn;
  }

  /** Whether host kernels may replace gpu.js kernels here (CPU modes keep storages as typed arrays). */
  private get hostOk(): boolean {
    return this.host !== null && (this.name === 'webasm' || this.name === 'cpu');
  }

  // ---- data ----

  upload(data: ArrayLike<number>, shape: Shape, dtype: DType): RawTensor {
    assertValidShape('tensor', shape);
    if (this.name === 'webasm' || this.name === 'cpu') {
      // NOTE: the copy goes into a pooled array, given back when the tensor is released (buffer-pool.ts).
      const arr = hostPool.take(data.length);
      arr.set(data);
      const storage = new Storage(this, arr.length, dtype);
      storage.value = arr;
      return new RawTensor(shape, dtype, storage);
    }
    // NOTE: on GL and WebGPU a copy kernel moves the data into device memory once.
    return this.launch('upload', E.uploadKernel, [Float32Array.from(data)], shape, dtype);
  }

  async download(x: RawTensor): Promise<HostArray> {
    const s = x.storageFor('data');
    if (s.ready) await s.ready;
    if (s.error) throw s.error;
    const v = s.value as Float32Array | { toArray(): Float32Array | Promise<Float32Array> } | null;
    if (v === null) throw new Error(`data: the tensor of shape [${x.shape}] was released before it was read`);
    const flat = v instanceof Float32Array ? v : Float32Array.from((await v.toArray()) as ArrayLike<number>);
    const n = x.size;
    if (x.dtype === 'int32') return Int32Array.from(flat.subarray(0, n));
    return flat === v ? flat.slice(0, n) : flat.subarray(0, n);
  }

  fill(shape: Shape, value: number, dtype: DType): RawTensor {
    const arr = new Float32Array(sizeOf(shape)).fill(value);
    return this.upload(arr, shape, dtype);
  }

  async sync(): Promise<void> {
    await this.tail;
  }

  destroy(): void {
    for (const k of this.compiled.values()) k.destroy();
    this.compiled.clear();
    void this.gpu.destroy();
  }

  // ---- element-wise ----

  unary(op: UnaryOp, x: RawTensor, scalar = 0): RawTensor {
    const fn = UNARY[op] ?? assertNever(op as never, 'unary op');
    const dtype = unaryDType(op, x.dtype);
    if (op === 'powScalar') {
      const isInt = Number.isInteger(scalar) ? 1 : 0;
      const odd = isInt && Math.abs(scalar % 2) === 1 ? 1 : 0;
      return this.launch(op, fn, [x, scalar, isInt, odd], x.shape, dtype);
    }
    const h = this.host;
    if ((op === 'gelu' || op === 'geluGrad') && this.hostOk && h?.gelu) {
      return this.enqueue(op, `${h.name}.${op}`, [x], x.shape, dtype, (v, n) => h.gelu!(v[0] as Float32Array, n, op === 'geluGrad'));
    }
    const minCells = op === 'sigmoid' ? HOST_SIGMOID_MIN_CELLS : HOST_ELEMENTWISE_MIN_CELLS;
    if (HOST_UNARY.includes(op) && x.dtype === 'float32' && x.size >= minCells && this.hostOk && h?.unary) {
      return this.enqueue(op, `${h.name}.${op}`, [x], x.shape, dtype, (v, n) => h.unary!(op as HostUnaryOp, v[0] as Float32Array, n));
    }
    const takesScalar = op.endsWith('Scalar') || op === 'clampMin' || op === 'clampMax';
    return this.launch(op, fn, takesScalar ? [x, scalar] : [x], x.shape, dtype);
  }

  binary(op: BinaryOp, a: RawTensor, b: RawTensor): RawTensor {
    const fn = BINARY[op] ?? assertNever(op as never, 'binary op');
    const dtype = binaryDType(op, a.dtype, b.dtype);
    const code = BROADCAST_OPS.indexOf(op);
    const shape = a.shape.map((d, i) => (d === 1 ? b.shape[i] : d));
    // add/sub/mul/div of two float32 tensors run as host kernels on the CPU modes (int32 stays on gpu.js)
    const h = this.host;
    const same = shapesEqual(a.shape, b.shape);
    const minCells = same ? HOST_ELEMENTWISE_MIN_CELLS : HOST_BROADCAST_MIN_CELLS;
    const onHost = code >= 0 && a.dtype === 'float32' && b.dtype === 'float32' && sizeOf(shape) >= minCells && this.hostOk && !!h?.binary;
    const hostRun = (d: readonly number[], sa: readonly number[], sb: readonly number[]) =>
      this.enqueue(op, `${h!.name}.${op}`, [a, b], shape, dtype, (v) =>
        h!.binary!(op as HostBinaryOp, v[0] as Float32Array, v[1] as Float32Array, d as [number, number, number], sa as [number, number, number], sb as [number, number, number]));
    if (same) {
      if (onHost) return hostRun([1, 1, sizeOf(shape)], [0, 0, 1], [0, 0, 1]);
      return this.launch(op, fn, [a, b], a.shape, dtype);
    }
    const [dims, sa, sb] = collapse2(shape, broadcastStrides(a.shape), broadcastStrides(b.shape));
    if (code >= 0 && dims.length <= 3) {
      const pad3 = (v: number[], fill: number) => [...new Array<number>(3 - v.length).fill(fill), ...v];
      const d = pad3(dims, 1);
      if (onHost) return hostRun(d, pad3(sa, 0), pad3(sb, 0));
      const meta = Float32Array.from([code, d[1], d[2], ...pad3(sa, 0), ...pad3(sb, 0)]);
      return this.launch(op, E.broadcastBinaryKernel, [a, b, meta], shape, dtype);
    }
    // NOTE: other ops, or operands that stay above rank 3 once merged, read broadcast copies.
    const x = shapesEqual(a.shape, shape) ? null : this.strided(a, shape, broadcastStrides(a.shape), 0);
    const y = shapesEqual(b.shape, shape) ? null : this.strided(b, shape, broadcastStrides(b.shape), 0);
    const out = this.launch(op, fn, [x ?? a, y ?? b], shape, dtype);
    x?.dispose();
    y?.dispose();
    return out;
  }

  where(cond: RawTensor, a: RawTensor, b: RawTensor): RawTensor {
    const dtype = a.dtype === 'int32' && b.dtype === 'int32' ? 'int32' : 'float32';
    return this.launch('where', E.whereKernel, [cond, a, b], a.shape, dtype);
  }

  cast(x: RawTensor, dtype: DType): RawTensor {
    if (dtype === 'int32' && x.dtype === 'float32') return this.launch('cast', E.truncKernel, [x], x.shape, 'int32');
    return this.launch('cast', E.copyKernel, [x], x.shape, dtype);
  }

  // ---- movement ----

  strided(x: RawTensor, shape: Shape, strides: readonly number[], offset: number): RawTensor {
    // NOTE: merged axes need fewer index divisions per cell: a per-channel expand [1,C,1,1] →
    // [N,C,H,W] is a rank-3 read, a transpose of the last two axes of [B,M,N] stays rank 3.
    const [dims, st] = collapseAxes(shape, strides);
    // NOTE: on the CPU modes every storage holds a Float32Array (int32 ones integer values), and the
    // host kernel copies bits: both dtypes go.
    const h = this.host;
    if (dims.length <= 3 && sizeOf(shape) >= HOST_STRIDED_MIN_CELLS && this.hostOk && h?.strided) {
      const d = [...new Array<number>(3 - dims.length).fill(1), ...dims] as [number, number, number];
      const s = [...new Array<number>(3 - st.length).fill(0), ...st] as [number, number, number];
      return this.enqueue('strided', `${h.name}.strided`, [x], shape, x.dtype, (v) => h.strided!(v[0] as Float32Array, d, s, offset));
    }
    if (dims.length <= 1) return this.launch('strided', Mv.strided1Kernel, [x, Float32Array.from([offset, st[0] ?? 1])], shape, x.dtype);
    if (dims.length === 2) return this.launch('strided', Mv.strided2Kernel, [x, Float32Array.from([offset, dims[1], ...st])], shape, x.dtype);
    if (dims.length === 3) return this.launch('strided', Mv.strided3Kernel, [x, Float32Array.from([offset, dims[1], dims[2], ...st])], shape, x.dtype);
    const meta = Float32Array.from([offset, ...pad6(dims, 1), ...pad6(st, 0)]);
    return this.launch('strided', Mv.stridedKernel, [x, meta], shape, x.dtype);
  }

  cat(a: RawTensor, b: RawTensor, axis: number): RawTensor {
    const shape = a.shape.map((d, i) => (i === axis ? d + b.shape[axis] : d));
    const meta = Float32Array.from([a.shape[axis], b.shape[axis], sizeOf(a.shape.slice(axis + 1))]);
    return this.launch('cat', Mv.cat2Kernel, [a, b, meta], shape, a.dtype);
  }

  pad(x: RawTensor, pads: readonly (readonly [number, number])[], value: number): RawTensor {
    const outShape = x.shape.map((d, i) => d + pads[i][0] + pads[i][1]);
    const xStrides: number[] = [];
    let acc = 1;
    for (let i = x.rank - 1; i >= 0; i--) {
      xStrides.unshift(acc);
      acc *= x.shape[i];
    }
    const meta = Float32Array.from([
      value,
      ...pad6(outShape, 1),
      ...pad6(pads.map((p) => p[0]), 0),
      ...pad6(x.shape, 1),
      ...pad6(xStrides, 0),
    ]);
    return this.launch('pad', Mv.padKernel, [x, meta], outShape, x.dtype);
  }

  gather(x: RawTensor, index: RawTensor, axis: number): RawTensor {
    const inner = sizeOf(x.shape.slice(axis + 1));
    const h = this.host;
    const hostSize = index.size >= HOST_GATHER_MIN_CELLS && x.size <= HOST_GATHER_MAX_RATIO * index.size;
    if (x.dtype === 'float32' && index.dtype === 'int32' && hostSize && this.hostOk && h?.gather) {
      const outer = sizeOf(x.shape.slice(0, axis));
      return this.enqueue('gather', `${h.name}.gather`, [x, index], index.shape, x.dtype, (v) =>
        h.gather!(v[0] as Float32Array, v[1] as Float32Array, outer, index.shape[axis], inner, x.shape[axis]));
    }
    const meta = Float32Array.from([index.shape[axis], inner, x.shape[axis]]);
    return this.launch('gather', Mv.gatherKernel, [x, index, meta], index.shape, x.dtype);
  }

  scatterAdd(src: RawTensor, index: RawTensor, axis: number, xShape: Shape): RawTensor {
    const inner = sizeOf(xShape.slice(axis + 1));
    const h = this.host;
    if (src.dtype === 'float32' && index.dtype === 'int32' && sizeOf(xShape) >= HOST_SCATTER_MIN_CELLS && this.hostOk && h?.scatterAdd) {
      const outer = sizeOf(xShape.slice(0, axis));
      return this.enqueue('scatterAdd', `${h.name}.scatterAdd`, [src, index], xShape, src.dtype, (v) =>
        h.scatterAdd!(v[0] as Float32Array, v[1] as Float32Array, outer, index.shape[axis], inner, xShape[axis]));
    }
    const meta = Float32Array.from([index.shape[axis], inner, xShape[axis]]);
    return this.launch('scatterAdd', Mv.scatterAddKernel, [src, index, meta], xShape, src.dtype);
  }

  oneHot(labels: RawTensor, K: number): RawTensor {
    return this.launch('oneHot', Mv.oneHotKernel, [labels, K], [...labels.shape, K], 'float32');
  }

  // ---- reductions ----

  reduce(op: ReduceOp, x: RawTensor, outShape: Shape): RawTensor {
    const Rlen = x.shape[x.rank - 1] ?? 1;
    const M = sizeOf(outShape);
    if (op === 'argmax' || op === 'argmin') {
      const fn = op === 'argmax' ? R.argmaxReduceKernel : R.argminReduceKernel;
      return this.launch(op, fn, [x, Rlen], outShape, 'int32');
    }
    const h = this.host;
    if (op === 'sum' && x.dtype === 'float32' && this.hostOk && h?.sumRows) {
      return this.enqueue(op, `${h.name}.sum`, [x], outShape, x.dtype, (v, rows) => h.sumRows!(v[0] as Float32Array, rows, Rlen));
    }
    const fn = op === 'sum' ? R.sumReduceKernel : op === 'max' ? R.maxReduceKernel : op === 'min' ? R.minReduceKernel : assertNever(op, 'reduce op');
    if (Rlen <= ONE_PASS_MAX) return this.launch(op, fn, [x, Rlen, 1, Rlen], outShape, x.dtype);
    // NOTE: two passes: chunks of ~√R per thread, then one thread per row over the partials.
    const chunk = Math.ceil(Math.sqrt(Rlen));
    const J = Math.ceil(Rlen / chunk);
    const partial = this.launch(op, fn, [x, Rlen, J, chunk], [M, J], x.dtype);
    const out = this.launch(op, fn, [partial, J, 1, J], outShape, x.dtype);
    partial.dispose();
    return out;
  }

  // ---- contractions ----

  matmul(a: RawTensor, b: RawTensor, s: MatmulSpec, outShape: Shape): RawTensor {
    const h = this.host;
    if (this.hostOk && h?.matmul) {
      return this.enqueue('matmul', `${h.name}.matmul`, [a, b], outShape, 'float32', (v) => h.matmul!(v[0] as Float32Array, v[1] as Float32Array, s));
    }
    const meta = Float32Array.from([s.M, s.N, s.K, s.aBatch, s.aRow, s.aCol, s.bBatch, s.bRow, s.bCol]);
    return this.launch('matmul', matmulKernel, [a, b, meta], outShape, 'float32');
  }

  /**
   * The fused SSA inference pass on the host kernels, or null where there is none (GPU modes, or the
   * CPU modes without host kernels): the caller then runs the composite of ordinary ops.
   */
  ssaLogits(feat: RawTensor, weights: readonly (RawTensor | null)[], s: SsaLogitsSpec): RawTensor | null {
    const h = this.host;
    if (!this.hostOk || !h?.ssaLogits) return null;
    const present = weights.filter((w): w is RawTensor => w !== null);
    return this.enqueue('ssaLogits', `${h.name}.ssaLogits`, [feat, ...present], [s.B, s.K, s.h, s.w], 'float32', (v) => {
      let i = 1;
      const ws = weights.map((w) => (w === null ? null : (v[i++] as Float32Array)));
      return h.ssaLogits!(v[0] as Float32Array, ws, s);
    });
  }

  /**
   * interpolate's resampling of every plane in one host call, or null where there is no host kernel
   * (GPU modes, or the CPU modes without host kernels): the caller then runs two matmuls.
   */
  resample2d(x: RawTensor, hAxis: ResampleAxis, wAxis: ResampleAxis, outShape: Shape): RawTensor | null {
    const h = this.host;
    // NOTE: an empty x (H or W of 0 too) keeps the matmuls, which handle every empty shape already.
    if (!this.hostOk || !h?.resample2d || x.dtype !== 'float32' || x.size === 0) return null;
    const planes = x.size / (hAxis.inSize * wAxis.inSize);
    return this.enqueue('resample2d', `${h.name}.resample2d`, [x], outShape, 'float32', (v) => h.resample2d!(v[0] as Float32Array, planes, hAxis, wAxis));
  }

  /**
   * Fused softmax cross-entropy (Backend.softmaxCrossEntropy), there only while host kernels with it
   * are installed on a CPU mode: a getter, so that crossEntropy's composite runs everywhere else
   * (the GPU modes, SSA_SEG_WASM_KERNELS=0) without asking first. One host call for both outputs.
   */
  get softmaxCrossEntropy(): ((x: RawTensor, target: RawTensor, ignoreIndex: number) => [RawTensor, RawTensor]) | undefined {
    const h = this.host;
    if (!this.hostOk || !h?.softmaxCrossEntropy || !h.softmaxCrossEntropyBackward) return undefined;
    return (x, target, ignoreIndex) => {
      const [N, C] = x.shape;
      const S = sizeOf(x.shape.slice(2));
      const [loss, lse] = this.enqueueMulti('crossEntropy', `${h.name}.softmaxCrossEntropy`, [x, target], target.shape, 'float32', 2, (v) =>
        h.softmaxCrossEntropy!(v[0] as Float32Array, v[1] as Float32Array, N, C, S, ignoreIndex));
      return [loss, lse];
    };
  }

  /** The gradient of softmaxCrossEntropy, on the host kernels (present with it). */
  get softmaxCrossEntropyBackward(): ((x: RawTensor, target: RawTensor, lse: RawTensor, g: RawTensor, ignoreIndex: number) => RawTensor) | undefined {
    const h = this.host;
    if (!this.hostOk || !h?.softmaxCrossEntropyBackward) return undefined;
    return (x, target, lse, g, ignoreIndex) => {
      const [N, C] = x.shape;
      const S = sizeOf(x.shape.slice(2));
      return this.enqueue('crossEntropy', `${h.name}.softmaxCrossEntropyBackward`, [x, target, lse, g], x.shape, 'float32', (v) =>
        h.softmaxCrossEntropyBackward!(v[0] as Float32Array, v[1] as Float32Array, v[2] as Float32Array, v[3] as Float32Array, N, C, S, ignoreIndex));
    };
  }

  private convMeta(s: Conv2dSpec): Float32Array {
    return Float32Array.from([s.N, s.Cin, s.H, s.W, s.Cout, s.kh, s.kw, s.OH, s.OW, s.strideH, s.strideW, s.padH, s.padW, s.dilationH, s.dilationW, s.groups]);
  }

  conv2d(x: RawTensor, w: RawTensor, s: Conv2dSpec): RawTensor {
    const h = this.host;
    if (this.hostOk && h?.conv2d) {
      return this.enqueue('conv2d', `${h.name}.conv2d`, [x, w], [s.N, s.Cout, s.OH, s.OW], 'float32', (v) => h.conv2d!(v[0] as Float32Array, v[1] as Float32Array, s));
    }
    return this.launch('conv2d', C.conv2dKernel, [x, w, this.convMeta(s)], [s.N, s.Cout, s.OH, s.OW], 'float32');
  }

  conv2dBackwardInput(dy: RawTensor, w: RawTensor, s: Conv2dSpec): RawTensor {
    const h = this.host;
    if (this.hostOk && h?.conv2dBackwardInput) {
      return this.enqueue('conv2d', `${h.name}.conv2dBackwardInput`, [dy, w], [s.N, s.Cin, s.H, s.W], 'float32', (v) => h.conv2dBackwardInput!(v[0] as Float32Array, v[1] as Float32Array, s));
    }
    return this.launch('conv2d', C.conv2dBackwardInputKernel, [dy, w, this.convMeta(s)], [s.N, s.Cin, s.H, s.W], 'float32');
  }

  conv2dBackwardWeight(x: RawTensor, dy: RawTensor, s: Conv2dSpec): RawTensor {
    const shape = [s.Cout, s.Cin / s.groups, s.kh, s.kw];
    const h = this.host;
    if (this.hostOk && h?.conv2dBackwardWeight) {
      return this.enqueue('conv2d', `${h.name}.conv2dBackwardWeight`, [x, dy], shape, 'float32', (v) => h.conv2dBackwardWeight!(v[0] as Float32Array, v[1] as Float32Array, s));
    }
    return this.launch('conv2d', C.conv2dBackwardWeightKernel, [x, dy, this.convMeta(s)], shape, 'float32');
  }

  conv2dBackward(x: RawTensor, dy: RawTensor, w: RawTensor, s: Conv2dSpec): [RawTensor, RawTensor] | null {
    const h = this.host;
    const shapes = [[s.N, s.Cin, s.H, s.W], [s.Cout, s.Cin / s.groups, s.kh, s.kw]];
    if (!this.hostOk || !h?.conv2dBackward || shapes.some((sh) => sizeOf(sh) === 0)) return null;
    const [dx, dw] = this.enqueueShaped('conv2d', `${h.name}.conv2dBackward`, [x, dy, w], shapes, 'float32', (v) =>
      h.conv2dBackward!(v[0] as Float32Array, v[1] as Float32Array, v[2] as Float32Array, s));
    return [dx, dw];
  }

  private poolMeta(s: Pool2dSpec): Float32Array {
    return Float32Array.from([s.N, s.C, s.H, s.W, s.OH, s.OW, s.kh, s.kw, s.strideH, s.strideW, s.padH, s.padW]);
  }

  pool2d(op: PoolOp, x: RawTensor, s: Pool2dSpec): RawTensor {
    const fn = op === 'avg' ? C.avgPool2dKernel : C.maxPool2dKernel;
    return this.launch(`${op}Pool2d`, fn, [x, this.poolMeta(s)], [s.N, s.C, s.OH, s.OW], 'float32');
  }

  pool2dBackward(op: PoolOp, x: RawTensor, dy: RawTensor, s: Pool2dSpec): RawTensor {
    const shape = [s.N, s.C, s.H, s.W];
    if (op === 'avg') return this.launch('avgPool2d', C.avgPool2dBackwardKernel, [dy, this.poolMeta(s)], shape, 'float32');
    return this.launch('maxPool2d', C.maxPool2dBackwardKernel, [x, dy, this.poolMeta(s)], shape, 'float32');
  }
  // ---- fused ----

  channelAffine(a: RawTensor, b: RawTensor | null, p: RawTensor | null, q: RawTensor | null, r: RawTensor | null): RawTensor {
    const C = a.shape[1] ?? 1;
    const inner = a.size / Math.max(1, (a.shape[0] ?? 1) * C) || 1;
    const hasB = b !== null && q !== null;
    const h = this.host;
    if (this.hostOk && h?.channelAffine) {
      const terms = [a, hasB ? b : null, p, hasB ? q : null, r];
      return this.enqueue('channelAffine', `${h.name}.channelAffine`, terms.filter((t): t is RawTensor => t !== null), a.shape, 'float32', (v, size) => {
        let k = 0;
        const [av, bv, pv, qv, rv] = terms.map((t) => (t ? (v[k++] as Float32Array) : null));
        return h.channelAffine!(av!, bv, pv, qv, rv, C, inner, size);
      });
    }
    const meta = Float32Array.from([C, inner, p ? 1 : 0, hasB ? 1 : 0, r ? 1 : 0]);
    return this.launch('channelAffine', E.channelAffineKernel, [a, hasB ? b : a, p ?? a, hasB ? q : a, r ?? a, meta], a.shape, 'float32');
  }

  adamw(p: RawTensor, g: RawTensor, m: RawTensor, v: RawTensor, step: AdamWStep): [RawTensor, RawTensor, RawTensor] {
    const h = this.host;
    if ([p, g, m, v].every((t) => t.dtype === 'float32') && this.hostOk && h?.adamw) {
      // NOTE: one host call for all three outputs (gpu.js: a launch per output, each recomputing m' and v')
      const [p1, m1, v1] = this.enqueueMulti('adamw', `${h.name}.adamw`, [p, g, m, v], p.shape, 'float32', 3, (vals, size) =>
        h.adamw!(vals[0] as Float32Array, vals[1] as Float32Array, vals[2] as Float32Array, vals[3] as Float32Array, size, step));
      return [p1, m1, v1];
    }
    const meta = (which: number) => Float32Array.from([which, ...adamwMetaValues(step)]);
    const run = (which: number) => this.launch('adamw', E.adamwKernel, [p, g, m, v, meta(which)], p.shape, 'float32');
    return [run(0), run(1), run(2)];
  }

  /**
   * Batch normalisation in training on the host kernels (one call, three outputs), or null where
   * there is none (GPU modes, no host kernels, non-float32 or empty operands): BatchNorm then runs
   * its composite of ordinary ops.
   */
  batchNormForward(x: RawTensor, w: RawTensor, b: RawTensor, eps: number): [RawTensor, RawTensor, RawTensor] | null {
    const h = this.host;
    const geo = bnGeometry(x);
    if (!geo || ![x, w, b].every((t) => t.dtype === 'float32') || !this.hostOk || !h?.batchNormForward) return null;
    const [N, C, inner] = geo;
    const [y, mean, variance] = this.enqueueShaped('batchNorm', `${h.name}.batchNormForward`, [x, w, b], [x.shape, [C], [C]], 'float32', (v) =>
      h.batchNormForward!(v[0] as Float32Array, v[1] as Float32Array, v[2] as Float32Array, N, C, inner, eps));
    return [y, mean, variance];
  }

  /** The gradient of batchNormForward on the host kernels ([dx, dw, db]), or null as there. */
  batchNormBackward(dy: RawTensor, x: RawTensor, w: RawTensor, eps: number): [RawTensor, RawTensor, RawTensor] | null {
    const h = this.host;
    const geo = bnGeometry(x);
    if (!geo || ![dy, x, w].every((t) => t.dtype === 'float32') || !this.hostOk || !h?.batchNormBackward) return null;
    const [N, C, inner] = geo;
    const [dx, dw, db] = this.enqueueShaped('batchNorm', `${h.name}.batchNormBackward`, [dy, x, w], [x.shape, [C], [C]], 'float32', (v) =>
      h.batchNormBackward!(v[0] as Float32Array, v[1] as Float32Array, v[2] as Float32Array, N, C, inner, eps));
    return [dx, dw, db];
  }

  // ---- along one axis: x viewed as [outer, len, inner]; a statistics launch, then an apply launch ----

  /** The shape [outer, inner] of per-row statistics of x viewed as [outer, len, inner]. */
  private rows(x: RawTensor, len: number, inner: number): number[] {
    return [len * inner === 0 ? 0 : x.size / (len * inner), inner];
  }

  softmax(x: RawTensor, len: number, inner: number, log: boolean): RawTensor {
    const meta = Float32Array.from([len, inner, log ? 1 : 0]);
    if (x.size === 0) return this.launch('softmax', R.softmaxAlongKernel, [x, x, meta], x.shape, 'float32');
    const h = this.host;
    if (this.hostOk && h?.softmax) {
      const outer = x.size / (len * inner);
      return this.enqueue('softmax', `${h.name}.softmax`, [x], x.shape, 'float32', (v) => h.softmax!(v[0] as Float32Array, outer, len, inner, log));
    }
    const lse = this.launch('softmax', R.logsumexpAlongKernel, [x, meta], this.rows(x, len, inner), 'float32');
    const y = this.launch('softmax', R.softmaxAlongKernel, [x, lse, meta], x.shape, 'float32');
    lse.dispose();
    return y;
  }

  softmaxBackward(y: RawTensor, dy: RawTensor, len: number, inner: number, log: boolean): RawTensor {
    const meta = Float32Array.from([len, inner, log ? 1 : 0]);
    if (y.size === 0) return this.launch('softmaxBackward', R.softmaxBackwardAlongKernel, [y, dy, y, meta], y.shape, 'float32');
    const h = this.host;
    if (this.hostOk && h?.softmaxBackward) {
      const outer = y.size / (len * inner);
      return this.enqueue('softmaxBackward', `${h.name}.softmaxBackward`, [y, dy], y.shape, 'float32', (v) =>
        h.softmaxBackward!(v[0] as Float32Array, v[1] as Float32Array, outer, len, inner, log));
    }
    // NOTE: Σ dy·y for softmax, Σ dy for log-softmax (dotAlong's useB flag). With the wasm kernels
    // installed this path runs on the GPU modes only (their softmaxBackward covers the CPU modes).
    const sMeta = Float32Array.from([len, inner, 0, log ? 0 : 1]);
    const s = this.launch('softmaxBackward', R.dotAlongKernel, [dy, y, sMeta], this.rows(y, len, inner), 'float32');
    const dx = this.launch('softmaxBackward', R.softmaxBackwardAlongKernel, [y, dy, s, meta], y.shape, 'float32');
    s.dispose();
    return dx;
  }

  /**
   * dotAlongKernel: Σ_r a·b (b given) or Σ_r a along `len` of a viewed as [outer, len, inner], √ of
   * it when `sqrt`; on the host kernels for float32 operands.
   */
  private dotAlong(op: string, a: RawTensor, b: RawTensor | null, len: number, inner: number, sqrt: boolean, shape: Shape): RawTensor {
    const h = this.host;
    if (a.dtype === 'float32' && (b === null || b.dtype === 'float32') && this.hostOk && h?.dotAlong) {
      // NOTE: Σ x·x passes x once (the host copies it into WebAssembly memory once).
      const args = b === null || b === a ? [a] : [a, b];
      return this.enqueue(op, `${h.name}.dotAlong`, args, shape, 'float32', (v, cells) =>
        h.dotAlong!(v[0] as Float32Array, b === null ? null : (v[b === a ? 0 : 1] as Float32Array), cells / inner, len, inner, sqrt));
    }
    return this.launch(op, R.dotAlongKernel, [a, b ?? a, Float32Array.from([len, inner, sqrt ? 1 : 0, b === null ? 0 : 1])], shape, 'float32');
  }

  norm(x: RawTensor, len: number, inner: number): RawTensor {
    return this.dotAlong('norm', x, x, len, inner, true, this.rows(x, len, inner));
  }

  normalize(x: RawTensor, len: number, inner: number, eps: number): [RawTensor, RawTensor] {
    const n = this.dotAlong('normalize', x, x, len, inner, true, this.rows(x, len, inner));
    const h = this.host;
    if (x.dtype === 'float32' && this.hostOk && h?.normalizeAlong) {
      // NOTE: not kind 12's f32 div by a broadcast (n + eps): gpu.js adds eps and divides in f64.
      const outer = len * inner === 0 ? 0 : x.size / (len * inner);
      const y = this.enqueue('normalize', `${h.name}.normalizeAlong`, [x, n], x.shape, 'float32', (v) =>
        h.normalizeAlong!(v[0] as Float32Array, v[1] as Float32Array, outer, len, inner, eps));
      return [y, n];
    }
    const y = this.launch('normalize', R.normalizeAlongKernel, [x, n, Float32Array.from([len, inner, eps])], x.shape, 'float32');
    return [y, n];
  }

  normalizeBackward(x: RawTensor, n: RawTensor, dy: RawTensor, len: number, inner: number, eps: number): RawTensor {
    const s = this.dotAlong('normalizeBackward', dy, x, len, inner, false, n.shape);
    const dx = this.launch('normalizeBackward', R.normalizeBackwardAlongKernel, [x, dy, n, s, Float32Array.from([len, inner, eps])], x.shape, 'float32');
    s.dispose();
    return dx;
  }

}
