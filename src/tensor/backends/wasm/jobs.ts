/**
 * Job builders: lay one contraction's operands, offset tables and scratch out in the runtime's arena
 * and write the job header kernels.wat reads (word layout documented at the top of kernels.wat).
 * Each builder returns the job address and a reader for the result; the caller runs the job.
 *
 * How each op maps onto the kernels:
 * - matmul: GEMM tasks over (batch, row chunk, column chunk); B is read through row/column offset
 *   tables, so transposes and strides cost nothing beyond packing, and batch stride 0 broadcasts.
 * - conv2d: per (image, group, pixel chunk), y = W_g · im2col(x), im2col read on the fly by the B
 *   packer from a zero-padded copy of the image. Depthwise stride 1 runs direct SIMD loops instead.
 * - conv2dBackwardInput: stride 1 is the forward conv of dy with the flipped, transposed weights
 *   and padding (k−1)·d − p; other strides split dx into output phases (sH·sW of them), each a
 *   stride-1 GEMM of its taps' weights with a zero-padded flat frame of dy, read in place, whose
 *   results are written to their dx cells once (no scatter-add).
 * - conv2dBackwardWeight: per (group, tap chunk), Σ_n dy[n] · im2col(x[n])ᵀ, each task owning its
 *   slice of dW (no reduction); depthwise stride 1 runs direct SIMD loops.
 * - channelAffine, gelu, sumRows: one streaming pass; tasks are runs of whole rows or of 16 floats,
 *   so every thread count gives the same bits.
 * - softmax, softmaxBackward along an axis ([outer, R, inner]): per-row statistics and the apply in
 *   one task; tasks are runs of rows (inner = 1) or of 4-column groups, so every thread count gives
 *   the same bits.
 * - binary (add, sub, mul, div) over out viewed as [d0, d1, d2] with per-operand strides, and unary
 *   (relu, step, square, neg, sigmoid): one streaming pass, each cell on its own; tasks are runs of
 *   rows and columns (binary) or of 16 floats (unary).
 * - dotAlong (Σ a·b or Σ a along R of [outer, R, inner], optional √) and normalizeAlong
 *   (x / (n + eps)): in f64 as gpu.js's cpu mode, each sum r = 0..R−1 in order; tasks are runs of
 *   rows (inner = 1) or 8-column groups (dotAlong), or of outer indices (normalizeAlong).
 * - gather and scatterAdd along an axis: cell by cell; gather's tasks are runs of output cells,
 *   scatterAdd's own columns of one outer index (every output cell gets its terms in index order).
 * - strided (a view's cells made contiguous, out [d0, d1, d2] read through x's strides): a copy, only
 *   of the part of x the strides reach; tasks as binary's.
 * - ssaLogits (the SSA-Seg head's inference pass, kind 19): one task per image, computed whole by one
 *   thread (so every thread count gives the same bits); its products read the [C, N] maps and the
 *   row-major weights in place (register-tiled, no packing of the maps), the two softmaxes share
 *   their e^x, and the depthwise 3×3 runs a direct loop ($dw_plane3); the scratch holds the image's maps.
 * - adamw (kind 20): the new parameter and both moments of one AdamW update in one streaming pass,
 *   in f64 as gpu.js's cpu-mode adamwKernel; tasks are runs of 16 floats; three outputs read back.
 * - resample2d (kind 23): interpolate's Rh · x · Rwᵀ per plane, both matrices as bands (a few
 *   nonzeros per row), one pass per axis through the task scratch; tasks are runs of whole planes.
 * - softmaxCrossEntropy and its backward (kinds 21, 22): per group of 8 neighbouring positions, the
 *   class max, Σ e^(x − m) and the loss (or the gradient of every class) in one task; tasks are runs
 *   of groups, so every thread count gives the same bits.
 * - batchNormForward / batchNormBackward (kinds 25 and 26): batch normalisation in training, each
 *   channel's statistics (two-pass, sums in f64) and its f32x4 map in one task; tasks are runs of whole channels,
 *   so every thread count gives the same bits; three outputs read back (one of x's shape, two of C).
 */
import { type AdamWStep, type Conv2dSpec, type MatmulSpec, type ResampleAxis, SSA_WEIGHT_NAMES, type SsaLogitsSpec, adamwMetaValues } from '../../backend.js';
import type { HostBinaryOp, HostUnaryOp } from '../gpu/gpu-backend.js';
import type { WasmRuntime } from './runtime.js';

const KIND_GEMM = 1;
const KIND_CONV_FWD = 2;
const KIND_CONV_BWD_INPUT = 3;
const KIND_CONV_BWD_WEIGHT = 4;
const KIND_DW_FWD = 5;
const KIND_DW_BWD_WEIGHT = 6;
const KIND_CHANNEL_AFFINE = 7;
const KIND_GELU = 8;
const KIND_SUM_ROWS = 9;
const KIND_SOFTMAX = 10;
const KIND_SOFTMAX_BWD = 11;
const KIND_BINARY = 12;
const KIND_UNARY = 13;
const KIND_DOT = 14;
const KIND_NORMALIZE = 15;
const KIND_GATHER = 16;
const KIND_SCATTER_ADD = 17;
const KIND_STRIDED = 18;
const KIND_SSA_LOGITS = 19;
const KIND_ADAMW = 20;
const KIND_RESAMPLE = 23;
const KIND_CE = 21;
const KIND_CE_BWD = 22;
const KIND_FORK = 24;
const KIND_BN_FWD = 25;
const KIND_BN_BWD = 26;

/** Floats per thread in the phase buffers of the strided backward-input path (1 MiB). */
const COL_FLOATS = 1 << 18;
const HEADER_BYTES = 256;
/** At most this many floats of per-chunk dW copies (64 MiB) before splitting taps instead of images. */
const MAX_PARTIAL_FLOATS = 1 << 24;

export interface Built<T = Float32Array> {
  job: number;
  /** The result, copied out of the arena. */
  read(): T;
}

const ceilDiv = (a: number, b: number) => Math.ceil(a / b);
const roundUp = (a: number, m: number) => Math.ceil(a / m) * m;

/**
 * Splits `total` items into at most `want` chunks of a multiple of `align` items; returns the chunk
 * size and the number of chunks.
 */
function split(total: number, want: number, align: number): { size: number; count: number } {
  const count0 = Math.max(1, Math.min(want, ceilDiv(total, align)));
  const size = roundUp(ceilDiv(total, count0), align);
  return { size, count: ceilDiv(total, size) };
}

/**
 * Tasks of a row-wise element-wise job (binary, strided) over `rows` rows of d2 cells: rows first;
 * a job with fewer rows than tasks wanted (a same-shape op is one row) splits each row's columns
 * too, in runs of 16 floats.
 */
function splitRowsCols(rows: number, d2: number, threads: number): { r: { size: number; count: number }; c: { size: number; count: number } } {
  if (threads <= 1) return { r: { size: rows, count: 1 }, c: { size: d2, count: 1 } };
  if (rows >= 2 * threads) return { r: split(rows, 2 * threads, 1), c: { size: d2, count: 1 } };
  return { r: { size: 1, count: rows }, c: split(d2, ceilDiv(2 * threads, rows), 16) };
}

/** Job header: common words, then `words` from word 8 on. */
function header(rt: WasmRuntime, kind: number, ntasks: number, threads: number, taskScratch: number, words: readonly number[]): number {
  const stride = roundUp(rt.scratchFixed + taskScratch, 64);
  const job = rt.alloc(HEADER_BYTES, 'job header');
  // every thread that may run a task (the caller is tid 0, workers 1..threads)
  const scratch = rt.alloc(stride * (threads + 1), 'scratch');
  const v = rt.i32;
  const j = job >> 2;
  v.fill(0, j, j + HEADER_BYTES / 4);
  v[j] = kind;
  v[j + 1] = ntasks;
  v[j + 2] = 0;
  v[j + 3] = scratch;
  v[j + 4] = stride;
  for (let i = 0; i < words.length; i++) v[j + 8 + i] = words[i];
  return job;
}

/**
 * Two jobs already laid out in the arena, run as one (kind 24): their tasks share one counter, so
 * the threads that come take tasks of either. Both must have been built for the same `threads` (their
 * scratch covers every thread); the one with the smaller per-thread scratch is pointed at the other's,
 * since a thread runs one task at a time, which keeps the threads' scratch in cache.
 */
export function buildFork<A, B>(rt: WasmRuntime, a: Built<A>, b: Built<B>): Built<[A, B]> {
  const v = rt.i32;
  const ja = a.job >> 2;
  const jb = b.job >> 2;
  const [big, small] = v[ja + 4] >= v[jb + 4] ? [ja, jb] : [jb, ja];
  v[small + 3] = v[big + 3];
  v[small + 4] = v[big + 4];
  const job = rt.alloc(HEADER_BYTES, 'job header');
  const j = job >> 2;
  v.fill(0, j, j + HEADER_BYTES / 4);
  v[j] = KIND_FORK;
  v[j + 1] = v[ja + 1] + v[jb + 1];
  v[j + 8] = a.job;
  v[j + 9] = b.job;
  v[j + 10] = v[ja + 1];
  return { job, read: () => [a.read(), b.read()] };
}

