/**
 * Part `kernels`: single-op throughput and one small training step, ours (per backend) against
 * TensorFlow.js (tfjs-backend-wasm and tfjs-backend-cpu) in the same process, on the same inputs.
 *
 * Workloads:
 * - GEMM n×n · n×n, n = 256, 512, 1024 (fp32; 2·n³ flop)
 * - conv2d 3×3, batch 8, 32→32 channels, 64×64, padding 1, forward (2·N·H·W·Cout·Cin·9 flop)
 * - softmax over [65536, 19] along the last axis (counted as 5 flop per element)
 * - conv net forward+backward: input 8×3×64×64, four 3×3 conv(32)+bias+ReLU, a 1×1 conv to 11
 *   classes, softmax cross-entropy (mean) against int32 labels; gradients of all ten parameters.
 *   GFLOP/s counts the convolutions only (forward, input gradient of layers 2–5, filter gradients).
 *
 * Every workload is first run once per implementation as a correctness check against tfjs-wasm
 * (max relative error, printed); that run also serves as the first warm-up. Each framework uses its
 * native layout (ours NCHW with [Cout, Cin, kh, kw] filters, tfjs NHWC with [kh, kw, Cin, Cout]);
 * outputs are transposed on the host for the comparison only, outside the timed region.
 */
import type * as TF from '@tensorflow/tfjs';
import * as ss from '../src/index.js';
import {
  defaultMeasureOptions, errorMessage, fmtErr, fmtGflops, fmtMs, fmtRatio, gflops, HostRng, maxRelErr, maxRelErrAll, measure, permuteHost, renderTable, timeOnce,
  type BenchRecord, type Column, type MeasureOptions, type Part, type PartContext, type PartResult,
} from './harness.js';
import { forwardOpsConv2d } from './peers/tfjs-conv.js';
import { describeTfjs, loadTfjs, useTfjs, type Tf, type TfjsBackend, type TfjsEnv } from './peers/tfjs.js';

const PART = 'kernels';
/** Relative error above which a row is flagged MISMATCH. */
const TOL = 1e-3;

// ---------------------------------------------------------------------------------------------
// Workloads

/** One implementation of a workload, set up on the current backend. */
interface Instance {
  /** Runs the workload and downloads its outputs (the timed unit). */
  run(): Promise<Float32Array[]>;
  /** Brings outputs to the canonical layout (ours: NCHW, [Cout, Cin, kh, kw]); not timed. */
  canonical(outs: Float32Array[]): Float32Array[];
  dispose(): void;
}

interface Workload {
  id: string;
  label: string;
  flop: number;
  /** Names of the outputs (for saying which one disagrees), when there are several. */
  outputs?: readonly string[];
  ours(): Instance;
  tfjs(tf: Tf, backend: TfjsBackend, env: TfjsEnv): Instance;
  /** A table note for the peer on this backend (e.g. how a missing kernel was replaced). */
  peerNote?(backend: TfjsBackend, env: TfjsEnv): string | undefined;
  /** Reduced repetitions for a peer backend that is too slow for the default policy. */
  peerCap?(backend: TfjsBackend, slow: boolean): PeerCap | undefined;
}

/**
 * How a too-slow peer measurement is cut down: `single` makes the correctness run the only
 * (timed) run; `skip` leaves it out (unless `--slow`).
 */
interface PeerCap {
  single?: boolean;
  skip?: boolean;
  note: string;
}

const f32 = (d: ss.HostArray | TF.TypedArray): Float32Array => (d instanceof Float32Array ? d : Float32Array.from(d as ArrayLike<number>));
const identity = (o: Float32Array[]) => o;

function lazy<T>(make: () => T): () => T {
  let v: T | undefined;
  return () => (v ??= make());
}

