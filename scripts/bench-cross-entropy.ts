/**
 * crossEntropy forward + backward with int targets: the fused host kernels (kinds 21, 22) against
 * the composite (logSoftmax, nllLoss) on the same backend, alternating A/B in one process:
 * `npx tsx scripts/bench-cross-entropy.ts [--runs 25] [--backend cpu]`. Per shape it prints the
 * median ms of each path (a run: loss 'mean' with ignoreIndex 255 on ~10 % of the positions,
 * backward, and the gradient read back) and their ratio.
 */
import { parseArgs } from 'node:util';
import * as ss from '../src/index.js';
import { useBackend } from '../src/tensor/engine.js';
import { warmUpWasmKernels } from '../src/tensor/backends/wasm/index.js';

const { values: a } = parseArgs({ options: { runs: { type: 'string', default: '25' }, backend: { type: 'string', default: 'cpu' } } });
const RUNS = Number(a.runs);
useBackend(a.backend as 'cpu');
await warmUpWasmKernels();

const SHAPES = [[8, 11, 64, 84], [8, 19, 128, 128], [8, 150, 64, 64]];

async function once(x: ss.Tensor, t: ss.Tensor, fused: boolean): Promise<number> {
  const t0 = performance.now();
  const loss = ss.tidy(() => {
    const l = fused ? ss.crossEntropy(x, t, { ignoreIndex: 255 }) : ss.nllLoss(ss.logSoftmax(x, 1), t, { ignoreIndex: 255 });
    l.backward();
    return l;
  });
  await x.grad!.data();
  const ms = performance.now() - t0;
  loss.dispose();
  x.grad!.dispose();
  x.grad = null;
  return ms;
}

const median = (v: number[]) => [...v].sort((p, q) => p - q)[Math.floor(v.length / 2)];
console.log(`backend ${a.backend}, ${RUNS} alternating runs per path`);
for (const shape of SHAPES) {
  const [N, C, h, w] = shape;
  ss.manualSeed(1);
  const x = ss.randn(shape, { requiresGrad: true });
  const labels = Int32Array.from({ length: N * h * w }, (_, i) => ((i * 7919) % 10 === 0 ? 255 : (i * 31) % C));
  const t = ss.tensor(labels, [N, h, w], { dtype: 'int32' });
  const fusedMs: number[] = [];
  const compositeMs: number[] = [];
  // untimed rounds first: the first calls of a size also fault in fresh pages and pool buffers
  for (let i = 0; i < 10; i++) {
    await once(x, t, true);
    await once(x, t, false);
  }
  for (let i = 0; i < RUNS; i++) {
    // alternate which path goes first, so neither always follows the other's garbage
    if (i % 2 === 0) {
      fusedMs.push(await once(x, t, true));
      compositeMs.push(await once(x, t, false));
    } else {
      compositeMs.push(await once(x, t, false));
      fusedMs.push(await once(x, t, true));
    }
  }
  const f = median(fusedMs);
  const c = median(compositeMs);
  console.log(`[${shape.join(', ')}]  fused ${f.toFixed(2)} ms  composite ${c.toFixed(2)} ms  composite/fused ${(c / f).toFixed(2)}x  (fused min ${Math.min(...fusedMs).toFixed(2)}, composite min ${Math.min(...compositeMs).toFixed(2)})`);
  x.dispose();
  t.dispose();
}