// ---- matmul ----

export function matmulFlop(s: MatmulSpec): number {
  return 2 * s.batch * s.M * s.N * s.K;
}

/** out[b] = A[b]·B[b] per MatmulSpec. `threads` is how many threads will share the job. */
export function buildMatmul(rt: WasmRuntime, a: Float32Array, b: Float32Array, s: MatmulSpec, threads: number): Built {
  const { batch, M, N, K } = s;
  const aPtr = rt.put(a);
  const bPtr = rt.put(b);
  const cPtr = rt.output(batch * M * N, 'matmul output');
  const rowT = rt.table(K, (k) => k * s.bRow * 4);
  const colT = rt.table(N, (n) => n * s.bCol * 4);
  // NOTE: tasks re-pack the operand they do not split; with few large tasks that costs little.
  const want = threads > 1 ? Math.max(1, ceilDiv(2 * threads, batch)) : 1;
  let m = { size: M, count: 1 };
  let n = { size: N, count: 1 };
  if (want > 1) {
    if (N >= M) n = split(N, want, 8);
    else m = split(M, want, 4);
  }
  const job = header(rt, KIND_GEMM, batch * m.count * n.count, threads, 0, [
    M, N, K, 0,
    aPtr, s.aBatch * 4, s.aRow * 4, s.aCol * 4,
    bPtr, s.bBatch * 4, rowT, colT,
    cPtr, M * N * 4, N * 4,
    m.count, n.count, m.size, n.size,
  ]);
  return { job, read: () => rt.read(cPtr, batch * M * N) };
}

// ---- conv2d ----

export function conv2dFlop(s: Conv2dSpec): number {
  return 2 * s.N * s.Cout * s.OH * s.OW * (s.Cin / s.groups) * s.kh * s.kw;
}

/** Depthwise convolutions (one input and one output channel per group) with stride 1 run direct loops. */
export function isDepthwise(s: Conv2dSpec): boolean {
  return s.groups === s.Cin && s.groups === s.Cout && s.strideH === 1 && s.strideW === 1;
}

/** Words 8..23 of a conv job. */
function geometry(s: Conv2dSpec): number[] {
  return [s.N, s.Cin, s.H, s.W, s.Cout, s.kh, s.kw, s.OH, s.OW, s.strideH, s.strideW, s.padH, s.padW, s.dilationH, s.dilationW, s.groups];
}

/**
 * The input frame the im2col tables index: the image itself when there is no padding, else a
 * zero-padded copy covering exactly the receptive fields.
 */
function frame(s: Conv2dSpec): { pad: boolean; Hf: number; Wf: number } {
  if (s.padH === 0 && s.padW === 0) return { pad: false, Hf: s.H, Wf: s.W };
  return { pad: true, Hf: (s.OH - 1) * s.strideH + (s.kh - 1) * s.dilationH + 1, Wf: (s.OW - 1) * s.strideW + (s.kw - 1) * s.dilationW + 1 };
}

/** Byte offset of tap r = (ci·kh + ky)·kw + kx, and of output pixel p = oy·OW + ox, in the frame. */
function imTables(rt: WasmRuntime, s: Conv2dSpec, Hf: number, Wf: number): { tap: number; pix: number } {
  const cinG = s.Cin / s.groups;
  const khw = s.kh * s.kw;
  const tap = rt.cachedTable(`tap ${cinG} ${s.kh} ${s.kw} ${Hf} ${Wf} ${s.dilationH} ${s.dilationW}`, cinG * khw, (r) => {
    const ci = Math.floor(r / khw);
    const ky = Math.floor((r % khw) / s.kw);
    const kx = r % s.kw;
    return (ci * Hf * Wf + ky * s.dilationH * Wf + kx * s.dilationW) * 4;
  });
  const pix = rt.cachedTable(`pix ${s.OH} ${s.OW} ${s.strideH} ${s.strideW} ${Wf}`, s.OH * s.OW, (p) => {
    const oy = Math.floor(p / s.OW);
    const ox = p % s.OW;
    return (oy * s.strideH * Wf + ox * s.strideW) * 4;
  });
  return { tap, pix };
}

/**
 * Flat frame of the direct depthwise loops (kinds 5 and 6): Hp rows of exactly Wp = OW + (kw−1)·dW
 * floats, so output (oy, ox) is flat index oy·Wp + ox and tap (ky, kx) a fixed offset; the loops run
 * over L = (OH−1)·Wp + OW flat outputs in blocks of 16 (Lr4: bytes of L rounded up to 16 floats).
 * `frameBytes` covers the frame and the 16 zero floats after it that a block's over-read reaches.
 * The forward job may widen the rows to 32 floats for $dw_rows8 (its loads then take constant
 * offsets); the taps' offsets follow the row stride, so nothing else changes.
 */
function dwFrame(s: Conv2dSpec): { Hp: number; Wp: number; Lr4: number; frameBytes: number } {
  const Hp = s.OH + (s.kh - 1) * s.dilationH;
  const Wp = s.OW + (s.kw - 1) * s.dilationW;
  const Lr4 = roundUp((s.OH - 1) * Wp + s.OW, 16) * 4;
  return { Hp, Wp, Lr4, frameBytes: roundUp((Hp * Wp + 16) * 4, 64) };
}

/** The forward conv job on operands already in the arena (shared by conv2d and stride-1 backward input). */
function convForwardJob(rt: WasmRuntime, xPtr: number, wPtr: number, s: Conv2dSpec, threads: number): Built {
  const out = s.N * s.Cout * s.OH * s.OW;
  const yPtr = rt.output(out, 'conv2d output');
  if (isDepthwise(s)) {
    // scratch: the frame, the flat outputs (Lr4 bytes), the tap table (offset, weight)
    const f = dwFrame(s);
    const { Hp, Lr4 } = f;
    let { Wp, frameBytes } = f;
    // 8 rows by 4 columns or more of a kernel wider than 1 whose frame rows fit in 32 floats: rows
    // exactly 32 floats (128 bytes) apart, for the loop with constant load offsets ($dw_rows8)
    if (s.OH >= 8 && s.OW >= 4 && s.kw > 1 && Wp <= 32) {
      Wp = 32;
      frameBytes = roundUp((Hp * Wp + 16) * 4, 64);
    }
    const tab = frameBytes + roundUp(Lr4, 64);
    const scratch = tab + s.kh * s.kw * 8;
    // a task is one channel over a chunk of images (the frame's zeros and the taps set up once);
    // threads with fewer than two channels each split the images too
    const img = threads > 1 && s.Cin < 2 * threads ? split(s.N, ceilDiv(2 * threads, s.Cin), 1) : { size: s.N, count: 1 };
    const tasks = s.OH * s.OW === 0 ? 0 : s.Cin * img.count; // the loops run at least once: none for an empty output
    const job = header(rt, KIND_DW_FWD, tasks, threads, scratch, [...geometry(s), xPtr, wPtr, yPtr, img.size, Hp, Wp, 1, frameBytes, tab, Lr4]);
    return { job, read: () => rt.read(yPtr, out) };
  }
  const G = s.groups;
  const P = s.OH * s.OW;
  const { pad, Hf, Wf } = frame(s);
  const { tap, pix } = imTables(rt, s, Hf, Wf);
  const ch = threads > 1 && s.N * G < 2 * threads ? split(P, ceilDiv(2 * threads, s.N * G), 8) : { size: P, count: 1 };
  // 64 bytes after the frame: the packer's two-run panels read up to 60 bytes past a column (kernels.wat,
  // $frame_cols; only on this frame, not on an unpadded x read in place)
  const scratch = pad ? (s.Cin / G) * Hf * Wf * 4 + 64 : 0;
  const job = header(rt, KIND_CONV_FWD, s.N * G * ch.count, threads, scratch, [...geometry(s), xPtr, wPtr, yPtr, ch.count, Hf, Wf, pad ? 1 : 0, tap, pix, ch.size]);
  return { job, read: () => rt.read(yPtr, out) };
}

export function buildConv2d(rt: WasmRuntime, x: Float32Array, w: Float32Array, s: Conv2dSpec, threads: number): Built {
  return convForwardJob(rt, rt.put(x), rt.put(w), s, threads);
}

/**
 * v[at + (g·cinG + ci)·K + k] = w[g·gStride + ci·ciStride + off[k]] for the `rows` = G·cinG rows (a phase's
 * A of kind 3; K = off.length).
 */
/**
 * The taps of each output phase a < st along one axis of a strided conv's input gradient: [k, d] for
 * every k < kSize with (a + pad − k·dil) ≡ 0 (mod st), d = (a + pad − k·dil)/st (the dy row or
 * column offset), and the range of d over all phases.
 */
