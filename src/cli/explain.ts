/**
 * `predict --explain`: the paper's figure for one image. Row 1: the image, the coarse mask (argmax of
 * M_c) and the refined SSA mask. Then one row per class present in the refined mask: the activation
 * of its fixed prototype cos(S_f, S_k), of its adapted prototype cos(S_f + P_f, W_o(S_p + P_p)_k),
 * and the class colour. Maps are upsampled (nearest) to the image size; colour from blue (−1) to red (+1).
 */
import { noGrad } from '../autograd/grad-mode.js';
import { toPlanarRgb } from '../data/dataset.js';
import { normalizeImage } from '../data/augment.js';
import { readImage, writePng } from '../data/image.js';
import { tidy, dispose } from '../tensor/memory.js';
import { argmax, interpolate, tensor } from '../tensor/ops.js';
import type { SegModel } from '../models/segmentor.js';
import type { SSAHead } from '../ssa/head.js';
import type { CheckpointMeta } from '../train/checkpoint.js';
import { colourise } from './predict.js';

/** Blue → white → red for values in [−1, 1]. */
function heat(v: number): [number, number, number] {
  const t = Math.max(-1, Math.min(1, v));
  if (t < 0) return [Math.round(255 * (1 + t)), Math.round(255 * (1 + t)), 255];
  return [255, Math.round(255 * (1 - t)), Math.round(255 * (1 - t))];
}

export async function explainImage(model: SegModel, meta: CheckpointMeta, file: string, out: string): Promise<void> {
  const img = readImage(file);
  const H = img.height;
  const W = img.width;
  const rgb = toPlanarRgb(img);
  const x = normalizeImage(rgb, 3, { mean: meta.mean, std: meta.std });
  const head = model.head as unknown as SSAHead;
  const maps = noGrad(() =>
    tidy(() => {
      const e = head.explain(model.features(tensor(x, [1, 3, H, W])));
      const up = (t: typeof e.coarse) => interpolate(t, { size: [H, W], mode: 'bilinear', alignCorners: false });
      return {
        coarse: argmax(up(e.coarse), 1),
        refined: argmax(up(e.logits), 1),
        fixed: interpolate(e.fixed, { size: [H, W], mode: 'nearest' }),
        adapted: interpolate(e.adapted, { size: [H, W], mode: 'nearest' }),
      };
    }),
  );
  const coarse = (await maps.coarse.data()) as Int32Array;
  const refined = (await maps.refined.data()) as Int32Array;
  const fixed = await maps.fixed.data();
  const adapted = await maps.adapted.data();
  dispose(maps);
  const present = [...new Set(Array.from(refined))].sort((a, b) => a - b);
  const cols = 3;
  const rows = 1 + present.length;
  const CW = cols * W;
  const canvas = new Uint8Array(rows * H * CW * 3).fill(255);
  const blit = (r: number, c: number, tile: Uint8Array) => {
    for (let y = 0; y < H; y++) for (let xx = 0; xx < W; xx++) for (let ch = 0; ch < 3; ch++) {
      canvas[((r * H + y) * CW + c * W + xx) * 3 + ch] = tile[(y * W + xx) * 3 + ch];
    }
  };
  const n = H * W;
  const plain = new Uint8Array(n * 3);
  for (let i = 0; i < n; i++) for (let ch = 0; ch < 3; ch++) plain[i * 3 + ch] = Math.round(Math.max(0, Math.min(255, rgb[ch * n + i])));
  blit(0, 0, plain);
  blit(0, 1, colourise(coarse, meta.palette));
  blit(0, 2, colourise(refined, meta.palette));
  present.forEach((k, r) => {
    const tile = (src: ArrayLike<number>) => {
      const t = new Uint8Array(n * 3);
      for (let i = 0; i < n; i++) t.set(heat(src[k * n + i]), i * 3);
      return t;
    };
    blit(r + 1, 0, tile(fixed));
    blit(r + 1, 1, tile(adapted));
    blit(r + 1, 2, colourise(new Int32Array(n).fill(k), meta.palette));
  });
  await writePng(out, CW, rows * H, canvas);
}
