/**
 * Build-time inlining for kernels.wat. V8 11.3 (Node 20) does not inline WebAssembly calls by
 * default, and a call of a small SIMD helper in a hot loop costs more than the helper: every v128
 * register is caller-saved, so the loop's vectors are spilled around each call, and the call keeps
 * the CPU from overlapping one iteration's long dependency chain (e^x's polynomial) with the next.
 * Measured on the dev machine, one e^x per 4 floats: 3.2–4.2 ns per float through a call, 1.5 inline.
 *
 * A function whose `(func $name` is preceded by a line `;; @inline` is expanded at every
 * `(call $name arg…)` in the other functions: the call becomes
 *   (block (result T) (local.set $p__name_N arg)… body…)
 * with the helper's params and locals renamed per call site (`$x` → `$x__name_N`) and declared as
 * locals of the caller. The helper stays in the module too (unused calls are harmless). Helpers may
 * not use `return` or branch labels, and must have exactly one result; the expansion throws if not.
 */

/** A parenthesised S-expression (or an atom) found in `text` from `start` on. */
interface Span {
  start: number;
  end: number;
}

/** Index just past the S-expression starting at `i` (which must be '('), skipping comments. */
export function sexpEnd(text: string, i: number): number {
  if (text[i] !== '(') throw new Error(`wat-inline: expected '(' at offset ${i}`);
  let depth = 0;
  for (let j = i; j < text.length; j++) {
    const c = text[j];
    if (c === ';' && text[j + 1] === ';') {
      j = text.indexOf('\n', j);
      if (j < 0) break;
      continue;
    }
    if (c === '(' && text[j + 1] === ';') {
      const close = text.indexOf(';)', j + 2);
      if (close < 0) break;
      j = close + 1;
      continue;
    }
    if (c === '"') {
      j++;
      while (j < text.length && text[j] !== '"') j += text[j] === '\\' ? 2 : 1;
      continue;
    }
    if (c === '(') depth++;
    else if (c === ')' && --depth === 0) return j + 1;
  }
  throw new Error(`wat-inline: unbalanced parentheses from offset ${i}`);
}

/** The top-level S-expressions (and atoms) between `from` and `to`, comments skipped. */
function children(text: string, from: number, to: number): Span[] {
  const out: Span[] = [];
  let j = from;
  while (j < to) {
    const c = text[j];
    if (/\s/.test(c)) j++;
    else if (c === ';' && text[j + 1] === ';') j = text.indexOf('\n', j) < 0 ? to : text.indexOf('\n', j) + 1;
    else if (c === '(' && text[j + 1] === ';') j = text.indexOf(';)', j + 2) + 2;
    else if (c === '(') {
      const e = sexpEnd(text, j);
      out.push({ start: j, end: e });
      j = e;
    } else {
      let e = j;
      while (e < to && !/[\s()]/.test(text[e])) e++;
      out.push({ start: j, end: e });
      j = e;
    }
  }
  return out;
}

interface Helper {
  name: string;
  params: { name: string; type: string }[];
  locals: { name: string; type: string }[];
  result: string;
  /** The body's instructions, as text. */
  body: string;
}

