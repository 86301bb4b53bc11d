// The SSA loss terms and building blocks against plain float64 references written here, on random
// small inputs (fast-check), on the reference backend and every device backend.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { sum, tensor, type Tensor } from '../../src/index.js';
import {
  COSINE_SCALE, cosineLogits, diceLoss, prepareTargets, relationMatrix, responseDistillation, semanticDistillation, spatialDistillation,
} from '../../src/ssa/index.js';
import { gtSemanticCentres, gtSpatialCentres } from '../../src/ssa/teacher.js';
import { REFERENCE, describeDevices, on, skipIfUnavailable, type Target } from '../helpers/backends.js';
import { expectClose, forwardTolerance, type Tolerance } from '../helpers/close.js';

// ---- plain references (flat row-major arrays) ----

const softmaxRow = (v: number[]) => {
  const m = Math.max(...v);
  const e = v.map((x) => Math.exp(x - m));
  const s = e.reduce((a, b) => a + b, 0);
  return e.map((x) => x / s);
};
const norm = (v: number[]) => Math.sqrt(v.reduce((a, x) => a + x * x, 0));
const unit = (v: number[]) => v.map((x) => x / (norm(v) + 1e-12));
const dot = (a: number[], b: number[]) => a.reduce((s, x, i) => s + x * b[i], 0);
const rows = (a: ArrayLike<number>, n: number, len: number, at = 0) => Array.from({ length: n }, (_, i) => Array.from({ length: len }, (_, j) => a[at + i * len + j]));

/** O[b,k,n] = 15·cos(F[b,:,n], Q[b,k]). */
function refCosine(F: number[], Q: number[], B: number, C: number, K: number, N: number): number[] {
  const out: number[] = [];
  for (let b = 0; b < B; b++) {
    const q = rows(Q, K, C, b * K * C).map(unit);
    for (let k = 0; k < K; k++) {
      for (let n = 0; n < N; n++) {
        const f = unit(Array.from({ length: C }, (_, c) => F[b * C * N + c * N + n]));
        out.push(COSINE_SCALE * dot(q[k], f));
      }
    }
  }
  return out;
}

/** R(Z)[b] = softmax_rows(15 Ẑ Ẑ'ᵀ), with the right factor taken from Zr (= Z unless frozen). */
function refRelation(Z: number[], B: number, K: number, C: number, Zr = Z): number[][][] {
  return Array.from({ length: B }, (_, b) => {
    const l = rows(Z, K, C, b * K * C).map(unit);
    const r = rows(Zr, K, C, b * K * C).map(unit);
    return l.map((li) => softmaxRow(r.map((rj) => COSINE_SCALE * dot(li, rj))));
  });
}

function refSd(Sp: number[], SpT: number[], B: number, K: number, C: number): number {
  const R = refRelation(Sp, B, K, C);
  const T = refRelation(SpT, B, K, C);
  let s = 0;
  for (let b = 0; b < B; b++) for (let i = 0; i < K; i++) for (let j = 0; j < K; j++) if (i !== j) s += Math.max(R[b][i][j] - T[b][i][j], 0);
  return s / (B * K);
}

function refPd(Pp: number[], PpT: number[], B: number, K: number, C: number): number {
  let s = 0;
  for (let r = 0; r < B * K; r++) {
    const p = Pp.slice(r * C, r * C + C);
    const t = softmaxRow(PpT.slice(r * C, r * C + C));
    const m = Math.max(...p);
    const lse = m + Math.log(p.reduce((a, x) => a + Math.exp(x - m), 0));
    s -= t.reduce((a, tv, d) => a + tv * (p[d] - lse), 0);
  }
  return s / (B * K);
}