function phaseTaps(st: number, kSize: number, pad: number, dil: number): { taps: [number, number][][]; span: { lo: number; hi: number } } {
  const taps: [number, number][][] = [];
  let lo = Infinity;
  let hi = -Infinity;
  for (let a = 0; a < st; a++) {
    const t: [number, number][] = [];
    for (let k = 0; k < kSize; k++) {
      const r = a + pad - k * dil;
      if (r % st === 0) {
        t.push([k, r / st]);
        lo = Math.min(lo, r / st);
        hi = Math.max(hi, r / st);
      }
    }
    taps.push(t);
  }
  return { taps, span: lo <= hi ? { lo, hi } : { lo: 0, hi: 0 } };
}

function gatherWeights(v: Float32Array, at: number, w: Float32Array, off: Int32Array, rows: number, gStride: number, cinG: number, ciStride: number): void {
  const K = off.length;
  for (let r = 0; r < rows; r++) {
    const src = Math.floor(r / cinG) * gStride + (r % cinG) * ciStride;
    const dst = at + r * K;
    for (let k = 0; k < K; k++) v[dst + k] = w[src + off[k]];
  }
}

/**
 * dx = conv2dBackwardInput(dy, w). Stride 1: dx[n, ci] = Σ_co dy[n, co] ⋆ flip(w[co, ci]) with
 * padding (k−1)·d − p, i.e. a forward conv with Cin and Cout swapped. Otherwise by output phases
 * (kernels.wat, kind 3): dx cell (sH·m + a, sW·j + b) gets only the taps ky with
 * a + pH − ky·dH ≡ 0 (mod sH) and kx likewise, each reading dy at (m, j) plus a fixed offset, so each phase (a, b) is one GEMM
 * A_ab · frame over the super-pixels (m, j), with no col2im scatter-add.
 */
export function buildConv2dBackwardInput(rt: WasmRuntime, dy: Float32Array, w: Float32Array, s: Conv2dSpec, threads: number): Built {
  const G = s.groups;
  const cinG = s.Cin / G;
  const coutG = s.Cout / G;
  const dyPtr = rt.put(dy);
  if (s.strideH === 1 && s.strideW === 1) {
    // w' [Cin, Cout/G, kh, kw]: w'[g·cinG + ci, co, ky, kx] = w[g·coutG + co, ci, kh−1−ky, kw−1−kx]
    const { kh, kw } = s;
    const wPtr = rt.alloc(w.length * 4, 'flipped weights');
    const v = rt.f32;
    const base = wPtr >> 2;
    for (let g = 0; g < G; g++) {
      for (let ci = 0; ci < cinG; ci++) {
        for (let co = 0; co < coutG; co++) {
          const dst = base + ((g * cinG + ci) * coutG + co) * kh * kw;
          const src = ((g * coutG + co) * cinG + ci) * kh * kw;
          for (let t = 0; t < kh * kw; t++) v[dst + t] = w[src + kh * kw - 1 - t];
        }
      }
    }
    const t: Conv2dSpec = {
      N: s.N, Cin: s.Cout, H: s.OH, W: s.OW, Cout: s.Cin, kh, kw, OH: s.H, OW: s.W,
      strideH: 1, strideW: 1, padH: (kh - 1) * s.dilationH - s.padH, padW: (kw - 1) * s.dilationW - s.padW,
      dilationH: s.dilationH, dilationW: s.dilationW, groups: G,
    };
    return convForwardJob(rt, dyPtr, wPtr, t, threads);
  }
  const out = s.N * s.Cin * s.H * s.W;
  const dxPtr = rt.output(out, 'conv2d input gradient');
  const { kh, kw } = s;
  // Output phases (kernels.wat, kind 3): dx row sH·m + a takes the taps ky with
  // (a + pH − ky·dH) ≡ 0 (mod sH), each from dy row m + (a + pH − ky·dH)/sH; columns likewise.
  const rowPh = phaseTaps(s.strideH, kh, s.padH, s.dilationH);
  const colPh = phaseTaps(s.strideW, kw, s.padW, s.dilationW);
  const ry = rowPh.span;
  const rx = colPh.span;
  // super-pixels (m, j): Mh × Mw; frame row i is dy row i + ry.lo, column likewise
  const Mh = ceilDiv(s.H, s.strideH);
  const Mw = ceilDiv(s.W, s.strideW);
  const Hf = Mh + ry.hi - ry.lo;
  const Wf = Mw + rx.hi - rx.lo;
  const nPh = s.strideH * s.strideW;
  // per phase: A [G][cinG][K] (k = (co, ky, kx) over the phase's taps) and its row table in the frame
  const table = rt.alloc(nPh * 16, 'phase table');
  const aPtr = rt.alloc(w.length * 4 + 64, 'phase weights');
  const info: number[] = [];
  let at = aPtr >> 2;
  for (let a = 0; a < s.strideH; a++) {
    for (let b = 0; b < s.strideW; b++) {
      // k = (co, ky, kx): its weight at w[(g·coutG + co)·cinG·kh·kw + ci·kh·kw + ky·kw + kx] (wOff: all but
      // the g and ci terms) and its row in the frame (the row table)
      const ty = rowPh.taps[a];
      const tx = colPh.taps[b];
      const K = coutG * ty.length * tx.length;
      const wOff = new Int32Array(K);
      const rowT = K ? rt.alloc((K + 8) * 4, 'table') : 0;
      const iv = rt.i32;
      let k = 0;
      for (let co = 0; co < coutG; co++) {
        for (const u of ty) {
          for (const q of tx) {
            wOff[k] = co * cinG * kh * kw + u[0] * kw + q[0];
            iv[(rowT >> 2) + k++] = (co * Hf * Wf + (u[1] - ry.lo) * Wf + (q[1] - rx.lo)) * 4;
          }
        }
      }
      if (K) iv.fill(0, (rowT >> 2) + K, (rowT >> 2) + K + 8);
      gatherWeights(rt.f32, at, w, wOff, G * cinG, coutG * cinG * kh * kw, cinG, kh * kw);
      info.push(K, at << 2, rowT, 0);
      at += G * cinG * K;
    }
  }
  const iv = rt.i32;
  for (let i = 0; i < info.length; i++) iv[(table >> 2) + i] = info[i];
  // chunks of whole super-pixel rows, the sW buffers of cinG × ldb floats at most COL_FLOATS in all
  const R = Math.max(1, Math.min(Mh, Math.floor(COL_FLOATS / (s.strideW * cinG * Wf))));
  const ldb = R * Wf;
  const frameBytes = roundUp(coutG * Hf * Wf * 4, 64);
  // 64 bytes of slack: $gemm_rows's edge panels read up to 7 floats past the last column
  const scratch = frameBytes + s.strideW * cinG * ldb * 4 + 64;
  // the task loops run at least once: none for an empty dx
  const job = header(rt, KIND_CONV_BWD_INPUT, Mh * Mw * cinG === 0 ? 0 : s.N * G, threads, scratch, [
    ...geometry(s), dyPtr, 0, dxPtr, R, Hf, Wf, -ry.lo, table, 0, ldb, -rx.lo, Mh, Mw, frameBytes,
  ]);
  return { job, read: () => rt.read(dxPtr, out) };
}

/** dw = conv2dBackwardWeight(x, dy): dW_g = Σ_n dy[n, g] · im2col(x[n, g])ᵀ. */
export function buildConv2dBackwardWeight(rt: WasmRuntime, x: Float32Array, dy: Float32Array, s: Conv2dSpec, threads: number): Built {
  const G = s.groups;
  const ckk = (s.Cin / G) * s.kh * s.kw;
  const out = s.Cout * ckk;
  const xPtr = rt.put(x);
  const dyPtr = rt.put(dy);
  const dwPtr = rt.output(out, 'conv2d weight gradient');
  if (isDepthwise(s)) {
    // scratch: x's frame, dy in the same flat layout (OH rows of Wp, 16 zero floats after), one
    // vector of partial sums per tap
    const { Hp, Wp, Lr4, frameBytes } = dwFrame(s);
    const acc = frameBytes + roundUp((s.OH * Wp + 16) * 4, 64);
    const scratch = acc + s.kh * s.kw * 16;
    const job = header(rt, KIND_DW_BWD_WEIGHT, s.Cin, threads, scratch, [...geometry(s), xPtr, dyPtr, dwPtr, 1, Hp, Wp, 1, frameBytes, acc, Lr4]);
    return { job, read: () => rt.read(dwPtr, out) };
  }
  const { pad, Hf, Wf } = frame(s);
  const { tap, pix } = imTables(rt, s, Hf, Wf);
  // Threads split the images (each chunk sums into its own copy of dW, added up after the job in
  // chunk order) or, for a single image, the taps (N of the GEMM). Splitting the taps makes every
  // task re-pack dy, so images come first.
  let img = { size: s.N, count: 1 };
  let ch = { size: ckk, count: 1 };
  if (threads > 1 && G < 2 * threads) {
    const want = ceilDiv(2 * threads, G);
    if (s.N >= 2 && out * Math.min(want, s.N) <= MAX_PARTIAL_FLOATS) img = split(s.N, want, 1);
    else ch = split(ckk, want, 8);
  }
  const partials = img.count > 1 ? rt.alloc(img.count * out * 4, 'conv2d weight gradient partials') : dwPtr;
  const scratch = pad ? (s.Cin / G) * Hf * Wf * 4 : 0;
  // row table: pixels (the GEMM's K), column table: taps (its N)
  const job = header(rt, KIND_CONV_BWD_WEIGHT, G * img.count * ch.count, threads, scratch, [
    ...geometry(s), xPtr, dyPtr, partials, ch.count, Hf, Wf, pad ? 1 : 0, pix, tap, ch.size, img.count, img.size, out * 4,
  ]);
  if (img.count === 1) return { job, read: () => rt.read(dwPtr, out) };
  return {
    job,
    read: () => {
      // the chunks' partial sums added in chunk order, rounded to f32 after each add, into dW's block
      // NOTE: in WebAssembly (SIMD): a CPU profile put ~1.4 ms per training step on this loop in
      // JavaScript; switching per step in one process measured 0.2-0.3 ms
      rt.sumChunks(partials, out, img.count, dwPtr);
      return rt.read(dwPtr, out);
    },
  };
}

