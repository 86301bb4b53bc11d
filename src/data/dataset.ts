/**
 * Semantic-segmentation datasets in the mmsegmentation layout:
 *
 *   DIR/dataset.json             { "classes": [...], "palette"?: [[r,g,b],...], "ignoreIndex"?: 255, "mean"?, "std"? }
 *   DIR/img_dir/<split>/*.png|jpg RGB or grayscale images (grayscale is replicated to 3 channels)
 *   DIR/ann_dir/<split>/*.png     label maps with the same base names (gray values or palette indices)
 *
 * The layout is validated when a split is opened; samples are decoded one at a time on request, so nothing
 * but the file list is held in memory. Images come out planar [3, H, W] as float32 in 0..255.
 */

import * as fs from 'node:fs';
import * as path from 'node:path';
import { readJson } from '../io/atomic.js';
import { readImage, readLabelMap, type DecodedImage, type Rgb } from './image.js';

/** ImageNet channel means in 0..255 units (RGB order), as mmsegmentation uses them. */
export const IMAGENET_MEAN: readonly [number, number, number] = [123.675, 116.28, 103.53];
/** ImageNet channel standard deviations in 0..255 units (RGB order). */
export const IMAGENET_STD: readonly [number, number, number] = [58.395, 57.12, 57.375];
/** The label that marks pixels excluded from losses and metrics, unless dataset.json says otherwise. */
export const DEFAULT_IGNORE_INDEX = 255;

/** Image file extensions read from `img_dir` (compared case-insensitively). */
export const IMAGE_EXTENSIONS: readonly string[] = ['.png', '.jpg', '.jpeg'];
/** Label-map file extensions read from `ann_dir`. */
export const LABEL_EXTENSIONS: readonly string[] = ['.png'];

/** The validated contents of `dataset.json`. */
export interface DatasetMeta {
  /** Optional display name. */
  name?: string;
  /** Class names; label `k` is `classes[k]`. */
  classes: string[];
  /** One colour per class (from the file, or {@link defaultPalette} when it has none). */
  palette: Rgb[];
  /** Label value that marks ignored pixels; never a class index. */
  ignoreIndex: number;
  /** Per-channel normalisation mean in 0..255 units (RGB); ImageNet's unless the file sets it. */
  mean: [number, number, number];
  /** Per-channel normalisation standard deviation in 0..255 units (RGB). */
  std: [number, number, number];
}

/** One decoded sample. */
export interface Sample {
  /** Base file name without extension, shared by the image and its mask. */
  name: string;
  /** Planar RGB, `[3, height, width]`: `image[(c * height + y) * width + x]`, float32 in 0..255 (not normalised). */
  image: Float32Array;
  /** `[height, width]`: class index, or the ignore index. */
  label: Int32Array;
  height: number;
  width: number;
}

/** Anything a {@link DataLoader} can draw samples from. */
export interface SampleSource {
  readonly length: number;
  get(index: number): Sample;
  /** Used by the loader for its defaults (normalisation, ignore index) when present. */
  readonly meta?: Pick<DatasetMeta, 'ignoreIndex' | 'mean' | 'std'>;
}

/** A split of an mmsegmentation-layout dataset, opened by {@link openDataset}. */
export interface SegDataset extends SampleSource {
  readonly dir: string;
  readonly split: string;
  readonly meta: DatasetMeta;
  /** Sample names in order (sorted by code point, so the order is the same on every machine). */
  readonly names: readonly string[];
  readonly numClasses: number;
  imagePath(index: number): string;
  labelPath(index: number): string;
  /** Decodes sample `index`, checking that image and mask sizes agree and that every label is valid. */
  get(index: number): Sample;
}

// ---- dataset.json ----

/**
 * `n` distinct colours for class maps: PASCAL VOC's bit-interleaving colour map (index bits spread over the
 * high bits of R, G and B), which keeps neighbouring indices far apart. Entry 0 is black.
 */
export function defaultPalette(n: number): Rgb[] {
  const out: Rgb[] = [];
  for (let i = 0; i < n; i++) {
    let r = 0;
    let g = 0;
    let b = 0;
    let c = i;
    for (let shift = 7; shift >= 0 && c > 0; shift--) {
      r |= (c & 1) << shift;
      g |= ((c >> 1) & 1) << shift;
      b |= ((c >> 2) & 1) << shift;
      c >>= 3;
    }
    out.push([r, g, b]);
  }
  return out;
}

const META_KEYS = ['name', 'description', 'classes', 'palette', 'ignoreIndex', 'mean', 'std'];

function triple(value: unknown, key: string, file: string, positive: boolean): [number, number, number] {
  const ok =
    Array.isArray(value) &&
    value.length === 3 &&
    value.every((v) => typeof v === 'number' && Number.isFinite(v) && (!positive || v > 0));
  if (!ok) {
    throw new Error(
      `${file}: "${key}" must be 3 ${positive ? 'positive ' : ''}numbers (R, G, B in 0..255 units), got ${JSON.stringify(value)}.`,
    );
  }
  return [value[0], value[1], value[2]] as [number, number, number];
}

