// Forward parity: every op of the table, on every device backend under test, matches the float64
// reference on the same float32 inputs (STYLE 5.9 tolerances, per-op loosening in ops-spec.ts).
import fc from 'fast-check';
import { expect, it } from 'vitest';
import { dropout, ones, tidy } from '../../src/index.js';
import { fcParams } from '../helpers/arbitraries.js';
import { describeDevices, on, read, REFERENCE, runForward, skipIfUnavailable } from '../helpers/backends.js';
import { expectClose, expectEqualArrays, forwardTolerance, loosen } from '../helpers/close.js';
import { OP_SPECS, specLabel } from '../helpers/ops-spec.js';

const RUNS = 8;

describeDevices('forward matches the reference', (dev) => {
  it.for(OP_SPECS.map((s) => [specLabel(s), s] as const))('%s', async ([label, spec], ctx) => {
    skipIfUnavailable(dev, ctx);
    const tol = loosen(forwardTolerance(dev.name), spec.tol?.forward);
    await fc.assert(
      fc.asyncProperty(spec.arb, async (c) => {
        const want = await runForward(REFERENCE, c.inputs, c.run);
        const got = await runForward(dev, c.inputs, c.run);
        expect(got.shape, `${c.desc}: shape`).toEqual(want.shape);
        expect(got.dtype, `${c.desc}: dtype`).toBe(want.dtype);
        if (spec.exact) expectEqualArrays(got.values, want.values, `${label} on ${dev.id}: ${c.desc}`, want.shape);
        else expectClose(got.values, want.values, tol, `${label} on ${dev.id}: ${c.desc}`, want.shape);
      }),
      fcParams(RUNS),
    );
  });

  it('dropout: a fixed seed gives the reference mask, and kept values are scaled so E[output] = input', async (ctx) => {
    skipIfUnavailable(dev, ctx);
    const n = 4096;
    for (const p of [0.1, 0.3, 0.75]) {
      const seed = 1234 + Math.round(p * 100);
      const run = () => tidy(() => dropout(ones([n]), p, { seed }));
      const [yDev, yRef] = [on(dev, run), on(REFERENCE, run)];
      const [got, want] = [await read(yDev), await read(yRef)];
      yDev.dispose();
      yRef.dispose();
      // Same positions dropped on both backends (the mask is drawn on the host from the seed).
      expectEqualArrays(got.map((v) => (v === 0 ? 0 : 1)), want.map((v) => (v === 0 ? 0 : 1)), `dropout mask, p=${p}`);
      // Kept entries are 1/(1−p) exactly up to float32 rounding.
      for (const v of got) if (v !== 0) expect(v).toBeCloseTo(1 / (1 - p), 5);
      // Mean of n Bernoulli(1−p)/(1−p) draws: 1 ± 5σ with σ = √(p / ((1−p) n)).
      const mean = got.reduce((a, b) => a + b, 0) / n;
      expect(Math.abs(mean - 1)).toBeLessThan(5 * Math.sqrt(p / ((1 - p) * n)));
    }
  });
});
