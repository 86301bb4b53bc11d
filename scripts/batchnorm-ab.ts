/**
 * A/B of batch normalisation in training, fused host kernels (kinds 25 and 26) against BatchNorm's
 * composite on the same host kernels, interleaved in one process:
 * `npx tsx scripts/batchnorm-ab.ts [--runs 25] [--reps 10] [--iters 0] [--batch 8]`.
 * Part 1: BatchNorm forward + backward on the compact model's shapes (median µs of `runs` runs of
 * `reps` calls each, A and B alternating). Part 2 (with --iters N > 0): N training steps of the
 * default recipe on data/m2nist, the hook switched on and off every step, median ms per step and
 * launches per step of each.
 * The backend is the default one (cpu), or SSA_SEG_BACKEND.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { BatchNorm } from '../src/autograd/functions/norm.js';
import type { GpuBackend, HostKernels } from '../src/tensor/backends/gpu/gpu-backend.js';
import { warmUpWasmKernels } from '../src/tensor/backends/wasm/index.js';
import { backend } from '../src/tensor/engine.js';
import { defaultConfig } from '../src/train/config.js';
import { train } from '../src/train/trainer.js';

const { values: a } = parseArgs({
  options: {
    runs: { type: 'string', default: '25' },
    reps: { type: 'string', default: '10' },
    iters: { type: 'string', default: '0' },
    batch: { type: 'string', default: '8' },
  },
});
const RUNS = Number(a.runs);
const REPS = Number(a.reps);

const be = backend() as GpuBackend;
const hooked = be.host;
if (!hooked?.batchNormForward) throw new Error(`batchnorm-ab: the ${be.name} backend has no host batch-norm kernels`);
/** The same host kernels without the batch-norm hooks: BatchNorm runs its composite on them. */
const plain = Object.assign(Object.create(hooked) as HostKernels, { batchNormForward: undefined, batchNormBackward: undefined });
await warmUpWasmKernels();

const median = (v: number[]) => [...v].sort((x, y) => x - y)[Math.floor(v.length / 2)];

const SHAPES = [[8, 24, 16, 21], [8, 48, 8, 11], [8, 12, 32, 42], [8, 32, 16, 21], [8, 96, 8, 11]];
console.log(`BatchNorm forward + backward on ${be.name}, median µs per call of ${RUNS} runs × ${REPS} (A/B alternating)`);
console.log(`${'shape'.padEnd(16)} ${'fused'.padStart(8)} ${'composite'.padStart(10)} ${'ratio'.padStart(6)} launches`);
for (const shape of SHAPES) {
  const size = shape.reduce((x, y) => x * y, 1);
  const C = shape[1];
  const rnd = (n: number, off = 0) => Float32Array.from({ length: n }, (_, i) => off + Math.sin(i * 0.7311 + C));
  const x = be.upload(rnd(size), shape, 'float32');
  const dy = be.upload(rnd(size, 0.1), shape, 'float32');
  const w = be.upload(rnd(C, 1), [C], 'float32');
  const b = be.upload(rnd(C), [C], 'float32');
  const once = (): number => {
    const l0 = be.launches;
    const fn = new BatchNorm(1e-5);
    fn.b = be;
    fn.needsInputGrad = [true, true, true];
    const y = fn.forward(x, w, b);
    const grads = fn.backward(dy);
    for (const t of [y, fn.batchMean!, fn.batchVar!, ...grads]) t?.dispose();
    fn.release();
    return be.launches - l0;
  };
  const time = (h: HostKernels): [number, number] => {
    be.setHostKernels(h);
    const t0 = performance.now();
    let launches = 0;
    for (let r = 0; r < REPS; r++) launches = once();
    return [((performance.now() - t0) * 1000) / REPS, launches];
  };
  for (let i = 0; i < 5; i++) {
    time(hooked);
    time(plain);
  }
  const tA: number[] = [];
  const tB: number[] = [];
  let lA = 0;
  let lB = 0;
  for (let i = 0; i < RUNS; i++) {
    [tA[i], lA] = time(hooked);
    [tB[i], lB] = time(plain);
  }
  be.setHostKernels(hooked);
  const mA = median(tA);
  const mB = median(tB);
  console.log(`${`[${shape.join(',')}]`.padEnd(16)} ${mA.toFixed(0).padStart(8)} ${mB.toFixed(0).padStart(10)} ${(mB / mA).toFixed(2).padStart(6)} ${lA} vs ${lB}`);
  for (const t of [x, dy, w, b]) t.dispose();
}

const ITERS = Number(a.iters);
if (ITERS > 0) {
  const cfg = defaultConfig();
  cfg.data = 'data/m2nist';
  cfg.iters = ITERS;
  cfg.batch = Number(a.batch);
  cfg.checkpointInterval = ITERS * 10;
  cfg.out = mkdtempSync(join(tmpdir(), 'ssa-seg-bn-ab-'));
  const WARM = 10;
  const steps: { fused: boolean; ms: number; launches: number }[] = [];
  let t = 0;
  let l = 0;
  let fused = true;
  be.setHostKernels(hooked);
  try {
    await train(cfg, {
      evaluate: false,
      onStep: (s) => {
        const now = performance.now();
        if (s.iter > WARM) steps.push({ fused, ms: now - t, launches: be.launches - l });
        // NOTE: switched between steps, so each step's forward and backward run on one path
        fused = !fused;
        be.setHostKernels(fused ? hooked : plain);
        t = performance.now();
        l = be.launches;
      },
    });
  } finally {
    be.setHostKernels(hooked);
    rmSync(cfg.out, { recursive: true, force: true });
  }
  const of = (f: boolean) => steps.filter((s) => s.fused === f);
  const [A, B] = [of(true), of(false)];
  console.log(`training step, batch ${cfg.batch}, ${A.length} + ${B.length} steps after ${WARM} (alternating): ` +
    `fused ${median(A.map((s) => s.ms)).toFixed(1)} ms, composite ${median(B.map((s) => s.ms)).toFixed(1)} ms (ratio ${(median(B.map((s) => s.ms)) / median(A.map((s) => s.ms))).toFixed(3)}); ` +
    `launches per step ${median(A.map((s) => s.launches))} vs ${median(B.map((s) => s.launches))}`);
}