/** Validates parsed `dataset.json` contents; `file` names it in errors. */
export function parseDatasetMeta(json: unknown, file: string): DatasetMeta {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new Error(`${file}: the dataset description must be a JSON object with at least "classes".`);
  }
  const obj = json as Record<string, unknown>;
  const unknownKeys = Object.keys(obj).filter((k) => !META_KEYS.includes(k));
  if (unknownKeys.length > 0) {
    throw new Error(`${file}: unknown key(s) ${unknownKeys.map((k) => `"${k}"`).join(', ')}; the keys are ${META_KEYS.join(', ')}.`);
  }
  const classes = obj.classes;
  if (!Array.isArray(classes) || classes.length === 0 || !classes.every((c) => typeof c === 'string' && c.length > 0)) {
    throw new Error(`${file}: "classes" must be a non-empty array of class names (strings).`);
  }
  if (new Set(classes).size !== classes.length) {
    const dup = classes.find((c, i) => classes.indexOf(c) !== i);
    throw new Error(`${file}: "classes" names "${dup}" twice.`);
  }
  const n = classes.length;
  let palette: Rgb[];
  if (obj.palette === undefined) palette = defaultPalette(n);
  else {
    const p = obj.palette;
    if (!Array.isArray(p) || p.length !== n) {
      throw new Error(`${file}: "palette" must hold one [r, g, b] colour per class (${n}), got ${Array.isArray(p) ? p.length : typeof p}.`);
    }
    palette = p.map((rgb, i) => {
      if (!Array.isArray(rgb) || rgb.length !== 3 || !rgb.every((v) => Number.isInteger(v) && v >= 0 && v <= 255)) {
        throw new Error(`${file}: palette entry ${i} (class "${classes[i]}") must be [r, g, b] with integers in 0..255, got ${JSON.stringify(rgb)}.`);
      }
      return [rgb[0], rgb[1], rgb[2]] as Rgb;
    });
  }
  const ignoreIndex = obj.ignoreIndex ?? DEFAULT_IGNORE_INDEX;
  if (typeof ignoreIndex !== 'number' || !Number.isInteger(ignoreIndex) || ignoreIndex < 0 || ignoreIndex > 65535) {
    throw new Error(`${file}: "ignoreIndex" must be an integer in 0..65535, got ${JSON.stringify(obj.ignoreIndex)}.`);
  }
  if (ignoreIndex < n) {
    throw new Error(`${file}: "ignoreIndex" ${ignoreIndex} is also a class index (there are ${n} classes, 0..${n - 1}).`);
  }
  const mean = obj.mean === undefined ? ([...IMAGENET_MEAN] as [number, number, number]) : triple(obj.mean, 'mean', file, false);
  const std = obj.std === undefined ? ([...IMAGENET_STD] as [number, number, number]) : triple(obj.std, 'std', file, true);
  const meta: DatasetMeta = { classes: [...(classes as string[])], palette, ignoreIndex, mean, std };
  if (typeof obj.name === 'string') meta.name = obj.name;
  return meta;
}

/** Reads and validates `DIR/dataset.json`. */
export function readDatasetMeta(dir: string): DatasetMeta {
  const file = path.join(dir, 'dataset.json');
  return parseDatasetMeta(readJson(file, 'dataset description'), file);
}

// ---- layout ----

function requireFolder(folder: string, role: string): void {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(folder);
  } catch {
    throw new Error(`${folder}: the ${role} folder is missing.`);
  }
  if (!stat.isDirectory()) throw new Error(`${folder}: the ${role} should be a folder, but it is a file.`);
}

/** Base name → file name, for the files with one of `extensions`; hidden files and subfolders are skipped. */
function listByBase(folder: string, extensions: readonly string[], what: string): Map<string, string> {
  const out = new Map<string, string>();
  const entries = fs.readdirSync(folder, { withFileTypes: true });
  for (const entry of entries) {
    if (entry.name.startsWith('.') || entry.isDirectory()) continue;
    const ext = path.extname(entry.name).toLowerCase();
    if (!extensions.includes(ext)) continue;
    const base = entry.name.slice(0, entry.name.length - ext.length);
    const prior = out.get(base);
    if (prior !== undefined) {
      throw new Error(`${folder}: two ${what} files share the name "${base}": ${prior} and ${entry.name}.`);
    }
    out.set(base, entry.name);
  }
  return out;
}

function listSome(names: string[], max = 5): string {
  const shown = names.slice(0, max).join(', ');
  return names.length > max ? `${shown}, and ${names.length - max} more` : shown;
}

const byCodePoint = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** The splits a dataset folder has (subfolders of `img_dir`), sorted. */
export function listSplits(dir: string): string[] {
  const imgDir = path.join(dir, 'img_dir');
  requireFolder(imgDir, 'image');
  return fs
    .readdirSync(imgDir, { withFileTypes: true })
    .filter((e) => e.isDirectory() && !e.name.startsWith('.'))
    .map((e) => e.name)
    .sort(byCodePoint);
}

