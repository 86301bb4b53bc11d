// fast-check arbitraries for op inputs: shapes (broadcasting pairs, size-1 and odd sizes, ranks 0-4),
// axes (negative ones too) and float32 values inside an op's domain.
import fc from 'fast-check';
import type { Tensor } from '../../src/index.js';
import { seeded, sizeOfShape, type HostInput } from './backends.js';

/**
 * Value domains. `lattice`/`offLattice` are disjoint grids (0.1·k and 0.1·k + 0.05), so two inputs
 * drawn from them never tie and stay ≥ 0.05 apart (maximum/minimum, clamp bounds). `distinct` holds
 * no repeated value in a tensor (max/min/pool without ties). `ties` are small integers: comparisons
 * and argmax see equal values on purpose.
 */
export type Domain = 'any' | 'unit' | 'pos' | 'awayZero' | 'lattice' | 'offLattice' | 'distinct' | 'ties' | 'mask';

const dbl = (min: number, max: number) => fc.double({ min, max, noNaN: true, noDefaultInfinity: true });

function valuesArb(n: number, domain: Domain): fc.Arbitrary<number[]> {
  const arr = (a: fc.Arbitrary<number>) => fc.array(a, { minLength: n, maxLength: n });
  switch (domain) {
    case 'any': return arr(dbl(-3, 3));
    case 'unit': return arr(dbl(-1, 1));
    case 'pos': return arr(dbl(0.25, 3));
    case 'awayZero': return arr(fc.tuple(fc.boolean(), dbl(0.1, 3)).map(([s, v]) => (s ? -v : v)));
    case 'lattice': return arr(fc.integer({ min: -25, max: 25 }).map((k) => k / 10));
    case 'offLattice': return arr(fc.integer({ min: -25, max: 24 }).map((k) => k / 10 + 0.05));
    case 'distinct': return distinctValues(n);
    case 'ties': return arr(fc.integer({ min: -2, max: 2 }));
    case 'mask': return arr(fc.constantFrom(0, 1));
  }
}

/**
 * n distinct values in [-3, 3]: a shuffled grid, so that any n works (a unique-array draw would
 * stall once n exceeds the grid). Spacing ≥ 6/n, far above finite-difference steps and f32 rounding.
 */
function distinctValues(n: number): fc.Arbitrary<number[]> {
  const step = Math.min(1 / 64, 6 / Math.max(n, 1));
  return fc.integer({ min: 1, max: 2 ** 31 - 1 }).map((seed) => {
    const next = seeded(seed);
    const v = Array.from({ length: n }, (_, i) => (i - (n - 1) / 2) * step);
    for (let i = n - 1; i > 0; i--) {
      const j = Math.floor(next() * (i + 1));
      [v[i], v[j]] = [v[j], v[i]];
    }
    return v;
  });
}

/** Smallest normal float32. */
const F32_MIN_NORMAL = 2 ** -126;

/**
 * Rounds to float32 (both backends get the same bits). NOTE: GPU modes may flush float32 subnormals
 * to zero (WebGL and WGSL allow it), so inputs never hold one: they become 0.
 */
export function toF32(v: number): number {
  const r = Math.fround(v);
  return Math.abs(r) < F32_MIN_NORMAL ? 0 : r;
}

/** A float32 input of `shape` with values in `domain`. */
export function floatInput(shape: readonly number[], domain: Domain = 'any', grad = true): fc.Arbitrary<HostInput> {
  return valuesArb(sizeOfShape(shape), domain).map((v) => ({ shape: [...shape], dtype: 'float32' as const, values: v.map(toF32), grad }));
}

/** An int32 input of `shape` with values in [lo, hi]. */
export function intInput(shape: readonly number[], lo: number, hi: number): fc.Arbitrary<HostInput> {
  return fc.array(fc.integer({ min: lo, max: hi }), { minLength: sizeOfShape(shape), maxLength: sizeOfShape(shape) })
    .map((v) => ({ shape: [...shape], dtype: 'int32' as const, values: v, grad: false }));
}

