/**
 * The backend vocabulary: the raw operations every backend implements on RawTensors (no autograd).
 * Two implementations: `backends/gpu` (gpu.js kernels: webgpu, headlessgl, webgl2, webasm, cpu) and
 * `backends/reference` (plain loops over Float64Array: the float64 test oracle).
 *
 * Conventions every implementation follows:
 * - Storage is flat, row-major. Methods are synchronous: they return the output handle at once. An
 *   asynchronous backend queues the work and sets `storage.ready`; `download` awaits it.
 * - Shapes arrive already validated by the tensor layer (broadcast, axes normalised), so methods
 *   may assume them; they check only what the tensor layer cannot know.
 * - int32 tensors hold integer values; kernels compute on them as numbers.
 */
import type { DType, HostArray } from './dtype.js';
import type { RawTensor } from './raw-tensor.js';
import type { Shape } from './shape.js';

/** Element-wise ops of one input. The `*Scalar` ops and `clampMin`/`clampMax` take `scalar`. */
export type UnaryOp =
  | 'neg' | 'exp' | 'log' | 'sqrt' | 'rsqrt' | 'abs' | 'sign' | 'square' | 'reciprocal'
  | 'relu' | 'step' | 'sigmoid' | 'tanh' | 'gelu' | 'geluGrad' | 'erf' | 'floor' | 'copy'
  | 'addScalar' | 'mulScalar' | 'powScalar' | 'rpowScalar' | 'clampMin' | 'clampMax'
  | 'eqScalar' | 'neScalar' | 'ltScalar' | 'leScalar' | 'gtScalar' | 'geScalar';

/** Element-wise ops of two equal-shaped inputs. Comparisons give 0/1 masks. */
export type BinaryOp =
  | 'add' | 'sub' | 'mul' | 'div' | 'pow' | 'maximum' | 'minimum'
  | 'eq' | 'ne' | 'lt' | 'le' | 'gt' | 'ge';

/** Reductions over the last axis. argmax/argmin give the first index of the extreme value. */
export type ReduceOp = 'sum' | 'max' | 'min' | 'argmax' | 'argmin';

/** Batched matrix product description (all strides in elements; a batch stride of 0 broadcasts). */
export interface MatmulSpec {
  batch: number;
  M: number;
  K: number;
  N: number;
  /** A[b, m, k] = a[b * aBatch + m * aRow + k * aCol] */
  aBatch: number;
  aRow: number;
  aCol: number;
  /** B[b, k, n] = b[b * bBatch + k * bRow + n * bCol] */
  bBatch: number;
  bRow: number;
  bCol: number;
}

/** conv2d geometry, NCHW input, weight [Cout, Cin/groups, kh, kw]. */
export interface Conv2dSpec {
  N: number;
  Cin: number;
  H: number;
  W: number;
  Cout: number;
  kh: number;
  kw: number;
  OH: number;
  OW: number;
  strideH: number;
  strideW: number;
  padH: number;
  padW: number;
  dilationH: number;
  dilationW: number;
  groups: number;
}

/** Pooling geometry, NCHW; avg pooling counts padded cells in its divisor (PyTorch default). */
export interface Pool2dSpec {
  N: number;
  C: number;
  H: number;
  W: number;
  OH: number;
  OW: number;
  kh: number;
  kw: number;
  strideH: number;
  strideW: number;
  padH: number;
  padW: number;
}

export type PoolOp = 'avg' | 'max';

/**
 * The scalars of one AdamW update, PyTorch's arrangement:
 * m' = β₁m + (1−β₁)g;  v' = β₂v + (1−β₂)g²;  p' = p·decay − stepSize · m' / (√v' · invSqrtBc2 + eps),
 * with decay = 1 − lr·wd, stepSize = lr / (1 − β₁ᵗ), invSqrtBc2 = 1 / √(1 − β₂ᵗ).
 */
export interface AdamWStep {
  beta1: number;
  beta2: number;
  decay: number;
  stepSize: number;
  invSqrtBc2: number;
  eps: number;
}

/**
 * The values an AdamW update reads, in the order of gpu.js's adamwKernel meta (after its `which`
 * word) and of the WebAssembly kernel's header: [β₁, 1−β₁, β₂, 1−β₂, decay, stepSize, invSqrtBc2,
 * eps]. Both read them as f32, so both must be built from this one list for the same bits.
 */
export function adamwMetaValues(h: AdamWStep): number[] {
  return [h.beta1, 1 - h.beta1, h.beta2, 1 - h.beta2, h.decay, h.stepSize, h.invSqrtBc2, h.eps];
}

