/**
 * apply: runs a primitive's forward on raw inputs, wraps the output as a Tensor, and attaches the
 * node to the graph when grad mode is on and some input requires a gradient.
 */
import { backend } from '../tensor/engine.js';
import { RawTensor } from '../tensor/raw-tensor.js';
import { Tensor } from '../tensor/tensor.js';
import { setShareHook, type AutogradFunction } from './function.js';
import { isGradEnabled } from './grad-mode.js';

setShareHook((x: RawTensor) => {
  const s = x.storageFor('saveForBackward');
  s.retain();
  const h = new RawTensor(x.shape, x.dtype, s);
  h.kept = true;
  return h;
});

/** Checks that every input lives on the current backend and was not disposed. */
function checkInputs(op: string, inputs: readonly Tensor[]): void {
  const b = backend();
  for (let i = 0; i < inputs.length; i++) {
    const s = inputs[i].storageFor(op);
    if ((s.owner as unknown) !== b) {
      throw new Error(`${op}: argument ${i} lives on the ${s.owner.name} backend but ops now run on ${b.name}; move it with .to('${b.name}')`);
    }
  }
}

/** Runs `fn` on `inputs` and returns the output tensor, recording the node if needed. */
export function apply(fn: AutogradFunction, ...inputs: Tensor[]): Tensor {
  checkInputs(fn.name, inputs);
  fn.b = backend();
  const raw = fn.forward(...inputs);
  const needs = inputs.map((t) => t.requiresGrad);
  const out = Tensor.fromRaw(raw);
  if (isGradEnabled() && needs.some(Boolean)) {
    fn.parents = inputs;
    fn.needsInputGrad = needs;
    out.gradFn = fn;
    out.requiresGrad = true;
  } else {
    fn.release();
  }
  return out;
}

/** Wraps a raw result of a non-differentiable op (no graph node). */
export function constant(op: string, inputs: readonly Tensor[], f: () => RawTensor): Tensor {
  checkInputs(op, inputs);
  return Tensor.fromRaw(f());
}
