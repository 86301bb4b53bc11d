// SSAHead behaviour beyond the parity fixtures: parameter names and counts, ablation switches,
// edge cases of the label map (absent classes, all-ignore images and batches, one class per image),
// explain(), memory hygiene, and a few SGD steps on synthetic data.
import { beforeEach, describe, expect, it } from 'vitest';
import { cat, manualSeed, memory, noGrad, randn, tensor, tidy, useBackend, type Tensor } from '../../src/index.js';
import type { ClassifierHead } from '../../src/models/heads.js';
import { SSAHead, SSA_LOSS_NAMES, type SSAHeadOptions, type SSATrainOutput } from '../../src/ssa/index.js';

// Exact float64 values by default; the memory and training tests run on a float32 device backend.
beforeEach(() => {
  useBackend('reference');
});

const C = 8;
const K = 4;

function labelsOf(maps: number[][][]): Tensor {
  return tensor(Int32Array.from(maps.flat(2)), [maps.length, maps[0].length, maps[0][0].length], { dtype: 'int32' });
}

/** A map of H×W filled by fn(i, j). */
const map = (H: number, W: number, fn: (i: number, j: number) => number) => Array.from({ length: H }, (_, i) => Array.from({ length: W }, (_, j) => fn(i, j)));

function makeHead(opts: Partial<SSAHeadOptions> = {}, seed = 7): SSAHead {
  manualSeed(seed);
  return new SSAHead({ channels: C, numClasses: K, dropoutRatio: 0, boundaryBorder: 1, ...opts });
}

async function lossValues(out: SSATrainOutput): Promise<Record<string, number>> {
  const r: Record<string, number> = {};
  for (const [k, v] of Object.entries(out.losses)) r[k] = await v.item();
  return r;
}

async function allFinite(ts: (Tensor | null)[]): Promise<boolean> {
  for (const t of ts) if (t && !Array.from(await t.data()).every(Number.isFinite)) return false;
  return true;
}

function step(head: SSAHead, feat: Tensor, labels: Tensor): SSATrainOutput {
  const out = head.forwardTrain(feat, labels);
  out.losses.total.backward();
  return out;
}

const FULL_PARAMS = [
  'conv_seg.weight', 'conv_seg.bias', 'get_feat_pos.weight', 'get_feat_pos.bias', 'center_pos.weight',
  'center_content_proj.0.weight', 'center_content_proj.2.weight', 'center_content_proj.2.bias',
  'center_pos_proj.0.weight', 'center_pos_proj.2.weight', 'center_pos_proj.2.bias', 'center_proj.weight',
  'gt_center_content_proj.0.weight', 'gt_center_content_proj.2.weight', 'gt_center_content_proj.2.bias',
  'gt_center_pos_proj.0.weight', 'gt_center_pos_proj.2.weight', 'gt_center_pos_proj.2.bias', 'gt_center_proj.weight',
];

