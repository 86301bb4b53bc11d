/**
 * Training-time augmentation and normalisation of host samples, mmsegmentation style: random resize by a ratio,
 * random crop (padding when the image is smaller), horizontal flip, per-channel normalisation. Images are
 * planar [3, H, W] float32 and resampled bilinearly; labels are [H, W] int32 and resampled by nearest
 * neighbour, so no label value is ever invented. All randomness comes from the `Rng` passed in.
 */

import type { Rng } from '../tensor/random.js';
import type { Sample } from './dataset.js';

/** Random rescale: each side is multiplied by a ratio drawn uniformly from `ratioRange`. */
export interface ResizeOptions {
  ratioRange: readonly [number, number];
  /**
   * Optional base scale `[long, short]` (mmsegmentation's `scale=(2048, 512)`): the image is first fitted, aspect
   * ratio kept, so its long side is at most `long·r` and its short side at most `short·r`.
   */
  scale?: readonly [number, number];
}

/** Random crop to a fixed size; smaller images are padded on the bottom and right. */
export interface CropOptions {
  height: number;
  width: number;
  /**
   * If below 1, retry the crop position (up to 10 times) until no single class covers more than this fraction
   * of the crop's labelled pixels (mmsegmentation's `cat_max_ratio`). Default 1: off.
   */
  catMaxRatio?: number;
}

/** Which augmentations run; each can be switched off with `false`. */
export interface AugmentOptions {
  resize?: ResizeOptions | false;
  crop?: CropOptions | false;
  /** Horizontal flip: `true` for probability 0.5, or `{ prob }`. Default: on, p = 0.5. */
  flip?: boolean | { prob: number };
  /** Label written into padded pixels, and left out of the crop's class balance. */
  ignoreIndex: number;
  /** Image value written into padded pixels. Default 0 (after normalisation: the mean colour). */
  padValue?: number;
}

/** Per-channel mean and standard deviation, in the units of the image (0..255 for dataset samples). */
export interface NormalizeOptions {
  mean: readonly number[];
  std: readonly number[];
}

// ---- resampling ----

/**
 * Bilinear resize of a planar image `[channels, h, w] → [channels, outH, outW]`, with half-pixel centres and
 * edge clamping (OpenCV's INTER_LINEAR, PyTorch's `align_corners=False`).
 */
export function resizeBilinear(
  image: Float32Array,
  channels: number,
  h: number,
  w: number,
  outH: number,
  outW: number,
): Float32Array {
  const out = new Float32Array(channels * outH * outW);
  if (outH === h && outW === w) {
    out.set(image);
    return out;
  }
  // Per output column: the two source columns and the weight of the right one (the same for every row).
  const x0s = new Int32Array(outW);
  const x1s = new Int32Array(outW);
  const fx = new Float32Array(outW);
  for (let x = 0; x < outW; x++) {
    const sx = Math.min(Math.max((x + 0.5) * (w / outW) - 0.5, 0), w - 1);
    x0s[x] = Math.floor(sx);
    x1s[x] = Math.min(x0s[x] + 1, w - 1);
    fx[x] = sx - x0s[x];
  }
  for (let y = 0; y < outH; y++) {
    const sy = Math.min(Math.max((y + 0.5) * (h / outH) - 0.5, 0), h - 1);
    const y0 = Math.floor(sy);
    const y1 = Math.min(y0 + 1, h - 1);
    const fy = sy - y0;
    for (let c = 0; c < channels; c++) {
      const row0 = (c * h + y0) * w;
      const row1 = (c * h + y1) * w;
      const dst = (c * outH + y) * outW;
      for (let x = 0; x < outW; x++) {
        const top = image[row0 + x0s[x]] + (image[row0 + x1s[x]] - image[row0 + x0s[x]]) * fx[x];
        const bottom = image[row1 + x0s[x]] + (image[row1 + x1s[x]] - image[row1 + x0s[x]]) * fx[x];
        out[dst + x] = top + (bottom - top) * fy;
      }
    }
  }
  return out;
}

/**
 * Nearest-neighbour resize of a label map `[h, w] → [outH, outW]`. NOTE: samples at pixel centres
 * (`floor((x + 0.5)·w/outW)`), like PIL, so a 2× downscale-then-upscale stays aligned.
 */
