/**
 * The TensorFlow.js peer, shared by every part that compares against it.
 *
 * `@tensorflow/tfjs` (the union package) is imported rather than tfjs-core alone because only its
 * Node bundle registers tfjs's gradient functions (tfjs-core's Node bundle ships none, and its ESM
 * `register_all_gradients` cannot be loaded by Node). Backends: `@tensorflow/tfjs-backend-cpu`
 * (plain JavaScript) and `@tensorflow/tfjs-backend-wasm` (XNNPACK compiled to WebAssembly; its
 * .wasm binaries are read from node_modules through `setWasmPaths`).
 *
 * The wasm backend's multi-threaded build is switched off in Node by tfjs itself (its
 * WASM_HAS_MULTITHREAD_SUPPORT flag answers false there). `loadTfjs` forces it in a child process
 * first; only if it initialises there and computes correctly is it used here.
 */
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { getThreadsCount, setThreadsCount, setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { errorMessage } from '../harness.js';

export type Tf = typeof tf;
export type TfjsBackend = 'wasm' | 'cpu';

export interface TfjsEnv {
  tf: Tf;
  version: string;
  /** The peer backends that initialised, in order of preference ('wasm' first). */
  backends: TfjsBackend[];
  /** Human-readable label per backend, e.g. "tfjs-wasm (SIMD, 1 thread)". */
  labels: Record<string, string>;
  wasm: {
    ok: boolean;
    simd: boolean | null;
    threads: number | null;
    /** Whether the multi-threaded build is used. */
    threaded: boolean;
    /** Why the threaded build is not used (exact error), if it is not. */
    threadedError: string | null;
    /** Kernels this wasm build does not register among those the parts need. */
    missingKernels: string[];
    error: string | null;
  };
  cpu: { ok: boolean; error: string | null };
}

const require = createRequire(import.meta.url);

/** Directory holding the tfjs-backend-wasm .wasm files (inside node_modules), with a trailing slash. */
export function wasmDir(): string {
  return path.join(path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist') + path.sep;
}

interface ThreadProbe {
  ok: boolean;
  threads: number | null;
  sane: boolean;
  errors: string[];
}

/** Tries the threaded wasm build in a child process (it can crash or hang a process). */
function probeThreadedWasm(threads: number): ThreadProbe {
  const code = `
    const tf = require('@tensorflow/tfjs-core');
    const wasm = require('@tensorflow/tfjs-backend-wasm');
    const errors = [];
    console.warn = (...a) => errors.push(a.map((x) => (x && x.message) ? String(x) : String(x)).join(' '));
    process.on('uncaughtException', (e) => errors.push(String((e && e.message) || e)));
    const done = (r) => { process.stdout.write('@@' + JSON.stringify(r) + '\\n'); process.exit(0); };
    wasm.setWasmPaths(${JSON.stringify(wasmDir())});
    tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', true);
    wasm.setThreadsCount(${threads});
    tf.setBackend('wasm').then(async (ok) => {
      let threads = null, sane = false;
      try { threads = wasm.getThreadsCount(); } catch (e) { errors.push(String(e.message || e)); }
      if (ok) { const a = tf.ones([64, 64]); sane = (await tf.matMul(a, a).data())[0] === 64; }
      done({ ok, threads, sane, errors });
    }, (e) => done({ ok: false, threads: null, sane: false, errors: [...errors, String((e && e.message) || e)] }));
  `;
  const r = spawnSync(process.execPath, ['-e', code], { cwd: process.cwd(), encoding: 'utf8', timeout: 60_000 });
  const line = (r.stdout ?? '').split('\n').find((l) => l.startsWith('@@'));
  if (!line) {
    const why = r.error ? errorMessage(r.error) : `exit ${r.status ?? r.signal}: ${(r.stderr ?? '').trim().split('\n').slice(-3).join(' ')}`;
    return { ok: false, threads: null, sane: false, errors: [why] };
  }
  return JSON.parse(line.slice(2)) as ThreadProbe;
}

let loaded: Promise<TfjsEnv> | null = null;

/** Initialises the peer once per process (both backends), logging what it found. */
export function loadTfjs(log: (s: string) => void): Promise<TfjsEnv> {
  if (!loaded) loaded = init(log);
  return loaded;
}

async function init(log: (s: string) => void): Promise<TfjsEnv> {
  // NOTE: prod mode skips tfjs's debug checks (and its "install tfjs-node" banner), as for any benchmark.
  tf.enableProdMode();
  const env: TfjsEnv = {
    tf,
    version: tf.version.tfjs,
    backends: [],
    labels: {},
    wasm: { ok: false, simd: null, threads: null, threaded: false, threadedError: null, missingKernels: [], error: null },
    cpu: { ok: false, error: null },
  };

  const want = Math.max(1, typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length);
  log(`tfjs: trying the threaded wasm build (${want} threads) in a child process…`);
  const probe = probeThreadedWasm(want);
  if (probe.ok && probe.sane && (probe.threads ?? 0) > 1) {
    tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', true);
    setThreadsCount(want);
  } else {
    const errs = probe.errors.filter((e) => !/^Initialization of backend wasm failed$/.test(e.trim()));
    env.wasm.threadedError = probe.ok
      ? `initialised with ${probe.threads ?? '?'} thread(s), sane=${probe.sane}`
      : (errs[0] ?? 'setBackend(wasm) returned false').split('\n')[0];
    log(`tfjs: threaded wasm build not usable in Node: ${env.wasm.threadedError}`);
  }

  setWasmPaths(wasmDir());
  try {
    env.wasm.ok = await tf.setBackend('wasm');
    if (!env.wasm.ok) env.wasm.error = 'tf.setBackend("wasm") returned false';
  } catch (e) {
    env.wasm.error = errorMessage(e);
  }
  if (env.wasm.ok) {
    env.wasm.simd = (await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT')) as boolean;
    env.wasm.threads = getThreadsCount();
    env.wasm.threaded = env.wasm.threads > 1;
    env.wasm.missingKernels = ['Conv2D', 'Conv2DBackpropInput', 'Conv2DBackpropFilter', 'BatchMatMul', 'Softmax'].filter((k) => !tf.getKernel(k, 'wasm'));
    env.backends.push('wasm');
    env.labels.wasm = `tfjs-wasm (${env.wasm.simd ? 'SIMD' : 'no SIMD'}, ${env.wasm.threads} thread${env.wasm.threads === 1 ? '' : 's'})`;
  }
  try {
    env.cpu.ok = await tf.setBackend('cpu');
    if (!env.cpu.ok) env.cpu.error = 'tf.setBackend("cpu") returned false';
  } catch (e) {
    env.cpu.error = errorMessage(e);
  }
  if (env.cpu.ok) {
    env.backends.push('cpu');
    env.labels.cpu = 'tfjs-cpu (JavaScript)';
  }
  return env;
}

/** Makes `name` the current tfjs backend. */
export async function useTfjs(env: TfjsEnv, name: TfjsBackend): Promise<void> {
  if (env.tf.getBackend() !== name && !(await env.tf.setBackend(name))) throw new Error(`tfjs: setBackend('${name}') failed`);
}

/** What the peer is, as lines for the part's header. */
export function describeTfjs(env: TfjsEnv): string[] {
  const lines = [`peer: TensorFlow.js ${env.version} (prod mode), backends: ${env.backends.map((b) => env.labels[b]).join(', ') || 'none'}`];
  if (env.wasm.error) lines.push(`peer: tfjs-wasm failed to initialise: ${env.wasm.error}`);
  if (env.cpu.error) lines.push(`peer: tfjs-cpu failed to initialise: ${env.cpu.error}`);
  if (env.wasm.ok && !env.wasm.threaded) lines.push(`peer: tfjs-wasm threaded build not used: ${env.wasm.threadedError ?? 'not multi-threaded'}`);
  return lines;
}
