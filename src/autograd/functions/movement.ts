/**
 * Differentiable movement primitives: reshape, permute, expand, slice, pad, cat, gather.
 * Each backward is the adjoint of its forward (reshape ↔ reshape, permute ↔ inverse permute,
 * expand ↔ sum, slice ↔ pad, cat ↔ slices, gather ↔ scatterAdd).
 */
import { AutogradFunction } from '../function.js';
import type { RawTensor } from '../../tensor/raw-tensor.js';
import { expand, permute, slice, sumTo, view } from '../../tensor/raw-ops.js';

/** y = x viewed with another shape (shares storage).  dx = dy viewed back. */
export class Reshape extends AutogradFunction {
  readonly name = 'reshape';
  private xShape: number[] = [];
  constructor(readonly shape: readonly number[]) {
    super();
  }
  forward(x: RawTensor) {
    this.xShape = x.shape;
    return view(x, this.shape);
  }
  backward(dy: RawTensor) {
    return [view(dy, this.xShape)];
  }
}

/** y = x.permute(perm).  dx = dy.permute(perm⁻¹). */
export class Permute extends AutogradFunction {
  readonly name = 'permute';
  constructor(readonly perm: readonly number[]) {
    super();
  }
  forward(x: RawTensor) {
    return permute(this.b, x, this.perm);
  }
  backward(dy: RawTensor) {
    const inv = new Array<number>(this.perm.length);
    this.perm.forEach((p, i) => (inv[p] = i));
    return [permute(this.b, dy, inv)];
  }
}

/** y = x broadcast to `shape`.  dx = Σ of dy over the broadcast axes (the one place that un-broadcasts). */
export class Expand extends AutogradFunction {
  readonly name = 'expand';
  private xShape: number[] = [];
  constructor(readonly shape: readonly number[]) {
    super();
  }
  forward(x: RawTensor) {
    this.xShape = x.shape;
    return expand(this.b, x, this.shape);
  }
  backward(dy: RawTensor) {
    return [sumTo(this.b, dy, this.xShape)];
  }
}

/**
 * y = x[start_i : start_i + size_i·step_i : step_i] per axis.
 * dx = dy placed back: for step > 1 the gradient is first spread out with zeros between entries,
 * then padded to x's shape.
 */
export class Slice extends AutogradFunction {
  readonly name = 'slice';
  private xShape: number[] = [];
  constructor(
    readonly starts: readonly number[],
    readonly sizes: readonly number[],
    readonly steps: readonly number[],
  ) {
    super();
  }
  forward(x: RawTensor) {
    this.xShape = x.shape;
    return slice(this.b, x, this.starts, this.sizes, this.steps);
  }
  backward(dy: RawTensor) {
    const b = this.b;
    let g = view(dy, dy.shape);
    for (let axis = 0; axis < this.steps.length; axis++) {
      const step = this.steps[axis];
      const n = this.sizes[axis];
      if (step === 1 || n === 0) continue;
      // [.., n, ..] → [.., n, 1, ..] → pad to [.., n, step, ..] → [.., n·step, ..] → first (n−1)·step+1
      const s = g.shape;
      const u = view(g, [...s.slice(0, axis + 1), 1, ...s.slice(axis + 1)]);
      g.dispose();
      const pads = u.shape.map((_, i) => (i === axis + 1 ? ([0, step - 1] as const) : ([0, 0] as const)));
      const p = b.pad(u, pads, 0);
      u.dispose();
      const flat = view(p, [...s.slice(0, axis), n * step, ...s.slice(axis + 1)]);
      p.dispose();
      const keep = flat.shape.map((d, i) => (i === axis ? (n - 1) * step + 1 : d));
      g = slice(b, flat, flat.shape.map(() => 0), keep, flat.shape.map(() => 1));
      flat.dispose();
    }
    const pads = this.xShape.map((d, i) => [this.starts[i], d - this.starts[i] - g.shape[i]] as const);
    const dx = b.pad(g, pads, 0);
    g.dispose();
    return [dx];
  }
}

/** y = x padded with a constant.  dx = the matching slice of dy. */
export class Pad extends AutogradFunction {
  readonly name = 'pad';
  private xShape: number[] = [];
  constructor(
    readonly pads: readonly (readonly [number, number])[],
    readonly value: number,
  ) {
    super();
  }
  forward(x: RawTensor) {
    this.xShape = x.shape;
    return this.b.pad(x, this.pads, this.value);
  }
  backward(dy: RawTensor) {
    return [slice(this.b, dy, this.pads.map((p) => p[0]), this.xShape, this.xShape.map(() => 1))];
  }
}

/** y = concatenation of the inputs along `axis`.  dx_i = the slice of dy that came from input i. */
export class Cat extends AutogradFunction {
  readonly name = 'cat';
  private shapes: number[][] = [];
  constructor(readonly axis: number) {
    super();
  }
  forward(...xs: RawTensor[]) {
    const b = this.b;
    this.shapes = xs.map((x) => x.shape);
    // NOTE: one launch per join: a k-way cat costs k − 1 passes (two-input kernels; gpu.js kernels
    // take a fixed argument list).
    let out = b.cat(xs[0], xs[1], this.axis);
    for (let i = 2; i < xs.length; i++) {
      const next = b.cat(out, xs[i], this.axis);
      out.dispose();
      out = next;
    }
    return out;
  }
  backward(dy: RawTensor) {
    let offset = 0;
    return this.shapes.map((s, i) => {
      const starts = s.map((_, a) => (a === this.axis ? offset : 0));
      offset += s[this.axis];
      if (!this.needsInputGrad[i]) return null;
      return slice(this.b, dy, starts, s, s.map(() => 1));
    });
  }
}

/** y[.., j, ..] = x[.., index[.., j, ..], ..] along `axis`.  dx = scatterAdd(dy, index); index gets none. */
export class Gather extends AutogradFunction {
  readonly name = 'gather';
  private xShape: number[] = [];
  constructor(readonly axis: number) {
    super();
  }
  forward(x: RawTensor, index: RawTensor) {
    this.xShape = x.shape;
    this.saveForBackward(index);
    return this.b.gather(x, index, this.axis);
  }
  backward(dy: RawTensor) {
    return [this.b.scatterAdd(dy, this.saved[0], this.axis, this.xShape), null];
  }
}