export function resizeNearest(label: Int32Array, h: number, w: number, outH: number, outW: number): Int32Array {
  const out = new Int32Array(outH * outW);
  const xs = new Int32Array(outW);
  for (let x = 0; x < outW; x++) xs[x] = Math.min(Math.floor((x + 0.5) * (w / outW)), w - 1);
  for (let y = 0; y < outH; y++) {
    const sy = Math.min(Math.floor((y + 0.5) * (h / outH)), h - 1);
    const src = sy * w;
    const dst = y * outW;
    for (let x = 0; x < outW; x++) out[dst + x] = label[src + xs[x]];
  }
  return out;
}

/** The output size of a resize by `ratio`, optionally fitted into `scale` first (see {@link ResizeOptions}). */
export function resizedSize(h: number, w: number, ratio: number, scale?: readonly [number, number]): [number, number] {
  let factor = ratio;
  if (scale) {
    const long = Math.max(scale[0], scale[1]) * ratio;
    const short = Math.min(scale[0], scale[1]) * ratio;
    factor = Math.min(long / Math.max(h, w), short / Math.min(h, w));
  }
  return [Math.max(1, Math.round(h * factor)), Math.max(1, Math.round(w * factor))];
}

/** Resizes a sample to `outH × outW`: bilinear image, nearest-neighbour labels. */
export function resizeSample(sample: Sample, outH: number, outW: number): Sample {
  const { height: h, width: w } = sample;
  return {
    name: sample.name,
    image: resizeBilinear(sample.image, 3, h, w, outH, outW),
    label: resizeNearest(sample.label, h, w, outH, outW),
    height: outH,
    width: outW,
  };
}

// ---- crop, pad, flip ----

/**
 * Cuts the window at (`top`, `left`) of size `cropH × cropW` out of a sample; the parts of the window outside the
 * image are padded with `padValue` (image) and `ignoreIndex` (labels).
 */
export function cropSample(
  sample: Sample,
  top: number,
  left: number,
  cropH: number,
  cropW: number,
  ignoreIndex: number,
  padValue = 0,
): Sample {
  const { height: h, width: w } = sample;
  const image = new Float32Array(3 * cropH * cropW).fill(padValue);
  const label = new Int32Array(cropH * cropW).fill(ignoreIndex);
  const rows = Math.max(0, Math.min(cropH, h - top));
  const cols = Math.max(0, Math.min(cropW, w - left));
  for (let y = 0; y < rows; y++) {
    const src = (top + y) * w + left;
    const dst = y * cropW;
    label.set(sample.label.subarray(src, src + cols), dst);
    for (let c = 0; c < 3; c++) {
      const s = c * h * w + src;
      image.set(sample.image.subarray(s, s + cols), c * cropH * cropW + dst);
    }
  }
  return { name: sample.name, image, label, height: cropH, width: cropW };
}

/** Mirrors a sample left to right. */
export function flipSample(sample: Sample): Sample {
  const { height: h, width: w } = sample;
  const image = new Float32Array(sample.image.length);
  const label = new Int32Array(sample.label.length);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const src = y * w + x;
      const dst = y * w + (w - 1 - x);
      label[dst] = sample.label[src];
      image[dst] = sample.image[src];
      image[h * w + dst] = sample.image[h * w + src];
      image[2 * h * w + dst] = sample.image[2 * h * w + src];
    }
  }
  return { name: sample.name, image, label, height: h, width: w };
}

/** The largest single-class share of the labelled (non-ignored) pixels in a window, and the number of classes. */
function classBalance(sample: Sample, top: number, left: number, cropH: number, cropW: number, ignoreIndex: number) {
  const counts = new Map<number, number>();
  const rows = Math.min(cropH, sample.height - top);
  const cols = Math.min(cropW, sample.width - left);
  let total = 0;
  for (let y = 0; y < rows; y++) {
    const row = (top + y) * sample.width + left;
    for (let x = 0; x < cols; x++) {
      const v = sample.label[row + x];
      if (v === ignoreIndex) continue;
      counts.set(v, (counts.get(v) ?? 0) + 1);
      total++;
    }
  }
  let max = 0;
  for (const c of counts.values()) max = Math.max(max, c);
  return { classes: counts.size, maxShare: total > 0 ? max / total : 1 };
}

// ---- the pipeline ----

