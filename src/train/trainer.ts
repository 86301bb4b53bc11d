/**
 * The training loop: data, model, optimizer (parameter groups as the official recipe: head lr ×10,
 * no decay on norms), poly schedule with warm-up, JSONL log, atomic checkpoints, exact resume, and a
 * stop on a non-finite loss that keeps the last good checkpoint.
 */
import { appendFileSync, existsSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { openDataset } from '../data/dataset.js';
import { DataLoader } from '../data/loader.js';
import { writeFileAtomic } from '../io/atomic.js';
import { Module } from '../nn/module.js';
import { BatchNorm2d, GroupNorm, LayerNorm } from '../nn/layers/norm.js';
import { AdamW } from '../nn/optim/adamw.js';
import type { Optimizer, ParamGroupRule } from '../nn/optim/optimizer.js';
import { polyLr } from '../nn/optim/schedule.js';
import { SGD } from '../nn/optim/sgd.js';
import { backendInfo, ready, setBackend } from '../tensor/engine.js';
import { dispose, tidy } from '../tensor/memory.js';
import { tensor } from '../tensor/ops.js';
import { getGlobalRngState, manualSeed, setGlobalRngState } from '../tensor/random.js';
import type { BackendName } from '../tensor/backend.js';
import { buildModel } from './build.js';
import { latestCheckpoint, loadModelCheckpoint, loadTrainState, saveCheckpoint, type CheckpointMeta } from './checkpoint.js';
import { validateConfig, type TrainConfig } from './config.js';
import { evaluate } from './evaluate.js';
import type { SegMetrics } from './metrics.js';

export interface StepInfo {
  iter: number;
  iters: number;
  lr: number;
  losses: Record<string, number>;
  itPerSec: number;
  etaSec: number;
}

export interface TrainHooks {
  onStart?(info: { startIter: number; iters: number; params: number; backend: string; resumed: boolean }): void;
  onStep?(info: StepInfo): void;
  onCheckpoint?(file: string, iter: number): void;
  onEval?(iter: number, m: SegMetrics): void;
}

export interface TrainResult {
  run: string;
  checkpoint: string;
  iterations: number;
  seconds: number;
  finalLoss: number;
  metrics: (SegMetrics & { msPerImage: number }) | null;
  params: number;
}

/** Names of the parameters of normalisation layers (no weight decay on them, as mmseg's 'norm' rule). */
function normParamNames(model: Module): string[] {
  const out: string[] = [];
  for (const [prefix, m] of model.namedModules()) {
    if (m instanceof BatchNorm2d || m instanceof GroupNorm || m instanceof LayerNorm) {
      for (const [n] of m.namedParameters(prefix)) out.push(n);
    }
  }
  return out;
}

/** The trainer's parameter groups: the head at lr × headLrMult, no weight decay on normalisation parameters. */
export function trainerParamRules(cfg: TrainConfig, model: Module): ParamGroupRule[] {
  const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const norms = normParamNames(model);
  const rules: ParamGroupRule[] = [{ pattern: /^head\./, lrMult: cfg.headLrMult }];
  if (norms.length) rules.push({ pattern: new RegExp(`^(${norms.map(esc).join('|')})$`), decayMult: 0 });
  return rules;
}

/** The optimizer `cfg` names (AdamW or SGD) over `model`'s parameters, with the trainer's groups. */
export function makeOptimizer(cfg: TrainConfig, model: Module): Optimizer {
  const rules = trainerParamRules(cfg, model);
  const named = [...model.namedParameters()];
  return cfg.optimizer === 'adamw'
    ? new AdamW(named, { lr: cfg.lr, weightDecay: cfg.weightDecay, rules })
    : new SGD(named, { lr: cfg.lr, momentum: cfg.momentum, weightDecay: cfg.weightDecay, rules });
}

/** Trains per `cfg` (resuming from the run's latest checkpoint if `resume`), then evaluates on val. */
export async function train(cfgIn: TrainConfig, opts: { resume?: boolean; evaluate?: boolean } & TrainHooks = {}): Promise<TrainResult> {
  const cfg = validateConfig(cfgIn);
  const run = resolve(cfg.out);
  if (cfg.backend) await setBackend(cfg.backend as BackendName);
  else await ready();
  const trainSet = openDataset(cfg.data, 'train');
  const meta = trainSet.meta;
  const numClasses = trainSet.numClasses;
  mkdirSync(run, { recursive: true });
  const log = join(run, 'log.jsonl');

  manualSeed(cfg.seed);
  const model = buildModel(cfg, numClasses);
  const opt = makeOptimizer(cfg, model);
  const loader = new DataLoader(trainSet, {
    batchSize: cfg.batch,
    seed: cfg.seed,
    dropLast: true,
    augment:
      cfg.augment.resize || cfg.augment.crop || cfg.augment.flip
        ? {
            resize: cfg.augment.resize ? { ratioRange: cfg.augment.resize } : false,
            crop: cfg.augment.crop && cfg.crop ? { height: cfg.crop[0], width: cfg.crop[1] } : false,
            flip: cfg.augment.flip,
          }
        : false,
  });

  let start = 0;
  const latest = opts.resume ? latestCheckpoint(run) : null;
  if (opts.resume && !latest) throw new Error(`train --resume: ${run} has no checkpoint to resume from (checkpoints/latest.json is missing)`);
  if (latest) {
    const ck = await loadModelCheckpoint(latest.modelPath);
    model.loadStateDict(ck.weights);
    dispose(ck.weights);
    const st = await loadTrainState(latest.statePath);
    opt.loadStateDict({ step: st.optimizerStep, tensors: st.optimizer });
    loader.restore(st.loader);
    setGlobalRngState(st.rngState);
    start = latest.iteration;
  } else if (existsSync(log)) {
    throw new Error(`train: ${run} already holds a run (log.jsonl); pass --resume to continue it or choose another --out`);
  }
  await writeFileAtomic(join(run, 'config.json'), JSON.stringify(cfg, null, 2) + '\n');
  const params = model.numParameters();
  opts.onStart?.({ startIter: start, iters: cfg.iters, params, backend: backendInfo().name, resumed: !!latest });

  const ckMeta = (iteration: number): CheckpointMeta => ({
    iteration, config: cfg, classes: meta.classes, palette: meta.palette.map((c) => [...c] as [number, number, number]),
    ignoreIndex: meta.ignoreIndex, mean: meta.mean, std: meta.std,
  });
  const checkpoint = async (iteration: number) => {
    const file = await saveCheckpoint(run, ckMeta(iteration), model.stateDict(), {
      optimizerStep: opt.stepCount, optimizer: opt.stateDict().tensors, loader: loader.state(), rngState: getGlobalRngState(),
    });
    opts.onCheckpoint?.(file, iteration);
    return file;
  };

  const t0 = performance.now();
  let lastFile = latest?.modelPath ?? '';
  let finalLoss = NaN;
  let stepsDone = 0;
  const sched = { baseLr: cfg.lr, maxIters: cfg.iters, power: cfg.power, minLr: cfg.minLr, warmupIters: cfg.warmupIters, warmupRatio: cfg.warmupRatio };
  model.train();
  for (let it = start; it < cfg.iters; it++) {
    opt.lr = polyLr(it, sched);
    const batch = loader.next();
    const [B, , H, W] = batch.shape;
    const losses = tidy(() => {
      const x = tensor(batch.images, batch.shape);
      const y = tensor(batch.labels, [B, H, W], { dtype: 'int32' });
      const out = model.forwardTrain(x, y, meta.ignoreIndex);
      out.losses.total.backward();
      return out.losses;
    });
    const values: Record<string, number> = {};
    for (const [k, t] of Object.entries(losses)) values[k] = await t.item();
    dispose(losses);
    if (!Number.isFinite(values.total)) {
      model.zeroGrad();
      const bad = Object.entries(values).filter(([, v]) => !Number.isFinite(v)).map(([k, v]) => `${k}=${v}`).join(', ');
      throw new Error(
        `train: the loss became non-finite at iteration ${it + 1} (${bad}; batch ${batch.names.join(', ')}); training stopped before updating the weights. ` +
          (lastFile ? `The last good checkpoint is ${lastFile}.` : 'No checkpoint had been written yet.') + ' Lower --lr or check the data.',
      );
    }
    opt.step();
    opt.zeroGrad();
    stepsDone++;
    finalLoss = values.total;
    const iter = it + 1;
    const elapsed = (performance.now() - t0) / 1000;
    const itPerSec = stepsDone / elapsed;
    const info: StepInfo = { iter, iters: cfg.iters, lr: opt.lr, losses: values, itPerSec, etaSec: (cfg.iters - iter) / itPerSec };
    opts.onStep?.(info);
    if (iter % cfg.logInterval === 0 || iter === cfg.iters) {
      appendFileSync(log, JSON.stringify({ iter, lr: opt.lr, ...values, itPerSec: +itPerSec.toFixed(4), time: +elapsed.toFixed(2) }) + '\n');
    }
    if (iter % cfg.checkpointInterval === 0 || iter === cfg.iters) lastFile = await checkpoint(iter);
    if (cfg.evalInterval > 0 && iter % cfg.evalInterval === 0 && iter !== cfg.iters && opts.evaluate !== false) {
      const m = await evaluate(model, openDataset(cfg.data, 'val'), { mean: meta.mean, std: meta.std });
      appendFileSync(log, JSON.stringify({ iter, mIoU: m.mIoU, aAcc: m.aAcc, mAcc: m.mAcc }) + '\n');
      opts.onEval?.(iter, m);
    }
  }
  if (!lastFile) lastFile = await checkpoint(cfg.iters);
  let metrics: TrainResult['metrics'] = null;
  if (opts.evaluate !== false) {
    metrics = await evaluate(model, openDataset(cfg.data, 'val'), { mean: meta.mean, std: meta.std });
    appendFileSync(log, JSON.stringify({ iter: cfg.iters, mIoU: metrics.mIoU, aAcc: metrics.aAcc, mAcc: metrics.mAcc }) + '\n');
    await writeFileAtomic(join(run, 'eval.json'), JSON.stringify(metricsJson(metrics), null, 2) + '\n');
    opts.onEval?.(cfg.iters, metrics);
  }
  const seconds = (performance.now() - t0) / 1000;
  model.dispose();
  opt.dispose();
  return { run, checkpoint: lastFile, iterations: cfg.iters, seconds, finalLoss, metrics, params };
}

/** The metrics as the JSON `eval --json` writes: mIoU, aAcc, mAcc, perClass (name, IoU, Acc), confusion. */
export function metricsJson(m: SegMetrics & { msPerImage?: number }): object {
  const r = (x: number) => (Number.isNaN(x) ? null : +x.toFixed(4));
  return {
    mIoU: r(m.mIoU), aAcc: r(m.aAcc), mAcc: r(m.mAcc),
    perClass: m.perClass.map((c) => ({ name: c.name, IoU: r(c.IoU), Acc: r(c.Acc) })),
    confusion: m.confusion,
    ...(m.msPerImage !== undefined ? { msPerImage: +m.msPerImage.toFixed(3) } : {}),
  };
}
