/**
 * The host buffer pool (src/tensor/buffer-pool.ts): its bookkeeping on its own, then through the
 * CPU backends, where a released host-kernel output is handed to the next kernel of that size. The
 * backend tests check that recycling never changes a value that is still reachable: views keep
 * their storage, and on the asynchronous backend a queued kernel still reading a disposed input
 * keeps its buffer until it has run.
 */
import { describe, expect, it } from 'vitest';
import { conv2d, dispose, randn, useBackend } from '../../src/index.js';
import { BufferPool, hostPool } from '../../src/tensor/buffer-pool.js';
import type { GpuBackend } from '../../src/tensor/backends/gpu/gpu-backend.js';
import { WasmKernels } from '../../src/tensor/backends/wasm/index.js';
import { blockBytes } from '../../src/tensor/backends/wasm/resident.js';

const BIG = 1 << 14;

describe('BufferPool', () => {
  it('hands a given-back array to the next request of that length', () => {
    const p = new BufferPool(1 << 30);
    const a = p.take(BIG);
    expect(p.stats()).toMatchObject({ hits: 0, misses: 1, pooledBytes: 0 });
    p.give(a);
    expect(p.stats().pooledBytes).toBe(BIG * 4);
    expect(p.take(BIG + 4)).not.toBe(a);
    expect(p.take(BIG)).toBe(a);
    expect(p.stats()).toMatchObject({ hits: 1, misses: 2, pooledBytes: 0 });
  });

  it('never takes back arrays it did not hand out, nor small ones', () => {
    const p = new BufferPool(1 << 30);
    p.give(new Float32Array(BIG));
    const small = p.take(16);
    p.give(small);
    expect(p.stats().pooledBytes).toBe(0);
    expect(p.take(16)).not.toBe(small);
  });

  it('drops the lengths given back longest ago when over its cap', () => {
    const p = new BufferPool(2 * BIG * 4 + 100);
    const a = p.take(BIG);
    const b = p.take(BIG + 4);
    const c = p.take(BIG + 8);
    p.give(a);
    p.give(b);
    p.give(c); // over the cap: a (the oldest) goes
    expect(p.stats().pooledBytes).toBe((2 * BIG + 12) * 4);
    expect(p.take(BIG)).not.toBe(a);
    expect(p.take(BIG + 4)).toBe(b);
    expect(p.take(BIG + 8)).toBe(c);
  });

  it('with a cap of 0 pools nothing', () => {
    const p = new BufferPool(0);
    const a = p.take(BIG);
    p.give(a);
    expect(p.take(BIG)).not.toBe(a);
    expect(p.stats()).toMatchObject({ hits: 0, pooledBytes: 0 });
  });
});

const TARGETS = [
  { id: 'cpu', name: 'cpu', async: false },
  { id: 'webasm', name: 'webasm', async: false },
  { id: 'webasm-async', name: 'webasm', async: true },
] as const;

describe.each(TARGETS)('host buffer pool on $id', ({ name, async: isAsync }) => {
  // conv outputs of 2·8·48·48 = 36,864 floats: host-kernel outputs large enough to be pooled
  const x = () => randn([2, 3, 48, 48], { seed: 11 });
  const w = () => randn([8, 3, 3, 3], { seed: 12 }).mul(0.2);

  it('recycles a released output for the next one, and the values stay right', async () => {
    const be = useBackend(name, { async: isAsync }) as GpuBackend;
    // with resident outputs (wasm/resident.ts) the kernels recycle their own blocks instead of the pool
    const host = be.host;
    const heap = host instanceof WasmKernels && host.resident ? host.runtime.heap : null;
    const [xs, ws] = [x(), w()];
    const first = conv2d(xs, ws, null, { padding: 1 });
    const expected = await first.data();
    first.dispose();
    await Promise.resolve();
    const hits0 = hostPool.stats().hits;
    const free0 = heap?.stats().freeBytes ?? 0;
    const top0 = heap?.stats().topBytes ?? 0;
    const again = conv2d(xs, ws, null, { padding: 1 });
    expect(Array.from(await again.data())).toEqual(Array.from(expected));
    if (heap) {
      expect(free0).toBeGreaterThanOrEqual(blockBytes(2 * 8 * 48 * 48 * 4));
      expect(heap.stats().topBytes).toBe(top0);
      expect(heap.stats().freeBytes).toBeLessThan(free0);
    } else expect(hostPool.stats().hits).toBeGreaterThan(hits0);
    dispose([xs, ws, again]);
  });

  it('a view keeps its storage out of the pool after the original is disposed', async () => {
    useBackend(name, { async: isAsync });
    const [xs, ws] = [x(), w()];
    const y = conv2d(xs, ws, null, { padding: 1 });
    const view = y.reshape([2, 8 * 48 * 48]);
    const expected = await y.data();
    y.dispose();
    // a different result of the same size, which would overwrite y's buffer if it were recycled
    const other = conv2d(xs.mul(-3), ws, null, { padding: 1 });
    await other.data();
    expect(Array.from(await view.data())).toEqual(Array.from(expected));
    dispose([xs, ws, view, other]);
  });

  it('an input disposed while a kernel that reads it is still queued is not recycled under it', async () => {
    useBackend(name, { async: isAsync });
    const [xs, ws] = [x(), w()];
    const y = conv2d(xs, ws, null, { padding: 1 });
    const expected = (await y.data()).map((v) => Math.max(v, 0));
    const y2 = conv2d(xs, ws, null, { padding: 1 });
    const r = y2.relu(); // queued on the asynchronous backend
    y2.dispose();
    const other = conv2d(xs.mul(-3), ws, null, { padding: 1 });
    const got = await r.data();
    expect(Array.from(got)).toEqual(Array.from(expected));
    dispose([xs, ws, y, r, other]);
  });
});