function gemm(n: number): Workload {
  const data = lazy(() => {
    const rng = new HostRng(1000 + n);
    return { a: rng.uniforms(n * n), b: rng.uniforms(n * n) };
  });
  return {
    id: `gemm${n}`,
    label: `GEMM ${n}² (fp32)`,
    flop: 2 * n ** 3,
    ours() {
      const { a, b } = data();
      const A = ss.tensor(a, [n, n]);
      const B = ss.tensor(b, [n, n]);
      return {
        async run() {
          const C = ss.matmul(A, B);
          try {
            return [f32(await C.data())];
          } finally {
            C.dispose();
          }
        },
        canonical: identity,
        dispose: () => ss.dispose([A, B]),
      };
    },
    tfjs(tf) {
      const { a, b } = data();
      const A = tf.tensor2d(a, [n, n]);
      const B = tf.tensor2d(b, [n, n]);
      return {
        async run() {
          const C = tf.matMul(A, B);
          try {
            return [f32(await C.data())];
          } finally {
            C.dispose();
          }
        },
        canonical: identity,
        dispose: () => tf.dispose([A, B]),
      };
    },
    peerCap: (b) =>
      b === 'cpu' && n >= 1024 ? { single: true, note: `tfjs-cpu GEMM ${n}²: a single run (the correctness run, ≈3 s), to keep the part under 5 minutes` } : undefined,
  };
}

const CONV = { N: 8, C: 32, H: 64, W: 64, K: 3 };

function conv(): Workload {
  const { N, C, H, W, K } = CONV;
  const data = lazy(() => {
    const rng = new HostRng(2000);
    const x = rng.normals(N * C * H * W);
    const w = rng.normals(C * C * K * K, Math.sqrt(2 / (C * K * K)));
    return { x, w };
  });
  return {
    id: 'conv3x3',
    label: `conv2d 3×3 fwd, ${N}×${C}→${C}, ${H}×${W}, pad 1`,
    flop: 2 * N * H * W * C * C * K * K,
    ours() {
      const { x, w } = data();
      const X = ss.tensor(x, [N, C, H, W]);
      const Wt = ss.tensor(w, [C, C, K, K]);
      return {
        async run() {
          const Y = ss.conv2d(X, Wt, null, { padding: 1 });
          try {
            return [f32(await Y.data())];
          } finally {
            Y.dispose();
          }
        },
        canonical: identity,
        dispose: () => ss.dispose([X, Wt]),
      };
    },
    tfjs(tf) {
      const { x, w } = data();
      const X = tf.tensor4d(permuteHost(x, [N, C, H, W], [0, 2, 3, 1]), [N, H, W, C]);
      const Wt = tf.tensor4d(permuteHost(w, [C, C, K, K], [2, 3, 1, 0]), [K, K, C, C]);
      return {
        async run() {
          const Y = tf.conv2d(X, Wt, 1, 'same');
          try {
            return [f32(await Y.data())];
          } finally {
            Y.dispose();
          }
        },
        canonical: ([y]) => [permuteHost(y, [N, H, W, C], [0, 3, 1, 2])],
        dispose: () => tf.dispose([X, Wt]),
      };
    },
  };
}

function softmax(): Workload {
  const R = 65536;
  const K = 19;
  const data = lazy(() => new HostRng(3000).normals(R * K, 3));
  return {
    id: 'softmax',
    label: `softmax [${R}, ${K}], last axis`,
    flop: 5 * R * K,
    ours() {
      const X = ss.tensor(data(), [R, K]);
      return {
        async run() {
          const Y = ss.tidy(() => ss.softmax(X, -1));
          try {
            return [f32(await Y.data())];
          } finally {
            Y.dispose();
          }
        },
        canonical: identity,
        dispose: () => X.dispose(),
      };
    },
    tfjs(tf) {
      const X = tf.tensor2d(data(), [R, K]);
      return {
        async run() {
          const Y = tf.softmax(X);
          try {
            return [f32(await Y.data())];
          } finally {
            Y.dispose();
          }
        },
        canonical: identity,
        dispose: () => X.dispose(),
      };
    },
  };
}

// ---- the conv net ----

