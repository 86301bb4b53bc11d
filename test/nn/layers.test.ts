import { describe, expect, it } from 'vitest';
import {
  BatchNorm2d, Conv2d, Dropout2d, Embedding, GroupNorm, LayerNorm, Linear, ReLU, Sequential, manualSeed, randn, tensor, useBackend,
  type Tensor,
} from '../../src/index.js';
import type { Module } from '../../src/nn/module.js';

async function f64(t: Tensor) {
  return Float64Array.from(await t.data());
}

function maxRel(a: Float64Array, b: Float64Array) {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]) / (1e-5 + Math.abs(b[i])));
  return m;
}

/** Builds the same layer (same seed) on the reference backend and on `name`, runs forward+backward on both. */
async function compare(name: 'cpu' | 'webasm', make: () => Module & { forward(x: Tensor): Tensor }, shape: number[]) {
  const run = async (b: 'reference' | 'cpu' | 'webasm') => {
    useBackend(b);
    manualSeed(7);
    const m = make();
    const x = randn(shape, { seed: 3 }).requiresGrad_(true);
    const y = m.forward(x);
    const dy = randn(y.shape, { seed: 4 });
    await y.backward(dy);
    return { y: await f64(y), dx: await f64(x.grad!), dw: await f64(m.parameters()[0].grad!), n: m.numParameters(), shape: y.shape };
  };
  const ref = await run('reference');
  const dev = await run(name);
  expect(dev.shape).toEqual(ref.shape);
  expect(maxRel(dev.y, ref.y)).toBeLessThan(1e-3);
  expect(maxRel(dev.dx, ref.dx)).toBeLessThan(1e-2);
  expect(maxRel(dev.dw, ref.dw)).toBeLessThan(1e-2);
  return ref;
}

describe.each(['cpu', 'webasm'] as const)('layers on %s match the float64 reference', (name) => {
  it('Linear', async () => {
    const r = await compare(name, () => new Linear(5, 3), [2, 4, 5]);
    expect(r.n).toBe(5 * 3 + 3);
    expect(r.shape).toEqual([2, 4, 3]);
  });
  it('Conv2d with groups and stride', async () => {
    const r = await compare(name, () => new Conv2d(4, 6, 3, { padding: 1, stride: 2, groups: 2 }), [2, 4, 7, 7]);
    expect(r.n).toBe(6 * 2 * 9 + 6);
    expect(r.shape).toEqual([2, 6, 4, 4]);
  });
  it('BatchNorm2d (training statistics)', async () => {
    const r = await compare(name, () => new BatchNorm2d(3), [4, 3, 5, 5]);
    expect(r.n).toBe(6);
  });
  it('GroupNorm', async () => {
    await compare(name, () => new GroupNorm(2, 4), [2, 4, 3, 3]);
  });
  it('LayerNorm', async () => {
    await compare(name, () => new LayerNorm(6), [3, 6]);
  });
  it('Sequential of conv, norm, relu', async () => {
    const r = await compare(name, () => new Sequential(new Conv2d(3, 4, 3, { padding: 1 }), new BatchNorm2d(4), new ReLU(), new Conv2d(4, 2, 1)), [2, 3, 6, 6]);
    expect(r.n).toBe(4 * 3 * 9 + 4 + 8 + 2 * 4 + 2);
  });
});

describe('layer semantics', () => {
  it('BatchNorm2d normalises in training, updates running stats, and uses them in eval', async () => {
    useBackend('reference');
    const bn = new BatchNorm2d(1, { momentum: 0.5 });
    // one channel, values 1..4: mean 2.5, biased var 1.25, unbiased var 5/3
    const x = tensor([1, 2, 3, 4], [1, 1, 2, 2]);
    const y = await f64(bn.forward(x));
    expect(y[0]).toBeCloseTo(-1.5 / Math.sqrt(1.25 + 1e-5), 9);
    expect((await f64(bn.runningMean))[0]).toBeCloseTo(1.25, 12);
    expect((await f64(bn.runningVar))[0]).toBeCloseTo(0.5 + 0.5 * (5 / 3), 12);
    expect(Array.from(await bn.numBatchesTracked.data())).toEqual([1]);
    bn.eval();
    const e = await f64(bn.forward(tensor([1.25], [1, 1, 1, 1])));
    expect(e[0]).toBeCloseTo(0, 9);
    expect(Object.keys(bn.stateDict()).sort()).toEqual(['bias', 'num_batches_tracked', 'running_mean', 'running_var', 'weight']);
  });

  it('state dicts round-trip and reject wrong shapes and names', async () => {
    useBackend('cpu');
    manualSeed(1);
    const a = new Sequential(new Conv2d(2, 3, 1), new BatchNorm2d(3));
    manualSeed(2);
    const b = new Sequential(new Conv2d(2, 3, 1), new BatchNorm2d(3));
    b.loadStateDict(a.stateDict());
    expect(Array.from(await b.stateDict()['0.weight'].data())).toEqual(Array.from(await a.stateDict()['0.weight'].data()));
    expect(() => b.loadStateDict({ ...a.stateDict(), extra: tensor([1], [1]) })).toThrow(/has no entry named extra/);
    const wrong = { ...a.stateDict(), '0.bias': tensor([1, 2], [2]) };
    expect(() => b.loadStateDict(wrong)).toThrow(/'0.bias' has shape \[2\] in the record but \[3\]/);
  });

  it('Embedding looks up rows; Dropout2d zeroes whole channels only in training', async () => {
    useBackend('cpu');
    const e = new Embedding(4, 3);
    const rows = await f64(e.forward(tensor([2, 0], [2], { dtype: 'int32' })));
    const w = await f64(e.weight);
    expect(Array.from(rows)).toEqual([...Array.from(w.slice(6, 9)), ...Array.from(w.slice(0, 3))]);
    const d = new Dropout2d(0.5);
    const y = await f64(d.forward(tensor(new Float32Array(2 * 4 * 9).fill(1), [2, 4, 3, 3])));
    for (let c = 0; c < 8; c++) {
      const ch = y.slice(c * 9, c * 9 + 9);
      expect(ch.every((v) => v === ch[0]) && (ch[0] === 0 || ch[0] === 2)).toBe(true);
    }
    d.eval();
    expect(Array.from(await f64(d.forward(tensor([1, 2], [1, 2, 1, 1]))))).toEqual([1, 2]);
  });
});