/**
 * Geometry and switches of the fused SSA inference pass (`Backend.ssaLogits`): features [B, C, h, w],
 * K classes, the φ MLPs' hidden width ⌊C/2⌋, and which prototype adaptations are on (at least one).
 */
export interface SsaLogitsSpec {
  B: number;
  C: number;
  K: number;
  h: number;
  w: number;
  hidden: number;
  sepa: boolean;
  sppa: boolean;
}

/**
 * The weights of the fused SSA inference pass, in this order (PyTorch layouts, row-major; null where
 * the switch that needs it is off): conv_seg weight [K, C] and bias [K]; with SPPA get_feat_pos
 * weight [C, 9] and bias [C], center_pos [K, C], center_pos_proj W1 [H, 2C], W2 [C, H], b2 [C];
 * with SEPA center_content_proj W1 [H, 2C], W2 [C, H], b2 [C]; center_proj weight [C, C].
 */
export const SSA_WEIGHT_NAMES = [
  'conv_seg.weight', 'conv_seg.bias',
  'get_feat_pos.weight', 'get_feat_pos.bias', 'center_pos.weight',
  'center_pos_proj.0.weight', 'center_pos_proj.2.weight', 'center_pos_proj.2.bias',
  'center_content_proj.0.weight', 'center_content_proj.2.weight', 'center_content_proj.2.bias',
  'center_proj.weight',
] as const;

/**
 * One axis of a separable resampling (`Backend.resample2d`): the [outSize, inSize] matrix R by rows,
 * row o's nonzeros R[o, start[o] + k] = weights[offset[o] + k] for k < count[o] (count 0: a zero row).
 * Resampling matrices have 1-2 nonzeros per row (nearest, bilinear) and a few per column, so this
 * holds R or Rᵀ in O(out + in) where the dense matrix has out·in cells. Weights are f32, the values
 * the dense f32 matrix of the composite holds.
 */
export interface ResampleAxis {
  readonly inSize: number;
  readonly outSize: number;
  readonly start: Int32Array;
  readonly count: Int32Array;
  readonly offset: Int32Array;
  readonly weights: Float32Array;
}

/**
 * The band description of the dense row-major matrix m [rows, cols] (or, with `transpose`, of mᵀ
 * [cols, rows]): per row, the first and last nonzero and every weight between them.
 */
export function resampleAxis(m: ArrayLike<number>, rows: number, cols: number, transpose = false): ResampleAxis {
  const outSize = transpose ? cols : rows;
  const inSize = transpose ? rows : cols;
  const at = transpose ? (o: number, i: number) => m[i * cols + o] : (o: number, i: number) => m[o * cols + i];
  const start = new Int32Array(outSize);
  const count = new Int32Array(outSize);
  const offset = new Int32Array(outSize);
  const w: number[] = [];
  for (let o = 0; o < outSize; o++) {
    let first = -1;
    let last = -1;
    for (let i = 0; i < inSize; i++) {
      if (at(o, i) === 0) continue;
      if (first < 0) first = i;
      last = i;
    }
    offset[o] = w.length;
    if (first < 0) continue;
    start[o] = first;
    count[o] = last - first + 1;
    for (let i = first; i <= last; i++) w.push(at(o, i));
  }
  return { inSize, outSize, start, count, offset, weights: Float32Array.from(w) };
}

/** Names a user can ask for. 'reference' is the float64 oracle (tests, debugging). */
export type BackendName = 'webgpu' | 'headlessgl' | 'webgl2' | 'webgl' | 'webasm' | 'cpu' | 'reference';

export interface Backend {
  readonly name: BackendName;
  /** True when kernel calls return promises (webgpu, threaded webasm). */
  readonly isAsync: boolean;
  /** Element type of host arrays `download` returns for float32 tensors (Float64Array on the oracle). */
  readonly float64: boolean;

  // ---- data ----
  upload(data: ArrayLike<number>, shape: Shape, dtype: DType): RawTensor;
  /** Copies the values to the host, after any queued work that produces them. */
  download(x: RawTensor): Promise<HostArray>;
  fill(shape: Shape, value: number, dtype: DType): RawTensor;
  /** Waits for every queued kernel to finish (no-op on synchronous backends). */
  sync(): Promise<void>;
  /** Frees compiled kernels and device state. */
  destroy(): void;

