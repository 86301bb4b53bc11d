/** `ssa-seg plot`: loss and mIoU curves of a run (from log.jsonl) as SVG files. */
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { writeFileAtomic } from '../io/atomic.js';
import { parse, str, UsageError } from './args.js';

export const PLOT_USAGE = `usage: ssa-seg plot --run RUN [--out DIR]

  writes loss.svg (total loss per logged iteration) and miou.svg (mIoU at each evaluation) into DIR (default: RUN)`;

interface Series {
  name: string;
  points: [number, number][];
}

/** A line chart as SVG: axes with 5 ticks each, one polyline per series, a legend. */
export function lineChart(title: string, xLabel: string, yLabel: string, series: Series[]): string {
  const Wd = 640;
  const Ht = 400;
  const m = { l: 64, r: 20, t: 36, b: 48 };
  const all = series.flatMap((s) => s.points);
  if (all.length === 0) throw new Error(`plot: nothing to draw for '${title}'`);
  const xs = all.map((p) => p[0]);
  const ys = all.map((p) => p[1]);
  const [x0, x1] = [Math.min(...xs), Math.max(...xs) === Math.min(...xs) ? Math.min(...xs) + 1 : Math.max(...xs)];
  let [y0, y1] = [Math.min(...ys), Math.max(...ys)];
  if (y0 === y1) [y0, y1] = [y0 - 1, y1 + 1];
  const sx = (x: number) => m.l + ((x - x0) / (x1 - x0)) * (Wd - m.l - m.r);
  const sy = (y: number) => Ht - m.b - ((y - y0) / (y1 - y0)) * (Ht - m.t - m.b);
  const colours = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b'];
  const fmt = (v: number) => (Math.abs(v) >= 100 || Number.isInteger(v) ? v.toFixed(0) : v.toPrecision(3));
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${Wd}" height="${Ht}" font-family="sans-serif" font-size="12">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="${Wd / 2}" y="20" text-anchor="middle" font-size="14">${title}</text>`,
    `<line x1="${m.l}" y1="${Ht - m.b}" x2="${Wd - m.r}" y2="${Ht - m.b}" stroke="black"/>`,
    `<line x1="${m.l}" y1="${m.t}" x2="${m.l}" y2="${Ht - m.b}" stroke="black"/>`,
    `<text x="${(m.l + Wd - m.r) / 2}" y="${Ht - 10}" text-anchor="middle">${xLabel}</text>`,
    `<text x="16" y="${(m.t + Ht - m.b) / 2}" text-anchor="middle" transform="rotate(-90 16 ${(m.t + Ht - m.b) / 2})">${yLabel}</text>`,
  ];
  for (let i = 0; i <= 4; i++) {
    const xv = x0 + ((x1 - x0) * i) / 4;
    const yv = y0 + ((y1 - y0) * i) / 4;
    parts.push(`<text x="${sx(xv)}" y="${Ht - m.b + 16}" text-anchor="middle">${fmt(xv)}</text>`);
    parts.push(`<text x="${m.l - 6}" y="${sy(yv) + 4}" text-anchor="end">${fmt(yv)}</text>`);
    parts.push(`<line x1="${m.l}" y1="${sy(yv)}" x2="${Wd - m.r}" y2="${sy(yv)}" stroke="#eee"/>`);
  }
  series.forEach((s, i) => {
    const c = colours[i % colours.length];
    const pts = s.points.map(([x, y]) => `${sx(x).toFixed(1)},${sy(y).toFixed(1)}`).join(' ');
    parts.push(`<polyline fill="none" stroke="${c}" stroke-width="1.5" points="${pts}"/>`);
    if (s.points.length === 1) parts.push(`<circle cx="${sx(s.points[0][0])}" cy="${sy(s.points[0][1])}" r="3" fill="${c}"/>`);
    parts.push(`<text x="${Wd - m.r - 4}" y="${m.t + 14 * (i + 1)}" text-anchor="end" fill="${c}">${s.name}</text>`);
  });
  parts.push('</svg>');
  return parts.join('\n') + '\n';
}

/** Reads a run's log.jsonl (one JSON object per line), naming the line of any bad entry. */
export function readLog(run: string): Record<string, number>[] {
  const file = join(run, 'log.jsonl');
  if (!existsSync(file)) throw new Error(`plot: ${file} not found (is ${run} a run folder written by ssa-seg train?)`);
  return readFileSync(file, 'utf8').split('\n').filter((l) => l.trim()).map((l, i) => {
    try {
      return JSON.parse(l) as Record<string, number>;
    } catch {
      throw new Error(`plot: ${file}, line ${i + 1}: not valid JSON`);
    }
  });
}

export async function plotCommand(argv: string[]): Promise<void> {
  const v = parse('plot', argv, { run: { type: 'string' }, out: { type: 'string' } }, PLOT_USAGE);
  const run = str(v.run);
  if (!run) throw new UsageError(`--run is required\n\n${PLOT_USAGE}`);
  const rows = readLog(run);
  const out = str(v.out) ?? run;
  const steps = rows.filter((r) => typeof r.total === 'number');
  const lossKeys = [...new Set(steps.flatMap((r) => Object.keys(r)))].filter((k) => !['iter', 'lr', 'itPerSec', 'time'].includes(k));
  const series = lossKeys.map((k) => ({ name: k, points: steps.filter((r) => typeof r[k] === 'number').map((r) => [r.iter, r[k]] as [number, number]) }));
  await writeFileAtomic(join(out, 'loss.svg'), lineChart('training loss', 'iteration', 'loss', series));
  const evals = rows.filter((r) => typeof r.mIoU === 'number');
  const written = [join(out, 'loss.svg')];
  if (evals.length) {
    await writeFileAtomic(join(out, 'miou.svg'), lineChart('validation mIoU', 'iteration', 'mIoU (%)', [{ name: 'mIoU', points: evals.map((r) => [r.iter, r.mIoU]) }]));
    written.push(join(out, 'miou.svg'));
  }
  console.log(`wrote ${written.map((f) => resolve(f)).join(', ')}`);
}
