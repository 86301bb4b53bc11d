/**
 * Reference conv2d (PyTorch semantics: NCHW, weight [Cout, Cin/groups, kh, kw], stride, padding,
 * dilation, groups) and 2-D pooling, each with its backward pass. Both backward passes loop over the
 * forward's index space and accumulate, so each is the adjoint of its forward by construction.
 */
import type { Conv2dSpec, PoolOp, Pool2dSpec } from '../../backend.js';

function assertNever(x: never, op: string): never {
  throw new Error(`${op}: unknown op ${JSON.stringify(x)}`);
}

/** Throws unless every named field of `spec` is an integer ≥ `min`. */
function checkFields<S extends object>(op: string, spec: S, keys: readonly (keyof S & string)[], min: number): void {
  for (const k of keys) {
    const v = spec[k];
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min) {
      throw new Error(`${op}: spec.${k} must be an integer >= ${min}, got ${String(v)} in ${JSON.stringify(spec)}`);
    }
  }
}

// ---- conv2d ----

/** The shapes a Conv2dSpec describes: x [N, Cin, H, W], w [Cout, Cin/groups, kh, kw], y [N, Cout, OH, OW]. */
export function convShapes(op: string, spec: Conv2dSpec): { x: number[]; w: number[]; y: number[] } {
  checkFields(op, spec, ['N', 'Cin', 'H', 'W', 'Cout', 'OH', 'OW', 'padH', 'padW'], 0);
  checkFields(op, spec, ['kh', 'kw', 'strideH', 'strideW', 'dilationH', 'dilationW', 'groups'], 1);
  const { N, Cin, H, W, Cout, kh, kw, OH, OW, groups } = spec;
  if (Cin % groups !== 0 || Cout % groups !== 0) {
    throw new Error(`${op}: groups (${groups}) must divide both Cin (${Cin}) and Cout (${Cout})`);
  }
  return { x: [N, Cin, H, W], w: [Cout, Cin / groups, kh, kw], y: [N, Cout, OH, OW] };
}

/**
 * Calls `tap(xi, wi, yi)` with flat indices for every product x[xi]·w[wi] that contributes to y[yi]
 * in the forward convolution, skipping taps that land in the zero padding:
 *   y[n, co, oh, ow] = Σ_{ci, i, j} x[n, g·CinG + ci, oh·sH − pH + i·dH, ow·sW − pW + j·dW] · w[co, ci, i, j]
 * with CinG = Cin/groups, CoutG = Cout/groups and g = floor(co / CoutG) the group of co.
 */
function forEachTap(spec: Conv2dSpec, tap: (xi: number, wi: number, yi: number) => void): void {
  const { N, Cin, H, W, Cout, kh, kw, OH, OW, groups } = spec;
  const CinG = Cin / groups;
  const CoutG = Cout / groups;
  for (let n = 0; n < N; n++) {
    for (let co = 0; co < Cout; co++) {
      const g = Math.floor(co / CoutG);
      for (let oh = 0; oh < OH; oh++) {
        for (let ow = 0; ow < OW; ow++) {
          const yi = ((n * Cout + co) * OH + oh) * OW + ow;
          for (let ci = 0; ci < CinG; ci++) {
            const c = g * CinG + ci; // absolute input channel
            for (let i = 0; i < kh; i++) {
              const h = oh * spec.strideH - spec.padH + i * spec.dilationH;
              if (h < 0 || h >= H) continue;
              for (let j = 0; j < kw; j++) {
                const w = ow * spec.strideW - spec.padW + j * spec.dilationW;
                if (w < 0 || w >= W) continue;
                const xi = ((n * Cin + c) * H + h) * W + w;
                const wi = ((co * CinG + ci) * kh + i) * kw + j;
                tap(xi, wi, yi);
              }
            }
          }
        }
      }
    }
  }
}

/** y [N, Cout, OH, OW] = conv(x [N, Cin, H, W], w [Cout, Cin/groups, kh, kw]), no bias. */
export function conv2d(x: Float64Array, w: Float64Array, spec: Conv2dSpec): Float64Array {
  const y = new Float64Array(spec.N * spec.Cout * spec.OH * spec.OW);
  forEachTap(spec, (xi, wi, yi) => {
    y[yi] += x[xi] * w[wi];
  });
  return y;
}

/** dx [N, Cin, H, W] = ∂⟨conv(x, w), dy⟩/∂x: every tap sends dy[yi]·w[wi] back to x[xi]. */
export function conv2dBackwardInput(dy: Float64Array, w: Float64Array, spec: Conv2dSpec): Float64Array {
  const dx = new Float64Array(spec.N * spec.Cin * spec.H * spec.W);
  forEachTap(spec, (xi, wi, yi) => {
    dx[xi] += dy[yi] * w[wi];
  });
  return dx;
}

