/**
 * RawTensor: a shape, a dtype and a reference to a Storage. No autograd. This is the currency of the
 * backend vocabulary and of backward rules. Every handle is tracked by the current `tidy` scope.
 */
import type { DType } from './dtype.js';
import { Storage, counters } from './storage.js';
import { fmt, sizeOf, type Shape } from './shape.js';
import { track } from './memory.js';

export class RawTensor {
  readonly shape: number[];
  readonly dtype: DType;
  /** Null once disposed. */
  protected storageRef: Storage | null;
  /** Set by `keep()`: tidy scopes leave this handle alone. */
  kept = false;

  constructor(shape: Shape, dtype: DType, storage: Storage) {
    this.shape = [...shape];
    this.dtype = dtype;
    this.storageRef = storage;
    counters.numTensors++;
    track(this);
  }

  get size(): number {
    return sizeOf(this.shape);
  }

  get rank(): number {
    return this.shape.length;
  }

  get isDisposed(): boolean {
    return this.storageRef === null;
  }

  /** The storage, or a clear error naming `op` if this handle was disposed. */
  storageFor(op: string): Storage {
    if (this.storageRef === null) {
      throw new Error(`${op}: a tensor of shape ${fmt(this.shape)} was used after it was disposed`);
    }
    return this.storageRef;
  }

  get storage(): Storage {
    return this.storageFor('tensor');
  }

  /** Releases this handle's reference to its storage. Idempotent. */
  dispose(): void {
    if (this.storageRef === null) return;
    this.storageRef.release();
    this.storageRef = null;
    counters.numTensors--;
  }

  /** Moves the storage reference out of this handle (which becomes disposed) without releasing it. */
  takeStorage(op: string): Storage {
    const s = this.storageFor(op);
    this.storageRef = null;
    counters.numTensors--;
    return s;
  }
}
