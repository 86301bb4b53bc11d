// interpolate's separable resampling in one launch (kind 23, WasmKernels.resample2d, Backend.resample2d,
// the Resample2d Function): the kernel against a float64 implementation over many shapes (up- and
// down-sampling, bilinear with and without alignCorners, nearest, odd widths, 1×1, 1–20 planes, the
// transposed bands of the backward, banded matrices with empty rows) and both pass orders; the same
// bits on 1 and 2 threads, synchronous and asynchronous; then the Function on every device backend
// against the two matmuls it replaces (values and gradients), against finite differences, and its
// launch counts.
import { afterAll, describe, expect, it } from 'vitest';
import { backend, backendInfo, interpolate, randn, tensor, type InterpolateOptions, type Tensor } from '../../src/index.js';
import { type ResampleAxis, resampleAxis } from '../../src/tensor/backend.js';
import type { GpuBackend } from '../../src/tensor/backends/gpu/gpu-backend.js';
import { WasmKernels, shutdownWasmKernels } from '../../src/tensor/backends/wasm/index.js';
import { resampleOrder } from '../../src/tensor/backends/wasm/jobs.js';
import { WasmRuntime } from '../../src/tensor/backends/wasm/runtime.js';
import { resampleMatrix } from '../../src/tensor/ops.js';
import { describeDevices, on, seeded, skipIfUnavailable } from '../helpers/backends.js';
import { expectClose } from '../helpers/close.js';

afterAll(() => shutdownWasmKernels());

type Mode = 'bilinear' | 'align' | 'nearest';

/** The dense [out, in] matrix of one axis, as interpolate builds it. */
function dense(inSize: number, outSize: number, mode: Mode): Float64Array {
  return mode === 'nearest' ? resampleMatrix(inSize, outSize, 'nearest', false) : resampleMatrix(inSize, outSize, 'bilinear', mode === 'align');
}

/** The dense [out, in] matrix back from a band description (the weights as the kernel holds them). */
function fromAxis(a: ResampleAxis): Float64Array {
  const m = new Float64Array(a.outSize * a.inSize);
  for (let o = 0; o < a.outSize; o++) for (let k = 0; k < a.count[o]; k++) m[o * a.inSize + a.start[o] + k] = a.weights[a.offset[o] + k];
  return m;
}

/**
 * out[p] = Rh · x[p] · Rwᵀ in float64 from the f32 weights, and Σ of the terms' magnitudes per output
 * (the scale of its rounding error).
 */
function ref(x: Float32Array, planes: number, h: ResampleAxis, w: ResampleAxis): { y: Float64Array; mag: Float64Array } {
  const [H, W, OH, OW] = [h.inSize, w.inSize, h.outSize, w.outSize];
  const Rh = fromAxis(h);
  const Rw = fromAxis(w);
  const y = new Float64Array(planes * OH * OW);
  const mag = new Float64Array(planes * OH * OW);
  for (let p = 0; p < planes; p++) {
    for (let o = 0; o < OH; o++) {
      for (let j = 0; j < OW; j++) {
        let s = 0;
        let m = 0;
        for (let i = 0; i < H; i++) {
          const a = Rh[o * H + i];
          if (a === 0) continue;
          for (let k = 0; k < W; k++) {
            const t = a * x[(p * H + i) * W + k] * Rw[j * W + k];
            s += t;
            m += Math.abs(t);
          }
        }
        y[(p * OH + o) * OW + j] = s;
        mag[(p * OH + o) * OW + j] = m;
      }
    }
  }
  return { y, mag };
}

function values(n: number, seed: number): Float32Array {
  const r = seeded(seed);
  return Float32Array.from({ length: n }, () => 2 * r() - 1);
}

/** A random banded [out, in] matrix: 0–3 nonzeros per row from a random start, some rows empty. */
function randomBand(inSize: number, outSize: number, seed: number): ResampleAxis {
  const r = seeded(seed);
  const m = new Float64Array(outSize * inSize);
  for (let o = 0; o < outSize; o++) {
    const c = Math.floor(r() * 4);
    const s = Math.floor(r() * inSize);
    for (let k = s; k < Math.min(inSize, s + c); k++) m[o * inSize + k] = Math.fround(2 * r() - 1);
  }
  return resampleAxis(m, outSize, inSize);
}

