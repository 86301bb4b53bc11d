/**
 * The `train` part's tfjs training step of the compact model (TfCompactModel + TfAdamW), in one
 * place for both places it runs:
 *
 * - `compactTrainer` builds the model on the current tfjs backend, loads our weights and gives the
 *   timed step and the check step. bench/train.ts uses it for its Node rows (tfjs-wasm, tfjs-cpu).
 * - The default export is the browser peer's entry (bench/peers/browser-tfjs.ts runs it in
 *   headless Chromium): the same trainer, the check step, then the timed steps under the policy
 *   it is given, timed in the page with the harness's own `measure` and `timeOnce`.
 *
 * Browser-safe: its only runtime imports are tfjs-compact.ts and the harness's pure helpers
 * (which the browser bundle takes from harness.ts without the rest of it; see browser-tfjs.ts).
 */
import type * as TF from '@tensorflow/tfjs';
import type { CompactConfig } from '../../src/models/compact.js';
import { measure, permuteHost, timeOnce, type MeasureOptions } from '../harness.js';
import type { Tf } from './tfjs.js';
import { TfAdamW, TfCompactModel, type GradientPaths, type HostWeights } from './tfjs-compact.js';

/** Everything the step needs, all of it JSON-able (typed arrays through the browser codec). */
export interface CompactStepSetup {
  cfg: CompactConfig;
  classes: number;
  batch: number;
  height: number;
  width: number;
  /** The batch's images in NHWC, [batch, height, width, 3]. */
  imagesNhwc: Float32Array;
  /** int32 labels, [batch · height · width]. */
  labels: Int32Array;
  /** Our initial weights, our layouts, by our parameter names. */
  weights: HostWeights;
  /** The trainer's groups: learning-rate and weight-decay multipliers by parameter name. */
  groups: { name: string; lrMult: number; decayMult: number }[];
  lr: number;
  weightDecay: number;
}

/** The check step's outputs in our layout: loss, logits [B, K, h, w] and every parameter's gradient. */
export interface CheckResult {
  loss: number;
  logits: Float32Array;
  grads: Record<string, Float32Array>;
}

export interface CompactTrainer {
  params: number;
  gradientPaths: GradientPaths;
  /** One training step (upload, forward, loss, backward, AdamW), resolving to the loss on the host. */
  step(): Promise<number>;
  /** Forward + backward without the update: loss, logits and gradients, in our layout. */
  check(): Promise<CheckResult>;
  dispose(): void;
}

/** The tfjs model and optimizer on the current backend, loaded with our weights (throws if names or shapes differ). */
export function compactTrainer(tf: Tf, s: CompactStepSetup): CompactTrainer {
  const { batch: B, height: H, width: W, classes: K } = s;
  const model = new TfCompactModel(tf, s.cfg, K);
  const byName = new Map(s.groups.map((g) => [g.name, g]));
  const opt = new TfAdamW(
    tf,
    [...model.params.values()].map((p) => ({ name: p.name, variable: p.variable, lrMult: byName.get(p.name)?.lrMult ?? 1, decayMult: byName.get(p.name)?.decayMult ?? 1 })),
    { lr: s.lr, weightDecay: s.weightDecay },
  );
  const dispose = () => {
    model.dispose();
    opt.dispose();
  };
  try {
    model.load(s.weights);
  } catch (e) {
    dispose();
    throw e;
  }
  const vars = model.variables();
  const lossFn = (x: TF.Tensor4D, y: TF.Tensor1D) => () => model.loss(x, y);
  return {
    params: model.numParameters(),
    gradientPaths: model.gradientPaths,
    async step() {
      const x = tf.tensor4d(s.imagesNhwc, [B, H, W, 3]);
      const y = tf.tensor1d(s.labels, 'int32');
      const { value, grads } = tf.variableGrads(lossFn(x, y), vars);
      opt.apply(grads);
      tf.dispose([x, y, ...Object.values(grads)]);
      const loss = (await value.data())[0];
      value.dispose();
      return loss;
    },
    async check() {
      const x = tf.tensor4d(s.imagesNhwc, [B, H, W, 3]);
      const y = tf.tensor1d(s.labels, 'int32');
      // the logits of the same forward (its BN running-stat update runs twice here: untimed, harmless)
      const logits = tf.tidy(() => model.forward(x));
      const [, h, w] = logits.shape;
      const logitsData = permuteHost(await logits.data(), [B, h, w, K], [0, 3, 1, 2]);
      logits.dispose();
      const { value, grads } = tf.variableGrads(lossFn(x, y), vars);
      const out: Record<string, Float32Array> = {};
      for (const p of model.params.values()) out[p.name] = model.toOurLayout(p.name, Float32Array.from(await grads[p.variable.name].data()));
      const loss = (await value.data())[0];
      tf.dispose([x, y, value, ...Object.values(grads)]);
      return { loss, logits: logitsData, grads: out };
    },
    dispose,
  };
}

/** The browser entry's argument: the step and the timing policy (bench/train.ts's stepPolicy). */
export interface BrowserTrainArg extends CompactStepSetup {
  policy: MeasureOptions;
}

export interface BrowserTrainResult {
  params: number;
  gradientPaths: GradientPaths;
  check: CheckResult;
  checkMs: number;
  /** Median ms per step after the warm-ups, as measure() reports it. */
  medianMs: number;
  runs: number;
  samplesMs: number[];
  /** Loss of every step after the check step (warm-ups included). */
  losses: number[];
}

/** The browser entry: check step (the first warm-up), then the timed steps, all on the page's backend. */
export default async function runInPage(tf: Tf, arg: BrowserTrainArg): Promise<BrowserTrainResult> {
  const t = compactTrainer(tf, arg);
  try {
    const c = await timeOnce(() => t.check());
    const losses: number[] = [];
    const m = await measure(async () => losses.push(await t.step()), arg.policy);
    return { params: t.params, gradientPaths: t.gradientPaths, check: c.value, checkMs: c.ms, medianMs: m.medianMs, runs: m.runs, samplesMs: m.samplesMs, losses };
  } finally {
    t.dispose();
  }
}
