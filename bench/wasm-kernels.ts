/**
 * Part `wasm-kernels`: the hand-written WebAssembly SIMD host kernels (src/tensor/backends/wasm)
 * against the gpu.js webasm kernels they replace, and TensorFlow.js's wasm backend (XNNPACK) as the
 * yardstick. Runs as a harness part (`export const part`) or alone:
 *
 *   npx tsx bench/wasm-kernels.ts [--quick] [--no-peer] [--no-gpujs] [--json FILE]
 *
 * (--quick: fewer runs, and no gpu.js GEMM 1024², which takes 10–20 s a run.)
 *   npx tsx bench/wasm-kernels.ts --best-of 60   fastest single runs over 60 s (see bestOf)
 *
 * Workloads:
 * - GEMM n×n·n×n, n = 256, 512, 1024 (2·n³ flop).
 * - conv2d 3×3, batch 8, 32→32 channels, 64×64, padding 1: forward, input gradient, weight gradient
 *   (2·8·32·32·9·64·64 flop each).
 * - One training step of the compact segmentation model (`new SegModel(11)`, input 8×3×64×84,
 *   labels 0..10, AdamW), as src/train/trainer.ts runs it, with and without the wasm kernels.
 *
 * Ours runs through a GpuBackend in webasm mode (upload, op, download), so each time includes the
 * copies in and out of WebAssembly memory. "per CPU" divides the flops by the process CPU time of
 * the run (all threads): it shows kernel efficiency independently of other load on the machine.
 */
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import type { Conv2dSpec, MatmulSpec } from '../src/tensor/backend.js';
import { GpuBackend, type HostKernels } from '../src/tensor/backends/gpu/gpu-backend.js';
import { ReferenceBackend } from '../src/tensor/backends/reference/reference-backend.js';
import { WasmKernels, shutdownWasmKernels, warmUpWasmKernels } from '../src/tensor/backends/wasm/index.js';
import * as ss from '../src/index.js';
import { SegModel } from '../src/models/index.js';
import {
  busyWarning, defaultMeasureOptions, errorMessage, fmtErr, fmtGflops, fmtMs, formatMachine, gflops, HostRng, machineInfo, maxRelErr, median, renderTable,
  type BenchRecord, type MeasureOptions, type Part, type PartContext, type PartResult,
} from './harness.js';

const PART = 'wasm-kernels';
const TOL = 1e-4;
/** Untimed warm-up per row and implementation (not under --quick). */
const WARMUP_MS = 1000;

interface Timing {
  medianMs: number;
  minMs: number;
  runs: number;
  samplesMs: number[];
  /** Median process CPU time (all threads) per run. */
  cpuMs: number;
}

/** Times `fn` like harness.measure (warm-up, then repeated runs) and records CPU time per run too. */
async function timeIt(fn: () => Promise<unknown>, opts: MeasureOptions): Promise<Timing> {
  const o = { ...defaultMeasureOptions(false), ...opts };
  const w0 = performance.now();
  for (let i = 0; i < o.warmup; i++) await fn();
  while (performance.now() - w0 < o.warmupMs) await fn();
  const wall: number[] = [];
  const cpu: number[] = [];
  let total = 0;
  while (wall.length < o.maxRuns) {
    if (wall.length > 0) {
      if (total + median(wall) > o.capMs) break;
      if (wall.length >= o.minRuns && total >= o.budgetMs) break;
    }
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    await fn();
    const dt = performance.now() - t0;
    const c = process.cpuUsage(c0);
    wall.push(dt);
    cpu.push((c.user + c.system) / 1000);
    total += dt;
  }
  return { medianMs: median(wall), minMs: Math.min(...wall), runs: wall.length, samplesMs: wall, cpuMs: median(cpu) };
}

// ---------------------------------------------------------------------------------------------
// Implementations under test

interface Impl {
  id: string;
  label: string;
  /** The backend ops run on; null for the peer. */
  backend: GpuBackend | null;
  /** Threads our kernels use (for the per-CPU column). */
  threads?: number;
}

function ours(id: string, label: string, isAsync: boolean, host: HostKernels | null, threads?: number): Impl {
  const backend = new GpuBackend('webasm', isAsync);
  backend.setHostKernels(host);
  return { id, label, backend, threads };
}

