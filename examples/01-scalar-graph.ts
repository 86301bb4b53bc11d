/**
 * A micrograd-style tour of the engine: build a small graph, print values and gradients, and check
 * one gradient against a finite difference. Runs on the automatically chosen backend.
 *
 *   npx tsx examples/01-scalar-graph.ts [--tiny]
 */
import { backendInfo, conv2d, crossEntropy, ready, tensor, randn, valueAndGrad, memory, tidy } from '../src/index.js';

const name = await ready();
console.log(`backend: ${name}`, backendInfo());

// f(a, b) = sum(relu(a·b + a²) · tanh(b))
const a = tensor([2, -1, 0.5], [3], { requiresGrad: true });
const b = tensor([-3, 4, 1.5], [3], { requiresGrad: true });
const f = a.mul(b).add(a.square()).relu().mul(b.tanh()).sum();
await f.backward();
console.log('f        =', await f.item());
console.log('df/da    =', Array.from(await a.grad!.data()));
console.log('df/db    =', Array.from(await b.grad!.data()));

// the same gradient by a central difference on a[2]
const h = 1e-2;
const fAt = async (a2: number) => {
  const { value } = valueAndGrad((x, y) => x.mul(y).add(x.square()).relu().mul(y.tanh()).sum())(tensor([2, -1, a2], [3]), b.detach());
  return value.item();
};
console.log('numeric  =', ((await fAt(0.5 + h)) - (await fAt(0.5 - h))) / (2 * h), '(df/da[2])');

// a tiny conv layer trained for a few steps on random data
const tiny = process.argv.includes('--tiny');
const x = randn([2, 3, 8, 8], { seed: 1 });
const labels = tensor(new Int32Array(2 * 8 * 8).map((_, i) => (i >> 3) % 4), [2, 8, 8], { dtype: 'int32' });
const w = randn([4, 3, 3, 3], { seed: 2 }).mul(0.2).requiresGrad_(true);
for (let step = 0; step < (tiny ? 3 : 20); step++) {
  const loss = tidy(() => {
    const l = crossEntropy(conv2d(x, w, null, { padding: 1 }), labels);
    l.backward();
    w.assign(w.detach().sub(w.grad!.mul(0.5)));
    w.zeroGrad();
    return l;
  });
  if (step % 5 === 0 || tiny) console.log(`step ${step}: loss ${(await loss.item()).toFixed(4)}`);
  loss.dispose();
}
console.log('memory   =', memory());
