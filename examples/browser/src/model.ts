/**
 * The page's side of the engine: choose a backend, load a checkpoint from fetched bytes, segment a
 * gray image with the SSA head's explanation (coarse mask, refined mask, fixed vs adapted prototype
 * maps), and train a fresh model for a few steps. Imports engine modules directly (not the
 * `src/index.ts` barrel, which also pulls in the Node-only data and training modules).
 */
import { GPU } from 'gpu.js';
import '../../../src/autograd/backward.js'; // installs the tidy hook that frees unreachable graph nodes (as src/index.ts does)
import { noGrad } from '../../../src/autograd/grad-mode.js';
import { normalizeImage } from '../../../src/data/augment.js';
import { hostToTensors, parseSafetensors } from '../../../src/io/safetensors.js';
import type { SegModel } from '../../../src/models/segmentor.js';
import { BatchNorm2d, GroupNorm, LayerNorm } from '../../../src/nn/layers/norm.js';
import { AdamW } from '../../../src/nn/optim/adamw.js';
import type { ParamGroupRule } from '../../../src/nn/optim/optimizer.js';
import { polyLr } from '../../../src/nn/optim/schedule.js';
import type { SSAHead } from '../../../src/ssa/head.js';
import type { BackendName } from '../../../src/tensor/backend.js';
import { backendInfo, setBackend, type BackendOptions } from '../../../src/tensor/engine.js';
import { dispose, tidy } from '../../../src/tensor/memory.js';
import { argmax, interpolate, tensor } from '../../../src/tensor/ops.js';
import { manualSeed } from '../../../src/tensor/random.js';
import { buildModel } from '../../../src/train/build.js';
import { CHECKPOINT_FORMAT, type CheckpointMeta } from '../../../src/train/checkpoint.js';

export type DemoBackend = Exclude<BackendName, 'headlessgl' | 'reference'>;
/** The order the page tries when no backend is asked for: the best gpu.js offers a browser. */
export const BROWSER_BACKENDS: readonly DemoBackend[] = ['webgpu', 'webgl2', 'webgl', 'webasm', 'cpu'];

/**
 * Caps how many compiled sizes each gpu.js webasm kernel keeps (gpu.js keeps 8). Each one holds its
 * own WebAssembly.Memory, and Chromium allows only about 124 live wasm memories per page: with the
 * engine's few dozen kernels at 8 sizes each, a training step runs out ("WebAssembly.Memory(): could
 * not allocate memory"). NOTE: a setter on the prototype swallows the constructor's assignment.
 */
function capWasmModuleCache(limit: number): void {
  const proto = (GPU as unknown as { WebAssemblyKernel?: { prototype: object } }).WebAssemblyKernel?.prototype;
  if (!proto || Object.getOwnPropertyDescriptor(proto, 'moduleCacheLimit')) return;
  Object.defineProperty(proto, 'moduleCacheLimit', { get: () => limit, set: () => undefined, configurable: true });
}

/** A tiny op whose value is known: proves a backend really runs kernels before the model uses it. */
async function smokeTest(): Promise<void> {
  const t = tidy(() => tensor([1, 2, 3, 4], [4]).mul(2).add(1).sum());
  const v = await t.item();
  t.dispose();
  if (v !== 24) throw new Error(`smoke test computed ${v}, expected 24`);
}

/**
 * Selects `wanted` (or, for 'auto', the first of BROWSER_BACKENDS that works here) and returns its
 * name with the reasons the ones before it were skipped. WebGPU counts when `navigator.gpu` gives an
 * adapter, software ones included (the engine's own auto-selection in `ready()` skips those).
 */
