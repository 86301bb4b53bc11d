import { afterEach, describe, expect, it } from 'vitest';
import { openDataset, type Sample, type SampleSource } from '../../src/data/dataset.js';
import { DataLoader, type Batch, type DataLoaderOptions } from '../../src/data/loader.js';
import { removeTempDirs, tempDir, writeFixtureDataset } from './helpers.js';

afterEach(removeTempDirs);

/** In-memory samples of varying size; sample i is filled with the value i (image) and i % 5 (labels). */
function memorySource(n: number, size: (i: number) => [number, number] = () => [6, 7]): SampleSource & { reads: number } {
  const source = {
    length: n,
    reads: 0,
    meta: { ignoreIndex: 255, mean: [0, 0, 0] as [number, number, number], std: [1, 1, 1] as [number, number, number] },
    get(i: number): Sample {
      source.reads++;
      const [h, w] = size(i);
      return { name: `s${i}`, image: new Float32Array(3 * h * w).fill(i), label: new Int32Array(h * w).fill(i % 5), height: h, width: w };
    },
  };
  return source;
}

const train: DataLoaderOptions = {
  batchSize: 4,
  seed: 7,
  augment: { resize: { ratioRange: [0.75, 1.5] }, crop: { height: 5, width: 5 }, flip: true },
};

const fingerprint = (b: Batch): string => `${b.epoch}|${b.names.join(',')}|${b.shape.join('x')}|${b.images.join(',')}|${b.labels.join(',')}`;

