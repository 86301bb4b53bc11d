/**
 * The float64 reference backend: the test oracle every gpu.js kernel is checked against. Each storage
 * holds a Float64Array (int32 tensors too, holding integers); the op math lives in the family files
 * next to this one as plain loops, and this class only checks arguments, picks dtypes and wraps arrays.
 */
import type {
  AdamWStep,
  Backend, BackendName, BinaryOp, Conv2dSpec, MatmulSpec, PoolOp, Pool2dSpec, ReduceOp, UnaryOp,
} from '../../backend.js';
import { assertDType, type DType, type HostArray } from '../../dtype.js';
import { RawTensor } from '../../raw-tensor.js';
import { fmt, shapesEqual, sizeOf, type Shape } from '../../shape.js';
import { Storage } from '../../storage.js';
import * as conv from './conv.js';
import * as elementwise from './elementwise.js';
import * as matmul from './matmul.js';
import * as movement from './movement.js';
import * as reduction from './reduce.js';

/** Bytes per element of a reference storage (float64). */
const BYTES_PER_ELEMENT = 8;

/** The values of `x`, or a clear error naming `op` if x was disposed or lives on another backend. */
function read(x: RawTensor, op: string): Float64Array {
  const value = x.storageFor(op).value;
  if (!(value instanceof Float64Array) || value.length !== x.size) {
    throw new Error(`${op}: a tensor of shape ${fmt(x.shape)} does not hold reference-backend data (was it created by another backend?)`);
  }
  return value;
}

/** Throws unless every tensor in `args` (named by its key) has the shape of the first one. */
function expectSameShapes(op: string, args: Record<string, RawTensor>): void {
  const entries = Object.entries(args);
  const [name0, t0] = entries[0];
  for (const [name, t] of entries.slice(1)) {
    if (!shapesEqual(t.shape, t0.shape)) {
      throw new Error(`${op}: ${name0} and ${name} must have the same shape, got ${fmt(t0.shape)} and ${fmt(t.shape)}`);
    }
  }
}

/** Throws unless `x` holds as many elements as `shape` (the spec's view of it). */
function expectSize(op: string, arg: string, x: RawTensor, shape: Shape): void {
  if (x.size !== sizeOf(shape)) {
    throw new Error(`${op}: ${arg} of shape ${fmt(x.shape)} (${x.size} elements) does not match the spec's ${fmt(shape)} (${sizeOf(shape)} elements)`);
  }
}

/** Throws unless `x` is an int32 tensor (indices and labels). */
function expectInt32(op: string, arg: string, x: RawTensor): void {
  if (x.dtype !== 'int32') throw new Error(`${op}: ${arg} must be an int32 tensor, got a ${x.dtype} tensor of shape ${fmt(x.shape)}`);
}

/**
 * The float64 oracle backend: plain loops over Float64Array, synchronous, no device.
 * `download` returns Float64Array for float32 tensors (no rounding to float32 anywhere) and
 * Int32Array for int32 tensors. NOTE: every int32 output is truncated toward zero, so int32
 * tensors always hold integers (e.g. `mulScalar(int32 [3], 0.5)` gives [1]).
 */
export class ReferenceBackend implements Backend {
  readonly name: BackendName = 'reference';
  readonly isAsync = false;
  readonly float64 = true;

  /** Wraps freshly computed values in a new tensor of `shape` and `dtype`. */
  private output(op: string, shape: Shape, dtype: DType, data: Float64Array): RawTensor {
    if (data.length !== sizeOf(shape)) {
      throw new Error(`internal: ${op} produced ${data.length} values for the output shape ${fmt(shape)}`);
    }
    if (dtype === 'int32') for (let i = 0; i < data.length; i++) data[i] = Math.trunc(data[i]);
    const storage = new Storage(this, data.length, dtype, BYTES_PER_ELEMENT);
    storage.value = data;
    return new RawTensor(shape, dtype, storage);
  }

  /** Nothing to free: the Float64Array is garbage-collected. */
  releaseValue(_value: unknown): void {}

  // ---- data ----

  upload(data: ArrayLike<number>, shape: Shape, dtype: DType): RawTensor {
    assertDType('upload', dtype);
    if (data.length !== sizeOf(shape)) {
      throw new Error(`upload: got ${data.length} values for shape ${fmt(shape)} (${sizeOf(shape)} elements)`);
    }
    return this.output('upload', shape, dtype, Float64Array.from(data));
  }