const NET = { N: 8, Cin: 3, H: 64, W: 64, width: 32, classes: 11 };
/** [Cout, Cin, k] of the five conv layers. */
const LAYERS: readonly [number, number, number][] = [
  [NET.width, NET.Cin, 3],
  [NET.width, NET.width, 3],
  [NET.width, NET.width, 3],
  [NET.width, NET.width, 3],
  [NET.classes, NET.width, 1],
];

function netFlop(): number {
  const px = NET.N * NET.H * NET.W;
  let f = 0;
  LAYERS.forEach(([co, ci, k], i) => {
    const one = 2 * px * co * ci * k * k;
    f += one; // forward
    f += one; // filter gradient
    if (i > 0) f += one; // input gradient (the network input needs none)
  });
  return f;
}


function convNet(): Workload {
  const { N, Cin, H, W, classes } = NET;
  const data = lazy(() => {
    const rng = new HostRng(4000);
    const x = rng.normals(N * Cin * H * W);
    const labels = rng.ints(N * H * W, classes);
    const ws = LAYERS.map(([co, ci, k]) => rng.normals(co * ci * k * k, Math.sqrt(2 / (ci * k * k))));
    const bs = LAYERS.map(([co]) => rng.normals(co, 0.1));
    return { x, labels, ws, bs };
  });
  const nativeFilterGrad = (tf: Tf, backend: TfjsBackend) => !!tf.getKernel('Conv2DBackpropFilter', backend);
  return {
    id: 'convnet',
    label: `conv net fwd+bwd step (${N}×${Cin}×${H}×${W}, 4×conv3×3(${NET.width})+ReLU, 1×1→${classes}, CE)`,
    flop: netFlop(),
    outputs: ['loss', ...LAYERS.map((_, i) => `dW${i + 1}`), ...LAYERS.map((_, i) => `db${i + 1}`)],
    ours() {
      const d = data();
      const X = ss.tensor(d.x, [N, Cin, H, W]);
      const Y = ss.tensor(d.labels, [N, H, W], { dtype: 'int32' });
      const Ws = LAYERS.map(([co, ci, k], i) => ss.tensor(d.ws[i], [co, ci, k, k]));
      const Bs = LAYERS.map(([co], i) => ss.tensor(d.bs[i], [co]));
      const loss = (...p: ss.Tensor[]) => {
        let h = X;
        for (let i = 0; i < 4; i++) h = ss.relu(ss.conv2d(h, p[i], p[5 + i], { padding: 1 }));
        return ss.crossEntropy(ss.conv2d(h, p[4], p[9]), Y);
      };
      const step = ss.valueAndGrad(loss);
      return {
        async run() {
          const outs = ss.tidy(() => {
            const { value, grads } = step(...Ws, ...Bs);
            return [value, ...grads];
          });
          try {
            return await Promise.all(outs.map(async (t) => f32(await t.data())));
          } finally {
            ss.dispose(outs);
          }
        },
        canonical: identity,
        dispose: () => ss.dispose([X, Y, ...Ws, ...Bs]),
      };
    },
    tfjs(tf, backend) {
      const d = data();
      const X = tf.tensor4d(permuteHost(d.x, [N, Cin, H, W], [0, 2, 3, 1]), [N, H, W, Cin]);
      const Y = tf.tensor1d(d.labels, 'int32');
      const Ws = LAYERS.map(([co, ci, k], i) => tf.tensor4d(permuteHost(d.ws[i], [co, ci, k, k], [2, 3, 1, 0]), [k, k, ci, co]));
      const Bs = LAYERS.map(([co], i) => tf.tensor1d(d.bs[i]));
      const custom = !nativeFilterGrad(tf, backend);
      const convs = LAYERS.map(([, , k], i) => (custom ? forwardOpsConv2d(tf, k, 1, i > 0 ? 'forward-conv' : null) : (x: TF.Tensor4D, w: TF.Tensor4D) => tf.conv2d(x, w, 1, k === 1 ? 'valid' : 'same')));
      const loss = (...p: TF.Tensor[]) => {
        let h = X;
        for (let i = 0; i < 4; i++) h = tf.relu(tf.add(convs[i](h, p[i] as TF.Tensor4D), p[5 + i])) as TF.Tensor4D;
        const logits = tf.add(convs[4](h, p[4] as TF.Tensor4D), p[9]);
        return tf.losses.softmaxCrossEntropy(tf.oneHot(Y, classes), tf.reshape(logits, [-1, classes])) as TF.Scalar;
      };
      const step = tf.valueAndGrads(loss);
      return {
        async run() {
          const { value, grads } = step([...Ws, ...Bs]);
          const outs = [value, ...grads];
          try {
            return await Promise.all(outs.map(async (t) => f32(await t.data())));
          } finally {
            tf.dispose(outs);
          }
        },
        canonical: (outs) => [
          outs[0],
          ...LAYERS.map(([co, ci, k], i) => permuteHost(outs[1 + i], [k, k, ci, co], [3, 2, 0, 1])),
          ...outs.slice(6),
        ],
        dispose: () => tf.dispose([X, Y, ...Ws, ...Bs]),
      };
    },
    peerNote: (backend, env) =>
      nativeFilterGrad(env.tf, backend)
        ? undefined
        : `tfjs-${backend} conv net: tfjs-backend-${backend} ${env.version} registers no Conv2DBackpropFilter kernel, so the peer's filter gradient is written with forward ops ` +
          '(tf.customGrad: a forward Conv2D of x transposed to [Cin, H, W, N] with dy transposed to [H, W, N, Cout] as filter; the input gradient a forward Conv2D of dy with the filter flipped in space and Cin ↔ Cout swapped, since tfjs-wasm runs its own Conv2DBackpropInput (conv2dTranspose) outside XNNPACK, ~13× slower)',
    peerCap: (b, slow) =>
      b !== 'cpu'
        ? undefined
        : slow
          ? { single: true, note: 'tfjs-cpu conv net: a single run (the correctness run), included by --slow' }
          : {
              skip: true,
              note:
                "tfjs-cpu conv net: skipped (run with --slow to include one run). tfjs-backend-cpu's Conv2DBackpropFilter is a scalar JavaScript loop: " +
                'one 32→32 3×3 filter gradient at this size took 111 s here, a whole step ≈ 4 min, more than the 5-minute budget of this part',
            },
  };
}

