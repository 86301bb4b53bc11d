/** `ssa-seg train`: train a model on a dataset folder, with a progress bar, log, checkpoints. */
import { readJson } from '../io/atomic.js';
import { defaultConfig, mergeConfig, type TrainConfig } from '../train/config.js';
import { formatMetrics } from '../train/metrics.js';
import { train, type TrainResult } from '../train/trainer.js';
import { num, parse, str, UsageError } from './args.js';
import { fmtTime, progress } from './progress.js';

export const TRAIN_USAGE = `usage: ssa-seg train --data DIR --out RUN [options]

  --data DIR              dataset folder (mmseg layout: dataset.json, img_dir/, ann_dir/)
  --out RUN               run folder: config.json, log.jsonl, checkpoints/, eval.json
  --head vanilla|ssa      classifier head (default vanilla)
  --iters N               training iterations (default 600)
  --batch B               batch size (default 4)
  --lr X                  base learning rate (the head trains at lr × 10; default 6e-3)
  --seed S                seed of initialisation, data order and dropout (default 0)
  --backend NAME          webasm | cpu | webgpu | headlessgl (default: the best available)
  --config FILE.json      a JSON config; flags override it (see docs/training.md for every key)
  --resume                continue RUN from its latest checkpoint
  --eval-interval N       evaluate on val every N iterations (default: only at the end)
  --checkpoint-interval N write a checkpoint every N iterations (default 200, and at the end)
  --no-eval               skip the final evaluation
  SSA ablations (with --head ssa): --ssa-no-sepa --ssa-no-sppa --ssa-no-teacher --ssa-no-lrd --ssa-no-lsd --ssa-no-lpd`;

/** Resolves defaults ← config file ← flags. */
export function resolveTrainConfig(v: Record<string, string | boolean | undefined>): TrainConfig {
  let cfg = defaultConfig();
  const file = str(v.config);
  if (file) cfg = mergeConfig(cfg, readJson(file, 'training config'), file);
  const set = <K extends keyof TrainConfig>(k: K, x: TrainConfig[K] | undefined) => {
    if (x !== undefined) cfg[k] = x;
  };
  set('data', str(v.data));
  set('out', str(v.out));
  const head = str(v.head);
  if (head !== undefined && head !== 'vanilla' && head !== 'ssa') throw new UsageError(`--head must be 'vanilla' or 'ssa', got '${head}'`);
  set('head', head as TrainConfig['head'] | undefined);
  set('iters', num('iters', v.iters, { int: true, min: 1 }));
  set('batch', num('batch', v.batch, { int: true, min: 1 }));
  set('lr', num('lr', v.lr, { min: 0 }));
  set('seed', num('seed', v.seed, { int: true, min: 0 }));
  set('backend', str(v.backend));
  set('evalInterval', num('eval-interval', v['eval-interval'], { int: true, min: 0 }));
  set('checkpointInterval', num('checkpoint-interval', v['checkpoint-interval'], { int: true, min: 1 }));
  for (const k of ['sepa', 'sppa', 'teacher', 'lrd', 'lsd', 'lpd'] as const) if (v[`ssa-no-${k}`]) cfg.ssa[k] = false;
  if (!file && v.data === undefined) throw new UsageError(`--data is required\n\n${TRAIN_USAGE}`);
  if (!file && v.out === undefined) throw new UsageError(`--out is required\n\n${TRAIN_USAGE}`);
  return cfg;
}

export const TRAIN_OPTIONS = {
  data: { type: 'string' }, out: { type: 'string' }, head: { type: 'string' }, iters: { type: 'string' },
  batch: { type: 'string' }, lr: { type: 'string' }, seed: { type: 'string' }, backend: { type: 'string' },
  config: { type: 'string' }, resume: { type: 'boolean' }, 'eval-interval': { type: 'string' },
  'checkpoint-interval': { type: 'string' }, 'no-eval': { type: 'boolean' },
  'ssa-no-sepa': { type: 'boolean' }, 'ssa-no-sppa': { type: 'boolean' }, 'ssa-no-teacher': { type: 'boolean' },
  'ssa-no-lrd': { type: 'boolean' }, 'ssa-no-lsd': { type: 'boolean' }, 'ssa-no-lpd': { type: 'boolean' },
} as const;

/** Trains with a progress bar and returns the result (used by the CLI and the main job). */
export async function trainWithProgress(cfg: TrainConfig, opts: { resume?: boolean; evaluate?: boolean; label?: string } = {}): Promise<TrainResult> {
  let bar: ReturnType<typeof progress> | null = null;
  const result = await train(cfg, {
    resume: opts.resume,
    evaluate: opts.evaluate,
    onStart(i) {
      console.log(`${opts.label ?? 'train'}: ${cfg.head} head, ${i.params.toLocaleString('en')} parameters, backend ${i.backend}${i.resumed ? `, resuming at iteration ${i.startIter}` : ''}`);
      bar = progress(opts.label ?? 'train', i.iters, i.startIter, cfg.logInterval);
    },
    onStep(s) {
      bar?.update(s.iter, { loss: s.losses.total.toFixed(4), lr: s.lr.toExponential(2), 'it/s': s.itPerSec.toFixed(2), ETA: fmtTime(s.etaSec) });
    },
    onEval(iter, m) {
      if (iter !== cfg.iters) console.log(`\niteration ${iter}: mIoU ${m.mIoU.toFixed(2)}`);
    },
  });
  (bar as ReturnType<typeof progress> | null)?.stop();
  return result;
}

export async function trainCommand(argv: string[]): Promise<void> {
  const v = parse('train', argv, TRAIN_OPTIONS, TRAIN_USAGE);
  const cfg = resolveTrainConfig(v);
  const r = await trainWithProgress(cfg, { resume: !!v.resume, evaluate: !v['no-eval'] });
  console.log(`trained ${r.iterations} iterations in ${fmtTime(r.seconds)}; final loss ${r.finalLoss.toFixed(4)}`);
  if (r.metrics) console.log(formatMetrics(r.metrics));
  console.log(`run folder: ${r.run}\ncheckpoint: ${r.checkpoint}\nlog:        ${r.run}/log.jsonl`);
}
