import { describe, expect, it } from 'vitest';
import { conv2d, crossEntropy, dispose, keep, memory, noGrad, randn, tensor, tidy, useBackend, zeros } from '../../src/index.js';

const TARGETS = [
  { id: 'cpu', name: 'cpu', async: false },
  { id: 'webasm', name: 'webasm', async: false },
  { id: 'webasm-async', name: 'webasm', async: true },
  { id: 'reference', name: 'reference', async: false },
] as const;

describe.each(TARGETS)('memory on $id', ({ name, async: isAsync }) => {
  it('100 forward/backward/update steps end with the counters where they started', async () => {
    useBackend(name, { async: isAsync });
    // a small conv net: conv 3→4 (3×3), relu, conv 4→3 (1×1), cross-entropy; SGD by assign
    const w1 = keep(randn([4, 3, 3, 3], { seed: 1 }).mul(0.3).requiresGrad_(true));
    const b1 = keep(zeros([4]).requiresGrad_(true));
    const w2 = keep(randn([3, 4, 1, 1], { seed: 2 }).mul(0.3).requiresGrad_(true));
    const params = [w1, b1, w2];
    const x = keep(randn([2, 3, 6, 6], { seed: 3 }));
    const y = keep(tensor(new Int32Array(72).map((_, i) => i % 3), [2, 6, 6], { dtype: 'int32' }));
    const step = () =>
      tidy(() => {
        const h = conv2d(x, w1, b1, { padding: 1 }).relu();
        const loss = crossEntropy(conv2d(h, w2), y);
        loss.backward();
        noGrad(() => {
          for (const p of params) {
            p.assign(p.sub(p.grad!.mul(0.1)));
            p.zeroGrad();
          }
        });
        return loss;
      });
    const first = step();
    const firstLoss = await first.item();
    first.dispose();
    const before = memory();
    let last = 0;
    for (let i = 0; i < 100; i++) {
      const l = step();
      if (i === 99) last = await l.item();
      l.dispose();
    }
    expect(memory()).toEqual(before);
    expect(last).toBeLessThan(firstLoss);
    dispose([params, x, y]);
  });

  it('dispose is idempotent and use after dispose names the op', async () => {
    useBackend(name, { async: isAsync });
    const before = memory();
    const t = tensor([1, 2, 3], [3]);
    t.dispose();
    t.dispose();
    expect(memory()).toEqual(before);
    expect(() => t.add(1)).toThrow(/add: .*used after it was disposed/);
    await expect(t.data()).rejects.toThrow(/data: .*disposed/);
  });

  it('tidy disposes what it does not return and moves the result out', async () => {
    useBackend(name, { async: isAsync });
    const before = memory();
    const r = tidy(() => {
      const a = tensor([1, 2], [2]);
      const b = a.mul(3);
      return { b, list: [b.add(1)] };
    });
    expect(memory().numTensors).toBe(before.numTensors + 2);
    expect(Array.from(await r.list[0].data())).toEqual([4, 7]);
    dispose(r);
    expect(memory()).toEqual(before);
    expect(() => tidy(() => Promise.resolve(1))).toThrow(/synchronous/);
  });
});
