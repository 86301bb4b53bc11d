/**
 * Per-kernel profile of training steps: `SSA_SEG_PROFILE=1 npx tsx scripts/profile-train.ts
 * [--head vanilla|ssa] [--iters N] [--batch B] [--data DIR]`. Trains the default recipe for N
 * iterations (default 40) into a temporary run folder, prints the mean ms per step after
 * step 10, and, when SSA_SEG_PROFILE is set, the kernels by total time (exact on synchronous backends).
 * The backend is the default one, or SSA_SEG_BACKEND.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { defaultConfig } from '../src/train/config.js';
import { train } from '../src/train/trainer.js';
import { backend } from '../src/tensor/engine.js';
import type { GpuBackend } from '../src/tensor/backends/gpu/gpu-backend.js';

const { values: a } = parseArgs({
  options: { head: { type: 'string', default: 'vanilla' }, iters: { type: 'string', default: '40' }, batch: { type: 'string', default: '4' }, data: { type: 'string', default: 'data/m2nist' } },
});
const cfg = defaultConfig();
cfg.data = a.data!;
cfg.head = a.head as 'vanilla' | 'ssa';
cfg.iters = Number(a.iters);
cfg.batch = Number(a.batch);
cfg.checkpointInterval = cfg.iters * 10;
cfg.out = mkdtempSync(join(tmpdir(), 'ssa-seg-profile-'));
const WARM = Math.min(10, cfg.iters - 1);
let t0 = 0;
let last = 0;
try {
  await train(cfg, {
    evaluate: false,
    onStep: (s) => {
      if (s.iter === WARM) t0 = performance.now();
      last = s.iter;
    },
  });
} finally {
  rmSync(cfg.out, { recursive: true, force: true });
}
const b = backend() as GpuBackend;
console.log(`${cfg.head} head, batch ${cfg.batch}, backend ${b.name}: ${((performance.now() - t0) / (last - WARM)).toFixed(1)} ms/step (mean of steps ${WARM + 1}-${last})`);
if (b.profile) {
  const rows = [...b.profile.entries()].sort((x, y) => y[1].ms - x[1].ms);
  const total = rows.reduce((s, [, v]) => s + v.ms, 0);
  const launches = rows.reduce((s, [, v]) => s + v.calls, 0);
  console.log(`kernels: ${(total / last).toFixed(1)} ms and ${(launches / last).toFixed(0)} launches per step (mean over all ${last} steps)`);
  console.log(`${'kernel'.padEnd(process.env.SSA_SEG_PROFILE === 'shapes' ? 70 : 28)} ${'calls'.padStart(7)} ${'ms'.padStart(8)} ${'share'.padStart(7)} ${'ms/call'.padStart(8)}`);
  for (const [k, v] of rows.slice(0, Number(process.env.SSA_SEG_PROFILE_ROWS ?? 25))) {
    console.log(`${k.padEnd(process.env.SSA_SEG_PROFILE === 'shapes' ? 70 : 28)} ${String(v.calls).padStart(7)} ${v.ms.toFixed(0).padStart(8)} ${((100 * v.ms) / total).toFixed(1).padStart(6)}% ${(v.ms / v.calls).toFixed(3).padStart(8)}`);
  }
} else console.log('(set SSA_SEG_PROFILE=1 for the per-kernel table)');