/** dw [Cout, Cin/groups, kh, kw] = ∂⟨conv(x, w), dy⟩/∂w: every tap adds x[xi]·dy[yi] to w[wi]. */
export function conv2dBackwardWeight(x: Float64Array, dy: Float64Array, spec: Conv2dSpec): Float64Array {
  const dw = new Float64Array(spec.Cout * (spec.Cin / spec.groups) * spec.kh * spec.kw);
  forEachTap(spec, (xi, wi, yi) => {
    dw[wi] += x[xi] * dy[yi];
  });
  return dw;
}

// ---- pooling ----

/** The shapes a Pool2dSpec describes: x [N, C, H, W], y [N, C, OH, OW]. */
export function poolShapes(op: string, spec: Pool2dSpec): { x: number[]; y: number[] } {
  checkFields(op, spec, ['N', 'C', 'H', 'W', 'OH', 'OW', 'padH', 'padW'], 0);
  checkFields(op, spec, ['kh', 'kw', 'strideH', 'strideW'], 1);
  return { x: [spec.N, spec.C, spec.H, spec.W], y: [spec.N, spec.C, spec.OH, spec.OW] };
}

/**
 * Calls `window(yi, cells)` for every output element, with `cells` the flat x indices of the window's
 * in-bounds cells in row-major window order (padded cells are left out).
 */
function forEachWindow(spec: Pool2dSpec, window: (yi: number, cells: number[]) => void): void {
  const { N, C, H, W, OH, OW, kh, kw } = spec;
  for (let n = 0; n < N; n++) {
    for (let c = 0; c < C; c++) {
      for (let oh = 0; oh < OH; oh++) {
        for (let ow = 0; ow < OW; ow++) {
          const cells: number[] = [];
          for (let i = 0; i < kh; i++) {
            const h = oh * spec.strideH - spec.padH + i;
            if (h < 0 || h >= H) continue;
            for (let j = 0; j < kw; j++) {
              const w = ow * spec.strideW - spec.padW + j;
              if (w < 0 || w >= W) continue;
              cells.push(((n * C + c) * H + h) * W + w);
            }
          }
          window(((n * C + c) * OH + oh) * OW + ow, cells);
        }
      }
    }
  }
}

/**
 * The first cell of `cells` holding the window's largest value, or -1 for a window with no
 * in-bounds cell. NOTE: strict `>` keeps the first of tied maxima; a NaN wins at once (PyTorch
 * propagates NaN through max pooling, as `reduce` does through max).
 */
function firstMaxCell(x: Float64Array, cells: readonly number[]): number {
  let best = -1;
  for (const xi of cells) {
    if (Number.isNaN(x[xi])) return xi;
    if (best === -1 || x[xi] > x[best]) best = xi;
  }
  return best;
}

/**
 * y [N, C, OH, OW]. avg: Σ in-bounds cells / (kh·kw) (padded cells count as 0, PyTorch's
 * count_include_pad=True). max: largest in-bounds cell (padding acts as -inf; an all-padding window gives -inf).
 */
export function pool2d(op: PoolOp, x: Float64Array, spec: Pool2dSpec): Float64Array {
  const y = new Float64Array(spec.N * spec.C * spec.OH * spec.OW);
  const area = spec.kh * spec.kw;
  forEachWindow(spec, (yi, cells) => {
    switch (op) {
      case 'avg': {
        let s = 0;
        for (const xi of cells) s += x[xi];
        y[yi] = s / area;
        break;
      }
      case 'max': {
        const best = firstMaxCell(x, cells);
        y[yi] = best === -1 ? -Infinity : x[best];
        break;
      }
      default: assertNever(op, 'pool2d');
    }
  });
  return y;
}

/**
 * dx [N, C, H, W]. avg: each in-bounds cell of a window receives dy/(kh·kw). max: each window's dy
 * goes to its first maximal in-bounds cell (row-major window order). Overlapping windows accumulate.
 */
export function pool2dBackward(op: PoolOp, x: Float64Array, dy: Float64Array, spec: Pool2dSpec): Float64Array {
  const dx = new Float64Array(spec.N * spec.C * spec.H * spec.W);
  const area = spec.kh * spec.kw;
  forEachWindow(spec, (yi, cells) => {
    switch (op) {
      case 'avg':
        for (const xi of cells) dx[xi] += dy[yi] / area;
        break;
      case 'max': {
        const best = firstMaxCell(x, cells);
        if (best !== -1) dx[best] += dy[yi];
        break;
      }
      default: assertNever(op, 'pool2dBackward');
    }
  });
  return dx;
}
