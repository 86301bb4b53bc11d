/**
 * Part `train`: end-to-end training-step throughput of the compact segmentation model, ours (on
 * our two CPU backends, cpu and webasm, the engine's default first; or those --backends lists)
 * against the same architecture written in TensorFlow.js (bench/peers/tfjs-compact.ts) on
 * tfjs-wasm and tfjs-cpu, in one process, and on tfjs-wasm's threaded SIMD build in headless
 * Chromium (2 threads, and 1 for comparison with Node's), the one place it runs: a
 * cross-origin-isolated page (bench/peers/browser-tfjs.ts). The step is the same code in both
 * (bench/peers/browser-tfjs-train.ts); a browser row that cannot run says why and the part goes on.
 *
 * Workload: SegModel(11) with DEFAULT_COMPACT and the vanilla head (dropout off on both sides, as
 * the peer has none), batch 8 of 3×64×84 (M2NIST's canvas size), random N(0, 1) images and int32
 * labels 0..10 from a seeded generator, one fixed batch uploaded every step. A step is what
 * src/train/trainer.ts does: upload, forward in training mode (BN on batch statistics), bilinear
 * resize of the logits to the labels, softmax cross-entropy, backward, AdamW update (the trainer's
 * groups: head lr ×10, no decay on norms; lr 6e-3 constant, wd 0.01), until the loss is on the host.
 *
 * The peer starts from our initial weights (copied by name, layouts converted), so before timing the
 * part checks that both compute the same function: the first step's loss, logits and all 70
 * parameter gradients are compared with ours (max rel err), and the parameter counts are printed
 * side by side (52,535 each).
 *
 * Times: median ms per step after warm-up steps (the check step is the first warm-up); ours is
 * timed in rounds spread over the peers' runs and its row is the median of all of them (see
 * OURS_ROUND_STEPS); throughput = batch / step time. The ratio columns are THROUGHPUT ratios ours/peer (images/s): < 1 means
 * ours is slower — the inverse of the kernels part's time ratio.
 */
import { fileURLToPath } from 'node:url';
import * as ss from '../src/index.js';
import type { SegModel } from '../src/models/segmentor.js';
import { paramGroups } from '../src/nn/optim/optimizer.js';
import { defaultConfig } from '../src/train/config.js';
import { trainerParamRules } from '../src/train/trainer.js';
import {
  buildOurModel, compareStepCheck, describeBackend, errorMessage, fmtErr, fmtInt, fmtMs, fmtRatio, HostRng, makeTrainerOptimizer, maxRelErr, measure, median, modelBackends, modelConfig,
  ourTrainStep, peerWanted, ratioOrNull, permuteHost, randomBatch, renderTable, timeOnce,
  type BenchRecord, type StepCheckErrors, type Column, type HostBatch, type MeasureOptions, type ModelSpec, type Part, type PartContext, type PartResult,
} from './harness.js';
import { canCollectGarbage, collectGarbage } from './gc.js';
import { startBrowserTfjs, type BrowserTfjsSession, type PageEnv } from './peers/browser-tfjs.js';
import { compactTrainer, type BrowserTrainArg, type BrowserTrainResult, type CheckResult, type CompactStepSetup, type CompactTrainer } from './peers/browser-tfjs-train.js';
import { describeTfjs, loadTfjs, useTfjs, type TfjsBackend, type TfjsEnv } from './peers/tfjs.js';
import type { GradientPaths, HostWeights } from './peers/tfjs-compact.js';

const PART = 'train';
const B = 8;
const H = 64;
const W = 84;
const K = 11;
const SPEC: ModelSpec = { head: 'vanilla', classes: K, dropout: 0 };
/** Relative error of the loss and the logits above which the check flags a mismatch. */
const TOL = 1e-3;
/**
 * The same for gradients. Looser: they pass through ReLUs, and a pre-activation within ~1e-5 of
 * zero can land on the other side of the kink under another float32 summation order; that one
 * pixel's gradient then differs entirely, which moves a sum such as a BN bias gradient by up to
 * ~1e-2 of its (small, cancelling) value. Seen on tfjs-wasm here: 1 of 86,016 decoder
 * pre-activations flipped, every gradient agreed to 2e-7 when both sides were fed the same input.
 */
const GRAD_TOL = 5e-2;

/** Least warm-up time before an implementation's first timed step (full runs). */
const STEP_WARMUP_MS = 1_500;

/**
 * Steps timed per implementation: warm-ups after the check step, then measure's policy. A full run
 * warms each implementation up for at least STEP_WARMUP_MS: in a fresh process ours took ~40 steps
 * (~1 s) to reach its steady speed (JIT tiers, heap and buffer-pool growth); the peers get the same
 * time (~10 tfjs-wasm steps). A full collection (bench/gc.ts) runs before each timed run too.
 */
