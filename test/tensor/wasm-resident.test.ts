// Resident outputs (src/tensor/backends/wasm/resident.ts): the heap's allocator on its own; kernel
// outputs handed out as views of the shared WebAssembly memory and read in place by later jobs; the
// same bits as copied outputs through a chain of different kernels; no kernel writing into another
// live tensor's block; release() and reuse; the fall-back to copies when the heap is full; the
// switch SSA_SEG_WASM_RESIDENT and the backend's release hook.
import { afterAll, describe, expect, it } from 'vitest';
import type { Conv2dSpec, MatmulSpec } from '../../src/tensor/backend.js';
import { GpuBackend } from '../../src/tensor/backends/gpu/gpu-backend.js';
import { WasmKernels, WasmRuntime, residentDefault, shutdownWasmKernels, threadsSupported } from '../../src/tensor/backends/wasm/index.js';
import { ResidentHeap, blockBytes } from '../../src/tensor/backends/wasm/resident.js';
import { useBackend } from '../../src/tensor/engine.js';
import { tidy } from '../../src/tensor/memory.js';
import { add, conv2d, gelu, matmul, mul, sum, tensor } from '../../src/tensor/ops.js';
import { seeded as rng, randomArray } from '../helpers/backends.js';

afterAll(() => shutdownWasmKernels());

describe('ResidentHeap', () => {
  const grown: number[] = [];
  const heap = () => new ResidentHeap(1 << 20, (1 << 20) + 4096, (end) => (grown.push(end), true));

  it('rounds blocks to 64 bytes plus a 64-byte guard', () => {
    expect(blockBytes(0)).toBe(64);
    expect(blockBytes(1)).toBe(128);
    expect(blockBytes(64)).toBe(128);
    expect(blockBytes(65)).toBe(192);
  });

  it('bumps, reuses an exact size last-in first-out, then takes the smallest larger free block, then reports -1', () => {
    const h = heap();
    const a = h.alloc(100); // 192-byte block
    const b = h.alloc(100);
    const c = h.alloc(1000); // 1088
    expect([a, b, c]).toEqual([1 << 20, (1 << 20) + 192, (1 << 20) + 384]);
    expect(grown.at(-1)).toBe((1 << 20) + 384 + 1088);
    expect(h.release(a)).toBe(true);
    expect(h.release(b)).toBe(true);
    expect(h.release(b)).toBe(false); // not live any more
    expect(h.release(12345)).toBe(false);
    expect(h.stats()).toEqual({ liveBytes: 1088, freeBytes: 384, topBytes: 384 + 1088 });
    expect(h.alloc(90)).toBe(b); // same block size (192): the last freed first
    expect(h.alloc(128)).toBe(a);
    // fill the rest of the 4096 bytes, free the 1088-byte block, then ask for more than the top has
    const rest = h.alloc(4096 - (384 + 1088) - 64);
    expect(rest).toBeGreaterThan(c);
    expect(h.release(c)).toBe(true);
    expect(h.alloc(500)).toBe(c); // best fit: the only free block large enough
    expect(h.alloc(500)).toBe(-1); // nothing free, no room at the top
    expect(h.owns(c)).toBe(true);
  });

  it('reports -1 when the memory cannot grow', () => {
    const h = new ResidentHeap(1 << 20, 1 << 21, () => false);
    expect(h.alloc(16)).toBe(-1);
  });

  it('refuses a misaligned or empty range', () => {
    expect(() => new ResidentHeap(100, 1 << 20, () => true)).toThrow(/64-byte aligned range/);
    expect(() => new ResidentHeap(1 << 20, 1 << 20, () => true)).toThrow(/64-byte aligned range/);
  });
});

