/**
 * Differentiable element-wise primitives of one tensor input (scalars are constructor arguments).
 * Forward and backward sit together; backward uses raw ops only.
 */
import { AutogradFunction } from '../function.js';
import type { RawTensor } from '../../tensor/raw-tensor.js';

// ---- simple unary ----

/** y = −x.  dx = −dy. */
export class Neg extends AutogradFunction {
  readonly name = 'neg';
  forward(x: RawTensor) {
    return this.b.unary('neg', x);
  }
  backward(dy: RawTensor) {
    return [this.b.unary('neg', dy)];
  }
}

/** y = eˣ.  dx = dy · y. */
export class Exp extends AutogradFunction {
  readonly name = 'exp';
  forward(x: RawTensor) {
    const y = this.b.unary('exp', x);
    this.saveForBackward(y);
    return y;
  }
  backward(dy: RawTensor) {
    return [this.b.binary('mul', dy, this.saved[0])];
  }
}

/** y = ln x.  dx = dy / x. */
export class Log extends AutogradFunction {
  readonly name = 'log';
  forward(x: RawTensor) {
    this.saveForBackward(x);
    return this.b.unary('log', x);
  }
  backward(dy: RawTensor) {
    return [this.b.binary('div', dy, this.saved[0])];
  }
}

/** y = √x.  dx = dy / (2y). */
export class Sqrt extends AutogradFunction {
  readonly name = 'sqrt';
  forward(x: RawTensor) {
    const y = this.b.unary('sqrt', x);
    this.saveForBackward(y);
    return y;
  }
  backward(dy: RawTensor) {
    const h = this.b.binary('div', dy, this.saved[0]);
    const out = this.b.unary('mulScalar', h, 0.5);
    h.dispose();
    return [out];
  }
}

/** y = 1/√x.  dx = −½ · dy · y³. */
export class Rsqrt extends AutogradFunction {
  readonly name = 'rsqrt';
  forward(x: RawTensor) {
    const y = this.b.unary('rsqrt', x);
    this.saveForBackward(y);
    return y;
  }
  backward(dy: RawTensor) {
    const y3 = this.b.unary('powScalar', this.saved[0], 3);
    const t = this.b.binary('mul', dy, y3);
    y3.dispose();
    const out = this.b.unary('mulScalar', t, -0.5);
    t.dispose();
    return [out];
  }
}

/** y = |x|.  dx = dy · sign(x).  NOTE: the subgradient at 0 is 0 (PyTorch). */
export class Abs extends AutogradFunction {
  readonly name = 'abs';
  forward(x: RawTensor) {
    this.saveForBackward(x);
    return this.b.unary('abs', x);
  }
  backward(dy: RawTensor) {
    const s = this.b.unary('sign', this.saved[0]);
    const out = this.b.binary('mul', dy, s);
    s.dispose();
    return [out];
  }
}

/** y = x².  dx = 2x · dy. */
export class Square extends AutogradFunction {
  readonly name = 'square';
  forward(x: RawTensor) {
    this.saveForBackward(x);
    return this.b.unary('square', x);
  }
  backward(dy: RawTensor) {
    const t = this.b.binary('mul', dy, this.saved[0]);
    const out = this.b.unary('mulScalar', t, 2);
    t.dispose();
    return [out];
  }
}

/** y = max(x, 0).  dx = dy · 1[x > 0].  NOTE: the subgradient at 0 is 0 (PyTorch). */
export class Relu extends AutogradFunction {
  readonly name = 'relu';
  forward(x: RawTensor) {
    this.saveForBackward(x);
    return this.b.unary('relu', x);
  }
  backward(dy: RawTensor) {
    const m = this.b.unary('step', this.saved[0]);
    const out = this.b.binary('mul', dy, m);
    m.dispose();
    return [out];
  }
}

/** y = x·Φ(x) (exact GELU, erf form).  dx = dy · (Φ(x) + x·φ(x)). */
export class Gelu extends AutogradFunction {
  readonly name = 'gelu';
  forward(x: RawTensor) {
    this.saveForBackward(x);
    return this.b.unary('gelu', x);
  }
  backward(dy: RawTensor) {
    const d = this.b.unary('geluGrad', this.saved[0]);
    const out = this.b.binary('mul', dy, d);
    d.dispose();
    return [out];
  }
}