function stepPolicy(quick: boolean): MeasureOptions {
  return quick
    ? { warmup: 1, minRuns: 3, maxRuns: 3, budgetMs: 0, capMs: 30_000 }
    : { warmup: 2, warmupMs: STEP_WARMUP_MS, minRuns: 5, maxRuns: 20, budgetMs: 8_000, capMs: 30_000 };
}

/**
 * tfjs-cpu's steps take over 10 s here (plain JavaScript kernels, its Conv2DBackpropFilter a scalar
 * loop): with --quick the check step is reported alone (cold); else 3 timed steps follow it, or
 * just one when the check step took over SLOW_STEP_MS, unless --slow.
 */
const SLOW_STEP_MS = 20_000;

/** One implementation's outcome. */
interface Row {
  id: string;
  impl: 'ours' | 'tfjs';
  label: string;
  ms: number | null;
  runs: number;
  samples: number[];
  cold: boolean;
  /** Loss of the check step and of the last timed step. */
  firstLoss: number | null;
  lastLoss: number | null;
  /** Max rel err of the check step's loss, logits and worst gradient against ours. */
  lossErr: number | null;
  logitsErr: number | null;
  gradErr: number | null;
  worstGrad: string | null;
  /** Max rel err per parameter gradient. */
  gradErrs?: Record<string, number>;
  params: number | null;
  note?: string;
  /** Ours: the rounds its steps were timed in (see OURS_ROUND_STEPS). */
  rounds?: { at: string; samples: number[] }[];
}

/**
 * Ours is timed in rounds spread over the peers' runs: before them, after tfjs-wasm in Node, and
 * between tfjs-cpu's steps (each of which takes seconds), each round with 2 warm-up steps first;
 * its row is the median of every round's steps. The machine's speed drifts by ±30 % over minutes
 * (other tenants of the VM host), and ours' ~0.5 s round before the peers could land in a slow
 * phase the ~40 s of tfjs-cpu steps did not share (seen once: 221× when the runs before and after
 * gave 296–327×). Timing both across the same stretch of time makes the ratio measure the
 * implementations, not the moment. Each round's median is printed in the notes.
 */
const OURS_ROUND_STEPS = { full: 10, quick: 3 } as const;

/** Ours, kept alive while the peers run, so that its steps can be timed between theirs. */
interface LiveOurs {
  row: Row;
  select: () => Promise<void>;
  step: () => Promise<unknown>;
  dispose: () => void;
}

const ips = (ms: number | null) => (ms !== null && ms > 0 ? (B * 1000) / ms : null);

/** NCHW host images → NHWC (the peer's layout; done once, outside the timing, like a data loader). */
function nhwc(batch: HostBatch): Float32Array {
  return permuteHost(batch.images, batch.shape, [0, 2, 3, 1]);
}

/** Our first step without the optimizer: the loss, the logits and every gradient, on the host. */
async function oursCheck(model: SegModel, batch: HostBatch): Promise<CheckResult> {
  const { losses, logits } = ss.tidy(() => {
    const x = ss.tensor(batch.images, batch.shape);
    const y = ss.tensor(batch.labels, [B, H, W], { dtype: 'int32' });
    const out = model.forwardTrain(x, y, 255);
    void out.losses.total.backward();
    return { losses: out.losses, logits: out.logits };
  });
  const loss = await losses.total.item();
  const logitsData = Float32Array.from(await logits.data());
  ss.dispose([losses, logits]);
  const grads: Record<string, Float32Array> = {};
  for (const [name, p] of model.namedParameters()) {
    if (!p.grad) throw new Error(`train check: ours has no gradient for ${name}`);
    grads[name] = Float32Array.from(await p.grad.data());
  }
  model.zeroGrad();
  return { loss, logits: logitsData, grads };
}

/** A row with nothing measured yet. */
function newRow(id: string, impl: Row['impl'], label: string, params: number | null): Row {
  return { id, impl, label, ms: null, runs: 0, samples: [], cold: false, firstLoss: null, lastLoss: null, lossErr: null, logitsErr: null, gradErr: null, worstGrad: null, params };
}

