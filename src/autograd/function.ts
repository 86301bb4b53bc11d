/**
 * AutogradFunction: one node of the autograd graph, and the base class of every differentiable
 * primitive in `functions/`.
 *
 * NOTE (module rule): this file is a LEAF module. It imports only types, so that
 * `class Relu extends AutogradFunction` never meets an uninitialised binding whatever the import
 * order. The step that runs `forward` and wraps the output in a Tensor lives in `apply.ts`, which
 * may import Tensor. Cross-cycle values are used only inside function bodies, never at module top level.
 */
import type { Backend } from '../tensor/backend.js';
import type { RawTensor } from '../tensor/raw-tensor.js';
import type { Tensor } from '../tensor/tensor.js';

export abstract class AutogradFunction {
  /** Readable op name, used in error messages. */
  abstract readonly name: string;
  /** The tensors this node was applied to (gradients are routed back to them). */
  parents: Tensor[] = [];
  /** needsInputGrad[i]: whether parents[i] wants a gradient. */
  needsInputGrad: boolean[] = [];
  /** Raw handles kept for backward (through `saveForBackward` only). */
  saved: RawTensor[] = [];
  /** The backend the forward ran on; backward runs there too. */
  b!: Backend;
  private savedOnce = false;
  /** Set once `release()` ran (after backward, unless retainGraph). */
  released = false;

  /** Computes the output from raw inputs. Runs with the backend in `this.b`. */
  abstract forward(...inputs: RawTensor[]): RawTensor;

  /**
   * Gradients of the inputs from the output gradient `dy`, one per input (null where
   * needsInputGrad is false or the input is not differentiable). Uses raw ops only: no graph is
   * recorded during backward. Must not dispose `dy`.
   */
  abstract backward(dy: RawTensor): (RawTensor | null)[];

  /**
   * Keeps raw tensors for backward. Each one gets its own handle (sharing the storage), so the
   * caller may dispose its own handle. Call at most once per node, as in PyTorch.
   */
  saveForBackward(...xs: RawTensor[]): void {
    if (this.savedOnce) throw new Error(`${this.name}: saveForBackward may be called only once per node`);
    this.savedOnce = true;
    this.saved = xs.map((x) => this.share(x));
  }

  /** Implemented by apply.ts (it needs RawTensor as a value); see the module rule above. */
  protected share(x: RawTensor): RawTensor {
    return shareHook(x);
  }

  /** Drops the saved tensors and the links to parents. Idempotent. */
  release(): void {
    if (this.released) return;
    this.released = true;
    for (const s of this.saved) s.dispose();
    this.saved = [];
    this.parents = [];
  }
}

/** Installed by apply.ts: makes an untracked handle that shares x's storage. */
export let shareHook: (x: RawTensor) => RawTensor = () => {
  throw new Error('internal: autograd/apply.ts was not loaded');
};
export function setShareHook(f: (x: RawTensor) => RawTensor): void {
  shareHook = f;
}
