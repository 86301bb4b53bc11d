/**
 * Pure shape arithmetic: broadcasting, axis normalisation, strides. No tensors, no backends.
 * Every function here throws an `Error` whose message names the op and the shapes involved.
 */

/** A tensor shape: sizes from the outermost to the innermost axis. */
export type Shape = readonly number[];

/** Highest rank the kernels unravel (they work on flat storage with up to this many axes). */
export const MAX_RANK = 6;

/**
 * Largest element count of one tensor. Kernels index flat storage with float32 arithmetic on some
 * backends; 2^23 keeps every index and quotient exact.
 */
export const MAX_ELEMENTS = 2 ** 23;

/** Number of elements of a shape (1 for a scalar). */
export function sizeOf(shape: Shape): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/** Row-major (C-order) strides of a shape. */
export function stridesOf(shape: Shape): number[] {
  const s = new Array<number>(shape.length);
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    s[i] = acc;
    acc *= shape[i];
  }
  return s;
}

export function shapesEqual(a: Shape, b: Shape): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

export function fmt(shape: Shape): string {
  return `[${shape.join(', ')}]`;
}

/** Checks that a shape is a list of non-negative integers within the engine's limits. */
export function assertValidShape(op: string, shape: Shape, arg = 'shape'): void {
  if (!Array.isArray(shape)) throw new Error(`${op}: ${arg} must be an array of integers, got ${String(shape)}`);
  for (const d of shape) {
    if (!Number.isInteger(d) || d < 0) throw new Error(`${op}: ${arg} must hold non-negative integers, got ${fmt(shape)}`);
  }
  if (shape.length > MAX_RANK) throw new Error(`${op}: ${arg} ${fmt(shape)} has rank ${shape.length}; at most ${MAX_RANK} axes are supported`);
  if (sizeOf(shape) > MAX_ELEMENTS) {
    throw new Error(`${op}: ${arg} ${fmt(shape)} has ${sizeOf(shape)} elements; one tensor may hold at most ${MAX_ELEMENTS}`);
  }
}

/** NumPy/PyTorch broadcasting of two shapes. */
export function broadcastShapes(op: string, a: Shape, b: Shape): number[] {
  const n = Math.max(a.length, b.length);
  const out = new Array<number>(n);
  for (let i = 0; i < n; i++) {
    const da = i < n - a.length ? 1 : a[i - (n - a.length)];
    const db = i < n - b.length ? 1 : b[i - (n - b.length)];
    if (da !== db && da !== 1 && db !== 1) {
      throw new Error(`${op}: shapes ${fmt(a)} and ${fmt(b)} cannot be broadcast together (axis ${i - n} has sizes ${da} and ${db})`);
    }
    out[i] = da === 1 ? db : da;
  }
  return out;
}

/** Normalises one possibly negative axis for a tensor of the given rank. */
export function normalizeAxis(op: string, axis: number, rank: number, arg = 'axis'): number {
  if (!Number.isInteger(axis)) throw new Error(`${op}: ${arg} must be an integer, got ${axis}`);
  const lo = rank === 0 ? -1 : -rank;
  const hi = rank === 0 ? 0 : rank - 1;
  if (axis < lo || axis > hi) {
    throw new Error(`${op}: ${arg} ${axis} is out of range for a tensor of rank ${rank} (expected ${lo}..${hi})`);
  }
  return axis < 0 ? axis + Math.max(rank, 1) : axis;
}

/** Normalises `axis` (one, several, or undefined for all) to a sorted list of distinct axes. */
export function normalizeAxes(op: string, axis: number | readonly number[] | undefined, rank: number): number[] {
  if (axis === undefined) return Array.from({ length: rank }, (_, i) => i);
  const list = typeof axis === 'number' ? [axis] : [...axis];
  const out = list.map((a) => normalizeAxis(op, a, rank));
  if (rank === 0) return [];
  const sorted = [...new Set(out)].sort((x, y) => x - y);
  if (sorted.length !== out.length) throw new Error(`${op}: axis list [${list.join(', ')}] repeats an axis`);
  return sorted;
}

/** Axes along which `from` was broadcast to reach `to` (to sum a gradient back to `from`). */
export function reductionAxes(from: Shape, to: Shape): number[] {
  const lead = to.length - from.length;
  const axes: number[] = [];
  for (let i = 0; i < to.length; i++) {
    if (i < lead || (from[i - lead] === 1 && to[i] !== 1)) axes.push(i);
  }
  return axes;
}

/** Shape after reducing `axes` with keepdim=true (reduced axes become 1). */
export function keepdimShape(shape: Shape, axes: readonly number[]): number[] {
  return shape.map((d, i) => (axes.includes(i) ? 1 : d));
}

/** Shape after reducing `axes` with keepdim=false. */
export function squeezeAxes(shape: Shape, axes: readonly number[]): number[] {
  return shape.filter((_, i) => !axes.includes(i));
}

/** Resolves a -1 entry in a reshape target. */
export function inferReshape(op: string, from: Shape, to: readonly number[]): number[] {
  const n = sizeOf(from);
  const unknown = to.filter((d) => d === -1).length;
  if (unknown > 1) throw new Error(`${op}: only one -1 is allowed in the target shape, got ${fmt(to)}`);
  for (const d of to) {
    if (!Number.isInteger(d) || d < -1) throw new Error(`${op}: target shape ${fmt(to)} must hold integers >= -1`);
  }
  if (unknown === 1) {
    const known = to.filter((d) => d !== -1).reduce((a, b) => a * b, 1);
    if (known === 0 || n % known !== 0) {
      throw new Error(`${op}: cannot reshape ${fmt(from)} (${n} elements) into ${fmt(to)}`);
    }
    return to.map((d) => (d === -1 ? n / known : d));
  }
  if (sizeOf(to) !== n) throw new Error(`${op}: cannot reshape ${fmt(from)} (${n} elements) into ${fmt(to)} (${sizeOf(to)} elements)`);
  return [...to];
}

/**
 * The fewest axes that read the same cells as (shape, strides): size-1 axes are dropped, and an axis
 * merges into the next when stepping it is the same as stepping the next one through its whole size
 * (contiguous runs, and runs of broadcast axes with stride 0). The element order is unchanged.
 */
export function collapseAxes(shape: Shape, strides: readonly number[]): [number[], number[]] {
  const dims: number[] = [];
  const st: number[] = [];
  for (let i = 0; i < shape.length; i++) {
    if (shape[i] === 1) continue;
    const k = dims.length - 1;
    if (k >= 0 && st[k] === strides[i] * shape[i]) {
      dims[k] *= shape[i];
      st[k] = strides[i];
    } else {
      dims.push(shape[i]);
      st.push(strides[i]);
    }
  }
  return [dims, st];
}