/** Ours on each selected backend: check step (the reference for the peer), then timed steps. */
async function runOurs(ctx: PartContext, batch: HostBatch): Promise<{ rows: Row[]; ref: CheckResult | null; weights: HostWeights | null; params: number; live: LiveOurs[] }> {
  const rows: Row[] = [];
  const live: LiveOurs[] = [];
  let ref: CheckResult | null = null;
  let weights: HostWeights | null = null;
  let params = 0;
  for (const b of modelBackends(ctx, { both: true })) {
    try {
      await b.select();
    } catch (e) {
      rows.push({ ...newRow(b.id, 'ours', `ours ${b.id}`, null), note: `unavailable: ${errorMessage(e)}` });
      continue;
    }
    const row = newRow(b.id, 'ours', `ours ${describeBackend()}`, null);
    ctx.log(`[train] ${row.label}: building SegModel(${K}) and checking the first step…`);
    ss.manualSeed(0);
    const model = buildOurModel(SPEC);
    model.train();
    const opt = makeTrainerOptimizer(model);
    row.params = params = model.numParameters();
    try {
      if (!weights) {
        weights = {};
        for (const [name, p] of model.namedParameters()) weights[name] = { shape: [...p.shape], data: Float32Array.from(await p.data()) };
      }
      const check = await timeOnce(() => oursCheck(model, batch));
      ctx.log(`[train]   check step ${fmtMs(check.ms)} ms, loss ${check.value.loss.toFixed(6)}`);
      ref ??= check.value;
      Object.assign(row, compare(check.value, ref), { firstLoss: check.value.loss });
      const step = async () => {
        row.lastLoss = await ourTrainStep(model, opt, batch);
      };
      collectGarbage();
      const m = await measure(step, stepPolicy(ctx.quick));
      row.rounds = [{ at: 'before the peers', samples: m.samplesMs }];
      settleRounds(row);
      ctx.log(`[train]   ${fmtMs(m.medianMs)} ms/step × ${m.runs}`);
      live.push({ row, select: b.select, step, dispose: () => (model.dispose(), opt.dispose()) });
    } catch (e) {
      row.note = `error: ${errorMessage(e)}`;
      model.dispose();
      opt.dispose();
    }
    rows.push(row);
  }
  return { rows, ref, weights, params, live };
}

/** A row's time from all its rounds: the median of every step timed. */
function settleRounds(row: Row): void {
  const all = (row.rounds ?? []).flatMap((r) => r.samples);
  Object.assign(row, { ms: all.length ? median(all) : null, runs: all.length, samples: all });
}

/** One more round of ours' steps (each live backend: 2 warm-up steps, then `steps` timed), labelled `at`. */
async function oursRound(ctx: PartContext, live: readonly LiveOurs[], at: string): Promise<void> {
  const steps = ctx.quick ? OURS_ROUND_STEPS.quick : OURS_ROUND_STEPS.full;
  for (const l of live) {
    if (l.row.note?.startsWith('error')) continue;
    try {
      await l.select();
      collectGarbage();
      const m = await measure(l.step, { warmup: 2, minRuns: steps, maxRuns: steps, budgetMs: 0, capMs: 30_000 });
      l.row.rounds!.push({ at, samples: m.samplesMs });
      settleRounds(l.row);
      ctx.log(`[train]   ${l.row.label} ${at}: ${fmtMs(m.medianMs)} ms/step × ${m.runs}`);
    } catch (e) {
      l.row.note = `error: ${errorMessage(e)} (in the round ${at})`;
    }
  }
}

/** A note line per ours row: each round's median and steps. */
function describeRounds(row: Row): string | null {
  const r = row.rounds ?? [];
  if (r.length < 2) return null;
  const parts = r.map((x) => `${x.at} ${fmtMs(median(x.samples))} ms × ${x.samples.length}`);
  return `${row.label}: timed in ${r.length} rounds spread over the peers' runs (the first after the warm-up, the others after 2 warm-up steps each), the row is the median of all ${row.runs} steps — ${parts.join('; ')}`;
}

/** Relative errors of a check step against the reference one (our layout): loss, each gradient and the worst (compareStepCheck), and the logits. */
function compare(got: CheckResult, ref: CheckResult): StepCheckErrors & { logitsErr: number } {
  return { ...compareStepCheck(got, ref), logitsErr: maxRelErr(got.logits, ref.logits) };
}

/** Learning-rate and weight-decay multipliers by parameter name (the trainer's groups). */
type Groups = { name: string; lrMult: number; decayMult: number }[];

/** The peer's step, as both the Node and the browser rows run it (bench/peers/browser-tfjs-train.ts). */
function stepSetup(batch: HostBatch, weights: HostWeights, groups: Groups): CompactStepSetup {
  const cfg = modelConfig(SPEC);
  return { cfg: cfg.model, classes: K, batch: B, height: H, width: W, imagesNhwc: nhwc(batch), labels: batch.labels, weights, groups, lr: cfg.lr, weightDecay: cfg.weightDecay };
}