  async download(x: RawTensor): Promise<HostArray> {
    const v = read(x, 'download');
    return x.dtype === 'int32' ? Int32Array.from(v) : Float64Array.from(v);
  }

  fill(shape: Shape, value: number, dtype: DType): RawTensor {
    assertDType('fill', dtype);
    return this.output('fill', shape, dtype, new Float64Array(sizeOf(shape)).fill(value));
  }

  async sync(): Promise<void> {}

  destroy(): void {}

  // ---- element-wise ----

  unary(op: UnaryOp, x: RawTensor, scalar?: number): RawTensor {
    if (elementwise.unaryNeedsScalar(op) && scalar === undefined) {
      throw new Error(`unary: op '${op}' needs a scalar argument (input of shape ${fmt(x.shape)})`);
    }
    const out = elementwise.unary(op, read(x, op), scalar ?? 0);
    return this.output(op, x.shape, elementwise.unaryDType(op, x.dtype), out);
  }

  binary(op: BinaryOp, a: RawTensor, b: RawTensor): RawTensor {
    const dtype = elementwise.binaryDType(op, a.dtype, b.dtype);
    if (shapesEqual(a.shape, b.shape)) return this.output(op, a.shape, dtype, elementwise.binary(op, read(a, op), read(b, op)));
    if (a.rank !== b.rank || a.shape.some((d, i) => d !== b.shape[i] && d !== 1 && b.shape[i] !== 1)) {
      throw new Error(`${op}: a and b must have one rank and, per axis, equal sizes or a 1; got ${fmt(a.shape)} and ${fmt(b.shape)}`);
    }
    const shape = a.shape.map((d, i) => (d === 1 ? b.shape[i] : d));
    return this.output(op, shape, dtype, elementwise.broadcastBinary(op, read(a, op), a.shape, read(b, op), b.shape, shape));
  }

  /** NOTE: the output is int32 when a and b both are, else float32 (the interface leaves it open). */
  where(cond: RawTensor, a: RawTensor, b: RawTensor): RawTensor {
    expectSameShapes('where', { cond, a, b });
    const out = elementwise.where(read(cond, 'where'), read(a, 'where'), read(b, 'where'));
    const dtype: DType = a.dtype === 'int32' && b.dtype === 'int32' ? 'int32' : 'float32';
    return this.output('where', a.shape, dtype, out);
  }

  cast(x: RawTensor, dtype: DType): RawTensor {
    assertDType('cast', dtype);
    return this.output('cast', x.shape, dtype, elementwise.cast(read(x, 'cast'), dtype));
  }

  // ---- movement ----

  strided(x: RawTensor, shape: Shape, strides: readonly number[], offset: number): RawTensor {
    const out = movement.strided(read(x, 'strided'), x.shape, shape, strides, offset);
    return this.output('strided', shape, x.dtype, out);
  }

  cat(a: RawTensor, b: RawTensor, axis: number): RawTensor {
    const out = movement.cat(read(a, 'cat'), a.shape, read(b, 'cat'), b.shape, axis);
    const shape = a.shape.map((d, i) => (i === axis ? d + b.shape[axis] : d));
    return this.output('cat', shape, a.dtype, out);
  }

  pad(x: RawTensor, pads: readonly (readonly [number, number])[], value: number): RawTensor {
    const shape = movement.paddedShape(x.shape, pads);
    return this.output('pad', shape, x.dtype, movement.pad(read(x, 'pad'), x.shape, pads, value));
  }

  gather(x: RawTensor, index: RawTensor, axis: number): RawTensor {
    expectInt32('gather', 'index', index);
    const out = movement.gather(read(x, 'gather'), x.shape, read(index, 'gather'), index.shape, axis);
    return this.output('gather', index.shape, x.dtype, out);
  }

  scatterAdd(src: RawTensor, index: RawTensor, axis: number, xShape: Shape): RawTensor {
    expectInt32('scatterAdd', 'index', index);
    expectSameShapes('scatterAdd', { src, index });
    const out = movement.scatterAdd(read(src, 'scatterAdd'), read(index, 'scatterAdd'), index.shape, axis, xShape);
    return this.output('scatterAdd', xShape, src.dtype, out);
  }

