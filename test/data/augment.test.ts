import { describe, expect, it } from 'vitest';
import {
  augment,
  cropSample,
  flipSample,
  normalizeImage,
  resizeBilinear,
  resizeNearest,
  resizedSize,
  type AugmentOptions,
} from '../../src/data/augment.js';
import type { Sample } from '../../src/data/dataset.js';
import { Rng } from '../../src/tensor/random.js';

/** A sample whose pixel values encode their position: image (c, y, x) = 100c + 10y + x, label (y, x) = (x + y) % 4. */
function gridSample(height: number, width: number): Sample {
  const image = new Float32Array(3 * height * width);
  const label = new Int32Array(height * width);
  for (let c = 0; c < 3; c++)
    for (let y = 0; y < height; y++)
      for (let x = 0; x < width; x++) image[(c * height + y) * width + x] = 100 * c + 10 * y + x;
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) label[y * width + x] = (x + y) % 4;
  return { name: 'grid', image, label, height, width };
}

const full: AugmentOptions = {
  resize: { ratioRange: [0.5, 2] },
  crop: { height: 8, width: 10 },
  flip: true,
  ignoreIndex: 255,
};

describe('resampling', () => {
  it('bilinear uses half-pixel centres and clamps at the edges', () => {
    expect([...resizeBilinear(Float32Array.from([0, 10]), 1, 1, 2, 1, 4)]).toEqual([0, 2.5, 7.5, 10]);
    const constant = new Float32Array(3 * 5 * 7).fill(42);
    expect(resizeBilinear(constant, 3, 5, 7, 11, 3).every((v) => Math.abs(v - 42) < 1e-4)).toBe(true);
  });

  it('nearest neighbour never invents a label', () => {
    const s = gridSample(6, 9);
    const out = resizeNearest(s.label, 6, 9, 13, 4);
    expect(out.length).toBe(13 * 4);
    expect(new Set(out).size).toBeLessThanOrEqual(4);
    expect([...resizeNearest(Int32Array.from([1, 2, 3, 4]), 2, 2, 4, 4)]).toEqual([1, 1, 2, 2, 1, 1, 2, 2, 3, 3, 4, 4, 3, 3, 4, 4]);
  });

  it('resizedSize scales by the ratio, or fits into a [long, short] scale first', () => {
    expect(resizedSize(64, 84, 0.5)).toEqual([32, 42]);
    expect(resizedSize(512, 1024, 1, [2048, 512])).toEqual([512, 1024]);
    expect(resizedSize(512, 1024, 0.5, [2048, 512])).toEqual([256, 512]);
  });
});

describe('crop, pad, flip', () => {
  it('crops a window and pads the outside with padValue and the ignore index', () => {
    const s = gridSample(4, 5);
    const c = cropSample(s, 2, 3, 3, 4, 255, -1);
    expect(c).toMatchObject({ height: 3, width: 4 });
    expect(c.image[0]).toBe(23); // (y 2, x 3)
    expect(c.image[1]).toBe(24);
    expect(c.image[2]).toBe(-1);
    expect(c.image[2 * 12 + 4]).toBe(200 + 33); // channel 2, crop row 1 = image (y 3, x 3)
    expect([...c.label]).toEqual([1, 2, 255, 255, 2, 3, 255, 255, 255, 255, 255, 255]);
  });

  it('flips left to right, and twice is the identity', () => {
    const s = gridSample(3, 4);
    const f = flipSample(s);
    expect(f.image[0]).toBe(3);
    expect(f.image[3 * 4 + 1]).toBe(100 + 2);
    expect(f.label[0]).toBe(s.label[3]);
    const ff = flipSample(f);
    expect(ff.image).toEqual(s.image);
    expect(ff.label).toEqual(s.label);
  });
});

