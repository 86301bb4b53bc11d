/**
 * Module: the base of every layer and model. Parameters, buffers and submodules are registered by
 * name, so `namedParameters()` and `stateDict()` give PyTorch-style dotted names
 * (`decode.conv_seg.weight`), and a PyTorch state dict loads with `loadStateDict`.
 */
import { noGrad } from '../autograd/grad-mode.js';
import { keep } from '../tensor/memory.js';
import { fmt, shapesEqual } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';

export abstract class Module {
  /** Training mode (dropout active, batch-norm statistics from the batch). */
  training = true;
  private readonly params = new Map<string, Tensor>();
  private readonly buffers = new Map<string, Tensor>();
  private readonly children = new Map<string, Module>();

  /** Registers a trainable tensor (kept from tidy scopes, requiresGrad on). */
  protected registerParameter(name: string, t: Tensor): Tensor {
    this.checkName(name);
    keep(t);
    if (!t.requiresGrad) t.requiresGrad_(true);
    this.params.set(name, t);
    return t;
  }

  /** Registers a non-trainable state tensor saved in the state dict (e.g. running_mean). */
  protected registerBuffer(name: string, t: Tensor): Tensor {
    this.checkName(name);
    keep(t);
    this.buffers.set(name, t);
    return t;
  }

  /** Registers a submodule; its entries are prefixed with `name.`. */
  protected registerModule<M extends Module>(name: string, m: M): M {
    this.checkName(name);
    this.children.set(name, m);
    return m;
  }

  private checkName(name: string): void {
    if (!name || name.includes('.')) throw new Error(`${this.constructor.name}: invalid entry name '${name}' (non-empty, no dots)`);
    if (this.params.has(name) || this.buffers.has(name) || this.children.has(name)) {
      throw new Error(`${this.constructor.name}: '${name}' is registered twice`);
    }
  }

  /** Direct submodules, by name. */
  namedChildren(): [string, Module][] {
    return [...this.children];
  }

  /** Every submodule (this one first), with dotted names. */
  *namedModules(prefix = ''): Generator<[string, Module]> {
    yield [prefix, this];
    for (const [n, m] of this.children) yield* m.namedModules(prefix ? `${prefix}.${n}` : n);
  }

  /** Every parameter with its dotted name, in registration order. */
  *namedParameters(prefix = ''): Generator<[string, Tensor]> {
    for (const [n, p] of this.params) yield [prefix ? `${prefix}.${n}` : n, p];
    for (const [n, m] of this.children) yield* m.namedParameters(prefix ? `${prefix}.${n}` : n);
  }

  parameters(): Tensor[] {
    return [...this.namedParameters()].map(([, p]) => p);
  }

  *namedBuffers(prefix = ''): Generator<[string, Tensor]> {
    for (const [n, b] of this.buffers) yield [prefix ? `${prefix}.${n}` : n, b];
    for (const [n, m] of this.children) yield* m.namedBuffers(prefix ? `${prefix}.${n}` : n);
  }

  /** Number of trainable scalars. */
  numParameters(): number {
    return this.parameters().reduce((acc, p) => acc + p.size, 0);
  }

  /** Parameters and buffers by dotted name (the tensors themselves, not copies). */
  stateDict(): Record<string, Tensor> {
    return Object.fromEntries([...this.namedParameters(), ...this.namedBuffers()]);
  }

  /**
   * Copies values from `record` (name → tensor) into this module's parameters and buffers.
   * Strict by default: every entry must match a name and a shape, and none may be missing.
   * Returns the names that were missing or unexpected (non-strict mode).
   */
  loadStateDict(record: Record<string, Tensor>, opts: { strict?: boolean } = {}): { missing: string[]; unexpected: string[] } {
    const strict = opts.strict ?? true;
    const own = this.stateDict();
    const missing = Object.keys(own).filter((k) => !(k in record));
    const unexpected = Object.keys(record).filter((k) => !(k in own));
    if (strict && (missing.length > 0 || unexpected.length > 0)) {
      throw new Error(
        `loadStateDict: ${this.constructor.name} ${missing.length ? `is missing ${missing.join(', ')}` : ''}${missing.length && unexpected.length ? '; ' : ''}${unexpected.length ? `has no entry named ${unexpected.join(', ')}` : ''}`,
      );
    }
    noGrad(() => {
      for (const [k, t] of Object.entries(own)) {
        const src = record[k];
        if (!src) continue;
        if (!shapesEqual(src.shape, t.shape)) {
          throw new Error(`loadStateDict: '${k}' has shape ${fmt(src.shape)} in the record but ${fmt(t.shape)} in ${this.constructor.name}`);
        }
        const v = src.dtype === t.dtype ? src : src.dtype === 'int32' ? src.float() : src.int();
        t.assign(v.detach());
        if (v !== src) v.dispose();
      }
    });
    return { missing, unexpected };
  }

  /** Sets training mode here and in every submodule. */
  train(mode = true): this {
    for (const [, m] of this.namedModules()) m.training = mode;
    return this;
  }

  eval(): this {
    return this.train(false);
  }

  /** Clears `.grad` of every parameter. */
  zeroGrad(): void {
    for (const p of this.parameters()) p.zeroGrad();
  }

  /** Frees every parameter and buffer. */
  dispose(): void {
    for (const [, t] of [...this.namedParameters(), ...this.namedBuffers()]) {
      t.zeroGrad();
      t.dispose();
    }
  }
}
