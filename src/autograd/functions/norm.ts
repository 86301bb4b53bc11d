/**
 * Batch normalisation as one primitive. Written as composite ops it costs a permuted copy for each
 * statistic and a broadcast copy for each per-channel operand, forward and backward; here each
 * per-channel multiply-add is one `channelAffine` launch and the statistics reduce in place.
 * In training, a backend with `batchNormForward`/`batchNormBackward` (the CPU modes' WebAssembly
 * kernels 25 and 26) runs each direction as one launch instead of ~13; the composite below stays
 * the GPU path and the readable reference.
 */
import { AutogradFunction } from '../function.js';
import type { RawTensor } from '../../tensor/raw-tensor.js';
import { channelSum, view } from '../../tensor/raw-ops.js';

/**
 * y = (x − μ) · rstd · w + b per channel (axis 1 of x [N, C, ...]), rstd = 1/√(σ² + eps).
 * Training (no statistics given): μ, σ² are the batch mean and biased variance over every axis but 1,
 * and are left in `batchMean`/`batchVar` (size C; the caller disposes them) for the running averages.
 * Evaluation: μ, σ² are the 4th and 5th inputs (running statistics), constants for the gradient.
 *
 * Backward, with d = x − μ, n = N·(spatial size), Σ over every axis but 1:
 *   db = Σ dy;  dw = rstd · Σ dy·d;
 *   dx = w·rstd·dy − w·rstd³·(Σ dy·d)/n · d − w·rstd·(Σ dy)/n   (training: μ and σ² depend on x)
 *   dx = w·rstd·dy                                           (evaluation)
 */
export class BatchNorm extends AutogradFunction {
  readonly name = 'batchNorm';
  batchMean: RawTensor | null = null;
  batchVar: RawTensor | null = null;
  private n = 0;
  private training = false;
  /** The forward ran as one fused launch; saved are then [x, w, mean, var] instead of [d, rstd, w]. */
  private fused = false;
  constructor(readonly eps: number) {
    super();
  }

  forward(x: RawTensor, w: RawTensor, bias: RawTensor, mean?: RawTensor, variance?: RawTensor) {
    const b = this.b;
    this.n = x.size / x.shape[1];
    let mu: RawTensor;
    let v: RawTensor;
    let d: RawTensor;
    if (mean && variance) {
      mu = view(mean, mean.shape);
      v = view(variance, variance.shape);
      const negMu = b.unary('neg', mu);
      d = b.channelAffine(x, null, null, null, negMu);
      negMu.dispose();
    } else {
      const f = b.batchNormForward?.(x, w, bias, this.eps) ?? null;
      if (f) {
        const [y, batchMean, batchVar] = f;
        this.training = this.fused = true;
        this.batchMean = batchMean;
        this.batchVar = batchVar;
        // NOTE: x is alive anyway (an input); the statistics only serve the fallback in backward.
        this.saveForBackward(x, w, batchMean, batchVar);
        return y;
      }
      const s = channelSum(this.b, x);
      mu = b.unary('mulScalar', s, 1 / this.n);
      s.dispose();
      const negMu = b.unary('neg', mu);
      d = b.channelAffine(x, null, null, null, negMu);
      negMu.dispose();
      const sq = b.unary('square', d);
      const ss = channelSum(this.b, sq);
      sq.dispose();
      v = b.unary('mulScalar', ss, 1 / this.n);
      ss.dispose();
      this.training = true;
      this.batchMean = view(mu, mu.shape);
      this.batchVar = view(v, v.shape);
    }
    const ve = b.unary('addScalar', v, this.eps);
    const rstd = b.unary('rsqrt', ve);
    ve.dispose();
    const scale = b.binary('mul', w, rstd);
    const y = b.channelAffine(d, null, scale, null, bias);
    scale.dispose();
    this.saveForBackward(d, rstd, w);
    d.dispose();
    rstd.dispose();
    mu.dispose();
    v.dispose();
    return y;
  }

  backward(dy: RawTensor) {
    if (!this.fused) {
      const [d, rstd, w] = this.saved;
      return this.compositeBackward(dy, d, rstd, w);
    }
    const b = this.b;
    const [x, w, mean, variance] = this.saved;
    const f = b.batchNormBackward?.(dy, x, w, this.eps) ?? null;
    if (f) {
      const out = f.map((g, i) => {
        if (this.needsInputGrad[i]) return g;
        g.dispose();
        return null;
      });
      return out;
    }
    // NOTE: a backend that fused the forward but declines the backward (dy not float32, host
    // kernels removed in between): rebuild what the composite forward would have saved.
    const negMu = b.unary('neg', mean);
    const d = b.channelAffine(x, null, null, null, negMu);
    negMu.dispose();
    const ve = b.unary('addScalar', variance, this.eps);
    const rstd = b.unary('rsqrt', ve);
    ve.dispose();
    const out = this.compositeBackward(dy, d, rstd, w);
    d.dispose();
    rstd.dispose();
    return out;
  }

  /** Backward from d = x − μ, rstd and w, as ordinary ops (see the formulas above). */
  private compositeBackward(dy: RawTensor, d: RawTensor, rstd: RawTensor, w: RawTensor): (RawTensor | null)[] {
    const b = this.b;
    const sumDy = channelSum(this.b, dy);
    const dyd = b.binary('mul', dy, d);
    const sumDyd = channelSum(this.b, dyd);
    dyd.dispose();
    const out: (RawTensor | null)[] = [null, null, null];
    if (this.needsInputGrad[0]) {
      const k = b.binary('mul', w, rstd);
      if (this.training) {
        // NOTE: q = −k·rstd²·Σdy·d / n and r = −k·Σdy / n fold the paths through μ and σ².
        const r2 = b.unary('square', rstd);
        const kr2 = b.binary('mul', k, r2);
        r2.dispose();
        const t = b.binary('mul', kr2, sumDyd);
        kr2.dispose();
        const q = b.unary('mulScalar', t, -1 / this.n);
        t.dispose();
        const u = b.binary('mul', k, sumDy);
        const r = b.unary('mulScalar', u, -1 / this.n);
        u.dispose();
        out[0] = b.channelAffine(dy, d, k, q, r);
        q.dispose();
        r.dispose();
      } else {
        out[0] = b.channelAffine(dy, null, k, null, null);
      }
      k.dispose();
    }
    if (this.needsInputGrad[1]) out[1] = b.binary('mul', sumDyd, rstd);
    sumDyd.dispose();
    if (this.needsInputGrad[2]) out[2] = sumDy;
    else sumDy.dispose();
    if (this.parents.length === 5) out.push(null, null);
    return out;
  }
}
