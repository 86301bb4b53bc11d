/**
 * Part `scaling`: how our training-step and inference times grow with the batch size, the input
 * resolution and the number of classes, for the vanilla and the SSA head, on the engine's default
 * CPU backend (or those --backends lists).
 *
 * Three one-factor sweeps around a base point (batch 8, 64×64, 11 classes):
 * - batch 1, 2, 4, 8, 16, 32 (--quick: 1, 4, 16)
 * - resolution 64², 128², 256² (--quick: 64², 128²)
 * - classes 11 (M2NIST), 19 (Cityscapes), 150 (ADE20K) (--quick: 11, 150)
 *
 * Train: one step as the trainer does it (bench/harness.ts ourTrainStep: upload, forwardTrain,
 * backward, AdamW with the trainer's groups). Inference: evaluate()'s unit (upload, eval-mode
 * forward under noGrad, argmax, download). Random images and labels from a seeded generator. The
 * models (one per head and class count) are built once and reused across the batch and
 * resolution sweeps: their weights do not depend on the input size.
 *
 * One tensor may hold at most 2^23 elements in the engine. The largest tensors of a step are the
 * logits resized to the labels (and, with the SSA head, the full-size one-hot targets and Dice
 * maps): B·K·H·W. A setting over the cap is skipped and marked, not run; an element-cap error at
 * run time is caught and marked too.
 */
import * as ss from '../src/index.js';
import { DEFAULT_COMPACT } from '../src/models/compact.js';
import type { SegModel } from '../src/models/segmentor.js';
import type { Optimizer } from '../src/nn/optim/optimizer.js';
import type { HeadKind } from '../src/train/config.js';
import {
  buildOurModel, defaultMeasureOptions, describeBackend, ELEMENT_CAP, errorMessage, fmtInt, fmtMs, HostRng, isElementCapError, makeTrainerOptimizer, measure, measureInterleaved, selectModelBackends,
  ourPredict, ourTrainStep, randomBatch, renderTable,
  type BenchRecord, type Column, type MeasureOptions, type Part, type PartContext, type PartResult,
} from './harness.js';

const PART = 'scaling';
const BASE = { batch: 8, size: 64, classes: 11 };
const HEADS: readonly HeadKind[] = ['vanilla', 'ssa'];

interface Setting {
  batch: number;
  size: number;
  classes: number;
}

interface Sweep {
  id: 'batch' | 'resolution' | 'classes';
  title: string;
  settings: Setting[];
  /** The swept value, for the first column. */
  value(s: Setting): string;
}

function sweeps(quick: boolean): Sweep[] {
  const batches = quick ? [1, 4, 16] : [1, 2, 4, 8, 16, 32];
  const sizes = quick ? [64, 128] : [64, 128, 256];
  const classes = quick ? [11, 150] : [11, 19, 150];
  return [
    { id: 'batch', title: `batch (${BASE.size}×${BASE.size}, ${BASE.classes} classes)`, settings: batches.map((batch) => ({ ...BASE, batch })), value: (s) => String(s.batch) },
    { id: 'resolution', title: `resolution (batch ${BASE.batch}, ${BASE.classes} classes)`, settings: sizes.map((size) => ({ ...BASE, size })), value: (s) => `${s.size}×${s.size}` },
    { id: 'classes', title: `number of classes (batch ${BASE.batch}, ${BASE.size}×${BASE.size})`, settings: classes.map((c) => ({ ...BASE, classes: c })), value: (s) => String(s.classes) },
  ];
}

/** The largest tensor a training step of this setting makes (elements) and what it is. */
function largestTensor(s: Setting): { elements: number; what: string } {
  const { batch: B, size, classes: K } = s;
  const half = Math.floor((size - 1) / 2) + 1; // the stem's first stride-2 conv
  const candidates: [number, string][] = [
    [B * 3 * size * size, 'input'],
    [B * (DEFAULT_COMPACT.dims[0] / 2) * half * half, 'stem conv output'],
    [B * K * size * size, 'logits at label size'],
  ];
  candidates.sort((a, b) => b[0] - a[0]);
  return { elements: candidates[0][0], what: candidates[0][1] };
}

function trainPolicy(quick: boolean): MeasureOptions {
  return quick ? { warmup: 1, minRuns: 1, maxRuns: 2, budgetMs: 0, capMs: 4000 } : { warmup: 1, minRuns: 3, maxRuns: 10, budgetMs: 3000, capMs: 12_000 };
}

/** One timed cell: ms per batch, or why there is none. */
interface Cell {
  ms: number | null;
  runs: number;
  samples: number[];
  /** 'cap' (over the element cap, predicted or caught) or an error message. */
  skip?: string;
}

