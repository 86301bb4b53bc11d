// Parity with the official SSA head: each fixture in ../shared/fixtures/ssa-parity holds one
// training step computed in float64 (params, inputs, intermediates, losses, gradients). The head
// loads the params with loadStateDict, runs forwardTrain with dropout off and backward on `total`.
import { existsSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { noGrad, type Tensor } from '../../src/index.js';
import { SSAHead, SSA_LOSS_NAMES, hostToTensors, readSafetensors, type SafetensorsContents } from '../../src/ssa/index.js';
import { REFERENCE, describeDevices, on, skipIfUnavailable, type Target } from '../helpers/backends.js';
import { expectClose, forwardTolerance } from '../helpers/close.js';

const FIXTURES = fileURLToPath(new URL('../../../shared/fixtures/ssa-parity/', import.meta.url));

function fixtureCases(): string[] {
  if (!existsSync(FIXTURES)) return [];
  return readdirSync(FIXTURES).filter((f) => /^case-.*\.safetensors$/.test(f)).sort();
}
const CASES = fixtureCases();

/** ‖a − b‖₂ / ‖b‖₂. */
function normRatio(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let n = 0;
  let d = 0;
  for (let i = 0; i < b.length; i++) {
    n += (a[i] - b[i]) ** 2;
    d += b[i] ** 2;
  }
  return d === 0 ? Math.sqrt(n) : Math.sqrt(n / d);
}

/** Per backend and quantity: the worst relative error seen over every case (printed at the end). */
const worst = new Map<string, Map<string, number>>();
function note(backend: string, quantity: string, err: number): void {
  const m = worst.get(backend) ?? new Map<string, number>();
  m.set(quantity, Math.max(m.get(quantity) ?? 0, err));
  worst.set(backend, m);
}

interface Run {
  fx: SafetensorsContents;
  values: Record<string, Float64Array>;
  boundary: Float64Array;
  losses: Record<string, number>;
  grads: Record<string, Float64Array>;
  evalLogits: Float64Array;
  evalComposite: Float64Array;
  forwardTrainMode: Float64Array;
}

/** Loads a fixture into a fresh head on `target`, runs one step, and reads everything back. */
async function runCase(target: Target, file: string): Promise<Run> {
  const fx = await readSafetensors(FIXTURES + file);
  const meta = fx.metadata;
  const step = on(target, () => {
    const all = hostToTensors(fx.tensors);
    const params: Record<string, Tensor> = {};
    for (const [k, v] of Object.entries(all)) if (k.startsWith('param.')) params[k.slice('param.'.length)] = v;
    const head = new SSAHead({ channels: Number(meta.C), numClasses: Number(meta.K), dropoutRatio: 0 });
    head.loadStateDict(params);
    const feat = all['input.feat'].requiresGrad_(true);
    const out = head.forwardTrain(feat, all['input.labels']);
    out.losses.total.backward();
    const trainForward = noGrad(() => head.forward(feat));
    const evalLogits = noGrad(() => head.eval().forward(feat));
    // The same through the composite of ordinary ops (the CPU backends otherwise run the fused pass).
    head.fusedInference = false;
    const evalComposite = noGrad(() => head.forward(feat));
    return { head, feat, out, trainForward, evalLogits, evalComposite };
  });
  const { head, feat, out } = step;
  const read = async (t: Tensor | null) => Float64Array.from(await t!.data());
  const values: Record<string, Float64Array> = {
    'out.coarse': await read(out.coarse),
    'out.logits': await read(out.logits),
    'out.logits_t': await read(out.teacherLogits),
    'out.Sp': await read(out.prototypes.Sp),
    'out.Pp': await read(out.prototypes.Pp),
    'out.Sp_t': await read(out.prototypes.SpT),
    'out.Pp_t': await read(out.prototypes.PpT),
  };
  const losses: Record<string, number> = {};
  for (const [k, v] of Object.entries(out.losses)) losses[k] = await v.item();
  const grads: Record<string, Float64Array> = { feat: await read(feat.grad) };
  for (const [k, p] of head.namedParameters()) grads[k] = await read(p.grad);
  return {
    fx,
    values,
    boundary: await read(out.targets.boundary),
    losses,
    grads,
    evalLogits: await read(step.evalLogits),
    evalComposite: await read(step.evalComposite),
    forwardTrainMode: await read(step.trainForward),
  };
}

function checkRun(target: Target, run: Run, file: string): void {
  const exp = run.fx.tensors;
  const exact = target.name === 'reference';
  // The float64 oracle follows the official float64 computation to rounding; float32 backends to
  // the README's 1e-4 (forward, losses) and 1e-3 (gradients, norm ratio).
  const fwdRatio = exact ? 1e-9 : 1e-4;
  const gradRatio = exact ? 1e-9 : 1e-3;
  const tol = exact ? { atol: 1e-9, rtol: 1e-9 } : forwardTolerance(target.name);
  for (const [k, v] of Object.entries(run.values)) {
    const e = exp[k].data;
    const r = normRatio(v, e);
    note(target.id, k, r);
    expect(r, `${file} ${k} norm ratio`).toBeLessThanOrEqual(fwdRatio);
    expectClose(v, e, tol, `${file} ${k}`, exp[k].shape);
  }
  // The boundary mask is exact on every backend (integer arithmetic below 2^24).
  expectClose(run.boundary, exp['out.boundary'].data, { atol: 0, rtol: 0 }, `${file} out.boundary`, exp['out.boundary'].shape);
  expect(Object.keys(run.losses).sort()).toEqual([...SSA_LOSS_NAMES, 'total'].sort());
  for (const [k, v] of Object.entries(run.losses)) {
    const e = exp[`loss.${k}`].data[0];
    const r = Math.abs(v - e) / Math.abs(e);
    note(target.id, `loss.${k}`, r);
    expect(r, `${file} loss.${k}: got ${v}, expected ${e}`).toBeLessThanOrEqual(exact ? 1e-9 : 1e-4);
  }
  expect(Object.keys(run.grads).length).toBe(Object.keys(exp).filter((k) => k.startsWith('grad.')).length);
  for (const [k, g] of Object.entries(run.grads)) {
    const e = exp[`grad.${k}`];
    expect(e, `${file} has no grad.${k}`).toBeDefined();
    const r = normRatio(g, e.data);
    note(target.id, `grad.${k}`, r);
    expect(r, `${file} grad.${k} norm ratio`).toBeLessThanOrEqual(gradRatio);
  }
  // Inference: eval.logits (dropout is off, so it equals the training-mode forward too), through the
  // fused pass where the backend has one and through the composite of ordinary ops.
  for (const [what, got] of [['eval.logits', run.evalLogits], ['eval.logits (composite)', run.evalComposite]] as const) {
    const r = normRatio(got, exp['eval.logits'].data);
    note(target.id, what, r);
    expect(r, `${file} ${what} norm ratio`).toBeLessThanOrEqual(fwdRatio);
    expectClose(got, exp['eval.logits'].data, tol, `${file} ${what}`);
  }
  expectClose(run.forwardTrainMode, run.values['out.logits'], { atol: 1e-6, rtol: 1e-6 }, `${file} forward() vs forwardTrain().logits`);
}

describe('SSA parity fixtures', () => {
  it('are present (../shared/fixtures/ssa-parity next to the repository)', () => {
    if (CASES.length === 0) throw new Error(`SSA parity fixtures are missing: expected case-*.safetensors in ${FIXTURES}`);
    expect(CASES.length).toBeGreaterThan(0);
  });
});

describe.each(CASES)('SSA head parity %s [reference]', (file) => {
  it('matches every intermediate, loss and gradient to float64 rounding', async () => {
    checkRun(REFERENCE, await runCase(REFERENCE, file), file);
  });
});

describeDevices('SSA head parity', (dev) => {
  for (const file of CASES) {
    it(file, async (ctx) => {
      skipIfUnavailable(dev, ctx);
      checkRun(dev, await runCase(dev, file), file);
    });
  }
});

afterAll(() => {
  const lines = ['SSA parity: worst relative error per backend (norm ratio; |Δ|/|e| for losses)'];
  for (const [backend, m] of worst) {
    lines.push(`  [${backend}]`);
    for (const [k, v] of [...m].sort()) lines.push(`    ${k.padEnd(40)} ${v.toExponential(2)}`);
  }
  console.log(lines.join('\n'));
});