interface KCase {
  label: string;
  planes: number;
  h: ResampleAxis;
  w: ResampleAxis;
}

/** Kernel cases: each interpolate geometry forward and transposed (its backward), in every mode. */
function kernelCases(): KCase[] {
  const geo: [number, number, number, number, number][] = [
    // planes, H, W, OH, OW
    [1, 1, 1, 1, 1],
    [2, 1, 1, 3, 5],
    [3, 4, 4, 8, 8],
    [1, 16, 21, 64, 84],
    [20, 5, 7, 11, 13],
    [7, 9, 6, 3, 2],
    [4, 64, 84, 16, 21],
    [5, 13, 3, 13, 17],
    [6, 3, 17, 19, 4],
    [11, 8, 11, 16, 21],
    [2, 31, 33, 5, 1],
    [1, 2, 9, 1, 30],
  ];
  const out: KCase[] = [];
  for (const [planes, H, W, OH, OW] of geo) {
    for (const mode of ['bilinear', 'align', 'nearest'] as Mode[]) {
      const rh = dense(H, OH, mode);
      const rw = dense(W, OW, mode);
      const g = `${planes}×[${H}, ${W}] → [${OH}, ${OW}] ${mode}`;
      out.push({ label: `${g}, forward`, planes, h: resampleAxis(rh, OH, H), w: resampleAxis(rw, OW, W) });
      out.push({ label: `${g}, backward (transposed)`, planes, h: resampleAxis(rh, OH, H, true), w: resampleAxis(rw, OW, W, true) });
    }
  }
  for (const [i, [planes, H, W, OH, OW]] of ([[3, 10, 9, 7, 13], [2, 6, 23, 12, 5], [1, 1, 8, 4, 1]] as const).entries()) {
    out.push({ label: `${planes}×[${H}, ${W}] → [${OH}, ${OW}] random bands (empty rows)`, planes, h: randomBand(H, OH, 40 + i), w: randomBand(W, OW, 50 + i) });
  }
  return out;
}

const CASES = kernelCases();

const VARIANTS: [string, () => WasmKernels][] = [
  ['1 thread', () => new WasmKernels({ threads: 1 })],
  ['2 threads, sync', () => new WasmKernels({ threads: 2, parallelMinFlop: 0 })],
  ['2 threads, async', () => new WasmKernels({ threads: 2, parallelMinFlop: 0, async: true })],
];

describe('wasm resample2d (kind 23) vs float64', () => {
  const k = new WasmKernels({ threads: 1 });

  it('the cases run both pass orders', () => {
    const orders = new Set(CASES.map((c) => resampleOrder(c.h, c.w)));
    expect([...orders].sort()).toEqual([0, 1]);
  });

  it.each(CASES.map((c) => [c.label, c] as const))('%s', async (_label, c) => {
    const x = values(c.planes * c.h.inSize * c.w.inSize, c.planes * 131 + c.h.outSize);
    const ours = await k.resample2d(x, c.planes, c.h, c.w);
    const { y, mag } = ref(x, c.planes, c.h, c.w);
    expect(ours.length).toBe(y.length);
    // a few f32 roundings of each term and of the band-order sum, relative to the terms' magnitudes
    const bad: string[] = [];
    for (let i = 0; i < y.length; i++) if (!(Math.abs(ours[i] - y[i]) <= 1e-6 * mag[i] + 1e-30)) bad.push(`${i}: ${ours[i]} vs ${y[i]}`);
    expect(bad.slice(0, 5), `${bad.length} cells off`).toEqual([]);
  });

  it('forward and backward bands are adjoint: ⟨R x, y⟩ = ⟨x, Rᵀ y⟩', async () => {
    const [P, H, W, OH, OW] = [3, 16, 21, 64, 84];
    const rh = dense(H, OH, 'align');
    const rw = dense(W, OW, 'align');
    const x = values(P * H * W, 1);
    const y = values(P * OH * OW, 2);
    const Rx = await k.resample2d(x, P, resampleAxis(rh, OH, H), resampleAxis(rw, OW, W));
    const Rty = await k.resample2d(y, P, resampleAxis(rh, OH, H, true), resampleAxis(rw, OW, W, true));
    const dot = (a: Float32Array, b: Float32Array) => a.reduce((s, v, i) => s + v * b[i], 0);
    expect(Math.abs(dot(Rx, y) - dot(x, Rty))).toBeLessThan(1e-4 * Math.sqrt(P * OH * OW));
  });

  it('names the axis and what is wrong on bad arguments', () => {
    const h = resampleAxis(dense(4, 8, 'bilinear'), 8, 4);
    const w = resampleAxis(dense(5, 3, 'bilinear'), 3, 5);
    expect(() => k.resample2d(new Float32Array(10), 2, h, w)).toThrow(/resample2d: x has 10 floats, planes·H·W = 2·4·5 = 40 needed/);
    const broken = { ...w, start: Int32Array.from([0, 1, 4]), count: Int32Array.from([2, 2, 2]) };
    expect(() => k.resample2d(new Float32Array(40), 2, h, broken)).toThrow(/resample2d: axis w \(3 × 5\) row 2: start 4, count 2/);
    expect(() => k.resample2d(new Float32Array(40), 1.5, h, w)).toThrow(/planes must be a positive integer/);
  });
});

