/** `ssa-seg predict`: colourised masks and overlays of a checkpoint's predictions, as PNG. */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { basename, extname, join, resolve } from 'node:path';
import { noGrad } from '../autograd/grad-mode.js';
import { toPlanarRgb } from '../data/dataset.js';
import { normalizeImage } from '../data/augment.js';
import { readImage, writePng } from '../data/image.js';
import { tidy } from '../tensor/memory.js';
import { argmax, tensor } from '../tensor/ops.js';
import type { SegModel } from '../models/segmentor.js';
import type { CheckpointMeta } from '../train/checkpoint.js';
import { parse, str, UsageError } from './args.js';
import { loadTrained } from './load.js';
import { explainImage } from './explain.js';

export const PREDICT_USAGE = `usage: ssa-seg predict --checkpoint FILE|RUN --input PNG|DIR --out DIR [--explain] [--backend NAME]

  writes, per image, NAME_mask.png (colourised prediction) and NAME_overlay.png (blended on the image);
  with --explain and an SSA checkpoint also NAME_explain.png: the coarse mask next to the refined one, and
  the activation maps of the fixed vs the adapted prototypes for each class present in the prediction`;

const IMAGE_EXT = ['.png', '.jpg', '.jpeg'];

export function listInputs(input: string): string[] {
  if (!existsSync(input)) throw new Error(`predict: ${input} does not exist`);
  if (statSync(input).isDirectory()) {
    const files = readdirSync(input).filter((f) => IMAGE_EXT.includes(extname(f).toLowerCase())).sort().map((f) => join(input, f));
    if (files.length === 0) throw new Error(`predict: ${input} holds no .png or .jpg images`);
    return files;
  }
  return [input];
}

/** Class map of one image (host Int32Array [H, W]) and the normalised input tensor data. */
export async function predictImage(model: SegModel, meta: CheckpointMeta, file: string): Promise<{ pred: Int32Array; rgb: Float32Array; width: number; height: number }> {
  const img = readImage(file);
  const rgb = toPlanarRgb(img);
  const x = normalizeImage(rgb, 3, { mean: meta.mean, std: meta.std });
  const p = noGrad(() => tidy(() => argmax(model.forward(tensor(x, [1, 3, img.height, img.width])), 1)));
  const pred = (await p.data()) as Int32Array;
  p.dispose();
  return { pred, rgb, width: img.width, height: img.height };
}

/** RGB (interleaved) of a class map with the palette; `alpha` blends it over the planar image. */
export function colourise(pred: Int32Array, palette: readonly (readonly number[])[], rgb?: Float32Array, alpha = 0.5): Uint8Array {
  const n = pred.length;
  const out = new Uint8Array(n * 3);
  for (let i = 0; i < n; i++) {
    const c = palette[pred[i]] ?? [0, 0, 0];
    for (let ch = 0; ch < 3; ch++) {
      const v = rgb ? (1 - alpha) * rgb[ch * n + i] + alpha * c[ch] : c[ch];
      out[i * 3 + ch] = Math.max(0, Math.min(255, Math.round(v)));
    }
  }
  return out;
}

export async function predictCommand(argv: string[]): Promise<void> {
  const v = parse('predict', argv, { checkpoint: { type: 'string' }, input: { type: 'string' }, out: { type: 'string' }, explain: { type: 'boolean' }, backend: { type: 'string' } }, PREDICT_USAGE);
  const ck = str(v.checkpoint);
  const input = str(v.input);
  const out = str(v.out);
  if (!ck || !input || !out) throw new UsageError(`--checkpoint, --input and --out are required\n\n${PREDICT_USAGE}`);
  const { model, meta } = await loadTrained(ck, str(v.backend));
  if (v.explain && meta.config.head !== 'ssa') throw new UsageError('predict --explain needs a checkpoint of the SSA head (--head ssa)');
  const files = listInputs(input);
  for (const f of files) {
    const name = basename(f, extname(f));
    const { pred, rgb, width, height } = await predictImage(model, meta, f);
    await writePng(join(out, `${name}_mask.png`), width, height, colourise(pred, meta.palette));
    await writePng(join(out, `${name}_overlay.png`), width, height, colourise(pred, meta.palette, rgb, 0.5));
    if (v.explain) await explainImage(model, meta, f, join(out, `${name}_explain.png`));
  }
  console.log(`predicted ${files.length} image(s) into ${resolve(out)}`);
  model.dispose();
}