// ---- element-wise ----

/** Operands of channelAffine: out = a·p[c] + b·q[c] + r[c] over a [N, C, inner]; null terms are skipped. */
export interface ChannelAffineArgs {
  a: Float32Array;
  b: Float32Array | null;
  p: Float32Array | null;
  q: Float32Array | null;
  r: Float32Array | null;
  C: number;
  inner: number;
  /** Cells of the output (N·C·inner); the arrays may be longer. */
  size: number;
}

/**
 * Work of the element-wise jobs in flops for the PARALLEL_MIN_FLOP threshold, weighted by what a second
 * thread can save. channelAffine streams its operands once; the copies into and out of the arena,
 * which stay on the calling thread, cost about as much as the pass itself, so it counts one flop per
 * cell. GELU is ~22 SIMD operations per 4 values with a division (~1.3 ns per value on one thread);
 * it counts 8 per value. Under load (both cores busy) 2 threads measured no faster at 32k–688k values.
 */
export function channelAffineFlop(s: ChannelAffineArgs): number {
  return s.size;
}

export function geluFlop(n: number): number {
  return 8 * n;
}

/** The first `n` values of `x`, in a new arena block. */
function putN(rt: WasmRuntime, x: Float32Array, n: number): number {
  return rt.put(x.length === n ? x : x.subarray(0, n));
}

export function buildChannelAffine(rt: WasmRuntime, s: ChannelAffineArgs, threads: number): Built {
  const { C, inner, size } = s;
  const hasB = s.b !== null && s.q !== null;
  const rows = size / inner;
  const aPtr = putN(rt, s.a, size);
  const bPtr = hasB ? putN(rt, s.b!, size) : 0;
  const pPtr = s.p ? putN(rt, s.p, C) : 0;
  const qPtr = hasB ? putN(rt, s.q!, C) : 0;
  const rPtr = s.r ? putN(rt, s.r, C) : 0;
  const outPtr = rt.output(size, 'channelAffine output');
  const t = threads > 1 ? split(rows, 2 * threads, 1) : { size: rows, count: 1 };
  const flags = (s.p ? 1 : 0) | (hasB ? 2 : 0) | (s.r ? 4 : 0);
  const job = header(rt, KIND_CHANNEL_AFFINE, t.count, threads, 0, [C, inner, flags, t.size, aPtr, bPtr, pPtr, qPtr, rPtr, outPtr, rows]);
  return { job, read: () => rt.read(outPtr, size) };
}

/** GELU (grad false) or its derivative (grad true) of the first `n` values of x. */
export function buildGelu(rt: WasmRuntime, x: Float32Array, n: number, grad: boolean, threads: number): Built {
  const xPtr = putN(rt, x, n);
  const outPtr = rt.output(n, 'gelu output');
  const t = threads > 1 ? split(n, 2 * threads, 16) : { size: roundUp(n, 16), count: 1 };
  const job = header(rt, KIND_GELU, t.count, threads, 0, [n, grad ? 1 : 0, t.size, 0, xPtr, outPtr]);
  return { job, read: () => rt.read(outPtr, n) };
}

/** Σ of each of the `rows` rows of R floats of x (R >= 1), accumulated in f64. */
export function buildSumRows(rt: WasmRuntime, x: Float32Array, rows: number, R: number, threads: number): Built {
  const xPtr = putN(rt, x, rows * R);
  const outPtr = rt.output(rows, 'sum output');
  const t = threads > 1 ? split(rows, 2 * threads, 16) : { size: rows, count: 1 };
  const job = header(rt, KIND_SUM_ROWS, t.count, threads, 0, [rows, R, t.size, 0, xPtr, outPtr]);
  return { job, read: () => rt.read(outPtr, rows) };
}

// ---- along one axis ----

/** Work of a softmax-family job in the units of PARALLEL_MIN_FLOP: ~3 passes with an exp, as GELU. */
export function softmaxFlop(size: number): number {
  return 8 * size;
}

/** Rows (inner = 1) or 4-column groups of x viewed as [outer, R, inner]: the job's units. */
function alongUnits(outer: number, inner: number): { units: number; groups: number } {
  if (inner === 1) return { units: outer, groups: 0 };
  const groups = ceilDiv(inner, 4);
  return { units: outer * groups, groups };
}

/** y = exp(x − lse) (log false) or x − lse (log true) along R of x viewed as [outer, R, inner]. */
export function buildSoftmax(rt: WasmRuntime, x: Float32Array, outer: number, R: number, inner: number, log: boolean, threads: number): Built {
  const size = outer * R * inner;
  const xPtr = putN(rt, x, size);
  const outPtr = rt.output(size, 'softmax output');
  const { units, groups } = alongUnits(outer, inner);
  const t = threads > 1 ? split(units, 2 * threads, 1) : { size: units, count: 1 };
  const job = header(rt, KIND_SOFTMAX, t.count, threads, 0, [outer, R, inner, t.size, xPtr, outPtr, log ? 1 : 0, units, groups]);
  return { job, read: () => rt.read(outPtr, size) };
}

/** dx = y·(dy − Σ dy·y) (log false) or dy − exp(y)·Σ dy (log true), the sums along R. */
export function buildSoftmaxBackward(
  rt: WasmRuntime, y: Float32Array, dy: Float32Array, outer: number, R: number, inner: number, log: boolean, threads: number,
): Built {
  const size = outer * R * inner;
  const yPtr = putN(rt, y, size);
  const dyPtr = putN(rt, dy, size);
  const outPtr = rt.output(size, 'softmax gradient');
  const { units, groups } = alongUnits(outer, inner);
  const t = threads > 1 ? split(units, 2 * threads, 1) : { size: units, count: 1 };
  const job = header(rt, KIND_SOFTMAX_BWD, t.count, threads, 0, [outer, R, inner, t.size, yPtr, dyPtr, outPtr, log ? 1 : 0, units, groups]);
  return { job, read: () => rt.read(outPtr, size) };
}

// ---- plain element-wise arithmetic ----

/** Op codes of the binary kind (broadcastBinaryKernel's order). */
const BINARY_OPS: readonly HostBinaryOp[] = ['add', 'sub', 'mul', 'div'];

/** Op codes of the unary kind. */
const UNARY_OPS: readonly HostUnaryOp[] = ['relu', 'step', 'square', 'neg', 'sigmoid'];

/**
 * Work of a binary or unary job in the units of PARALLEL_MIN_FLOP: one streaming pass with one
 * operation per cell, as channelAffine, so one flop per cell (for small jobs the copies into
 * and out of the arena, on the calling thread, cost more than a second thread saves).
 */
export function elementwiseFlop(cells: number): number {
  return cells;
}

/** Floats an operand read through `strides` over `dims` spans: 1 + Σ (d − 1)·stride. */
function extent(dims: readonly number[], strides: readonly number[]): number {
  let e = 1;
  for (let i = 0; i < dims.length; i++) e += (dims[i] - 1) * strides[i];
  return e;
}

/**
 * out = a ∘ b over out viewed as [d0, d1, d2] (`dims`), each operand read at
 * i0·s0 + i1·s1 + i2·s2 of its own `strides` (in floats; 0 along its broadcast axes). Every cell of
 * out >= 1.
 */
