import * as fs from 'node:fs';
import * as path from 'node:path';
import jpeg from 'jpeg-js';
import { afterEach, describe, expect, it } from 'vitest';
import {
  IMAGENET_MEAN,
  IMAGENET_STD,
  defaultPalette,
  listSplits,
  openDataset,
  parseDatasetMeta,
  readDatasetMeta,
} from '../../src/data/dataset.js';
import { encodePng } from '../../src/data/image.js';
import { fixturePixel, removeTempDirs, tempDir, writeFixtureDataset } from './helpers.js';

afterEach(removeTempDirs);

describe('openDataset', () => {
  it('lists a split in sorted order and decodes samples as [3, H, W] in 0..255', () => {
    const dir = writeFixtureDataset(tempDir());
    const ds = openDataset(dir, 'train');
    expect(ds.length).toBe(3);
    expect(ds.names).toEqual(['a', 'b', 'c']);
    expect(ds.numClasses).toBe(3);
    expect(ds.imagePath(1)).toBe(path.join(dir, 'img_dir', 'train', 'b.png'));
    expect(ds.labelPath(1)).toBe(path.join(dir, 'ann_dir', 'train', 'b.png'));
    const s = ds.get(0);
    expect(s).toMatchObject({ name: 'a', height: 5, width: 6 });
    expect(s.image).toBeInstanceOf(Float32Array);
    expect(s.image.length).toBe(3 * 5 * 6);
    expect(s.label).toBeInstanceOf(Int32Array);
    for (const [x, y] of [
      [0, 0],
      [5, 4],
      [2, 3],
    ]) {
      for (let c = 0; c < 3; c++) expect(s.image[(c * 5 + y) * 6 + x]).toBe(fixturePixel(x, y, c));
      expect(s.label[y * 6 + x]).toBe((x + y) % 3);
    }
  });

  it('replicates a grayscale image to three channels', () => {
    const s = openDataset(writeFixtureDataset(tempDir()), 'train').get(1);
    const plane = 5 * 6;
    for (let i = 0; i < plane; i++) {
      expect(s.image[i]).toBe(s.image[plane + i]);
      expect(s.image[i]).toBe(s.image[2 * plane + i]);
    }
    expect(s.image[2 * 6 + 3]).toBe(fixturePixel(3, 2, 0));
  });

  it('reads JPEG images, palette masks (index = label) and the ignore index', () => {
    const dir = writeFixtureDataset(tempDir(), { splits: { train: [] } });
    const rgba = new Uint8Array(4 * 2 * 4).fill(200);
    fs.writeFileSync(path.join(dir, 'img_dir/train/photo.JPG'), jpeg.encode({ width: 4, height: 2, data: rgba }, 95).data);
    const mask = encodePng(4, 2, Uint8Array.from([0, 1, 2, 3, 3, 2, 1, 0]), {
      palette: [
        [0, 0, 0],
        [9, 9, 9],
        [9, 9, 9],
        [255, 255, 255],
      ],
    });
    fs.writeFileSync(path.join(dir, 'ann_dir/train/photo.png'), mask);
    fs.writeFileSync(path.join(dir, 'dataset.json'), JSON.stringify({ classes: ['a', 'b', 'c'], ignoreIndex: 3 }));
    const s = openDataset(dir, 'train').get(0);
    expect([...s.label]).toEqual([0, 1, 2, 3, 3, 2, 1, 0]);
    expect(Math.abs(s.image[0] - 200)).toBeLessThan(4);
  });

  it('skips hidden files and files that are not images', () => {
    const dir = writeFixtureDataset(tempDir());
    fs.writeFileSync(path.join(dir, 'img_dir/train/.DS_Store'), 'x');
    fs.writeFileSync(path.join(dir, 'img_dir/train/notes.txt'), 'x');
    fs.mkdirSync(path.join(dir, 'ann_dir/train/sub'));
    expect(openDataset(dir, 'train').names).toEqual(['a', 'b', 'c']);
    expect(listSplits(dir)).toEqual(['train', 'val']);
  });

  it('loads lazily: a broken image fails at get(i), naming the file, not at open', () => {
    const dir = writeFixtureDataset(tempDir());
    const file = path.join(dir, 'img_dir/train/b.png');
    const bytes = fs.readFileSync(file);
    fs.writeFileSync(file, bytes.subarray(0, bytes.length - 20));
    const ds = openDataset(dir, 'train');
    expect(ds.get(0).name).toBe('a');
    expect(() => ds.get(1)).toThrow(`${file}: not a valid PNG: truncated`);
    expect(ds.get(2).name).toBe('c');
  });

  it('reports a corrupt mask (garbage bytes) by its file', () => {
    const dir = writeFixtureDataset(tempDir());
    const file = path.join(dir, 'ann_dir/train/c.png');
    fs.writeFileSync(file, Buffer.from('GIF89a this is not a png'));
    expect(() => openDataset(dir, 'train').get(2)).toThrow(`${file}: not a valid PNG: it does not start with the PNG signature`);
  });

  it('refuses an index out of range', () => {
    const ds = openDataset(writeFixtureDataset(tempDir()), 'val');
    expect(() => ds.get(1)).toThrow('sample index 1 is out of range; the "val" split has 1 samples.');
  });
});

