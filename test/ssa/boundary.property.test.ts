// The device boundary mask (OpenCV Canny on the uint8 label map, dead border, 3×3 dilation) against a
// straightforward host port of OpenCV's canny.cpp written here, on random small label maps with
// ignore (255), on every backend. The device version is required to agree bit for bit.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { tensor, type Tensor } from '../../src/index.js';
import { boundaryMask, cannyLabelEdges, nearestSourceIndex } from '../../src/ssa/index.js';
import { REFERENCE, describeDevices, on, skipIfUnavailable, type Target } from '../helpers/backends.js';

/**
 * OpenCV 4.x Canny(img, low, high, aperture 3, L2gradient false) on one uint8 image [h][w], written
 * from canny.cpp: Sobel with BORDER_REPLICATE, L1 magnitude, NMS with zero magnitude outside the
 * image, map codes 0 (weak) / 1 (not an edge) / 2 (edge), hysteresis through 8-neighbours.
 */
function opencvCanny(img: number[][], lowThresh: number, highThresh: number): number[][] {
  const h = img.length;
  const w = img[0].length;
  const low = Math.floor(Math.min(lowThresh, highThresh));
  const high = Math.floor(Math.max(lowThresh, highThresh));
  const px = (i: number, j: number) => img[Math.min(Math.max(i, 0), h - 1)][Math.min(Math.max(j, 0), w - 1)];
  const dx: number[][] = [];
  const dy: number[][] = [];
  const mag: number[][] = [];
  for (let i = 0; i < h; i++) {
    dx.push([]);
    dy.push([]);
    mag.push([]);
    for (let j = 0; j < w; j++) {
      const gx = px(i - 1, j + 1) - px(i - 1, j - 1) + 2 * (px(i, j + 1) - px(i, j - 1)) + px(i + 1, j + 1) - px(i + 1, j - 1);
      const gy = px(i + 1, j - 1) - px(i - 1, j - 1) + 2 * (px(i + 1, j) - px(i - 1, j)) + px(i + 1, j + 1) - px(i - 1, j + 1);
      dx[i].push(gx);
      dy[i].push(gy);
      mag[i].push(Math.abs(gx) + Math.abs(gy));
    }
  }
  const m = (i: number, j: number) => (i < 0 || i >= h || j < 0 || j >= w ? 0 : mag[i][j]);
  const map = Array.from({ length: h + 2 }, () => new Array<number>(w + 2).fill(1));
  const stack: [number, number][] = [];
  const TG22 = 13573;
  for (let i = 0; i < h; i++) {
    for (let j = 0; j < w; j++) {
      const v = mag[i][j];
      let keep = false;
      if (v > low) {
        const xs = dx[i][j];
        const ys = dy[i][j];
        const x = Math.abs(xs);
        const y = Math.abs(ys) * 32768;
        const tg22x = x * TG22;
        if (y < tg22x) keep = v > m(i, j - 1) && v >= m(i, j + 1);
        else if (y > tg22x + x * 65536) keep = v > m(i - 1, j) && v >= m(i + 1, j);
        else {
          const s = (xs ^ ys) < 0 ? -1 : 1;
          keep = v > m(i - 1, j - s) && v > m(i + 1, j + s);
        }
      }
      if (keep && v > high) {
        map[i + 1][j + 1] = 2;
        stack.push([i + 1, j + 1]);
      } else if (keep) map[i + 1][j + 1] = 0;
      else map[i + 1][j + 1] = 1;
    }
  }
  while (stack.length > 0) {
    const [a, b] = stack.pop()!;
    for (let di = -1; di <= 1; di++) {
      for (let dj = -1; dj <= 1; dj++) {
        if ((di || dj) && map[a + di][b + dj] === 0) {
          map[a + di][b + dj] = 2;
          stack.push([a + di, b + dj]);
        }
      }
    }
  }
  return Array.from({ length: h }, (_, i) => Array.from({ length: w }, (_, j) => (map[i + 1][j + 1] === 2 ? 1 : 0)));
}

/** The official mask: edges zeroed within `border` px of the edge of the image, then 3×3 dilation. */
function referenceBoundary(labels: number[][], border: number): number[][] {
  const h = labels.length;
  const w = labels[0].length;
  const e = opencvCanny(labels, 0.1, 0.2).map((row, i) => row.map((v, j) => (i >= border && i < h - border && j >= border && j < w - border ? v : 0)));
  return Array.from({ length: h }, (_, i) => Array.from({ length: w }, (_, j) => {
    for (let di = -1; di <= 1; di++) for (let dj = -1; dj <= 1; dj++) if (e[i + di]?.[j + dj]) return 1;
    return 0;
  }));
}

/** The plain approximation of the spec (label differs right or below): it must differ somewhere. */
function simpleEdges(labels: number[][]): number[][] {
  const h = labels.length;
  const w = labels[0].length;
  return labels.map((row, i) => row.map((v, j) => ((j + 1 < w && v !== row[j + 1]) || (i + 1 < h && v !== labels[i + 1][j]) ? 1 : 0)));
}

