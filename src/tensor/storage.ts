/**
 * Storage: one device buffer (a typed array, a gpu.js Texture or a WebGPU buffer) with a reference
 * count. Handles (RawTensor, Tensor) share storages; the buffer is released when the last reference
 * goes. Storages produced by an asynchronous backend carry `ready`, the promise of their contents.
 */
import type { DType } from './dtype.js';

/** What a backend needs to free its buffers; kept minimal so this module imports no backend. */
export interface StorageOwner {
  readonly name: string;
  releaseValue(value: unknown): void;
}

/** Live counters, read through `memory()`. */
export const counters = { numStorages: 0, numBytes: 0, numTensors: 0 };

let nextStorageId = 1;

export class Storage {
  readonly id = nextStorageId++;
  /** Device handle; null while an asynchronous kernel is still producing it. */
  value: unknown = null;
  /** Pending production of `value` on asynchronous backends; null once settled or on sync backends. */
  ready: Promise<void> | null = null;
  /** Set when the kernel that produced this storage failed; reading it rethrows. */
  error: Error | null = null;
  refCount = 1;
  /** Queued kernels that will still read this buffer (async backends); they delay the free, not the count. */
  private holds = 0;
  released = false;

  constructor(
    readonly owner: StorageOwner,
    readonly size: number,
    readonly dtype: DType,
    /** Bytes per element on the device (4 for every gpu.js backend, 8 for the float64 oracle). */
    readonly bytesPerElement = 4,
  ) {
    counters.numStorages++;
    counters.numBytes += size * bytesPerElement;
  }

  retain(): void {
    if (this.released) throw new Error(`internal: retain of released storage #${this.id}`);
    this.refCount++;
  }

  /** Drops one reference. On the last one the storage stops counting and its buffer is freed. */
  release(): void {
    if (this.released) return;
    if (--this.refCount > 0) return;
    this.released = true;
    counters.numStorages--;
    counters.numBytes -= this.size * this.bytesPerElement;
    this.freeWhenIdle();
  }

  /** Marks a queued kernel that reads this buffer; `unhold` when it has run. */
  hold(): void {
    this.holds++;
  }

  unhold(): void {
    this.holds--;
    if (this.released) this.freeWhenIdle();
  }

  private freeWhenIdle(): void {
    if (this.holds > 0) return;
    // NOTE: a buffer still being produced is freed after its kernel settles, never under it.
    if (this.ready) this.ready.then(() => this.freeValue(), () => this.freeValue());
    else this.freeValue();
  }

  private freeValue(): void {
    if (this.value !== null) this.owner.releaseValue(this.value);
    this.value = null;
  }
}