/** A peer row's check step: logged, its loss kept, and its errors against ours (when there is a reference) stored and logged. */
function recordCheck(ctx: PartContext, row: Row, ms: number, check: CheckResult, ref: CheckResult | null): void {
  ctx.log(`[train]   check step ${fmtMs(ms)} ms, loss ${check.loss.toFixed(6)}`);
  row.firstLoss = check.loss;
  if (!ref) return;
  const cmp = compare(check, ref);
  Object.assign(row, cmp);
  logCompare(ctx, cmp);
}

/** Logs a peer's check-step errors against ours (loss, logits, the three worst gradients). */
function logCompare(ctx: PartContext, cmp: ReturnType<typeof compare>): void {
  const worst = Object.entries(cmp.gradErrs).sort((a, b) => (Number.isNaN(b[1]) ? Infinity : b[1]) - (Number.isNaN(a[1]) ? Infinity : a[1])).slice(0, 3);
  ctx.log(`[train]   rel err against ours: loss ${cmp.lossErr.toExponential(1)}, logits ${cmp.logitsErr.toExponential(1)}, worst gradients ${worst.map(([n, e]) => `${n} ${e.toExponential(1)}`).join(', ')}`);
}

/** The tfjs model on one tfjs backend: build, load our weights, check step, timed steps. */
async function runPeer(
  ctx: PartContext, env: TfjsEnv, backend: TfjsBackend, setup: CompactStepSetup, ref: CheckResult | null, between?: () => Promise<void>,
): Promise<{ row: Row; paths: GradientPaths | null }> {
  const id = `tfjs-${backend}`;
  const label = env.labels[backend] ?? id;
  await useTfjs(env, backend);
  ctx.log(`[train] ${label}: building the tfjs model and checking the first step…`);
  const row = newRow(id, 'tfjs', label, null);
  let t: CompactTrainer | null = null;
  try {
    t = compactTrainer(env.tf, setup);
    row.params = t.params;
    const c = await timeOnce(() => t!.check());
    recordCheck(ctx, row, c.ms, c.value, ref);
    const losses: number[] = [];
    if (backend === 'cpu' && ctx.quick) {
      // the check step (forward + backward, no update) stands for the step: it is the slow part
      Object.assign(row, { ms: c.ms, runs: 1, samples: [c.ms], cold: true });
      row.note = `tfjs-cpu: --quick reports the check step alone (cold: first run, forward + backward without the AdamW update, ${fmtMs(c.ms)} ms)`;
    } else {
      const slow = backend === 'cpu' && c.ms > SLOW_STEP_MS && !ctx.slow;
      // tfjs-cpu: the check step was the warm-up; then 3 steps, or 1 when a step takes over SLOW_STEP_MS (unless --slow)
      const policy: MeasureOptions = backend !== 'cpu' ? stepPolicy(ctx.quick) : { warmup: 0, minRuns: slow ? 1 : 3, maxRuns: slow ? 1 : 3, budgetMs: 0, capMs: 300_000 };
      collectGarbage();
      const m = await measure(async () => losses.push(await t!.step()), { ...policy, between });
      await between?.();
      Object.assign(row, { ms: m.medianMs, runs: m.runs, samples: m.samplesMs, lastLoss: losses.at(-1) ?? null });
      if (slow) row.note = `tfjs-cpu: one timed step after the check step (a step takes over ${SLOW_STEP_MS / 1000} s here; --slow times more)`;
    }
    ctx.log(`[train]   ${fmtMs(row.ms)} ms/step × ${row.runs}`);
  } catch (e) {
    row.note = `error: ${errorMessage(e)}`;
    ctx.log(`[train]   ${row.note}`);
  }
  const paths = t?.gradientPaths ?? null;
  t?.dispose();
  return { row, paths };
}

/** Threads of the browser rows: the issue's 2 first, then 1 (Chromium's wasm against Node's on equal terms). */
const BROWSER_THREADS = [2, 1] as const;

/** What the browser rows found, for the notes and the JSON. */
interface BrowserInfo {
  chromium: string | null;
  /** Why no browser row ran at all (Chromium missing, bundling or launch failed). */
  error: string | null;
  runs: { threads: number; env: PageEnv | null; wasmServed: string[]; console: string[]; error: string | null; gradientPaths: GradientPaths | null }[];
}

/**
 * The same step on tfjs-wasm in headless Chromium (bench/peers/browser-tfjs.ts), on a
 * cross-origin-isolated page so the threaded SIMD build runs: one page per thread count, the check
 * step compared with ours, then timed in the page under the same policy as the Node rows.
 */
