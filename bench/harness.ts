/**
 * Shared benchmark harness: the Part contract every `bench/<part>.ts` implements, timing (warm-up,
 * then the median of repeated runs under a time budget, alone or interleaved), correctness
 * helpers, deterministic host data, machine description, table printing with an ours/peer ratio
 * column, and for the model parts (train, inference, scaling, rss): backend selection and our
 * segmentation model built, optimised and stepped exactly as src/train does it.
 *
 * Conventions used by every part:
 * - A time is the wall-clock time from launching the work until its results are on the host
 *   (`await t.data()` for us, `await t.data()` for TensorFlow.js), so asynchronous backends are
 *   timed to completion.
 * - A ratio is ours ms / peer ms: > 1 means we are slower, < 1 that we are faster.
 * - A relative error is max_i |ours_i − ref_i| / max_i |ref_i| (the error measured against the
 *   reference's scale, so values near zero do not blow it up).
 */
import * as ss from '../src/index.js';
import type { SegModel } from '../src/models/segmentor.js';
import { GpuBackend } from '../src/tensor/backends/gpu/gpu-backend.js';
import type { Optimizer } from '../src/nn/optim/optimizer.js';
import { Rng } from '../src/tensor/random.js';
import { MAX_ELEMENTS } from '../src/tensor/shape.js';
import { buildModel } from '../src/train/build.js';
import { defaultConfig, type HeadKind, type TrainConfig } from '../src/train/config.js';
import { makeOptimizer } from '../src/train/trainer.js';
import { execSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';

// ---------------------------------------------------------------------------------------------
// The part contract

export interface PartContext {
  /** Fewer repetitions (smoke run). */
  readonly quick: boolean;
  /** Include measurements that take minutes (e.g. the tfjs-cpu conv net step). */
  readonly slow: boolean;
  /** Our backends to run (ids such as 'webasm-async'); undefined = every one available. */
  readonly backends?: readonly string[];
  /** Progress lines (stderr); tables go to stdout through `out`. */
  log(line: string): void;
  /** Result text (stdout). */
  out(text: string): void;
}

/** One measured number, as written to the JSON file. */
export interface BenchRecord {
  part: string;
  workload: string;
  label: string;
  /** 'ours' or the peer's name (e.g. 'tfjs'). */
  impl: string;
  /** Backend id: ours 'webasm-async', 'cpu', …; the peer's 'tfjs-wasm', 'tfjs-cpu'. */
  backend: string;
  medianMs: number | null;
  runs: number;
  samplesMs: number[];
  /** Floating-point operations per run (null when not meaningful). */
  flop: number | null;
  gflops: number | null;
  /** Max relative error against `relErrRef` (null when not checked). */
  relErr: number | null;
  relErrRef: string | null;
  /** Why a number is missing or qualified. */
  note?: string;
  /** Anything else a part wants to keep. */
  extra?: Record<string, unknown>;
}

export interface PartResult {
  part: string;
  records: BenchRecord[];
  /** The printed tables, as text (also in the JSON). */
  tables: string[];
  notes: string[];
  /** Part-level facts (backend info, peer build, thread counts, …). */
  info: Record<string, unknown>;
}

export interface Part {
  readonly name: string;
  readonly summary: string;
  run(ctx: PartContext): Promise<PartResult>;
}

// ---------------------------------------------------------------------------------------------
// Timing

export interface MeasureOptions {
  /** Untimed runs first (default 1). */
  warmup?: number;
  /**
   * After the `warmup` runs, keep making untimed runs until this much time went into warm-up
   * (default 0). Light workloads need it to reach a steady state: a fresh process's first few
   * hundred ms of output arrays land on memory never touched before, whose page faults (costly in
   * a VM) can double a 5 ms run.
   */
  warmupMs?: number;
  /** Runs always made, unless the cap stops them (default 3). */
  minRuns?: number;
  /** Never more runs than this (default 30). */
  maxRuns?: number;
  /** After minRuns, keep running until this much time was measured (default 2000 ms). */
  budgetMs?: number;
  /**
   * Start no further run (after the first) when the time measured so far plus one more median run
   * would pass this (default 8000 ms): heavy workloads then get fewer runs than minRuns.
   */
  capMs?: number;
  /**
   * Untimed work before each timed run (e.g. another implementation's steps, so that two
   * implementations are timed across the same stretch of time); its time counts towards nothing.
   */
  between?: () => Promise<void>;
}

export interface Measurement {
  medianMs: number;
  minMs: number;
  maxMs: number;
  runs: number;
  samplesMs: number[];
}

export function median(xs: readonly number[]): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** Repetition policy of a normal run and of `--quick`. */
export function defaultMeasureOptions(quick: boolean): Required<Omit<MeasureOptions, 'between'>> {
  return quick
    ? { warmup: 1, warmupMs: 0, minRuns: 1, maxRuns: 3, budgetMs: 300, capMs: 1500 }
    : { warmup: 1, warmupMs: 0, minRuns: 3, maxRuns: 30, budgetMs: 2000, capMs: 8000 };
}

/** Times `fn` (which must resolve when its results are on the host): warm-up, then repeated runs. */
export async function measure(fn: () => Promise<unknown>, opts: MeasureOptions = {}): Promise<Measurement> {
  const o = { ...defaultMeasureOptions(false), ...opts };
  const w0 = performance.now();
  for (let i = 0; i < o.warmup; i++) await fn();
  while (performance.now() - w0 < o.warmupMs) await fn();
  const samples: number[] = [];
  let total = 0;
  while (samples.length < o.maxRuns) {
    if (samples.length > 0) {
      const next = median(samples);
      if (total + next > o.capMs) break;
      if (samples.length >= o.minRuns && total >= o.budgetMs) break;
    }
    if (o.between) await o.between();
    const t0 = performance.now();
    await fn();
    const dt = performance.now() - t0;
    samples.push(dt);
    total += dt;
  }
  return { medianMs: median(samples), minMs: Math.min(...samples), maxMs: Math.max(...samples), runs: samples.length, samplesMs: samples };
}

/** Times one call (for correctness runs, which double as the first warm-up). */
export async function timeOnce<T>(fn: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const t0 = performance.now();
  const value = await fn();
  return { value, ms: performance.now() - t0 };
}

// ---------------------------------------------------------------------------------------------
// Correctness

/** max_i |a_i − ref_i| / max_i |ref_i|; NaN anywhere gives NaN (shown, never hidden). */
export function maxRelErr(a: ArrayLike<number>, ref: ArrayLike<number>): number {
  if (a.length !== ref.length) return NaN;
  let num = 0;
  let den = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i] - ref[i]);
    if (Number.isNaN(d)) return NaN;
    if (d > num) num = d;
    const r = Math.abs(ref[i]);
    if (r > den) den = r;
  }
  return den === 0 ? num : num / den;
}