/** L_rd of §5.1 with an explicit boundary mask, by direct loops over classes and pixels. */
function refRd(O: number[], T: number[], y: number[], Bd: number[], B: number, K: number, N: number): number {
  const ell: number[] = [];
  const w: number[] = [];
  for (let b = 0; b < B; b++) {
    for (let n = 0; n < N; n++) {
      const o = Array.from({ length: K }, (_, k) => O[b * K * N + k * N + n]);
      const p = softmaxRow(Array.from({ length: K }, (_, k) => T[b * K * N + k * N + n]));
      const m = Math.max(...o);
      const lse = m + Math.log(o.reduce((a, x) => a + Math.exp(x - m), 0));
      const lab = y[b * N + n];
      const q = p.map((pk, k) => 0.5 * pk + 0.5 * ((lab === 255 ? 0 : lab) === k ? 1 : 0));
      ell.push(-q.reduce((a, qk, k) => a + qk * (o[k] - lse), 0));
      w.push(lab === 255 ? 0 : -p.reduce((a, pk) => a + pk * Math.log(pk + 1e-12), 0));
    }
  }
  const Ls: number[] = [];
  for (let c = 0; c < K; c++) {
    if (!y.includes(c)) continue;
    let ne = 0, de = 0, nb = 0, db = 0;
    for (let i = 0; i < y.length; i++) {
      if (y[i] !== c) continue;
      if (Bd[i]) { ne += ell[i] * w[i]; de += w[i]; } else { nb += ell[i] * w[i]; db += w[i]; }
    }
    Ls.push(0.5 * (ne / (de + 1e-12) + nb / (db + 1e-12)));
  }
  return Ls.length ? Ls.reduce((a, b) => a + b, 0) / Ls.length : 0;
}

function refDice(X: number[], y: number[], B: number, K: number, N: number): number {
  let tot = 0;
  let pairs = 0;
  for (let b = 0; b < B; b++) {
    const labs = new Set(y.slice(b * N, b * N + N).filter((v) => v !== 255));
    for (const k of labs) {
      let pt = 0, ps = 0, ts = 0;
      for (let n = 0; n < N; n++) {
        const p = 1 / (1 + Math.exp(-X[b * K * N + k * N + n]));
        const t = y[b * N + n] === k ? 1 : 0;
        pt += p * t; ps += p; ts += t;
      }
      tot += 1 - (2 * pt + 1) / (ps + ts + 1);
      pairs++;
    }
  }
  return tot / Math.max(pairs, 1);
}

// ---- harness ----

const vals = (n: number, lo = -3, hi = 3) => fc.array(fc.double({ min: lo, max: hi, noNaN: true }).map(Math.fround), { minLength: n, maxLength: n });
const labelsArb = (n: number, K: number) => fc.array(fc.oneof(fc.integer({ min: 0, max: K - 1 }), fc.constant(255)), { minLength: n, maxLength: n });
const dims = fc.record({ B: fc.integer({ min: 1, max: 2 }), K: fc.integer({ min: 1, max: 4 }), C: fc.integer({ min: 1, max: 5 }), h: fc.integer({ min: 1, max: 4 }), w: fc.integer({ min: 1, max: 4 }) });

const tolFor = (t: Target): Tolerance => (t.name === 'reference' ? { atol: 1e-9, rtol: 1e-9 } : { atol: 1e-5, rtol: 1e-4 });

async function value(target: Target, fn: () => Tensor): Promise<number[]> {
  const t = on(target, fn);
  const v = Array.from(await t.data());
  t.dispose();
  return v;
}

/** Runs `body` on the reference backend with `refRuns` and on each device with `devRuns`. */
function onTargets(title: string, refRuns: number, devRuns: number, body: (target: Target, numRuns: number) => Promise<void>): void {
  it(`${title} [reference]`, () => body(REFERENCE, refRuns));
  describeDevices(title, (dev) => {
    it('matches the float64 reference', async (ctx) => {
      skipIfUnavailable(dev, ctx);
      await body(dev, devRuns);
    });
  });
}

