/**
 * The SSA head's inference pass fused into one backend launch, where the backend has one (the CPU
 * backends' WebAssembly host kernels: `Backend.ssaLogits`). It computes what `SSAHead.forward`
 * computes in eval mode, §3 steps 1–7, without the ~30 launches, tensors and copies of the
 * composite; the composite stays the path everywhere else and is what the fused pass is tested
 * against (and both against the official fixtures).
 */
import { constant } from '../autograd/apply.js';
import { isGradEnabled } from '../autograd/grad-mode.js';
import type { SsaLogitsSpec } from '../tensor/backend.js';
import { backend } from '../tensor/engine.js';
import type { Tensor } from '../tensor/tensor.js';

/** The head's tensors the fused pass reads, in `SSA_WEIGHT_NAMES` order (null where switched off). */
export type FusedSsaWeights = readonly (Tensor | null)[];

/**
 * Logits O [B, K, h, w] of the student classifier in eval mode, from features [B, C, h, w], or null
 * when the fused pass cannot be used here: the backend has none, or a gradient would be needed
 * (grad mode on and an input that requires it), or the features are not float32. The caller then
 * runs the composite.
 */
export function fusedSsaLogits(feat: Tensor, weights: FusedSsaWeights, K: number, sepa: boolean, sppa: boolean): Tensor | null {
  const bk = backend();
  if (!bk.ssaLogits || feat.dtype !== 'float32' || (!sepa && !sppa)) return null;
  const inputs = [feat, ...weights.filter((w): w is Tensor => w !== null)];
  if (isGradEnabled() && inputs.some((t) => t.requiresGrad)) return null;
  const [B, C, h, w] = feat.shape;
  const spec: SsaLogitsSpec = { B, C, K, h, w, hidden: Math.floor(C / 2), sepa, sppa };
  const raw = bk.ssaLogits(feat, weights, spec);
  return raw === null ? null : constant('ssaLogits', inputs, () => raw);
}