async function runBrowserPeers(ctx: PartContext, setup: CompactStepSetup, ref: CheckResult | null): Promise<{ rows: Row[]; info: BrowserInfo }> {
  const info: BrowserInfo = { chromium: null, error: null, runs: [] };
  const rows: Row[] = [];
  const label = (threads: number, simd: boolean | null = true) => `tfjs-wasm (browser, ${simd === false ? 'no SIMD' : 'SIMD'}, ${threads} thread${threads === 1 ? '' : 's'})`;
  let session: BrowserTfjsSession;
  try {
    session = await startBrowserTfjs({ entry: fileURLToPath(new URL('./peers/browser-tfjs-train.ts', import.meta.url)), log: (l) => ctx.log(`[train] ${l}`) });
  } catch (e) {
    info.error = errorMessage(e);
    ctx.log(`[train] ${info.error}`);
    for (const n of BROWSER_THREADS) rows.push({ ...newRow(`tfjs-wasm-browser-${n}t`, 'tfjs', label(n), null), note: `unavailable: ${info.error}` });
    return { rows, info };
  }
  info.chromium = session.browser;
  try {
    for (const n of BROWSER_THREADS) {
      ctx.log(`[train] ${label(n)}: starting a cross-origin-isolated page, checking the first step, timing…`);
      const r = await session.run<BrowserTrainResult>({ ...setup, policy: stepPolicy(ctx.quick) } satisfies BrowserTrainArg, { threads: n });
      info.runs.push({ threads: n, env: r.env, wasmServed: r.wasmServed, console: r.console, error: r.error, gradientPaths: r.result?.gradientPaths ?? null });
      const env = r.env;
      // the requested count: a run that got another one is an error row (the runner checks getThreadsCount())
      const row = newRow(`tfjs-wasm-browser-${n}t`, 'tfjs', label(n, env?.simd ?? null), r.result?.params ?? null);
      if (env) ctx.log(`[train]   page: crossOriginIsolated ${env.crossOriginIsolated}, getThreadsCount() ${env.threads}, SIMD ${env.simd}, binary ${r.wasmServed.join(', ') || 'none'}`);
      if (r.error || !r.result) {
        row.note = `error: ${r.error ?? 'no result'}`;
        ctx.log(`[train]   ${row.note}`);
      } else {
        const res = r.result;
        recordCheck(ctx, row, res.checkMs, res.check, ref);
        Object.assign(row, { ms: res.medianMs, runs: res.runs, samples: res.samplesMs, lastLoss: res.losses.at(-1) ?? null });
        ctx.log(`[train]   ${fmtMs(row.ms)} ms/step × ${row.runs} (timed in the page)`);
      }
      rows.push(row);
    }
  } finally {
    await session.close();
  }
  return { rows, info };
}

const COLS: Column[] = [
  { header: 'implementation' },
  { header: 'ms/step (median)', align: 'right' },
  { header: 'runs', align: 'right' },
  { header: 'images/s', align: 'right' },
  { header: 'ours/tfjs-wasm img/s', align: 'right' },
  { header: 'ours/tfjs-wasm browser 2t img/s', align: 'right' },
  { header: 'ours/tfjs-cpu img/s', align: 'right' },
  { header: 'loss: check → last step' },
  { header: 'rel err loss / logits / grads', align: 'right' },
];

export const part: Part = {
  name: PART,
  summary: 'end-to-end training step (SegModel(11), batch 8×3×64×84, AdamW): ours vs the same architecture in TensorFlow.js (wasm, cpu; wasm on 2 threads in headless Chromium)',
  async run(ctx: PartContext): Promise<PartResult> {
    const batch = randomBatch(new HostRng(7000), B, H, W, K);

    // ---- ours first: the peer starts from our initial weights and is checked against our gradients ----
    const ours = await runOurs(ctx, batch);
    try {
      return await runWithPeers(ctx, batch, ours);
    } finally {
      for (const l of ours.live) l.dispose();
    }
  },
};