function cellOf(e: unknown): Cell {
  return { ms: null, runs: 0, samples: [], skip: isElementCapError(e) ? `cap (caught: ${errorMessage(e)})` : `error: ${errorMessage(e)}` };
}

/**
 * Times the vanilla and the SSA variant alternately (one run of each per round, so other load
 * falls on both alike); if that throws, each alone, so a failure is pinned on the one that fails.
 */
async function timePair(fns: readonly [() => Promise<unknown>, () => Promise<unknown>], opts: MeasureOptions): Promise<[Cell, Cell]> {
  try {
    const [a, b] = await measureInterleaved(fns, opts);
    return [a, b].map((m) => ({ ms: m.medianMs, runs: m.runs, samples: m.samplesMs })) as [Cell, Cell];
  } catch {
    const one = async (fn: () => Promise<unknown>): Promise<Cell> => {
      try {
        const m = await measure(fn, opts);
        return { ms: m.medianMs, runs: m.runs, samples: m.samplesMs };
      } catch (e) {
        return cellOf(e);
      }
    };
    return [await one(fns[0]), await one(fns[1])];
  }
}

/** The models of a backend, one per head and class count, built on first use. */
class ModelCache {
  private readonly models = new Map<string, { model: SegModel; opt: Optimizer }>();
  get(head: HeadKind, classes: number): { model: SegModel; opt: Optimizer } {
    const key = `${head}/${classes}`;
    let m = this.models.get(key);
    if (!m) {
      ss.manualSeed(0);
      const model = buildOurModel({ head, classes });
      m = { model, opt: makeTrainerOptimizer(model) };
      this.models.set(key, m);
    }
    return m;
  }
  dispose(): void {
    for (const { model, opt } of this.models.values()) {
      model.dispose();
      opt.dispose();
    }
    this.models.clear();
  }
}

const cellText = (c: Cell | undefined, per = 1) => (!c ? '—' : c.ms !== null ? fmtMs(c.ms / per) : c.skip?.startsWith('cap') ? 'over cap' : 'error');
const ratioText = (a: number | null | undefined, b: number | null | undefined) => (a != null && b != null && b > 0 ? `${(a / b).toFixed(2)}×` : '—');