  // ---- element-wise ----
  unary(op: UnaryOp, x: RawTensor, scalar?: number): RawTensor;
  /**
   * a ∘ b. Equal shapes, or broadcasting: one rank, and per axis equal sizes or a 1 on either side
   * (the output takes the larger); broadcast operands are read in place, not copied.
   */
  binary(op: BinaryOp, a: RawTensor, b: RawTensor): RawTensor;
  /** out = cond != 0 ? a : b, all three of one shape. */
  where(cond: RawTensor, a: RawTensor, b: RawTensor): RawTensor;
  /** Same values, new dtype (float32 <-> int32; float to int truncates toward zero). */
  cast(x: RawTensor, dtype: DType): RawTensor;

  // ---- movement ----
  /**
   * Strided gather: out[c0..c(r-1)] = x[offset + sum_i c_i * strides[i]] for out of shape `shape`.
   * Serves permute, expand (stride 0), slice with step, and flip (negative stride).
   */
  strided(x: RawTensor, shape: Shape, strides: readonly number[], offset: number): RawTensor;
  /** Concatenation of a and b along `axis` (every other axis equal, one dtype). */
  cat(a: RawTensor, b: RawTensor, axis: number): RawTensor;
  /** Constant padding: pads[i] = [before, after] for axis i (non-negative). */
  pad(x: RawTensor, pads: readonly (readonly [number, number])[], value: number): RawTensor;
  /**
   * out[..., j, ...] = x[..., index[..., j, ...], ...] along `axis`; index has x's shape except along axis.
   * Out-of-range indices read 0.
   */
  gather(x: RawTensor, index: RawTensor, axis: number): RawTensor;
  /** Adjoint of gather: out (shape `xShape`) accumulates src[..., j, ...] at index[..., j, ...] along axis. */
  scatterAdd(src: RawTensor, index: RawTensor, axis: number, xShape: Shape): RawTensor;
  /** labels (int32, any shape) → float32 [...labels.shape, K]; values outside [0, K) give all-zero rows. */
  oneHot(labels: RawTensor, K: number): RawTensor;

  /**
   * Optional: the SSA head's inference pass fused into one launch (features [B, C, h, w], weights in
   * SSA_WEIGHT_NAMES order, null where switched off) → logits [B, K, h, w]; null when this backend
   * has no fused pass. Not differentiable. Callers fall back to the composite of ordinary ops.
   */
  ssaLogits?(feat: RawTensor, weights: readonly (RawTensor | null)[], spec: SsaLogitsSpec): RawTensor | null;
  /**
   * Optional, present only while this backend can run it: softmax cross-entropy of float32 logits
   * x [N, C, ...] against int32 targets [N, ...] in one launch → [loss, lse], each of the targets'
   * shape: loss = lse − x[t] with lse = log Σ_c e^x (along axis 1), and loss 0 where the target is
   * ignoreIndex (or not in [0, C)). Callers without it run the composite (logSoftmax, nllLoss).
   */
  readonly softmaxCrossEntropy?: (x: RawTensor, target: RawTensor, ignoreIndex: number) => [RawTensor, RawTensor];
  /**
   * Its gradient, from the forward's x, targets and lse and the losses' gradient g:
   * dx = (e^(x − lse) − [c = t])·g, 0 at positions whose target is not a class. Present with
   * softmaxCrossEntropy.
   */
  readonly softmaxCrossEntropyBackward?: (x: RawTensor, target: RawTensor, lse: RawTensor, g: RawTensor, ignoreIndex: number) => RawTensor;

  /**
   * Optional: out[p] = Rh · x[p] · Rwᵀ over the planes p of x [..., H, W] → `outShape` [..., OH, OW],
   * with h = Rh [OH, H] and w = Rw [OW, W] as bands, in one launch (interpolate and its backward,
   * which passes the transposed matrices); null when this backend has no such kernel. Callers fall
   * back to two matmuls with the dense matrices.
   */
  resample2d?(x: RawTensor, h: ResampleAxis, w: ResampleAxis, outShape: Shape): RawTensor | null;

  // ---- reductions ----
  /** x viewed as [M, R] (R = last axis size) → [M] (the shape given); argmax/argmin give int32. */
  reduce(op: ReduceOp, x: RawTensor, outShape: Shape): RawTensor;