export const WORKLOADS: readonly Workload[] = [gemm(256), gemm(512), gemm(1024), conv(), softmax(), convNet()];

// ---------------------------------------------------------------------------------------------
// Backends

interface OurBackend {
  id: string;
  label: string;
  select(): Promise<void>;
}

const OUR_BACKENDS: readonly OurBackend[] = [
  { id: 'webasm-async', label: 'webasm async (worker threads)', select: async () => void (await ss.setBackend('webasm', { async: true })) },
  { id: 'webasm-sync', label: 'webasm sync', select: async () => void (await ss.setBackend('webasm', { async: false })) },
  { id: 'cpu', label: 'cpu', select: async () => void (await ss.setBackend('cpu')) },
  { id: 'webgpu', label: 'webgpu', select: async () => void (await ss.setBackend('webgpu')) },
  { id: 'headlessgl', label: 'headlessgl', select: async () => void (await ss.setBackend('headlessgl')) },
];

/** Adapter description once ss has installed navigator.gpu (the webgpu package in Node). */
async function webgpuAdapter(): Promise<string> {
  try {
    const nav = (globalThis as { navigator?: { gpu?: { requestAdapter(): Promise<unknown> } } }).navigator;
    const a = (await nav?.gpu?.requestAdapter()) as { info?: Record<string, string>; isFallbackAdapter?: boolean } | null | undefined;
    if (!a) return 'no adapter';
    const i = a.info ?? {};
    const all = [i.vendor, i.architecture, i.device, i.description].filter((s) => s && s.length > 0).join(' ');
    const software = !!a.isFallbackAdapter || /llvmpipe|lavapipe|swiftshader|software|cpu/i.test(all);
    const short = (i.description || [i.vendor, i.device].filter(Boolean).join(' ') || 'adapter without description').slice(0, 60);
    return `${short}${software ? ', software' : ''}`;
  } catch (e) {
    return `adapter query failed: ${errorMessage(e)}`;
  }
}

