/**
 * interpolate forward + backward, Backend.resample2d (kind 23) against the two matmuls it replaces,
 * alternating in one process: `npx tsx scripts/bench-resample.ts [--rounds N] [--backend cpu|webasm] [--async]`.
 * Each round times one call of each path (order alternating per round) on each case; prints the
 * medians and their ratio. The composite runs with the hook hidden on the backend instance.
 */
import { parseArgs } from 'node:util';
import { interpolate, randn, setBackend, type BackendName, type InterpolateOptions, type Tensor } from '../src/index.js';
import { backend } from '../src/tensor/engine.js';
import { warmUpWasmKernels } from '../src/tensor/backends/wasm/index.js';

const { values: a } = parseArgs({ options: { rounds: { type: 'string', default: '40' }, backend: { type: 'string', default: 'cpu' }, async: { type: 'boolean', default: false } } });
const ROUNDS = Number(a.rounds);
const CASES: [string, number[], InterpolateOptions][] = [
  ['loss [8,11,16,21] → [64,84], align', [8, 11, 16, 21], { size: [64, 84], mode: 'bilinear', alignCorners: true }],
  ['[8,19,32,32] → [128,128]', [8, 19, 32, 32], { size: [128, 128], mode: 'bilinear', alignCorners: false }],
  ['FPN [8,32,8,11] → [16,21]', [8, 32, 8, 11], { size: [16, 21], mode: 'bilinear', alignCorners: false }],
  ['down [8,11,64,84] → [16,21]', [8, 11, 64, 84], { size: [16, 21], mode: 'bilinear', alignCorners: false }],
  ['nearest [8,11,16,21] → [64,84]', [8, 11, 16, 21], { size: [64, 84], mode: 'nearest' }],
];

const median = (v: number[]) => [...v].sort((p, q) => p - q)[Math.floor(v.length / 2)];

await warmUpWasmKernels();
await setBackend(a.backend as BackendName, { async: a.async });
{
  const bk = backend() as unknown as { resample2d?: unknown };
  // x and the output gradient are made once per case; a run is interpolate, its backward, and the
  // download of x's gradient (which waits for the work on an asynchronous backend)
  const run = async (x: Tensor, dy: Tensor, opts: InterpolateOptions, fused: boolean): Promise<number> => {
    if (fused) delete bk.resample2d;
    else bk.resample2d = undefined;
    const t0 = performance.now();
    const y = interpolate(x, opts);
    await y.backward(dy);
    await x.grad!.data();
    const ms = performance.now() - t0;
    x.grad!.dispose();
    x.grad = null;
    y.dispose();
    return ms;
  };
  for (const [label, shape, opts] of CASES) {
    const x = randn(shape, { requiresGrad: true });
    const probe = interpolate(x.detach(), opts);
    const dy = randn(probe.shape);
    probe.dispose();
    const t: Record<'fused' | 'composite', number[]> = { fused: [], composite: [] };
    for (let i = 0; i < 6; i++) await run(x, dy, opts, i % 2 === 0);
    for (let r = 0; r < ROUNDS; r++) {
      const order = r % 2 === 0 ? [true, false] : [false, true];
      for (const f of order) t[f ? 'fused' : 'composite'].push(await run(x, dy, opts, f));
    }
    x.dispose();
    dy.dispose();
    const f = median(t.fused);
    const c = median(t.composite);
    console.log(`${label.padEnd(36)} composite ${c.toFixed(3)} ms  fused ${f.toFixed(3)} ms  ×${(c / f).toFixed(2)}`);
  }
  delete bk.resample2d;
}
