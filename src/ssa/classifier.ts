/**
 * The final classifier: cosine similarity between each pixel embedding and each class embedding,
 * scaled by a fixed 15 (not learned, no bias). Used by the student and the teacher alike.
 */
import type { Tensor } from '../tensor/tensor.js';
import { add, div, matmul, mul, norm, normalize } from '../tensor/ops.js';

/** The fixed logit scale of the cosine classifier. */
export const COSINE_SCALE = 15;
/** The norm guard: v / (‖v‖₂ + 1e-12), as the official code (added to the norm, not under the root). */
export const NORM_EPS = 1e-12;

/**
 * O[b, k, n] = 15 · ⟨F[b, :, n] / (‖F[b, :, n]‖₂ + ε), Q[b, k] / (‖Q[b, k]‖₂ + ε)⟩ (§3 step 7).
 * pixel F: [B, C, N] (S_f + P_f), classes Q: [B, K, C] (W_o(S_p + P_p)) → [B, K, N].
 * NOTE: the pixel norms divide the product's columns, 15·(q·F)[:, n] / (‖F[:, n]‖ + ε): the same
 * logits, with one pass over [B, K, N] instead of normalising F [B, C, N] and scaling O.
 */
export function cosineLogits(pixel: Tensor, classes: Tensor, scale = COSINE_SCALE): Tensor {
  const q = normalize(classes, { axis: 2, eps: NORM_EPS });
  const d = mul(add(norm(pixel, 1, true), NORM_EPS), 1 / scale); // (‖F‖ + ε) / 15: [B, 1, N]
  return div(matmul(q, pixel), d);
}