export const part: Part = {
  name: PART,
  summary: 'training-step and inference time against batch (1–32), resolution (64²–256²) and classes (11, 19, 150), vanilla vs SSA head',
  async run(ctx: PartContext): Promise<PartResult> {
    const records: BenchRecord[] = [];
    const tables: string[] = [];
    const notes: string[] = [];
    const info: Record<string, unknown> = {};
    for await (const b of selectModelBackends(ctx, notes)) {
      const label = describeBackend();
      const cache = new ModelCache();
      try {
        for (const sw of sweeps(ctx.quick)) {
          const rows: string[][] = [];
          const skipped: string[] = [];
          let first: { train: number | null; work: number } | null = null;
          for (const s of sw.settings) {
            const big = largestTensor(s);
            const batch = randomBatch(new HostRng(9000 + s.batch * 1000 + s.size + s.classes), s.batch, s.size, s.size, s.classes);
            let cells: Record<HeadKind, { train: Cell; infer: Cell }>;
            if (big.elements > ELEMENT_CAP) {
              const skip = `cap (predicted: ${big.what} has ${fmtInt(big.elements)} elements > 2^23 = ${fmtInt(ELEMENT_CAP)})`;
              const none = (): Cell => ({ ms: null, runs: 0, samples: [], skip });
              cells = { vanilla: { train: none(), infer: none() }, ssa: { train: none(), infer: none() } };
            } else {
              const [v, a] = [cache.get('vanilla', s.classes), cache.get('ssa', s.classes)];
              ctx.log(`[scaling] ${label}: ${sw.id} ${sw.value(s)}: train steps (vanilla, SSA alternating)…`);
              v.model.train();
              a.model.train();
              const train = await timePair([() => ourTrainStep(v.model, v.opt, batch), () => ourTrainStep(a.model, a.opt, batch)], trainPolicy(ctx.quick));
              ctx.log(`[scaling]   ms/step: vanilla ${cellText(train[0])}, SSA ${cellText(train[1])} (${train[0].runs} rounds); inference…`);
              v.model.eval();
              a.model.eval();
              const infer = await timePair([() => ourPredict(v.model, batch), () => ourPredict(a.model, batch)], defaultMeasureOptions(ctx.quick));
              ctx.log(`[scaling]   ms/batch: vanilla ${cellText(infer[0])}, SSA ${cellText(infer[1])} (${infer[0].runs} rounds)`);
              cells = { vanilla: { train: train[0], infer: infer[0] }, ssa: { train: train[1], infer: infer[1] } };
            }
            const v = cells.vanilla;
            const a = cells.ssa;
            // work grows with pixels × batch (and, in the head and loss, with classes)
            const work = s.batch * s.size * s.size;
            first ??= { train: v.train.ms, work };
            rows.push([
              sw.value(s),
              `${fmtInt(big.elements)}${big.elements > ELEMENT_CAP ? ' > cap' : ''}`,
              cellText(v.train),
              cellText(a.train),
              ratioText(a.train.ms, v.train.ms),
              cellText(v.train, s.batch),
              cellText(a.train, s.batch),
              ratioText(v.train.ms, first.train),
              `${(work / first.work).toFixed(2)}×`,
              cellText(v.infer, s.batch),
              cellText(a.infer, s.batch),
              ratioText(a.infer.ms, v.infer.ms),
            ]);
            for (const head of HEADS) {
              for (const mode of ['train', 'infer'] as const) {
                const c = cells[head][mode];
                if (c.skip) skipped.push(`${sw.value(s)}, ${head} ${mode}: ${c.skip}`);
                records.push({
                  part: PART, workload: `${sw.id}-${mode}`, label: `${mode === 'train' ? 'training step' : 'inference'}, ${head} head, batch ${s.batch}, ${s.size}×${s.size}, ${s.classes} classes`,
                  impl: 'ours', backend: b.id, medianMs: c.ms, runs: c.runs, samplesMs: c.samples, flop: null, gflops: null, relErr: null, relErrRef: null, note: c.skip,
                  extra: { sweep: sw.id, head, mode, ...s, msPerImage: c.ms === null ? null : c.ms / s.batch, largestTensor: big },
                });
              }
            }
          }
          const cols: Column[] = [
            { header: sw.id },
            { header: 'largest tensor', align: 'right' },
            { header: 'train ms/step vanilla', align: 'right' },
            { header: 'SSA', align: 'right' },
            { header: 'SSA/van', align: 'right' },
            { header: 'train ms/img vanilla', align: 'right' },
            { header: 'SSA', align: 'right' },
            { header: 'vanilla step × first row', align: 'right' },
            { header: 'pixels × first row', align: 'right' },
            { header: 'infer ms/img vanilla', align: 'right' },
            { header: 'SSA', align: 'right' },
            { header: 'SSA/van', align: 'right' },
          ];
          const t = renderTable(`### scaling — ${sw.title}, ours: ${label}`, cols, rows, [
            'train: median ms per training step (trainer step: upload, forward, loss, backward, AdamW) and per image; infer: evaluate()\'s unit (upload, eval forward, argmax, download) per image; vanilla and SSA timed alternately (one run of each per round)',
            '"vanilla step × first row" against "pixels × first row" (batch × H × W): how the step time grows against the pixels it processes (equal = linear; smaller = fixed per-step costs amortised)',
            `largest tensor: elements of the biggest tensor of a step (the logits resized to the labels, B·K·H·W, unless noted); the engine's cap is 2^23 = ${fmtInt(ELEMENT_CAP)}`,
            ...skipped,
          ]);
          tables.push(t);
          ctx.out(`${t}\n`);
        }
      } finally {
        cache.dispose();
      }
      info[b.id] = { backend: label, backendInfo: ss.backendInfo() };
    }
    const perBatch = BASE.classes * BASE.size * BASE.size;
    notes.push(
      `element cap: with ${BASE.classes} classes at ${BASE.size}×${BASE.size} a batch may hold up to ${Math.floor(ELEMENT_CAP / perBatch)} images; at batch ${BASE.batch} and ${BASE.classes} classes the largest square input is ${Math.floor(Math.sqrt(ELEMENT_CAP / (BASE.batch * BASE.classes)))}²; at batch ${BASE.batch}, ${BASE.size}×${BASE.size}, up to ${Math.floor(ELEMENT_CAP / (BASE.batch * BASE.size * BASE.size))} classes`,
      ctx.quick ? '--quick: reduced sweeps (batch 1/4/16, 64²/128², 11/150 classes), 1–2 timed steps after one warm-up step' : 'timed steps: one warm-up step per setting (new shapes), then at least 3 (up to 10, 3 s budget)',
    );
    ctx.out(notes.map((n) => `- ${n}`).join('\n') + '\n');
    return { part: PART, records, tables, notes, info };
  },
};