  oneHot(labels: RawTensor, K: number): RawTensor {
    expectInt32('oneHot', 'labels', labels);
    const out = movement.oneHot(read(labels, 'oneHot'), K);
    return this.output('oneHot', [...labels.shape, K], 'float32', out);
  }

  // ---- reductions ----

  reduce(op: ReduceOp, x: RawTensor, outShape: Shape): RawTensor {
    // NOTE: a rank-0 input is a single row of length 1.
    const R = x.rank === 0 ? 1 : x.shape[x.rank - 1];
    const M = sizeOf(outShape);
    if (M * R !== x.size) {
      throw new Error(`reduce: ${op} over the last axis of ${fmt(x.shape)} cannot give the output shape ${fmt(outShape)} (expected ${x.size / Math.max(R, 1)} elements, got ${M})`);
    }
    const out = reduction.reduce(op, read(x, op), M, R);
    const dtype: DType = op === 'argmax' || op === 'argmin' ? 'int32' : x.dtype;
    return this.output(op, outShape, dtype, out);
  }

  // ---- contractions ----

  matmul(a: RawTensor, b: RawTensor, spec: MatmulSpec, outShape: Shape): RawTensor {
    if (sizeOf(outShape) !== spec.batch * spec.M * spec.N) {
      throw new Error(`matmul: output shape ${fmt(outShape)} does not hold batch·M·N = ${spec.batch}·${spec.M}·${spec.N} elements`);
    }
    const out = matmul.matmul(read(a, 'matmul'), read(b, 'matmul'), spec);
    return this.output('matmul', outShape, 'float32', out);
  }

  conv2d(x: RawTensor, w: RawTensor, spec: Conv2dSpec): RawTensor {
    const shapes = conv.convShapes('conv2d', spec);
    expectSize('conv2d', 'x', x, shapes.x);
    expectSize('conv2d', 'w', w, shapes.w);
    return this.output('conv2d', shapes.y, 'float32', conv.conv2d(read(x, 'conv2d'), read(w, 'conv2d'), spec));
  }

  conv2dBackwardInput(dy: RawTensor, w: RawTensor, spec: Conv2dSpec): RawTensor {
    const op = 'conv2dBackwardInput';
    const shapes = conv.convShapes(op, spec);
    expectSize(op, 'dy', dy, shapes.y);
    expectSize(op, 'w', w, shapes.w);
    return this.output(op, shapes.x, 'float32', conv.conv2dBackwardInput(read(dy, op), read(w, op), spec));
  }

  conv2dBackwardWeight(x: RawTensor, dy: RawTensor, spec: Conv2dSpec): RawTensor {
    const op = 'conv2dBackwardWeight';
    const shapes = conv.convShapes(op, spec);
    expectSize(op, 'x', x, shapes.x);
    expectSize(op, 'dy', dy, shapes.y);
    return this.output(op, shapes.w, 'float32', conv.conv2dBackwardWeight(read(x, op), read(dy, op), spec));
  }

  pool2d(op: PoolOp, x: RawTensor, spec: Pool2dSpec): RawTensor {
    const shapes = conv.poolShapes('pool2d', spec);
    expectSize('pool2d', 'x', x, shapes.x);
    return this.output('pool2d', shapes.y, 'float32', conv.pool2d(op, read(x, 'pool2d'), spec));
  }

  pool2dBackward(op: PoolOp, x: RawTensor, dy: RawTensor, spec: Pool2dSpec): RawTensor {
    const name = 'pool2dBackward';
    const shapes = conv.poolShapes(name, spec);
    expectSize(name, 'x', x, shapes.x);
    expectSize(name, 'dy', dy, shapes.y);
    return this.output(name, shapes.x, 'float32', conv.pool2dBackward(op, read(x, name), read(dy, name), spec));
  }
  // ---- fused ----