/** The peers, with ours' further rounds between them, then the table. */
async function runWithPeers(ctx: PartContext, batch: HostBatch, ours: Awaited<ReturnType<typeof runOurs>>): Promise<PartResult> {
  const records: BenchRecord[] = [];
  const tables: string[] = [];
  const notes: string[] = [];
  const info: Record<string, unknown> = {};
  const rows: Row[] = [...ours.rows];

  // ---- the peer: tfjs-wasm and tfjs-cpu in this process, tfjs-wasm in headless Chromium ----
  const peerIds = (['wasm', 'cpu'] as const).filter((b) => peerWanted(ctx, `tfjs-${b}`));
  const browserWanted = peerWanted(ctx, 'tfjs-wasm-browser');
  let env: TfjsEnv | null = null;
  let browser: BrowserInfo | null = null;
  const paths: Record<string, GradientPaths> = {};
  if ((peerIds.length > 0 || browserWanted) && ours.weights) {
    ss.manualSeed(0);
    const probe = buildOurModel(SPEC);
    const groups: Groups = paramGroups(probe.namedParameters(), trainerParamRules(defaultConfig(), probe)).map((e) => ({ name: e.name, lrMult: e.lrMult, decayMult: e.decayMult }));
    probe.dispose();
    const setup = stepSetup(batch, ours.weights, groups);
    if (peerIds.length > 0) {
      env = await loadTfjs(ctx.log);
      for (const l of describeTfjs(env)) ctx.out(l);
      ctx.out('');
    }
    // order: tfjs-wasm in Node, the browser rows, then tfjs-cpu (minutes; the wasm rows stay close in time)
    for (const b of [...peerIds.filter((p) => p === 'wasm'), ...(browserWanted ? ['browser' as const] : []), ...peerIds.filter((p) => p === 'cpu')]) {
      if (b === 'browser') {
        const r = await runBrowserPeers(ctx, setup, ours.ref);
        rows.push(...r.rows);
        browser = r.info;
        continue;
      }
      if (!env || !env.backends.includes(b)) continue;
      // ours' further rounds: between tfjs-cpu's steps (seconds each), and after tfjs-wasm in Node
      const between = b === 'cpu' ? () => oursRound(ctx, ours.live, "between tfjs-cpu's steps") : undefined;
      const r = await runPeer(ctx, env, b, setup, ours.ref, between);
      rows.push(r.row);
      if (r.paths) paths[b] = r.paths;
      if (b === 'wasm') await oursRound(ctx, ours.live, 'after tfjs-wasm');
    }
  }

  // ---- the table ----
  const peerMs = (id: string) => rows.find((r) => r.id === id)?.ms ?? null;
  const wasmMs = peerMs('tfjs-wasm');
  const cpuMs = peerMs('tfjs-cpu');
  const browser2Ms = peerMs('tfjs-wasm-browser-2t');
  const table = rows.map((r) => [
    r.label,
    r.ms === null ? (r.note?.startsWith('error') ? 'error' : '—') : fmtMs(r.ms),
    r.cold ? '1 (cold)' : String(r.runs),
    ips(r.ms) === null ? '—' : ips(r.ms)!.toFixed(2),
    r.impl === 'ours' ? fmtRatio(ips(r.ms), ips(wasmMs)) : '',
    r.impl === 'ours' ? fmtRatio(ips(r.ms), ips(browser2Ms)) : '',
    r.impl === 'ours' ? fmtRatio(ips(r.ms), ips(cpuMs)) : '',
    r.firstLoss === null ? '—' : `${r.firstLoss.toFixed(4)} → ${r.lastLoss === null ? '—' : r.lastLoss.toFixed(4)}`,
    r.lossErr === null ? '—' : `${fmtErr(r.lossErr, TOL)} / ${fmtErr(r.logitsErr, TOL)} / ${fmtErr(r.gradErr, GRAD_TOL)}`,
  ]);
  const ourParams = ours.params;
  const peerParams = rows.find((r) => r.impl === 'tfjs' && r.params !== null)?.params ?? null;
  const paramLine = `parameters: ours ${fmtInt(ourParams)} (SegModel, DEFAULT_COMPACT, vanilla head, ${K} classes); tfjs model ${fmtInt(peerParams)}${peerParams === null ? '' : peerParams === ourParams ? ' — equal' : ' — DIFFERENT'}`;
  ctx.out(paramLine);
  ctx.out('');
  const tnotes: string[] = [
    paramLine,
    `workload: batch ${B} × 3×${H}×${W}, random N(0, 1) images and labels 0..${K - 1} (seeded), one batch uploaded every step; forward (training mode, BN on batch statistics), bilinear resize of the logits to ${H}×${W}, softmax cross-entropy, backward, AdamW (lr ${modelConfig(SPEC).lr} constant, wd ${modelConfig(SPEC).weightDecay}, head lr ×${modelConfig(SPEC).headLrMult}, no decay on norms), until the loss is on the host`,
    'ratio columns: THROUGHPUT ratio ours img/s ÷ peer img/s (< 1: ours slower; the inverse of the time ratio used by the kernels part)',
    `rel err: the first (check) step, forward + backward without the update, from the same initial weights (ours copied into the peer), against ours on ${rows[0]?.id ?? 'our first backend'}: |loss − ours| / |ours|, max|logits − ours| / max|ours| (the [${B}, ${K}, ${H / 4}, ${W / 4}] logits before the resize), and the worst max|g − ours| / max|ours| over all ${Object.keys(ours.ref?.grads ?? {}).length} parameter gradients; flagged above ${TOL} (loss, logits) and ${GRAD_TOL} (gradients: a pre-activation within ~1e-5 of a ReLU's kink can fall on the other side under another summation order, and that pixel's whole gradient changes sides with it — one such pixel moves a small, cancelling sum like a BN bias gradient by ~1e-2)`,
    'dropout: off on both sides (the trainer\'s default Dropout2d(0.1) before the classifier is one mask multiply); the learning-rate schedule is left out (it changes no work)',
    canCollectGarbage()
      ? "garbage: a full collection runs before each implementation's timed steps and before each of ours' rounds, so none is timed while V8 collects another's garbage (bench/gc.ts)"
      : 'garbage: no full collection between implementations (gc could not be exposed here)',
    'peer: TensorFlow.js model in bench/peers/tfjs-compact.ts — NHWC, explicit symmetric padding as PyTorch, 1×1 convs as MatMul, exact (erf) GELU, half-pixel bilinear resizes, BN with batch statistics and running-stat updates; AdamW written in tfjs ops (tfjs has Adam but no AdamW), the same arithmetic as ours',
    "peer, both backends: the bilinear resizes' gradient is a tf.customGrad of two MatMuls with the interpolation matrices — tfjs 4.22.0's ResizeBilinearGrad kernels ignore halfPixelCenters (cpu and wasm), so tf.grad of a half-pixel resize is not its adjoint, and tfjs-backend-cpu's kernel returns height and width swapped (it throws on non-square maps such as 16×21)",
  ];
  if (env) {
    const threads = env.wasm.threads;
    tnotes.push(
      env.wasm.ok
        ? `tfjs-wasm ran on ${threads} thread${threads === 1 ? '' : 's'} (getThreadsCount()), SIMD ${env.wasm.simd ? 'on' : 'off'}${env.wasm.threaded ? '' : `; its multi-threaded build is not usable in Node: ${env.wasm.threadedError ?? 'not multi-threaded'}`}`
        : `tfjs-wasm did not initialise: ${env.wasm.error}`,
    );
    for (const [b, p] of Object.entries(paths)) {
      if (p.dense === 'forward-ops' || p.depthwise === 'forward-ops') {
        tnotes.push(
          `tfjs-${b}: tfjs-backend-${b} ${env.version} registers no ${[p.dense === 'forward-ops' ? 'Conv2DBackpropFilter' : '', p.depthwise === 'forward-ops' ? 'DepthwiseConv2dNativeBackpropFilter/-Input' : ''].filter(Boolean).join(' and no ')} kernel, so the peer model defines those gradients with tf.customGrad in forward ops: ` +
            `${p.dense === 'forward-ops' ? 'dense conv filter gradient = a stride-1 Conv2D of x transposed to [Cin, H, W, N] with dy transposed to [OH, OW, N, Cout] as filter, dilated by the stride; dense conv input gradient = a stride-1 Conv2D of dy dilated by the stride with the filter flipped in space and Cin ↔ Cout swapped (tfjs-wasm runs its own Conv2DBackpropInput, conv2dTranspose, outside XNNPACK, ~13× slower); ' : ''}` +
            `${p.depthwise === 'forward-ops' ? 'depthwise input gradient = a depthwise conv of dy with the spatially flipped filter, depthwise filter gradient = one depthwise correlation of x folded to [1, H, W, N·C] with dy folded to an [H, W, N·C, 1] filter, summed over N' : ''}`,
        );
      } else {
        tnotes.push(`tfjs-${b}: tfjs's own gradient kernels for every conv`);
      }
    }
  } else if (peerIds.length === 0 && !browserWanted) {
    tnotes.push('peer: not run (--backends lists no tfjs backend)');
  }
  if (browser) tnotes.push(...describeBrowser(browser));
  for (const r of rows) {
    const d = describeRounds(r);
    if (d) tnotes.push(d);
  }
  for (const r of rows) if (r.note) tnotes.push(`${r.label}: ${r.note}`);
  for (const r of rows) {
    const bad = [r.lossErr, r.logitsErr].some((e) => e !== null && !(e <= TOL)) || (r.gradErr !== null && !(r.gradErr <= GRAD_TOL));
    if (bad) tnotes.push(`${r.label}: MISMATCH — loss ${r.lossErr}, logits ${r.logitsErr}, worst gradient ${r.worstGrad} ${r.gradErr}`);
  }
  const t = renderTable(`### train — training step, SegModel(${K}) vanilla head, batch ${B}×3×${H}×${W} (median ms/step after warm-up)`, COLS, table, tnotes);
  tables.push(t);
  ctx.out(`${t}\n`);

  for (const r of rows) {
    records.push({
      part: PART, workload: 'train-step', label: `SegModel(${K}) vanilla, batch ${B}×3×${H}×${W}, AdamW`, impl: r.impl, backend: r.id,
      medianMs: r.ms, runs: r.runs, samplesMs: r.samples, flop: null, gflops: null,
      relErr: r.gradErr, relErrRef: r.gradErr === null ? null : `ours ${rows[0]?.id ?? ''} (first step's gradients)`, note: r.note,
      extra: { imagesPerSec: ips(r.ms), params: r.params, lossErr: r.lossErr, logitsErr: r.logitsErr, worstGrad: r.worstGrad, gradErrs: r.gradErrs, firstLoss: r.firstLoss, lastLoss: r.lastLoss, cold: r.cold, rounds: r.rounds?.map((x) => ({ at: x.at, medianMs: median(x.samples), runs: x.samples.length })) ?? null, throughputRatioTfjsWasm: r.impl === 'ours' ? ratioOrNull(ips(r.ms), ips(wasmMs)) : null, throughputRatioTfjsCpu: r.impl === 'ours' ? ratioOrNull(ips(r.ms), ips(cpuMs)) : null, throughputRatioTfjsWasmBrowser2t: r.impl === 'ours' ? ratioOrNull(ips(r.ms), ips(browser2Ms)) : null },
    });
  }
  info.params = { ours: ourParams, tfjs: peerParams };
  if (env) info.tfjs = { version: env.version, labels: env.labels, wasm: env.wasm, gradientPaths: paths };
  if (browser) info.browser = browser;
  notes.push(...tnotes.slice(1));
  return { part: PART, records, tables, notes, info };
}