const CONV: Conv2dSpec = {
  N: 8, Cin: 32, H: 64, W: 64, Cout: 32, kh: 3, kw: 3, OH: 64, OW: 64,
  strideH: 1, strideW: 1, padH: 1, padW: 1, dilationH: 1, dilationW: 1, groups: 1,
};
const CONV_FLOP = 2 * 8 * 32 * 32 * 9 * 64 * 64;
type ConvOp = 'conv2d' | 'conv2dBackwardInput' | 'conv2dBackwardWeight';
const CONV_OPS: [ConvOp, string][] = [
  ['conv2d', 'conv2d 3×3 fwd'],
  ['conv2dBackwardInput', 'conv2d 3×3 bwd-input'],
  ['conv2dBackwardWeight', 'conv2d 3×3 bwd-weight'],
];

/** Runs `op` once on `b` and returns the result on the host (the timed unit). */
async function runOnBackend(b: GpuBackend, work: 'gemm' | ConvOp, data: Float32Array[], n: number): Promise<Float32Array> {
  const s = CONV;
  const up = (a: Float32Array, shape: number[]) => b.upload(a, shape, 'float32');
  let out;
  const ins = [];
  if (work === 'gemm') {
    const spec: MatmulSpec = { batch: 1, M: n, K: n, N: n, aBatch: 0, aRow: n, aCol: 1, bBatch: 0, bRow: n, bCol: 1 };
    ins.push(up(data[0], [n, n]), up(data[1], [n, n]));
    out = b.matmul(ins[0], ins[1], spec, [n, n]);
  } else {
    const x = [s.N, s.Cin, s.H, s.W];
    const w = [s.Cout, s.Cin, s.kh, s.kw];
    const y = [s.N, s.Cout, s.OH, s.OW];
    if (work === 'conv2d') {
      ins.push(up(data[0], x), up(data[1], w));
      out = b.conv2d(ins[0], ins[1], s);
    } else if (work === 'conv2dBackwardInput') {
      ins.push(up(data[2], y), up(data[1], w));
      out = b.conv2dBackwardInput(ins[0], ins[1], s);
    } else {
      ins.push(up(data[0], x), up(data[2], y));
      out = b.conv2dBackwardWeight(ins[0], ins[1], s);
    }
  }
  try {
    return (await b.download(out)) as Float32Array;
  } finally {
    out.dispose();
    for (const t of ins) t.dispose();
  }
}

/** float64 results from the reference backend (the correctness oracle). */
async function reference(work: 'gemm' | ConvOp, data: Float32Array[], n: number): Promise<Float64Array> {
  const r = new ReferenceBackend();
  const up = (a: Float32Array, shape: number[]) => r.upload(a, shape, 'float32');
  const s = CONV;
  if (work === 'gemm') {
    const spec: MatmulSpec = { batch: 1, M: n, K: n, N: n, aBatch: 0, aRow: n, aCol: 1, bBatch: 0, bRow: n, bCol: 1 };
    return (await r.download(r.matmul(up(data[0], [n, n]), up(data[1], [n, n]), spec, [n, n]))) as Float64Array;
  }
  const x = [s.N, s.Cin, s.H, s.W];
  const w = [s.Cout, s.Cin, s.kh, s.kw];
  const y = [s.N, s.Cout, s.OH, s.OW];
  if (work === 'conv2d') return (await r.download(r.conv2d(up(data[0], x), up(data[1], w), s))) as Float64Array;
  if (work === 'conv2dBackwardInput') return (await r.download(r.conv2dBackwardInput(up(data[2], y), up(data[1], w), s))) as Float64Array;
  return (await r.download(r.conv2dBackwardWeight(up(data[0], x), up(data[2], y), s))) as Float64Array;
}