  channelAffine(a: RawTensor, b: RawTensor | null, p: RawTensor | null, q: RawTensor | null, r: RawTensor | null): RawTensor {
    const op = 'channelAffine';
    if (a.rank < 2) throw new Error(`${op}: a must be [N, C, ...], got ${fmt(a.shape)}`);
    const C = a.shape[1];
    const inner = sizeOf(a.shape.slice(2));
    if (b) expectSameShapes(op, { a, b });
    for (const [name, t] of [['p', p], ['q', q], ['r', r]] as const) {
      if (t && t.size !== C) throw new Error(`${op}: ${name} must have ${C} values (one per channel), got ${fmt(t.shape)}`);
    }
    const av = read(a, op);
    const bv = b && q ? read(b, op) : null;
    const pv = p ? read(p, op) : null;
    const qv = b && q ? read(q, op) : null;
    const rv = r ? read(r, op) : null;
    const out = new Float64Array(a.size);
    for (let i = 0; i < out.length; i++) {
      const c = Math.floor(i / inner) % C;
      let y = pv ? av[i] * pv[c] : av[i];
      if (bv && qv) y += bv[i] * qv[c];
      if (rv) y += rv[c];
      out[i] = y;
    }
    return this.output(op, a.shape, 'float32', out);
  }

  adamw(p: RawTensor, g: RawTensor, m: RawTensor, v: RawTensor, h: AdamWStep): [RawTensor, RawTensor, RawTensor] {
    const op = 'adamw';
    expectSameShapes(op, { p, g, m, v });
    const [pv, gv, mv, vv] = [p, g, m, v].map((t) => read(t, op));
    const po = new Float64Array(p.size);
    const mo = new Float64Array(p.size);
    const vo = new Float64Array(p.size);
    for (let i = 0; i < po.length; i++) {
      mo[i] = h.beta1 * mv[i] + (1 - h.beta1) * gv[i];
      vo[i] = h.beta2 * vv[i] + (1 - h.beta2) * gv[i] * gv[i];
      po[i] = pv[i] * h.decay - (h.stepSize * mo[i]) / (Math.sqrt(vo[i]) * h.invSqrtBc2 + h.eps);
    }
    return [this.output(op, p.shape, 'float32', po), this.output(op, p.shape, 'float32', mo), this.output(op, p.shape, 'float32', vo)];
  }

  // ---- along one axis ----

  /** Throws unless x's size is a whole number of [R, inner] blocks. */
  private expectRows(op: string, x: RawTensor, R: number, inner: number): void {
    if (!(R >= 0 && inner >= 1 && (R === 0 ? x.size === 0 : x.size % (R * inner) === 0))) {
      throw new Error(`${op}: x of shape ${fmt(x.shape)} cannot be viewed as [outer, ${R}, ${inner}]`);
    }
  }

  softmax(x: RawTensor, R: number, inner: number, log: boolean): RawTensor {
    this.expectRows('softmax', x, R, inner);
    return this.output('softmax', x.shape, 'float32', reduction.softmaxAlong(read(x, 'softmax'), R, inner, log));
  }

  softmaxBackward(y: RawTensor, dy: RawTensor, R: number, inner: number, log: boolean): RawTensor {
    const op = 'softmaxBackward';
    this.expectRows(op, y, R, inner);
    expectSameShapes(op, { y, dy });
    return this.output(op, y.shape, 'float32', reduction.softmaxBackwardAlong(read(y, op), read(dy, op), R, inner, log));
  }

  norm(x: RawTensor, R: number, inner: number): RawTensor {
    this.expectRows('norm', x, R, inner);
    const n = reduction.normAlong(read(x, 'norm'), R, inner);
    return this.output('norm', [n.length / inner, inner], 'float32', n);
  }

  normalize(x: RawTensor, R: number, inner: number, eps: number): [RawTensor, RawTensor] {
    this.expectRows('normalize', x, R, inner);
    const [y, n] = reduction.normalizeAlong(read(x, 'normalize'), R, inner, eps);
    return [this.output('normalize', x.shape, 'float32', y), this.output('normalize', [n.length / inner, inner], 'float32', n)];
  }

  normalizeBackward(x: RawTensor, n: RawTensor, dy: RawTensor, R: number, inner: number, eps: number): RawTensor {
    const op = 'normalizeBackward';
    this.expectRows(op, x, R, inner);
    expectSameShapes(op, { x, dy });
    return this.output(op, x.shape, 'float32', reduction.normalizeBackwardAlong(read(x, op), read(n, op), read(dy, op), R, inner, eps));
  }

}
