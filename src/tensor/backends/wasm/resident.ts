/**
 * The resident heap: blocks of a shared WebAssembly memory that hold kernel outputs between jobs.
 *
 * Why: a host kernel used to copy every operand into its job arena and every result back out into
 * a host array. In the compact model's training step that was ~106 MiB of copies per step (67 MiB
 * in, 39 MiB out, ~5 ms of a ~30 ms step; docs/performance.md, "Session 14: tensors that stay in
 * WebAssembly memory"). A result that stays where the kernel wrote it, handed out as a Float32Array view of the
 * memory, is read in place by the next kernel: no copy on either side.
 *
 * Layout: the job arena keeps [64 KiB, base) and the heap takes [base, limit). Only a shared memory
 * holds resident blocks: growing it never detaches views (growing a plain memory would).
 *
 * Allocation: sizes are rounded up to 64 bytes, plus a 64-byte guard (blockBytes). A freed block
 * goes on the free list of its size; a request takes a block of exactly its size if one is free,
 * else bumps the top, else (the heap is full) the smallest free block that is large enough; if none
 * is, the caller falls back to the arena and a copy. A training step asks for the same sizes every
 * step, so after the first step every request is an exact reuse. Blocks are never split or merged:
 * the heap's footprint is bounded by its limit, and a block too large for a request is only taken
 * when nothing else fits.
 *
 * Lifetime: only callers that give every output back ask for resident blocks (WasmKernels with
 * `resident: true`, which installWasmKernels sets: GpuBackend.releaseValue calls its release() when
 * a tensor's storage goes). A view that is dropped without release() is freed when the garbage
 * collector finds it (WasmRuntime's FinalizationRegistry).
 */

/**
 * Bytes of a block for `bytes` of data: rounded up to 64, plus 64 bytes of guard. Some kernels load
 * or store whole vectors a few floats past the end of an operand; in the job arena that lands in the
 * next block of the same job, here it must not land in another live tensor.
 */
export function blockBytes(bytes: number): number {
  return Math.ceil(Math.max(bytes, 0) / 64) * 64 + 64;
}

export class ResidentHeap {
  private top: number;
  /** Free block addresses by block size (a size's list may be empty). */
  private readonly free = new Map<number, number[]>();
  /** Block size of every live block, by address. */
  private readonly live = new Map<number, number>();
  private liveBytes = 0;
  private freeBytes = 0;

  /**
   * @param base first byte of the heap (64-byte aligned)
   * @param limit end of the heap (exclusive)
   * @param ensure makes the memory at least `end` bytes long; false when it cannot grow that far
   */
  constructor(
    readonly base: number,
    readonly limit: number,
    private readonly ensure: (end: number) => boolean,
  ) {
    if (base % 64 !== 0 || !(limit > base)) throw new Error(`internal: resident heap [${base}, ${limit}) is not a 64-byte aligned range`);
    this.top = base;
  }

  /** A block for `bytes` bytes (64-byte aligned, not zeroed), or −1 when the heap has no room. */
  alloc(bytes: number): number {
    const size = blockBytes(bytes);
    const exact = this.free.get(size);
    if (exact && exact.length > 0) return this.take(exact, size);
    if (this.top + size <= this.limit && this.ensure(this.top + size)) {
      const p = this.top;
      this.top += size;
      this.live.set(p, size);
      this.liveBytes += size;
      return p;
    }
    let best = 0;
    for (const [s, list] of this.free) if (s > size && list.length > 0 && (best === 0 || s < best)) best = s;
    return best === 0 ? -1 : this.take(this.free.get(best)!, best);
  }

  /** Returns a live block to its free list; false if `p` is not a live block. */
  release(p: number): boolean {
    const size = this.live.get(p);
    if (size === undefined) return false;
    this.live.delete(p);
    this.liveBytes -= size;
    let list = this.free.get(size);
    if (!list) this.free.set(size, (list = []));
    list.push(p);
    this.freeBytes += size;
    return true;
  }

  /** Whether `p` is the address of a live block. */
  owns(p: number): boolean {
    return this.live.has(p);
  }

  /** Bytes in live blocks and on the free lists, and the high-water mark of the heap. */
  stats(): { liveBytes: number; freeBytes: number; topBytes: number } {
    return { liveBytes: this.liveBytes, freeBytes: this.freeBytes, topBytes: this.top - this.base };
  }

  private take(list: number[], size: number): number {
    const p = list.pop()!;
    this.freeBytes -= size;
    this.live.set(p, size);
    this.liveBytes += size;
    return p;
  }
}