  // ---- contractions ----
  /** out [batch, M, N] (shape given by `outShape`) per MatmulSpec. */
  matmul(a: RawTensor, b: RawTensor, spec: MatmulSpec, outShape: Shape): RawTensor;
  /** y [N, Cout, OH, OW] = conv(x, w), no bias. */
  conv2d(x: RawTensor, w: RawTensor, spec: Conv2dSpec): RawTensor;
  /** dx [N, Cin, H, W] from dy [N, Cout, OH, OW] and w. */
  conv2dBackwardInput(dy: RawTensor, w: RawTensor, spec: Conv2dSpec): RawTensor;
  /** dw [Cout, Cin/groups, kh, kw] from x and dy. */
  conv2dBackwardWeight(x: RawTensor, dy: RawTensor, spec: Conv2dSpec): RawTensor;
  /**
   * Optional: both gradients at once → [dx, dw], each as conv2dBackwardInput / conv2dBackwardWeight
   * define it; null when this backend has no joint pass (the caller then makes the two calls). The CPU
   * modes' WebAssembly kernels run the two as one job, so a second thread has enough work to pay.
   */
  conv2dBackward?(x: RawTensor, dy: RawTensor, w: RawTensor, spec: Conv2dSpec): [RawTensor, RawTensor] | null;
  /** y [N, C, OH, OW]; max pooling ignores padded cells (as -inf), avg counts them as 0. */
  pool2d(op: PoolOp, x: RawTensor, spec: Pool2dSpec): RawTensor;
  /** dx [N, C, H, W]; for max, each window's gradient goes to its first maximal cell. */
  pool2dBackward(op: PoolOp, x: RawTensor, dy: RawTensor, spec: Pool2dSpec): RawTensor;

  // ---- fused ----
  /**
   * out = a·p[c] + b·q[c] + r[c], for a (and b, same shape) of shape [N, C, ...] with c the index on
   * axis 1 and p, q, r of size C. A null p means 1; a null b or q drops that term; a null r means 0.
   * The per-channel multiply-add of batch normalisation and of its backward, without broadcast copies.
   */
  channelAffine(a: RawTensor, b: RawTensor | null, p: RawTensor | null, q: RawTensor | null, r: RawTensor | null): RawTensor;
  /**
   * One AdamW update of a parameter (see `AdamWStep`): returns the new [param, exp_avg, exp_avg_sq].
   * All four inputs have the same shape.
   */
  adamw(p: RawTensor, g: RawTensor, m: RawTensor, v: RawTensor, h: AdamWStep): [RawTensor, RawTensor, RawTensor];
  /**
   * Optional: batch normalisation in training fused into one launch: x [N, C, ...], weight and bias
   * [C] → [y, mean, var] with the batch mean and biased variance over every axis but 1 and
   * y = (x − mean)/√(var + eps)·weight + bias; null when this backend has no fused pass (the caller
   * then runs the composite of ordinary ops, see autograd/functions/norm.ts).
   */
  batchNormForward?(x: RawTensor, w: RawTensor, b: RawTensor, eps: number): [RawTensor, RawTensor, RawTensor] | null;
  /**
   * Optional: the gradient of batchNormForward (statistics recomputed from x) → [dx, dw, db]; null
   * as there.
   */
  batchNormBackward?(dy: RawTensor, x: RawTensor, w: RawTensor, eps: number): [RawTensor, RawTensor, RawTensor] | null;

  // ---- along one axis: x viewed as [outer, R, inner], the op runs along R (no permuted copies) ----
  /**
   * softmax (log false) or log-softmax (log true) along R: y = exp(x − lse) or x − lse, with
   * lse = m + ln Σ_r exp(x − m), m = max_r x, per (outer, inner) row.
   */
  softmax(x: RawTensor, R: number, inner: number, log: boolean): RawTensor;
  /** The gradient of `softmax` given its output y: dx = y·(dy − Σ_r dy·y), or dx = dy − exp(y)·Σ_r dy (log). */
  softmaxBackward(y: RawTensor, dy: RawTensor, R: number, inner: number, log: boolean): RawTensor;
  /** ‖x‖₂ along R: sqrt(Σ_r x²) of shape [outer, inner]. */
  norm(x: RawTensor, R: number, inner: number): RawTensor;
  /**
   * y = x / (‖x‖₂ + eps) along R. Returns [y, n] with n = ‖x‖₂ of shape [outer, inner] (kept for
   * the backward).
   */
  normalize(x: RawTensor, R: number, inner: number, eps: number): [RawTensor, RawTensor];
  /** The gradient of `normalize`: dx = dy/d − x·(Σ_r dy·x)/(n·d²), d = n + eps; the second term is 0 where n = 0. */
  normalizeBackward(x: RawTensor, n: RawTensor, dy: RawTensor, R: number, inner: number, eps: number): RawTensor;
}
