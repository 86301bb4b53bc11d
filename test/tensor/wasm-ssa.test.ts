// The WebAssembly host kernel of the SSA-Seg head's inference pass (kind 19, WasmKernels.ssaLogits)
// against a float64 JavaScript implementation of the same math (written out below, independent of
// the kernel's formulation): shapes with 1-32 channels, 1-150 classes and h×w from 1×1 to 16×21
// (pixel counts not a multiple of 4, single pixels), batches of 1 and 3, each switch combination;
// bit-identical results on 1 and 2 threads, synchronous and asynchronous; finite results for coarse
// logits of ±80 (softmax stability); and the named error for a weight of the wrong length.
import { afterAll, describe, expect, it } from 'vitest';
import { SSA_WEIGHT_NAMES, type SsaLogitsSpec } from '../../src/tensor/backend.js';
import { WasmKernels, shutdownWasmKernels } from '../../src/tensor/backends/wasm/index.js';
import { seeded as rng } from '../helpers/backends.js';

afterAll(() => shutdownWasmKernels());

/** n values uniform in [−scale, scale). */
function randomArray(r: () => number, n: number, scale = 1): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = scale * (2 * r() - 1);
  return a;
}

// ---- the float64 reference ----

/** Softmax of v (a copy), max-subtracted, in float64. */
function softmax64(v: Float64Array): Float64Array {
  let m = -Infinity;
  for (const x of v) m = Math.max(m, x);
  const e = v.map((x) => Math.exp(x - m));
  let s = 0;
  for (const x of e) s += x;
  return e.map((x) => x / s);
}

/** z ↦ W2·relu(W1·z) + b2 with W1 [H, L], W2 [C, H], in float64. */
function mlp64(z: Float64Array, W1: Float32Array, W2: Float32Array, b2: Float32Array, H: number, C: number): Float64Array {
  const L = z.length;
  const hid = new Float64Array(H);
  for (let j = 0; j < H; j++) {
    let a = 0;
    for (let i = 0; i < L; i++) a += W1[j * L + i] * z[i];
    hid[j] = Math.max(0, a);
  }
  const out = new Float64Array(C);
  for (let c = 0; c < C; c++) {
    let a = b2[c];
    for (let j = 0; j < H; j++) a += W2[c * H + j] * hid[j];
    out[c] = a;
  }
  return out;
}