describe('SSAHead parameters', () => {
  it('has the official names and shapes, and 4C² + KC + 12C inference plus 4C² + 2C training-only parameters', () => {
    const head = makeHead();
    const shapes = Object.fromEntries([...head.namedParameters()].map(([k, p]) => [k, p.shape]));
    expect(Object.keys(shapes).sort()).toEqual([...FULL_PARAMS].sort());
    expect(shapes['conv_seg.weight']).toEqual([K, C, 1, 1]);
    expect(shapes['get_feat_pos.weight']).toEqual([C, 1, 3, 3]);
    expect(shapes['center_pos.weight']).toEqual([K, C]);
    expect(shapes['center_content_proj.0.weight']).toEqual([C / 2, 2 * C]);
    expect(shapes['center_pos_proj.2.weight']).toEqual([C, C / 2]);
    expect(shapes['gt_center_proj.weight']).toEqual([C, C]);
    expect(head.numParameters()).toBe(K * C + K + (4 * C * C + K * C + 12 * C) + (4 * C * C + 2 * C));
    const asHead: ClassifierHead = head; // implements the segmentor's head interface
    expect(asHead.numClasses).toBe(K);
  });

  it('initialises conv_seg as mmseg: weight N(0, 0.01), bias 0', async () => {
    manualSeed(1);
    const head = new SSAHead({ channels: 64, numClasses: 20 });
    const w = Array.from(await head.conv_seg.weight.data());
    const std = Math.sqrt(w.reduce((a, v) => a + v * v, 0) / w.length);
    expect(std).toBeGreaterThan(0.009);
    expect(std).toBeLessThan(0.011);
    expect(Array.from(await head.conv_seg.bias!.data()).every((v) => v === 0)).toBe(true);
  });

  it('rejects features with the wrong channel count and malformed labels', () => {
    const head = makeHead();
    expect(() => head.forward(randn([1, C + 1, 4, 4]))).toThrow(/SSAHead.forward: features must be \[B, 8, h, w\], got \[1, 9, 4, 4\]/);
    expect(() => head.forwardTrain(randn([2, C, 4, 4]), labelsOf([map(8, 8, () => 0)]))).toThrow(/labels must be \[2, H, W\]/);
    expect(() => head.forwardTrain(randn([1, C, 4, 4]), tensor([0], [1, 1, 1]))).toThrow(/labels must be an int32 tensor/);
  });
});

describe('SSAHead ablation switches', () => {
  const feat = () => randn([2, C, 6, 6], { seed: 3, requiresGrad: true });
  const labels = () => labelsOf([map(12, 12, (i, j) => (i < 6 ? 0 : j < 6 ? 1 : 255)), map(12, 12, (i, j) => (i + j < 12 ? 2 : 3))]);
  const without = (...drop: string[]) => SSA_LOSS_NAMES.filter((k) => !drop.includes(k));
  const cases: [string, Partial<SSAHeadOptions>, string[], (p: string) => boolean][] = [
    ['full', {}, [...SSA_LOSS_NAMES], () => true],
    ['SPPA only (sepa off)', { sepa: false }, without('disLoss'), (p) => !p.includes('content_proj')],
    ['SEPA only (sppa off)', { sppa: false }, without('pos_disLoss'), (p) => !/get_feat_pos|center_pos/.test(p)],
    ['baseline (both off)', { sepa: false, sppa: false }, ['MainLoss'], (p) => p.startsWith('conv_seg')],
    ['no teacher', { teacher: false }, ['MainLoss', 'PreSelfLoss', 'dice_pred'], (p) => !p.startsWith('gt_')],
    ['no L_rd', { lrd: false }, without('KLLoss'), () => true],
    ['no L_sd', { lsd: false }, without('disLoss'), () => true],
    ['no L_pd', { lpd: false }, without('pos_disLoss'), () => true],
    ['no Dice', { dice: false }, without('dice_pred', 'dice_gt'), () => true],
  ];
  it.each(cases)('%s: loss keys, parameters, total = Σ terms, finite gradients', async (_name, opts, keys, keepParam) => {
    const head = makeHead(opts);
    const f = feat();
    const out = step(head, f, labels());
    expect(Object.keys(out.losses).sort()).toEqual([...keys, 'total'].sort());
    const names = [...head.namedParameters()].map(([k]) => k);
    expect(names.sort()).toEqual(FULL_PARAMS.filter(keepParam).sort());
    const v = await lossValues(out);
    const sumTerms = keys.reduce((a, k) => a + v[k], 0);
    expect(v.total).toBeCloseTo(sumTerms, 10);
    expect(await allFinite([f.grad, ...head.parameters().map((p) => p.grad)])).toBe(true);
    expect(out.logits.shape).toEqual([2, K, 6, 6]);
    if (opts.sepa === false && opts.sppa === false) expect(out.logits).toBe(out.coarse);
    expect(out.teacherLogits === null).toBe(!keys.includes('PreLoss'));
  });

  it('switches that need an absent prerequisite are off in the effective config', () => {
    expect(makeHead({ teacher: false }).config).toMatchObject({ teacher: false, lrd: false, lsd: false, lpd: false, dice: true });
    expect(makeHead({ sepa: false }).config).toMatchObject({ lsd: false, lpd: true });
    expect(makeHead({ sepa: false, sppa: false }).config).toMatchObject({ teacher: false, dice: false });
  });
});