// ---------------------------------------------------------------------------------------------
// Running

interface Cell {
  ms: number | null;
  runs: number;
  samples: number[];
  relErr: number | null;
  note?: string;
  checkMs?: number;
  /** The only run was the first (correctness) run, so it includes kernel compilation. */
  cold?: boolean;
  /** Per-output relative errors (multi-output workloads). */
  relErrs?: number[];
}

/** Untimed warm-up of a light workload (correctness run under 200 ms) before its timed runs. */
const WARMUP_MS = 1000;
/** Under --quick, a workload whose correctness run took longer than this is not run again. */
const QUICK_SINGLE_MS = 2000;
const runsText = (c: Cell) => (c.cold ? '1 (cold)' : String(c.runs));

function policy(quick: boolean, checkMs: number): MeasureOptions {
  const base = defaultMeasureOptions(quick);
  // The correctness run was the first warm-up; light workloads get more, and at least a second of
  // it (harness.ts, warmupMs: a GEMM 512² through `data()` ran at ~43 GFLOP/s for its first ~60
  // runs in a fresh process, then ~77, the difference all in `data()`'s fresh 1 MiB arrays).
  const warmup = checkMs < 200 ? (quick ? 1 : 3) : checkMs < 2000 && !quick ? 1 : 0;
  return { ...base, warmup, warmupMs: checkMs < 200 && !quick ? WARMUP_MS : 0 };
}

async function runOne(make: () => Instance, ref: Float32Array[] | null, quick: boolean, single = false): Promise<{ cell: Cell; canon: Float32Array[] | null }> {
  let inst: Instance | null = null;
  try {
    inst = make();
    const it = inst;
    const check = await timeOnce(() => it.run());
    const canon = it.canonical(check.value);
    const relErr = ref ? maxRelErrAll(canon, ref) : null;
    const relErrs = ref && canon.length > 1 && canon.length === ref.length ? canon.map((c, i) => maxRelErr(c, ref[i])) : undefined;
    // NOTE: --quick reports a slow workload's correctness run itself (cold: includes kernel compilation).
    const cold = !single && quick && check.ms > QUICK_SINGLE_MS;
    if (single || cold) return { cell: { ms: check.ms, runs: 1, samples: [check.ms], relErr, relErrs, checkMs: check.ms, cold }, canon };
    const m = await measure(() => it.run(), policy(quick, check.ms));
    return { cell: { ms: m.medianMs, runs: m.runs, samples: m.samplesMs, relErr, relErrs, checkMs: check.ms }, canon };
  } catch (e) {
    return { cell: { ms: null, runs: 0, samples: [], relErr: null, note: `error: ${errorMessage(e)}` }, canon: null };
  } finally {
    try {
      inst?.dispose();
    } catch {
      // already reported
    }
  }
}

const COLS_OURS: Column[] = [
  { header: 'workload' },
  { header: 'ms (median)', align: 'right' },
  { header: 'runs', align: 'right' },
  { header: 'GFLOP/s', align: 'right' },
  { header: 'tfjs-wasm ms', align: 'right' },
  { header: 'ours/tfjs-wasm', align: 'right' },
  { header: 'tfjs-cpu ms', align: 'right' },
  { header: 'ours/tfjs-cpu', align: 'right' },
  { header: 'max rel err', align: 'right' },
];

const COLS_PEER: Column[] = [
  { header: 'workload' },
  { header: 'peer' },
  { header: 'ms (median)', align: 'right' },
  { header: 'runs', align: 'right' },
  { header: 'GFLOP/s', align: 'right' },
  { header: 'max rel err', align: 'right' },
];

const RATIO_NOTE = 'ratio = ours ms / tfjs ms (time ratio: > 1 means ours is slower, < 1 faster)';

