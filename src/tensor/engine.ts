/**
 * Backend selection: which backend runs ops, chosen automatically, by the SSA_SEG_BACKEND
 * environment variable, or by `setBackend`. `backendInfo()` reports what actually runs.
 */
import type { Backend, BackendName } from './backend.js';
import { GpuBackend } from './backends/gpu/gpu-backend.js';
import { probeBrowserGL, probeHeadlessGL, probeWebGPU, webAssemblySupported, type GpuMode } from './backends/gpu/context.js';
import { ReferenceBackend } from './backends/reference/reference-backend.js';
import { installWasmKernels } from './backends/wasm/index.js';

export const BACKEND_NAMES: readonly BackendName[] = ['webgpu', 'headlessgl', 'webgl2', 'webgl', 'webasm', 'cpu', 'reference'];

export interface BackendOptions {
  /**
   * Run kernels under gpu.js's async contract. Default: true for webgpu (which has no other), false
   * elsewhere (webasm: see the NOTE in `instance`; SSA_SEG_WEBASM_ASYNC=1 turns it on).
   */
  async?: boolean;
}

const instances = new Map<string, Backend>();
let current: Backend | null = null;

function envChoice(): string | undefined {
  const v = typeof process !== 'undefined' ? process.env?.SSA_SEG_BACKEND : undefined;
  return v && v.trim() !== '' && v.trim() !== 'auto' ? v.trim() : undefined;
}

function assertName(name: string, where: string): asserts name is BackendName {
  if (!(BACKEND_NAMES as readonly string[]).includes(name)) {
    throw new Error(`${where}: unknown backend '${name}'; expected one of ${BACKEND_NAMES.join(', ')} (or 'auto')`);
  }
}

function instance(name: BackendName, opts: BackendOptions = {}): Backend {
  // NOTE: webasm runs synchronously by default. gpu.js's threaded webasm keeps a WebAssembly.Memory
  // per kernel and output size alive in its worker pool; a training run makes enough of them that
  // allocation fails (after ~140 steps of the compact model in Node, ~120 kernels in Chromium). The
  // WebAssembly GEMM/conv kernels bring their own threads, and the synchronous step measured faster.
  // SSA_SEG_WEBASM_ASYNC=1 (or { async: true }) restores gpu.js's threads.
  const envAsync = typeof process !== 'undefined' && process.env?.SSA_SEG_WEBASM_ASYNC === '1';
  const isAsync = name === 'webgpu' ? true : (opts.async ?? (name === 'webasm' && envAsync));
  const key = `${name}:${isAsync ? 'async' : 'sync'}`;
  let b = instances.get(key);
  if (!b) {
    b = name === 'reference' ? new ReferenceBackend() : new GpuBackend(name as GpuMode, isAsync);
    // NOTE: on webasm and cpu, hand-written WebAssembly SIMD kernels take GEMM and convolution
    // (SSA_SEG_WASM_KERNELS=0 turns them off); the gpu.js kernels stay for the GPU modes.
    if (b instanceof GpuBackend) installWasmKernels(b);
    instances.set(key, b);
  }
  return b;
}

/** The best backend that can be proven synchronously (everything but WebGPU). */
function autoSync(): BackendName {
  const gl = probeBrowserGL();
  if (gl.webgl2) return 'webgl2';
  if (gl.webgl) return 'webgl';
  const hgl = probeHeadlessGL();
  if (hgl.ok && !hgl.software) return 'headlessgl';
  // NOTE: on a CPU, gpu.js's cpu mode (kernels compiled to plain JavaScript loops) beats its webasm
  // mode for everything the WebAssembly SIMD host kernels do not take: webasm copies every argument
  // into and out of WebAssembly memory on each launch. Measured on the compact model's training
  // step (batch 4, 64×84): 88 ms on cpu vs 163 ms on webasm, both with the host kernels
  // (docs/performance.md). So the CPU default is 'cpu'; 'webasm' stays selectable.
  return 'cpu';
}

/**
 * The backend ops run on. On first use it is chosen synchronously: SSA_SEG_BACKEND if set, else
 * the best hardware GL context, else cpu (with the WebAssembly SIMD host kernels). WebGPU needs an asynchronous probe, so it is
 * only chosen by `await ready()` or `await setBackend('webgpu')`.
 */
