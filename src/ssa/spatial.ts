/**
 * SPPA, spatial prototype adaptation: the coarse logits, softmaxed over the pixels of each class,
 * pool the position features into a spatial centre P_c, which φ_p mixes with the learned position
 * basis P (`center_pos`).
 */
import type { Sequential } from '../nn/layers/basic.js';
import type { Tensor } from '../tensor/tensor.js';
import { cat, expand, matmul, softmax } from '../tensor/ops.js';

/**
 * Spatial centres (§3 step 3): A = softmax over the N = h·w pixels of the raw coarse logits (per
 * image and class, temperature 1), then P_c = A·P_fᵀ, an attention-weighted mean of the position
 * features per class. coarse: [B, K, N], pos: [B, C, N] → [B, K, C].
 */
export function spatialCentres(coarse: Tensor, pos: Tensor): Tensor {
  const A = softmax(coarse, 2);
  return matmul(A, pos, { transB: true }); // A·P_fᵀ: [B, K, C]
}

/**
 * Spatial prototypes of the student (§3 step 4): P_p = φ_p([P, P_c]), basis first, centre second.
 * P: [K, C], Pc: [B, K, C] → [B, K, C].
 */
export function spatialPrototypes(phi: Sequential, P: Tensor, Pc: Tensor): Tensor {
  return phi.forward(cat([expand(P, Pc.shape), Pc], -1));
}
