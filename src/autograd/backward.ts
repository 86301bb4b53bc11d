/**
 * The backward engine: an iterative topological walk from the root (no recursion, so a 10^5-op
 * chain cannot overflow the stack), gradient accumulation, `.grad` on leaves that require it, and
 * node release after use unless `retainGraph`.
 */
import { setScopeHook, type Disposable } from '../tensor/memory.js';
import type { RawTensor } from '../tensor/raw-tensor.js';
import { fmt, shapesEqual } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';
import type { AutogradFunction } from './function.js';

export interface BackwardOptions {
  /** Keep the graph (saved tensors) so backward can run through it again. */
  retainGraph?: boolean;
}

/** Nodes reachable from `root`, in topological order (root first). */
function topoOrder(root: AutogradFunction): AutogradFunction[] {
  const post: AutogradFunction[] = [];
  const visited = new Set<AutogradFunction>([root]);
  const stack: [AutogradFunction, number][] = [[root, 0]];
  while (stack.length > 0) {
    const top = stack[stack.length - 1];
    const [node, i] = top;
    if (i < node.parents.length) {
      top[1]++;
      const p = node.parents[i].gradFn;
      if (p && node.needsInputGrad[i] && !visited.has(p)) {
        visited.add(p);
        stack.push([p, 0]);
      }
    } else {
      stack.pop();
      post.push(node);
    }
  }
  return post.reverse();
}

/**
 * Accumulates d(root)/d(leaf) into `.grad` of every leaf that requires a gradient.
 * `dy` seeds the walk; it may be omitted only for a one-element root (seed 1).
 */
export function runBackward(root: Tensor, dy?: Tensor, opts: BackwardOptions = {}): void {
  if (!root.requiresGrad) {
    throw new Error(`backward: the tensor of shape ${fmt(root.shape)} does not require grad (no input of its graph has requiresGrad: true, or it was computed under noGrad)`);
  }
  if (dy === undefined && root.size !== 1) {
    throw new Error(`backward: the tensor has shape ${fmt(root.shape)}; backward without a gradient argument needs a one-element tensor (call .sum() or pass dy)`);
  }
  if (dy !== undefined && !shapesEqual(dy.shape, root.shape)) {
    throw new Error(`backward: dy has shape ${fmt(dy.shape)} but the tensor has shape ${fmt(root.shape)}`);
  }
  const b = root.storageFor('backward').owner as unknown as import('../tensor/backend.js').Backend;
  const seed: RawTensor = dy ?? b.fill(root.shape, 1, 'float32');
  const ownsSeed = dy === undefined;

  if (!root.gradFn) {
    accumulateLeaf(root, seed, b, ownsSeed);
    return;
  }
  if (root.gradFn.released) {
    throw new Error('backward: this graph was already freed by an earlier backward(); pass { retainGraph: true } to the first call to run backward twice');
  }
  const order = topoOrder(root.gradFn);
  const grads = new Map<AutogradFunction, RawTensor>([[root.gradFn, seed]]);
  const owned = new Set<RawTensor>(ownsSeed ? [seed] : []);
  const add = (key: AutogradFunction, g: RawTensor) => {
    const prev = grads.get(key);
    if (!prev) {
      grads.set(key, g);
      owned.add(g);
      return;
    }
    const sum = b.binary('add', prev, g);
    if (owned.has(prev)) prev.dispose();
    g.dispose();
    grads.set(key, sum);
    owned.add(sum);
  };
  for (const node of order) {
    const g = grads.get(node);
    if (!g) continue;
    if (node.released) {
      throw new Error(`backward: the graph through ${node.name} was already freed; pass { retainGraph: true } to the first backward()`);
    }
    const inputGrads = node.backward(g);
    grads.delete(node);
    if (owned.has(g)) g.dispose();
    const parents = node.parents;
    for (let i = 0; i < parents.length; i++) {
      const gi = inputGrads[i];
      if (!node.needsInputGrad[i]) {
        gi?.dispose();
        continue;
      }
      if (!gi) continue;
      const p = parents[i];
      if (!shapesEqual(gi.shape, p.shape)) {
        throw new Error(`backward: ${node.name} returned a gradient of shape ${fmt(gi.shape)} for input ${i} of shape ${fmt(p.shape)}`);
      }
      if (p.gradFn) add(p.gradFn, gi);
      else accumulateLeaf(p, gi, b, true);
    }
    if (!opts.retainGraph) node.release();
  }
}

function accumulateLeaf(leaf: Tensor, g: RawTensor, b: import('../tensor/backend.js').Backend, owned: boolean): void {
  if (!leaf.requiresGrad) {
    if (owned) g.dispose();
    return;
  }
  if (leaf.grad && !leaf.grad.isDisposed) {
    const sum = b.binary('add', leaf.grad, g);
    if (owned) g.dispose();
    leaf.grad.assignRaw(sum);
  } else {
    const t = owned ? Tensor.fromRaw(g) : Tensor.fromRaw(b.unary('copy', g));
    t.kept = true;
    leaf.grad = t;
  }
}

/**
 * When a tidy scope disposes tensors, free the graph nodes that produced them unless a tensor the
 * scope returns still reaches them (its backward will need them).
 */
setScopeHook((disposing: Disposable[], survivors: Disposable[]) => {
  const candidates: AutogradFunction[] = [];
  for (const h of disposing) if (h instanceof Tensor && h.gradFn && !h.gradFn.released) candidates.push(h.gradFn);
  if (candidates.length === 0) return;
  const reachable = new Set<AutogradFunction>();
  const stack: AutogradFunction[] = [];
  for (const h of survivors) if (h instanceof Tensor && h.gradFn) stack.push(h.gradFn);
  while (stack.length > 0) {
    const n = stack.pop()!;
    if (reachable.has(n)) continue;
    reachable.add(n);
    for (const p of n.parents) if (p.gradFn && !reachable.has(p.gradFn)) stack.push(p.gradFn);
  }
  for (const n of candidates) if (!reachable.has(n)) n.release();
});
