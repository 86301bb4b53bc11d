/**
 * Tensor: a RawTensor with autograd state (requiresGrad, grad, gradFn) and the public op methods.
 * Methods delegate to the free functions of `ops.ts`, which hold each op's checks and logic once.
 *
 * Values are read asynchronously (`await t.data()`, `await t.item()`): on asynchronous backends the
 * kernels that produce a tensor may still be queued when the op returns.
 */
import type { AutogradFunction } from '../autograd/function.js';
import type { HostArray, DType } from './dtype.js';
import { RawTensor } from './raw-tensor.js';
import { fmt, sizeOf, type Shape } from './shape.js';
import type { Storage } from './storage.js';
import * as ops from './ops.js';

export type Scalar = number;
export type TensorOrScalar = Tensor | number;

export class Tensor extends RawTensor {
  /** Whether gradients flow to (a leaf) or through (a non-leaf) this tensor. */
  requiresGrad = false;
  /** Accumulated gradient of a leaf that requires grad, after backward(). */
  grad: Tensor | null = null;
  /** The graph node that produced this tensor (null for leaves). */
  gradFn: AutogradFunction | null = null;
  /** For int32 tensors made from host data: the [min, max] of their values (used to validate labels early). */
  valueRange: [number, number] | null = null;

  constructor(shape: Shape, dtype: DType, storage: Storage) {
    super(shape, dtype, storage);
  }

  /** Wraps a raw result, taking over its storage reference. */
  static fromRaw(raw: RawTensor): Tensor {
    if (raw instanceof Tensor) return raw;
    const s = raw.takeStorage('tensor');
    return new Tensor(raw.shape, raw.dtype, s);
  }

  static zerosLike(t: Tensor): Tensor {
    return ops.zerosLike(t);
  }

  /** A leaf is a tensor no recorded op produced. */
  get isLeaf(): boolean {
    return this.gradFn === null;
  }

  get ndim(): number {
    return this.shape.length;
  }

  /** Sets requiresGrad on a float32 leaf (PyTorch's requires_grad_). */
  requiresGrad_(on = true): this {
    if (!this.isLeaf) throw new Error('requiresGrad_: only leaf tensors can change requiresGrad (use .detach() first)');
    if (on && this.dtype !== 'float32') throw new Error(`requiresGrad_: only float32 tensors can require grad, this one is ${this.dtype}`);
    this.requiresGrad = on;
    return this;
  }

  // ---- reading values ----

  /** A host copy of the values (Float32Array or Int32Array; Float64Array on the reference backend). */
  async data(): Promise<HostArray> {
    const s = this.storageFor('data');
    return (s.owner as unknown as import('./backend.js').Backend).download(this);
  }

  /** The value of a one-element tensor. */
  async item(): Promise<number> {
    if (this.size !== 1) throw new Error(`item: the tensor has shape ${fmt(this.shape)} (${this.size} elements); item() needs exactly one`);
    return (await this.data())[0];
  }

  /** The values as nested arrays in the tensor's shape. */
  async array(): Promise<unknown> {
    const d = Array.from(await this.data());
    const build = (axis: number, offset: number): unknown => {
      if (axis === this.shape.length) return d[offset];
      const stride = sizeOf(this.shape.slice(axis + 1));
      return Array.from({ length: this.shape[axis] }, (_, i) => build(axis + 1, offset + i * stride));
    };
    return build(0, 0);
  }

  // ---- autograd ----

  /**
   * Accumulates gradients into `.grad` of the leaves this tensor depends on. Without `dy` the
   * tensor must have one element. The work is queued at once; awaiting is allowed and harmless.
   */
  backward(dy?: Tensor, opts: { retainGraph?: boolean } = {}): Promise<void> {
    ops.backwardHook(this, dy, opts);
    return Promise.resolve();
  }

  /** A tensor sharing this one's storage, cut from the graph (no gradient flows through it). */
  detach(): Tensor {
    const s = this.storageFor('detach');
    s.retain();
    const t = new Tensor(this.shape, this.dtype, s);
    t.valueRange = this.valueRange;
    return t;
  }

  /** Disposes `.grad` and clears it. */
  zeroGrad(): void {
    this.grad?.dispose();
    this.grad = null;
  }

  /**
   * Replaces this tensor's values with `other`'s (same shape and dtype), keeping the handle: how
   * optimizers update parameters. Not recorded by autograd.
   */
  assign(other: Tensor): this {
    if (other.shape.join() !== this.shape.join() || other.dtype !== this.dtype) {
      throw new Error(`assign: cannot assign a ${other.dtype} tensor of shape ${fmt(other.shape)} to a ${this.dtype} tensor of shape ${fmt(this.shape)}`);
    }
    const s = other.storageFor('assign');
    s.retain();
    this.swapStorage(s);
    return this;
  }

  /** Internal: takes over a raw result's storage as this tensor's values. */
  assignRaw(raw: RawTensor): void {
    this.swapStorage(raw.takeStorage('assign'));
  }

  private swapStorage(s: Storage): void {
    const old = this.storageFor('assign');
    this.storageRef = s;
    old.release();
  }

  /** Copies the tensor to another backend (awaits the values). */
  async to(name: import('./backend.js').BackendName): Promise<Tensor> {
    return ops.toBackend(this, name);
  }

