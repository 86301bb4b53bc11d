/**
 * SEPA, semantic prototype adaptation: the coarse mask's class posteriors pick a soft class-mean
 * feature per image (the semantic centre S_c), and φ_s mixes it with the fixed prototype.
 */
import type { Sequential } from '../nn/layers/basic.js';
import type { Tensor } from '../tensor/tensor.js';
import { add, cat, div, expand, matmul, softmax, sum } from '../tensor/ops.js';

/** The denominator guard of the soft class mean, as the official code. */
export const CENTRE_EPS = 1e-12;

/**
 * Semantic centres (§3 step 5): M = softmax_K(M_c), then
 * S_c[b, k] = Σ_n M[b, k, n]·S_f[b, :, n] / (Σ_n M[b, k, n] + 1e-12), a soft class-mean feature.
 * coarse: [B, K, N] (raw coarse logits), feat: [B, C, N] → [B, K, C].
 */
export function semanticCentres(coarse: Tensor, feat: Tensor): Tensor {
  const M = softmax(coarse, 1);
  const num = matmul(M, feat, { transB: true }); // M·S_fᵀ: [B, K, C]
  return div(num, add(sum(M, 2, true), CENTRE_EPS));
}

/**
 * Semantic prototypes (§3 step 6): S_p = φ_s([S_c, S]), centre first, fixed prototype second;
 * S is not detached. Sc: [B, K, C] (or [K, C] for the teacher), S: [K, C] → Sc's shape.
 */
export function semanticPrototypes(phi: Sequential, Sc: Tensor, S: Tensor): Tensor {
  const Sb = Sc.rank === 3 ? expand(S, Sc.shape) : S;
  return phi.forward(cat([Sc, Sb], -1));
}
