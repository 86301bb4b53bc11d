/**
 * `ssa-seg compare`: the experiments behind the README's results. For each seed, trains the compact
 * model with the vanilla head and with the full SSA head on the same budget, and with `--ablation`
 * also the SSA head's components added in turn (the paper's component ablation):
 *   vanilla → +SEPA (no SPPA, no teacher) → +SEPA+SPPA (no teacher, so no L_rd, L_sd, L_pd) → full.
 * Prints mean ± sample standard deviation of val mIoU over the seeds and writes the same tables to
 * OUT/results.md. Finished runs (eval.json present) are reused, so an interrupted comparison resumes.
 */
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { buildM2nist } from '../data/m2nist.js';
import { writeFileAtomic } from '../io/atomic.js';
import { DEFAULT_SSA, defaultConfig, type SsaSwitches, type TrainConfig } from '../train/config.js';
import { num, parse, str } from './args.js';
import { fmtTime, progress } from './progress.js';
import { trainWithProgress } from './train.js';

export const COMPARE_USAGE = `usage: ssa-seg compare [--data DIR] [--out DIR] [--iters N] [--seeds 0,1,2] [--ablation] [--backend NAME]

  vanilla vs SSA head on the same budget over several seeds (mean ± std of val mIoU); with --ablation
  also +SEPA and +SEPA+SPPA (the paper's component ablation). Runs go to OUT/<variant>-s<seed>;
  finished runs are reused. Tables: OUT/results.md`;

interface Variant {
  id: string;
  label: string;
  head: 'vanilla' | 'ssa';
  ssa: SsaSwitches;
}

const OFF = { teacher: false, lrd: false, lsd: false, lpd: false };
const VARIANTS: Record<string, Variant> = {
  vanilla: { id: 'vanilla', label: 'vanilla (1×1 conv)', head: 'vanilla', ssa: { ...DEFAULT_SSA } },
  sepa: { id: 'sepa', label: '+SEPA', head: 'ssa', ssa: { ...DEFAULT_SSA, sppa: false, ...OFF } },
  sepaSppa: { id: 'sepa-sppa', label: '+SEPA +SPPA', head: 'ssa', ssa: { ...DEFAULT_SSA, ...OFF } },
  full: { id: 'ssa', label: '+SEPA +SPPA +teacher & distillation (full SSA)', head: 'ssa', ssa: { ...DEFAULT_SSA } },
};

/** Mean and sample standard deviation (n − 1; 0 for one value). */
export function meanStd(xs: readonly number[]): [number, number] {
  const m = xs.reduce((a, b) => a + b, 0) / xs.length;
  const v = xs.length > 1 ? xs.reduce((a, b) => a + (b - m) ** 2, 0) / (xs.length - 1) : 0;
  return [m, Math.sqrt(v)];
}

export async function compareCommand(argv: string[]): Promise<void> {
  const v = parse('compare', argv, { data: { type: 'string' }, out: { type: 'string' }, iters: { type: 'string' }, seeds: { type: 'string' }, ablation: { type: 'boolean' }, backend: { type: 'string' } }, COMPARE_USAGE);
  const data = resolve(str(v.data) ?? 'data/m2nist');
  const out = resolve(str(v.out) ?? 'runs/compare');
  const iters = num('iters', v.iters, { int: true, min: 1 }) ?? defaultConfig().iters;
  const seeds = (str(v.seeds) ?? '0,1,2').split(',').map((s) => num('seeds', s.trim(), { int: true, min: 0 })!);
  const variants = v.ablation ? [VARIANTS.vanilla, VARIANTS.sepa, VARIANTS.sepaSppa, VARIANTS.full] : [VARIANTS.vanilla, VARIANTS.full];
  const t0 = performance.now();
  if (!existsSync(join(data, 'dataset.json'))) {
    console.log(`building M2NIST into ${data}`);
    const bar = progress('m2nist', 2500, 0, 500);
    await buildM2nist({ out: data, onProgress: (d) => bar.update(d, {}) });
    bar.stop();
  }
  const results = new Map<string, number[]>();
  const times = new Map<string, number[]>();
  for (const seed of seeds) {
    for (const variant of variants) {
      const run = join(out, `${variant.id}-s${seed}`);
      const cfg: TrainConfig = { ...defaultConfig(), data, out: run, head: variant.head, ssa: { ...variant.ssa }, iters, seed, backend: str(v.backend) ?? null };
      const evalFile = join(run, 'eval.json');
      if (!existsSync(evalFile)) {
        if (existsSync(run)) rmSync(run, { recursive: true, force: true });
        const r = await trainWithProgress(cfg, { label: `${variant.id} s${seed}`, evaluate: true });
        times.set(variant.id, [...(times.get(variant.id) ?? []), r.seconds]);
      } else console.log(`${variant.id} s${seed}: reusing ${run}`);
      const m = JSON.parse(readFileSync(evalFile, 'utf8')) as { mIoU: number };
      results.set(variant.id, [...(results.get(variant.id) ?? []), m.mIoU]);
      console.log(`${variant.id} s${seed}: mIoU ${m.mIoU.toFixed(2)}`);
    }
  }
  const fmt = (xs: number[]) => {
    const [m, s] = meanStd(xs);
    return `${m.toFixed(2)} ± ${s.toFixed(2)}`;
  };
  const perSeed = (id: string) => results.get(id)!.map((x) => x.toFixed(2)).join(' / ');
  const time = (id: string) => (times.get(id)?.length ? fmtTime(meanStd(times.get(id)!)[0]) : 'reused');
  const head = [
    `M2NIST val, compact model, ${iters} iterations of batch ${defaultConfig().batch}, seeds ${seeds.join(', ')}; mIoU in %, mean ± sample std over seeds`,
    '',
    '| head | mIoU | per seed | train time (mean) |',
    '| --- | --- | --- | --- |',
    ...[VARIANTS.vanilla, VARIANTS.full].map((x) => `| ${x.id === 'ssa' ? 'SSA' : 'vanilla'} | ${fmt(results.get(x.id)!)} | ${perSeed(x.id)} | ${time(x.id)} |`),
  ];
  const [dm, ds] = meanStd(results.get('ssa')!.map((x, i) => x - results.get('vanilla')![i]));
  head.push('', `SSA − vanilla, paired by seed: ${dm >= 0 ? '+' : ''}${dm.toFixed(2)} ± ${ds.toFixed(2)} mIoU`);
  if (v.ablation) {
    head.push('', '| components | mIoU | per seed |', '| --- | --- | --- |', ...variants.map((x) => `| ${x.label} | ${fmt(results.get(x.id)!)} | ${perSeed(x.id)} |`));
  }
  const text = head.join('\n');
  await writeFileAtomic(join(out, 'results.md'), text + '\n');
  console.log(`\n${text}\n\nresults: ${join(out, 'results.md')}  (total ${fmtTime((performance.now() - t0) / 1000)})`);
}