/** The head's eval logits O [B, K, h·w] in float64, straight from the definitions (see kernels.wat, kind 19). */
function refSsaLogits(feat: Float32Array, W: readonly (Float32Array | null)[], s: SsaLogitsSpec): Float64Array {
  const { B, C, K, h, w, hidden: H, sepa, sppa } = s;
  const N = h * w;
  const [Wseg, bseg, dwW, dwB, P, W1p, W2p, b2p, W1s, W2s, b2s, Wc] = W;
  const out = new Float64Array(B * K * N);
  for (let b = 0; b < B; b++) {
    const x = (c: number, n: number) => feat[(b * C + c) * N + n];
    // coarse logits
    const Mc = new Float64Array(K * N);
    for (let k = 0; k < K; k++) {
      for (let n = 0; n < N; n++) {
        let a = bseg![k];
        for (let c = 0; c < C; c++) a += Wseg![k * C + c] * x(c, n);
        Mc[k * N + n] = a;
      }
    }
    // depthwise 3×3 positional features (zero padding)
    const Pf = new Float64Array(C * N);
    if (sppa) {
      for (let c = 0; c < C; c++) {
        for (let y = 0; y < h; y++) {
          for (let xx = 0; xx < w; xx++) {
            let a = dwB![c];
            for (let i = -1; i <= 1; i++) {
              for (let j = -1; j <= 1; j++) {
                const yy = y + i;
                const xj = xx + j;
                if (yy >= 0 && yy < h && xj >= 0 && xj < w) a += dwW![c * 9 + 3 * (i + 1) + (j + 1)] * x(c, yy * w + xj);
              }
            }
            Pf[c * N + y * w + xx] = a;
          }
        }
      }
    }
    const E = new Float64Array(K * C);
    let Pp: Float64Array[] = [];
    let Sp: Float64Array[] = [];
    if (sppa) {
      Pp = Array.from({ length: K }, (_, k) => {
        const A = softmax64(Mc.slice(k * N, (k + 1) * N));
        const z = new Float64Array(2 * C);
        for (let c = 0; c < C; c++) {
          z[c] = P![k * C + c];
          let a = 0;
          for (let n = 0; n < N; n++) a += A[n] * Pf[c * N + n];
          z[C + c] = a;
        }
        return mlp64(z, W1p!, W2p!, b2p!, H, C);
      });
    }
    if (sepa) {
      const Ms = new Float64Array(K * N);
      for (let n = 0; n < N; n++) {
        const col = softmax64(Float64Array.from({ length: K }, (_, k) => Mc[k * N + n]));
        for (let k = 0; k < K; k++) Ms[k * N + n] = col[k];
      }
      Sp = Array.from({ length: K }, (_, k) => {
        let den = 0;
        for (let n = 0; n < N; n++) den += Ms[k * N + n];
        const z = new Float64Array(2 * C);
        for (let c = 0; c < C; c++) {
          let a = 0;
          for (let n = 0; n < N; n++) a += Ms[k * N + n] * x(c, n);
          z[c] = a / (den + 1e-12);
          z[C + c] = Wseg![k * C + c];
        }
        return mlp64(z, W1s!, W2s!, b2s!, H, C);
      });
    }
    for (let k = 0; k < K; k++) {
      for (let c = 0; c < C; c++) E[k * C + c] = sepa && sppa ? Sp[k][c] + Pp[k][c] : sepa ? Sp[k][c] : Wseg![k * C + c] + Pp[k][c];
    }
    // class centres: Q = E·Wcᵀ, normalised per class
    const q = new Float64Array(K * C);
    for (let k = 0; k < K; k++) {
      let nrm = 0;
      for (let j = 0; j < C; j++) {
        let a = 0;
        for (let c = 0; c < C; c++) a += Wc![j * C + c] * E[k * C + c];
        q[k * C + j] = a;
        nrm += a * a;
      }
      for (let j = 0; j < C; j++) q[k * C + j] /= Math.sqrt(nrm) + 1e-12;
    }
    // cosine logits against the (position-enriched) features
    for (let n = 0; n < N; n++) {
      const F = Float64Array.from({ length: C }, (_, c) => x(c, n) + (sppa ? Pf[c * N + n] : 0));
      let nrm = 0;
      for (const f of F) nrm += f * f;
      const d = Math.sqrt(nrm) + 1e-12;
      for (let k = 0; k < K; k++) {
        let a = 0;
        for (let c = 0; c < C; c++) a += q[k * C + c] * F[c];
        out[(b * K + k) * N + n] = (15 * a) / d;
      }
    }
  }
  return out;
}

// ---- cases ----

/** The 12 weights of a spec (null where its switches leave them unused), fan-in scaled. */
function randomWeights(r: () => number, s: SsaLogitsSpec, coarseScale = 1): (Float32Array | null)[] {
  const { C, K, hidden: H, sepa, sppa } = s;
  const u = (n: number, fanIn: number) => randomArray(r, n, 1 / Math.sqrt(fanIn));
  return [
    u(K * C, C).map((v) => v * coarseScale), randomArray(r, K, coarseScale),
    sppa ? u(C * 9, 9) : null, sppa ? randomArray(r, C, 0.5) : null, sppa ? randomArray(r, K * C) : null,
    sppa ? u(H * 2 * C, 2 * C) : null, sppa ? u(C * H, H) : null, sppa ? randomArray(r, C, 0.5) : null,
    sepa ? u(H * 2 * C, 2 * C) : null, sepa ? u(C * H, H) : null, sepa ? randomArray(r, C, 0.5) : null,
    u(C * C, C),
  ];
}