describe.skipIf(!threadsSupported())('resident kernel outputs', () => {
  const conv: Conv2dSpec = { N: 2, Cin: 5, H: 9, W: 11, Cout: 7, kh: 3, kw: 3, OH: 9, OW: 11, strideH: 1, strideW: 1, padH: 1, padW: 1, dilationH: 1, dilationW: 1, groups: 1 };
  const mm = (M: number, K: number, N: number): MatmulSpec => ({ batch: 1, M, K, N, aBatch: 0, aRow: K, aCol: 1, bBatch: 0, bRow: N, bCol: 1 });

  /**
   * A chain of different kernels, each reading the previous outputs; returns every output (views
   * when resident) and a copy of each taken right after it was made.
   */
  async function chain(k: WasmKernels): Promise<{ outs: Float32Array[]; snaps: Float32Array[] }> {
    const r = rng(5);
    const x = randomArray(r, conv.N * conv.Cin * conv.H * conv.W);
    const w = randomArray(r, conv.Cout * conv.Cin * 9);
    const outs: Float32Array[] = [];
    const snaps: Float32Array[] = [];
    const keep = async (v: Float32Array | Promise<Float32Array>) => {
      const a = await v;
      outs.push(a);
      snaps.push(a.slice());
      return a;
    };
    const y = await keep(k.conv2d(x, w, conv));
    const g = await keep(k.gelu(y, y.length, false));
    const dx = await keep(k.conv2dBackwardInput(g, w, conv));
    await keep(k.conv2dBackwardWeight(dx, g, conv));
    const s = await keep(k.binary('mul', g, y, [1, 1, y.length], [0, 0, 1], [0, 0, 1]));
    // 7 × 99 by 99 × 2: s as a matrix, then the product's rows summed
    const m = await keep(k.matmul(s.subarray(0, 7 * 99), s.subarray(7 * 99, 7 * 99 + 99 * 2), mm(7, 99, 2)));
    await keep(k.sumRows(m, 7, 2));
    await keep(k.softmax(y, conv.N, conv.Cout, conv.OH * conv.OW, true));
    return { outs, snaps };
  }

  it('gives the same bits as copied outputs, as views of the shared memory, with every earlier output untouched', async () => {
    for (const isAsync of [false, true]) {
      const plain = await chain(new WasmKernels({ threads: 2, async: isAsync }));
      const k = new WasmKernels({ threads: 2, async: isAsync, resident: true, parallelMinFlop: isAsync ? 0 : undefined });
      const res = await chain(k);
      res.outs.forEach((o, i) => {
        expect(k.runtime.holds(o), `output ${i} is a view of the memory`).toBe(true);
        expect(plain.outs[i].buffer instanceof SharedArrayBuffer, `copied output ${i}`).toBe(false);
        // untouched by every later job
        expect(Array.from(o), `output ${i} after the chain`).toEqual(Array.from(res.snaps[i]));
        expect(Array.from(o), `output ${i} against the copied one`).toEqual(Array.from(plain.outs[i]));
      });
      for (const o of res.outs) expect(k.release(o)).toBe(true);
    }
  });

  it('reads a resident operand in place: no arena copy for it', () => {
    const k = new WasmKernels({ threads: 2, resident: true });
    const r = rng(6);
    const x = randomArray(r, 4096);
    const y = k.gelu(x, x.length, false) as Float32Array;
    const copies: string[] = [];
    const orig = WasmRuntime.prototype.alloc;
    WasmRuntime.prototype.alloc = function (this: WasmRuntime, bytes: number, what?: string) {
      copies.push(what ?? '');
      return orig.call(this, bytes, what);
    };
    let z: Float32Array;
    try {
      z = k.gelu(y, y.length, true) as Float32Array;
      k.gelu(x, x.length, true); // an ordinary array is copied
    } finally {
      WasmRuntime.prototype.alloc = orig;
    }
    expect(copies.filter((w) => w === 'tensor')).toHaveLength(1);
    expect(Array.from(z!)).toEqual(Array.from(new WasmKernels({ threads: 2 }).gelu(y.slice(), y.length, true) as Float32Array));
    k.release(y);
    k.release(z!);
  });

  it('release() frees the block for the next output of that size; other arrays are not taken', () => {
    const k = new WasmKernels({ threads: 2, resident: true });
    const x = randomArray(rng(7), 3001);
    const a = k.unary('neg', x, x.length) as Float32Array;
    const p = a.byteOffset;
    // a view of the same block made some other way is not one read() handed out
    expect(k.release(a.subarray(0, 16))).toBe(false);
    expect(k.release(new Float32Array(a.buffer, a.byteOffset, a.length))).toBe(false);
    expect(k.release(a)).toBe(true);
    expect(k.release(a)).toBe(false);
    expect(k.release(x)).toBe(false);
    expect(k.release(new Float32Array(new SharedArrayBuffer(64)))).toBe(false);
    const b = k.unary('neg', x, x.length) as Float32Array;
    expect(b.byteOffset).toBe(p);
    expect(Array.from(b)).toEqual(Array.from(x, (v) => -v));
    k.release(b);
  });

  it('falls back to a copied output when the heap is full, with the same result', () => {
    const rt = new WasmRuntime({ shared: true, threads: 2, residentBytes: 4096 });
    try {
      rt.keep = true;
      rt.reset();
      const small = rt.output(100, 'small');
      const big = rt.output(2000, 'big'); // 8000 bytes: more than the heap holds
      expect(rt.heap!.owns(small)).toBe(true);
      expect(rt.heap!.owns(big)).toBe(false);
      rt.f32.fill(3, big >> 2, (big >> 2) + 2000);
      const copy = rt.read(big, 2000);
      expect(rt.holds(copy)).toBe(false);
      expect(copy.every((v) => v === 3)).toBe(true);
      // the unread small block goes back to the heap with the next job
      rt.reset();
      expect(rt.heap!.owns(small)).toBe(false);
    } finally {
      rt.destroy();
    }
  });
});

