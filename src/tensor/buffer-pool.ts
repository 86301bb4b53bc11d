/**
 * A pool of large host Float32Arrays for the CPU backends' host kernels.
 *
 * Why: a fresh large typed array costs far more than its copy. Node allocates it with calloc, which
 * for blocks over glibc's mmap threshold maps new zero pages, and the first write to each 4 KiB
 * page is a page fault. Copying a 1 MiB result out of WebAssembly memory took 0.5 ms into a new
 * array and 0.02-0.07 ms into a reused one (Node 20 on the 2-core dev machine; docs/performance.md).
 * A training step allocates the same sizes every step, so giving the buffers of released storages
 * back to the next kernel that asks for that size removes most of those faults.
 *
 * Safety: only arrays the pool handed out are ever taken back (a WeakSet marks them), so arrays
 * gpu.js or a user created are never recycled. A storage gives its array back when its last
 * reference goes and no queued kernel still reads it (Storage.freeWhenIdle); nothing else keeps a
 * storage's array (`data()` copies).
 *
 * Bounds: arrays under MIN_FLOATS are not pooled (small blocks come from malloc's free lists and
 * cost little); at most `SSA_SEG_POOL_MB` MiB (default 256; 0 turns pooling off) are held, and when
 * a new array would exceed that, the sizes given back longest ago are dropped first.
 */

/** 64 KiB: below this, a new array is cheap. */
const MIN_FLOATS = 1 << 14;
const DEFAULT_MB = 256;

function capBytesFromEnv(): number {
  const p = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process;
  const v = p?.env?.SSA_SEG_POOL_MB?.trim();
  if (v === undefined || v === '') return DEFAULT_MB * 2 ** 20;
  const mb = Number(v);
  if (!Number.isFinite(mb) || mb < 0) throw new Error(`SSA_SEG_POOL_MB must be a number of MiB >= 0, got '${v}'`);
  return Math.floor(mb * 2 ** 20);
}

export interface BufferPoolStats {
  /** Bytes held for reuse now. */
  pooledBytes: number;
  /** Arrays handed out that came from the pool, and that had to be allocated. */
  hits: number;
  misses: number;
  /** The cap in bytes. */
  capBytes: number;
}

export class BufferPool {
  /** Free arrays by length; Map order is the order in which each length was last given back. */
  private readonly free = new Map<number, Float32Array[]>();
  private readonly owned = new WeakSet<Float32Array>();
  private pooled = 0;
  private hits = 0;
  private misses = 0;

  constructor(readonly capBytes: number) {}

  /** A Float32Array of length n with unspecified contents (the caller overwrites all of it). */
  take(n: number): Float32Array {
    if (n < MIN_FLOATS || this.capBytes === 0) return new Float32Array(n);
    const list = this.free.get(n);
    const a = list?.pop();
    if (a) {
      this.pooled -= n * 4;
      this.hits++;
      return a;
    }
    this.misses++;
    const fresh = new Float32Array(n);
    this.owned.add(fresh);
    return fresh;
  }

  /** Gives back an array that nothing reads any more; arrays the pool did not hand out are ignored. */
  give(a: Float32Array): void {
    if (!this.owned.has(a)) return;
    const bytes = a.length * 4;
    if (bytes > this.capBytes) return;
    while (this.pooled + bytes > this.capBytes) this.evictOldest();
    let list = this.free.get(a.length);
    if (list) this.free.delete(a.length);
    else list = [];
    // re-insert the length so Map order tracks recency
    this.free.set(a.length, list);
    list.push(a);
    this.pooled += bytes;
  }

  /** Drops every pooled array (they are left to the garbage collector). */
  clear(): void {
    this.free.clear();
    this.pooled = 0;
  }

  stats(): BufferPoolStats {
    return { pooledBytes: this.pooled, hits: this.hits, misses: this.misses, capBytes: this.capBytes };
  }

  private evictOldest(): void {
    const first = this.free.entries().next();
    if (first.done) return;
    const [n, list] = first.value;
    const dropped = list.shift();
    if (dropped) this.pooled -= n * 4;
    if (list.length === 0) this.free.delete(n);
  }
}

/** The process-wide pool the CPU backends and the WebAssembly kernels share. */
export const hostPool = new BufferPool(capBytesFromEnv());