/** TensorFlow.js wasm: GEMM, forward conv and input gradient (NHWC; data transposed outside the timing). */
async function peerRunner(ctx: PartContext): Promise<{ label: string; run: (work: 'gemm' | ConvOp, data: Float32Array[], n: number) => (() => Promise<unknown>) | null } | null> {
  try {
    const { loadTfjs, useTfjs } = await import('./peers/tfjs.js');
    const env = await loadTfjs(ctx.log);
    if (!env.wasm.ok) return null;
    await useTfjs(env, 'wasm');
    const tf = env.tf;
    const nhwc = (a: Float32Array) => {
      const { N, Cin: C, H, W } = CONV;
      const out = new Float32Array(a.length);
      for (let n = 0; n < N; n++) for (let c = 0; c < C; c++) for (let i = 0; i < H * W; i++) out[(n * H * W + i) * C + c] = a[(n * C + c) * H * W + i];
      return out;
    };
    const hwio = (w: Float32Array) => {
      const { Cin, Cout, kh, kw } = CONV;
      const out = new Float32Array(w.length);
      for (let o = 0; o < Cout; o++) for (let i = 0; i < Cin; i++) for (let t = 0; t < kh * kw; t++) out[(t * Cin + i) * Cout + o] = w[(o * Cin + i) * kh * kw + t];
      return out;
    };
    return {
      label: env.labels.wasm ?? 'tfjs-wasm',
      run(work, data, n) {
        if (work === 'gemm') {
          const A = tf.tensor2d(data[0], [n, n]);
          const B = tf.tensor2d(data[1], [n, n]);
          return async () => {
            const C = tf.matMul(A, B);
            await C.data();
            C.dispose();
          };
        }
        const { N, Cin, H, W, Cout } = CONV;
        if (work === 'conv2d') {
          const x = tf.tensor4d(nhwc(data[0]), [N, H, W, Cin]);
          const w = tf.tensor4d(hwio(data[1]), [3, 3, Cin, Cout]);
          return async () => {
            const y = tf.conv2d(x, w, 1, 'same');
            await y.data();
            y.dispose();
          };
        }
        if (work === 'conv2dBackwardInput' && tf.getKernel('Conv2DBackpropInput', 'wasm')) {
          const dy = tf.tensor4d(nhwc(data[2]), [N, H, W, Cout]);
          const w = tf.tensor4d(hwio(data[1]), [3, 3, Cin, Cout]);
          return async () => {
            const dx = tf.conv2dTranspose(dy, w, [N, H, W, Cin], 1, 'same');
            await dx.data();
            dx.dispose();
          };
        }
        return null;
      },
    };
  } catch (e) {
    ctx.log(`${PART}: TensorFlow.js peer unavailable: ${errorMessage(e)}`);
    return null;
  }
}

// ---------------------------------------------------------------------------------------------
// The training step

async function trainStepTimes(ctx: PartContext, host: HostKernels | null, isAsync: boolean, steps: number): Promise<{ times: number[]; losses: number[] }> {
  const be = ss.useBackend('webasm', { async: isAsync }) as GpuBackend;
  const saved = be.host;
  be.setHostKernels(host);
  try {
    ss.manualSeed(0);
    const model = new SegModel(11);
    const opt = new ss.AdamW(model.namedParameters(), { lr: 1e-3 });
    const rng = new HostRng(5000);
    const x = ss.tensor(rng.normals(8 * 3 * 64 * 84), [8, 3, 64, 84]);
    const y = ss.tensor(rng.ints(8 * 64 * 84, 11), [8, 64, 84], { dtype: 'int32' });
    model.train();
    const times: number[] = [];
    const lossValues: number[] = [];
    for (let i = 0; i < steps + 1; i++) {
      const t0 = performance.now();
      const losses = ss.tidy(() => {
        const out = model.forwardTrain(x, y, 255);
        void out.losses.total.backward();
        return out.losses;
      });
      lossValues.push(await losses.total.item());
      ss.dispose(Object.values(losses));
      opt.step();
      opt.zeroGrad();
      await be.sync();
      // the first step compiles gpu.js kernels: warm-up only
      if (i > 0) times.push(performance.now() - t0);
      ctx.log(`${PART}: train step ${i} (${isAsync ? 'async' : 'sync'}, ${host ? host.name : 'gpu.js'} kernels): ${(performance.now() - t0).toFixed(0)} ms`);
    }
    ss.dispose([x, y, ...model.parameters()]);
    return { times, losses: lossValues };
  } finally {
    be.setHostKernels(saved);
  }
}

// ---------------------------------------------------------------------------------------------

export interface WasmBenchOptions {
  peer?: boolean;
  gpujs?: boolean;
}

