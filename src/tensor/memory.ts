/**
 * Deterministic memory management: scopes (`tidy`), `keep`, `dispose`, and the `memory()` counters.
 * Every tensor handle registers with the innermost open scope when it is created; when the scope
 * closes, every handle it tracked that was neither returned nor kept is disposed.
 */
import { counters } from './storage.js';

/** The part of a handle the scopes need (RawTensor and Tensor satisfy it). */
export interface Disposable {
  kept: boolean;
  readonly isDisposed: boolean;
  dispose(): void;
}

const scopes: Set<Disposable>[] = [];

/** Called by every handle constructor. */
export function track(h: Disposable): void {
  if (scopes.length > 0) scopes[scopes.length - 1].add(h);
}

/**
 * Hook run when a scope closes, before its handles are disposed; autograd uses it to free the graph
 * nodes that only disposed tensors can reach. Registered once, by the autograd layer.
 */
type ScopeHook = (disposing: Disposable[], survivors: Disposable[]) => void;
let scopeHook: ScopeHook | null = null;
export function setScopeHook(h: ScopeHook): void {
  scopeHook = h;
}

/** Marks a handle (or every handle in a container) to survive enclosing `tidy` scopes. */
export function keep<T>(x: T): T {
  for (const h of handlesIn(x)) {
    h.kept = true;
    for (const s of scopes) s.delete(h);
  }
  return x;
}

/** Disposes a handle, an array of handles, or every handle found in an object. Idempotent. */
export function dispose(x: unknown): void {
  for (const h of handlesIn(x)) h.dispose();
}

function isDisposable(x: unknown): x is Disposable {
  return typeof x === 'object' && x !== null && typeof (x as Disposable).dispose === 'function' && 'kept' in x;
}

/** Every handle reachable through arrays, Maps and plain objects (not through handles themselves). */
export function handlesIn(x: unknown, out: Disposable[] = [], seen = new Set<unknown>()): Disposable[] {
  if (x === null || typeof x !== 'object' || seen.has(x)) return out;
  seen.add(x);
  if (isDisposable(x)) {
    out.push(x);
  } else if (Array.isArray(x)) {
    for (const v of x) handlesIn(v, out, seen);
  } else if (x instanceof Map) {
    for (const v of x.values()) handlesIn(v, out, seen);
  } else if (Object.getPrototypeOf(x) === Object.prototype) {
    for (const v of Object.values(x)) handlesIn(v, out, seen);
  }
  return out;
}

/**
 * Runs `fn` in a new scope and disposes every tensor created inside that `fn` neither returns nor
 * `keep`s. Returned tensors move to the enclosing scope. `fn` must be synchronous: ops return
 * tensors at once (their device work is queued), so a training step needs no `await` inside.
 *
 * @example
 * const loss = tidy(() => model.forward(x).sub(y).square().mean());
 */
export function tidy<T>(fn: () => T): T;
export function tidy<T>(name: string, fn: () => T): T;
export function tidy<T>(a: string | (() => T), b?: () => T): T {
  const fn = typeof a === 'function' ? a : b;
  const name = typeof a === 'string' ? a : 'tidy';
  if (typeof fn !== 'function') throw new Error(`${name}: expected a function`);
  const scope = new Set<Disposable>();
  scopes.push(scope);
  let result: T;
  try {
    result = fn();
  } catch (e) {
    scopes.pop();
    for (const h of scope) h.dispose();
    throw e;
  }
  scopes.pop();
  if (result instanceof Promise) {
    for (const h of scope) h.dispose();
    throw new Error(`${name}: the function returned a Promise; tidy scopes must be synchronous (await outside the tidy)`);
  }
  const returned = new Set(handlesIn(result));
  const disposing: Disposable[] = [];
  for (const h of scope) if (!returned.has(h) && !h.kept) disposing.push(h);
  if (scopeHook) scopeHook(disposing, [...returned]);
  for (const h of disposing) h.dispose();
  const parent = scopes[scopes.length - 1];
  if (parent) for (const h of returned) if (!h.kept && !h.isDisposed) parent.add(h);
  return result;
}

/** Live tensor handles, device storages and their bytes. */
export function memory(): { numTensors: number; numStorages: number; numBytes: number } {
  return { ...counters };
}
