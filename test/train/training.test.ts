import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildM2nist } from '../../src/data/m2nist.js';
import { readSafetensors } from '../../src/io/safetensors.js';
import { defaultConfig, type TrainConfig } from '../../src/train/config.js';
import { latestCheckpoint } from '../../src/train/checkpoint.js';
import { train } from '../../src/train/trainer.js';
import { main } from '../../src/cli/main.js';

let data = '';
const tmp = () => mkdtempSync(join(tmpdir(), 'ssa-seg-train-'));

/** A model small enough to train in seconds on the cpu backend. */
function tinyConfig(out: string, over: Partial<TrainConfig> = {}): TrainConfig {
  return {
    ...defaultConfig(),
    data,
    out,
    backend: 'cpu',
    batch: 4,
    iters: 6,
    lr: 5e-3,
    warmupIters: 2,
    logInterval: 1,
    checkpointInterval: 3,
    model: { dims: [8, 16], depths: [1, 1], strips: [7], mlpRatio: 1, channels: 8 },
    ...over,
  };
}

beforeAll(async () => {
  data = join(tmp(), 'm2nist');
  await buildM2nist({ out: data, train: 24, val: 8, seed: 3 });
});

async function weightsOf(file: string) {
  const { tensors } = await readSafetensors(file);
  return tensors;
}