export function buildBinary(
  rt: WasmRuntime, op: HostBinaryOp, a: Float32Array, b: Float32Array,
  dims: readonly [number, number, number], aStrides: readonly [number, number, number], bStrides: readonly [number, number, number], threads: number,
): Built {
  const code = BINARY_OPS.indexOf(op);
  const [d0, d1, d2] = dims;
  const describe = () => `dims [${dims}], a strides [${aStrides}] (${a.length} floats), b strides [${bStrides}] (${b.length} floats)`;
  if (code < 0) throw new Error(`wasm binary: unknown op '${op}' (${describe()})`);
  if (![...dims, ...aStrides, ...bStrides].every((v) => Number.isInteger(v) && v >= 0) || d0 * d1 * d2 === 0) {
    throw new Error(`wasm binary ${op}: dims must be positive and strides non-negative integers (${describe()})`);
  }
  const na = extent(dims, aStrides);
  const nb = extent(dims, bStrides);
  if (a.length < na || b.length < nb) throw new Error(`wasm binary ${op}: an operand is shorter than its strides reach (a needs ${na}, b needs ${nb}; ${describe()})`);
  const rows = d0 * d1;
  const size = rows * d2;
  const aPtr = putN(rt, a, na);
  const bPtr = putN(rt, b, nb);
  const outPtr = rt.output(size, 'binary output');
  const { r, c } = splitRowsCols(rows, d2, threads);
  const job = header(rt, KIND_BINARY, r.count * c.count, threads, 0, [
    code, d1, d2, rows, aPtr, bPtr, outPtr, r.size, c.size, c.count,
    ...aStrides.map((s) => s * 4), ...bStrides.map((s) => s * 4),
  ]);
  return { job, read: () => rt.read(outPtr, size) };
}

/** relu, step (x > 0 ? 1 : 0), square, neg or sigmoid of the first `n` values of x (n >= 1). */
export function buildUnary(rt: WasmRuntime, op: HostUnaryOp, x: Float32Array, n: number, threads: number): Built {
  const code = UNARY_OPS.indexOf(op);
  if (code < 0) throw new Error(`wasm unary: unknown op '${op}' (${n} values)`);
  if (x.length < n) throw new Error(`wasm unary ${op}: ${n} values asked of an array of ${x.length}`);
  const xPtr = putN(rt, x, n);
  const outPtr = rt.output(n, 'unary output');
  const t = threads > 1 ? split(n, 2 * threads, 16) : { size: roundUp(n, 16), count: 1 };
  const job = header(rt, KIND_UNARY, t.count, threads, 0, [n, code, t.size, 0, xPtr, outPtr]);
  return { job, read: () => rt.read(outPtr, n) };
}

// ---- dot products and normalisation along an axis (gpu.js's cpu-mode arithmetic: f64, then f32) ----

/**
 * Work of a dotAlong or normalizeAlong job in the units of PARALLEL_MIN_FLOP: one streaming pass
 * (f64 arithmetic, a division per cell for normalizeAlong) as the element-wise jobs.
 */
export function alongFlop(size: number): number {
  return size;
}

/**
 * out[o, n] = Σ_r a[o, r, n]·b[o, r, n] (b given) or Σ_r a[o, r, n] (b null), then √ when `sqrt`,
 * over [outer, R, inner] (R >= 1): each sum in f64 from +0, r ascending, rounded to f32 once (the
 * bits of gpu.js's dotAlongKernel in cpu mode). `b` may be `a` itself (copied in once).
 */
export function buildDotAlong(
  rt: WasmRuntime, a: Float32Array, b: Float32Array | null, outer: number, R: number, inner: number, sqrt: boolean, threads: number,
): Built {
  const size = outer * R * inner;
  const describe = () => `[${outer}, ${R}, ${inner}] (a ${a.length} floats${b ? `, b ${b.length}` : ''})`;
  if (!(outer >= 1 && R >= 1 && inner >= 1) || a.length < size || (b !== null && b.length < size)) {
    throw new Error(`wasm dotAlong: needs outer, R, inner >= 1 and operands of outer·R·inner floats, got ${describe()}`);
  }
  const aPtr = putN(rt, a, size);
  const bPtr = b === null ? 0 : b === a ? aPtr : putN(rt, b, size);
  const outPtr = rt.output(outer * inner, 'dotAlong output');
  const groups = inner === 1 ? 0 : ceilDiv(inner, 8);
  const units = inner === 1 ? outer : outer * groups;
  const t = threads > 1 ? split(units, 2 * threads, 1) : { size: units, count: 1 };
  const flags = (b !== null ? 1 : 0) | (sqrt ? 2 : 0);
  const job = header(rt, KIND_DOT, t.count, threads, 0, [outer, R, inner, t.size, aPtr, bPtr, outPtr, flags, units, groups]);
  return { job, read: () => rt.read(outPtr, outer * inner) };
}

/**
 * y[o, r, n] = x[o, r, n] / (nrm[o, n] + eps) over [outer, R, inner] (all >= 1), the sum and the
 * quotient in f64 and eps rounded to f32 first (gpu.js's normalizeAlongKernel reads it from its
 * Float32Array meta), rounded to f32 once.
 */
export function buildNormalizeAlong(
  rt: WasmRuntime, x: Float32Array, nrm: Float32Array, outer: number, R: number, inner: number, eps: number, threads: number,
): Built {
  const size = outer * R * inner;
  if (!(outer >= 1 && R >= 1 && inner >= 1) || x.length < size || nrm.length < outer * inner) {
    throw new Error(`wasm normalizeAlong: needs outer, R, inner >= 1, x of outer·R·inner and nrm of outer·inner floats, got [${outer}, ${R}, ${inner}] (x ${x.length}, nrm ${nrm.length} floats)`);
  }
  const xPtr = putN(rt, x, size);
  const nPtr = putN(rt, nrm, outer * inner);
  const outPtr = rt.output(size, 'normalizeAlong output');
  const t = threads > 1 ? split(outer, 2 * threads, 1) : { size: outer, count: 1 };
  const epsBits = new Int32Array(Float32Array.of(eps).buffer)[0];
  const job = header(rt, KIND_NORMALIZE, t.count, threads, 0, [outer, R, inner, t.size, xPtr, nPtr, outPtr, epsBits]);
  return { job, read: () => rt.read(outPtr, size) };
}

// ---- gather and scatterAdd along an axis ----

/** Work of a gather or scatterAdd job in the units of PARALLEL_MIN_FLOP: cells written plus cells read. */
export function indexFlop(cells: number): number {
  return cells;
}

/** Checks the sizes of a gather / scatterAdd along an axis (every count >= 1). */
function checkIndexed(op: string, data: Float32Array, dataCells: number, index: Float32Array, outer: number, L: number, inner: number, Lx: number): void {
  if (![outer, L, inner, Lx].every((v) => Number.isInteger(v) && v >= 1) || data.length < dataCells || index.length < outer * L * inner) {
    throw new Error(
      `wasm ${op}: needs outer, L, inner, Lx >= 1, index of outer·L·inner floats and ${op === 'gather' ? 'x of outer·Lx·inner' : 'src of outer·L·inner'}, ` +
      `got outer ${outer}, L ${L}, inner ${inner}, Lx ${Lx} (${op === 'gather' ? 'x' : 'src'} ${data.length}, index ${index.length} floats)`,
    );
  }
}

/**
 * out[o, j, n] = x[o, index[o, j, n], n] over index [outer, L, inner], x [outer, Lx, inner]; 0 where
 * the index is not an integer in [0, Lx).
 */
export function buildGather(rt: WasmRuntime, x: Float32Array, index: Float32Array, outer: number, L: number, inner: number, Lx: number, threads: number): Built {
  checkIndexed('gather', x, outer * Lx * inner, index, outer, L, inner, Lx);
  const cells = outer * L * inner;
  const xPtr = putN(rt, x, outer * Lx * inner);
  const iPtr = putN(rt, index, cells);
  const outPtr = rt.output(cells, 'gather output');
  const t = threads > 1 ? split(cells, 2 * threads, 16) : { size: cells, count: 1 };
  const job = header(rt, KIND_GATHER, t.count, threads, 0, [outer, L, inner, Lx, xPtr, iPtr, outPtr, t.size, cells]);
  return { job, read: () => rt.read(outPtr, cells) };
}

/**
 * out [outer, Lx, inner]: out[o, t, n] = Σ_j [index[o, j, n] = t]·src[o, j, n], j ascending, in f64
 * (in f32 when L <= 2, which gives the same bits); indices that are not integers in [0, Lx) add nothing.
 */
export function buildScatterAdd(rt: WasmRuntime, src: Float32Array, index: Float32Array, outer: number, L: number, inner: number, Lx: number, threads: number): Built {
  checkIndexed('scatterAdd', src, outer * L * inner, index, outer, L, inner, Lx);
  const cells = outer * Lx * inner;
  const sPtr = putN(rt, src, outer * L * inner);
  const iPtr = putN(rt, index, outer * L * inner);
  const outPtr = rt.output(cells, 'scatterAdd output');
  const accPtr = L > 2 ? rt.alloc(cells * 8, 'scatterAdd f64 sums') : 0;
  // NOTE: whole outer indices first; fewer outer indices than tasks wanted split the columns too, in runs of 16.
  let c = { size: inner, count: 1 };
  if (threads > 1 && outer < 2 * threads) c = split(inner, ceilDiv(2 * threads, outer), 16);
  const job = header(rt, KIND_SCATTER_ADD, outer * c.count, threads, 0, [outer, L, inner, Lx, sPtr, iPtr, outPtr, accPtr, c.size, c.count]);
  return { job, read: () => rt.read(outPtr, cells) };
}

// ---- strided copy ----

/**
 * out[i0, i1, i2] = x[offset + i0·s0 + i1·s1 + i2·s2] over out [d0, d1, d2] (`dims`, each >= 1),
 * strides in floats (0 along expanded axes). Only the span of x the strides reach is copied in.
 */