export const part: Part = {
  name: PART,
  summary: 'GEMM 256²/512²/1024², conv2d 3×3, softmax and a small conv net fwd+bwd: ours per backend vs TensorFlow.js (wasm, cpu)',
  async run(ctx: PartContext): Promise<PartResult> {
    const records: BenchRecord[] = [];
    const tables: string[] = [];
    const notes: string[] = [];
    const info: Record<string, unknown> = {};
    const emit = (t: string) => {
      tables.push(t);
      ctx.out(`${t}\n`);
    };
    const wanted = (id: string) => !ctx.backends || ctx.backends.includes(id) || (id.startsWith('tfjs-') && !ctx.backends.some((b) => b.startsWith('tfjs-')));

    // ---- peers first: tfjs-wasm is the correctness reference ----
    const env = await loadTfjs(ctx.log);
    info.tfjs = { version: env.version, labels: env.labels, wasm: env.wasm, cpu: env.cpu };
    for (const l of describeTfjs(env)) ctx.out(l);
    ctx.out('');
    const peer: Record<string, Record<string, Cell>> = {};
    const ref: Record<string, Float32Array[] | null> = {};
    const peerNotes = new Set<string>();
    for (const b of env.backends) {
      const id = `tfjs-${b}`;
      if (!wanted(id)) continue;
      await useTfjs(env, b);
      peer[id] = {};
      for (const w of WORKLOADS) {
        const cap = w.peerCap?.(b, ctx.slow);
        ctx.log(`[kernels] ${env.labels[b]}: ${w.label}${cap?.skip ? ': skipped' : '…'}`);
        const { cell, canon } = cap?.skip
          ? { cell: { ms: null, runs: 0, samples: [], relErr: null } as Cell, canon: null }
          : await runOne(() => w.tfjs(env.tf, b, env), b === 'wasm' ? null : (ref[w.id] ?? null), ctx.quick, cap?.single);
        if (b === 'wasm') {
          ref[w.id] = canon;
          if (canon) cell.relErr = 0;
        } else if (ref[w.id] === undefined && canon) {
          ref[w.id] = canon; // no wasm peer: tfjs-cpu is the reference
          cell.relErr = 0;
        }
        const pn = w.peerNote?.(b, env);
        if (pn) peerNotes.add(pn);
        if (cap) peerNotes.add(cap.note);
        cell.note = [cell.note, pn, cap?.note].filter(Boolean).join('; ') || undefined;
        peer[id][w.id] = cell;
        ctx.log(`[kernels]   ${fmtMs(cell.ms)} ms × ${cell.runs}${cell.note?.startsWith('error') ? ` (${cell.note})` : ''}`);
        records.push({
          part: PART, workload: w.id, label: w.label, impl: 'tfjs', backend: id, medianMs: cell.ms, runs: cell.runs, samplesMs: cell.samples,
          flop: w.flop, gflops: gflops(w.flop, cell.ms), relErr: cell.relErr, relErrRef: cell.relErr === null ? null : (peer['tfjs-wasm'] && b !== 'wasm' ? 'tfjs-wasm' : id), note: cell.note,
          extra: { label: env.labels[b], checkMs: cell.checkMs, cold: !!cell.cold, relErrByOutput: namedErrs(w, cell) },
        });
      }
    }
    const refName = peer['tfjs-wasm'] ? 'tfjs-wasm' : peer['tfjs-cpu'] ? 'tfjs-cpu' : null;
    if (refName !== 'tfjs-wasm') notes.push(refName ? 'reference for the error column: tfjs-cpu (tfjs-wasm did not run)' : 'no tfjs peer ran: no correctness reference');

    const peerRows: string[][] = [];
    for (const w of WORKLOADS) {
      for (const [id, cells] of Object.entries(peer)) {
        const c = cells[w.id];
        const skippedCell = c.ms === null && !c.note?.startsWith('error');
        peerRows.push([w.label, env.labels[id.slice(5)] ?? id, skippedCell ? 'skipped' : c.ms === null ? 'error' : fmtMs(c.ms), runsText(c), fmtGflops(gflops(w.flop, c.ms)), id === refName ? '(reference)' : fmtErr(c.relErr, TOL)]);
      }
    }
    const errorNotes = Object.entries(peer).flatMap(([id, cells]) => Object.entries(cells).filter(([, c]) => c.note?.startsWith('error')).map(([wid, c]) => `${id} ${wid}: ${c.note}`));
    const peerMismatch = Object.entries(peer).flatMap(([id, cells]) => WORKLOADS.flatMap((w) => (cells[w.id] ? mismatchNote(w, cells[w.id]).map((n) => `${id} ${n}`) : [])));
    const errNote = `max rel err = max|x − ref| / max|ref| against ${refName ?? 'nothing (no peer ran)'} (all outputs; conv net: the loss and all ten gradients)`;
    emit(renderTable(`### kernels — peer: TensorFlow.js ${env.version}`, COLS_PEER, peerRows, [errNote, ...peerMismatch, ...peerNotes, ...errorNotes, ...describeTfjs(env).slice(1)]));

    // ---- ours, per backend ----
    const ours: Record<string, Record<string, Cell>> = {};
    const ourLabels: Record<string, string> = {};
    const skipped: string[] = [];
    for (const b of OUR_BACKENDS) {
      if (!wanted(b.id)) continue;
      try {
        await b.select();
      } catch (e) {
        const why = `ours ${b.id}: skipped — ${errorMessage(e)}`;
        skipped.push(why);
        ctx.log(`[kernels] ${why}`);
        records.push({ part: PART, workload: '*', label: 'backend unavailable', impl: 'ours', backend: b.id, medianMs: null, runs: 0, samplesMs: [], flop: null, gflops: null, relErr: null, relErrRef: null, note: why });
        continue;
      }
      const adapter = b.id === 'webgpu' ? await webgpuAdapter() : null;
      ourLabels[b.id] = b.label + (adapter ? ` (${adapter})` : '');
      ours[b.id] = {};
      for (const w of WORKLOADS) {
        ctx.log(`[kernels] ours ${ourLabels[b.id]}: ${w.label}…`);
        const { cell } = await runOne(() => w.ours(), refName ? (ref[w.id] ?? null) : null, ctx.quick);
        ours[b.id][w.id] = cell;
        ctx.log(`[kernels]   ${fmtMs(cell.ms)} ms × ${cell.runs}, rel err ${fmtErr(cell.relErr, TOL)}${cell.note ? ` (${cell.note})` : ''}`);
        records.push({
          part: PART, workload: w.id, label: w.label, impl: 'ours', backend: b.id, medianMs: cell.ms, runs: cell.runs, samplesMs: cell.samples,
          flop: w.flop, gflops: gflops(w.flop, cell.ms), relErr: cell.relErr, relErrRef: refName, note: cell.note,
          extra: { checkMs: cell.checkMs, cold: !!cell.cold, relErrByOutput: namedErrs(w, cell), ratioTfjsWasm: ratio(cell.ms, peer['tfjs-wasm']?.[w.id]?.ms), ratioTfjsCpu: ratio(cell.ms, peer['tfjs-cpu']?.[w.id]?.ms) },
        });
      }
      const bi = ss.backendInfo();
      const mem = ss.memory();
      (info.backends ??= {} as Record<string, unknown>);
      (info.backends as Record<string, unknown>)[b.id] = { label: ourLabels[b.id], backendInfo: bi, memoryAfter: mem };
      const rows = WORKLOADS.map((w) => {
        const c = ours[b.id][w.id];
        const pw = peer['tfjs-wasm']?.[w.id]?.ms ?? null;
        const pc = peer['tfjs-cpu']?.[w.id]?.ms ?? null;
        return [w.label, c.ms === null ? 'error' : fmtMs(c.ms), runsText(c), fmtGflops(gflops(w.flop, c.ms)), fmtMs(pw), fmtRatio(c.ms, pw), fmtMs(pc), fmtRatio(c.ms, pc), fmtErr(c.relErr, TOL)];
      });
      const tnotes = [
        `backendInfo() = ${JSON.stringify(bi)}`,
        RATIO_NOTE,
        errNote,
        ...(WORKLOADS.some((w) => Object.values(peer).some((cells) => cells[w.id] && cells[w.id].ms === null)) ? ['— in a tfjs column: that peer measurement was skipped or failed (see the peer table)'] : []),
        ...WORKLOADS.flatMap((w) => (ours[b.id][w.id].note ? [`${w.label}: ${ours[b.id][w.id].note}`] : [])),
        ...WORKLOADS.flatMap((w) => mismatchNote(w, ours[b.id][w.id])),
      ];
      emit(renderTable(`### kernels — ours: ${ourLabels[b.id]}`, COLS_OURS, rows, tnotes));
    }

    // ---- summary: ours/tfjs-wasm per workload and backend ----
    const ids = Object.keys(ours);
    if (ids.length > 0 && peer['tfjs-wasm']) {
      const cols: Column[] = [{ header: 'workload' }, { header: 'tfjs-wasm ms', align: 'right' }, ...ids.map((id) => ({ header: `${id} ×`, align: 'right' as const }))];
      const rows = WORKLOADS.map((w) => {
        const pw = peer['tfjs-wasm'][w.id]?.ms ?? null;
        return [w.label, fmtMs(pw), ...ids.map((id) => fmtRatio(ours[id][w.id]?.ms, pw))];
      });
      emit(renderTable('### kernels — summary: ours/tfjs-wasm time ratio (> 1: ours slower)', cols, rows));
    }

    notes.push(
      RATIO_NOTE,
      `times: wall clock from launch until the outputs are on the host (await data()), median of the timed runs; the correctness run is the first warm-up and is not timed; workloads whose correctness run took under 200 ms get ${WARMUP_MS / 1000} s more of untimed runs first${ctx.quick ? ' (not under --quick)' : ''} (a fresh process's first output arrays land on never-touched memory, whose page faults can double a 5 ms run)`,
      `max rel err = max|ours − ref| / max|ref| over all outputs (conv net: loss and all ten gradients), ref = ${refName ?? 'none'}; above ${TOL} it is flagged MISMATCH`,
      'layouts: ours NCHW with [Cout, Cin, kh, kw] filters, tfjs NHWC with [kh, kw, Cin, Cout] (each its native layout); outputs are transposed on the host for the check only',
      'flop: GEMM 2·n³; conv 2·N·H·W·Cout·Cin·k²; softmax 5 per element; conv net: the convolutions only (forward, input gradient of layers 2–5, all filter gradients)',
      ...(ctx.quick ? [`--quick: workloads whose correctness run took over ${QUICK_SINGLE_MS / 1000} s report that single run ("1 (cold)": it includes kernel compilation and worker start-up); quick numbers are a smoke test, not a measurement`] : []),
      ...skipped,
    );
    ctx.out(notes.map((n) => `- ${n}`).join('\n') + '\n');
    info.ourBackends = ourLabels;
    return { part: PART, records, tables, notes, info };
  },
};

/** A table note for a row whose error exceeds TOL, naming the worst outputs. */
function mismatchNote(w: Workload, c: Cell): string[] {
  const e = c.relErr;
  if (e === null || e <= TOL) return [];
  const named = namedErrs(w, c);
  const worst = named
    ? Object.entries(named)
        .filter(([, v]) => !(v <= TOL))
        .map(([k, v]) => `${k} ${Number.isNaN(v) ? 'NaN' : v.toExponential(1)}`)
        .join(', ')
    : '';
  return [`${w.label}: MISMATCH — max rel err ${Number.isNaN(e) ? 'NaN' : e.toExponential(1)} > ${TOL}${worst ? ` (outputs over it: ${worst})` : ''}`];
}

function namedErrs(w: Workload, c: Cell): Record<string, number> | undefined {
  if (!c.relErrs) return undefined;
  return Object.fromEntries(c.relErrs.map((e, i) => [w.outputs?.[i] ?? `out${i}`, e]));
}

function ratio(a: number | null | undefined, b: number | null | undefined): number | null {
  return a != null && b != null && b > 0 ? a / b : null;
}