/** Axis sizes: size-1 (broadcasting), even and odd. */
export const dim = fc.constantFrom(1, 2, 3, 4, 5);
/** Smaller axis sizes for ops whose cost grows fast (finite differences, convolutions). */
export const smallDim = fc.constantFrom(1, 2, 3);

/** A shape of rank minRank..maxRank with at most maxSize elements. */
export function shapeArb(minRank = 0, maxRank = 4, maxSize = 48, d: fc.Arbitrary<number> = dim): fc.Arbitrary<number[]> {
  return fc.array(d, { minLength: minRank, maxLength: maxRank }).filter((s) => sizeOfShape(s) <= maxSize);
}

/** A shape that broadcasts to `full`: some leading axes dropped, some axes set to 1. */
export function broadcastableTo(full: readonly number[]): fc.Arbitrary<number[]> {
  const r = full.length;
  return fc.tuple(fc.integer({ min: 0, max: r }), fc.array(fc.boolean(), { minLength: r, maxLength: r }))
    .map(([drop, ones]) => full.slice(drop).map((d, i) => (ones[i + drop] ? 1 : d)));
}

/** `count` shapes that broadcast together (each to a common full shape of rank 0-4). */
export function broadcastShapesArb(count: number, maxSize = 48): fc.Arbitrary<number[][]> {
  return shapeArb(0, 4, maxSize).chain((full) => fc.tuple(...Array.from({ length: count }, () => broadcastableTo(full))));
}

/** One axis of a rank-r tensor, as −r..r−1 (negative axes on purpose). */
export function axisArb(rank: number): fc.Arbitrary<number> {
  return fc.integer({ min: -rank, max: rank - 1 });
}

/** undefined (all axes), one axis, or a list of distinct axes (some negative), for rank r. */
export function axesArb(rank: number): fc.Arbitrary<number | number[] | undefined> {
  if (rank === 0) return fc.constant(undefined);
  const list = fc.subarray(Array.from({ length: rank }, (_, i) => i), { minLength: 1 })
    .chain((axes) => fc.tuple(...axes.map((a) => fc.constantFrom(a, a - rank))));
  return fc.oneof(fc.constant(undefined), axisArb(rank), list);
}

/** Formats a shape for case descriptions. */
export function fmtShape(shape: readonly number[]): string {
  return `[${shape.join(',')}]`;
}

/** One drawn case of an op: its inputs, the function to run, and a readable description. */
export interface OpCase {
  desc: string;
  inputs: HostInput[];
  run: (...xs: Tensor[]) => Tensor;
}

/** Makes a case that prints readably in fast-check counterexamples (description, shapes, small values). */
export function mkCase(desc: string, inputs: HostInput[], run: (...xs: Tensor[]) => Tensor): OpCase {
  const c: OpCase = { desc, inputs, run };
  Object.defineProperty(c, fc.toStringMethod, {
    enumerable: false,
    value: () => {
      const ins = inputs.map((x, i) => {
        const vals = x.values.length <= 16 ? ` = [${Array.from(x.values).join(', ')}]` : '';
        return `  #${i} ${x.dtype}${fmtShape(x.shape)}${x.grad ? ' (grad)' : ''}${vals}`;
      });
      return `${desc}\n${ins.join('\n')}`;
    },
  });
  return c;
}

/**
 * fast-check parameters for the property folder: `numRuns` (scaled by env SSA_SEG_FC_RUNS, a
 * multiplier, default 1) and a reproducible seed when env SSA_SEG_FC_SEED is set.
 */
export function fcParams(numRuns: number): { numRuns: number; seed?: number; endOnFailure?: boolean } {
  const scale = Number(process.env.SSA_SEG_FC_RUNS ?? '1');
  const seed = process.env.SSA_SEG_FC_SEED;
  return {
    numRuns: Math.max(1, Math.round(numRuns * (Number.isFinite(scale) && scale > 0 ? scale : 1))),
    ...(seed !== undefined && seed !== '' ? { seed: Number(seed) } : {}),
  };
}