export async function chooseBackend(wanted: DemoBackend | 'auto', opts: BackendOptions = {}): Promise<{ name: BackendName; skipped: string[] }> {
  const skipped: string[] = [];
  const order = wanted === 'auto' ? BROWSER_BACKENDS : [wanted];
  for (const name of order) {
    try {
      if (name === 'webgpu') {
        const gpu = (navigator as unknown as { gpu?: { requestAdapter(): Promise<unknown> } }).gpu;
        if (!gpu) throw new Error('navigator.gpu is missing');
        if (!(await gpu.requestAdapter())) throw new Error('navigator.gpu gave no adapter');
      }
      // NOTE: webasm runs synchronously (one thread) unless `async: true` is asked for. With worker
      // threads gpu.js gives every (kernel, size) its own shared WebAssembly.Memory, which the
      // workers keep alive; Chromium allows about 124 live wasm memories per page, so the first
      // image segments and the second fails with "WebAssembly.Memory(): could not allocate memory".
      if (name === 'webasm') capWasmModuleCache(2);
      await setBackend(name, name === 'webasm' && opts.async === undefined ? { ...opts, async: false } : opts);
      await smokeTest();
      return { name, skipped };
    } catch (e) {
      if (wanted !== 'auto') throw new Error(`backend ${name}: ${(e as Error).message}`);
      skipped.push(`${name}: ${(e as Error).message}`);
    }
  }
  throw new Error(`no backend works here (${skipped.join('; ')})`);
}

export { backendInfo };

// ---- checkpoint ----

export interface LoadedModel {
  model: SegModel;
  meta: CheckpointMeta;
  isSsa: boolean;
}

function metaField<T>(md: Record<string, string>, key: string, name: string): T {
  const v = md[key];
  if (v === undefined) throw new Error(`${name}: the checkpoint has no '${key}' in its metadata`);
  return JSON.parse(v) as T;
}

/** The metadata `saveCheckpoint` (src/train/checkpoint.ts) writes, read from a parsed file. */
export function checkpointMeta(md: Record<string, string>, name: string): CheckpointMeta {
  if (md.format !== CHECKPOINT_FORMAT) throw new Error(`${name}: metadata format is '${md.format ?? 'missing'}', expected '${CHECKPOINT_FORMAT}'`);
  return {
    iteration: Number(md.iteration),
    config: metaField(md, 'config', name),
    classes: metaField(md, 'classes', name),
    palette: metaField(md, 'palette', name),
    ignoreIndex: Number(md.ignoreIndex),
    mean: metaField(md, 'mean', name),
    std: metaField(md, 'std', name),
  };
}

/** Builds the model a checkpoint's metadata describes and loads its weights (the Node CLI's `loadTrained`, from bytes). */
export function loadCheckpoint(bytes: Uint8Array, name: string): LoadedModel {
  const { tensors, metadata } = parseSafetensors(bytes, name);
  const meta = checkpointMeta(metadata, name);
  const model = buildModel(meta.config, meta.classes.length);
  const weights = hostToTensors(tensors);
  try {
    model.loadStateDict(weights);
  } finally {
    dispose(weights);
  }
  model.eval();
  return { model, meta, isSsa: meta.config.head === 'ssa' };
}

// ---- inference ----

export interface Segmentation {
  width: number;
  height: number;
  /** argmax of the coarse logits M_c, upsampled (bilinear, align_corners false) to the image: [H·W]. */
  coarse: Int32Array;
  /** argmax of the SSA logits O, upsampled the same way: [H·W] (what `ssa-seg predict` writes). */
  refined: Int32Array;
  /** cos(S_f, S_k) per class at feature resolution: [K·h·w] (null for a vanilla head). */
  fixed: Float32Array | null;
  /** cos(S_f + P_f, W_o(S_p + P_p)_k) = O / 15 per class: [K·h·w]. */
  adapted: Float32Array | null;
  mapWidth: number;
  mapHeight: number;
  /** Wall time of the forward pass with the explanation, including reading the results back. */
  ms: number;
}

/** Gray 0..255 → the normalised [1, 3, H, W] input (gray replicated to RGB, as the Node loader does). */
function inputOf(gray: Uint8Array, width: number, height: number, meta: CheckpointMeta): Float32Array {
  const n = width * height;
  const rgb = new Float32Array(3 * n);
  for (let i = 0; i < n; i++) rgb[i] = rgb[n + i] = rgb[2 * n + i] = gray[i];
  return normalizeImage(rgb, 3, { mean: meta.mean, std: meta.std });
}