describe('wasm resample2d: the same bits on every thread count', () => {
  it.each(VARIANTS.slice(1))('%s gives the bits of 1 thread', async (_name, make) => {
    const one = new WasmKernels({ threads: 1 });
    const k = make();
    for (const c of CASES.filter((cc) => cc.planes >= 3)) {
      const x = values(c.planes * c.h.inSize * c.w.inSize, 7);
      expect(Array.from(await k.resample2d(x, c.planes, c.h, c.w)), c.label).toEqual(Array.from(await one.resample2d(x, c.planes, c.h, c.w)));
    }
  });
});

describe('wasm resample2d on a resident input', () => {
  it.each([0, 2 ** 40])('reads a view of the shared memory in place, with the bits of a copied input (parallelMinFlop %d)', async (parallelMinFlop) => {
    const one = new WasmKernels({ threads: 1 });
    const k = new WasmKernels({ threads: 2, parallelMinFlop, resident: true });
    for (const c of CASES) {
      const n = c.planes * c.h.inSize * c.w.inSize;
      // a resident view of exactly n floats: the vertical pass's whole-vector loads read past its end
      const v = k.unary('neg', values(n, 9), n) as Float32Array;
      expect(k.runtime.holds(v)).toBe(true);
      const allocs: string[] = [];
      const orig = WasmRuntime.prototype.alloc;
      WasmRuntime.prototype.alloc = function (this: WasmRuntime, bytes: number, what?: string) {
        allocs.push(what ?? '');
        return orig.call(this, bytes, what);
      };
      let got: Float32Array;
      try {
        got = (await k.resample2d(v, c.planes, c.h, c.w)) as Float32Array;
      } finally {
        WasmRuntime.prototype.alloc = orig;
      }
      expect(allocs, `${c.label}: no copy of the input`).not.toContain('resample2d input');
      expect(Array.from(got), c.label).toEqual(Array.from(await one.resample2d(v.slice(), c.planes, c.h, c.w)));
      expect(k.release(got) && k.release(v)).toBe(true);
    }
  });
});

/** Launches the backend made while running fn (GpuBackend counts them; the reference does not). */
function launchesOf<T>(fn: () => T): [T, number] {
  const bk = backend() as Partial<GpuBackend>;
  const l0 = bk.launches ?? 0;
  const r = fn();
  return [r, (bk.launches ?? 0) - l0];
}

/** Hides (or restores) the backend's resample2d hook on its instance, so the Function runs its matmuls. */
function hideHook(hide: boolean): void {
  const bk = backend() as { resample2d?: unknown };
  if (hide) bk.resample2d = undefined;
  else delete bk.resample2d;
}

const OPS: [string, number[], InterpolateOptions][] = [
  ['the loss [2, 11, 16, 21] → [64, 84], alignCorners', [2, 11, 16, 21], { size: [64, 84], mode: 'bilinear', alignCorners: true }],
  ['[1, 3, 8, 11] → [16, 21]', [1, 3, 8, 11], { size: [16, 21], mode: 'bilinear' }],
  ['[2, 2, 16, 21] → [5, 7] (down)', [2, 2, 16, 21], { size: [5, 7], mode: 'bilinear' }],
  ['[1, 4, 5, 7] scaleFactor [2.5, 0.5]', [1, 4, 5, 7], { scaleFactor: [2.5, 0.5], mode: 'bilinear' }],
  ['[2, 3, 9, 6] → [4, 13] nearest', [2, 3, 9, 6], { size: [4, 13], mode: 'nearest' }],
  ['[3, 1, 1, 1] → [3, 5]', [3, 1, 1, 1], { size: [3, 5], mode: 'bilinear', alignCorners: true }],
];