describe('SSA building blocks against plain float64 references', () => {
  onTargets('cosine logits: 15·cos(pixel, class)', 40, 10, async (target, numRuns) => {
    await fc.assert(fc.asyncProperty(dims.chain((d) => fc.tuple(fc.constant(d), vals(d.B * d.C * d.h * d.w), vals(d.B * d.K * d.C))), async ([d, F, Q]) => {
      const N = d.h * d.w;
      const got = await value(target, () => cosineLogits(tensor(F, [d.B, d.C, N]), tensor(Q, [d.B, d.K, d.C])));
      expectClose(got, refCosine(F, Q, d.B, d.C, d.K, N), target.name === 'reference' ? tolFor(target) : forwardTolerance(target.name), 'cosine');
    }), { numRuns, seed: 1 });
  });

  onTargets('relation softmax R(Z) and L_sd = mean Σ_{j≠i} ReLU(R(S_p) − R(Ŝ_p))', 40, 10, async (target, numRuns) => {
    await fc.assert(fc.asyncProperty(dims.chain((d) => fc.tuple(fc.constant(d), vals(d.B * d.K * d.C), vals(d.B * d.K * d.C))), async ([d, Sp, SpT]) => {
      const R = await value(target, () => relationMatrix(tensor(Sp, [d.B, d.K, d.C])));
      expectClose(R, refRelation(Sp, d.B, d.K, d.C).flat(2), tolFor(target), 'relation');
      const sd = await value(target, () => semanticDistillation(tensor(Sp, [d.B, d.K, d.C]), tensor(SpT, [d.B, d.K, d.C])));
      expectClose(sd, [refSd(Sp, SpT, d.B, d.K, d.C)], tolFor(target), 'L_sd');
    }), { numRuns, seed: 2 });
  });

  onTargets('L_pd: channel-softmax cross-entropy', 40, 10, async (target, numRuns) => {
    await fc.assert(fc.asyncProperty(dims.chain((d) => fc.tuple(fc.constant(d), vals(d.B * d.K * d.C), vals(d.B * d.K * d.C))), async ([d, Pp, PpT]) => {
      const pd = await value(target, () => spatialDistillation(tensor(Pp, [d.B, d.K, d.C]), tensor(PpT, [d.B, d.K, d.C])));
      expectClose(pd, [refPd(Pp, PpT, d.B, d.K, d.C)], tolFor(target), 'L_pd');
    }), { numRuns, seed: 3 });
  });

  onTargets('class-balanced, boundary/body-split L_rd', 60, 12, async (target, numRuns) => {
    const arb = dims.chain((d) => {
      const n = d.B * d.h * d.w;
      return fc.tuple(fc.constant(d), vals(n * d.K), vals(n * d.K), labelsArb(n, d.K), fc.array(fc.constantFrom(0, 1), { minLength: n, maxLength: n }));
    });
    await fc.assert(fc.asyncProperty(arb, async ([d, O, T, y, Bd]) => {
      const shape = [d.B, d.K, d.h, d.w];
      const got = await value(target, () => {
        const t = prepareTargets(tensor(Int32Array.from(y), [d.B, d.h, d.w], { dtype: 'int32' }), d.K, 255, [d.h, d.w], 0);
        return responseDistillation(tensor(O, shape), tensor(T, shape), { ...t, boundary: tensor(Bd, [d.B, 1, d.h, d.w]) });
      });
      expectClose(got, [refRd(O, T, y, Bd, d.B, d.K, d.h * d.w)], tolFor(target), 'L_rd');
    }), { numRuns, seed: 4 });
  });

  onTargets('sigmoid Dice over (image, present class) pairs', 40, 10, async (target, numRuns) => {
    const arb = dims.chain((d) => fc.tuple(fc.constant(d), vals(d.B * d.K * d.h * d.w), labelsArb(d.B * d.h * d.w, d.K)));
    await fc.assert(fc.asyncProperty(arb, async ([d, X, y]) => {
      const got = await value(target, () => {
        const t = prepareTargets(tensor(Int32Array.from(y), [d.B, d.h, d.w], { dtype: 'int32' }), d.K, 255, [d.h, d.w], 0);
        return diceLoss(tensor(X, [d.B, d.K, d.h, d.w]), t);
      });
      expectClose(got, [refDice(X, y, d.B, d.K, d.h * d.w)], tolFor(target), 'dice');
    }), { numRuns, seed: 5 });
  });

  onTargets('teacher centres: batch-pooled / per-image class means, detached fallbacks for absent classes', 40, 10, async (target, numRuns) => {
    const arb = dims.chain((d) => fc.tuple(fc.constant(d), vals(d.B * d.C * d.h * d.w), vals(d.K * d.C), labelsArb(d.B * d.h * d.w, d.K)));
    await fc.assert(fc.asyncProperty(arb, async ([d, F, S, y]) => {
      const N = d.h * d.w;
      const { sem, spa, gradS } = on(target, () => {
        const G = tensor(Array.from({ length: d.B * d.K * N }, (_, i) => {
          const b = Math.floor(i / (d.K * N));
          const k = Math.floor(i / N) % d.K;
          return y[b * N + (i % N)] === k ? 1 : 0;
        }), [d.B, d.K, N]);
        const St = tensor(S, [d.K, d.C], { requiresGrad: true });
        const f = tensor(F, [d.B, d.C, N], { requiresGrad: true });
        const semT = gtSemanticCentres(f, G, St);
        const spaT = gtSpatialCentres(f, G, St);
        sum(semT).add(sum(spaT)).backward();
        return { sem: semT, spa: spaT, gradS: St.grad };
      });
      const expSem: number[] = [];
      const expSpa: number[] = [];
      for (let k = 0; k < d.K; k++) {
        let cnt = 0;
        const acc = new Array<number>(d.C).fill(0);
        for (let b = 0; b < d.B; b++) for (let n = 0; n < N; n++) if (y[b * N + n] === k) { cnt++; for (let c = 0; c < d.C; c++) acc[c] += F[b * d.C * N + c * N + n]; }
        for (let c = 0; c < d.C; c++) expSem.push(cnt ? acc[c] / cnt : S[k * d.C + c]);
      }
      for (let b = 0; b < d.B; b++) {
        for (let k = 0; k < d.K; k++) {
          let cnt = 0;
          const acc = new Array<number>(d.C).fill(0);
          for (let n = 0; n < N; n++) if (y[b * N + n] === k) { cnt++; for (let c = 0; c < d.C; c++) acc[c] += F[b * d.C * N + c * N + n]; }
          for (let c = 0; c < d.C; c++) expSpa.push(cnt ? acc[c] / cnt : S[k * d.C + c]);
        }
      }
      expectClose(Array.from(await sem.data()), expSem, tolFor(target), 'semantic centres');
      expectClose(Array.from(await spa.data()), expSpa, tolFor(target), 'spatial centres');
      // The fallback rows are S.detach(): no gradient reaches S through them.
      expect(gradS === null || Array.from(await gradS.data()).every((v) => v === 0)).toBe(true);
    }), { numRuns, seed: 6 });
  });

  it('R(Z) passes gradient through its left factor only (finite differences with the right factor frozen)', async () => {
    const B = 1, K = 3, C = 4;
    const Z = [0.3, -1.2, 0.8, 0.1, 1.5, 0.2, -0.4, 0.9, -0.7, 0.6, 1.1, -0.3];
    const U = [0.2, -0.5, 1.0, 0.7, 0.3, -0.9, -0.4, 0.8, 0.6];
    const grad = on(REFERENCE, () => {
      const z = tensor(Z, [B, K, C], { requiresGrad: true });
      sum(relationMatrix(z).mul(tensor(U, [B, K, K]))).backward();
      return z.grad!;
    });
    const f = (zl: number[]) => refRelation(zl, B, K, C, Z).flat(2).reduce((a, r, i) => a + r * U[i], 0);
    const eps = 1e-6;
    const numeric = Z.map((_, i) => {
      const p = [...Z]; p[i] += eps;
      const m = [...Z]; m[i] -= eps;
      return (f(p) - f(m)) / (2 * eps);
    });
    expectClose(Array.from(await grad.data()), numeric, { atol: 1e-7, rtol: 1e-5 }, 'dR/dZ (left factor)');
  });
});
