/**
 * The prototype-adaptation MLP φ shared in form by φ_s, φ_p, φ̂_s and φ̂_p (each with its own
 * weights): Linear(2C → ⌊C/2⌋, no bias) → ReLU → Linear(⌊C/2⌋ → C, bias). Built as a Sequential so
 * its parameters are named `0.weight`, `2.weight`, `2.bias`, as in the official PyTorch module.
 */
import { Linear } from '../nn/layers/linear.js';
import { ReLU, Sequential } from '../nn/layers/basic.js';

/**
 * φ(z) = W₂·ReLU(W₁·z) + b₂ with W₁ ∈ R^{⌊C/2⌋×2C}, W₂ ∈ R^{C×⌊C/2⌋}, b₂ ∈ R^C (PyTorch default init).
 * Input [..., 2C] (a concatenation of two C-vectors) → [..., C].
 */
export function projectionMlp(channels: number): Sequential {
  const hidden = Math.floor(channels / 2);
  if (hidden < 1) throw new Error(`projectionMlp: channels must be at least 2, got ${channels}`);
  return new Sequential(new Linear(2 * channels, hidden, { bias: false }), new ReLU(), new Linear(hidden, channels));
}
