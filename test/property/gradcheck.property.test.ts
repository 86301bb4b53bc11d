// Gradients of every differentiable op of the table, with a random non-uniform upstream dy (never mean()):
// (a) on the float64 reference, autograd matches central finite differences of the reference forward;
// (b) on each device backend, gradients match the reference's within the f32 gradient tolerance.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fcParams } from '../helpers/arbitraries.js';
import { describeDevices, REFERENCE, runWithGrad, skipIfUnavailable } from '../helpers/backends.js';
import { expectClose, forwardTolerance, loosen, testTolerance } from '../helpers/close.js';
import { numericalGrads } from '../helpers/gradcheck.js';
import { OP_SPECS, specLabel } from '../helpers/ops-spec.js';

const REF_RUNS = 6;
const DEVICE_RUNS = 8;
const DIFFERENTIABLE = OP_SPECS.filter((s) => s.differentiable).map((s) => [specLabel(s), s] as const);
const dySeed = fc.integer({ min: 1, max: 2 ** 31 - 1 });

describe('gradcheck on the float64 reference (central differences, random dy)', () => {
  const tol = testTolerance('gradcheck');
  it.each(DIFFERENTIABLE.filter(([, s]) => !s.skipNumericalGradcheck))('%s', async (label, spec) => {
    await fc.assert(
      fc.asyncProperty(spec.arb, dySeed, async (c, seed) => {
        const { grads, dy } = await runWithGrad(REFERENCE, c.inputs, c.run, seed);
        const numeric = await numericalGrads(c.inputs, c.run, dy, tol.eps);
        c.inputs.forEach((x, i) => {
          if (!x.grad) return;
          expectClose(grads[i]!, numeric[i]!, tol, `${label}: d/d input #${i} of ${c.desc}`, x.shape);
        });
      }),
      fcParams(REF_RUNS),
    );
  });
});

describeDevices('gradients match the reference', (dev) => {
  const gradTol = testTolerance('device-grad');
  it.for(DIFFERENTIABLE)('%s', async ([label, spec], ctx) => {
    skipIfUnavailable(dev, ctx);
    const fwdTol = loosen(forwardTolerance(dev.name), spec.tol?.forward);
    const tol = loosen(gradTol, spec.tol?.grad);
    await fc.assert(
      fc.asyncProperty(spec.arb, dySeed, async (c, seed) => {
        const want = await runWithGrad(REFERENCE, c.inputs, c.run, seed);
        const got = await runWithGrad(dev, c.inputs, c.run, seed);
        expect(got.shape, `${c.desc}: shape`).toEqual(want.shape);
        expectClose(got.values, want.values, fwdTol, `${label} on ${dev.id}: forward of ${c.desc}`, want.shape);
        c.inputs.forEach((x, i) => {
          if (!x.grad) return;
          expectClose(got.grads[i]!, want.grads[i]!, tol, `${label} on ${dev.id}: d/d input #${i} of ${c.desc}`, x.shape);
        });
      }),
      fcParams(DEVICE_RUNS),
    );
  });
});