/** The worst maxRelErr over a list of tensors (same order, same layout). */
export function maxRelErrAll(a: readonly ArrayLike<number>[], ref: readonly ArrayLike<number>[]): number {
  if (a.length !== ref.length) return NaN;
  let worst = 0;
  for (let i = 0; i < a.length; i++) {
    const e = maxRelErr(a[i], ref[i]);
    if (Number.isNaN(e)) return NaN;
    worst = Math.max(worst, e);
  }
  return worst;
}

/** A training step's check outputs on the host: the loss and every parameter's gradient, by our name, in our layout. */
export interface StepCheck {
  loss: number;
  grads: Record<string, Float32Array>;
}

/** How a step's check outputs compare with a reference step's. */
export interface StepCheckErrors {
  /** |loss − ref| / |ref|. */
  lossErr: number;
  /** The worst maxRelErr over the reference's gradients (NaN if any is NaN or missing). */
  gradErr: number;
  /** The parameter whose gradient is worst (the first NaN/missing one, if any). */
  worstGrad: string | null;
  /** maxRelErr per parameter gradient (NaN: missing or NaN). */
  gradErrs: Record<string, number>;
}

/** Compares a step's loss and gradients with a reference step's (every reference gradient must be there). */
export function compareStepCheck(got: StepCheck, ref: StepCheck): StepCheckErrors {
  const gradErrs: Record<string, number> = {};
  let gradErr = 0;
  let worstGrad: string | null = null;
  for (const [name, g] of Object.entries(ref.grads)) {
    const e = got.grads[name] ? maxRelErr(got.grads[name], g) : NaN;
    gradErrs[name] = e;
    if (Number.isNaN(gradErr)) continue;
    if (Number.isNaN(e) || e > gradErr) {
      gradErr = e;
      worstGrad = name;
    }
  }
  return { lossErr: Math.abs(got.loss - ref.loss) / Math.abs(ref.loss), gradErr, worstGrad, gradErrs };
}

