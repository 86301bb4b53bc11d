// SSAHead's fused inference pass (src/ssa/fused.ts, Backend.ssaLogits) against the composite of
// ordinary ops, on every device backend: the same logits to f32 rounding for each switch combination
// and several shapes; one launch where the backend has the fused pass (the CPU backends with
// WebAssembly kernels) and the composite elsewhere; never used where a gradient is needed.
// (The parity fixtures check both paths against the official head too: test/ssa/parity.test.ts.)
import { describe, expect, it } from 'vitest';
import { backend, backendInfo, manualSeed, noGrad, randn, tidy, type Tensor } from '../../src/index.js';
import { SSAHead, type SSAHeadOptions } from '../../src/ssa/index.js';
import type { GpuBackend } from '../../src/tensor/backends/gpu/gpu-backend.js';
import { describeDevices, on, skipIfUnavailable } from '../helpers/backends.js';
import { expectClose } from '../helpers/close.js';

interface Case {
  label: string;
  B: number;
  C: number;
  K: number;
  h: number;
  w: number;
  opts: Partial<SSAHeadOptions>;
}

const CASES: Case[] = [
  { label: 'full, B 2, C 8, K 4, 5×7', B: 2, C: 8, K: 4, h: 5, w: 7, opts: {} },
  { label: 'SEPA only, B 2, C 8, K 4, 5×7', B: 2, C: 8, K: 4, h: 5, w: 7, opts: { sppa: false } },
  { label: 'SPPA only, B 2, C 8, K 4, 5×7', B: 2, C: 8, K: 4, h: 5, w: 7, opts: { sepa: false } },
  { label: 'full, B 1, C 32, K 11, 16×21 (the bench head)', B: 1, C: 32, K: 11, h: 16, w: 21, opts: {} },
  { label: 'full, B 3, C 5 (odd), K 1, 1×1', B: 3, C: 5, K: 1, h: 1, w: 1, opts: {} },
  { label: 'full, B 1, C 6, K 3, 1×9', B: 1, C: 6, K: 3, h: 1, w: 9, opts: {} },
];

function makeHead(c: Case): SSAHead {
  manualSeed(11);
  const head = new SSAHead({ channels: c.C, numClasses: c.K, boundaryBorder: 1, ...c.opts });
  // Non-zero biases and a larger conv_seg than its N(0, 0.01) init, so every term of the pass matters
  // (the coarse softmaxes are then far from uniform).
  noGrad(() => {
    for (const [name, p] of head.namedParameters()) {
      const scale = name === 'conv_seg.weight' ? 1 : 0.5;
      const v = randn(p.shape).mul(scale);
      p.assign(v);
      v.dispose();
    }
  });
  return head.eval();
}

/** Launches the backend made while running fn (GpuBackend counts them; the reference does not). */
function launchesOf(fn: () => void): number {
  const bk = backend() as Partial<GpuBackend>;
  const l0 = bk.launches ?? 0;
  fn();
  return (bk.launches ?? 0) - l0;
}

describeDevices('SSAHead fused inference', (dev) => {
  it.for(CASES)('$label: the fused pass gives the composite logits to f32 rounding', async (c, ctx) => {
    skipIfUnavailable(dev, ctx);
    const { fused, composite, launchesFused, launchesComposite, host } = on(dev, () => {
      const head = makeHead(c);
      manualSeed(5);
      const feat = randn([c.B, c.C, c.h, c.w]).mul(2);
      let fusedOut: Tensor | null = null;
      let compositeOut: Tensor | null = null;
      const lf = launchesOf(() => {
        fusedOut = noGrad(() => head.forward(feat));
      });
      head.fusedInference = false;
      const lc = launchesOf(() => {
        compositeOut = noGrad(() => tidy(() => head.forward(feat)));
      });
      return { fused: fusedOut!, composite: compositeOut!, launchesFused: lf, launchesComposite: lc, host: backendInfo().hostKernels };
    });
    expect(fused.shape).toEqual([c.B, c.K, c.h, c.w]);
    const a = await fused.data();
    const b = await composite.data();
    // Logits are 15·cos, so |O| ≤ 15: an absolute 2e-5 is ~2⁻¹⁹·15, a few f32 ulps of the largest
    // logit after the ~C-term sums both paths round differently.
    expectClose(a, b, { atol: 2e-5, rtol: 1e-5 }, `${dev.id} ${c.label}: fused vs composite`, [c.B, c.K, c.h, c.w]);
    if (host === 'wasm') {
      expect(launchesFused, 'the fused pass is one launch').toBe(1);
    } else {
      expect(launchesFused, 'no fused pass here: the composite runs').toBe(launchesComposite);
    }
    expect(launchesComposite).toBeGreaterThan(10);
  });

  it('is not used where a gradient is needed: eval-mode forward under grad mode still backpropagates', async (ctx) => {
    skipIfUnavailable(dev, ctx);
    const grads = await on(dev, async () => {
      const head = makeHead(CASES[0]);
      const feat = randn([2, 8, 5, 7], { requiresGrad: true });
      const out = head.forward(feat);
      expect(out.requiresGrad).toBe(true);
      out.sum().backward();
      const g = await feat.grad!.data();
      return { feat: Array.from(g), w: Array.from(await head.center_proj!.weight.grad!.data()) };
    });
    expect(grads.feat.some((v) => v !== 0)).toBe(true);
    expect(grads.w.some((v) => v !== 0)).toBe(true);
  });

  it('leaves dropout out in eval mode and gives the same bits twice', async (ctx) => {
    skipIfUnavailable(dev, ctx);
    const [x, y] = await on(dev, async () => {
      const head = makeHead({ ...CASES[0], opts: { dropoutRatio: 0.5 } });
      const feat = randn([2, 8, 5, 7]);
      const o1 = noGrad(() => head.forward(feat));
      const o2 = noGrad(() => head.forward(feat));
      return [Array.from(await o1.data()), Array.from(await o2.data())];
    });
    expect(x).toEqual(y);
  });
});

describe('SSAHead fused inference on the float64 reference backend', () => {
  it('has no fused pass there: forward runs the composite (exact float64)', () => {
    on({ id: 'reference', name: 'reference', opts: {} }, () => {
      const head = makeHead(CASES[0]);
      const feat = randn([2, 8, 5, 7]);
      expect(backend().ssaLogits).toBeUndefined();
      const out = noGrad(() => head.forward(feat));
      expect(out.shape).toEqual([2, 4, 5, 7]);
    });
  });
});
