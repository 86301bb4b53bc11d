// Device backends under test (env SSA_SEG_TEST_BACKENDS), and helpers that build the same host
// input on the float64 reference backend and on a device backend, run a function, and read results.
import { beforeAll, describe } from 'vitest';
import {
  noGrad, setBackend, tensor, tidy, withBackend,
  type BackendName, type BackendOptions, type Tensor,
} from '../../src/index.js';

/** One host-side input: float32-representable values (or integers for int32), uploaded as is. */
export interface HostInput {
  shape: readonly number[];
  dtype: 'float32' | 'int32';
  values: ArrayLike<number>;
  /** Whether this input is differentiable (built with requiresGrad on the gradient checks). */
  grad: boolean;
}

/** A backend a test runs on; `reference` is the float64 oracle. */
export interface Target {
  readonly id: string;
  readonly name: BackendName;
  readonly opts: BackendOptions;
}

export const REFERENCE: Target = { id: 'reference', name: 'reference', opts: {} };

/** A device backend under test. `skipReason` is set by `prepare()` when it is not available here. */
export interface Device extends Target {
  /** Initialises the backend (once; called from beforeAll); on failure records why (optional ones). */
  prepare(): Promise<void>;
  skipReason: string | null;
}

const DEFAULT_BACKENDS = 'cpu,webasm';

/** Device ids the env may list, with the backend and options each stands for. */
const KNOWN: Record<string, { name: BackendName; opts: BackendOptions; optional: boolean }> = {
  cpu: { name: 'cpu', opts: {}, optional: false },
  webasm: { name: 'webasm', opts: {}, optional: false }, // synchronous by default (see engine.ts)
  'webasm-sync': { name: 'webasm', opts: { async: false }, optional: false },
  'webasm-async': { name: 'webasm', opts: { async: true }, optional: false }, // gpu.js worker threads, in-order queue
  webgpu: { name: 'webgpu', opts: {}, optional: true },
  headlessgl: { name: 'headlessgl', opts: {}, optional: true },
};

/** A tiny op whose result is checked, so a backend that loads but computes nothing is caught early. */
async function smoke(t: Target): Promise<void> {
  const y = withBackend(t.name, () => tensor([1, 2, 3]).mul(2).add(1), t.opts);
  const v = Array.from(await y.data());
  y.dispose();
  if (v.join() !== '3,5,7') throw new Error(`smoke test on ${t.id} computed [${v.join(', ')}] instead of [3, 5, 7]`);
}

function makeDevice(id: string): Device {
  const k = KNOWN[id];
  if (!k) throw new Error(`SSA_SEG_TEST_BACKENDS: unknown entry '${id}'; expected a comma list of ${Object.keys(KNOWN).join(', ')}`);
  let prepared: Promise<void> | null = null;
  const dev: Device = {
    id,
    name: k.name,
    opts: k.opts,
    skipReason: null,
    prepare() {
      prepared ??= prepareOnce();
      return prepared;
    },
  };
  async function prepareOnce(): Promise<void> {
    try {
      // webgpu needs its asynchronous set-up once; headlessgl's setBackend probes the native module.
      // NOTE: setBackend changes the global backend; every helper here names its backend explicitly.
      if (k.name === 'webgpu' || k.name === 'headlessgl') await setBackend(k.name, k.opts);
      await smoke(dev);
    } catch (e) {
      // NOTE: CI sets SSA_SEG_REQUIRE_GPU_BACKENDS=1 so that a GPU backend that fails to start fails the run.
      if (!k.optional || process.env.SSA_SEG_REQUIRE_GPU_BACKENDS === '1') throw e;
      dev.skipReason = (e as Error).message; // names the backend and why
      console.warn(`[ssa-seg tests] skipping every ${id} test: ${dev.skipReason}`);
    }
  }
  return dev;
}

let devicesCache: Device[] | null = null;

/** The device backends from SSA_SEG_TEST_BACKENDS (default `cpu,webasm`), one instance per id. */
export function deviceBackends(): Device[] {
  if (devicesCache) return devicesCache;
  const raw = process.env.SSA_SEG_TEST_BACKENDS?.trim() || DEFAULT_BACKENDS;
  const ids = [...new Set(raw.split(',').map((s) => s.trim()).filter((s) => s !== ''))];
  devicesCache = ids.map(makeDevice);
  return devicesCache;
}

/**
 * One `describe` per device backend, with its preparation in a beforeAll. Tests inside call
 * `skipIfUnavailable(dev, ctx)` first, so an unavailable optional backend skips with its reason.
 */
export function describeDevices(title: string, body: (dev: Device) => void): void {
  for (const dev of deviceBackends()) {
    describe(`${title} [${dev.id}]`, () => {
      beforeAll(() => dev.prepare(), 120_000);
      body(dev);
    });
  }
}

/** Skips the current test when the device could not be prepared. */
export function skipIfUnavailable(dev: Device, ctx: { skip: (note?: string) => never }): void {
  if (dev.skipReason) ctx.skip(dev.skipReason);
}

