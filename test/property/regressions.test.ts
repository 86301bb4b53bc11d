// Minimal repros of engine bugs the property tests found (all three fixed since), on every device
// backend under test. Should one come back on a backend, list it in that case's `bugOn` (the test is
// then `it.fails` there) and say why.
//
// 1. (fixed: empty inputs are replaced by a 1-cell stand-in no kernel reads) Size-0 inputs (PyTorch allows them): on every gpu.js mode but `cpu`, a kernel that READS a size-0
//    input while writing a non-empty output throws inside gpu.js ("Cannot read properties of
//    undefined (reading 'length')"): pad, sum over an empty axis, cat with an empty piece, matmul
//    with K = 0, and so the backward of an empty slice (it pads an empty dy) or of a broadcast add.
// 2. (fixed: NaN from (v−v)/(v−v) at run time) webgpu: powKernel and powScalarKernel return `Math.sqrt(-1)` for NaN; WGSL folds sqrt(-1.0) at
//    compile time and rejects the shader ("sqrt must be called with a value >= 0"), so every pow,
//    and rsqrt's backward (which uses powScalar), fails on webgpu whatever the values.
// 3. (fixed: uploads use their own kernel, uploadKernel) headlessgl: one gpu.js kernel object (per source) serves host-array and texture arguments of any
//    size. copyKernel does upload (host array), copy and int→float cast (texture); once it has run on
//    a texture, a later call at another size returns wrong values (upload of [1..5] reads back
//    [1, 0, 0, 0, 0]). Every gradient goes through this (dy upload, leaf-gradient copy), so most
//    device-gradient properties fail on headlessgl, with shrunk counterexamples that look harmless.
import { expect, it } from 'vitest';
import * as T from '../../src/index.js';
import type { BackendName, Tensor } from '../../src/index.js';
import { describeDevices, on, read, REFERENCE, runWithGrad, skipIfUnavailable, type HostInput, type Target } from '../helpers/backends.js';
import { expectClose, testTolerance } from '../helpers/close.js';

const f = (shape: number[], values: number[], grad = true): HostInput => ({ shape, dtype: 'float32', values, grad });
const ALL_BUT_CPU: readonly BackendName[] = [];

interface GradCase {
  name: string;
  inputs: HostInput[];
  run: (...xs: Tensor[]) => Tensor;
  /** Backends where the bug is known today. */
  bugOn: readonly BackendName[];
}

const GRAD_CASES: GradCase[] = [
  // 1. size-0 inputs
  { name: 'exp of [0, 3]', inputs: [f([0, 3], [])], run: (x) => T.exp(x), bugOn: [] },
  { name: 'add [0, 3] + [3] (backward sums over the empty axis)', inputs: [f([0, 3], []), f([3], [1, 2, 3])], run: (a, b) => T.add(a, b), bugOn: ALL_BUT_CPU },
  { name: 'sum of [0, 3] over the empty axis 0', inputs: [f([0, 3], [])], run: (x) => T.sum(x, 0), bugOn: ALL_BUT_CPU },
  { name: 'cat of [0, 3] and [2, 3]', inputs: [f([0, 3], []), f([2, 3], [1, 2, 3, 4, 5, 6])], run: (a, b) => T.cat([a, b], 0), bugOn: ALL_BUT_CPU },
  { name: 'pad of [0] by [1, 2]', inputs: [f([0], [])], run: (x) => T.pad(x, [1, 2], 5), bugOn: ALL_BUT_CPU },
  { name: 'matmul [2, 0] · [0, 3]', inputs: [f([2, 0], []), f([0, 3], [])], run: (a, b) => T.matmul(a, b), bugOn: ALL_BUT_CPU },
  { name: 'narrow(x[3], 0, 1, 0) (backward pads an empty dy)', inputs: [f([3], [1, 2, 3])], run: (x) => T.narrow(x, 0, 1, 0), bugOn: ALL_BUT_CPU },
  { name: 'slice(x[2, 3], 1, 2, 1) (empty; backward pads an empty dy)', inputs: [f([2, 3], [1, 2, 3, 4, 5, 6])], run: (x) => T.slice(x, 1, 2, 1), bugOn: ALL_BUT_CPU },
  // 2. NaN literal in the pow kernels
  { name: 'pow(x[1], y[1]) = 0.25^0.5', inputs: [f([1], [0.25]), f([1], [0.5])], run: (a, b) => T.pow(a, b), bugOn: [] },
  { name: 'pow(x[1], 0.5)', inputs: [f([1], [0.25])], run: (x) => T.pow(x, 0.5), bugOn: [] },
  { name: 'rsqrt(x[1]) (backward uses powScalar)', inputs: [f([1], [0.25])], run: (x) => T.rsqrt(x), bugOn: [] },
];