describe('openDataset: bad layouts', () => {
  it('a missing dataset folder', () => {
    const dir = path.join(tempDir(), 'nowhere');
    expect(() => openDataset(dir, 'train')).toThrow(`${dir}: the dataset folder is missing.`);
  });

  it('a missing dataset.json', () => {
    const dir = writeFixtureDataset(tempDir(), { meta: null });
    expect(() => openDataset(dir, 'train')).toThrow(`${path.join(dir, 'dataset.json')}: the dataset description file is missing.`);
  });

  it('a missing split folder, and a missing ann_dir', () => {
    const dir = writeFixtureDataset(tempDir());
    expect(() => openDataset(dir, 'test')).toThrow(`${path.join(dir, 'img_dir', 'test')}: the "test" image folder is missing.`);
    fs.rmSync(path.join(dir, 'ann_dir', 'val'), { recursive: true });
    expect(() => openDataset(dir, 'val')).toThrow(`${path.join(dir, 'ann_dir', 'val')}: the "val" annotation folder is missing.`);
    fs.rmSync(path.join(dir, 'ann_dir'), { recursive: true });
    expect(() => openDataset(dir, 'train')).toThrow(`${path.join(dir, 'ann_dir')}: the annotation folder is missing.`);
  });

  it('a file where a folder should be, and an odd split name', () => {
    const dir = tempDir();
    fs.writeFileSync(path.join(dir, 'file'), 'x');
    expect(() => openDataset(path.join(dir, 'file'), 'train')).toThrow('the dataset should be a folder, but it is a file.');
    expect(() => openDataset(writeFixtureDataset(tempDir()), '../train')).toThrow('the split name must be a plain folder name');
  });

  it('an image without a mask, named', () => {
    const dir = writeFixtureDataset(tempDir(), {
      splits: { train: [{ image: 'a.png', width: 2, height: 2 }, { image: 'lonely.jpg', width: 2, height: 2, mask: null }] },
    });
    expect(() => openDataset(dir, 'train')).toThrow(
      `${path.join(dir, 'img_dir', 'train')}: 1 image(s) have no mask in ${path.join(dir, 'ann_dir', 'train')}: lonely.jpg.`,
    );
  });

  it('a mask without an image, named', () => {
    const dir = writeFixtureDataset(tempDir());
    fs.writeFileSync(path.join(dir, 'ann_dir/train/ghost.png'), encodePng(1, 1, Uint8Array.of(0)));
    expect(() => openDataset(dir, 'train')).toThrow(
      `${path.join(dir, 'ann_dir', 'train')}: 1 mask(s) have no image in ${path.join(dir, 'img_dir', 'train')}: ghost.png.`,
    );
  });

  it('two images with one base name', () => {
    const dir = writeFixtureDataset(tempDir());
    fs.copyFileSync(path.join(dir, 'img_dir/train/a.png'), path.join(dir, 'img_dir/train/a.jpg'));
    expect(() => openDataset(dir, 'train')).toThrow('two image files share the name "a": ');
  });

  it('an empty split', () => {
    const dir = writeFixtureDataset(tempDir(), { splits: { train: [] } });
    expect(() => openDataset(dir, 'train')).toThrow('the "train" split has no images (.png, .jpg or .jpeg).');
  });

  it('an image and its mask of different sizes: both files and sizes named', () => {
    const dir = writeFixtureDataset(tempDir(), {
      splits: { train: [{ image: 'a.png', width: 6, height: 5, maskWidth: 6, maskHeight: 4 }] },
    });
    const ds = openDataset(dir, 'train');
    expect(() => ds.get(0)).toThrow(
      `${path.join(dir, 'img_dir/train/a.png')} is 6×5 (width×height) but its mask ${path.join(dir, 'ann_dir/train/a.png')} is 6×4; ` +
        'an image and its mask must have the same size.',
    );
  });

  it('a label ≥ numClasses that is not the ignore index: file, pixel and value named', () => {
    const labels = [0, 1, 2, 0, 1, 2, 0, 7, 1];
    const dir = writeFixtureDataset(tempDir(), { splits: { val: [{ image: 'x.png', width: 3, height: 3, labels }] } });
    expect(() => openDataset(dir, 'val').get(0)).toThrow(
      `${path.join(dir, 'ann_dir/val/x.png')}: pixel (1, 2) has label 7, but the dataset has 3 classes (0..2) and ignoreIndex 255.`,
    );
  });

  it('accepts the ignore index among the labels', () => {
    const dir = writeFixtureDataset(tempDir(), { splits: { val: [{ image: 'x.png', width: 2, height: 1, labels: [255, 2] }] } });
    expect([...openDataset(dir, 'val').get(0).label]).toEqual([255, 2]);
  });
});