/** y = 1/(1+e⁻ˣ).  dx = dy · y(1−y).  NOTE: forward uses the two-sided stable form. */
export class Sigmoid extends AutogradFunction {
  readonly name = 'sigmoid';
  forward(x: RawTensor) {
    const y = this.b.unary('sigmoid', x);
    this.saveForBackward(y);
    return y;
  }
  backward(dy: RawTensor) {
    const y = this.saved[0];
    const one = this.b.unary('mulScalar', y, -1);
    const oneMinus = this.b.unary('addScalar', one, 1);
    one.dispose();
    const t = this.b.binary('mul', y, oneMinus);
    oneMinus.dispose();
    const out = this.b.binary('mul', dy, t);
    t.dispose();
    return [out];
  }
}

/** y = tanh x.  dx = dy · (1 − y²). */
export class Tanh extends AutogradFunction {
  readonly name = 'tanh';
  forward(x: RawTensor) {
    const y = this.b.unary('tanh', x);
    this.saveForBackward(y);
    return y;
  }
  backward(dy: RawTensor) {
    const y2 = this.b.unary('square', this.saved[0]);
    const neg = this.b.unary('mulScalar', y2, -1);
    y2.dispose();
    const d = this.b.unary('addScalar', neg, 1);
    neg.dispose();
    const out = this.b.binary('mul', dy, d);
    d.dispose();
    return [out];
  }
}

// ---- unary with a scalar ----

/** y = x + s.  dx = dy. */
export class AddScalar extends AutogradFunction {
  readonly name = 'add';
  constructor(readonly s: number) {
    super();
  }
  forward(x: RawTensor) {
    return this.b.unary('addScalar', x, this.s);
  }
  backward(dy: RawTensor) {
    return [this.b.unary('copy', dy)];
  }
}

/** y = x · s.  dx = dy · s. */
export class MulScalar extends AutogradFunction {
  readonly name = 'mul';
  constructor(readonly s: number) {
    super();
  }
  forward(x: RawTensor) {
    return this.b.unary('mulScalar', x, this.s);
  }
  backward(dy: RawTensor) {
    return [this.b.unary('mulScalar', dy, this.s)];
  }
}

/** y = xˢ.  dx = dy · s · xˢ⁻¹. */
export class PowScalar extends AutogradFunction {
  readonly name = 'pow';
  constructor(readonly s: number) {
    super();
  }
  forward(x: RawTensor) {
    this.saveForBackward(x);
    return this.b.unary('powScalar', x, this.s);
  }
  backward(dy: RawTensor) {
    if (this.s === 0) return [this.b.unary('mulScalar', dy, 0)];
    const p = this.b.unary('powScalar', this.saved[0], this.s - 1);
    const t = this.b.binary('mul', dy, p);
    p.dispose();
    const out = this.b.unary('mulScalar', t, this.s);
    t.dispose();
    return [out];
  }
}

/** y = sˣ (s > 0).  dx = dy · y · ln s. */
export class RpowScalar extends AutogradFunction {
  readonly name = 'pow';
  constructor(readonly s: number) {
    super();
  }
  forward(x: RawTensor) {
    const y = this.b.unary('rpowScalar', x, this.s);
    this.saveForBackward(y);
    return y;
  }
  backward(dy: RawTensor) {
    const t = this.b.binary('mul', dy, this.saved[0]);
    const out = this.b.unary('mulScalar', t, Math.log(this.s));
    t.dispose();
    return [out];
  }
}

/** y = min(max(x, lo), hi).  dx = dy · 1[lo ≤ x ≤ hi]  (PyTorch passes the gradient at the bounds). */
export class Clamp extends AutogradFunction {
  readonly name = 'clamp';
  constructor(
    readonly lo: number,
    readonly hi: number,
  ) {
    super();
  }
  forward(x: RawTensor) {
    this.saveForBackward(x);
    const a = this.b.unary('clampMin', x, this.lo);
    const y = this.b.unary('clampMax', a, this.hi);
    a.dispose();
    return y;
  }
  backward(dy: RawTensor) {
    const x = this.saved[0];
    const ge = this.b.unary('geScalar', x, this.lo);
    const le = this.b.unary('leScalar', x, this.hi);
    const m = this.b.binary('mul', ge, le);
    ge.dispose();
    le.dispose();
    const out = this.b.binary('mul', dy, m);
    m.dispose();
    return [out];
  }
}