const spec = (B: number, C: number, K: number, h: number, w: number, sepa: boolean, sppa: boolean): SsaLogitsSpec =>
  ({ B, C, K, h, w, hidden: Math.floor(C / 2), sepa, sppa });

/**
 * [B, C, K, h, w]: batches of 1 and 3; 2, 3, 8 and 32 channels; 1, 2 and 11 classes; h×w 1×1, 1×7,
 * 3×5, 9×13 and 16×21 (pixel counts 1, 7, 15, 117, 336: tails of 1-3 floats, single vectors), each
 * value in several combinations; plus one channel (hidden = ⌊C/2⌋ = 0: the MLPs are just their
 * biases) and 150 classes (ADE20K's count).
 */
const SHAPES: [number, number, number, number, number][] = [
  [1, 2, 1, 1, 1],
  [3, 3, 2, 1, 7],
  [1, 8, 11, 3, 5],
  [3, 32, 11, 16, 21],
  [1, 32, 2, 9, 13],
  [3, 8, 1, 9, 13],
  [1, 3, 11, 16, 21],
  [3, 2, 11, 3, 5],
  [1, 32, 1, 1, 7],
  [3, 8, 2, 1, 1],
  [1, 32, 11, 16, 21],
  [2, 1, 3, 3, 5],
  [1, 5, 150, 6, 9],
];

const SWITCHES: [string, boolean, boolean][] = [
  ['sepa + sppa', true, true],
  ['sepa only', true, false],
  ['sppa only', false, true],
];

/**
 * Tolerance. O = 15·cos(q_k, F_n): both are unit vectors, so the terms of the final contraction,
 * 15·|q_c|·|F_c|/‖F‖, sum to at most 15 (Cauchy–Schwarz), and f32 relative errors of size δ in q or
 * F/‖F‖ move O by at most 15·δ. As expectContraction in wasm-kernels.test.ts, rtol 1e-4 of that
 * scale: 15·1e-4 absolute, plus 1e-4·|O| for good measure. The f32 rounding of the whole chain
 * (sums of ≤ 336 terms, softmaxes within a few ulp, the MLPs) stays around 1e-6 of it, so this
 * leaves room without hiding a wrong term: a wrong tap, bias, softmax axis or order gives errors of
 * order 1.
 */
const tolerance = (want: number) => 15 * 1e-4 + 1e-4 * Math.abs(want);

function expectNear(label: string, ours: ArrayLike<number>, want: ArrayLike<number>): void {
  expect(ours.length, `${label}: length`).toBe(want.length);
  for (let i = 0; i < want.length; i++) {
    const err = Math.abs(ours[i] - want[i]);
    if (!(err <= tolerance(want[i]))) expect.fail(`${label}: element ${i} is ${ours[i]}, the float64 reference ${want[i]}`);
  }
}

const VARIANTS: [string, () => WasmKernels][] = [
  ['1 thread', () => new WasmKernels({ threads: 1 })],
  ['2 threads, sync', () => new WasmKernels({ threads: 2, parallelMinFlop: 0 })],
  ['2 threads, async', () => new WasmKernels({ threads: 2, parallelMinFlop: 0, async: true })],
];

describe.each(VARIANTS)('wasm ssaLogits vs the float64 reference (%s)', (_name, make) => {
  const k = make();
  describe.each(SWITCHES)('%s', (_label, sepa, sppa) => {
    it.each(SHAPES)('B %i, C %i, K %i, %i×%i', async (B, C, K, h, w) => {
      const s = spec(B, C, K, h, w, sepa, sppa);
      const r = rng(B * 1000 + C * 100 + K * 10 + h * 7 + w + (sepa ? 1 : 0) * 3 + (sppa ? 1 : 0) * 5);
      const feat = randomArray(r, B * C * h * w);
      const W = randomWeights(r, s);
      const ours = await k.ssaLogits(feat, W, s);
      expectNear(`ssaLogits B ${B} C ${C} K ${K} ${h}×${w} sepa ${sepa} sppa ${sppa}`, ours, refSsaLogits(feat, W, s));
    });
  });
});

