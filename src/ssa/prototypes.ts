/**
 * Fixed class prototypes and the coarse mask: the ordinary 1×1 classifier (mmseg's `conv_seg`)
 * read as K prototype vectors. Every other SSA step starts from these.
 */
import type { Tensor } from '../tensor/tensor.js';
import { add, matmul, reshape } from '../tensor/ops.js';

/**
 * The fixed prototypes S ∈ R^{K×C}: the 1×1 conv weight squeezed, `conv_seg.weight.squeeze()`.
 * weight: [K, C, 1, 1] → [K, C]. Not detached: gradients from the adaptive path reach conv_seg.
 */
export function fixedPrototypes(weight: Tensor): Tensor {
  const [K, C] = weight.shape;
  return reshape(weight, [K, C]);
}

/**
 * The coarse mask M_c = conv_seg(x): M_c[b, k, n] = Σ_c S[k, c]·x[b, c, n] + bias[k], a plain
 * dot product with no temperature (§3 step 1). x: [B, C, h, w] (the dropped-out features in
 * training), S: [K, C], bias: [K] → [B, K, h, w].
 */
export function coarseLogits(x: Tensor, S: Tensor, bias: Tensor): Tensor {
  const [B, C, h, w] = x.shape;
  const K = S.shape[0];
  const y = matmul(S, reshape(x, [B, C, h * w])); // [B, K, N]
  return reshape(add(y, reshape(bias, [K, 1])), [B, K, h, w]);
}