describe('DataLoader', () => {
  it('assembles [B, 3, H, W] batches from the samples, in order without shuffling', () => {
    const loader = new DataLoader(memorySource(5), { batchSize: 2, shuffle: false, normalize: false });
    const b = loader.next();
    expect(b.shape).toEqual([2, 3, 6, 7]);
    expect(b.names).toEqual(['s0', 's1']);
    expect(b.indices).toEqual([0, 1]);
    expect(b.images.length).toBe(2 * 3 * 6 * 7);
    expect(b.images[3 * 42 - 1]).toBe(0);
    expect(b.images[3 * 42]).toBe(1);
    expect(b.labels.length).toBe(2 * 42);
    expect(b.labels[42]).toBe(1);
    expect(loader.next().names).toEqual(['s2', 's3']);
    const last = loader.next();
    expect(last.shape).toEqual([1, 3, 6, 7]);
    expect(loader.next()).toMatchObject({ epoch: 1, names: ['s0', 's1'] });
  });

  it('normalises with the source’s mean and std by default', () => {
    const src = memorySource(2);
    const loader = new DataLoader({ ...src, get: src.get, length: 2, meta: { ignoreIndex: 255, mean: [1, 1, 1], std: [2, 2, 2] } }, { batchSize: 1, shuffle: false });
    loader.next();
    expect(loader.next().images[0]).toBe(0); // (1 - 1) / 2
  });

  it('shuffles each epoch into a permutation, the same for the same seed', () => {
    const epochsOf = (seed: number): string[][] => {
      const loader = new DataLoader(memorySource(10), { batchSize: 3, seed, normalize: false });
      const epochs: string[][] = [];
      for (let e = 0; e < 3; e++) epochs.push([...loader].flatMap((b) => b.names));
      return epochs;
    };
    const a = epochsOf(1);
    expect(epochsOf(1)).toEqual(a);
    for (const names of a) expect([...names].sort()).toEqual(Array.from({ length: 10 }, (_, i) => `s${i}`).sort());
    expect(a[0]).not.toEqual(a[1]);
    expect(epochsOf(2)[0]).not.toEqual(a[0]);
  });

  it('drops the last partial batch when asked', () => {
    const loader = new DataLoader(memorySource(10), { batchSize: 4, dropLast: true, normalize: false });
    expect(loader.batchesPerEpoch).toBe(2);
    expect([...loader].map((b) => b.shape[0])).toEqual([4, 4]);
    expect(() => new DataLoader(memorySource(3), { batchSize: 4, dropLast: true, normalize: false })).toThrow('make no full batch of 4');
  });

  it('gives identical augmented batches for the same seed', () => {
    const run = (): string[] => {
      const loader = new DataLoader(memorySource(9, (i) => [5 + (i % 3), 6 + (i % 4)]), train);
      return Array.from({ length: 8 }, () => fingerprint(loader.next()));
    };
    expect(run()).toEqual(run());
  });

  it('resumes exactly: state after k batches, restored into a fresh loader, gives the same next batches', () => {
    const size = (i: number): [number, number] => [5 + (i % 3), 6 + (i % 4)];
    const reference = new DataLoader(memorySource(9, size), train);
    const all = Array.from({ length: 12 }, () => fingerprint(reference.next())); // 3 batches per epoch: 4 epochs
    for (const k of [0, 1, 3, 4, 7]) {
      const first = new DataLoader(memorySource(9, size), train);
      for (let i = 0; i < k; i++) expect(fingerprint(first.next())).toBe(all[i]);
      const saved = JSON.parse(JSON.stringify(first.state()));
      const resumed = new DataLoader(memorySource(9, size), train);
      resumed.restore(saved);
      expect(resumed.epoch).toBe(first.epoch);
      expect(resumed.position).toBe(first.position);
      for (let i = k; i < 12; i++) expect(fingerprint(resumed.next())).toBe(all[i]);
    }
  });

  it('resumes exactly on a dataset on disk', () => {
    const dir = writeFixtureDataset(tempDir());
    const opts: DataLoaderOptions = { batchSize: 2, seed: 3, augment: { crop: { height: 4, width: 4 }, flip: true } };
    const a = new DataLoader(openDataset(dir, 'train'), opts);
    a.next();
    a.next();
    const state = a.state();
    const expected = [fingerprint(a.next()), fingerprint(a.next()), fingerprint(a.next())];
    const b = new DataLoader(openDataset(dir, 'train'), opts);
    b.restore(state);
    expect([fingerprint(b.next()), fingerprint(b.next()), fingerprint(b.next())]).toEqual(expected);
  });

  it('refuses a state from another setup, or no state at all', () => {
    const a = new DataLoader(memorySource(9), { batchSize: 4, normalize: false });
    const b = new DataLoader(memorySource(8), { batchSize: 2, normalize: false });
    expect(() => b.restore(a.state())).toThrow('DataLoader.restore: the state was saved with 9 samples, this loader has 8; batch size 4, this loader has 2.');
    expect(() => b.restore({ epoch: 1 } as never)).toThrow('DataLoader.restore: not a loader state');
  });

  it('refuses a batch of mixed sizes, naming the samples', () => {
    const loader = new DataLoader(memorySource(2, (i) => (i === 0 ? [4, 4] : [4, 5])), { batchSize: 2, shuffle: false, normalize: false });
    expect(() => loader.next()).toThrow('DataLoader: a batch needs one image size, but "s0" is 4×4 and "s1" is 5×4 (width×height)');
  });

  it('leaves its state unchanged when a sample fails', () => {
    const src = memorySource(4);
    let fail = true;
    const flaky: SampleSource = {
      length: 4,
      meta: src.meta,
      get: (i) => {
        if (i === 3 && fail) throw new Error('disk hiccup');
        return src.get(i);
      },
    };
    const opts: DataLoaderOptions = { ...train, batchSize: 2, shuffle: false };
    const loader = new DataLoader(flaky, opts);
    loader.next();
    const before = loader.state();
    expect(() => loader.next()).toThrow('disk hiccup');
    expect(loader.state()).toEqual(before);
    fail = false;
    const reference = new DataLoader(flaky, opts);
    reference.next();
    expect(fingerprint(loader.next())).toBe(fingerprint(reference.next()));
  });

  it('reads samples only as batches are requested', () => {
    const src = memorySource(100);
    const loader = new DataLoader(src, { batchSize: 4, normalize: false });
    expect(src.reads).toBe(0);
    loader.next();
    expect(src.reads).toBe(4);
  });
});
