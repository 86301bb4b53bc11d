/**
 * Spatial (position) features P_f: a CPVT/PEG-style conditional position encoding computed from the
 * features by a 3×3 depthwise convolution with bias (`get_feat_pos`), no norm, no activation.
 */
import type { Tensor } from '../tensor/tensor.js';
import { conv2d } from '../tensor/ops.js';

/**
 * P_f = DWConv3×3(S_f): P_f[b, c] = Σ_{i,j ∈ {-1,0,1}} W[c, 0, i+1, j+1]·S_f[b, c, y+i, x+j] + bias[c],
 * zero padding 1, stride 1, groups = C (§3 step 2).
 * feat: [B, C, h, w], weight: [C, 1, 3, 3], bias: [C] → [B, C, h, w].
 */
export function positionFeatures(feat: Tensor, weight: Tensor, bias: Tensor): Tensor {
  return conv2d(feat, weight, bias, { padding: 1, groups: feat.shape[1] });
}
