/**
 * Per-kernel profile of the bench's own training step (bench/train.ts: SegModel(11) with the
 * vanilla head and no dropout, batch 8 of 3×64×84, one fixed random batch, the trainer's AdamW):
 * `SSA_SEG_PROFILE=1 npx tsx scripts/profile-step.ts [--steps N] [--warmup W] [--rows R]`.
 * Unlike scripts/profile-train.ts, no data loading or augmentation runs between steps, so the
 * times are the ones `npm run bench -- train` reports for ours. Prints the median, quartile and
 * minimum ms per step after the warm-up steps and, when SSA_SEG_PROFILE is set (`shapes` keys the
 * rows by op and output shape too), the kernels by total time per step (exact on synchronous
 * backends). The backend is the default one, or SSA_SEG_BACKEND.
 */
import { parseArgs } from 'node:util';
import * as ss from '../src/index.js';
import { buildOurModel, HostRng, makeTrainerOptimizer, ourTrainStep, randomBatch } from '../bench/harness.js';
import type { GpuBackend } from '../src/tensor/backends/gpu/gpu-backend.js';

const { values: a } = parseArgs({
  options: { steps: { type: 'string', default: '60' }, warmup: { type: 'string', default: '10' }, rows: { type: 'string', default: '30' } },
});
const steps = Number(a.steps);
const warmup = Number(a.warmup);
if (!(Number.isInteger(steps) && steps > 0 && Number.isInteger(warmup) && warmup >= 0)) {
  throw new Error(`profile-step: --steps must be a positive integer and --warmup an integer >= 0, got ${a.steps} and ${a.warmup}`);
}
ss.manualSeed(0);
const model = buildOurModel({ head: 'vanilla', classes: 11, dropout: 0 });
model.train();
const opt = makeTrainerOptimizer(model);
const batch = randomBatch(new HostRng(7000), 8, 64, 84, 11);
const b = ss.backend() as GpuBackend;
const ms: number[] = [];
for (let i = 0; i < warmup + steps; i++) {
  if (i === warmup) b.profile?.clear();
  const t0 = performance.now();
  await ourTrainStep(model, opt, batch);
  if (i >= warmup) ms.push(performance.now() - t0);
}
ms.sort((x, y) => x - y);
const q = (f: number) => ms[Math.min(ms.length - 1, Math.floor(f * ms.length))].toFixed(1);
console.log(`bench train step, batch 8, backend ${b.name}: median ${q(0.5)} ms, p25 ${q(0.25)}, min ${ms[0].toFixed(1)} (${steps} steps after ${warmup})`);
if (b.profile) {
  const rows = [...b.profile.entries()].sort((x, y) => y[1].ms - x[1].ms);
  const total = rows.reduce((s, [, v]) => s + v.ms, 0);
  const launches = rows.reduce((s, [, v]) => s + v.calls, 0);
  console.log(`kernels: ${(total / steps).toFixed(1)} ms and ${(launches / steps).toFixed(0)} launches per step`);
  const w = process.env.SSA_SEG_PROFILE === 'shapes' ? 64 : 30;
  console.log(`${'kernel'.padEnd(w)} ${'calls/step'.padStart(10)} ${'ms/step'.padStart(8)} ${'share'.padStart(6)}`);
  for (const [k, v] of rows.slice(0, Number(a.rows))) {
    console.log(`${k.padEnd(w)} ${(v.calls / steps).toFixed(1).padStart(10)} ${(v.ms / steps).toFixed(2).padStart(8)} ${((100 * v.ms) / total).toFixed(1).padStart(5)}%`);
  }
} else console.log('(set SSA_SEG_PROFILE=1 for the per-kernel table)');
process.exit(0);