describe('augment', () => {
  it('is deterministic for a seed and gives the crop size', () => {
    const s = gridSample(12, 15);
    for (let seed = 0; seed < 20; seed++) {
      const a = augment(s, new Rng(seed), full);
      const b = augment(s, new Rng(seed), full);
      expect(a.image).toEqual(b.image);
      expect(a.label).toEqual(b.label);
      expect(a).toMatchObject({ height: 8, width: 10 });
      expect(a.image.length).toBe(3 * 8 * 10);
      expect(a.label.length).toBe(8 * 10);
      expect([...new Set(a.label)].every((v) => v === 255 || (v >= 0 && v < 4))).toBe(true);
    }
    const outputs = new Set(Array.from({ length: 20 }, (_, seed) => augment(s, new Rng(seed), full).image.join()));
    expect(outputs.size).toBeGreaterThan(15);
  });

  it('pads when the resized image is smaller than the crop', () => {
    const s = gridSample(4, 4);
    const a = augment(s, new Rng(3), { ...full, resize: { ratioRange: [1, 1] }, flip: false });
    expect(a).toMatchObject({ height: 8, width: 10 });
    expect(a.label[7 * 10 + 9]).toBe(255);
    expect(a.image[7 * 10 + 9]).toBe(0);
    expect(a.image.slice(0, 4)).toEqual(Float32Array.from([0, 1, 2, 3]));
  });

  it('each step can be switched off; all off gives an equal copy', () => {
    const s = gridSample(5, 6);
    const rng = new Rng(1);
    const before = rng.getState();
    const same = augment(s, rng, { resize: false, crop: false, flip: false, ignoreIndex: 255 });
    expect(rng.getState()).toBe(before); // no draws
    expect(same.image).toEqual(s.image);
    expect(same.image).not.toBe(s.image);
    const flipped = augment(s, new Rng(1), { flip: { prob: 1 }, ignoreIndex: 255 });
    expect(flipped.image).toEqual(flipSample(s).image);
    const doubled = augment(s, new Rng(1), { resize: { ratioRange: [2, 2] }, flip: false, ignoreIndex: 255 });
    expect(doubled).toMatchObject({ height: 10, width: 12 });
  });

  it('catMaxRatio retries crops dominated by one class', () => {
    // Left half class 0, right column class 1: most 4×4 windows hold only class 0.
    const s = gridSample(4, 20);
    s.label.fill(0);
    for (let y = 0; y < 4; y++) s.label[y * 20 + 19] = 1;
    const opts: AugmentOptions = { crop: { height: 4, width: 4, catMaxRatio: 0.9 }, flip: false, ignoreIndex: 255 };
    let balanced = 0;
    for (let seed = 0; seed < 30; seed++) if (augment(s, new Rng(seed), opts).label.includes(1)) balanced++;
    let plain = 0;
    for (let seed = 0; seed < 30; seed++) if (augment(s, new Rng(seed), { ...opts, crop: { height: 4, width: 4 } }).label.includes(1)) plain++;
    expect(balanced).toBeGreaterThan(plain);
  });

  it('refuses bad options', () => {
    const s = gridSample(2, 2);
    expect(() => augment(s, new Rng(0), { resize: { ratioRange: [2, 1] }, ignoreIndex: 255 })).toThrow('augment: resize.ratioRange');
    expect(() => augment(s, new Rng(0), { crop: { height: 0, width: 2 }, ignoreIndex: 255 })).toThrow('augment: crop size');
    expect(() => augment(s, new Rng(0), { flip: { prob: 2 }, ignoreIndex: 255 })).toThrow('augment: flip.prob');
  });
});

describe('normalizeImage', () => {
  it('subtracts the mean and divides by the std per channel', () => {
    const img = Float32Array.from([10, 20, 30, 40, 50, 60]);
    const out = normalizeImage(img, 3, { mean: [10, 20, 30], std: [1, 2, 10] });
    expect([...out]).toEqual([0, 10, 5, 10, 2, 3]);
    expect([...img]).toEqual([10, 20, 30, 40, 50, 60]);
    expect(() => normalizeImage(img, 3, { mean: [0, 0], std: [1, 1, 1] })).toThrow('normalizeImage: mean and std need 3 values each');
  });
});
