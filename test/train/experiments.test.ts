// The two experiment commands: `demo` (the main job, `npm start`) and `compare` (seeds and the
// component ablation behind the README's results), on a tiny dataset and a two-iteration budget.
import { existsSync, mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { meanStd } from '../../src/cli/compare.js';
import { main } from '../../src/cli/main.js';
import { buildM2nist } from '../../src/data/m2nist.js';

let data = '';
const tmp = () => mkdtempSync(join(tmpdir(), 'ssa-seg-exp-'));
const mIoUOf = (run: string) => (JSON.parse(readFileSync(join(run, 'eval.json'), 'utf8')) as { mIoU: number }).mIoU;

beforeAll(async () => {
  data = join(tmp(), 'm2nist');
  await buildM2nist({ out: data, train: 8, val: 4, seed: 11 });
});

describe('meanStd', () => {
  it('is the mean and the sample (n − 1) standard deviation', () => {
    const [m, s] = meanStd([1, 2, 3, 6]);
    expect(m).toBe(3);
    expect(s).toBeCloseTo(Math.sqrt((4 + 1 + 0 + 9) / 3), 12);
    expect(meanStd([5])).toEqual([5, 0]);
  });
});

describe('ssa-seg demo (the main job)', () => {
  it('trains both heads, writes the table, metrics, predictions and the SSA explanation; reuses finished runs', async () => {
    const out = tmp();
    const args = ['demo', '--data', data, '--out', out, '--iters', '2', '--backend', 'cpu'];
    expect(await main(args)).toBe(0);
    const summary = readFileSync(join(out, 'summary.md'), 'utf8');
    expect(summary).toMatch(/^\| vanilla \| \d+\.\d\d \|/m);
    expect(summary).toMatch(/^\| ssa \| \d+\.\d\d \|/m);
    for (const head of ['vanilla', 'ssa']) {
      const run = join(out, head);
      expect(summary).toContain(`| ${head} | ${mIoUOf(run).toFixed(2)} |`);
      expect(existsSync(join(run, 'checkpoints', 'latest.json'))).toBe(true);
      const preds = readdirSync(join(run, 'predictions'));
      expect(preds.filter((f) => f.endsWith('_mask.png')).length).toBe(4);
      expect(preds.filter((f) => f.endsWith('_overlay.png')).length).toBe(4);
      expect(preds.filter((f) => f.endsWith('_explain.png')).length).toBe(head === 'ssa' ? 4 : 0);
    }
    // a second run reuses the finished training (the checkpoint is not rewritten) and says so
    const ckpt = join(out, 'ssa', 'checkpoints', 'latest.json');
    const before = statSync(ckpt).mtimeMs;
    expect(await main(args)).toBe(0);
    expect(statSync(ckpt).mtimeMs).toBe(before);
    expect(readFileSync(join(out, 'summary.md'), 'utf8')).toMatch(/\| reused \|/);
    expect(await main(['demo', '--data', data, '--out', out, '--heads', 'vanilla,nope'])).toBe(1);
  });
});

describe('ssa-seg compare', () => {
  it('reports mean ± std over seeds from each run’s eval.json, reuses finished runs, and adds the ablation rows', async () => {
    const out = tmp();
    expect(await main(['compare', '--data', data, '--out', out, '--iters', '2', '--seeds', '0,1', '--backend', 'cpu'])).toBe(0);
    const runs = readdirSync(out).filter((d) => statSync(join(out, d)).isDirectory()).sort();
    expect(runs).toEqual(['ssa-s0', 'ssa-s1', 'vanilla-s0', 'vanilla-s1']);
    const text = readFileSync(join(out, 'results.md'), 'utf8');
    for (const [row, id] of [['vanilla', 'vanilla'], ['SSA', 'ssa']]) {
      const xs = [0, 1].map((s) => mIoUOf(join(out, `${id}-s${s}`)));
      const [m, s] = meanStd(xs);
      expect(text).toContain(`| ${row} | ${m.toFixed(2)} ± ${s.toFixed(2)} | ${xs.map((x) => x.toFixed(2)).join(' / ')} |`);
    }
    const diffs = [0, 1].map((s) => mIoUOf(join(out, `ssa-s${s}`)) - mIoUOf(join(out, `vanilla-s${s}`)));
    const [dm, ds] = meanStd(diffs);
    expect(text).toContain(`SSA − vanilla, paired by seed: ${dm >= 0 ? '+' : ''}${dm.toFixed(2)} ± ${ds.toFixed(2)} mIoU`);
    expect(text).not.toContain('+SEPA');

    // the ablation on seed 0 trains only the two new variants; vanilla and full SSA are reused
    const before = statSync(join(out, 'ssa-s0', 'eval.json')).mtimeMs;
    expect(await main(['compare', '--data', data, '--out', out, '--iters', '2', '--seeds', '0', '--ablation', '--backend', 'cpu'])).toBe(0);
    expect(statSync(join(out, 'ssa-s0', 'eval.json')).mtimeMs).toBe(before);
    const abl = readFileSync(join(out, 'results.md'), 'utf8');
    for (const [label, id] of [['+SEPA', 'sepa'], ['+SEPA +SPPA', 'sepa-sppa']]) {
      const x = mIoUOf(join(out, `${id}-s0`));
      expect(abl).toContain(`| ${label} | ${x.toFixed(2)} ± 0.00 | ${x.toFixed(2)} |`);
      // the variants really train without the switched-off components
      const cfg = JSON.parse(readFileSync(join(out, `${id}-s0`, 'config.json'), 'utf8')) as { head: string; ssa: Record<string, boolean> };
      expect(cfg.head).toBe('ssa');
      expect(cfg.ssa).toMatchObject({ sepa: true, sppa: id === 'sepa-sppa', teacher: false, lrd: false, lsd: false, lpd: false });
    }
    expect(await main(['compare', '--data', data, '--out', out, '--seeds', '0,x'])).toBe(2);
  });
});
