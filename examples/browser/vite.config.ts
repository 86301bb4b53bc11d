/**
 * Vite config of the browser demo. The page imports the engine's TypeScript sources directly
 * (../../src); the few Node built-ins some of those files import at the top for their file
 * functions are aliased to a stub that throws if called (see src/node-stub.ts). The server listens
 * on 127.0.0.1 only and sends the two headers that make the page cross-origin isolated, so
 * SharedArrayBuffer exists and gpu.js's webasm backend can use worker threads.
 */
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const here = fileURLToPath(new URL('.', import.meta.url));
const repo = fileURLToPath(new URL('../..', import.meta.url));
const nodeStub = fileURLToPath(new URL('./src/node-stub.ts', import.meta.url));

/** COOP + COEP: `crossOriginIsolated` becomes true (every resource here is same-origin). */
const isolation = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
};

export default defineConfig({
  root: here,
  publicDir: 'public',
  cacheDir: fileURLToPath(new URL('../../node_modules/.vite/browser-demo', import.meta.url)),
  clearScreen: false,
  logLevel: 'warn',
  resolve: {
    alias: [
      { find: /^node:(fs|fs\/promises|path|crypto|os|url|zlib|module|util)$/, replacement: nodeStub },
      // src/tensor/backends/gpu/context.ts imports the Node WebGPU binding (Dawn) only when running in
      // Node; a browser has navigator.gpu itself.
      { find: /^webgpu$/, replacement: nodeStub },
    ],
  },
  server: {
    host: '127.0.0.1',
    strictPort: true,
    headers: isolation,
    fs: { allow: [repo] },
  },
  preview: { host: '127.0.0.1', strictPort: true, headers: isolation },
  // gpu.js is CommonJS (its "browser" field points at a UMD build): pre-bundle it at start-up, so the
  // first page load does not trigger a re-optimisation and a reload.
  optimizeDeps: { include: ['gpu.js'], entries: ['index.html'] },
  build: { outDir: 'dist', emptyOutDir: true, target: 'es2022', assetsDir: 'bundle', chunkSizeWarningLimit: 4000 },
});
