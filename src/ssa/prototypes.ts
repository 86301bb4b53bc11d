/**
 * Fixed class prototypes and the coarse mask: the ordinary 1×1 classifier (mmseg's `conv_seg`)
 * read as K prototype vectors. Every other SSA step starts from these.
 */
import type { Tensor } from '../tensor/tensor.js';
import { conv2d, reshape } from '../tensor/ops.js';

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
 * dot product with no temperature (§3 step 1), i.e. the 1×1 convolution with the prototypes as its
 * weight. x: [B, C, h, w] (the dropped-out features in training), weight: conv_seg.weight
 * [K, C, 1, 1] (S unsqueezed), bias: [K] → [B, K, h, w].
 */
export function coarseLogits(x: Tensor, weight: Tensor, bias: Tensor): Tensor {
  return conv2d(x, weight, bias);
}
