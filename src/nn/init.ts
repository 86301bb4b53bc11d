/**
 * PyTorch's default initialisations, drawn on the host from the seeded global generator
 * (`manualSeed`), so a model is the same on every backend.
 */
import { rngFor } from '../tensor/random.js';
import { sizeOf } from '../tensor/shape.js';
import { tensor } from '../tensor/ops.js';
import type { Tensor } from '../tensor/tensor.js';

/** U(−bound, bound). */
export function uniform(shape: readonly number[], bound: number, seed?: number): Tensor {
  const rng = rngFor(seed);
  const v = new Float32Array(sizeOf(shape));
  for (let i = 0; i < v.length; i++) v[i] = (2 * rng.next() - 1) * bound;
  return tensor(v, shape);
}

/** N(mean, std²). */
export function normal(shape: readonly number[], std = 1, mean = 0, seed?: number): Tensor {
  const rng = rngFor(seed);
  const v = new Float32Array(sizeOf(shape));
  for (let i = 0; i < v.length; i++) v[i] = mean + std * rng.normal();
  return tensor(v, shape);
}

/**
 * PyTorch's default for Linear and Conv weights: kaiming_uniform(a = √5), i.e. U(±1/√fanIn);
 * the default bias is U(±1/√fanIn) too.
 */
export function kaimingUniformDefault(shape: readonly number[], fanIn: number, seed?: number): Tensor {
  return uniform(shape, fanIn > 0 ? 1 / Math.sqrt(fanIn) : 0, seed);
}

/** kaiming_normal(mode='fan_out', relu): N(0, 2/fanOut), common for conv backbones. */
export function kaimingNormalFanOut(shape: readonly number[], fanOut: number, seed?: number): Tensor {
  return normal(shape, Math.sqrt(2 / fanOut), 0, seed);
}

/** truncated normal as timm's trunc_normal_(std): redraw outside ±2 std. */
export function truncNormal(shape: readonly number[], std: number, seed?: number): Tensor {
  const rng = rngFor(seed);
  const v = new Float32Array(sizeOf(shape));
  for (let i = 0; i < v.length; i++) {
    let z = rng.normal();
    while (Math.abs(z) > 2) z = rng.normal();
    v[i] = z * std;
  }
  return tensor(v, shape);
}