const HEADER_CLAUSE = /^\((param|result|local|export)(?=\s)/;

/** Parses `(func $name (param $a T)… (result T) (local $b T)… body…)`. */
function parseHelper(text: string, span: Span): Helper {
  const kids = children(text, span.start + 1, span.end - 1);
  const name = text.slice(kids[1].start, kids[1].end).slice(1);
  const params: Helper['params'] = [];
  const locals: Helper['locals'] = [];
  let result = '';
  let k = 2;
  for (; k < kids.length; k++) {
    const s = text.slice(kids[k].start, kids[k].end);
    const m = HEADER_CLAUSE.exec(s);
    if (!m) break;
    const parts = s.slice(1, -1).trim().split(/\s+/);
    if (m[1] === 'param' || m[1] === 'local') {
      // (param $a v128) or (local $a v128); unnamed or multi-name clauses are not supported
      if (parts.length !== 3 || !parts[1].startsWith('$')) throw new Error(`wat-inline: $${name}: write one named ${m[1]} per clause, got ${s}`);
      (m[1] === 'param' ? params : locals).push({ name: parts[1].slice(1), type: parts[2] });
    } else if (m[1] === 'result') {
      if (parts.length !== 2 || result) throw new Error(`wat-inline: $${name} must have exactly one result`);
      result = parts[1];
    }
  }
  if (!result) throw new Error(`wat-inline: $${name} must have exactly one result`);
  const body = text.slice(kids[k]?.start ?? span.end - 1, span.end - 1);
  if (/\((return|br|br_if|br_table)\b/.test(body) || /\((block|loop|if)\s+\$/.test(body)) {
    throw new Error(`wat-inline: $${name} uses return, branches or labels; it cannot be inlined`);
  }
  return { name, params, locals, result, body };
}

/** Every `(func …)` at the module's top level. */
function funcs(text: string): Span[] {
  const start = text.indexOf('(module');
  const kids = children(text, start + '(module'.length, sexpEnd(text, start) - 1);
  return kids.filter((s) => text.startsWith('(func', s.start));
}

/** Expands the calls of the `;; @inline` helpers in `wat` (see the file comment). */
export function inlineMarked(wat: string): string {
  const all = funcs(wat);
  const helpers = new Map<string, Helper>();
  for (const f of all) {
    const before = wat.slice(0, f.start).trimEnd();
    if (before.endsWith(';; @inline')) {
      const h = parseHelper(wat, f);
      helpers.set(h.name, h);
    }
  }
  if (helpers.size === 0) return wat;
  let counter = 0;
  /** `text` with every call of a helper expanded; `decls` collects the locals they need. */
  const expand = (text: string, decls: string[]): string => {
    const re = /\(call \$([A-Za-z0-9_.$]+)[\s)]/g;
    let out = '';
    let last = 0;
    for (let m = re.exec(text); m; m = re.exec(text)) {
      const h = helpers.get(m[1]);
      if (!h) continue;
      const end = sexpEnd(text, m.index);
      const args = children(text, m.index + 1, end - 1).slice(2);
      if (args.length !== h.params.length) {
        throw new Error(`wat-inline: call of $${h.name} with ${args.length} arguments, it takes ${h.params.length}`);
      }
      const n = counter++;
      const rename = (id: string) => `${id}__${h.name}_${n}`;
      const own = new Set([...h.params, ...h.locals].map((p) => p.name));
      for (const p of [...h.params, ...h.locals]) decls.push(`(local $${rename(p.name)} ${p.type})`);
      const body = h.body.replace(/\$([A-Za-z0-9_.]+)/g, (all, id: string) => (own.has(id) ? `$${rename(id)}` : all));
      const sets = args.map((a, i) => `(local.set $${rename(h.params[i].name)} ${expand(text.slice(a.start, a.end), decls)})`);
      out += `${text.slice(last, m.index)}(block (result ${h.result}) ${sets.join(' ')} ${body.trim()})`;
      last = end;
      re.lastIndex = end;
    }
    return out + text.slice(last);
  };
  let result = '';
  let last = 0;
  for (const f of all) {
    const fText = wat.slice(f.start, f.end);
    const name = /^\(func \$([A-Za-z0-9_.]+)/.exec(fText)?.[1];
    if (name && helpers.has(name)) continue;
    const decls: string[] = [];
    const expanded = expand(fText, decls);
    if (decls.length === 0) continue;
    // the new locals go after the header clauses (params, result, locals), before the first instruction
    const kids = children(expanded, 1, expanded.length - 1);
    let k = 2;
    while (k < kids.length && HEADER_CLAUSE.test(expanded.slice(kids[k].start, kids[k].end))) k++;
    const at = kids[k - 1].end;
    result += wat.slice(last, f.start) + expanded.slice(0, at) + ' ' + decls.join(' ') + expanded.slice(at);
    last = f.end;
  }
  return result + wat.slice(last);
}
