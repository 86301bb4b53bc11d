import { describe, expect, it } from 'vitest';
import { AdamW, SGD, paramGroups, polyLr, tensor, useBackend } from '../../src/index.js';
import { describeDevices, on, REFERENCE, seeded, skipIfUnavailable } from '../helpers/backends.js';

async function vals(t: { data(): Promise<ArrayLike<number>> }) {
  return Array.from(await t.data());
}

describe.each(['reference', 'cpu', 'webasm'] as const)('optimizers on %s', (name) => {
  it('SGD with momentum and weight decay follows torch.optim.SGD', async () => {
    useBackend(name);
    const p = tensor([1, -2], [2], { requiresGrad: true });
    const opt = new SGD([['w', p]], { lr: 0.1, momentum: 0.9, weightDecay: 0.5 });
    // step 1: g = [0.5, 1] + 0.5·[1, −2] = [1, 0]; buf = g; p = [1, −2] − 0.1·[1, 0] = [0.9, −2]
    p.grad = tensor([0.5, 1], [2]);
    opt.step();
    expect((await vals(p)).map((v) => +v.toFixed(6))).toEqual([0.9, -2]);
    // step 2: g = [0.5, 1] + 0.5·[0.9, −2] = [0.95, 0]; buf = 0.9·[1, 0] + g = [1.85, 0]; p = [0.9 − 0.185, −2]
    p.zeroGrad();
    p.grad = tensor([0.5, 1], [2]);
    opt.step();
    expect((await vals(p)).map((v) => +v.toFixed(6))).toEqual([0.715, -2]);
    opt.dispose();
  });

  it('AdamW names a parameter whose gradient has another shape', () => {
    useBackend(name);
    const p = tensor([1, 2, 3, 4], [2, 2], { requiresGrad: true });
    const opt = new AdamW([['w', p]], { lr: 0.1 });
    p.grad = tensor([1, 2, 3, 4], [4]);
    expect(() => opt.step()).toThrow("AdamW: the gradient of 'w' has shape [4], the parameter [2,2]");
    opt.dispose();
  });

  it('AdamW follows torch.optim.AdamW for two steps', async () => {
    useBackend(name);
    const p = tensor([1], [1], { requiresGrad: true });
    const opt = new AdamW([['w', p]], { lr: 0.1, weightDecay: 0.1, betas: [0.9, 0.999], eps: 1e-8 });
    // step 1 with g = 2: p ← 1·(1 − 0.01) = 0.99; m = 0.2, v = 0.004; m̂ = 2, v̂ = 4 → p = 0.99 − 0.1·2/(2 + 1e-8)
    p.grad = tensor([2], [1]);
    opt.step();
    const p1 = 0.99 - (0.1 * 2) / (2 + 1e-8);
    expect((await vals(p))[0]).toBeCloseTo(p1, 6);
    // step 2 with g = −1
    p.zeroGrad();
    p.grad = tensor([-1], [1]);
    opt.step();
    const m = 0.9 * 0.2 + 0.1 * -1;
    const v = 0.999 * 0.004 + 0.001 * 1;
    const bc1 = 1 - 0.9 ** 2;
    const bc2 = 1 - 0.999 ** 2;
    const p2 = p1 * (1 - 0.01) - (0.1 / bc1) * (m / (Math.sqrt(v) / Math.sqrt(bc2) + 1e-8));
    expect((await vals(p))[0]).toBeCloseTo(p2, 5);
    const state = opt.stateDict();
    expect(Object.keys(state.tensors).sort()).toEqual(['w.exp_avg', 'w.exp_avg_sq']);
    expect(state.step).toBe(2);
    opt.dispose();
  });
});

describe('parameter groups and schedules', () => {
  it('paramGroups applies lr and decay multipliers by name, first match wins', () => {
    useBackend('cpu');
    const t = tensor([1], [1]);
    const g = paramGroups(
      [['backbone.norm1.weight', t], ['decode_head.conv_seg.weight', t], ['decode_head.norm.bias', t]],
      [{ pattern: 'head', lrMult: 10 }, { pattern: /norm/, decayMult: 0 }],
    );
    expect(g.map((e) => [e.lrMult, e.decayMult])).toEqual([[1, 0], [10, 1], [10, 0]]);
  });

  it('poly schedule with linear warm-up matches mmcv', () => {
    const o = { baseLr: 0.01, maxIters: 100, power: 1, minLr: 0, warmupIters: 10, warmupRatio: 1e-6 };
    expect(polyLr(0, o)).toBeCloseTo(0.01 * 1e-6, 12);
    // iter 5: regular = 0.01·0.95; k = 0.5·(1 − 1e-6); lr = regular·(1 − k)
    expect(polyLr(5, o)).toBeCloseTo(0.0095 * (1 - 0.5 * (1 - 1e-6)), 12);
    expect(polyLr(10, o)).toBeCloseTo(0.009, 12);
    expect(polyLr(100, o)).toBe(0);
    expect(polyLr(50, { baseLr: 0.01, maxIters: 100, power: 0.9, minLr: 1e-4 })).toBeCloseTo((0.01 - 1e-4) * 0.5 ** 0.9 + 1e-4, 12);
  });
});

describeDevices('AdamW fused kernel', (dev) => {
  it('three steps on 5000 random values match the float64 reference backend (with decay and bias corrections)', async (ctx) => {
    skipIfUnavailable(dev, ctx);
    const rnd = seeded(7);
    const n = 5000;
    const p0 = Array.from({ length: n }, () => rnd() * 4 - 2);
    const grads = [0, 1, 2].map(() => Array.from({ length: n }, () => (rnd() - 0.5) * 10 ** (rnd() * 4 - 3)));
    const run = async (target: typeof REFERENCE) =>
      on(target, () => {
        const p = tensor(p0, [50, 100], { requiresGrad: true });
        const opt = new AdamW([['head.w', p]], { lr: 0.01, weightDecay: 0.05, rules: [{ pattern: 'head.', lrMult: 3 }] });
        for (const g of grads) {
          p.grad = tensor(g, [50, 100]);
          opt.step();
        }
        return p.data();
      });
    const want = await run(REFERENCE);
    const got = await run(dev);
    let worst = 0;
    for (let i = 0; i < n; i++) worst = Math.max(worst, Math.abs(got[i] - want[i]) / (1e-6 + Math.abs(want[i])));
    expect(worst).toBeLessThan(2e-5);
    // the update moved every value (so the comparison is not of untouched inputs)
    expect(p0.reduce((acc, v, i) => acc + Math.abs(want[i] - v), 0) / n).toBeGreaterThan(0.01);
  });
});