/** Planar float [3, H, W] in 0..255 from decoded pixels: gray is replicated, alpha is dropped. */
export function toPlanarRgb(img: DecodedImage): Float32Array {
  const { width, height, channels, data } = img;
  const n = width * height;
  const out = new Float32Array(3 * n);
  const gray = channels <= 2;
  for (let i = 0; i < n; i++) {
    const s = i * channels;
    if (gray) {
      const v = data[s];
      out[i] = v;
      out[n + i] = v;
      out[2 * n + i] = v;
    } else {
      out[i] = data[s];
      out[n + i] = data[s + 1];
      out[2 * n + i] = data[s + 2];
    }
  }
  return out;
}

/**
 * Throws if a label is neither a class index (< numClasses) nor `ignoreIndex`, naming `file`, the first such
 * pixel (x, y) and its value.
 */
export function checkLabels(labels: Int32Array, width: number, numClasses: number, ignoreIndex: number, file: string): void {
  for (let i = 0; i < labels.length; i++) {
    const v = labels[i];
    if ((v < 0 || v >= numClasses) && v !== ignoreIndex) {
      const x = i % width;
      const y = (i - x) / width;
      throw new Error(
        `${file}: pixel (${x}, ${y}) has label ${v}, but the dataset has ${numClasses} classes (0..${numClasses - 1}) ` +
          `and ignoreIndex ${ignoreIndex}.`,
      );
    }
  }
}

/** Options of {@link openDataset}. */
export interface OpenDatasetOptions {
  /** Use this description instead of reading `DIR/dataset.json`. */
  meta?: DatasetMeta;
}

/**
 * Opens split `split` of the mmsegmentation-layout dataset in `dir`. Checks up front that the folders and
 * dataset.json exist and are valid, and that every image has a mask and every mask an image (naming the
 * strays); decoding and per-sample checks happen in `get(i)`.
 *
 * @example
 * const train = openDataset('data/m2nist', 'train');
 * const { image, label, height, width } = train.get(0); // image: [3, H, W] in 0..255
 */
export function openDataset(dir: string, split: string, options: OpenDatasetOptions = {}): SegDataset {
  requireFolder(dir, 'dataset');
  if (!/^[A-Za-z0-9_.-]+$/.test(split) || split === '.' || split === '..') {
    throw new Error(`openDataset: the split name must be a plain folder name like "train" or "val", got "${split}".`);
  }
  const meta = options.meta ?? readDatasetMeta(dir);
  const imgDir = path.join(dir, 'img_dir', split);
  const annDir = path.join(dir, 'ann_dir', split);
  requireFolder(path.join(dir, 'img_dir'), 'image');
  requireFolder(path.join(dir, 'ann_dir'), 'annotation');
  requireFolder(imgDir, `"${split}" image`);
  requireFolder(annDir, `"${split}" annotation`);
  const images = listByBase(imgDir, IMAGE_EXTENSIONS, 'image');
  const labels = listByBase(annDir, LABEL_EXTENSIONS, 'label');
  const noMask = [...images.keys()].filter((b) => !labels.has(b)).sort(byCodePoint);
  if (noMask.length > 0) {
    throw new Error(
      `${imgDir}: ${noMask.length} image(s) have no mask in ${annDir}: ${listSome(noMask.map((b) => images.get(b)!))}.`,
    );
  }
  const noImage = [...labels.keys()].filter((b) => !images.has(b)).sort(byCodePoint);
  if (noImage.length > 0) {
    throw new Error(
      `${annDir}: ${noImage.length} mask(s) have no image in ${imgDir}: ${listSome(noImage.map((b) => labels.get(b)!))}.`,
    );
  }
  if (images.size === 0) throw new Error(`${imgDir}: the "${split}" split has no images (.png, .jpg or .jpeg).`);
  const names = [...images.keys()].sort(byCodePoint);
  const numClasses = meta.classes.length;

  const checkIndex = (index: number): void => {
    if (!Number.isInteger(index) || index < 0 || index >= names.length) {
      throw new Error(`${imgDir}: sample index ${index} is out of range; the "${split}" split has ${names.length} samples.`);
    }
  };
  const imagePath = (index: number): string => (checkIndex(index), path.join(imgDir, images.get(names[index])!));
  const labelPath = (index: number): string => (checkIndex(index), path.join(annDir, labels.get(names[index])!));

  return {
    dir,
    split,
    meta,
    names,
    numClasses,
    length: names.length,
    imagePath,
    labelPath,
    get(index: number): Sample {
      const imgFile = imagePath(index);
      const annFile = labelPath(index);
      const img = readImage(imgFile);
      const ann = readLabelMap(annFile);
      if (img.width !== ann.width || img.height !== ann.height) {
        throw new Error(
          `${imgFile} is ${img.width}×${img.height} (width×height) but its mask ${annFile} is ${ann.width}×${ann.height}; ` +
            'an image and its mask must have the same size.',
        );
      }
      checkLabels(ann.labels, ann.width, numClasses, meta.ignoreIndex, annFile);
      return { name: names[index], image: toPlanarRgb(img), label: ann.labels, height: img.height, width: img.width };
    },
  };
}
