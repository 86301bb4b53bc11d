/**
 * The boundary mask of L_rd, computed on the device and bit-exact with the official
 * `cv2.dilate(zero_border(cv2.Canny(label.astype(uint8), 0.1, 0.2)), ones(3, 3))`.
 *
 * How OpenCV's Canny (imgproc/canny.cpp, apertureSize 3, L1 gradient) reduces on a label map:
 * - thresholds: low = ⌊0.1⌋ = 0, high = ⌊0.2⌋ = 0, so a pixel is a candidate when its magnitude
 *   m > 0 and every candidate that survives non-maximum suppression is strong (m > high): the
 *   hysteresis pass adds nothing, and the edges are exactly the NMS survivors with m > 0.
 * - gradients: 3×3 Sobel dx, dy (int16) with BORDER_REPLICATE; m = |dx| + |dy|.
 * - NMS: magnitudes outside the image count as 0. With x = |dx|, y = |dy|·2¹⁵, TG22 = 13573
 *   (tan 22.5° · 2¹⁵, rounded): if y < x·TG22 the edge is vertical and m must satisfy
 *   m > m(left) and m ≥ m(right); else if y > x·TG22 + x·2¹⁶ it is horizontal and m > m(up),
 *   m ≥ m(down); otherwise diagonal with s = −1 if dx, dy have opposite signs, else +1, and
 *   m > m(i−1, j−s), m > m(i+1, j+s). The asymmetric > / ≥ puts a step's edge on its lower-index side.
 * NOTE: every quantity is an integer below 2²⁴ or a power-of-two multiple of one (labels ≤ 255, so
 * |dx|, |dy| ≤ 1020), so the float32 kernels compute these comparisons exactly on every backend.
 */
import type { Tensor } from '../tensor/tensor.js';
import {
  abs, add, conv2d, ge, gt, indexSelect, lt, maxPool2d, mul, pad, slice, sub, tensor, where,
} from '../tensor/ops.js';

/** Pixels closer than this to the image border never count as boundary before dilation (official: 6). */
export const BOUNDARY_BORDER = 6;
/** tan(22.5°)·2¹⁵ rounded, OpenCV's TG22. */
const TG22 = 13573;

/** Sobel 3×3 kernels as a conv weight [2, 1, 3, 3]: channel 0 is d/dx (columns), 1 is d/dy (rows). */
function sobelWeight(): Tensor {
  return tensor([-1, 0, 1, -2, 0, 2, -1, 0, 1, -1, -2, -1, 0, 0, 0, 1, 2, 1], [2, 1, 3, 3]);
}

/** Indices [0, 0, 1, …, n−1, n−1]: one replicated cell on each side (BORDER_REPLICATE). */
function replicateIndex(n: number): Tensor {
  const idx = new Int32Array(n + 2);
  for (let i = 0; i < n + 2; i++) idx[i] = Math.min(Math.max(i - 1, 0), n - 1);
  return tensor(idx, [n + 2], { dtype: 'int32' });
}

/**
 * OpenCV's Canny(labels, 0.1, 0.2) on integer label maps, as a 0/1 float mask.
 * labels: float [B, 1, h, w] with integer values in [0, 255] (the uint8 image) → [B, 1, h, w].
 */
export function cannyLabelEdges(labels: Tensor): Tensor {
  const [, , h, w] = labels.shape;
  const padded = indexSelect(indexSelect(labels, 2, replicateIndex(h)), 3, replicateIndex(w));
  const g = conv2d(padded, sobelWeight()); // [B, 2, h, w]
  const dx = slice(g, 1, 0, 1);
  const dy = slice(g, 1, 1, 2);
  const ax = abs(dx);
  const ay = abs(dy);
  const m = add(ax, ay);
  // Neighbour magnitudes, zero outside the image: nb(di, dj)[i, j] = m[i + di, j + dj].
  const mp = pad(m, [1, 1, 1, 1]);
  const nb = (di: number, dj: number) => slice(slice(mp, 2, 1 + di, 1 + di + h), 3, 1 + dj, 1 + dj + w);
  // Direction sectors, in exact float32 integer arithmetic (see the file header).
  const tg22x = mul(ax, TG22);
  const yScaled = mul(ay, 1 << 15);
  const sectorH = lt(yScaled, tg22x); // gradient mostly along x: compare left/right
  const sectorV = gt(mul(sub(ay, mul(ax, 2)), 1 << 15), tg22x); // y > x·TG22 + x·2¹⁶: compare up/down
  const passH = mul(gt(m, nb(0, -1)), ge(m, nb(0, 1)));
  const passV = mul(gt(m, nb(-1, 0)), ge(m, nb(1, 0)));
  const opposite = lt(mul(dx, dy), 0); // s = −1
  const passDiag = where(opposite, mul(gt(m, nb(-1, 1)), gt(m, nb(1, -1))), mul(gt(m, nb(-1, -1)), gt(m, nb(1, 1))));
  const sectorD = sub(sub(1, sectorH), sectorV);
  const survives = add(add(mul(sectorH, passH), mul(sectorV, passV)), mul(sectorD, passDiag));
  return mul(gt(m, 0), survives);
}

/** 1 inside [border, n − border) on both axes, else 0: [1, 1, h, w]. */
function interiorMask(h: number, w: number, border: number): Tensor {
  const v = new Float32Array(h * w);
  for (let i = border; i < h - border; i++) for (let j = border; j < w - border; j++) v[i * w + j] = 1;
  return tensor(v, [1, 1, h, w]);
}

/**
 * The boundary mask B of L_rd (§5.1 step 5): Canny edges E of the label map, E zeroed within
 * `border` pixels of the image border, then B = dilate(E, 3×3 ones) > 0 (a band about 3 px wide).
 * labels: float [B, 1, h, w], integers in [0, 255] (the uint8 view; ignore is 255) → 0/1 [B, 1, h, w].
 */
export function boundaryMask(labels: Tensor, border = BOUNDARY_BORDER): Tensor {
  const [, , h, w] = labels.shape;
  const edges = mul(cannyLabelEdges(labels), interiorMask(h, w, border));
  // NOTE: max pooling ignores padded cells, as cv2.dilate's default border (−∞) does.
  return maxPool2d(edges, 3, { stride: 1, padding: 1 });
}
