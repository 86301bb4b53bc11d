/**
 * Benchmark entry point: `npm run bench -- [part …] [--quick] [--json FILE] [--backends a,b]`.
 *
 * Parts are selected by name; with none, every part that exists runs. Each part lives in its own
 * file under bench/ and exports `part: Part` (see harness.ts); to add one, add a line to PARTS.
 * Tables go to stdout, progress to stderr; `--json FILE` writes the same numbers as JSON.
 */
import { accessSync, constants as fsConstants, mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import os from 'node:os';
import { writeFileAtomic } from '../src/io/atomic.js';
import { busyWarning, errorMessage, formatMachine, machineInfo, type Part, type PartContext, type PartResult } from './harness.js';

interface PartEntry {
  summary: string;
  load: () => Promise<Part>;
}

/** Every part that exists, in the order `npm run bench` runs them. */
const PARTS: Record<string, PartEntry> = {
  kernels: {
    summary: 'GEMM, conv2d, softmax and a small conv net fwd+bwd per backend, vs TensorFlow.js (wasm, cpu)',
    load: async () => (await import('./kernels.js')).part,
  },
  'wasm-kernels': {
    summary: 'the WebAssembly SIMD GEMM/conv kernels on 1 and 2 threads vs the gpu.js webasm kernels and tfjs-wasm',
    load: async () => (await import('./wasm-kernels.js')).part,
  },
  train: {
    summary: 'end-to-end training step of the compact model (batch 8, AdamW), ours vs the same architecture in TensorFlow.js (wasm, cpu)',
    load: async () => (await import('./train.js')).part,
  },
  'reference-step': { summary: "issue #6's reference training step (batch 8×3×64×64, 4×conv3×3(32)+ReLU, 1×1→11, CE, SGD), ours vs the same network in TensorFlow.js (wasm, cpu)", load: async () => (await import('./reference-step.js')).part },
  inference: {
    summary: 'inference ms/image, vanilla head vs SSA head (batch 1 and 8), and the SSA overhead',
    load: async () => (await import('./inference.js')).part,
  },
  scaling: {
    summary: 'training-step and inference time against batch, resolution and number of classes, vanilla vs SSA head',
    load: async () => (await import('./scaling.js')).part,
  },
  rss: {
    summary: 'resident memory and live tensors over 1000 training steps (100 with --quick)',
    load: async () => (await import('./rss.js')).part,
  },
};

/** Parts planned but not written yet (named so a request for one gets a clear answer). */
const PLANNED: Record<string, string> = {};

const USAGE = `usage: npm run bench -- [part …] [--quick] [--slow] [--json FILE] [--backends id,id,…] [--list]

  part            one or more of: ${Object.keys(PARTS).join(', ')} (default: all)
  --quick         smoke run: fewer repetitions (same workloads; scaling: fewer settings;
                  rss: 100 steps instead of 1000)
  --slow          also run measurements that take minutes (kernels: the tfjs-cpu conv net step;
                  train: more than one timed tfjs-cpu step when a step takes over 20 s)
  --json FILE     also write every number, the machine and the notes as JSON to FILE
  --backends L    only these backends, comma-separated: ours webasm-async, webasm-sync, cpu,
                  webgpu, headlessgl; peers tfjs-wasm, tfjs-cpu (peers run unless one is listed).
                  The model parts (train, inference, scaling, rss) run ours on those of cpu,
                  webasm-sync (= webasm) and webasm-async the list names; when it names none,
                  on the engine's default CPU backend (cpu; train: cpu and webasm); rss uses
                  the first one only
  --list          list the parts and exit
`;

interface Args {
  parts: string[];
  quick: boolean;
  slow: boolean;
  json: string | null;
  backends?: string[];
  list: boolean;
  help: boolean;
}

function parseArgs(argv: readonly string[]): Args {
  const a: Args = { parts: [], quick: false, slow: false, json: null, list: false, help: false };
  for (let i = 0; i < argv.length; i++) {
    const s = argv[i];
    const value = (flag: string) => {
      const eq = s.indexOf('=');
      if (eq >= 0) return s.slice(eq + 1);
      const v = argv[++i];
      if (v === undefined || v.startsWith('--')) throw new Error(`${flag} needs a value`);
      return v;
    };
    if (s === '--quick') a.quick = true;
    else if (s === '--slow') a.slow = true;
    else if (s === '--json' || s.startsWith('--json=')) a.json = value('--json');
    else if (s === '--backends' || s.startsWith('--backends=')) a.backends = value('--backends').split(',').map((x) => x.trim()).filter(Boolean);
    else if (s === '--list') a.list = true;
    else if (s === '--help' || s === '-h') a.help = true;
    else if (s.startsWith('-')) throw new Error(`unknown option ${s}`);
    else a.parts.push(s);
  }
  return a;
}

async function main(): Promise<number> {
  let args: Args;
  try {
    args = parseArgs(process.argv.slice(2));
  } catch (e) {
    process.stderr.write(`bench: ${errorMessage(e)}\n\n${USAGE}`);
    return 2;
  }
  if (args.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  if (args.list) {
    for (const [name, p] of Object.entries(PARTS)) process.stdout.write(`${name.padEnd(10)} ${p.summary}\n`);
    for (const [name, s] of Object.entries(PLANNED)) if (!PARTS[name]) process.stdout.write(`${name.padEnd(10)} (planned) ${s}\n`);
    return 0;
  }
  const names = args.parts.length > 0 ? args.parts : Object.keys(PARTS);
  for (const n of names) {
    if (!PARTS[n]) {
      const why = PLANNED[n] ? `part '${n}' (${PLANNED[n]}) is planned but does not exist yet` : `unknown part '${n}'`;
      process.stderr.write(`bench: ${why}; parts: ${Object.keys(PARTS).join(', ')}\n`);
      return 2;
    }
  }

  if (args.json) {
    // NOTE: checked before the run, not after it: a full run takes ~13 minutes.
    const dir = dirname(resolve(args.json));
    try {
      mkdirSync(dir, { recursive: true });
      accessSync(dir, fsConstants.W_OK);
    } catch (e) {
      process.stderr.write(`bench: --json ${args.json}: cannot write into ${dir}: ${errorMessage(e)}\n`);
      return 2;
    }
  }

  const started = new Date();
  const t0 = performance.now();
  const machine = machineInfo();
  const out = (s: string) => process.stdout.write(`${s}\n`);
  out(`# ssa-seg benchmark — ${names.join(', ')}${args.quick ? ' (--quick)' : ''}${args.slow ? ' (--slow)' : ''}`);
  out(`command: npm run bench --${process.argv.slice(2).length ? ` ${process.argv.slice(2).join(' ')}` : ''}`);
  out(`date: ${started.toISOString()}`);
  out(formatMachine(machine));
  const busy = busyWarning();
  if (busy) out(busy);
  out('');
  const ctx: PartContext = {
    quick: args.quick,
    slow: args.slow,
    backends: args.backends,
    log: (s) => process.stderr.write(`${s}\n`),
    out,
  };

  const results: PartResult[] = [];
  const failures: { part: string; error: string }[] = [];
  for (const n of names) {
    const pt0 = performance.now();
    out(`## part: ${n}\n`);
    try {
      const part = await PARTS[n].load();
      const r = await part.run(ctx);
      results.push(r);
      out(`part ${n} took ${((performance.now() - pt0) / 1000).toFixed(1)} s\n`);
    } catch (e) {
      const error = e instanceof Error ? (e.stack ?? e.message) : String(e);
      failures.push({ part: n, error });
      process.stderr.write(`bench: part ${n} failed: ${error}\n`);
    }
  }
  const totalS = (performance.now() - t0) / 1000;
  const loadEnd = os.loadavg().map((x) => Math.round(x * 100) / 100);
  out(`total: ${totalS.toFixed(1)} s (load average at the end, 1/5/15 min: ${loadEnd.join(' / ')})`);

  if (args.json) {
    const doc = {
      command: `npm run bench -- ${process.argv.slice(2).join(' ')}`.trim(),
      started: started.toISOString(),
      totalSeconds: totalS,
      loadAvgEnd: loadEnd,
      quick: args.quick,
      slow: args.slow,
      machine,
      parts: Object.fromEntries(results.map((r) => [r.part, r])),
      failures,
    };
    await writeFileAtomic(args.json, `${JSON.stringify(doc, null, 2)}\n`);
    process.stderr.write(`bench: wrote ${args.json}\n`);
  }
  return failures.length > 0 ? 1 : 0;
}

// NOTE: exit explicitly: gpu.js worker threads and the WebGPU device keep the event loop alive.
main().then(
  (code) => process.exit(code),
  (e) => {
    process.stderr.write(`bench: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exit(1);
  },
);