export function backend(): Backend {
  if (current) return current;
  const env = envChoice();
  if (env) {
    assertName(env, 'SSA_SEG_BACKEND');
    if (env === 'webgpu') {
      throw new Error("SSA_SEG_BACKEND=webgpu: WebGPU must be initialised asynchronously; call `await ready()` (or `await setBackend('webgpu')`) before the first op");
    }
    current = instance(env);
  } else {
    current = instance(autoSync());
  }
  return current;
}

/**
 * Chooses the backend, including WebGPU when a hardware adapter answers, and resolves to its name.
 * Call once at start-up; ops called before it use the synchronous choice of `backend()`.
 */
export async function ready(): Promise<BackendName> {
  if (current) return current.name;
  const env = envChoice();
  if (env === 'webgpu') return setBackend('webgpu');
  if (!env) {
    const probe = await probeWebGPU();
    if (probe.ok && !probe.software) return setBackend('webgpu');
  }
  return backend().name;
}

/**
 * Switches the backend ops run on ('auto' picks the best available). Tensors keep the backend that
 * made them; mixing tensors of two backends in one op is an error.
 */
export async function setBackend(name: BackendName | 'auto', opts: BackendOptions = {}): Promise<BackendName> {
  if (name === 'auto') {
    current = null;
    return ready();
  }
  assertName(name, 'setBackend');
  if (name === 'webgpu') {
    const probe = await probeWebGPU();
    if (!probe.ok) throw new Error(`setBackend: the webgpu backend is not available here: ${probe.reason}`);
  }
  if (name === 'headlessgl') {
    const probe = probeHeadlessGL();
    if (!probe.ok) throw new Error(`setBackend: the headlessgl backend is not available here: ${probe.reason}`);
  }
  if ((name === 'webgl2' || name === 'webgl') && !probeBrowserGL()[name]) {
    throw new Error(`setBackend: the ${name} backend needs a browser with ${name === 'webgl2' ? 'WebGL2' : 'WebGL'}`);
  }
  if (name === 'webasm' && !webAssemblySupported()) throw new Error('setBackend: WebAssembly is not supported here');
  current = instance(name, opts);
  return current.name;
}

/** Synchronous switch for tests and scripts that already know the backend is available. */
export function useBackend(name: BackendName, opts: BackendOptions = {}): Backend {
  assertName(name, 'useBackend');
  if (name === 'webgpu') throw new Error("useBackend: webgpu needs `await setBackend('webgpu')`");
  current = instance(name, opts);
  return current;
}

/** Runs `fn` with another backend current, restoring the previous one afterwards. */
export function withBackend<T>(name: BackendName, fn: () => T, opts: BackendOptions = {}): T {
  const prev = current;
  current = name === 'webgpu' ? webgpuInstance() : instance(name, opts);
  try {
    return fn();
  } finally {
    current = prev;
  }
}

/** The WebGPU backend, which only `await setBackend('webgpu')` can create (it needs an async probe). */
function webgpuInstance(): Backend {
  const b = instances.get('webgpu:async');
  if (!b) throw new Error("withBackend: call `await setBackend('webgpu')` once before using it");
  return b;
}

/** The name of the backend ops run on. */
export function getBackend(): BackendName {
  return backend().name;
}

/**
 * What actually runs: the backend, whether kernels run asynchronously, and any kernel gpu.js
 * moved to another mode (for example a kernel the webasm backend cannot take runs on cpu).
 */
export function backendInfo(): { name: BackendName; async: boolean; hostKernels: string | null; fallbacks: Record<string, string> } {
  const b = backend();
  const fallbacks = b instanceof GpuBackend ? Object.fromEntries(b.fallbacks) : {};
  const hostKernels = b instanceof GpuBackend && b.host && (b.name === 'webasm' || b.name === 'cpu') ? b.host.name : null;
  return { name: b.name, async: b.isAsync, hostKernels, fallbacks };
}

/**
 * Frees every backend's kernels and device state, and closes WebGPU's device (without this a Node
 * process that used webgpu does not exit). Tensors made before become unusable.
 */
export async function shutdown(): Promise<void> {
  for (const b of instances.values()) {
    await b.sync().catch(() => undefined);
    b.destroy();
  }
  const usedWebGPU = [...instances.keys()].some((k) => k.startsWith('webgpu'));
  instances.clear();
  current = null;
  if (usedWebGPU) {
    const gpujs = (await import('gpu.js')) as unknown as { WebGPUContext?: { destroy?: () => Promise<void> | void }; default?: { WebGPUContext?: { destroy?: () => Promise<void> | void } } };
    const ctx = gpujs.WebGPUContext ?? gpujs.default?.WebGPUContext;
    await ctx?.destroy?.();
  }
}
