// Central finite differences of ⟨dy, f(x)⟩ on the float64 reference backend (the gradcheck oracle).
import type { Tensor } from '../../src/index.js';
import { REFERENCE, runForward, type HostInput } from './backends.js';

/**
 * d⟨dy, f⟩ / d input[i] by central differences with step `eps`, for every input with `grad: true`
 * (null for the others). Each element costs two forward evaluations on the reference backend.
 */
export async function numericalGrads(inputs: readonly HostInput[], run: (...xs: Tensor[]) => Tensor, dy: ArrayLike<number>, eps: number): Promise<(Float64Array | null)[]> {
  const base = inputs.map((x) => Float64Array.from(x.values));
  const loss = async (values: Float64Array[]): Promise<number> => {
    const y = await runForward(REFERENCE, inputs, run, values);
    if (y.values.length !== dy.length) throw new Error(`numericalGrads: the output has ${y.values.length} values but dy has ${dy.length}`);
    let s = 0;
    for (let k = 0; k < dy.length; k++) s += dy[k] * y.values[k];
    return s;
  };
  const out: (Float64Array | null)[] = [];
  for (let i = 0; i < inputs.length; i++) {
    if (!inputs[i].grad) {
      out.push(null);
      continue;
    }
    const g = new Float64Array(base[i].length);
    for (let j = 0; j < g.length; j++) {
      const v = base[i][j];
      const vals = base.map((b) => b);
      const plus = Float64Array.from(base[i]);
      plus[j] = v + eps;
      vals[i] = plus;
      const lp = await loss(vals);
      const minus = Float64Array.from(base[i]);
      minus[j] = v - eps;
      vals[i] = minus;
      const lm = await loss(vals);
      g[j] = (lp - lm) / (2 * eps);
    }
    out.push(g);
  }
  return out;
}
