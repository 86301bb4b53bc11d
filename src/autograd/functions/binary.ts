/**
 * Differentiable element-wise primitives of two tensors of EQUAL shape. Broadcasting happens
 * before, in the tensor layer, through `Expand` (whose backward sums gradients back), so these rules
 * never reduce.
 */
import { AutogradFunction } from '../function.js';
import type { RawTensor } from '../../tensor/raw-tensor.js';
import { view } from '../../tensor/raw-ops.js';

/** y = a + b.  da = dy, db = dy. */
export class Add extends AutogradFunction {
  readonly name = 'add';
  forward(a: RawTensor, b: RawTensor) {
    return this.b.binary('add', a, b);
  }
  backward(dy: RawTensor) {
    // NOTE: storages are never written in place, so both gradients may share dy's storage.
    return [this.needsInputGrad[0] ? view(dy, dy.shape) : null, this.needsInputGrad[1] ? view(dy, dy.shape) : null];
  }
}

/** y = a − b.  da = dy, db = −dy. */
export class Sub extends AutogradFunction {
  readonly name = 'sub';
  forward(a: RawTensor, b: RawTensor) {
    return this.b.binary('sub', a, b);
  }
  backward(dy: RawTensor) {
    return [this.needsInputGrad[0] ? view(dy, dy.shape) : null, this.needsInputGrad[1] ? this.b.unary('neg', dy) : null];
  }
}

/** y = a · b.  da = dy · b, db = dy · a. */
export class Mul extends AutogradFunction {
  readonly name = 'mul';
  forward(a: RawTensor, b: RawTensor) {
    this.saveForBackward(a, b);
    return this.b.binary('mul', a, b);
  }
  backward(dy: RawTensor) {
    const [a, b] = this.saved;
    return [this.needsInputGrad[0] ? this.b.binary('mul', dy, b) : null, this.needsInputGrad[1] ? this.b.binary('mul', dy, a) : null];
  }
}

/** y = a / b.  da = dy / b, db = −dy · a / b². */
export class Div extends AutogradFunction {
  readonly name = 'div';
  forward(a: RawTensor, b: RawTensor) {
    this.saveForBackward(a, b);
    return this.b.binary('div', a, b);
  }
  backward(dy: RawTensor) {
    const [a, b] = this.saved;
    const da = this.b.binary('div', dy, b);
    let db: RawTensor | null = null;
    if (this.needsInputGrad[1]) {
      const t = this.b.binary('mul', da, a);
      const q = this.b.binary('div', t, b);
      t.dispose();
      db = this.b.unary('neg', q);
      q.dispose();
    }
    if (!this.needsInputGrad[0]) {
      da.dispose();
      return [null, db];
    }
    return [da, db];
  }
}

/** y = aᵇ.  da = dy · b · aᵇ⁻¹, db = dy · y · ln a  (NOTE: db needs a > 0; PyTorch gives NaN otherwise too). */
export class Pow extends AutogradFunction {
  readonly name = 'pow';
  forward(a: RawTensor, b: RawTensor) {
    const y = this.b.binary('pow', a, b);
    this.saveForBackward(a, b, y);
    return y;
  }
  backward(dy: RawTensor) {
    const [a, b, y] = this.saved;
    let da: RawTensor | null = null;
    let db: RawTensor | null = null;
    if (this.needsInputGrad[0]) {
      const bm1 = this.b.unary('addScalar', b, -1);
      const p = this.b.binary('pow', a, bm1);
      bm1.dispose();
      const t = this.b.binary('mul', p, b);
      p.dispose();
      da = this.b.binary('mul', dy, t);
      t.dispose();
    }
    if (this.needsInputGrad[1]) {
      const la = this.b.unary('log', a);
      const t = this.b.binary('mul', y, la);
      la.dispose();
      db = this.b.binary('mul', dy, t);
      t.dispose();
    }
    return [da, db];
  }
}

/**
 * Shared rule of maximum/minimum: the gradient goes to the selected input, split evenly on ties
 * (NOTE: PyTorch's convention for torch.maximum/minimum).
 */
abstract class Extremum extends AutogradFunction {
  abstract readonly op: 'maximum' | 'minimum';
  forward(a: RawTensor, b: RawTensor) {
    this.saveForBackward(a, b);
    return this.b.binary(this.op, a, b);
  }
  backward(dy: RawTensor) {
    const [a, b] = this.saved;
    const wins = this.b.binary(this.op === 'maximum' ? 'gt' : 'lt', a, b);
    const ties = this.b.binary('eq', a, b);
    const half = this.b.unary('mulScalar', ties, 0.5);
    ties.dispose();
    const wa = this.b.binary('add', wins, half);
    wins.dispose();
    half.dispose();
    const da = this.b.binary('mul', dy, wa);
    const db = this.b.binary('sub', dy, da);
    wa.dispose();
    return [da, db];
  }
}

/** y = max(a, b) element-wise. */
export class Maximum extends Extremum {
  readonly name = 'maximum';
  readonly op = 'maximum' as const;
}

/** y = min(a, b) element-wise. */
export class Minimum extends Extremum {
  readonly name = 'minimum';
  readonly op = 'minimum' as const;
}

/** y = cond ? a : b.  da = cond ? dy : 0, db = cond ? 0 : dy; cond gets no gradient. */
export class Where extends AutogradFunction {
  readonly name = 'where';
  forward(cond: RawTensor, a: RawTensor, b: RawTensor) {
    this.saveForBackward(cond);
    return this.b.where(cond, a, b);
  }
  backward(dy: RawTensor) {
    const c = this.saved[0];
    const zero = this.b.fill(dy.shape, 0, 'float32');
    const da = this.needsInputGrad[1] ? this.b.where(c, dy, zero) : null;
    const db = this.needsInputGrad[2] ? this.b.where(c, zero, dy) : null;
    zero.dispose();
    return [null, da, db];
  }
}