/** Segments one gray image: the masks of `ssa-seg predict` and the maps of `predict --explain`. */
export async function segment(m: LoadedModel, gray: Uint8Array, width: number, height: number): Promise<Segmentation> {
  const x = inputOf(gray, width, height, m.meta);
  const t0 = performance.now();
  const out = noGrad(() =>
    tidy(() => {
      const input = tensor(x, [1, 3, height, width]);
      const up = (t: ReturnType<typeof tensor>) => interpolate(t, { size: [height, width], mode: 'bilinear', alignCorners: false });
      if (!m.isSsa) {
        const refined = argmax(m.model.forward(input), 1);
        return { coarse: refined, refined, fixed: null, adapted: null };
      }
      const e = (m.model.head as unknown as SSAHead).explain(m.model.features(input));
      return { coarse: argmax(up(e.coarse), 1), refined: argmax(up(e.logits), 1), fixed: e.fixed, adapted: e.adapted };
    }),
  );
  try {
    const [coarse, refined, fixed, adapted] = await Promise.all([out.coarse.data(), out.refined.data(), out.fixed?.data(), out.adapted?.data()]);
    const ms = performance.now() - t0;
    const [, , h, w] = out.fixed?.shape ?? [0, 0, 0, 0];
    return {
      width, height, ms, mapWidth: w, mapHeight: h,
      coarse: Int32Array.from(coarse), refined: Int32Array.from(refined),
      fixed: fixed ? Float32Array.from(fixed) : null, adapted: adapted ? Float32Array.from(adapted) : null,
    };
  } finally {
    dispose(out);
  }
}

// ---- training ----

export interface TrainSample {
  gray: Uint8Array;
  labels: Int32Array;
}

export interface TrainOptions {
  iters: number;
  batch: number;
  lr: number;
  seed: number;
  /** Called after every step; return false to stop. Awaited, so the page can paint between steps. */
  onStep(info: { iter: number; loss: number; lr: number; ms: number }): Promise<boolean | void>;
}

/**
 * Trains a fresh model of the checkpoint's architecture on `samples`, with the CLI trainer's recipe
 * in small (AdamW, head at 10× the learning rate, no decay on norm layers, poly schedule with
 * warm-up), and returns it in eval mode.
 */
export async function trainFresh(base: LoadedModel, samples: TrainSample[], width: number, height: number, o: TrainOptions): Promise<LoadedModel> {
  const { meta } = base;
  manualSeed(o.seed);
  const model = buildModel(meta.config, meta.classes.length);
  const norms: string[] = [];
  for (const [prefix, mod] of model.namedModules()) {
    if (mod instanceof BatchNorm2d || mod instanceof GroupNorm || mod instanceof LayerNorm) for (const [n] of mod.namedParameters(prefix)) norms.push(n);
  }
  const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const rules: ParamGroupRule[] = [{ pattern: /^head\./, lrMult: meta.config.headLrMult }];
  if (norms.length) rules.push({ pattern: new RegExp(`^(${norms.map(esc).join('|')})$`), decayMult: 0 });
  const opt = new AdamW(model.namedParameters(), { lr: o.lr, weightDecay: meta.config.weightDecay, rules });
  const sched = { baseLr: o.lr, maxIters: o.iters, power: 1, warmupIters: Math.min(5, Math.floor(o.iters / 4)), warmupRatio: 1e-6 };
  const inputs = samples.map((s) => inputOf(s.gray, width, height, meta));
  const n = width * height;
  model.train();
  try {
    for (let it = 0; it < o.iters; it++) {
      const t0 = performance.now();
      opt.lr = polyLr(it, sched);
      const idx = Array.from({ length: o.batch }, (_, b) => (it * o.batch + b) % samples.length);
      const xs = new Float32Array(o.batch * 3 * n);
      const ys = new Int32Array(o.batch * n);
      idx.forEach((i, b) => {
        xs.set(inputs[i], b * 3 * n);
        ys.set(samples[i].labels, b * n);
      });
      const total = tidy(() => {
        const out = model.forwardTrain(tensor(xs, [o.batch, 3, height, width]), tensor(ys, [o.batch, height, width], { dtype: 'int32' }), meta.ignoreIndex);
        out.losses.total.backward();
        return out.losses.total;
      });
      const loss = await total.item();
      total.dispose();
      if (!Number.isFinite(loss)) throw new Error(`training: the loss became ${loss} at iteration ${it + 1}`);
      opt.step();
      opt.zeroGrad();
      if ((await o.onStep({ iter: it + 1, loss, lr: opt.lr, ms: performance.now() - t0 })) === false) break;
    }
  } catch (e) {
    model.dispose();
    throw e;
  } finally {
    opt.dispose();
  }
  model.eval();
  return { model, meta, isSsa: base.isSsa };
}