describeDevices('interpolate through Resample2d', (dev) => {
  it.for(OPS)('%s: the hook gives the matmuls\' values and gradients to f32 rounding', async ([, shape, opts], ctx) => {
    skipIfUnavailable(dev, ctx);
    // NOTE: every op runs inside on(): the backend is the device's only for on()'s synchronous part
    const { x, dy, host } = on(dev, () => {
      const x = randn(shape, { requiresGrad: true });
      const probe = interpolate(x.detach(), opts);
      const dy = randn(probe.shape);
      probe.dispose();
      return { x, dy, host: backendInfo().hostKernels };
    });
    const run = async (hide: boolean) => {
      const { y, fwd, bwd } = on(dev, () => {
        hideHook(hide);
        try {
          const [y, fwd] = launchesOf(() => interpolate(x, opts));
          const [, bwd] = launchesOf(() => void y.backward(dy));
          return { y, fwd, bwd };
        } finally {
          hideHook(false);
        }
      });
      const out = { y: Array.from(await y.data()), dx: Array.from(await x.grad!.data()), fwd, bwd };
      x.grad = null;
      return out;
    };
    const fused = await run(false);
    const composite = await run(true);
    const n = shape.reduce((a, b) => a * b, 1);
    expectClose(fused.y, composite.y, { atol: 1e-6, rtol: 1e-5 }, `${dev.id}: y`, [fused.y.length]);
    expectClose(fused.dx, composite.dx, { atol: 1e-5, rtol: 1e-5 }, `${dev.id}: dx`, [n]);
    if (host === 'wasm') {
      expect(fused.fwd, 'forward: one launch').toBe(1);
      expect(composite.fwd, 'forward without the hook: two matmuls').toBe(2);
      expect(composite.bwd - fused.bwd, 'backward: one launch instead of two matmuls').toBe(1);
    } else {
      expect(fused.fwd, 'no hook here: the matmuls run').toBe(composite.fwd);
      expect(fused.bwd).toBe(composite.bwd);
    }
  });

  it('gradients match finite differences', async (ctx) => {
    skipIfUnavailable(dev, ctx);
    for (const [label, shape, opts] of OPS.slice(0, 5)) {
      const { x, w } = on(dev, () => {
        const x = randn(shape, { requiresGrad: true });
        const probe = interpolate(x.detach(), opts);
        const w = randn(probe.shape);
        probe.dispose();
        return { x, w };
      });
      const loss = (t: Tensor) => on(dev, () => interpolate(t, opts).mul(w).sum());
      on(dev, () => void loss(x).backward());
      const grad = await x.grad!.data();
      const xv = Float32Array.from(await x.data());
      const r = seeded(shape.length + shape[3]);
      const g: number[] = [];
      const fd: number[] = [];
      // L is linear in x, so a central difference with a large step is exact up to f32 rounding
      const eps = 0.25;
      const at = async (i: number, d: number) => {
        const v = Float32Array.from(xv);
        v[i] += d;
        return (await loss(on(dev, () => tensor(v, shape))).data())[0];
      };
      for (let s = 0; s < 6; s++) {
        const i = Math.floor(r() * xv.length);
        fd.push(((await at(i, eps)) - (await at(i, -eps))) / (2 * eps));
        g.push(grad[i]);
      }
      expectClose(g, fd, { atol: 2e-3, rtol: 1e-3 }, `${dev.id} ${label}: dL/dx vs finite differences`, [g.length]);
    }
  });
});

describe('interpolate on the float64 reference backend', () => {
  it('has no resample2d hook there: the Function runs its matmuls in float64', async () => {
    const { y, hook } = on({ id: 'reference', name: 'reference', opts: {} }, () => {
      const x = tensor([1, 2, 3, 4], [1, 1, 2, 2]);
      return { y: interpolate(x, { size: [3, 3], mode: 'bilinear', alignCorners: true }), hook: backend().resample2d };
    });
    expect(hook).toBeUndefined();
    expect(Array.from(await y.data())).toEqual([1, 1.5, 2, 2, 2.5, 3, 3, 3.5, 4]);
  });
});
