/**
 * Part `rss`: memory over a long training run. The compact model as the trainer builds it
 * (vanilla head, 11 classes, Dropout2d 0.1, the trainer's AdamW) trains for 1000 steps (--quick:
 * 100) on batches of 8×3×64×84 (four random batches, seeded, cycled; uploaded every step inside
 * the step's tidy scope as the trainer does), on the engine's default CPU backend (or the first
 * one --backends lists). The run happens in a fresh child process (this file with --rss-child), so the RSS is
 * its own and not that of the parts that ran before in the bench process.
 *
 * Every 50 steps (--quick: 10) it samples process.memoryUsage() (rss, heapUsed, external,
 * arrayBuffers) and the engine's memory() counters (live tensor handles, device storages and
 * their bytes). Reported: RSS at the start (model built, before the first step), after the
 * warm-up (the first 100 steps; --quick: 20), at the end and at its peak; the slope of RSS and of
 * heapUsed in MiB per 100 steps, by least squares over the samples from the end of the warm-up on;
 * whether the live tensor and storage counts stay constant after the warm-up (a leak of one
 * tensor per step shows there long before RSS moves); and what is left after disposing the model
 * and the optimizer. No garbage collection is forced: RSS is what a training run sees. A second
 * run in another child process (node --expose-gc) forces a full collection before each sample,
 * so its slope tells a leak (live memory growing) from garbage not yet collected.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import * as ss from '../src/index.js';
import {
  buildOurModel, describeBackend, errorMessage, fmtInt, fmtMiB, HostRng, makeTrainerOptimizer, modelBackendById, modelBackends, ourTrainStep, randomBatch, renderTable,
  type BenchRecord, type Column, type HostBatch, type Part, type PartContext, type PartResult,
} from './harness.js';

const PART = 'rss';
const B = 8;
const H = 64;
const W = 84;
const K = 11;

interface Sample {
  step: number;
  rss: number;
  heapUsed: number;
  external: number;
  arrayBuffers: number;
  numTensors: number;
  numStorages: number;
  numBytes: number;
  /** Mean ms per step over the interval ending here. */
  msPerStep: number | null;
}

function sample(step: number, msPerStep: number | null): Sample {
  const m = process.memoryUsage();
  const e = ss.memory();
  return { step, rss: m.rss, heapUsed: m.heapUsed, external: m.external, arrayBuffers: m.arrayBuffers, numTensors: e.numTensors, numStorages: e.numStorages, numBytes: e.numBytes, msPerStep };
}

/** Least-squares slope of y against x (null with fewer than two points). */
function slope(xs: readonly number[], ys: readonly number[]): number | null {
  const n = xs.length;
  if (n < 2) return null;
  const mx = xs.reduce((a, b) => a + b, 0) / n;
  const my = ys.reduce((a, b) => a + b, 0) / n;
  let num = 0;
  let den = 0;
  for (let i = 0; i < n; i++) {
    num += (xs[i] - mx) * (ys[i] - my);
    den += (xs[i] - mx) ** 2;
  }
  return den === 0 ? null : num / den;
}

const MiB = 2 ** 20;
const fmtSlope = (bytesPerStep: number | null) => (bytesPerStep === null ? '—' : `${((bytesPerStep * 100) / MiB).toFixed(2)} MiB / 100 steps`);

/** What one measurement run gives (in the child process, sent to the parent as JSON). */
interface RssRun {
  backend: string;
  backendInfo: unknown;
  steps: number;
  every: number;
  samples: Sample[];
  losses: number[];
  /** memory() before the model was built and after model.dispose() + opt.dispose() at the end. */
  before: { numTensors: number; numStorages: number; numBytes: number };
  leftover: { numTensors: number; numStorages: number; numBytes: number };
}

/**
 * Builds the model, trains `steps` steps, sampling every `every`; disposes everything. With
 * `collect`, a full garbage collection runs before each sample (needs `gc`: node --expose-gc).
 */
