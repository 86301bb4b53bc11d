/**
 * Deterministic, resumable batching of host samples. Epoch `e`'s order is a shuffle seeded by (seed, e), and the
 * augmentation generator is one running stream; both are captured by `state()`, so a run restored from a
 * checkpoint sees exactly the batches an uninterrupted run would have seen.
 */

import { Rng } from '../tensor/random.js';
import { augment, normalizeImage, type AugmentOptions, type NormalizeOptions } from './augment.js';
import type { Sample, SampleSource } from './dataset.js';

/** One batch, planar and contiguous, ready to upload as tensors. */
export interface Batch {
  /** `[B, 3, H, W]` float32, normalised unless the loader was told not to. */
  images: Float32Array;
  /** `[B, H, W]` int32 class indices (or the ignore index). */
  labels: Int32Array;
  /** Sample names, in batch order. */
  names: string[];
  /** Sample indices in the source, in batch order. */
  indices: number[];
  /** `[B, 3, H, W]`. */
  shape: [number, number, number, number];
  /** The epoch this batch belongs to (from 0). */
  epoch: number;
}

/** Options of {@link DataLoader}. */
export interface DataLoaderOptions {
  batchSize: number;
  /** Shuffle each epoch (seeded). Default true. */
  shuffle?: boolean;
  /** Seed of the shuffles and the augmentations. Default 0. */
  seed?: number;
  /** Leave out the last batch of an epoch when it is smaller than `batchSize`. Default false. */
  dropLast?: boolean;
  /**
   * Augmentations (see {@link AugmentOptions}); `ignoreIndex` defaults to the source's. Default false: none,
   * which suits evaluation.
   */
  augment?: (Omit<AugmentOptions, 'ignoreIndex'> & { ignoreIndex?: number }) | false;
  /**
   * Normalisation in 0..255 units; default: the source's `meta.mean`/`meta.std` (ImageNet's for datasets that set
   * none). `false` leaves images in 0..255.
   */
  normalize?: NormalizeOptions | false;
}

/** Everything needed to continue a loader's stream exactly; plain JSON. */
export interface LoaderState {
  version: 1;
  seed: number;
  /** Current epoch, from 0. */
  epoch: number;
  /** Batches already served in the current epoch. */
  position: number;
  /** State of the augmentation generator. */
  rngState: number;
  /** Recorded to refuse a state from a different dataset or batch size. */
  numSamples: number;
  batchSize: number;
  shuffle: boolean;
  dropLast: boolean;
}