describe('SSAHead on awkward label maps', () => {
  it('absent classes: teacher fallbacks keep every loss and gradient finite', async () => {
    const head = makeHead();
    const f = randn([2, C, 6, 6], { seed: 5, requiresGrad: true });
    const out = step(head, f, labelsOf([map(12, 12, (i) => (i < 7 ? 0 : 1)), map(12, 12, () => 1)]));
    const v = await lossValues(out);
    expect(Object.values(v).every(Number.isFinite)).toBe(true);
    expect(await allFinite([f.grad, ...head.parameters().map((p) => p.grad), out.teacherLogits])).toBe(true);
  });

  it('an all-ignore image adds nothing to the terms averaged over labelled pixels or pairs', async () => {
    const labelled = map(12, 12, (i, j) => (i < 5 ? 0 : j < 4 ? 2 : 1));
    const f1 = randn([1, C, 6, 6], { seed: 9 });
    const f2 = randn([1, C, 6, 6], { seed: 10 });
    const both = await lossValues(makeHead().forwardTrain(cat([f1, f2], 0), labelsOf([labelled, map(12, 12, () => 255)])));
    const one = await lossValues(makeHead().forwardTrain(f1, labelsOf([labelled])));
    for (const k of ['PreSelfLoss', 'PreLoss', 'KLLoss', 'dice_pred', 'dice_gt']) expect(both[k], k).toBeCloseTo(one[k], 10);
    expect(both.MainLoss).toBeCloseTo(one.MainLoss / 2, 10); // mmseg averages over every pixel, ignored ones too
  });

  it('an all-ignore batch gives zero supervised terms (PyTorch would give NaN) and finite gradients', async () => {
    const head = makeHead();
    const f = randn([2, C, 6, 6], { seed: 11, requiresGrad: true });
    const out = step(head, f, labelsOf([map(12, 12, () => 255), map(12, 12, () => 255)]));
    const v = await lossValues(out);
    for (const k of ['MainLoss', 'PreSelfLoss', 'PreLoss', 'KLLoss', 'dice_pred', 'dice_gt']) expect(v[k], k).toBe(0);
    expect(Number.isFinite(v.disLoss) && Number.isFinite(v.pos_disLoss)).toBe(true);
    expect(await allFinite([f.grad, ...head.parameters().map((p) => p.grad)])).toBe(true);
  });

  it('one class per image: no boundary, so L_rd is the halved body term', async () => {
    const head = makeHead({ boundaryBorder: 0 });
    const f = randn([2, C, 6, 6], { seed: 12, requiresGrad: true });
    const out = step(head, f, labelsOf([map(12, 12, () => 3), map(12, 12, () => 0)]));
    expect(Array.from(await out.targets.boundary.data()).every((v) => v === 0)).toBe(true);
    const v = await lossValues(out);
    expect(Object.values(v).every(Number.isFinite)).toBe(true);
    expect(v.KLLoss).toBeGreaterThan(0);
    expect(await allFinite([f.grad, ...head.parameters().map((p) => p.grad)])).toBe(true);
  });

  it('a single class (K = 1) works end to end', async () => {
    manualSeed(2);
    const head = new SSAHead({ channels: 4, numClasses: 1, dropoutRatio: 0, boundaryBorder: 0 });
    const f = randn([1, 4, 4, 4], { seed: 13, requiresGrad: true });
    const out = step(head, f, labelsOf([map(8, 8, (i) => (i < 2 ? 255 : 0))]));
    expect(Object.values(await lossValues(out)).every(Number.isFinite)).toBe(true);
  });
});

