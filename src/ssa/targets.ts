/**
 * Everything the losses derive from the label map, computed once per step on the device (no host
 * read, so `forwardTrain` stays synchronous): one-hot masks at label and feature resolution, class
 * presence, the nearest-downsampled labels and their boundary mask. All are constants (no gradient).
 */
import type { Tensor } from '../tensor/tensor.js';
import { cast, eq, gt, indexSelect, ne, reshape, sum, tensor, where } from '../tensor/ops.js';
import { fmt } from '../tensor/shape.js';
import { BOUNDARY_BORDER, boundaryMask } from './boundary.js';

/** Label-derived tensors for one training step. */
export interface SsaTargets {
  /** The labels as given: int32 [B, H, W]. */
  labels: Tensor;
  ignoreIndex: number;
  /** One-hot of the labels, float [B, K, H, W]; ignored pixels are all-zero rows. */
  oneHot: Tensor;
  /** 1 where class k occurs in image b (full resolution, ignore excluded): [B, K]. */
  present: Tensor;
  /** Number of non-ignored label pixels: scalar. */
  validCount: Tensor;
  /** Labels downsampled to the feature map by nearest neighbour, as float: [B, 1, h, w]. */
  small: Tensor;
  /** One-hot of `small`, [B, K, h, w]; ignored pixels are all-zero rows. */
  smallOneHot: Tensor;
  /** 1 where `small` is not ignored: [B, 1, h, w]. */
  smallValid: Tensor;
  /** Boundary mask of `small` (see boundary.ts): [B, 1, h, w]. */
  boundary: Tensor;
}

/**
 * PyTorch's nearest source index for resizing inSize → outSize:
 * src(i) = min(⌊fl32(i · fl32(inSize / outSize))⌋, inSize − 1), identity when the sizes agree.
 * NOTE: PyTorch computes the scale and the product in float32 (`nearest_idx` in UpSampleKernel);
 * this matters only for ratios that are not exact in binary, where it can differ from ⌊i·in/out⌋.
 */
export function nearestSourceIndex(inSize: number, outSize: number): Int32Array {
  const idx = new Int32Array(outSize);
  const scale = Math.fround(inSize / outSize);
  for (let i = 0; i < outSize; i++) {
    idx[i] = inSize === outSize ? i : Math.min(Math.floor(Math.fround(i * scale)), inSize - 1);
  }
  return idx;
}

/** float labels [B, H, W] → [B, 1, h, w] by PyTorch 'nearest' (F.interpolate(y, (h, w))). */
export function downsampleLabels(labels: Tensor, h: number, w: number): Tensor {
  const [B, H, W] = labels.shape;
  const rows = tensor(nearestSourceIndex(H, h), [h], { dtype: 'int32' });
  const cols = tensor(nearestSourceIndex(W, w), [w], { dtype: 'int32' });
  return reshape(indexSelect(indexSelect(labels, 1, rows), 2, cols), [B, 1, h, w]);
}

/** [B, 1, ...] float labels → one-hot [B, K, ...] by comparison with 0..K−1 (no match: all zero). */
function oneHotOf(labels: Tensor, K: number): Tensor {
  const classes = tensor(Float32Array.from({ length: K }, (_, k) => k), [1, K, ...labels.shape.slice(2).map(() => 1)]);
  return eq(labels, classes);
}

/**
 * Builds the targets of a step. labels: int32 [B, H, W] with values in [0, K) or `ignoreIndex`;
 * featSize: [h, w] of the feature map; border: the boundary's dead border (official 6).
 */
export function prepareTargets(labels: Tensor, numClasses: number, ignoreIndex: number, featSize: readonly [number, number], border = BOUNDARY_BORDER): SsaTargets {
  if (labels.dtype !== 'int32' || labels.rank !== 3) {
    throw new Error(`SSAHead.forwardTrain: labels must be an int32 tensor [B, H, W], got ${labels.dtype} of shape ${fmt(labels.shape)}`);
  }
  const [B, H, W] = labels.shape;
  const [h, w] = featSize;
  const full = cast(labels, 'float32');
  const oneHot = oneHotOf(reshape(full, [B, 1, H, W]), numClasses);
  const small = downsampleLabels(full, h, w);
  // The boundary sees the labels as uint8, as the official `.astype(np.uint8)` (ignore 255 stays 255;
  // any other ignore value is mapped to 255, which is what uint8 makes of −1).
  const asUint8 = ignoreIndex === 255 ? small : where(eq(small, ignoreIndex), 255, small);
  return {
    labels,
    ignoreIndex,
    oneHot,
    present: gt(sum(oneHot, [2, 3]), 0),
    validCount: sum(ne(full, ignoreIndex)),
    small,
    smallOneHot: oneHotOf(small, numClasses),
    smallValid: ne(small, ignoreIndex),
    boundary: boundaryMask(asUint8, border),
  };
}
