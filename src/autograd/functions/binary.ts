/**
 * Differentiable element-wise primitives of two tensors. add, sub, mul and div take operands of one
 * rank that broadcast (per axis equal sizes or a 1): the backend reads a broadcast operand in place,
 * and its gradient is summed back to its shape (`sumTo`). The others take EQUAL shapes: the tensor
 * layer broadcasts their operands before, through `Expand` (whose backward sums gradients back).
 */
import { AutogradFunction } from '../function.js';
import type { RawTensor } from '../../tensor/raw-tensor.js';
import { sumTo, view } from '../../tensor/raw-ops.js';

/** g summed back to `shape` (a view when it already has it), g disposed. */
function reduceTo(fn: AutogradFunction, g: RawTensor, shape: readonly number[]): RawTensor {
  const out = sumTo(fn.b, g, shape);
  g.dispose();
  return out;
}

/** y = a + b.  da = dy, db = dy (each summed over its broadcast axes). */
export class Add extends AutogradFunction {
  readonly name = 'add';
  private shapes: number[][] = [];
  forward(a: RawTensor, b: RawTensor) {
    this.shapes = [a.shape, b.shape];
    return this.b.binary('add', a, b);
  }
  backward(dy: RawTensor) {
    // NOTE: storages are never written in place, so both gradients may share dy's storage.
    const [sa, sb] = this.shapes;
    return [this.needsInputGrad[0] ? sumTo(this.b, dy, sa) : null, this.needsInputGrad[1] ? sumTo(this.b, dy, sb) : null];
  }
}

/** y = a − b.  da = dy, db = −dy (each summed over its broadcast axes). */
export class Sub extends AutogradFunction {
  readonly name = 'sub';
  private shapes: number[][] = [];
  forward(a: RawTensor, b: RawTensor) {
    this.shapes = [a.shape, b.shape];
    return this.b.binary('sub', a, b);
  }
  backward(dy: RawTensor) {
    const [sa, sb] = this.shapes;
    const db = this.needsInputGrad[1] ? reduceTo(this, view(dy, dy.shape), sb) : null;
    const ndb = db ? this.b.unary('neg', db) : null;
    db?.dispose();
    return [this.needsInputGrad[0] ? sumTo(this.b, dy, sa) : null, ndb];
  }
}

/** y = a · b.  da = dy · b, db = dy · a (each summed over its broadcast axes). */
export class Mul extends AutogradFunction {
  readonly name = 'mul';
  forward(a: RawTensor, b: RawTensor) {
    this.saveForBackward(a, b);
    return this.b.binary('mul', a, b);
  }
  backward(dy: RawTensor) {
    const [a, b] = this.saved;
    return [
      this.needsInputGrad[0] ? reduceTo(this, this.b.binary('mul', dy, b), a.shape) : null,
      this.needsInputGrad[1] ? reduceTo(this, this.b.binary('mul', dy, a), b.shape) : null,
    ];
  }
}

/** y = a / b.  da = dy / b, db = −dy · a / b² (each summed over its broadcast axes). */
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
      const s = reduceTo(this, q, b.shape);
      db = this.b.unary('neg', s);
      s.dispose();
    }
    if (!this.needsInputGrad[0]) {
      da.dispose();
      return [null, db];
    }
    return [reduceTo(this, da, a.shape), db];
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