export async function runWasmKernels(ctx: PartContext, opts: WasmBenchOptions = {}): Promise<PartResult> {
  const records: BenchRecord[] = [];
  const tables: string[] = [];
  const notes: string[] = [];
  const threads = Math.min(2, Math.max(1, typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length));
  const impls: Impl[] = [
    ours('wasm-1t', 'wasm 1 thread', false, new WasmKernels({ threads: 1 }), 1),
    ours('wasm-sync', `wasm ${threads} threads (sync: caller + ${threads - 1} worker)`, false, new WasmKernels({ threads }), threads),
    ours('wasm-async', `wasm ${threads} threads (async: ${threads} workers)`, true, new WasmKernels({ threads, async: true }), threads),
  ];
  // start the workers and tier the kernels up to TurboFan before timing anything
  for (const i of impls) await (i.backend!.host as WasmKernels).runtime.warmUp();
  await warmUpWasmKernels();
  const gpujs = opts.gpujs === false ? null : ours('gpujs', 'gpu.js webasm (async, its threads)', true, null);
  const peer = opts.peer === false ? null : await peerRunner(ctx);
  // NOTE: a second of untimed runs first, as in the kernels part (a young process's fresh output
  // arrays page-fault; docs/performance.md, "The GEMM warm-up")
  const base: MeasureOptions = { ...defaultMeasureOptions(ctx.quick), warmupMs: ctx.quick ? 0 : WARMUP_MS };
  const slow: MeasureOptions = { warmup: 0, minRuns: 1, maxRuns: ctx.quick ? 1 : 2, budgetMs: 0, capMs: 1 };

  const rows: string[][] = [];
  const addRecord = (workload: string, label: string, impl: string, backend: string, t: Timing | null, flop: number, err: number | null, note?: string) => {
    records.push({
      part: PART, workload, label, impl, backend,
      medianMs: t?.medianMs ?? null, runs: t?.runs ?? 0, samplesMs: t?.samplesMs ?? [],
      flop, gflops: t ? gflops(flop, t.medianMs) : null, relErr: err, relErrRef: err === null ? null : 'reference (float64)',
      note, extra: t ? { minMs: t.minMs, cpuMs: t.cpuMs, gflopsPerCpu: gflops(flop, t.cpuMs) } : undefined,
    });
  };

  const works: { id: string; label: string; work: 'gemm' | ConvOp; n: number; flop: number }[] = [
    ...[256, 512, 1024].map((n) => ({ id: `gemm${n}`, label: `GEMM ${n}²`, work: 'gemm' as const, n, flop: 2 * n ** 3 })),
    ...CONV_OPS.map(([op, label]) => ({ id: op, label, work: op, n: 0, flop: CONV_FLOP })),
  ];
  for (const w of works) {
    const rng = new HostRng(w.work === 'gemm' ? 1000 + w.n : 2000);
    const data = w.work === 'gemm'
      ? [rng.uniforms(w.n * w.n), rng.uniforms(w.n * w.n)]
      : [rng.normals(8 * 32 * 64 * 64), rng.normals(32 * 32 * 9, 0.08), rng.normals(8 * 32 * 64 * 64)];
    ctx.log(`${PART}: ${w.label}: float64 reference…`);
    const want = await reference(w.work, data, w.n);
    const row = [w.label, os.loadavg()[0].toFixed(1)];
    for (const impl of impls) {
      const got = await runOnBackend(impl.backend!, w.work, data, w.n);
      const err = maxRelErr(got, want);
      const t = await timeIt(() => runOnBackend(impl.backend!, w.work, data, w.n), base);
      ctx.log(`${PART}: ${w.label}, ${impl.label}: ${fmtMs(t.medianMs)} ms`);
      addRecord(w.id, w.label, 'ours', impl.id, t, w.flop, err);
      row.push(`${fmtMs(t.medianMs)} (${fmtMs(t.minMs)})`, fmtGflops(gflops(w.flop, t.medianMs)), fmtGflops(gflops(w.flop, t.cpuMs)));
      if (impl.id === 'wasm-async') row.push(fmtErr(err, TOL));
    }
    if (gpujs && !(ctx.quick && w.flop > 1e9)) {
      ctx.log(`${PART}: ${w.label}, gpu.js webasm (slow)…`);
      const t = await timeIt(() => runOnBackend(gpujs.backend!, w.work, data, w.n), slow);
      addRecord(w.id, w.label, 'ours', 'gpujs-webasm', t, w.flop, null, 'gpu.js webasm kernel (host kernels off)');
      row.push(fmtMs(t.medianMs), fmtGflops(gflops(w.flop, t.medianMs)));
    } else {
      row.push('—', '—');
    }
    const pr = peer?.run(w.work, data, w.n) ?? null;
    if (pr) {
      const t = await timeIt(pr, base);
      addRecord(w.id, w.label, 'tfjs', 'tfjs-wasm', t, w.flop, null);
      row.push(fmtMs(t.medianMs), fmtGflops(gflops(w.flop, t.medianMs)));
    } else {
      row.push('—', '—');
    }
    rows.push(row);
  }
  const cols = [{ header: 'workload' }, { header: 'load', align: 'right' } as never];
  for (const impl of impls) {
    cols.push({ header: `${impl.id} ms (best)`, align: 'right' } as never, { header: 'GFLOP/s', align: 'right' } as never, { header: 'per CPU', align: 'right' } as never);
    if (impl.id === 'wasm-async') cols.push({ header: 'rel err', align: 'right' } as never);
  }
  cols.push({ header: 'gpu.js ms', align: 'right' } as never, { header: 'GFLOP/s', align: 'right' } as never);
  cols.push({ header: 'tfjs-wasm ms', align: 'right' } as never, { header: 'GFLOP/s', align: 'right' } as never);
  tables.push(renderTable(
    `Host kernels through a webasm GpuBackend (upload → op → download); median ms (best), GFLOP/s at the median, GFLOP/s per CPU-second`,
    cols,
    rows,
    [
      ...impls.map((i) => `${i.id}: ${i.label}`),
      `times: ${ctx.quick ? 'after 1 warm-up run' : `after ${WARMUP_MS / 1000} s of untimed runs (a young process's fresh output arrays page-fault)`}, then the median of the timed runs.`,
      'load: the 1-minute load average when the row started (2 cores; above ~1 other processes compete for them).',
      'per CPU: flops / process CPU time of the run (all threads); under other load it stays put while wall-clock GFLOP/s drops.',
      `rel err: max |ours − float64 reference| / max |reference| (MISMATCH above ${TOL}).`,
      gpujs ? 'gpu.js: the same op with the host kernels off (its webasm kernel, async mode); 1–2 runs, it is slow.' : 'gpu.js: skipped (--no-gpujs).',
      peer ? `tfjs-wasm: ${peer.label}; GEMM tf.matMul, fwd tf.conv2d, bwd-input tf.conv2dTranspose, NHWC (layout change untimed); bwd-weight not timed.` : 'tfjs-wasm: not run.',
    ],
  ));

  // ---- the training step ----
  const steps = ctx.quick ? 2 : 4;
  const stepRows: string[][] = [];
  for (const isAsync of [true, false]) {
    const mode = isAsync ? 'webasm (async, the default)' : 'webasm (sync)';
    const before = await trainStepTimes(ctx, null, isAsync, ctx.quick ? 1 : 2);
    const after = await trainStepTimes(ctx, new WasmKernels({ threads, async: isAsync }), isAsync, steps);
    const b = median(before.times);
    const a = median(after.times);
    for (const [impl, r] of [['gpujs', before], ['wasm', after]] as const) {
      records.push({
        part: PART, workload: 'train-step', label: `SegModel(11) train step, ${mode}`, impl: 'ours', backend: `${isAsync ? 'webasm-async' : 'webasm-sync'}+${impl}`,
        medianMs: median(r.times), runs: r.times.length, samplesMs: r.times, flop: null, gflops: null, relErr: null, relErrRef: null, extra: { losses: r.losses },
      });
    }
    const k = Math.min(before.losses.length, after.losses.length) - 1;
    stepRows.push([mode, fmtMs(b), fmtMs(a), `${(b / a).toFixed(2)}×`, `${before.losses[k].toFixed(6)} / ${after.losses[k].toFixed(6)} (step ${k + 1})`]);
  }
  tables.push(renderTable(
    'Training step of SegModel(11): batch 8, 3×64×84, AdamW (median ms after a warm-up step)',
    [{ header: 'backend' }, { header: 'gpu.js kernels ms', align: 'right' }, { header: 'wasm kernels ms', align: 'right' }, { header: 'speed-up', align: 'right' }, { header: 'loss (gpu.js / wasm)' }],
    stepRows,
    ['Same seed, data and step in both loss columns; they differ only by f32 summation order.'],
  ));

  for (const t of tables) ctx.out(`${t}\n`);
  const busy = busyWarning();
  if (busy) notes.push(busy);
  notes.push(`load average at the end (1/5/15 min): ${os.loadavg().map((x) => x.toFixed(2)).join(' / ')}`);
  for (const n of notes) ctx.out(n);
  shutdownWasmKernels();
  return { part: PART, records, tables, notes, info: { threads } };
}

/**
 * `--best-of S`: for S seconds, alternates GEMM 1024² and the 3×3 forward conv on 1 and 2 threads
 * (the kernels called directly) and keeps each one's fastest single run. On a shared machine this
 * shows what the kernels do when both cores happen to be free.
 */
export async function bestOf(ctx: PartContext, seconds: number): Promise<string> {
  const rng = new HostRng(3000);
  const n = 1024;
  const a = rng.uniforms(n * n);
  const b = rng.uniforms(n * n);
  const mm: MatmulSpec = { batch: 1, M: n, K: n, N: n, aBatch: 0, aRow: n, aCol: 1, bBatch: 0, bRow: n, bCol: 1 };
  const x = rng.normals(8 * 32 * 64 * 64);
  const w = rng.normals(32 * 32 * 9, 0.08);
  const dy = rng.normals(8 * 32 * 64 * 64);
  const k1 = new WasmKernels({ threads: 1 });
  const k2 = new WasmKernels({ threads: 2 });
  await k2.runtime.warmUp();
  await warmUpWasmKernels();
  const cases: [string, number, () => unknown][] = [];
  for (const [t, k] of [[1, k1], [2, k2]] as const) {
    cases.push([`GEMM 1024², ${t} thread${t > 1 ? 's' : ''}`, 2 * n ** 3, () => k.matmul(a, b, mm)]);
    cases.push([`conv2d 3×3 fwd, ${t} thread${t > 1 ? 's' : ''}`, CONV_FLOP, () => k.conv2d(x, w, CONV)]);
    cases.push([`conv2d 3×3 bwd-input, ${t} thread${t > 1 ? 's' : ''}`, CONV_FLOP, () => k.conv2dBackwardInput(dy, w, CONV)]);
    cases.push([`conv2d 3×3 bwd-weight, ${t} thread${t > 1 ? 's' : ''}`, CONV_FLOP, () => k.conv2dBackwardWeight(x, dy, CONV)]);
  }
  const best = new Map<string, number>();
  const t0 = performance.now();
  let rounds = 0;
  while (performance.now() - t0 < seconds * 1000) {
    for (const [label, , fn] of cases) {
      const s0 = performance.now();
      await fn();
      const ms = performance.now() - s0;
      best.set(label, Math.min(best.get(label) ?? Infinity, ms));
    }
    rounds++;
  }
  ctx.log(`${PART}: best-of: ${rounds} rounds in ${seconds} s`);
  return renderTable(
    `Fastest single run over ${seconds} s (${rounds} rounds; kernels called directly, copies included)`,
    [{ header: 'workload' }, { header: 'best ms', align: 'right' }, { header: 'GFLOP/s', align: 'right' }],
    cases.map(([label, flop]) => [label, fmtMs(best.get(label)!), fmtGflops(gflops(flop, best.get(label)!))]),
  );
}

export const part: Part = {
  name: PART,
  summary: 'WebAssembly SIMD host kernels (GEMM, conv2d fwd/bwd) vs gpu.js webasm and tfjs-wasm; SegModel training step before/after',
  run: (ctx) => runWasmKernels(ctx),
};

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const jsonAt = argv.indexOf('--json');
  const ctx: PartContext = { quick: argv.includes('--quick'), slow: argv.includes('--slow'), log: (s) => process.stderr.write(`${s}\n`), out: (s) => process.stdout.write(`${s}\n`) };
  ctx.out(`# ${PART}${ctx.quick ? ' (--quick)' : ''}\ncommand: npx tsx bench/wasm-kernels.ts ${argv.join(' ')}\ndate: ${new Date().toISOString()}`);
  ctx.out(formatMachine(machineInfo()));
  const busy = busyWarning();
  if (busy) ctx.out(busy);
  ctx.out('');
  const bestAt = argv.indexOf('--best-of');
  if (bestAt >= 0) {
    ctx.out(await bestOf(ctx, Number(argv[bestAt + 1] ?? 30)));
    ctx.out(`load average at the end (1/5/15 min): ${os.loadavg().map((v) => v.toFixed(2)).join(' / ')}`);
    return;
  }
  const r = await runWasmKernels(ctx, { peer: !argv.includes('--no-peer'), gpujs: !argv.includes('--no-gpujs') });
  if (jsonAt >= 0 && argv[jsonAt + 1]) {
    const { writeFileSync } = await import('node:fs');
    writeFileSync(argv[jsonAt + 1], `${JSON.stringify({ machine: machineInfo(), ...r }, null, 2)}\n`);
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  // NOTE: exit explicitly: gpu.js and tfjs worker threads keep the event loop alive.
  main().then(
    () => process.exit(0),
    (e) => {
      process.stderr.write(`${PART}: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
      process.exit(1);
    },
  );
}
