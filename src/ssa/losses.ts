/**
 * Segmentation losses on logits upsampled to the label size (§5): the two cross-entropy averagings
 * the official code mixes, and the per-(image, present class) sigmoid Dice loss of `ssa_loss.py`.
 */
import type { Tensor } from '../tensor/tensor.js';
import { add, crossEntropy, div, interpolate, maximum, mul, sigmoid, sub, sum } from '../tensor/ops.js';
import type { SsaTargets } from './targets.js';

/** Bilinear upsampling with align_corners = True, as every training loss of the head uses. [B, K, h, w] → [B, K, H, W]. */
export function upsample(x: Tensor, H: number, W: number): Tensor {
  return interpolate(x, { size: [H, W], mode: 'bilinear', alignCorners: true });
}

/** Σ over non-ignored pixels of −log softmax(x)[y]: the numerator both averagings share. */
function ceSum(logits: Tensor, t: SsaTargets): Tensor {
  return sum(crossEntropy(logits, t.labels, { ignoreIndex: t.ignoreIndex, reduction: 'none' }));
}

/**
 * mmseg 0.x CrossEntropyLoss (avg_non_ignore = False), the `MainLoss`:
 * L = Σ_{n: y_n ≠ ignore} −log softmax(x_n)[y_n] / (B·H·W), ignored pixels counted in the denominator.
 * logits: [B, K, H, W] (already upsampled) → scalar.
 */
export function mmsegCrossEntropy(logits: Tensor, t: SsaTargets): Tensor {
  return div(ceSum(logits, t), t.labels.size);
}

/**
 * nn.CrossEntropyLoss(ignore_index) with mean reduction, the `PreSelfLoss` (coarse) and `PreLoss`
 * (teacher): the same sum divided by the number of non-ignored pixels.
 * NOTE: PyTorch returns NaN (0/0) when every pixel is ignored; this returns 0 (denominator clamped
 * to 1), so an unlabelled batch cannot poison the parameters.
 */
export function validMeanCrossEntropy(logits: Tensor, t: SsaTargets): Tensor {
  return div(ceSum(logits, t), maximum(t.validCount, 1));
}

/**
 * Sigmoid Dice over (image, present class) pairs (§5.2): with p = σ(x[b, k]) and t = [y_b = k],
 * d(b, k) = 1 − (2·Σ p·t + 1) / (Σ p + Σ t + 1), summed over the pairs whose class occurs in image b
 * (ignore excluded) and divided by the number of pairs (at least 1). Ignored pixels are negatives:
 * t = 0 there and their p counts in Σ p. logits: [B, K, H, W] (upsampled) → scalar.
 */
export function diceLoss(logits: Tensor, t: SsaTargets): Tensor {
  const p = sigmoid(logits);
  const inter = sum(mul(p, t.oneHot), [2, 3]); // [B, K]
  const denom = add(add(sum(p, [2, 3]), sum(t.oneHot, [2, 3])), 1);
  const d = sub(1, div(add(mul(inter, 2), 1), denom));
  return div(sum(mul(d, t.present)), maximum(sum(t.present), 1));
}
