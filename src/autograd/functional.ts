/**
 * Functional gradients: `grad(f)` and `valueAndGrad(f)` return gradients as plain tensors without
 * touching `.grad` of the caller's tensors.
 */
import { Tensor } from '../tensor/tensor.js';
import { runBackward } from './backward.js';

/**
 * valueAndGrad(f)(...xs) → { value, grads }: f's value (a one-element tensor unless dy is given)
 * and d value / d xs[i]. Inputs are detached copies, so the caller's graph is untouched.
 *
 * @example
 * const { value, grads: [dx] } = valueAndGrad((x) => x.mul(x).sum())(tensor([1, 2, 3]));
 */
export function valueAndGrad(f: (...xs: Tensor[]) => Tensor, dy?: Tensor): (...xs: Tensor[]) => { value: Tensor; grads: Tensor[] } {
  return (...xs: Tensor[]) => {
    const leaves = xs.map((x) => x.detach().requiresGrad_(true));
    const value = f(...leaves);
    if (!(value instanceof Tensor)) throw new Error('valueAndGrad: f must return a Tensor');
    runBackward(value, dy);
    const grads = leaves.map((l) => {
      const g = l.grad ?? Tensor.zerosLike(l);
      l.grad = null;
      g.kept = false;
      return g;
    });
    for (const l of leaves) l.dispose();
    return { value: value.detach(), grads };
  };
}

/** grad(f)(...xs) → d f / d xs[i], one tensor per input. */
export function grad(f: (...xs: Tensor[]) => Tensor, dy?: Tensor): (...xs: Tensor[]) => Tensor[] {
  const vg = valueAndGrad(f, dy);
  return (...xs: Tensor[]) => {
    const { value, grads } = vg(...xs);
    value.dispose();
    return grads;
  };
}
