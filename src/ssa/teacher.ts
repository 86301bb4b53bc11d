/**
 * The ground-truth-guided teacher's domain centres (§4): class means of the features under the
 * (downsampled) labels, with detached fixed prototypes / position basis as fallbacks for absent
 * classes. Semantic centres are pooled over the whole mini-batch; spatial ones are per image.
 */
import type { Sequential } from '../nn/layers/basic.js';
import type { Tensor } from '../tensor/tensor.js';
import { cat, div, expand, gt, matmul, maximum, sum, where } from '../tensor/ops.js';

/**
 * Per-image class sums and pixel counts: sums[b, k] = Σ_n G[b, k, n]·V[b, :, n], counts[b, k] = Σ_n G[b, k, n].
 * values V: [B, C, N], oneHot G: [B, K, N] (ignored pixels are all-zero rows) → sums [B, K, C], counts [B, K, 1].
 */
export function classSums(values: Tensor, oneHot: Tensor): { sums: Tensor; counts: Tensor } {
  return { sums: matmul(oneHot, values, { transB: true }), counts: sum(oneHot, 2, true) };
}

/**
 * mean where count > 0, else the fallback. NOTE: the count is clamped to 1 before dividing, so an
 * absent class never forms 0/0 (whose NaN would leak into the gradient through `where`).
 */
function meanOrFallback(sums: Tensor, counts: Tensor, fallback: Tensor): Tensor {
  return where(gt(counts, 0), div(sums, maximum(counts, 1)), fallback);
}

/**
 * Batch-pooled GT semantic centres (§4 step 1): Ŝ_c[k] = mean of S_f over every pixel labelled k in
 * every image of the batch, or S[k].detach() if k appears nowhere. Gradient flows into S_f only.
 * feat: [B, C, N], oneHot: [B, K, N], S: [K, C] → [K, C] (one matrix shared by all images).
 */
export function gtSemanticCentres(feat: Tensor, oneHot: Tensor, S: Tensor): Tensor {
  const { sums, counts } = classSums(feat, oneHot);
  return meanOrFallback(sum(sums, 0), sum(counts, 0), S.detach());
}

/**
 * Per-image GT spatial centres (§4 step 3): P̂_c[b, k] = mean of P_f[b] over image b's pixels
 * labelled k, or P[k].detach() if k is absent from image b.
 * pos: [B, C, N], oneHot: [B, K, N], P: [K, C] → [B, K, C].
 */
export function gtSpatialCentres(pos: Tensor, oneHot: Tensor, P: Tensor): Tensor {
  const { sums, counts } = classSums(pos, oneHot);
  return meanOrFallback(sums, counts, expand(P.detach(), sums.shape));
}

/**
 * Teacher spatial prototypes (§4 step 4): P̂_p = φ̂_p([P̂_c, P]), centre first, basis second (the
 * reverse of the student's order); P is not detached. Pc: [B, K, C], P: [K, C] → [B, K, C].
 */
export function teacherSpatialPrototypes(phi: Sequential, Pc: Tensor, P: Tensor): Tensor {
  return phi.forward(cat([Pc, expand(P, Pc.shape)], -1));
}