export function buildStrided(
  rt: WasmRuntime, x: Float32Array, dims: readonly [number, number, number], strides: readonly [number, number, number], offset: number, threads: number,
): Built {
  const [d0, d1, d2] = dims;
  const describe = () => `dims [${dims}], strides [${strides}], offset ${offset} (${x.length} floats)`;
  if (![...dims, ...strides, offset].every(Number.isInteger) || !(d0 >= 1 && d1 >= 1 && d2 >= 1)) {
    throw new Error(`wasm strided: dims must be positive and strides and offset integers (${describe()})`);
  }
  // the cells reached: [lo, hi] (strides are non-negative for GpuBackend's views; negative ones work too)
  let lo = offset;
  let hi = offset;
  for (let i = 0; i < 3; i++) {
    const span = (dims[i] - 1) * strides[i];
    if (span < 0) lo += span;
    else hi += span;
  }
  if (lo < 0 || hi >= x.length) throw new Error(`wasm strided: the strides reach cells ${lo}..${hi} outside the array (${describe()})`);
  const xPtr = rt.put(x.subarray(lo, hi + 1)) + (offset - lo) * 4;
  const rows = d0 * d1;
  const size = rows * d2;
  const outPtr = rt.output(size, 'strided output');
  const { r, c } = splitRowsCols(rows, d2, threads);
  const job = header(rt, KIND_STRIDED, r.count * c.count, threads, 0, [
    d1, d2, rows, xPtr, outPtr, r.size, c.size, c.count, ...strides.map((s) => s * 4),
  ]);
  return { job, read: () => rt.read(outPtr, size) };
}

// ---- the SSA head's inference pass ----

/**
 * Work of an ssaLogits job in the units of PARALLEL_MIN_FLOP: the multiply-adds of its four
 * K×C×N products and of the per-class MLPs (2 flops each), the depthwise 3×3, ~20 flops per e^x
 * (K·N of them, plus N when both softmaxes share theirs), and the element-wise passes.
 */
export function ssaLogitsFlop(s: SsaLogitsSpec): number {
  const { B, C, K, hidden: H, sepa, sppa } = s;
  const N = s.h * s.w;
  const KCN = 2 * K * C * N;
  const mlp = 2 * K * (2 * C * H + H * C) + K * (H + C);
  let f = KCN + K * N; // coarse logits
  if (sepa) f += 20 * K * N + 6 * K * N + KCN + K * C + mlp; // class softmax, den, Ms·xᵀ, MLP
  if (sppa) f += (sepa ? 20 * N + 4 * K * N : 22 * K * N) + 18 * C * N + 5 * C * N + KCN + mlp; // A, 3×3, F and ‖F‖², A·Pfᵀ, MLP
  f += 2 * K * C * C + 4 * K * C + (sppa ? 0 : 2 * C * N) + 3 * N + KCN + K * N; // Q and q, ‖x‖², s, O
  return B * f;
}

/** Floats each weight of SSA_WEIGHT_NAMES has under `s`, or null where the switches leave it unused. */
function ssaWeightLengths(s: SsaLogitsSpec): (number | null)[] {
  const { C, K, hidden: H, sepa, sppa } = s;
  const p = (n: number) => (sppa ? n : null);
  const e = (n: number) => (sepa ? n : null);
  return [K * C, K, p(C * 9), p(C), p(K * C), p(H * 2 * C), p(C * H), p(C), e(H * 2 * C), e(C * H), e(C), C * C];
}

/**
 * Logits O [B, K, h·w] of the SSA-Seg classifier head in eval mode (kind 19), from features
 * [B, C, h, w] and the 12 weights in SSA_WEIGHT_NAMES order (null where the switches leave them
 * unused; see the math at kind 19 in kernels.wat). One task per image; the task scratch holds the
 * image's maps (coarse logits, class softmax, Pf and F, the padded frame) and the per-class rows.
 */
export function buildSsaLogits(rt: WasmRuntime, feat: Float32Array, weights: readonly (Float32Array | null)[], s: SsaLogitsSpec, threads: number): Built {
  const { B, C, K, h, w, hidden: H, sepa, sppa } = s;
  const describe = () => `B ${B}, C ${C}, K ${K}, h×w ${h}×${w}, hidden ${H}, sepa ${sepa}, sppa ${sppa}`;
  if (![B, C, K, h, w].every((v) => Number.isInteger(v) && v >= 1) || !(Number.isInteger(H) && H >= 0)) {
    throw new Error(`wasm ssaLogits: B, C, K, h, w must be positive integers and hidden a non-negative one (${describe()})`);
  }
  if (!sepa && !sppa) throw new Error(`wasm ssaLogits: needs sepa, sppa or both (${describe()})`);
  const N = h * w;
  if (feat.length < B * C * N) throw new Error(`wasm ssaLogits: feat has ${feat.length} floats, B·C·h·w = ${B * C * N} needed (${describe()})`);
  if (weights.length !== SSA_WEIGHT_NAMES.length) {
    throw new Error(`wasm ssaLogits: expected ${SSA_WEIGHT_NAMES.length} weights (SSA_WEIGHT_NAMES order, null where unused), got ${weights.length}`);
  }
  const lengths = ssaWeightLengths(s);
  for (let i = 0; i < lengths.length; i++) {
    const want = lengths[i];
    const got = weights[i];
    if (want !== null && (got === null || got === undefined || got.length !== want)) {
      throw new Error(`wasm ssaLogits: weight ${SSA_WEIGHT_NAMES[i]} should have ${want} floats, got ${got ? got.length : 'null'} (${describe()})`);
    }
  }
  const featPtr = putN(rt, feat, B * C * N);
  // the weights in use, in one arena block (each 64-byte aligned)
  const at: number[] = lengths.map((n) => (n === null || n === 0 ? -1 : 0));
  let floats = 0;
  for (let i = 0; i < at.length; i++) {
    if (at[i] < 0) continue;
    at[i] = floats;
    floats += roundUp(lengths[i]!, 16);
  }
  const wBase = rt.alloc(floats * 4, 'ssaLogits weights');
  const f32 = rt.f32;
  const wPtr = at.map((o, i) => {
    if (o < 0) return 0;
    f32.set(weights[i]!, (wBase >> 2) + o);
    return wBase + o * 4;
  });
  const outPtr = rt.output(B * K * N, 'ssaLogits output');
  // the zero-padded frame of the depthwise 3×3: h + 2 rows of Wp, so every 8-wide vector load of
  // the direct loop stays inside it
  const Wp = roundUp(w, 8) + 2;
  // task scratch: each buffer 64-byte aligned with 64 bytes of slack after it (vectors read up to 7
  // floats past a row; the depthwise loop stores up to 7 past its last row)
  let top = 0;
  const buf = (n: number, on = true): number => {
    if (!on) return 0;
    const offset = top;
    top += roundUp(n * 4, 64) + 64;
    return offset;
  };
  const offsets = [
    buf(K * roundUp(N, 4)), // Mc, rows of whole vectors
    buf(K * roundUp(N, 4), sepa), // Ms
    buf(C * N, sppa), // Pf
    buf(C * N, sppa), // F
    buf((h + 2) * Wp, sppa), // frame
    buf(roundUp(N, 8)), // s
    buf(2 * K), // 1/(den + 1e-12) (SEPA), A's 1/Σ (SPPA)
    buf(K * 2 * C, sppa), // Zp
    buf(K * 2 * C, sepa), // Zs
    buf(K * Math.max(H, 1)), // hidden rows
    buf(K * C), // E
    buf(K * C), // Q
    buf(roundUp(K, 4) * C), // 4-row panels of Wseg and q
    buf(16 * K, sepa), // f64 sums of the rows of Ms (and of A with SPPA)
    buf(K * roundUp(N, 4), sppa), // A: e^(Mc − G) or e^(Mc − row max)
    buf(roundUp(N, 4), sepa && sppa), // m_n = max over the classes of Mc[:, n]
  ];
  const flags = (sepa ? 1 : 0) | (sppa ? 2 : 0);
  const job = header(rt, KIND_SSA_LOGITS, B, threads, top, [B, C, K, h, w, H, flags, N, featPtr, outPtr, ...wPtr, Wp, ...offsets]);
  return { job, read: () => rt.read(outPtr, B * K * N) };
}

// ---- AdamW ----

/** The three outputs of an AdamW update: the new parameter, exp_avg and exp_avg_sq. */
export type AdamwOutputs = [Float32Array, Float32Array, Float32Array];

/**
 * Work of an adamw job in the units of PARALLEL_MIN_FLOP: one streaming pass over 4 inputs and 3
 * outputs, as channelAffine (one flop per cell; the 7 copies stay on the calling thread).
 */
export function adamwFlop(n: number): number {
  return n;
}

/**
 * One AdamW update of the first `n` values of p, g, m, v (kind 20): [p', m', v'] with the bits of
 * gpu.js's cpu-mode adamwKernel (f64 from the f32 inputs and meta values, rounded to f32 once).
 */