describe('SSA_SEG_WASM_RESIDENT and the backend', () => {
  it('is on by default, off with 0, and a bad value is named', () => {
    const saved = process.env.SSA_SEG_WASM_RESIDENT;
    try {
      delete process.env.SSA_SEG_WASM_RESIDENT;
      expect(residentDefault()).toBe(true);
      process.env.SSA_SEG_WASM_RESIDENT = '0';
      expect(residentDefault()).toBe(false);
      process.env.SSA_SEG_WASM_RESIDENT = 'maybe';
      expect(() => residentDefault()).toThrow(/SSA_SEG_WASM_RESIDENT must be 0 or 1, got 'maybe'/);
    } finally {
      if (saved === undefined) delete process.env.SSA_SEG_WASM_RESIDENT;
      else process.env.SSA_SEG_WASM_RESIDENT = saved;
    }
  });

  it.skipIf(!threadsSupported()).each([false, true])('a model step on the backend frees every resident block it made (async %s)', async (isAsync) => {
    const be = useBackend('webasm', { async: isAsync }) as GpuBackend;
    const saved = be.host;
    const k = new WasmKernels({ threads: 2, async: isAsync, resident: true });
    try {
      be.setHostKernels(k);
      const heap = k.runtime.heap!;
      const r = rng(8);
      const x = tensor(randomArray(r, 2 * 4 * 12 * 12), [2, 4, 12, 12]);
      const w = tensor(randomArray(r, 6 * 4 * 9), [6, 4, 3, 3], { requiresGrad: true });
      const v = tensor(randomArray(r, 6 * 5), [6, 5], { requiresGrad: true });
      const live0 = heap.stats().liveBytes;
      for (let step = 0; step < 3; step++) {
        tidy(() => {
          const h = gelu(conv2d(x, w, null, { padding: 1 }));
          const flat = h.permute([0, 2, 3, 1]).reshape([-1, 6]);
          sum(mul(matmul(flat, v), add(matmul(flat, v), 1))).backward();
        });
        const [gw, gv] = await Promise.all([w.grad!.data(), v.grad!.data()]);
        expect(gw.every(Number.isFinite) && gv.every(Number.isFinite)).toBe(true);
        w.zeroGrad();
        v.zeroGrad();
      }
      await be.sync();
      expect(heap.stats().liveBytes).toBe(live0);
      for (const t of [x, w, v]) t.dispose();
    } finally {
      be.setHostKernels(saved);
      useBackend('reference');
    }
  });
});
