/**
 * The gpu.js side of backend selection: one `GPU` instance per mode, and the probes that say which
 * modes work here. WebGPU in Node needs `navigator.gpu` from the optional `webgpu` package; the
 * probe installs it (see docs/backends.md).
 */
import { GPU } from 'gpu.js';

export type GpuMode = 'webgpu' | 'headlessgl' | 'webgl2' | 'webgl' | 'webasm' | 'cpu';

const isNode = typeof process !== 'undefined' && !!process.versions?.node;

/** Creates the gpu.js instance for a mode. */
export function createGpu(mode: GpuMode): GPU {
  return new GPU({ mode });
}

let webgpuProbe: Promise<{ ok: boolean; software: boolean; reason: string }> | null = null;

/**
 * Makes `navigator.gpu` available in Node (from the `webgpu` package) and asks for an adapter.
 * Resolves `software: true` for CPU renderers (lavapipe, SwiftShader), which auto-selection skips.
 */
export function probeWebGPU(): Promise<{ ok: boolean; software: boolean; reason: string }> {
  if (webgpuProbe) return webgpuProbe;
  webgpuProbe = (async () => {
    try {
      const g = globalThis as { navigator?: { gpu?: unknown } };
      if (isNode && !g.navigator?.gpu) {
        let mod: { create: (flags: string[]) => unknown; globals: object };
        try {
          mod = (await import('webgpu' as string)) as typeof mod;
        } catch (e) {
          return { ok: false, software: false, reason: `the optional 'webgpu' package is not installed (${(e as Error).message})` };
        }
        if (!process.env.XDG_RUNTIME_DIR) process.env.XDG_RUNTIME_DIR = (await import('node:os')).tmpdir();
        Object.assign(globalThis, mod.globals);
        const gpu = mod.create([]);
        if (g.navigator) Object.defineProperty(g.navigator, 'gpu', { value: gpu, configurable: true });
        else (globalThis as { navigator?: unknown }).navigator = { gpu };
      }
      const nav = (globalThis as unknown as { navigator?: { gpu?: { requestAdapter(): Promise<unknown> } } }).navigator;
      if (!nav?.gpu) return { ok: false, software: false, reason: 'navigator.gpu is not available' };
      const adapter = (await nav.gpu.requestAdapter()) as {
        info?: { vendor?: string; architecture?: string; device?: string; description?: string };
        isFallbackAdapter?: boolean;
      } | null;
      if (!adapter) return { ok: false, software: false, reason: 'no WebGPU adapter answered' };
      const info = adapter.info ?? {};
      const text = `${info.vendor ?? ''} ${info.architecture ?? ''} ${info.device ?? ''} ${info.description ?? ''}`.toLowerCase();
      const software = !!adapter.isFallbackAdapter || /llvmpipe|lavapipe|swiftshader|software|cpu/.test(text);
      const ok = await GPU.isWebGPUAvailable();
      return { ok, software, reason: ok ? text.trim() : 'gpu.js found no WebGPU adapter' };
    } catch (e) {
      return { ok: false, software: false, reason: (e as Error).message };
    }
  })();
  return webgpuProbe;
}

/** Whether headless-gl loads and creates a context here; `software` for Mesa's llvmpipe. */
export function probeHeadlessGL(): { ok: boolean; software: boolean; reason: string } {
  if (!isNode) return { ok: false, software: false, reason: 'not in Node' };
  if (!GPU.isHeadlessGLSupported) return { ok: false, software: false, reason: "the optional native 'gl' package is missing or cannot create a context (it needs an X display: run under xvfb-run)" };
  try {
    // NOTE: reached through process.getBuiltinModule so that browser bundles never import node:module.
    const { createRequire } = (process as unknown as { getBuiltinModule(n: string): typeof import('node:module') }).getBuiltinModule('node:module');
    const require = createRequire(import.meta.url);
    const createGL = require('gl') as (w: number, h: number) => WebGLRenderingContext | null;
    const gl = createGL(1, 1);
    if (!gl) return { ok: false, software: false, reason: 'headless-gl created no context' };
    const renderer = String(gl.getParameter(gl.RENDERER) ?? '');
    (gl.getExtension('STACKGL_destroy_context') as { destroy(): void } | null)?.destroy();
    return { ok: true, software: /llvmpipe|softpipe|swiftshader|software/i.test(renderer), reason: renderer };
  } catch (e) {
    return { ok: false, software: false, reason: (e as Error).message };
  }
}

export function probeBrowserGL(): { webgl2: boolean; webgl: boolean } {
  return { webgl2: !isNode && GPU.isWebGL2Supported, webgl: !isNode && GPU.isWebGLSupported };
}

export function webAssemblySupported(): boolean {
  return GPU.isWebAssemblySupported;
}
