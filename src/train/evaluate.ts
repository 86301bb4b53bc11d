/** Evaluation on a dataset split: predictions by argmax of the model's logits, mmseg metrics. */
import { noGrad } from '../autograd/grad-mode.js';
import { DataLoader } from '../data/loader.js';
import type { SegDataset } from '../data/dataset.js';
import type { SegModel } from '../models/segmentor.js';
import { tidy } from '../tensor/memory.js';
import { argmax, tensor } from '../tensor/ops.js';
import { ConfusionMatrix, type SegMetrics } from './metrics.js';

export interface EvalOptions {
  /** Images per forward pass (images of one size only; default 8, 1 when sizes differ). */
  batch?: number;
  mean?: readonly number[];
  std?: readonly number[];
  onProgress?: (done: number, total: number) => void;
}

/** mIoU, aAcc, mAcc, per-class IoU/Acc and the confusion matrix of `model` on `dataset`. */
export async function evaluate(model: SegModel, dataset: SegDataset, opts: EvalOptions = {}): Promise<SegMetrics & { msPerImage: number }> {
  const wasTraining = model.training;
  model.eval();
  const first = dataset.get(0);
  let batchSize = opts.batch ?? 8;
  // NOTE: batching needs one image size; a mixed-size dataset falls back to one image per pass.
  for (let i = 1; i < Math.min(dataset.length, 16); i++) {
    const s = dataset.get(i);
    if (s.height !== first.height || s.width !== first.width) batchSize = 1;
  }
  const loader = new DataLoader(dataset, {
    batchSize,
    shuffle: false,
    normalize: opts.mean && opts.std ? { mean: opts.mean, std: opts.std } : undefined,
  });
  const cm = new ConfusionMatrix(dataset.numClasses, dataset.meta.ignoreIndex);
  let done = 0;
  let ms = 0;
  for (let b = 0; b < loader.batchesPerEpoch; b++) {
    const batch = loader.next();
    const t0 = performance.now();
    const pred = noGrad(() => tidy(() => argmax(model.forward(tensor(batch.images, batch.shape)), 1)));
    const p = await pred.data();
    ms += performance.now() - t0;
    pred.dispose();
    cm.update(p, batch.labels);
    done += batch.names.length;
    opts.onProgress?.(done, dataset.length);
  }
  if (wasTraining) model.train();
  return { ...cm.compute(dataset.meta.classes), msPerImage: ms / Math.max(done, 1) };
}