  override toString(): string {
    return `Tensor(shape=${fmt(this.shape)}, dtype=${this.dtype}${this.requiresGrad ? ', requiresGrad' : ''}${this.gradFn ? `, gradFn=${this.gradFn.name}` : ''})`;
  }

  // ---- element-wise ----

  add(o: TensorOrScalar): Tensor { return ops.add(this, o); }
  sub(o: TensorOrScalar): Tensor { return ops.sub(this, o); }
  mul(o: TensorOrScalar): Tensor { return ops.mul(this, o); }
  div(o: TensorOrScalar): Tensor { return ops.div(this, o); }
  pow(o: TensorOrScalar): Tensor { return ops.pow(this, o); }
  maximum(o: TensorOrScalar): Tensor { return ops.maximum(this, o); }
  minimum(o: TensorOrScalar): Tensor { return ops.minimum(this, o); }
  neg(): Tensor { return ops.neg(this); }
  exp(): Tensor { return ops.exp(this); }
  log(): Tensor { return ops.log(this); }
  sqrt(): Tensor { return ops.sqrt(this); }
  rsqrt(): Tensor { return ops.rsqrt(this); }
  abs(): Tensor { return ops.abs(this); }
  square(): Tensor { return ops.square(this); }
  relu(): Tensor { return ops.relu(this); }
  gelu(): Tensor { return ops.gelu(this); }
  sigmoid(): Tensor { return ops.sigmoid(this); }
  tanh(): Tensor { return ops.tanh(this); }
  clamp(min?: number, max?: number): Tensor { return ops.clamp(this, min, max); }
  eq(o: TensorOrScalar): Tensor { return ops.eq(this, o); }
  ne(o: TensorOrScalar): Tensor { return ops.ne(this, o); }
  lt(o: TensorOrScalar): Tensor { return ops.lt(this, o); }
  le(o: TensorOrScalar): Tensor { return ops.le(this, o); }
  gt(o: TensorOrScalar): Tensor { return ops.gt(this, o); }
  ge(o: TensorOrScalar): Tensor { return ops.ge(this, o); }
  float(): Tensor { return ops.cast(this, 'float32'); }
  int(): Tensor { return ops.cast(this, 'int32'); }

  // ---- reductions ----

  sum(axis?: number | readonly number[], keepdim = false): Tensor { return ops.sum(this, axis, keepdim); }
  mean(axis?: number | readonly number[], keepdim = false): Tensor { return ops.mean(this, axis, keepdim); }
  max(axis?: number | readonly number[], keepdim = false): Tensor { return ops.max(this, axis, keepdim); }
  min(axis?: number | readonly number[], keepdim = false): Tensor { return ops.min(this, axis, keepdim); }
  argmax(axis?: number, keepdim = false): Tensor { return ops.argmax(this, axis, keepdim); }
  argmin(axis?: number, keepdim = false): Tensor { return ops.argmin(this, axis, keepdim); }
  logsumexp(axis: number | readonly number[], keepdim = false): Tensor { return ops.logsumexp(this, axis, keepdim); }
  var(axis?: number | readonly number[], opts: { correction?: number; keepdim?: boolean } = {}): Tensor { return ops.variance(this, axis, opts); }
  norm(axis?: number | readonly number[], keepdim = false): Tensor { return ops.norm(this, axis, keepdim); }
  softmax(axis: number): Tensor { return ops.softmax(this, axis); }
  logSoftmax(axis: number): Tensor { return ops.logSoftmax(this, axis); }

  // ---- movement ----

  reshape(...shape: number[] | [readonly number[]]): Tensor { return ops.reshape(this, flatArgs(shape)); }
  view(...shape: number[] | [readonly number[]]): Tensor { return ops.reshape(this, flatArgs(shape)); }
  permute(...perm: number[] | [readonly number[]]): Tensor { return ops.permute(this, flatArgs(perm)); }
  transpose(dim0: number, dim1: number): Tensor { return ops.transpose(this, dim0, dim1); }
  expand(...shape: number[] | [readonly number[]]): Tensor { return ops.expand(this, flatArgs(shape)); }
  squeeze(axis?: number | readonly number[]): Tensor { return ops.squeeze(this, axis); }
  unsqueeze(axis: number): Tensor { return ops.unsqueeze(this, axis); }
  flatten(startDim = 0, endDim = -1): Tensor { return ops.flatten(this, startDim, endDim); }
  slice(axis: number, start?: number, end?: number, step = 1): Tensor { return ops.slice(this, axis, start, end, step); }
  narrow(axis: number, start: number, length: number): Tensor { return ops.narrow(this, axis, start, length); }
  repeat(...sizes: number[] | [readonly number[]]): Tensor { return ops.repeat(this, flatArgs(sizes)); }
  gather(axis: number, index: Tensor): Tensor { return ops.gather(this, axis, index); }
  indexSelect(axis: number, index: Tensor): Tensor { return ops.indexSelect(this, axis, index); }

  // ---- linear algebra ----

  matmul(o: Tensor): Tensor { return ops.matmul(this, o); }
}

function flatArgs(a: number[] | [readonly number[]]): number[] {
  return a.length === 1 && Array.isArray(a[0]) ? [...(a[0] as readonly number[])] : (a as number[]);
}