/** a / b, or null when either is missing or b is not a positive number (e.g. a throughput ratio ours/peer). */
export function ratioOrNull(a: number | null | undefined, b: number | null | undefined): number | null {
  return a !== null && a !== undefined && b !== null && b !== undefined && Number.isFinite(a) && Number.isFinite(b) && b > 0 ? a / b : null;
}

// ---------------------------------------------------------------------------------------------
// Deterministic host data

/** The engine's seeded generator (mulberry32) with bulk helpers, so every implementation gets the same inputs. */
export class HostRng extends Rng {
  normals(n: number, scale = 1): Float32Array {
    const a = new Float32Array(n);
    for (let i = 0; i < n; i++) a[i] = this.normal() * scale;
    return a;
  }
  uniforms(n: number, lo = -1, hi = 1): Float32Array {
    const a = new Float32Array(n);
    for (let i = 0; i < n; i++) a[i] = lo + (hi - lo) * this.next();
    return a;
  }
  ints(n: number, k: number): Int32Array {
    const a = new Int32Array(n);
    for (let i = 0; i < n; i++) a[i] = Math.floor(this.next() * k);
    return a;
  }
}

/** Reorders a row-major array of `shape` by `perm` (out axis i = in axis perm[i]). */
export function permuteHost(src: ArrayLike<number>, shape: readonly number[], perm: readonly number[]): Float32Array {
  const rank = shape.length;
  const outShape = perm.map((p) => shape[p]);
  const inStrides = new Array<number>(rank);
  let acc = 1;
  for (let i = rank - 1; i >= 0; i--) {
    inStrides[i] = acc;
    acc *= shape[i];
  }
  const stridesByOut = perm.map((p) => inStrides[p]);
  const out = new Float32Array(acc);
  const idx = new Array<number>(rank).fill(0);
  for (let o = 0; o < acc; o++) {
    let off = 0;
    for (let i = 0; i < rank; i++) off += idx[i] * stridesByOut[i];
    out[o] = src[off];
    for (let i = rank - 1; i >= 0; i--) {
      if (++idx[i] < outShape[i]) break;
      idx[i] = 0;
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Machine description

export interface MachineInfo {
  cpuModel: string;
  logicalCores: number;
  availableParallelism: number;
  memoryGiB: number;
  platform: string;
  node: string;
  v8: string;
  gitCommit: string | null;
  packages: Record<string, string | null>;
  /** 1-, 5- and 15-minute load averages when the run started (other processes inflate times). */
  loadAvg: number[];
}

const require = createRequire(import.meta.url);

/** Installed version of a package, or null. */
export function packageVersion(name: string): string | null {
  try {
    const p = require.resolve(`${name}/package.json`);
    return (JSON.parse(readFileSync(p, 'utf8')) as { version?: string }).version ?? null;
  } catch {
    return null;
  }
}

export function machineInfo(): MachineInfo {
  let cpuModel = os.cpus()[0]?.model?.trim() ?? 'unknown';
  try {
    const m = /^model name\s*:\s*(.+)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'));
    if (m) cpuModel = m[1].trim();
  } catch {
    // not Linux: os.cpus() it is
  }
  let gitCommit: string | null = null;
  try {
    const head = execSync('git rev-parse --short HEAD', { stdio: ['ignore', 'pipe', 'ignore'] }).toString().trim();
    const dirty = execSync('git status --porcelain --untracked-files=no', { stdio: ['ignore', 'pipe', 'ignore'] }).toString().trim() !== '';
    gitCommit = head + (dirty ? ' (with uncommitted changes)' : '');
  } catch {
    gitCommit = null;
  }
  const packages: Record<string, string | null> = {};
  for (const p of ['gpu.js', 'webgpu', 'gl', '@tensorflow/tfjs', '@tensorflow/tfjs-core', '@tensorflow/tfjs-backend-cpu', '@tensorflow/tfjs-backend-wasm']) {
    packages[p] = packageVersion(p);
  }
  return {
    cpuModel,
    logicalCores: os.cpus().length,
    availableParallelism: typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length,
    memoryGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    platform: `${os.platform()} ${os.release()} ${os.arch()}`,
    node: process.version,
    v8: process.versions.v8,
    gitCommit,
    packages,
    loadAvg: os.loadavg().map((x) => Math.round(x * 100) / 100),
  };
}

/** A warning line when other processes keep the machine busy (their load inflates every time). */
export function busyWarning(cores = os.cpus().length): string | null {
  const l1 = os.loadavg()[0];
  return l1 > cores * 0.5 ? `warning: the machine is busy (1-min load average ${l1.toFixed(2)} on ${cores} cores): times are inflated by other processes` : null;
}

export function formatMachine(m: MachineInfo): string {
  const pk = Object.entries(m.packages)
    .map(([k, v]) => `${k} ${v ?? '(not installed)'}`)
    .join(', ');
  return [
    `machine: ${m.cpuModel}, ${m.logicalCores} logical cores (availableParallelism ${m.availableParallelism}), ${m.memoryGiB} GiB`,
    `os: ${m.platform}; node ${m.node} (V8 ${m.v8})`,
    `load average at start (1/5/15 min): ${m.loadAvg.join(' / ')}`,
    `commit: ${m.gitCommit ?? 'unknown'}`,
    `packages: ${pk}`,
  ].join('\n');
}

// ---------------------------------------------------------------------------------------------
// Formatting and tables

export function fmtMs(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return '—';
  if (ms >= 1000) return ms.toFixed(0);
  if (ms >= 100) return ms.toFixed(1);
  if (ms >= 1) return ms.toFixed(2);
  return ms.toFixed(3);
}

export function fmtGflops(g: number | null | undefined): string {
  if (g === null || g === undefined || !Number.isFinite(g)) return '—';
  if (g >= 100) return g.toFixed(0);
  if (g >= 10) return g.toFixed(1);
  return g.toFixed(2);
}

/** ours/peer time ratio, e.g. "29.1×" (> 1: ours slower). */
export function fmtRatio(ours: number | null | undefined, peer: number | null | undefined): string {
  if (ours === null || ours === undefined || peer === null || peer === undefined || !Number.isFinite(ours) || !Number.isFinite(peer) || peer <= 0) return '—';
  const r = ours / peer;
  if (r >= 100) return `${r.toFixed(0)}×`;
  if (r >= 10) return `${r.toFixed(1)}×`;
  return `${r.toFixed(2)}×`;
}

/** Relative error, flagged when above `tol` (a mismatch is shown, not hidden). */
export function fmtErr(e: number | null | undefined, tol: number): string {
  if (e === null || e === undefined) return '—';
  if (Number.isNaN(e)) return 'NaN MISMATCH';
  const s = e === 0 ? '0' : e.toExponential(1);
  return e > tol ? `${s} MISMATCH` : s;
}

export function gflops(flop: number | null, ms: number | null): number | null {
  if (flop === null || ms === null || !Number.isFinite(ms) || ms <= 0) return null;
  return flop / (ms * 1e6);
}

export interface Column {
  header: string;
  align?: 'left' | 'right';
}

/**
 * A Markdown table padded to line up in a terminal too, with a title line above and numbered
 * notes below.
 */
export function renderTable(title: string, columns: readonly Column[], rows: readonly (readonly string[])[], notes: readonly string[] = []): string {
  const widths = columns.map((c, i) => Math.max(c.header.length, 3, ...rows.map((r) => (r[i] ?? '').length)));
  const cell = (s: string, i: number) => (columns[i].align === 'right' ? s.padStart(widths[i]) : s.padEnd(widths[i]));
  const line = (cells: readonly string[]) => `| ${columns.map((_, i) => cell(cells[i] ?? '', i)).join(' | ')} |`;
  const sep = `|${columns.map((c, i) => (c.align === 'right' ? `${'-'.repeat(widths[i] + 1)}:` : `:${'-'.repeat(widths[i] + 1)}`)).join('|')}|`;
  const out = [title, '', line(columns.map((c) => c.header)), sep, ...rows.map(line)];
  if (notes.length > 0) {
    out.push('');
    for (const n of notes) out.push(`- ${n}`);
  }
  return out.join('\n');
}

export function errorMessage(e: unknown): string {
  if (e instanceof Error) return e.message;
  if (typeof e === 'object' && e !== null && 'message' in e) return String((e as { message: unknown }).message);
  return String(e);
}

export function fmtInt(n: number | null | undefined): string {
  if (n === null || n === undefined || !Number.isFinite(n)) return '—';
  return Math.round(n).toLocaleString('en-US');
}

/** Bytes as MiB with one decimal. */
export function fmtMiB(bytes: number | null | undefined): string {
  if (bytes === null || bytes === undefined || !Number.isFinite(bytes)) return '—';
  return (bytes / 2 ** 20).toFixed(1);
}

// ---------------------------------------------------------------------------------------------
// Interleaved timing (A/B comparisons on a noisy machine)

/**
 * Times several functions round-robin (a run of each per round) with `measure`'s policy applied
 * to a round: warm-ups, then rounds until minRuns, budgetMs and capMs say stop. Alternating makes
 * load from other processes fall on every contender alike, so their ratio is steadier than from
 * back-to-back measurements.
 */
export async function measureInterleaved(fns: readonly (() => Promise<unknown>)[], opts: MeasureOptions = {}): Promise<Measurement[]> {
  const o = { ...defaultMeasureOptions(false), ...opts };
  const w0 = performance.now();
  for (let i = 0; i < o.warmup; i++) for (const fn of fns) await fn();
  while (performance.now() - w0 < o.warmupMs) for (const fn of fns) await fn();
  const samples: number[][] = fns.map(() => []);
  const rounds: number[] = [];
  let total = 0;
  while (rounds.length < o.maxRuns) {
    if (rounds.length > 0) {
      if (total + median(rounds) > o.capMs) break;
      if (rounds.length >= o.minRuns && total >= o.budgetMs) break;
    }
    let round = 0;
    for (let i = 0; i < fns.length; i++) {
      const t0 = performance.now();
      await fns[i]();
      const dt = performance.now() - t0;
      samples[i].push(dt);
      round += dt;
    }
    rounds.push(round);
    total += round;
  }
  return samples.map((s) => ({ medianMs: median(s), minMs: Math.min(...s), maxMs: Math.max(...s), runs: s.length, samplesMs: s }));
}

// ---------------------------------------------------------------------------------------------
// Our backends, for the parts that run whole models (train, inference, scaling, rss)

export interface OurBackend {
  /** Id as given to --backends. */
  id: string;
  select(): Promise<void>;
}

/**
 * Our CPU backends a model part can run on: 'cpu' (gpu.js's plain-JavaScript mode) and 'webasm'
 * (its WebAssembly mode, synchronous; 'webasm-sync' names the same one), both with the
 * WebAssembly SIMD GEMM/conv kernels, and 'webasm-async' (gpu.js's kernels under its
 * worker-thread contract).
 */
const MODEL_BACKENDS: readonly OurBackend[] = [
  { id: 'cpu', select: async () => void (await ss.setBackend('cpu')) },
  { id: 'webasm', select: async () => void (await ss.setBackend('webasm')) },
  { id: 'webasm-async', select: async () => void (await ss.setBackend('webasm', { async: true })) },
];

/**
 * The backend the engine picks on its own here (SSA_SEG_BACKEND, else its automatic choice: 'cpu'
 * on a machine without a hardware GL context since 9539bfd, 'webasm' before), read once when the
 * harness loads, before any part selects one.
 */
const ENGINE_DEFAULT: string = (() => {
  try {
    return ss.getBackend();
  } catch {
    return 'cpu'; // e.g. SSA_SEG_BACKEND=webgpu, which needs an asynchronous start
  }
})();

/** The model parts' default: the engine's own choice when it is one of our CPU backends, else 'cpu'. */
export function defaultModelBackendId(): 'cpu' | 'webasm' {
  return ENGINE_DEFAULT === 'webasm' ? 'webasm' : 'cpu';
}

/**
 * The backends a model part runs: those `--backends` lists, else the engine's default CPU backend
 * (`both`: then the other of cpu and webasm as well).
 */
export function modelBackends(ctx: PartContext, opts: { both?: boolean } = {}): OurBackend[] {
  const ids = (ctx.backends ?? []).map((b) => (b === 'webasm-sync' ? 'webasm' : b));
  const listed = MODEL_BACKENDS.filter((b) => ids.includes(b.id));
  if (listed.length > 0) return listed;
  const first = defaultModelBackendId();
  const order = opts.both ? [first, first === 'cpu' ? 'webasm' : 'cpu'] : [first];
  return order.map((id) => modelBackendById(id));
}

/** `modelBackends`, each selected in turn; one that fails to start is skipped with a note in `notes`. */
export async function* selectModelBackends(ctx: PartContext, notes: string[]): AsyncGenerator<OurBackend> {
  for (const b of modelBackends(ctx)) {
    try {
      await b.select();
    } catch (e) {
      notes.push(`ours ${b.id}: skipped — ${errorMessage(e)}`);
      continue;
    }
    yield b;
  }
}

/** One of the model parts' backends by id ('webasm-sync' = 'webasm'). */
export function modelBackendById(id: string): OurBackend {
  const b = MODEL_BACKENDS.find((x) => x.id === (id === 'webasm-sync' ? 'webasm' : id));
  if (!b) throw new Error(`unknown backend '${id}' (model parts: ${MODEL_BACKENDS.map((x) => x.id).join(', ')})`);
  return b;
}

/** Whether the peer backend `id` ('tfjs-wasm', 'tfjs-cpu') runs: yes unless --backends lists other peers only. */
export function peerWanted(ctx: PartContext, id: string): boolean {
  const b = ctx.backends;
  return !b || b.includes(id) || !b.some((x) => x.startsWith('tfjs-'));
}

/** What runs, e.g. "cpu (sync, wasm kernels on 2 threads, the default)". */
export function describeBackend(): string {
  const i = ss.backendInfo();
  const be = ss.backend();
  const host = be instanceof GpuBackend ? (be.host as { threads?: number } | null) : null;
  const threads = typeof host?.threads === 'number' ? ` on ${host.threads} thread${host.threads === 1 ? '' : 's'}` : '';
  const fallbacks = Object.keys(i.fallbacks).length ? `, fallbacks ${JSON.stringify(i.fallbacks)}` : '';
  const isDefault = i.name === defaultModelBackendId() && !i.async ? ', the default' : '';
  return `${i.name} (${i.async ? 'async' : 'sync'}${i.hostKernels ? `, ${i.hostKernels} kernels${threads}` : ''}${fallbacks}${isDefault})`;
}

// ---------------------------------------------------------------------------------------------
// Our segmentation model, built and stepped as the trainer does

/** The model the train/inference/scaling/rss parts time. */
export interface ModelSpec {
  head: HeadKind;
  classes: number;
  /** Dropout2d before the classifier (the trainer's default is 0.1). */
  dropout?: number;
}

/** The trainer's config with the spec applied (everything else at its defaults). */
export function modelConfig(spec: ModelSpec): TrainConfig {
  const cfg = defaultConfig();
  return { ...cfg, head: spec.head, dropout: spec.dropout ?? cfg.dropout };
}

/** SegModel with DEFAULT_COMPACT and the spec's head, built by the trainer's own `buildModel`. */
export function buildOurModel(spec: ModelSpec): SegModel {
  return buildModel(modelConfig(spec), spec.classes);
}

/** The trainer's own optimizer (AdamW by default, its groups; the lr schedule is left out: it does not change the work). */
export function makeTrainerOptimizer(model: SegModel, cfg: TrainConfig = defaultConfig()): Optimizer {
  return makeOptimizer(cfg, model);
}

/** A batch on the host, as the data loader gives it: images [B, 3, H, W], int32 labels [B, H, W]. */
export interface HostBatch {
  images: Float32Array;
  labels: Int32Array;
  shape: [number, number, number, number];
}

/** Random images (N(0, 1), like normalised ones) and labels 0..classes−1. */
export function randomBatch(rng: HostRng, batch: number, height: number, width: number, classes: number): HostBatch {
  return { images: rng.normals(batch * 3 * height * width), labels: rng.ints(batch * height * width, classes), shape: [batch, 3, height, width] };
}

/**
 * One training step exactly as src/train/trainer.ts does it: upload the batch, forwardTrain and
 * backward in a tidy, download the losses, dispose them, optimizer step, zero the gradients; then
 * wait for queued device work. Resolves to the total loss.
 */
export async function ourTrainStep(model: SegModel, opt: Optimizer, b: HostBatch, ignoreIndex = 255): Promise<number> {
  const [B, , H, W] = b.shape;
  const losses = ss.tidy(() => {
    const x = ss.tensor(b.images, b.shape);
    const y = ss.tensor(b.labels, [B, H, W], { dtype: 'int32' });
    const out = model.forwardTrain(x, y, ignoreIndex);
    void out.losses.total.backward();
    return out.losses;
  });
  let total = NaN;
  for (const [k, t] of Object.entries(losses)) {
    const v = await t.item();
    if (k === 'total') total = v;
  }
  ss.dispose(losses);
  opt.step();
  opt.zeroGrad();
  await ss.backend().sync();
  return total;
}

/** Inference exactly as src/train/evaluate.ts times it: upload, forward, argmax, download (eval mode, noGrad). */
export async function ourPredict(model: SegModel, b: HostBatch): Promise<void> {
  const pred = ss.noGrad(() => ss.tidy(() => ss.argmax(model.forward(ss.tensor(b.images, b.shape)), 1)));
  try {
    await pred.data();
  } finally {
    pred.dispose();
  }
}

/** The engine's limit on one tensor's elements (2^23). */
export const ELEMENT_CAP = MAX_ELEMENTS;

/** Whether an error is the engine's element-cap check. */
export function isElementCapError(e: unknown): boolean {
  return /one tensor may hold at most/.test(errorMessage(e));
}