/** Runs `fn` with `target` as the current backend. */
export function on<T>(target: Target, fn: () => T): T {
  return withBackend(target.name, fn, target.opts);
}

/** Uploads host inputs on the current backend; differentiable ones get requiresGrad when `withGrad`. */
export function build(inputs: readonly HostInput[], withGrad: boolean, values?: readonly ArrayLike<number>[]): Tensor[] {
  return inputs.map((x, i) => {
    const v = values?.[i] ?? x.values;
    const data = x.dtype === 'int32' ? Int32Array.from(v) : Float64Array.from(v);
    return tensor(data, x.shape, { dtype: x.dtype, requiresGrad: withGrad && x.grad });
  });
}

/**
 * The values of a tensor as float64 (awaits queued device work).
 * NOTE: on synchronous backends `data()` resolves at once, so a long property run would only ever
 * queue microtasks and starve the event loop (vitest's worker RPC then times out); a macrotask yield
 * per read keeps it turning.
 */
export async function read(t: Tensor): Promise<Float64Array> {
  const v = Float64Array.from(await t.data());
  await new Promise<void>((resolve) => setImmediate(resolve));
  return v;
}

/** Rounds to float32 (the values both backends receive are float32-representable). */
export function f32(v: ArrayLike<number>): Float64Array {
  return Float64Array.from(v, (x) => Math.fround(x));
}

/** Deterministic pseudo-random numbers in [0, 1) from a seed (mulberry32), for upstream gradients. */
export function seeded(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let r = Math.imul(s ^ (s >>> 15), 1 | s);
    r = (r + Math.imul(r ^ (r >>> 7), 61 | r)) ^ r;
    return ((r ^ (r >>> 14)) >>> 0) / 4294967296;
  };
}

/** A random non-uniform upstream gradient of `size` entries in ±[0.25, 1.25), float32-representable. */
export function randomDy(size: number, seed: number): Float64Array {
  const next = seeded(seed);
  return f32(Array.from({ length: size }, () => (next() < 0.5 ? -1 : 1) * (0.25 + next())));
}

export interface RunResult {
  shape: number[];
  dtype: string;
  requiresGrad: boolean;
  values: Float64Array;
}

/** Builds `inputs` on `target`, runs `fn` (no gradient recorded) and reads the output. */
export async function runForward(target: Target, inputs: readonly HostInput[], fn: (...xs: Tensor[]) => Tensor, values?: readonly ArrayLike<number>[]): Promise<RunResult> {
  const out = on(target, () => noGrad(() => tidy(() => fn(...build(inputs, false, values)))));
  try {
    return { shape: [...out.shape], dtype: out.dtype, requiresGrad: out.requiresGrad, values: await read(out) };
  } finally {
    out.dispose();
  }
}

export interface GradResult extends RunResult {
  /** d⟨dy, f⟩ / d input, for each differentiable input (null for the others). */
  grads: (Float64Array | null)[];
  /** The upstream gradient used (float32-representable). */
  dy: Float64Array;
}

/**
 * Builds `inputs` on `target` (differentiable ones require grad), runs `fn`, seeds backward with
 * `dy` (given values, or a seed for the random upstream gradient `randomDy(out.size, seed)`) and
 * reads the output and input gradients. An input that requires grad but receives none reads as zeros.
 */
export async function runWithGrad(target: Target, inputs: readonly HostInput[], fn: (...xs: Tensor[]) => Tensor, dy: number | ArrayLike<number>): Promise<GradResult> {
  const { out, grads, dy: dyUsed } = on(target, () =>
    tidy(() => {
      const xs = build(inputs, true);
      const y = fn(...xs);
      const d = typeof dy === 'number' ? randomDy(y.size, dy) : Float64Array.from(dy);
      if (y.requiresGrad) y.backward(tensor(d, y.shape));
      const gs = xs.map((x) => (x.requiresGrad ? x.grad : null));
      for (const x of xs) x.grad = null; // the grads are ours now (they are `kept`, so dispose them below)
      return { out: y, grads: gs, dy: d };
    }),
  );
  try {
    const gradValues = await Promise.all(
      grads.map(async (g, i) => (inputs[i].grad ? (g ? read(g) : new Float64Array(sizeOfShape(inputs[i].shape))) : null)),
    );
    return { shape: [...out.shape], dtype: out.dtype, requiresGrad: out.requiresGrad, values: await read(out), grads: gradValues, dy: dyUsed };
  } finally {
    out.dispose();
    for (const g of grads) g?.dispose();
  }
}

export function sizeOfShape(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** The gpu.js CPU modes the WebAssembly host kernels install on, as [mode, async] pairs for it.each. */
export const HOST_KERNEL_MODES = [
  ['cpu', false],
  ['webasm', false],
  ['webasm', true],
] as const;

/** n uniform values in [-1, 1) from the generator r (e.g. seeded(…)), as f32. */
export function randomArray(r: () => number, n: number): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = 2 * r() - 1;
  return a;
}