/** A 32-bit mix of two integers (murmur3's finaliser), to derive independent seeds (per epoch, per split). */
export function mixSeed(a: number, b: number): number {
  let h = (Math.imul(a >>> 0, 0x9e3779b1) ^ Math.imul((b >>> 0) + 0x7f4a7c15, 0x85ebca6b)) >>> 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** Stream id of the augmentation generator, kept apart from the per-epoch shuffle seeds. */
const AUGMENT_STREAM = 0xa0a0a0a;

/**
 * Batches from a {@link SampleSource} in a deterministic order. `next()` gives an endless stream, moving to the
 * next epoch (with a new shuffle) when one ends; `for (const batch of loader)` runs the rest of the current epoch
 * (or a whole new one when the current one is done). Batches must have one image size: crop when training, and
 * evaluate with batch size 1 unless the images share a size.
 *
 * @example
 * const loader = new DataLoader(openDataset(dir, 'train'), { batchSize: 8, seed: 1,
 *   augment: { resize: { ratioRange: [0.5, 2] }, crop: { height: 64, width: 64 }, flip: true } });
 * const batch = loader.next();      // batch.images: [8, 3, 64, 64]
 * const saved = loader.state();     // store with the checkpoint; later: loader.restore(saved)
 */
export class DataLoader {
  readonly source: SampleSource;
  readonly batchSize: number;
  readonly shuffle: boolean;
  readonly seed: number;
  readonly dropLast: boolean;
  /** Batches in one epoch. */
  readonly batchesPerEpoch: number;
  private readonly augmentOptions: AugmentOptions | false;
  private readonly normalizeOptions: NormalizeOptions | false;
  private readonly rng: Rng;
  private currentEpoch = 0;
  private currentPosition = 0;
  private order: number[] = [];
  private orderEpoch = -1;

  constructor(source: SampleSource, options: DataLoaderOptions) {
    const { batchSize } = options;
    if (!Number.isInteger(batchSize) || batchSize < 1) {
      throw new Error(`DataLoader: batchSize must be a positive integer, got ${batchSize}.`);
    }
    if (source.length < 1) throw new Error('DataLoader: the sample source is empty.');
    this.source = source;
    this.batchSize = batchSize;
    this.shuffle = options.shuffle ?? true;
    this.seed = (options.seed ?? 0) >>> 0;
    this.dropLast = options.dropLast ?? false;
    this.batchesPerEpoch = this.dropLast ? Math.floor(source.length / batchSize) : Math.ceil(source.length / batchSize);
    if (this.batchesPerEpoch === 0) {
      throw new Error(
        `DataLoader: with dropLast, ${source.length} samples make no full batch of ${batchSize}; lower the batch size.`,
      );
    }
    const aug = options.augment ?? false;
    if (aug) {
      const ignoreIndex = aug.ignoreIndex ?? source.meta?.ignoreIndex;
      if (ignoreIndex === undefined) {
        throw new Error('DataLoader: augment.ignoreIndex is needed, as the sample source has no meta.ignoreIndex.');
      }
      this.augmentOptions = { ...aug, ignoreIndex };
    } else this.augmentOptions = false;
    const norm = options.normalize;
    if (norm === false) this.normalizeOptions = false;
    else if (norm) this.normalizeOptions = norm;
    else if (source.meta) this.normalizeOptions = { mean: source.meta.mean, std: source.meta.std };
    else throw new Error('DataLoader: give normalize ({ mean, std } or false), as the sample source has no meta.');
    this.rng = new Rng(mixSeed(this.seed, AUGMENT_STREAM));
  }

  /** The current epoch, from 0. */
  get epoch(): number {
    return this.currentEpoch;
  }

  /** Batches already served in the current epoch. */
  get position(): number {
    return this.currentPosition;
  }

  /** The sample order of `epoch`: a seeded shuffle (or 0..n-1 without shuffling). */
  epochOrder(epoch: number): number[] {
    const order = Array.from({ length: this.source.length }, (_, i) => i);
    if (this.shuffle) new Rng(mixSeed(this.seed, epoch)).shuffle(order);
    return order;
  }

  /** The next batch, moving to the next epoch first if the current one is done. */
  next(): Batch {
    if (this.currentPosition >= this.batchesPerEpoch) {
      this.currentEpoch++;
      this.currentPosition = 0;
    }
    if (this.orderEpoch !== this.currentEpoch) {
      this.order = this.epochOrder(this.currentEpoch);
      this.orderEpoch = this.currentEpoch;
    }
    const start = this.currentPosition * this.batchSize;
    const indices = this.order.slice(start, Math.min(start + this.batchSize, this.order.length));
    // NOTE: the state moves only once the batch is built, so a failing sample leaves it as it was.
    const rngBefore = this.rng.getState();
    let batch: Batch;
    try {
      batch = this.assemble(indices);
    } catch (err) {
      this.rng.setState(rngBefore);
      throw err;
    }
    this.currentPosition++;
    return batch;
  }

  /** Iterates over the rest of the current epoch, or over the whole next epoch when the current one is done. */
  *[Symbol.iterator](): IterableIterator<Batch> {
    if (this.currentPosition >= this.batchesPerEpoch) {
      this.currentEpoch++;
      this.currentPosition = 0;
    }
    const epoch = this.currentEpoch;
    while (this.currentEpoch === epoch && this.currentPosition < this.batchesPerEpoch) yield this.next();
  }

  /** A JSON-serialisable snapshot of the stream (see {@link LoaderState}). */
  state(): LoaderState {
    return {
      version: 1,
      seed: this.seed,
      epoch: this.currentEpoch,
      position: this.currentPosition,
      rngState: this.rng.getState(),
      numSamples: this.source.length,
      batchSize: this.batchSize,
      shuffle: this.shuffle,
      dropLast: this.dropLast,
    };
  }

  /** Continues from a {@link state} snapshot taken on a loader with the same source size and options. */
  restore(state: LoaderState): void {
    const s = state as Partial<LoaderState> | null;
    const isCount = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v >= 0;
    if (
      !s ||
      s.version !== 1 ||
      !isCount(s.epoch) ||
      !isCount(s.position) ||
      !isCount(s.rngState) ||
      !isCount(s.seed) ||
      !isCount(s.numSamples) ||
      !isCount(s.batchSize)
    ) {
      throw new Error(`DataLoader.restore: not a loader state (version 1 with integer fields), got ${JSON.stringify(state)}.`);
    }
    const mismatch: string[] = [];
    if (s.numSamples !== this.source.length) mismatch.push(`${s.numSamples} samples, this loader has ${this.source.length}`);
    if (s.batchSize !== this.batchSize) mismatch.push(`batch size ${s.batchSize}, this loader has ${this.batchSize}`);
    if (s.seed !== this.seed) mismatch.push(`seed ${s.seed}, this loader has ${this.seed}`);
    if (s.shuffle !== this.shuffle) mismatch.push(`shuffle ${s.shuffle}, this loader has ${this.shuffle}`);
    if (s.dropLast !== this.dropLast) mismatch.push(`dropLast ${s.dropLast}, this loader has ${this.dropLast}`);
    if (mismatch.length > 0) {
      throw new Error(`DataLoader.restore: the state was saved with ${mismatch.join('; ')}.`);
    }
    if (s.position > this.batchesPerEpoch) {
      throw new Error(`DataLoader.restore: position ${s.position} is past the ${this.batchesPerEpoch} batches of an epoch.`);
    }
    this.currentEpoch = s.epoch;
    this.currentPosition = s.position;
    this.rng.setState(s.rngState);
  }

  private prepare(index: number): Sample {
    let s = this.source.get(index);
    // NOTE: normalising before augmenting gives the same pixels (bilinear weights sum to 1, crop and flip only
    // move values) and makes padding 0 in normalised units, as mmsegmentation pads after normalising.
    if (this.normalizeOptions) s = { ...s, image: normalizeImage(s.image, 3, this.normalizeOptions) };
    if (this.augmentOptions) s = augment(s, this.rng, this.augmentOptions);
    return s;
  }

  private assemble(indices: number[]): Batch {
    const samples = indices.map((i) => this.prepare(i));
    const { height, width } = samples[0];
    const odd = samples.find((s) => s.height !== height || s.width !== width);
    if (odd) {
      throw new Error(
        `DataLoader: a batch needs one image size, but "${samples[0].name}" is ${width}×${height} and "${odd.name}" is ` +
          `${odd.width}×${odd.height} (width×height); crop to a fixed size, or use batch size 1.`,
      );
    }
    const b = samples.length;
    const plane = height * width;
    const images = new Float32Array(b * 3 * plane);
    const labels = new Int32Array(b * plane);
    samples.forEach((s, k) => {
      images.set(s.image, k * 3 * plane);
      labels.set(s.label, k * plane);
    });
    return {
      images,
      labels,
      names: samples.map((s) => s.name),
      indices,
      shape: [b, 3, height, width],
      epoch: this.currentEpoch,
    };
  }
}