describe('training', () => {
  it('an interrupted and resumed run ends with bitwise the same weights (cpu)', async () => {
    const a = tmp();
    const ra = await train(tinyConfig(a), { evaluate: false });
    const b = tmp();
    await expect(
      train(tinyConfig(b), {
        evaluate: false,
        onCheckpoint(_file, iter) {
          if (iter === 3) throw new Error('simulated crash after iteration 3');
        },
      }),
    ).rejects.toThrow(/simulated crash/);
    expect(latestCheckpoint(b)!.iteration).toBe(3);
    const rb = await train(tinyConfig(b), { evaluate: false, resume: true });
    const wa = await weightsOf(ra.checkpoint);
    const wb = await weightsOf(rb.checkpoint);
    expect(Object.keys(wb).sort()).toEqual(Object.keys(wa).sort());
    for (const k of Object.keys(wa)) expect(Array.from(wb[k].data), k).toEqual(Array.from(wa[k].data));
    // the log continues where it stopped: iterations 1..6, with 1..3 twice never
    const iters = readFileSync(join(b, 'log.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l).iter);
    expect(iters).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it('refuses to overwrite a run without --resume, and to resume a run without checkpoints', async () => {
    const a = tmp();
    await train(tinyConfig(a, { iters: 1 }), { evaluate: false });
    await expect(train(tinyConfig(a, { iters: 1 }), { evaluate: false })).rejects.toThrow(/already holds a run.*--resume/);
    await expect(train(tinyConfig(tmp()), { evaluate: false, resume: true })).rejects.toThrow(/has no checkpoint to resume from/);
  });

  it('a non-finite loss stops training and keeps the last good checkpoint', async () => {
    const a = tmp();
    const err = await train(tinyConfig(a, { lr: 1e30, iters: 12, checkpointInterval: 1, warmupIters: 0 }), { evaluate: false }).then(
      () => null,
      (e: Error) => e,
    );
    expect(err).not.toBeNull();
    expect(err!.message).toMatch(/the loss became non-finite at iteration (\d+)/);
    const bad = Number(/iteration (\d+)/.exec(err!.message)![1]);
    const latest = latestCheckpoint(a)!;
    expect(latest.iteration).toBe(bad - 1);
    expect(err!.message).toContain(latest.modelPath);
    const w = await weightsOf(latest.modelPath);
    expect(Object.values(w).length).toBeGreaterThan(0);
  });

  it('loss falls and mIoU on held-out images beats predicting the majority class', async () => {
    // NOTE: 400 training canvases (MNIST train digits) and 100 val canvases (MNIST test digits, never
    // seen in training), the default model and recipe, 600 iterations of batch 4 on the cpu backend.
    const dir = join(tmp(), 'fit');
    await buildM2nist({ out: dir, train: 400, val: 100, seed: 5 });
    const a = tmp();
    const r = await train(
      tinyConfig(a, { data: dir, backend: 'cpu', iters: 600, batch: 4, lr: 6e-3, warmupIters: 20, logInterval: 10, checkpointInterval: 600, model: defaultConfig().model }),
      {},
    );
    const log = readFileSync(join(a, 'log.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l)).filter((e) => typeof e.total === 'number');
    const first = log.slice(0, 2).reduce((s, e) => s + e.total, 0) / 2;
    const last = log.slice(-2).reduce((s, e) => s + e.total, 0) / 2;
    expect(last).toBeLessThan(first * 0.5);
    // the trivial baseline: background everywhere → IoU(background) = its pixel share, 0 for every
    // other class present in the labels (absent classes are NaN and left out of the mean, as mmseg)
    const m = r.metrics!;
    const rows = m.confusion.map((row) => row.reduce((s, v) => s + v, 0));
    const present = rows.filter((n) => n > 0).length;
    const trivial = (100 * rows[10]) / rows.reduce((s, v) => s + v, 0) / present;
    console.log(`fit test: mIoU ${m.mIoU.toFixed(2)} vs trivial ${trivial.toFixed(2)}; digit IoUs ${m.perClass.slice(0, 10).map((c) => c.IoU.toFixed(1)).join(' ')}`);
    expect(m.mIoU).toBeGreaterThan(trivial + 4);
    expect(m.perClass.slice(0, 10).some((c) => c.IoU > 20)).toBe(true);
  });
});

describe('the ssa-seg CLI', () => {
  it('train, eval --json, predict, plot, and clear errors on bad input', async () => {
    const run = tmp();
    const cfgFile = join(run, 'cfg.json');
    writeFileSync(cfgFile, JSON.stringify({ model: { dims: [8, 16], depths: [1, 1], strips: [7], mlpRatio: 1, channels: 8 }, logInterval: 1 }));
    const out = join(run, 'r');
    expect(await main(['train', '--data', data, '--out', out, '--iters', '2', '--batch', '4', '--backend', 'cpu', '--config', cfgFile])).toBe(0);
    const json = join(run, 'm.json');
    expect(await main(['eval', '--checkpoint', out, '--json', json, '--backend', 'cpu'])).toBe(0);
    const m = JSON.parse(readFileSync(json, 'utf8'));
    expect(Object.keys(m)).toEqual(expect.arrayContaining(['mIoU', 'aAcc', 'mAcc', 'perClass', 'confusion']));
    expect(m.perClass[0]).toEqual(expect.objectContaining({ name: '0' }));
    expect(Object.keys(m.perClass[0])).toEqual(['name', 'IoU', 'Acc']);
    const pred = join(run, 'pred');
    expect(await main(['predict', '--checkpoint', out, '--input', join(data, 'img_dir', 'val'), '--out', pred, '--backend', 'cpu'])).toBe(0);
    const masks = readdirSync(pred).filter((f) => f.endsWith('_mask.png'));
    expect(masks.length).toBe(8);
    expect(readdirSync(pred).filter((f) => f.endsWith('_overlay.png')).length).toBe(8);
    expect(await main(['plot', '--run', out])).toBe(0);
    expect(readFileSync(join(out, 'loss.svg'), 'utf8')).toContain('<polyline');
    // bad input
    expect(await main(['train', '--data', join(run, 'nope'), '--out', join(run, 'x'), '--backend', 'cpu'])).toBe(1);
    expect(await main(['train', '--iters', 'ten', '--data', data, '--out', join(run, 'y')])).toBe(2);
    expect(await main(['eval', '--checkpoint', join(run, 'missing.safetensors')])).toBe(1);
    writeFileSync(join(run, 'bad.safetensors'), Buffer.from([1, 2, 3]));
    expect(await main(['eval', '--checkpoint', join(run, 'bad.safetensors')])).toBe(1);
    expect(await main(['frobnicate'])).toBe(2);
  });
});