async function measureRss(backendId: string, steps: number, every: number, log: (s: string) => void, collect = false): Promise<RssRun> {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (collect && !gc) throw new Error('rss: a collected run needs node --expose-gc');
  const take = (step: number, ms: number | null) => {
    if (collect) gc!();
    return sample(step, ms);
  };
  await modelBackendById(backendId).select();
  const rng = new HostRng(10_000);
  const batches: HostBatch[] = Array.from({ length: 4 }, () => randomBatch(rng, B, H, W, K));
  const before = ss.memory();
  ss.manualSeed(0);
  const model = buildOurModel({ head: 'vanilla', classes: K }).train();
  const opt = makeTrainerOptimizer(model);
  const samples: Sample[] = [take(0, null)];
  const losses: number[] = [];
  let t0 = performance.now();
  try {
    for (let i = 1; i <= steps; i++) {
      losses.push(await ourTrainStep(model, opt, batches[i % batches.length]));
      if (i % every === 0 || i === steps) {
        const now = performance.now();
        samples.push(take(i, (now - t0) / (i - samples[samples.length - 1].step)));
        t0 = performance.now();
        const s = samples[samples.length - 1];
        log(`[rss]${collect ? ' (collected)' : ''} step ${i}/${steps}: rss ${fmtMiB(s.rss)} MiB, heap ${fmtMiB(s.heapUsed)} MiB, ${s.numTensors} tensors, ${fmtMs1(s.msPerStep)} ms/step, loss ${losses[losses.length - 1].toFixed(4)}`);
      }
    }
  } finally {
    model.dispose();
    opt.dispose();
  }
  return { backend: describeBackend(), backendInfo: ss.backendInfo(), steps, every, samples, losses, before, leftover: ss.memory() };
}

const CHILD_FLAG = '--rss-child';

/**
 * Runs measureRss in a fresh Node process (the same tsx loader), so the RSS is this run's and not
 * that of the parts before it (tfjs's WebAssembly heaps, other models). Progress goes to stderr.
 */
function inChild(backendId: string, steps: number, every: number, collect = false): Promise<RssRun> {
  return new Promise((resolve, reject) => {
    const args = [...process.execArgv, ...(collect ? ['--expose-gc'] : []), fileURLToPath(import.meta.url), CHILD_FLAG, backendId, String(steps), String(every), ...(collect ? ['collect'] : [])];
    const child = spawn(process.execPath, args, {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      const line = out.split('\n').find((l) => l.startsWith('@@'));
      if (code === 0 && line) resolve(JSON.parse(line.slice(2)) as RssRun);
      else reject(new Error(`the rss child process exited with ${code}${line ? '' : ' without a result'}`));
    });
  });
}