function checkOptions(options: AugmentOptions): void {
  const { resize, crop, flip } = options;
  if (resize) {
    const [lo, hi] = resize.ratioRange;
    if (!(lo > 0 && hi >= lo && Number.isFinite(hi))) {
      throw new Error(`augment: resize.ratioRange must be [low, high] with 0 < low <= high, got [${resize.ratioRange.join(', ')}].`);
    }
    if (resize.scale && !(resize.scale[0] > 0 && resize.scale[1] > 0)) {
      throw new Error(`augment: resize.scale must be two positive sizes, got [${resize.scale.join(', ')}].`);
    }
  }
  if (crop) {
    if (!(Number.isInteger(crop.height) && Number.isInteger(crop.width) && crop.height > 0 && crop.width > 0)) {
      throw new Error(`augment: crop size must be positive integers, got ${crop.height}×${crop.width} (height×width).`);
    }
    const r = crop.catMaxRatio ?? 1;
    if (!(r > 0 && r <= 1)) throw new Error(`augment: crop.catMaxRatio must be in (0, 1], got ${r}.`);
  }
  if (typeof flip === 'object' && !(flip.prob >= 0 && flip.prob <= 1)) {
    throw new Error(`augment: flip.prob must be in [0, 1], got ${flip.prob}.`);
  }
}

/**
 * Runs the enabled augmentations in mmsegmentation's order (resize, crop, flip) and returns a new sample. The
 * random draws per sample are, in order: one for the resize ratio, two per crop attempt, one for the flip; the
 * same `rng` state and options therefore always give the same result.
 *
 * @example
 * const rng = new Rng(0);
 * const s = augment(dataset.get(0), rng, { resize: { ratioRange: [0.5, 2] }, crop: { height: 64, width: 64 },
 *   flip: true, ignoreIndex: 255 });
 */
export function augment(sample: Sample, rng: Rng, options: AugmentOptions): Sample {
  checkOptions(options);
  let s = sample;
  if (options.resize) {
    const [lo, hi] = options.resize.ratioRange;
    const ratio = lo + (hi - lo) * rng.next();
    const [outH, outW] = resizedSize(s.height, s.width, ratio, options.resize.scale);
    if (outH !== s.height || outW !== s.width) s = resizeSample(s, outH, outW);
  }
  if (options.crop) {
    const { height: cropH, width: cropW } = options.crop;
    const catMaxRatio = options.crop.catMaxRatio ?? 1;
    const pick = (): [number, number] => [rng.int(Math.max(s.height - cropH, 0) + 1), rng.int(Math.max(s.width - cropW, 0) + 1)];
    let [top, left] = pick();
    if (catMaxRatio < 1) {
      for (let attempt = 1; attempt < 10; attempt++) {
        const { classes, maxShare } = classBalance(s, top, left, cropH, cropW, options.ignoreIndex);
        if (classes > 1 && maxShare < catMaxRatio) break;
        [top, left] = pick();
      }
    }
    s = cropSample(s, top, left, cropH, cropW, options.ignoreIndex, options.padValue ?? 0);
  }
  const flip = options.flip ?? true;
  if (flip !== false) {
    const prob = flip === true ? 0.5 : flip.prob;
    if (rng.next() < prob) s = flipSample(s);
  }
  return s === sample ? { ...sample, image: sample.image.slice(), label: sample.label.slice() } : s;
}

/**
 * `(x - mean[c]) / std[c]` per channel of a planar `[channels, H, W]` image; returns a new array. Use the units of
 * the image: dataset samples are 0..255, so ImageNet's mean is `[123.675, 116.28, 103.53]`.
 */
export function normalizeImage(image: Float32Array, channels: number, options: NormalizeOptions): Float32Array {
  const { mean, std } = options;
  if (mean.length !== channels || std.length !== channels) {
    throw new Error(`normalizeImage: mean and std need ${channels} values each, got ${mean.length} and ${std.length}.`);
  }
  if (image.length % channels !== 0) {
    throw new Error(`normalizeImage: ${image.length} values do not split into ${channels} channels.`);
  }
  for (let c = 0; c < channels; c++) {
    if (!(std[c] > 0)) throw new Error(`normalizeImage: std[${c}] must be positive, got ${std[c]}.`);
  }
  const plane = image.length / channels;
  const out = new Float32Array(image.length);
  for (let c = 0; c < channels; c++) {
    const m = mean[c];
    const inv = 1 / std[c];
    for (let i = c * plane, end = i + plane; i < end; i++) out[i] = (image[i] - m) * inv;
  }
  return out;
}
