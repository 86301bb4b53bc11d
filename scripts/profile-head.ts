/**
 * Kernel launches and time of one SSA head forward (inference: eval mode, noGrad) and, with --train,
 * of one forwardTrain + backward: `SSA_SEG_PROFILE=1 npx tsx scripts/profile-head.ts [--batch B]
 * [--runs N] [--train]`. Features [B, 32, 16, 21], 11 classes (the bench's inference part). Prints
 * the launches per forward (deterministic), the median ms over the runs, and, when SSA_SEG_PROFILE
 * is set, the per-kernel calls of one forward.
 */
import { parseArgs } from 'node:util';
import * as ss from '../src/index.js';
import { SSAHead } from '../src/ssa/head.js';
import { backend } from '../src/tensor/engine.js';
import type { GpuBackend } from '../src/tensor/backends/gpu/gpu-backend.js';

const { values: a } = parseArgs({ options: { batch: { type: 'string', default: '1' }, runs: { type: 'string', default: '200' }, train: { type: 'boolean', default: false } } });
const B = Number(a.batch);
const C = 32;
const K = 11;
ss.manualSeed(0);
const head = new SSAHead({ channels: C, numClasses: K, boundaryBorder: 2 });
const feat = ss.randn([B, C, 16, 21]);
const labels = ss.tensor(Int32Array.from({ length: B * 64 * 84 }, (_, i) => (i * 7919) % K), [B, 64, 84], { dtype: 'int32' });
const bk = backend() as GpuBackend;

async function once(): Promise<void> {
  if (a.train) {
    head.train();
    const loss = ss.tidy(() => {
      const out = head.forwardTrain(feat, labels);
      out.losses.total.backward();
      return out.losses.total;
    });
    await loss.data();
    loss.dispose();
    head.zeroGrad();
  } else {
    head.eval();
    const out = ss.noGrad(() => ss.tidy(() => head.forward(feat)));
    await out.data();
    out.dispose();
  }
}

for (let i = 0; i < 5; i++) await once();
if (bk.profile) bk.profile.clear();
const l0 = bk.launches;
await once();
const launches = bk.launches - l0;
const prof = bk.profile ? [...bk.profile.entries()].map(([k, v]) => [k, { ...v }] as const) : [];
const times: number[] = [];
for (let i = 0; i < Number(a.runs); i++) {
  const t0 = performance.now();
  await once();
  times.push(performance.now() - t0);
}
times.sort((x, y) => x - y);
const med = times[Math.floor(times.length / 2)];
console.log(`${a.train ? 'train step (forwardTrain + backward)' : 'inference forward'}, batch ${B}, backend ${bk.name}: ${launches} launches, median ${med.toFixed(3)} ms (min ${times[0].toFixed(3)}) over ${times.length} runs`);
// Per kernel: launches in one forward, and mean ms per forward over every timed run.
const runs = Number(a.runs) + 1;
const total = bk.profile ? [...bk.profile.values()].reduce((s, v) => s + v.ms, 0) / runs : 0;
if (bk.profile) console.log(`  in kernels: ${total.toFixed(3)} ms per forward (the rest is JS op overhead)`);
for (const [k, v] of [...prof].sort((x, y) => y[1].calls - x[1].calls)) {
  console.log(`  ${k.padEnd(26)} ${String(v.calls).padStart(4)} ${(bk.profile!.get(k)!.ms / runs).toFixed(3).padStart(8)} ms`);
}