describe('SSAHead inference and explanation maps', () => {
  it('forward in eval mode is deterministic and equals explain().logits; maps are consistent', async () => {
    const head = makeHead({ dropoutRatio: 0.5 }).eval();
    const f = randn([2, C, 5, 7], { seed: 14 });
    const a = Array.from(await head.forward(f).data());
    const b = Array.from(await head.forward(f).data());
    expect(a).toEqual(b);
    const ex = head.explain(f);
    expect(Array.from(await ex.logits.data())).toEqual(a);
    for (const m of [ex.coarse, ex.logits, ex.fixed, ex.adapted, ex.spatialAttention, ex.semanticAttention]) expect(m.shape).toEqual([2, K, 5, 7]);
    const adapted = Array.from(await ex.adapted.data());
    adapted.forEach((v, i) => expect(v * 15).toBeCloseTo(a[i], 10));
    expect(Array.from(await ex.fixed.data()).every((v) => Math.abs(v) <= 1 + 1e-9)).toBe(true);
    const sa = Array.from(await ex.spatialAttention.sum([2, 3]).data());
    sa.forEach((v) => expect(v).toBeCloseTo(1, 10));
    const se = Array.from(await ex.semanticAttention.sum(1).data());
    se.forEach((v) => expect(v).toBeCloseTo(1, 10));
    expect(ex.logits.requiresGrad).toBe(false);
  });

  it('dropout applies to the coarse path in training mode only', async () => {
    const head = makeHead({ dropoutRatio: 0.5 });
    const f = randn([1, C, 4, 4], { seed: 15 });
    manualSeed(100);
    const t1 = Array.from(await head.train().forward(f).data());
    const e1 = Array.from(await head.eval().forward(f).data());
    expect(t1).not.toEqual(e1);
  });
});

describe('SSAHead memory and training', () => {
  beforeEach(() => {
    useBackend('cpu');
  });

  it('a training step inside tidy leaves memory() where it started', async () => {
    const head = makeHead();
    const f = randn([2, C, 6, 6], { seed: 16 });
    const y = labelsOf([map(12, 12, (i) => (i < 6 ? 0 : 1)), map(12, 12, (_, j) => (j < 3 ? 255 : 2))]);
    const before = memory();
    const loss = tidy(() => {
      const out = head.forwardTrain(f, y);
      out.losses.total.backward();
      return out.losses.total;
    });
    await loss.item();
    loss.dispose();
    head.zeroGrad();
    expect(memory().numTensors).toBe(before.numTensors);
    expect(memory().numStorages).toBe(before.numStorages);
  });

  it('a few SGD steps on synthetic segmentation lower the loss', async () => {
    manualSeed(3);
    const head = new SSAHead({ channels: C, numClasses: 3, dropoutRatio: 0.1, boundaryBorder: 1 });
    // Features: a per-class embedding plus noise, on a map whose labels are two rectangles on a background.
    const H = 16;
    const h = 8;
    const maps = [0, 1].map((b) => map(H, H, (i, j) => (i >= 2 + b && i < 9 + b && j >= 3 && j < 10 ? 1 : j >= 11 - b ? 2 : 0)));
    const emb = Array.from({ length: 3 }, (_, k) => Array.from({ length: C }, (_, c) => Math.sin(1.7 * k + 0.9 * c)));
    const featVals: number[] = [];
    let s = 1;
    const noise = () => ((s = (s * 16807) % 2147483647) / 2147483647 - 0.5) * 0.8;
    for (let b = 0; b < 2; b++) for (let c = 0; c < C; c++) for (let i = 0; i < h; i++) for (let j = 0; j < h; j++) featVals.push(emb[maps[b][2 * i][2 * j]][c] + noise());
    const f = tensor(featVals, [2, C, h, h]);
    const y = labelsOf(maps);
    const params = head.parameters();
    const losses: number[] = [];
    for (let it = 0; it < 12; it++) {
      const l = tidy(() => {
        const out = head.forwardTrain(f, y);
        out.losses.total.backward();
        noGrad(() => params.forEach((p) => { if (p.grad) p.assign(p.sub(p.grad.mul(0.05))); p.zeroGrad(); }));
        return out.losses.total;
      });
      losses.push(await l.item());
      l.dispose();
    }
    expect(losses.every(Number.isFinite)).toBe(true);
    expect(losses[losses.length - 1]).toBeLessThan(0.9 * losses[0]);
  });
});