export const part: Part = {
  name: PART,
  summary: 'resident memory and live tensors over 1000 training steps of the compact model (100 with --quick)',
  async run(ctx: PartContext): Promise<PartResult> {
    const steps = ctx.quick ? 100 : 1000;
    const every = ctx.quick ? 10 : 50;
    const warm = ctx.quick ? 20 : 100;
    const backends = modelBackends(ctx);
    if (backends.length > 1) ctx.log(`[rss] runs on the first backend listed only (${backends[0].id})`);
    let run: RssRun;
    let where = 'a fresh child process (this file, --rss-child), so RSS is this run\'s alone';
    try {
      run = await inChild(backends[0].id, steps, every);
    } catch (e) {
      ctx.log(`[rss] child process failed (${errorMessage(e)}); measuring in this process`);
      where = `this process (the child process failed: ${errorMessage(e)}), so RSS includes whatever the parts before left`;
      run = await measureRss(backends[0].id, steps, every, ctx.log);
    }
    // a second run that collects garbage before each sample: what is live, not what is not yet collected
    let collected: RssRun | null = null;
    let collectedError: string | null = null;
    try {
      collected = await inChild(backends[0].id, steps, every, true);
    } catch (e) {
      collectedError = errorMessage(e);
      ctx.log(`[rss] the collected run failed: ${collectedError}`);
    }
    const { samples, losses, leftover, before } = run;
    const label = run.backend;

    const after = samples.filter((s) => s.step >= warm);
    const atWarm = after[0];
    const end = samples[samples.length - 1];
    const peak = samples.reduce((a, s) => (s.rss > a.rss ? s : a), samples[0]);
    const xs = after.map((s) => s.step);
    const rssSlope = slope(xs, after.map((s) => s.rss));
    const heapSlope = slope(xs, after.map((s) => s.heapUsed));
    const constant = (k: 'numTensors' | 'numStorages' | 'numBytes') => after.every((s) => s[k] === atWarm[k]);
    const range = (k: 'numTensors' | 'numStorages' | 'numBytes') => {
      const v = after.map((s) => s[k]);
      return Math.min(...v) === Math.max(...v) ? fmtInt(v[0]) : `${fmtInt(Math.min(...v))}–${fmtInt(Math.max(...v))}`;
    };
    const tensorsConstant = constant('numTensors') && constant('numStorages') && constant('numBytes');
    const cAfter = collected ? collected.samples.filter((s) => s.step >= warm) : [];
    const cx = cAfter.map((s) => s.step);
    const cRssSlope = collected ? slope(cx, cAfter.map((s) => s.rss)) : null;
    const cHeapSlope = collected ? slope(cx, cAfter.map((s) => s.heapUsed)) : null;
    const cRange = (k: 'rss' | 'heapUsed') => {
      const v = cAfter.map((s) => s[k]);
      return v.length ? `${fmtMiB(Math.min(...v))}–${fmtMiB(Math.max(...v))} MiB` : '—';
    };

    const summaryCols: Column[] = [{ header: 'quantity' }, { header: 'value', align: 'right' }];
    const summary = renderTable(`### rss — ${steps} training steps, SegModel(${K}) vanilla, batch ${B}×3×${H}×${W}, ours: ${label}`, summaryCols, [
      ['RSS at start (model built, step 0)', `${fmtMiB(samples[0].rss)} MiB`],
      [`RSS after warm-up (step ${atWarm.step})`, `${fmtMiB(atWarm.rss)} MiB`],
      [`RSS at the end (step ${end.step})`, `${fmtMiB(end.rss)} MiB`],
      [`RSS peak (step ${peak.step})`, `${fmtMiB(peak.rss)} MiB`],
      [`RSS slope after warm-up (least squares, ${after.length} samples)`, fmtSlope(rssSlope)],
      ['heapUsed slope after warm-up', fmtSlope(heapSlope)],
      ['second run, full GC before each sample: RSS slope / heapUsed slope after warm-up', collected ? `${fmtSlope(cRssSlope)} / ${fmtSlope(cHeapSlope)}` : `— (${collectedError})`],
      ['second run, full GC before each sample: RSS / heapUsed range after warm-up', collected ? `${cRange('rss')} / ${cRange('heapUsed')}` : '—'],
      ['live tensors after warm-up (memory().numTensors)', range('numTensors')],
      ['device storages / bytes after warm-up', `${range('numStorages')} / ${range('numBytes')}`],
      ['live tensor, storage and byte counts constant after warm-up', tensorsConstant ? 'yes' : 'NO — they change (see the samples)'],
      ['tensors / storages / bytes left after disposing the model and optimizer', `${fmtInt(leftover.numTensors - before.numTensors)} / ${fmtInt(leftover.numStorages - before.numStorages)} / ${fmtInt(leftover.numBytes - before.numBytes)}`],
      ['loss at the first / last step', `${losses[0]?.toFixed(4)} / ${losses[losses.length - 1]?.toFixed(4)}`],
    ], [
      `measured in ${where}`,
      ...(ctx.quick ? [`--quick: ${steps} steps are too few for the slope to tell a slow leak from allocator and GC noise; the full run does 1000`] : []),
      'left after disposing: tensors still live once the model and optimizer are disposed, against the count before the model was built; not zero means something outside the step leaked (e.g. temporaries of a constructor)',
      `samples every ${every} steps (and at step 0, before the first); warm-up = the first ${warm} steps (kernel compilation, optimizer state, allocator growth)`,
      'each step runs as the trainer\'s: batch upload, forwardTrain and backward inside one tidy, losses downloaded and disposed, AdamW step (its updates in their own tidy scopes), zeroGrad',
      'no forced GC in the first run: RSS and heapUsed include garbage not yet collected, so they wander by some MB between samples; the slope over hundreds of steps is what tells a leak',
      `second run: the same ${steps} steps in another fresh child process under node --expose-gc, with a full collection (gc()) before each sample, so its RSS and heapUsed are what is live plus the allocator's retained pages; a slope there that the first run shows too would be a leak, one only the first run shows is garbage V8 had not yet collected (its old generation is collected lazily)`,
    ]);

    const sampleCols: Column[] = [
      { header: 'step', align: 'right' },
      { header: 'rss MiB', align: 'right' },
      { header: 'heapUsed MiB', align: 'right' },
      { header: 'external MiB', align: 'right' },
      { header: 'arrayBuffers MiB', align: 'right' },
      { header: 'tensors', align: 'right' },
      { header: 'storages', align: 'right' },
      { header: 'device bytes', align: 'right' },
      { header: 'ms/step', align: 'right' },
    ];
    const sampleTable = renderTable(
      '### rss — samples',
      sampleCols,
      samples.map((s) => [String(s.step), fmtMiB(s.rss), fmtMiB(s.heapUsed), fmtMiB(s.external), fmtMiB(s.arrayBuffers), fmtInt(s.numTensors), fmtInt(s.numStorages), fmtInt(s.numBytes), fmtMs1(s.msPerStep)]),
      ['ms/step: mean over the interval since the previous sample'],
    );
    for (const t of [summary, sampleTable]) ctx.out(`${t}\n`);

    const records: BenchRecord[] = [{
      part: PART, workload: 'train-rss', label: `${steps} training steps, SegModel(${K}) vanilla, batch ${B}×3×${H}×${W}`, impl: 'ours', backend: backends[0].id,
      medianMs: null, runs: steps, samplesMs: [], flop: null, gflops: null, relErr: null, relErrRef: null,
      extra: {
        samples, warmupSteps: warm, rssStart: samples[0].rss, rssAfterWarmup: atWarm.rss, rssEnd: end.rss, rssPeak: peak.rss,
        rssSlopeMiBPer100Steps: rssSlope === null ? null : (rssSlope * 100) / MiB, heapSlopeMiBPer100Steps: heapSlope === null ? null : (heapSlope * 100) / MiB, tensorsConstant,
        leftover: { numTensors: leftover.numTensors - before.numTensors, numStorages: leftover.numStorages - before.numStorages, numBytes: leftover.numBytes - before.numBytes }, losses,
        collected: collected
          ? { samples: collected.samples, rssSlopeMiBPer100Steps: cRssSlope === null ? null : (cRssSlope * 100) / MiB, heapSlopeMiBPer100Steps: cHeapSlope === null ? null : (cHeapSlope * 100) / MiB }
          : { error: collectedError },
      },
    }];
    return { part: PART, records, tables: [summary, sampleTable], notes: [], info: { backend: label, backendInfo: run.backendInfo, where } };
  },
};

function fmtMs1(ms: number | null): string {
  return ms === null ? '—' : ms.toFixed(0);
}

// The child process: `<node + tsx> bench/rss.ts --rss-child <backend> <steps> <every>`.
if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1] && process.argv[2] === CHILD_FLAG) {
  const [backendId, steps, every, collect] = process.argv.slice(3);
  // NOTE: exit explicitly: gpu.js and the wasm kernels' worker threads keep the event loop alive.
  measureRss(backendId, Number(steps), Number(every), (l) => process.stderr.write(`${l}\n`), collect === 'collect').then(
    (r) => {
      process.stdout.write(`@@${JSON.stringify(r)}\n`, () => process.exit(0));
    },
    (e) => {
      process.stderr.write(`rss child: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
      process.exit(1);
    },
  );
}