/** The browser rows' setting, as note lines: Chromium, isolation, threads, binary; or why they did not run. */
function describeBrowser(b: BrowserInfo): string[] {
  if (b.error) return []; // each browser row's note says why it did not run
  const lines = [
    `tfjs-wasm (browser): the same tfjs model, step and timing policy in ${b.chromium} headless (playwright-core), on a loopback page served with COOP same-origin + COEP require-corp; ` +
      'setThreadsCount(n) before tf.setBackend(\'wasm\'), steps timed inside the page (performance.now()), loss on the host (await data()) at the end of each step; batch and weights passed in from this process (bench/peers/browser-tfjs.ts)',
  ];
  for (const r of b.runs) {
    const e = r.env;
    const parts = e
      ? [
          `crossOriginIsolated ${e.crossOriginIsolated}`,
          `SharedArrayBuffer ${e.sharedArrayBuffer}`,
          `getThreadsCount() ${e.threads ?? '—'}`,
          `SIMD ${e.simd}`,
          `binary ${r.wasmServed.join(', ') || 'none'}`,
          `navigator.hardwareConcurrency ${e.hardwareConcurrency}${e.reportedConcurrency !== null ? `, reported to tfjs as ${e.reportedConcurrency}` : ''}`,
        ]
      : ['the page did not start'];
    lines.push(`tfjs-wasm (browser) asked for ${r.threads} thread${r.threads === 1 ? '' : 's'}: ${parts.join(', ')}${r.error ? `; error: ${r.error}` : ''}${r.console.length ? `; console: ${r.console.slice(0, 3).join(' | ')}` : ''}`);
  }
  if (b.runs.filter((r) => !r.error).length > 1) {
    lines.push('tfjs-wasm (browser): the 2-thread row is the one most sensitive to other load on the machine (both pool threads need a core; seen here: within ±20 % of the 1-thread row at load ≤ 2, 2.5–3× slower at load 3.5–7); read it with the load average and the 1-thread row');
  }
  if (b.runs.some((r) => r.env?.reportedConcurrency !== null && r.env?.reportedConcurrency !== undefined)) {
    lines.push(
      'tfjs-wasm (browser): tfjs-backend-wasm 4.22 caps XNNPACK\'s thread pool at navigator.hardwareConcurrency / 2 (its backend.cc assumes two hardware threads per core), so on this 2-vCPU machine setThreadsCount(2) alone gives getThreadsCount() = 1; the 2-thread page reports 4 logical cores to tfjs (the threads still share the 2 real ones). Node\'s threaded build reads os.cpus().length for the same cap',
    );
  }
  return lines;
}
