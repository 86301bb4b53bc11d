import { describe, expect, it } from 'vitest';
import { grad, noGrad, tensor, tidy, useBackend, valueAndGrad, memory, isGradEnabled, ones } from '../../src/index.js';
import { ALL_FUNCTIONS } from '../../src/autograd/functions/index.js';

const backends = [
  { id: 'reference', name: 'reference', async: false },
  { id: 'cpu', name: 'cpu', async: false },
  { id: 'webasm', name: 'webasm', async: false },
  { id: 'webasm-async', name: 'webasm', async: true },
] as const;

describe.each(backends)('autograd engine on $id', ({ name, async: isAsync }) => {
  const use = () => useBackend(name, { async: isAsync });

  it('diamond graph: y = a·b + a, b = a² gives dy/da = 3a² + 1', async () => {
    use();
    const a = tensor([2, -3], [2], { requiresGrad: true });
    const b = a.mul(a);
    const y = a.mul(b).add(a).sum();
    await y.backward();
    // d/da (a³ + a) = 3a² + 1 = [13, 28]
    expect(Array.from(await a.grad!.data())).toEqual([13, 28]);
  });

  it('shared input x*x', async () => {
    use();
    const x = tensor([1.5, -2], [2], { requiresGrad: true });
    await x.mul(x).sum().backward();
    expect(Array.from(await x.grad!.data())).toEqual([3, -4]);
  });

  it('accumulates across two backward() calls until zeroGrad()', async () => {
    use();
    const x = tensor([1, 2, 3], [3], { requiresGrad: true });
    await x.mul(2).sum().backward();
    await x.mul(3).sum().backward();
    expect(Array.from(await x.grad!.data())).toEqual([5, 5, 5]);
    x.zeroGrad();
    expect(x.grad).toBeNull();
    await x.mul(4).sum().backward();
    expect(Array.from(await x.grad!.data())).toEqual([4, 4, 4]);
  });

  it('writes .grad only on leaves that require it', async () => {
    use();
    const x = tensor([1, 2], [2], { requiresGrad: true });
    const c = tensor([3, 4], [2]);
    const h = x.mul(c);
    await h.sum().backward();
    expect(h.grad).toBeNull();
    expect(c.grad).toBeNull();
    expect(Array.from(await x.grad!.data())).toEqual([3, 4]);
  });

  it('backward on a non-scalar needs dy, and dy must match', async () => {
    use();
    const x = tensor([1, 2], [2], { requiresGrad: true });
    const y = x.mul(2);
    expect(() => y.backward()).toThrow(/one-element tensor/);
    expect(() => y.backward(tensor([1, 1, 1], [3]))).toThrow(/dy has shape \[3\]/);
    await y.backward(tensor([1, -1], [2]));
    expect(Array.from(await x.grad!.data())).toEqual([2, -2]);
  });

  it('noGrad records no nodes and restores the mode', () => {
    use();
    const x = tensor([1, 2], [2], { requiresGrad: true });
    const y = noGrad(() => {
      expect(isGradEnabled()).toBe(false);
      return x.mul(3);
    });
    expect(isGradEnabled()).toBe(true);
    expect(y.requiresGrad).toBe(false);
    expect(y.gradFn).toBeNull();
  });

  it('releases nodes after backward, and retainGraph keeps them', async () => {
    use();
    const x = tensor([1, 2], [2], { requiresGrad: true });
    const y = x.exp().sum();
    const node = y.gradFn!;
    await y.backward(undefined, { retainGraph: true });
    expect(node.released).toBe(false);
    await y.backward();
    expect(node.released).toBe(true);
    expect(() => y.backward()).toThrow(/already freed/);
    const e = Math.exp(1);
    const g = await x.grad!.data();
    expect(g[0]).toBeCloseTo(2 * e, 4);
  });

  it('detach cuts the graph', async () => {
    use();
    const x = tensor([2], [1], { requiresGrad: true });
    const y = x.mul(x.detach()).sum(); // d/dx = x.detach() = 2
    await y.backward();
    expect(Array.from(await x.grad!.data())).toEqual([2]);
  });

  it('grad and valueAndGrad leave the inputs untouched', async () => {
    use();
    const x = tensor([1, 2, 3], [3]);
    const [dx] = grad((t) => t.square().sum())(x);
    expect(Array.from(await dx.data())).toEqual([2, 4, 6]);
    const { value, grads } = valueAndGrad((a, b) => a.mul(b).sum())(x, tensor([4, 5, 6], [3]));
    expect(await value.item()).toBe(32);
    expect(Array.from(await grads[1].data())).toEqual([1, 2, 3]);
    expect(x.grad).toBeNull();
    expect(x.requiresGrad).toBe(false);
  });
});

describe('autograd engine: long chains', () => {
  it('a 10^5-op chain does not overflow the stack', async () => {
    useBackend('reference');
    const x = tensor([1], [1], { requiresGrad: true });
    let y = x;
    for (let i = 0; i < 100_000; i++) y = y.add(1e-5);
    await y.sum().backward();
    expect(Array.from(await x.grad!.data())).toEqual([1]);
  });

  it('tidy frees graph nodes no returned tensor can reach', () => {
    useBackend('cpu');
    const w = tensor([1, 2, 3], [3], { requiresGrad: true });
    const before = memory();
    tidy(() => {
      w.mul(2).exp().sum(); // forward only: nothing returned
    });
    expect(memory()).toEqual(before);
    const kept = tidy(() => w.mul(2).exp().sum());
    expect(kept.gradFn).not.toBeNull();
    expect(kept.gradFn!.released).toBe(false);
    kept.backward();
    kept.dispose();
    w.zeroGrad();
    expect(memory()).toEqual(before);
  });

  it('every primitive in ALL_FUNCTIONS is a named class', () => {
    expect(ALL_FUNCTIONS.length).toBeGreaterThan(30);
    for (const n of ALL_FUNCTIONS) expect(n).toMatch(/^[A-Z][A-Za-z0-9]+$/);
    void ones;
  });
});
