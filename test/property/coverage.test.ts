// The op table is complete and honest: every public op has an entry, every ALL_FUNCTIONS primitive is
// recorded by some entry's graph, each entry declares exactly the primitives its graph records, and
// non-differentiable ops give tensors with requiresGrad false even from inputs that require grad.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ALL_FUNCTIONS } from '../../src/autograd/functions/index.js';
import * as ops from '../../src/tensor/ops.js';
import { argmax, oneHot, tensor, tidy, type Tensor } from '../../src/index.js';
import { wasmKernelsEnabled } from '../../src/tensor/backends/wasm/index.js';
import { build, on, REFERENCE, type Target } from '../helpers/backends.js';
import { OP_SPECS, specLabel } from '../helpers/ops-spec.js';

/**
 * Exports of src/tensor/ops.ts that are not ops: creation functions (they take no tensor), the
 * autograd entry hook, the cross-backend copy, and the interpolation-matrix helper.
 */
const NOT_OPS = new Set([
  'tensor', 'zeros', 'ones', 'full', 'arange', 'eye', 'rand', 'randn', 'zerosLike', 'onesLike',
  'toBackend', 'backwardHook', 'resampleMatrix',
]);

/** Samples per entry when collecting the primitives its graph records (fixed seed: deterministic). */
const SAMPLES = 24;
const SEED = 20240501;

/** Class names of every graph node reachable from `t`. */
function recordedPrimitives(t: Tensor): Set<string> {
  const names = new Set<string>();
  const seen = new Set<object>();
  const stack = t.gradFn ? [t.gradFn] : [];
  while (stack.length > 0) {
    const node = stack.pop()!;
    if (seen.has(node)) continue;
    seen.add(node);
    names.add(node.constructor.name);
    for (const p of node.parents) if (p.gradFn) stack.push(p.gradFn);
  }
  return names;
}

/** `cpu` with its WebAssembly host kernels (installed by default), where `hostFns` entries record their fused primitives. */
const HOST_CPU: Target = { id: 'cpu', name: 'cpu', opts: {} };

/** Runs sampled cases of every entry (on the reference backend, or `target`) with grad, collecting what each records. */
function observe(specs = OP_SPECS, target: Target = REFERENCE): Map<(typeof OP_SPECS)[number], { recorded: Set<string>; requiresGrad: boolean[] }> {
  const out = new Map<(typeof OP_SPECS)[number], { recorded: Set<string>; requiresGrad: boolean[] }>();
  for (const spec of specs) {
    const recorded = new Set<string>();
    const requiresGrad: boolean[] = [];
    for (const c of fc.sample(spec.arb, { numRuns: SAMPLES, seed: SEED })) {
      on(target, () =>
        tidy(() => {
          const y = c.run(...build(c.inputs, true));
          requiresGrad.push(y.requiresGrad);
          for (const n of recordedPrimitives(y)) recorded.add(n);
        }),
      );
    }
    out.set(spec, { recorded, requiresGrad });
  }
  return out;
}

describe('op table coverage', () => {
  const seen = observe();
  const hostSpecs = OP_SPECS.filter((s) => s.hostFns);
  // NOTE: without the host kernels (SSA_SEG_WASM_KERNELS=0, no SIMD) cpu runs the composites: nothing to observe there
  const seenOnHost = wasmKernelsEnabled() ? observe(hostSpecs, HOST_CPU) : null;

  it('every op exported from src/tensor/ops.ts has an entry in OP_SPECS', () => {
    const exported = Object.entries(ops).filter(([k, v]) => typeof v === 'function' && !NOT_OPS.has(k)).map(([k]) => k);
    const covered = new Set(OP_SPECS.map((s) => s.op));
    expect(exported.filter((k) => !covered.has(k)), 'ops without an entry in test/helpers/ops-spec.ts').toEqual([]);
    expect(OP_SPECS.map((s) => s.op).filter((k) => !exported.includes(k)), 'entries naming no exported op').toEqual([]);
  });

  it('every ALL_FUNCTIONS primitive is recorded by the graph of some entry (host-kernel primitives: on cpu)', () => {
    const recorded = new Set([...seen.values(), ...(seenOnHost?.values() ?? [])].flatMap((v) => [...v.recorded]));
    if (!seenOnHost) for (const s of hostSpecs) for (const f of s.hostFns!) recorded.add(f);
    expect(ALL_FUNCTIONS.filter((f) => !recorded.has(f)), 'primitives no entry exercises').toEqual([]);
  });

  it.each(OP_SPECS.map((s) => [specLabel(s), s] as const))('%s declares exactly the primitives its graph records', (_, spec) => {
    const { recorded } = seen.get(spec)!;
    expect([...recorded].filter((f) => !spec.fns.includes(f)), 'recorded but not declared in fns').toEqual([]);
    expect(spec.fns.filter((f) => !recorded.has(f)), `declared in fns but not recorded in ${SAMPLES} samples`).toEqual([]);
  });

  (seenOnHost ? it : it.skip).each(hostSpecs.map((s) => [specLabel(s), s] as const))('%s declares exactly the primitives its graph records on cpu with host kernels (hostFns)', (_, spec) => {
    const { recorded } = seenOnHost!.get(spec)!;
    expect([...recorded].filter((f) => !spec.hostFns!.includes(f)), 'recorded but not declared in hostFns').toEqual([]);
    expect(spec.hostFns!.filter((f) => !recorded.has(f)), `declared in hostFns but not recorded in ${SAMPLES} samples`).toEqual([]);
  });

  it.each(OP_SPECS.filter((s) => !s.differentiable).map((s) => [specLabel(s), s] as const))(
    '%s is not differentiable: its output has requiresGrad false even when its inputs require grad',
    (_, spec) => {
      expect(seen.get(spec)!.requiresGrad.every((r) => r === false)).toBe(true);
      // Every float input of the sampled cases required grad (that is what build(…, true) does).
      const someFloatInput = fc.sample(spec.arb, { numRuns: SAMPLES, seed: SEED }).some((c) => c.inputs.some((x) => x.dtype === 'float32' && x.grad));
      if (spec.op !== 'oneHot' && spec.op !== 'cast') expect(someFloatInput).toBe(true);
    },
  );

  it('oneHot of labels computed from a tensor that requires grad does not require grad', () => {
    on(REFERENCE, () =>
      tidy(() => {
        const x = tensor([[0.1, 2, -1], [3, 0, 1]], undefined, { requiresGrad: true });
        const labels = argmax(x, 1);
        expect(labels.requiresGrad).toBe(false);
        expect(oneHot(labels, 3).requiresGrad).toBe(false);
      }),
    );
  });

  it('differentiable entries mark at least one input differentiable', () => {
    for (const s of OP_SPECS.filter((e) => e.differentiable)) {
      const cases = fc.sample(s.arb, { numRuns: 4, seed: SEED });
      expect(cases.every((c) => c.inputs.some((x) => x.grad)), specLabel(s)).toBe(true);
    }
  });
});
