/** `ssa-seg eval`: mIoU, aAcc, mAcc, per-class IoU/Acc and the confusion matrix of a checkpoint. */
import { openDataset } from '../data/dataset.js';
import { writeFileAtomic } from '../io/atomic.js';
import { evaluate } from '../train/evaluate.js';
import { formatMetrics } from '../train/metrics.js';
import { metricsJson } from '../train/trainer.js';
import { parse, str, UsageError } from './args.js';
import { loadTrained } from './load.js';

export const EVAL_USAGE = `usage: ssa-seg eval --checkpoint FILE|RUN [--data DIR] [--split val] [--json OUT] [--backend NAME]

  --checkpoint FILE|RUN  a .safetensors checkpoint, or a run folder (its latest checkpoint)
  --data DIR             dataset folder (default: the one the model was trained on)
  --split NAME           split to evaluate (default val)
  --json OUT             also write the metrics as JSON (mIoU, aAcc, mAcc, perClass, confusion)`;

export async function evalCommand(argv: string[]): Promise<void> {
  const v = parse('eval', argv, { checkpoint: { type: 'string' }, data: { type: 'string' }, split: { type: 'string' }, json: { type: 'string' }, backend: { type: 'string' } }, EVAL_USAGE);
  const ck = str(v.checkpoint);
  if (!ck) throw new UsageError(`--checkpoint is required\n\n${EVAL_USAGE}`);
  const { model, meta, file } = await loadTrained(ck, str(v.backend));
  const data = str(v.data) ?? meta.config.data;
  const ds = openDataset(data, str(v.split) ?? 'val');
  if (ds.numClasses !== meta.classes.length) {
    throw new Error(`eval: ${data} has ${ds.numClasses} classes but the checkpoint ${file} was trained with ${meta.classes.length}`);
  }
  const m = await evaluate(model, ds, { mean: meta.mean, std: meta.std });
  console.log(`${file} on ${ds.dir} (${ds.split}, ${ds.length} images)\n${formatMetrics(m)}\ninference ${m.msPerImage.toFixed(1)} ms/image`);
  const out = str(v.json);
  if (out) {
    await writeFileAtomic(out, JSON.stringify(metricsJson(m), null, 2) + '\n');
    console.log(`metrics written to ${out}`);
  }
  model.dispose();
}