describe('wasm ssaLogits: threads, stability, arguments', () => {
  it('gives bit-identical results on 1 and 2 threads, synchronous and asynchronous', async () => {
    const cases = [spec(8, 32, 11, 16, 21, true, true), spec(5, 8, 2, 9, 13, true, false), spec(3, 3, 11, 1, 7, false, true), spec(2, 32, 11, 3, 5, true, true)];
    const kernels = VARIANTS.map(([, make]) => make());
    for (const s of cases) {
      const r = rng(s.B * 31 + s.C);
      const feat = randomArray(r, s.B * s.C * s.h * s.w);
      const W = randomWeights(r, s);
      const results = [];
      for (const k of kernels) results.push(Array.from(await k.ssaLogits(feat, W, s)));
      expect(results[1], `B ${s.B} C ${s.C}: 2 threads sync`).toEqual(results[0]);
      expect(results[2], `B ${s.B} C ${s.C}: 2 threads async`).toEqual(results[0]);
    }
  });

  it('keeps every logit finite (and right) when the coarse logits reach ±80', async () => {
    const k = new WasmKernels({ threads: 1 });
    for (const [, sepa, sppa] of SWITCHES) {
      for (const [B, C, K, h, w] of [[2, 32, 11, 16, 21], [1, 8, 2, 3, 5], [1, 3, 11, 1, 1]] as const) {
        const s = spec(B, C, K, h, w, sepa, sppa);
        const r = rng(C * 7 + K + h);
        const feat = randomArray(r, B * C * h * w);
        // bseg ±80 and Wseg·x up to ~±40: the softmaxes see differences of > 100 (e^−100 underflows in f32)
        const W = randomWeights(r, s, 80);
        const want = refSsaLogits(feat, W, s);
        let mc = 0;
        for (let i = 0; i < K; i++) mc = Math.max(mc, Math.abs(W[1]![i]));
        expect(mc).toBeGreaterThan(40);
        const ours = await k.ssaLogits(feat, W, s);
        for (let i = 0; i < ours.length; i++) expect(Number.isFinite(ours[i]), `element ${i} finite`).toBe(true);
        expectNear(`±80 logits C ${C} K ${K} ${h}×${w} sepa ${sepa} sppa ${sppa}`, ours, want);
      }
    }
  });

  it('names the weight, the expected and the actual length when a weight is wrong', () => {
    const k = new WasmKernels({ threads: 1 });
    const s = spec(1, 8, 3, 4, 5, true, true);
    const r = rng(5);
    const feat = randomArray(r, 8 * 20);
    const W = randomWeights(r, s);
    // center_pos_proj.0.weight is [H, 2C] = [4, 16]: 64 floats
    const short = W.map((w, i) => (i === 5 ? w!.subarray(0, 60) : w));
    expect(() => k.ssaLogits(feat, short, s)).toThrow(/ssaLogits.*center_pos_proj\.0\.weight.*64.*60/);
    const missing = W.map((w, i) => (i === 9 ? null : w));
    expect(() => k.ssaLogits(feat, missing, s)).toThrow(/ssaLogits.*center_content_proj\.2\.weight.*32.*null/);
    expect(() => k.ssaLogits(feat, W.slice(0, 11), s)).toThrow(/ssaLogits.*12 weights/);
    // weights a switch leaves unused are not read: null or anything
    const sepaOnly = spec(1, 8, 3, 4, 5, true, false);
    const unused = W.map((w, i) => (i >= 2 && i <= 7 ? new Float32Array(1) : w));
    expect(() => k.ssaLogits(feat, unused, sepaOnly)).not.toThrow();
    expect(SSA_WEIGHT_NAMES[5]).toBe('center_pos_proj.0.weight');
  });
});