export function buildAdamw(
  rt: WasmRuntime, p: Float32Array, g: Float32Array, m: Float32Array, v: Float32Array, n: number, h: AdamWStep, threads: number,
): Built<AdamwOutputs> {
  if (!(Number.isInteger(n) && n >= 1) || [p, g, m, v].some((a) => a.length < n)) {
    throw new Error(`wasm adamw: needs n >= 1 and p, g, m, v of n floats, got n ${n} (p ${p.length}, g ${g.length}, m ${m.length}, v ${v.length} floats)`);
  }
  const pPtr = putN(rt, p, n);
  const gPtr = putN(rt, g, n);
  const mPtr = putN(rt, m, n);
  const vPtr = putN(rt, v, n);
  const pOut = rt.output(n, 'adamw parameter');
  const mOut = rt.output(n, 'adamw exp_avg');
  const vOut = rt.output(n, 'adamw exp_avg_sq');
  const t = threads > 1 ? split(n, 2 * threads, 16) : { size: roundUp(n, 16), count: 1 };
  const job = header(rt, KIND_ADAMW, t.count, threads, 0, [n, 0, t.size, 0, pPtr, gPtr, mPtr, vPtr, pOut, mOut, vOut]);
  // words 19-26: the meta values as f32 (written as floats: no ArrayBuffer behind a small array)
  rt.f32.set(adamwMetaValues(h), (job >> 2) + 19);
  return { job, read: () => [rt.read(pOut, n), rt.read(mOut, n), rt.read(vOut, n)] };
}

// ---- separable resampling ----

/** The vector multiply-adds of one plane of a resample2d job in each pass order, and the groups. */
interface ResamplePlan {
  /** 0: horizontal pass first (T is [H, OW]); 1: vertical first (T is [OH, W]). */
  order: 0 | 1;
  /** Vector multiply-adds per plane in that order. */
  vmacs: number;
}

/**
 * The pass order with fewer vector multiply-adds per plane: the horizontal pass costs one per input
 * column of each 4-column group's window per row, the vertical one count_o per output row per
 * vector of the row. Ties go horizontal first.
 */
function resamplePlan(h: ResampleAxis, w: ResampleAxis, groupTaps: number): ResamplePlan {
  let vTaps = 0;
  for (let o = 0; o < h.outSize; o++) vTaps += h.count[o];
  const first = h.inSize * groupTaps + ceilDiv(w.outSize, 4) * vTaps;
  const second = ceilDiv(w.inSize, 4) * vTaps + h.outSize * groupTaps;
  return second < first ? { order: 1, vmacs: second } : { order: 0, vmacs: first };
}

/** The window of each 4-column group of w's output columns: [start, L] and L×4 weights (0 outside a column's band). */
function resampleGroups(w: ResampleAxis): { start: Int32Array; len: Int32Array; weights: Float32Array[] } {
  const G = ceilDiv(w.outSize, 4);
  const start = new Int32Array(G);
  const len = new Int32Array(G);
  const weights: Float32Array[] = [];
  for (let g = 0; g < G; g++) {
    let lo = Infinity;
    let hi = -Infinity;
    for (let j = 4 * g; j < Math.min(4 * g + 4, w.outSize); j++) {
      if (w.count[j] === 0) continue;
      lo = Math.min(lo, w.start[j]);
      hi = Math.max(hi, w.start[j] + w.count[j]);
    }
    if (lo === Infinity) {
      weights.push(new Float32Array(0));
      continue;
    }
    start[g] = lo;
    len[g] = hi - lo;
    const wg = new Float32Array(4 * (hi - lo));
    for (let j = 4 * g; j < Math.min(4 * g + 4, w.outSize); j++) {
      for (let k = 0; k < w.count[j]; k++) wg[4 * (w.start[j] + k - lo) + (j - 4 * g)] = w.weights[w.offset[j] + k];
    }
    weights.push(wg);
  }
  return { start, len, weights };
}

/** The pass order a resample2d job of these axes runs (0: horizontal first, 1: vertical first); for tests. */
export function resampleOrder(h: ResampleAxis, w: ResampleAxis): 0 | 1 {
  const { len } = resampleGroups(w);
  return resamplePlan(h, w, len.reduce((a, b) => a + b, 0)).order;
}

/** Checks an axis's band description against its sizes; names the axis and what is wrong. */
function checkAxis(name: string, a: ResampleAxis): void {
  const bad = (what: string) => new Error(`wasm resample2d: axis ${name} (${a.outSize} × ${a.inSize}) ${what}`);
  if (!(Number.isInteger(a.inSize) && a.inSize >= 1 && Number.isInteger(a.outSize) && a.outSize >= 1)) throw bad('needs positive integer sizes');
  if (a.start.length !== a.outSize || a.count.length !== a.outSize || a.offset.length !== a.outSize) throw bad('needs start, count and offset of outSize entries');
  for (let o = 0; o < a.outSize; o++) {
    const s = a.start[o];
    const c = a.count[o];
    if (c < 0 || (c > 0 && (s < 0 || s + c > a.inSize)) || a.offset[o] < 0 || a.offset[o] + c > a.weights.length) {
      throw bad(`row ${o}: start ${s}, count ${c}, offset ${a.offset[o]} out of range (${a.weights.length} weights)`);
    }
  }
}

// ---- softmax cross-entropy ----

/** The per-position outputs of the cross-entropy forward: the losses and the log-sum-exp of the logits. */
export type CrossEntropyOutputs = [Float32Array, Float32Array];

/**
 * Work of a cross-entropy job in the units of PARALLEL_MIN_FLOP: one e^x per logit, as the
 * softmax kinds (8 flops per logit).
 */
export function crossEntropyFlop(logits: number): number {
  return softmaxFlop(logits);
}

/** The job's units (groups of 8 positions of one n) and its tasks. */
function crossEntropyUnits(N: number, S: number, threads: number): { perN: number; units: number; t: { size: number; count: number } } {
  const perN = ceilDiv(S, 8);
  const units = N * perN;
  return { perN, units, t: threads > 1 ? split(units, 2 * threads, 1) : { size: units, count: 1 } };
}

function checkCrossEntropy(op: string, x: Float32Array, target: Float32Array, N: number, C: number, S: number): void {
  if (![N, C, S].every((v) => Number.isInteger(v) && v >= 1) || x.length < N * C * S || target.length < N * S) {
    throw new Error(`wasm ${op}: needs N, C, S >= 1, logits of N·C·S floats and targets of N·S, got N ${N}, C ${C}, S ${S} (logits ${x.length}, target ${target.length} floats)`);
  }
}

/**
 * Work of a resample2d job in the units of PARALLEL_MIN_FLOP: the cells copied in and out, as for the
 * streaming kinds (one flop per cell). The copies stay on the calling thread and cost more
 * than the bands' arithmetic: interpolate [8, 11, 16, 21] → [64, 84] took 0.30 ms on one thread and
 * 0.35 on two (forward, best of 200), within 10 % of a one-operation unary job over the output; at
 * [152, 32, 32] → [128, 128] one and two threads tied (1.82 / 1.81 ms).
 */
export function resampleFlop(planes: number, h: ResampleAxis, w: ResampleAxis): number {
  return planes * (h.inSize * w.inSize + h.outSize * w.outSize);
}

/**
 * out[p] = Rh · x[p] · Rwᵀ for the `planes` planes [H, W] of x (kind 23), h = Rh [OH, H] and
 * w = Rw [OW, W] as bands. One task per run of planes; the task scratch holds one plane's
 * intermediate (T, rows of whole vectors).
 */
