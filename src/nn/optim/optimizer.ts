/**
 * Optimizer base: parameter groups (per-group learning-rate multiplier and weight decay, chosen by
 * name patterns as mmseg's paramwise_cfg), state per parameter kept on the device, and a state dict
 * for checkpoints. Updates run under noGrad in a tidy scope and replace values with `assign`.
 */
import { noGrad } from '../../autograd/grad-mode.js';
import { keep, tidy } from '../../tensor/memory.js';
import type { Tensor } from '../../tensor/tensor.js';

export interface ParamGroupRule {
  /** A substring or regular expression matched against the parameter's dotted name. */
  pattern: string | RegExp;
  /** Multiplies the learning rate (mmseg lr_mult; e.g. 10 for the decode head). */
  lrMult?: number;
  /** Multiplies the weight decay (mmseg decay_mult; 0 for norms and position embeddings). */
  decayMult?: number;
}

export interface ParamEntry {
  name: string;
  param: Tensor;
  lrMult: number;
  decayMult: number;
}

/** Applies rules in order; for each of lrMult and decayMult the first rule that sets it and matches wins. */
export function paramGroups(named: Iterable<[string, Tensor]>, rules: readonly ParamGroupRule[] = []): ParamEntry[] {
  const matches = (r: ParamGroupRule, name: string) => (typeof r.pattern === 'string' ? name.includes(r.pattern) : r.pattern.test(name));
  return [...named].map(([name, param]) => {
    const lr = rules.find((r) => r.lrMult !== undefined && matches(r, name));
    const dec = rules.find((r) => r.decayMult !== undefined && matches(r, name));
    return { name, param, lrMult: lr?.lrMult ?? 1, decayMult: dec?.decayMult ?? 1 };
  });
}

export interface OptimizerState {
  step: number;
  /** Per-parameter state tensors, keyed `<param name>.<slot>` (e.g. `conv.weight.exp_avg`). */
  tensors: Record<string, Tensor>;
}

export abstract class Optimizer {
  readonly entries: ParamEntry[];
  /** Base learning rate; schedules set it every iteration. */
  lr: number;
  stepCount = 0;
  protected readonly slots = new Map<string, Tensor>();

  constructor(named: Iterable<[string, Tensor]>, lr: number, rules: readonly ParamGroupRule[] = []) {
    this.entries = paramGroups(named, rules);
    if (this.entries.length === 0) throw new Error(`${this.constructor.name}: no parameters to optimize`);
    const seen = new Set<string>();
    for (const e of this.entries) {
      if (seen.has(e.name)) throw new Error(`${this.constructor.name}: parameter '${e.name}' appears twice`);
      seen.add(e.name);
    }
    this.lr = lr;
  }

  /** Applies one update to every parameter that has a gradient, then leaves the gradients in place. */
  step(): void {
    this.stepCount++;
    noGrad(() => {
      for (const e of this.entries) {
        const g = e.param.grad;
        if (!g) continue;
        tidy(() => this.update(e, g));
      }
    });
  }

  /** Clears every parameter's gradient. */
  zeroGrad(): void {
    for (const e of this.entries) e.param.zeroGrad();
  }

  /** Updates one parameter in place (`param.assign(...)`); runs inside noGrad and tidy. */
  protected abstract update(e: ParamEntry, g: Tensor): void;

  /** A state slot (created on first use, kept across steps). */
  protected slot(name: string, slot: string, init: () => Tensor): Tensor {
    const key = `${name}.${slot}`;
    let t = this.slots.get(key);
    if (!t) {
      t = keep(init());
      this.slots.set(key, t);
    }
    return t;
  }

  stateDict(): OptimizerState {
    return { step: this.stepCount, tensors: Object.fromEntries(this.slots) };
  }

  /** Restores a state saved by `stateDict` (values are copied into kept tensors). */
  loadStateDict(s: OptimizerState): void {
    for (const t of this.slots.values()) t.dispose();
    this.slots.clear();
    this.stepCount = s.step;
    const names = new Set(this.entries.map((e) => e.name));
    for (const [k, t] of Object.entries(s.tensors)) {
      const owner = k.slice(0, k.lastIndexOf('.'));
      if (!names.has(owner)) throw new Error(`${this.constructor.name}.loadStateDict: state '${k}' belongs to no parameter of this optimizer`);
      this.slots.set(k, keep(t.detach()));
    }
  }

  dispose(): void {
    for (const t of this.slots.values()) t.dispose();
    this.slots.clear();
  }
}