/** Random label maps: noise, rectangles on a background, or coarse blocks; with some 255. */
const labelMaps = fc
  .record({ h: fc.integer({ min: 1, max: 18 }), w: fc.integer({ min: 1, max: 18 }), B: fc.integer({ min: 1, max: 2 }), kind: fc.constantFrom('noise', 'rects', 'blocks'), seed: fc.integer() })
  .map(({ h, w, B, kind, seed }) => {
    let s = seed >>> 0;
    const rnd = () => ((s = (Math.imul(s ^ (s >>> 15), 2246822507) + 0x9e3779b9) >>> 0) / 4294967296);
    const cls = () => (rnd() < 0.15 ? 255 : Math.floor(rnd() * 5));
    const maps = Array.from({ length: B }, () => {
      const L = Array.from({ length: h }, () => new Array<number>(w).fill(kind === 'rects' ? cls() : 0));
      if (kind === 'noise') for (const row of L) for (let j = 0; j < w; j++) row[j] = cls();
      if (kind === 'blocks') {
        const bs = 1 + Math.floor(rnd() * 4);
        const grid = Array.from({ length: Math.ceil(h / bs) }, () => Array.from({ length: Math.ceil(w / bs) }, cls));
        for (let i = 0; i < h; i++) for (let j = 0; j < w; j++) L[i][j] = grid[Math.floor(i / bs)][Math.floor(j / bs)];
      }
      if (kind === 'rects') {
        for (let r = Math.floor(rnd() * 5); r >= 0; r--) {
          const [a, b] = [Math.floor(rnd() * h), Math.floor(rnd() * h)].sort((x, y) => x - y);
          const [c, d] = [Math.floor(rnd() * w), Math.floor(rnd() * w)].sort((x, y) => x - y);
          const v = cls();
          for (let i = a; i <= b; i++) for (let j = c; j <= d; j++) L[i][j] = v;
        }
      }
      return L;
    });
    return { h, w, B, maps };
  });

const asTensor = (maps: number[][][]) => tensor(maps.flat(2), [maps.length, 1, maps[0].length, maps[0][0].length]);

async function deviceMasks(target: Target, maps: number[][][], border: number): Promise<{ edges: number[]; mask: number[] }> {
  const { e, b } = on(target, () => {
    const x = asTensor(maps);
    return { e: cannyLabelEdges(x), b: boundaryMask(x, border) };
  });
  const out = { edges: Array.from(await e.data()), mask: Array.from(await b.data()) };
  for (const t of [e, b] as Tensor[]) t.dispose();
  return out;
}

function checkAgainstReference(targets: Target[], numRuns: number) {
  return async () => {
    await fc.assert(
      fc.asyncProperty(labelMaps, fc.constantFrom(0, 1, 2, 6), async ({ maps }, border) => {
        for (const target of targets) {
          const got = await deviceMasks(target, maps, border);
          expect(got.edges).toEqual(maps.flatMap((L) => opencvCanny(L, 0.1, 0.2).flat()));
          expect(got.mask).toEqual(maps.flatMap((L) => referenceBoundary(L, border).flat()));
        }
      }),
      { numRuns, seed: 20240506 },
    );
  };
}

describe('boundary mask = OpenCV Canny(label, 0.1, 0.2) → dead border → 3×3 dilation', () => {
  it('[reference] bit-exact on random label maps with ignore', checkAgainstReference([REFERENCE], 120));


  it('puts a step edge on its lower-index side, including steps into ignore', async () => {
    const L = [[0, 0, 3, 3], [0, 0, 3, 3], [0, 0, 3, 3]];
    expect((await deviceMasks(REFERENCE, [L], 0)).edges).toEqual([0, 1, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0]);
    const I = [[255, 255, 255], [1, 1, 1]];
    expect((await deviceMasks(REFERENCE, [I], 0)).edges).toEqual([1, 1, 1, 0, 0, 0]);
  });

  it('differs from the simple "label changes right or below" approximation on diagonal structure', () => {
    const L = [[0, 0, 0, 0], [0, 1, 1, 0], [0, 1, 1, 0], [0, 0, 0, 0]];
    expect(opencvCanny(L, 0.1, 0.2)).not.toEqual(simpleEdges(L));
  });
});

describeDevices('boundary mask on a float32 device', (dev) => {
  it('bit-exact on random label maps with ignore', async (ctx) => {
    skipIfUnavailable(dev, ctx);
    await checkAgainstReference([dev], 25)();
  });
});

describe('nearest label downsampling index (PyTorch)', () => {
  it('is ⌊i·H/h⌋ for integer ratios and the identity for equal sizes', () => {
    expect(Array.from(nearestSourceIndex(40, 20))).toEqual(Array.from({ length: 20 }, (_, i) => 2 * i));
    expect(Array.from(nearestSourceIndex(84, 21))).toEqual(Array.from({ length: 21 }, (_, i) => 4 * i));
    expect(Array.from(nearestSourceIndex(7, 7))).toEqual([0, 1, 2, 3, 4, 5, 6]);
  });
  it('computes the scale and the product in float32, clamped to the input', () => {
    fc.assert(fc.property(fc.integer({ min: 1, max: 300 }), fc.integer({ min: 1, max: 300 }), (H, h) => {
      const idx = nearestSourceIndex(H, h);
      const scale = Math.fround(H / h);
      for (let i = 0; i < h; i++) {
        expect(idx[i]).toBe(H === h ? i : Math.min(Math.floor(Math.fround(i * scale)), H - 1));
        expect(idx[i]).toBeGreaterThanOrEqual(0);
        expect(idx[i]).toBeLessThan(H);
      }
    }), { numRuns: 100 });
  });
});