export function buildResample2d(rt: WasmRuntime, x: Float32Array, planes: number, h: ResampleAxis, w: ResampleAxis, threads: number): Built {
  checkAxis('h', h);
  checkAxis('w', w);
  const H = h.inSize;
  const W = w.inSize;
  const OH = h.outSize;
  const OW = w.outSize;
  if (!(Number.isInteger(planes) && planes >= 1)) throw new Error(`wasm resample2d: planes must be a positive integer, got ${planes} ([${H}, ${W}] → [${OH}, ${OW}])`);
  const n = planes * H * W;
  if (x.length < n) throw new Error(`wasm resample2d: x has ${x.length} floats, planes·H·W = ${planes}·${H}·${W} = ${n} needed`);
  const groups = resampleGroups(w);
  const G = groups.len.length;
  let groupTaps = 0;
  for (let g = 0; g < G; g++) groupTaps += groups.len[g];
  const plan = resamplePlan(h, w, groupTaps);
  // NOTE: 4 spare floats: the vertical pass of order 1 loads whole vectors from x's rows, up to 3
  // floats past the last one (they land in T's padding columns, which nothing reads).
  // a resident x is read in place: its block's 64-byte guard (resident.ts, blockBytes) covers that over-read
  let xPtr: number;
  if (rt.holds(x)) xPtr = x.byteOffset;
  else {
    xPtr = rt.alloc((n + 4) * 4, 'resample2d input');
    rt.f32.set(x.length === n ? x : x.subarray(0, n), xPtr >> 2);
  }
  const outPtr = rt.output(planes * OH * OW, 'resample2d output');
  // weights: the vertical bands as they are, then each group's L×4 block (16-byte aligned)
  const vFloats = h.weights.length;
  const wBase = rt.alloc((roundUp(vFloats, 4) + 4 * groupTaps) * 4, 'resample2d weights');
  const f32 = rt.f32;
  f32.set(h.weights, wBase >> 2);
  const gAt: number[] = [];
  let at = roundUp(vFloats, 4);
  for (let g = 0; g < G; g++) {
    gAt.push(wBase + at * 4);
    f32.set(groups.weights[g], (wBase >> 2) + at);
    at += 4 * groups.len[g];
  }
  const vTab = rt.table(3 * OH, (i) => {
    const o = Math.floor(i / 3);
    return i % 3 === 0 ? h.start[o] : i % 3 === 1 ? h.count[o] : wBase + 4 * h.offset[o];
  });
  const hTab = rt.table(3 * G, (i) => {
    const g = Math.floor(i / 3);
    return i % 3 === 0 ? groups.start[g] : i % 3 === 1 ? groups.len[g] : gAt[g];
  });
  const tCols = plan.order === 0 ? roundUp(OW, 4) : roundUp(W, 4);
  const tRows = plan.order === 0 ? H : OH;
  const t = threads > 1 ? split(planes, 2 * threads, 1) : { size: planes, count: 1 };
  // task scratch: T, then one output row of whole vectors (a plane's last row goes through it)
  const tBytes = roundUp(tRows * tCols * 4, 64);
  const job = header(rt, KIND_RESAMPLE, t.count, threads, tBytes + roundUp(OW, 4) * 4, [
    planes, H, W, OH, OW, plan.order, xPtr, outPtr, t.size, vTab, hTab, tCols * 4, G, tBytes,
  ]);
  return { job, read: () => rt.read(outPtr, planes * OH * OW) };
}

/**
 * Kind 21: per position of logits [N, C, S] and integer targets [N, S] (as floats), the loss
 * lse − x[t] (0 where t is ignoreIndex or not a class) and lse = m + ln Σ_c e^(x − m).
 */
export function buildSoftmaxCrossEntropy(
  rt: WasmRuntime, x: Float32Array, target: Float32Array, N: number, C: number, S: number, ignoreIndex: number, threads: number,
): Built<CrossEntropyOutputs> {
  checkCrossEntropy('softmaxCrossEntropy', x, target, N, C, S);
  const cells = N * S;
  const xPtr = putN(rt, x, N * C * S);
  const tPtr = putN(rt, target, cells);
  const lossPtr = rt.output(cells, 'cross-entropy losses');
  const lsePtr = rt.output(cells, 'cross-entropy lse');
  const { perN, units, t } = crossEntropyUnits(N, S, threads);
  const job = header(rt, KIND_CE, t.count, threads, 0, [N, C, S, t.size, xPtr, tPtr, lossPtr, lsePtr, units, perN, 0]);
  // word 18: ignoreIndex as the f32 the targets are compared with (int32 tensors hold floats here)
  rt.f32[(job >> 2) + 18] = ignoreIndex;
  return { job, read: () => [rt.read(lossPtr, cells), rt.read(lsePtr, cells)] };
}

/** Kind 22: dx [N, C, S] = (e^(x − lse) − [c = t])·g per position, 0 where t is ignoreIndex or not a class. */
export function buildSoftmaxCrossEntropyBackward(
  rt: WasmRuntime, x: Float32Array, target: Float32Array, lse: Float32Array, g: Float32Array,
  N: number, C: number, S: number, ignoreIndex: number, threads: number,
): Built {
  checkCrossEntropy('softmaxCrossEntropyBackward', x, target, N, C, S);
  const cells = N * S;
  if (lse.length < cells || g.length < cells) {
    throw new Error(`wasm softmaxCrossEntropyBackward: needs lse and g of N·S = ${cells} floats, got lse ${lse.length}, g ${g.length}`);
  }
  const size = N * C * S;
  const xPtr = putN(rt, x, size);
  const tPtr = putN(rt, target, cells);
  const lsePtr = putN(rt, lse, cells);
  const gPtr = putN(rt, g, cells);
  const outPtr = rt.output(size, 'cross-entropy gradient');
  const { perN, units, t } = crossEntropyUnits(N, S, threads);
  const job = header(rt, KIND_CE_BWD, t.count, threads, 0, [N, C, S, t.size, xPtr, tPtr, lsePtr, gPtr, outPtr, units, perN, 0]);
  rt.f32[(job >> 2) + 19] = ignoreIndex;
  return { job, read: () => rt.read(outPtr, size) };
}

// ---- batch normalisation (training) ----

/** The outputs of a batch-norm job: forward [y, mean, var], backward [dx, dw, db]. */
export type BatchNormOutputs = [Float32Array, Float32Array, Float32Array];

/**
 * Work of a batch-norm job in the units of PARALLEL_MIN_FLOP: 3 (forward) or 5 (backward) passes
 * over a channel that stays in cache, about as much as one streaming pass of channelAffine per value
 * plus its copies (about one flop per value).
 */
export function batchNormFlop(N: number, C: number, inner: number): number {
  return N * C * inner;
}

function bnCheck(what: string, N: number, C: number, inner: number, arrays: [string, Float32Array, number][]): void {
  if (![N, C, inner].every((v) => Number.isInteger(v) && v >= 1)) {
    throw new Error(`wasm ${what}: needs N, C, inner >= 1, got N ${N}, C ${C}, inner ${inner}`);
  }
  for (const [name, a, n] of arrays) {
    if (a.length < n) throw new Error(`wasm ${what}: ${name} needs ${n} floats for [N ${N}, C ${C}, inner ${inner}], got ${a.length}`);
  }
}

/** Header words 18-19: eps as an f64 (its two i32 halves; WebAssembly memory is little-endian as the hosts' typed arrays). */
function putEps(rt: WasmRuntime, job: number, eps: number): void {
  const halves = new Int32Array(Float64Array.of(eps).buffer);
  rt.i32[(job >> 2) + 18] = halves[0];
  rt.i32[(job >> 2) + 19] = halves[1];
}

/** Channels per task: all on one thread, else about 2 tasks per thread (whole channels). */
function bnTasks(C: number, threads: number): { size: number; count: number } {
  return threads > 1 ? split(C, 2 * threads, 1) : { size: C, count: 1 };
}

/**
 * Batch-norm forward in training (kind 25) of x [N, C, inner] with weight w and bias b [C]:
 * [y, mean, var] with the batch mean and biased variance per channel (two-pass, sums in f64).
 */
export function buildBatchNormForward(
  rt: WasmRuntime, x: Float32Array, w: Float32Array, b: Float32Array, N: number, C: number, inner: number, eps: number, threads: number,
): Built<BatchNormOutputs> {
  const size = N * C * inner;
  bnCheck('batchNormForward', N, C, inner, [['x', x, size], ['weight', w, C], ['bias', b, C]]);
  const xPtr = putN(rt, x, size);
  const wPtr = putN(rt, w, C);
  const bPtr = putN(rt, b, C);
  const yPtr = rt.output(size, 'batchNorm output');
  const mPtr = rt.output(C, 'batchNorm mean');
  const vPtr = rt.output(C, 'batchNorm variance');
  const t = bnTasks(C, threads);
  const job = header(rt, KIND_BN_FWD, t.count, threads, 0, [N, C, inner, t.size, xPtr, wPtr, bPtr, yPtr, mPtr, vPtr]);
  putEps(rt, job, eps);
  return { job, read: () => [rt.read(yPtr, size), rt.read(mPtr, C), rt.read(vPtr, C)] };
}

/**
 * Batch-norm backward in training (kind 26): [dx, dw, db] from dy and x [N, C, inner] and the weight
 * w [C]; the statistics are recomputed from x exactly as kind 25 computes them.
 */
export function buildBatchNormBackward(
  rt: WasmRuntime, dy: Float32Array, x: Float32Array, w: Float32Array, N: number, C: number, inner: number, eps: number, threads: number,
): Built<BatchNormOutputs> {
  const size = N * C * inner;
  bnCheck('batchNormBackward', N, C, inner, [['dy', dy, size], ['x', x, size], ['weight', w, C]]);
  const xPtr = putN(rt, x, size);
  const dyPtr = putN(rt, dy, size);
  const wPtr = putN(rt, w, C);
  const dxPtr = rt.output(size, 'batchNorm input gradient');
  const dwPtr = rt.output(C, 'batchNorm weight gradient');
  const dbPtr = rt.output(C, 'batchNorm bias gradient');
  const t = bnTasks(C, threads);
  const job = header(rt, KIND_BN_BWD, t.count, threads, 0, [N, C, inner, t.size, xPtr, dyPtr, wPtr, dxPtr, dwPtr, dbPtr]);
  putEps(rt, job, eps);
  return { job, read: () => [rt.read(dxPtr, size), rt.read(dwPtr, C), rt.read(dbPtr, C)] };
}