describe('dataset.json', () => {
  const file = 'd/dataset.json';

  it('fills in the defaults: a distinct palette, ignoreIndex 255, ImageNet mean/std', () => {
    const meta = parseDatasetMeta({ classes: ['a', 'b', 'c', 'd'] }, file);
    expect(meta.ignoreIndex).toBe(255);
    expect(meta.mean).toEqual([...IMAGENET_MEAN]);
    expect(meta.std).toEqual([...IMAGENET_STD]);
    expect(meta.palette).toHaveLength(4);
    expect(new Set(meta.palette.map((c) => c.join())).size).toBe(4);
    const big = defaultPalette(256);
    expect(new Set(big.map((c) => c.join())).size).toBe(256);
    expect(big.slice(0, 3)).toEqual([
      [0, 0, 0],
      [128, 0, 0],
      [0, 128, 0],
    ]);
  });

  it('keeps a given palette, ignore index, mean and std', () => {
    const meta = parseDatasetMeta(
      { name: 'toy', classes: ['a', 'b'], palette: [[1, 2, 3], [4, 5, 6]], ignoreIndex: 9, mean: [33, 33, 33], std: [50, 50, 50] },
      file,
    );
    expect(meta).toEqual({ name: 'toy', classes: ['a', 'b'], palette: [[1, 2, 3], [4, 5, 6]], ignoreIndex: 9, mean: [33, 33, 33], std: [50, 50, 50] });
  });

  it.each([
    [[], 'the dataset description must be a JSON object'],
    [{}, '"classes" must be a non-empty array of class names'],
    [{ classes: ['a', 'a'] }, '"classes" names "a" twice.'],
    [{ classes: ['a', 'b'], palette: [[0, 0, 0]] }, '"palette" must hold one [r, g, b] colour per class (2), got 1.'],
    [{ classes: ['a'], palette: [[0, 0, 300]] }, 'palette entry 0 (class "a") must be [r, g, b] with integers in 0..255'],
    [{ classes: ['a', 'b'], ignoreIndex: 1 }, '"ignoreIndex" 1 is also a class index (there are 2 classes, 0..1).'],
    [{ classes: ['a'], ignoreIndex: -1 }, '"ignoreIndex" must be an integer in 0..65535'],
    [{ classes: ['a'], std: [1, 0, 1] }, '"std" must be 3 positive numbers'],
    [{ classes: ['a'], ignore_index: 0 }, 'unknown key(s) "ignore_index"'],
  ])('refuses %j', (json, message) => {
    expect(() => parseDatasetMeta(json, file)).toThrow(`${file}: ${message}`);
  });

  it('reports invalid JSON with its line and column', () => {
    const dir = tempDir();
    fs.writeFileSync(path.join(dir, 'dataset.json'), '{\n  "classes": ["a" "b"]\n}');
    expect(() => readDatasetMeta(dir)).toThrow(
      `${path.join(dir, 'dataset.json')}: the dataset description is not valid JSON: Expected ',' or ']' after array element at line 2, column 19.`,
    );
  });
});
