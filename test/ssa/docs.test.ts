// docs/ssa.md maps each equation of the paper to the code that computes it, as `symbol` `file.ts:a-b`
// references into src/ssa/. This keeps those references true: the named symbol must stand within
// the cited lines, so an edit that moves the code fails here until the doc is updated.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..', '..');
const doc = readFileSync(join(root, 'docs', 'ssa.md'), 'utf8');
const REF = /`(\w+)` `([\w.-]+\.ts):(\d+)(?:-(\d+))?`/g;
const refs = [...doc.matchAll(REF)].map((m) => ({ symbol: m[1], file: m[2], from: Number(m[3]), to: Number(m[4] ?? m[3]), text: m[0] }));

describe('docs/ssa.md code references', () => {
  it('cites every file of the head and every loss term', () => {
    expect(refs.length).toBeGreaterThanOrEqual(30);
    const files = new Set(refs.map((r) => r.file));
    for (const f of ['prototypes.ts', 'position.ts', 'spatial.ts', 'semantic.ts', 'projection.ts', 'classifier.ts', 'teacher.ts', 'targets.ts', 'boundary.ts', 'losses.ts', 'distill.ts', 'head.ts']) {
      expect(files, f).toContain(f);
    }
  });

  it.each(refs.map((r) => [r.text, r] as const))('%s: the symbol stands within the cited lines', (_t, r) => {
    const lines = readFileSync(join(root, 'src', 'ssa', r.file), 'utf8').split('\n');
    expect(r.from, `${r.text}: a range runs forwards`).toBeLessThanOrEqual(r.to);
    expect(r.to, `${r.text}: ${r.file} has ${lines.length} lines`).toBeLessThanOrEqual(lines.length);
    const cited = lines.slice(r.from - 1, r.to);
    const word = new RegExp(`\\b${r.symbol}\\b`);
    expect(cited.some((l) => word.test(l)), `${r.text}: '${r.symbol}' is not on lines ${r.from}-${r.to}:\n${cited.join('\n')}`).toBe(true);
  });
});