/** A sequence of ops run in one process; every step's values must match the reference's. */
interface SequenceCase {
  name: string;
  steps: { label: string; run: () => Tensor }[];
  bugOn: readonly BackendName[];
}

const SEQUENCE_CASES: SequenceCase[] = [
  {
    name: 'upload of 5 values after copyKernel ran on a texture (cast int32 → float32 of 1 value)',
    steps: [
      { label: 'tensor([7])', run: () => T.tensor([7], [1]) },
      { label: 'cast(int [5])', run: () => T.cast(T.tensor(new Int32Array([5]), [1]), 'float32') },
      { label: 'tensor([1, 2, 3, 4, 5]) (headlessgl reads [1, 0, 0, 0, 0])', run: () => T.tensor([1, 2, 3, 4, 5], [5]) },
    ],
    bugOn: [],
  },
  {
    name: 'upload of 5 values after a backward seeded with a 1-element dy (the leaf gradient is a copy)',
    steps: [
      {
        label: 'x.grad of add(x[1], 1) with dy = [2]',
        run: () => {
          const x = T.zeros([1], { requiresGrad: true });
          T.add(x, 1).backward(T.tensor([2], [1]));
          return x.grad!;
        },
      },
      { label: 'tensor([1, 2, 3, 4, 5])', run: () => T.tensor([1, 2, 3, 4, 5], [5]) },
    ],
    bugOn: [],
  },
  {
    name: 'cast int32 → float32 at two sizes',
    steps: [
      { label: 'cast(int [1, 2, 3])', run: () => T.cast(T.tensor(new Int32Array([1, 2, 3]), [3]), 'float32') },
      { label: 'cast(int [1, 2, 3, 4]) (headlessgl reads [0, 0, 0, 0])', run: () => T.cast(T.tensor(new Int32Array([1, 2, 3, 4]), [4]), 'float32') },
    ],
    bugOn: [],
  },
];

async function runSteps(target: Target, c: SequenceCase): Promise<Float64Array[]> {
  const out: Float64Array[] = [];
  for (const s of c.steps) {
    const t = on(target, s.run);
    out.push(await read(t));
    t.dispose();
  }
  return out;
}

describeDevices('engine regressions', (dev) => {
  for (const c of GRAD_CASES) {
    const known = c.bugOn.includes(dev.name);
    (known ? it.fails : it)(`${c.name}: forward and gradients match the reference${known ? ' (known engine bug here)' : ''}`, async (ctx) => {
      skipIfUnavailable(dev, ctx);
      const want = await runWithGrad(REFERENCE, c.inputs, c.run, 7);
      const got = await runWithGrad(dev, c.inputs, c.run, 7);
      expect(got.shape).toEqual(want.shape);
      expectClose(got.values, want.values, testTolerance('device-forward'), `${c.name}: forward`, want.shape);
      c.inputs.forEach((x, i) => expectClose(got.grads[i]!, want.grads[i]!, testTolerance('device-grad'), `${c.name}: d/d input #${i}`, x.shape));
    });
  }

  for (const c of SEQUENCE_CASES) {
    const known = c.bugOn.includes(dev.name);
    (known ? it.fails : it)(`${c.name}: every step matches the reference${known ? ' (known engine bug here)' : ''}`, async (ctx) => {
      skipIfUnavailable(dev, ctx);
      const want = await runSteps(REFERENCE, c);
      const got = await runSteps(dev, c);
      c.steps.forEach((s, i) => expectClose(got[i], want[i], testTolerance('device-forward'), `${c.name}, step ${i + 1}: ${s.label}`));
    });
  }
});
