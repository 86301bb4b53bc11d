/**
 * Shared benchmark harness: the Part contract every `bench/<part>.ts` implements, timing (warm-up,
 * then the median of repeated runs under a time budget), correctness helpers, deterministic host
 * data, machine description, and table printing with an ours/peer ratio column.
 *
 * Conventions used by every part:
 * - A time is the wall-clock time from launching the work until its results are on the host
 *   (`await t.data()` for us, `await t.data()` for TensorFlow.js), so asynchronous backends are
 *   timed to completion.
 * - A ratio is ours ms / peer ms: > 1 means we are slower, < 1 that we are faster.
 * - A relative error is max_i |ours_i − ref_i| / max_i |ref_i| (the error measured against the
 *   reference's scale, so values near zero do not blow it up).
 */
import { Rng } from '../src/tensor/random.js';
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
export function defaultMeasureOptions(quick: boolean): Required<MeasureOptions> {
  return quick
    ? { warmup: 1, minRuns: 1, maxRuns: 3, budgetMs: 300, capMs: 1500 }
    : { warmup: 1, minRuns: 3, maxRuns: 30, budgetMs: 2000, capMs: 8000 };
}

/** Times `fn` (which must resolve when its results are on the host): warm-up, then repeated runs. */
export async function measure(fn: () => Promise<unknown>, opts: MeasureOptions = {}): Promise<Measurement> {
  const o = { ...defaultMeasureOptions(false), ...opts };
  for (let i = 0; i < o.warmup; i++) await fn();
  const samples: number[] = [];
  let total = 0;
  while (samples.length < o.maxRuns) {
    if (samples.length > 0) {
      const next = median(samples);
      if (total + next > o.capMs) break;
      if (samples.length >= o.minRuns && total >= o.budgetMs) break;
    }
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
