/**
 * scripts/wat-inline.ts, the build step that expands calls of `;; @inline` helpers in kernels.wat:
 * an expanded module computes what the original does, no call of a helper is left, nested calls
 * and several call sites get their own locals, and helpers it cannot inline are refused by name.
 */
import wabtInit from 'wabt';
import { describe, expect, it } from 'vitest';
import { inlineMarked, sexpEnd } from '../../scripts/wat-inline.js';

const MODULE = `(module
  ;; a helper with a param, a local and a comment holding (parentheses)
  ;; @inline
  (func $sq1 (param $x f64) (result f64)
    (local $t f64)
    (local.set $t (f64.mul (local.get $x) (local.get $x)))
    (f64.add (local.get $t) (f64.const 1)))
  ;; @inline
  (func $axpy (param $a f64) (param $x f64) (param $y f64) (result f64)
    (f64.add (f64.mul (local.get $a) (local.get $x)) (local.get $y)))
  (func (export "f") (param $x f64) (result f64)
    (local $t f64)
    (local.set $t (call $sq1 (local.get $x)))
    (call $axpy (local.get $t) (call $sq1 (call $sq1 (local.get $x))) (f64.const 0.5))))`;

async function run(wat: string, x: number): Promise<number> {
  const wabt = await wabtInit();
  const m = wabt.parseWat('t.wat', wat, {});
  try {
    m.resolveNames();
    const { instance } = await WebAssembly.instantiate(m.toBinary({}).buffer.slice());
    return (instance.exports.f as (v: number) => number)(x);
  } finally {
    m.destroy();
  }
}

describe('wat-inline', () => {
  it('expands every call of an @inline helper and computes the same', async () => {
    const out = inlineMarked(MODULE);
    expect(out).not.toMatch(/\(call \$(sq1|axpy)\b/);
    // three sq1 sites and one axpy site, each with its own renamed locals, declared in the caller
    expect(out.match(/\(local \$x__sq1_\d+ f64\)/g)).toHaveLength(3);
    expect(out.match(/\(local \$t__sq1_\d+ f64\)/g)).toHaveLength(3);
    expect(out.match(/\(local \$a__axpy_\d+ f64\)/g)).toHaveLength(1);
    for (const x of [0, 1.5, -2, 3.25]) {
      const sq1 = (v: number) => v * v + 1;
      const want = sq1(x) * sq1(sq1(x)) + 0.5;
      expect(await run(out, x)).toBe(want);
      expect(await run(MODULE, x)).toBe(want);
    }
  });

  it('leaves a module without @inline helpers as it is', () => {
    const plain = MODULE.replaceAll(';; @inline', ';; not inlined');
    expect(inlineMarked(plain)).toBe(plain);
  });

  it('refuses helpers it cannot inline, and calls with the wrong arity, by name', () => {
    const withReturn = MODULE.replace('(f64.add (local.get $t) (f64.const 1)))', '(return (local.get $t)))');
    expect(() => inlineMarked(withReturn)).toThrow(/\$sq1 uses return, branches or labels/);
    const arity = MODULE.replace('(call $axpy (local.get $t)', '(call $axpy');
    expect(() => inlineMarked(arity)).toThrow(/call of \$axpy with 2 arguments, it takes 3/);
  });

  it('matches parentheses past comments and strings', () => {
    const s = '(a ;; (not this\n (b "x)") (; ( ;) c)';
    expect(sexpEnd(s, 0)).toBe(s.length);
    expect(() => sexpEnd('(a (b)', 0)).toThrow(/unbalanced/);
  });
});
