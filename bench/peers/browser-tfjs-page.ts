/**
 * The page side of the browser peer (bench/peers/browser-tfjs.ts): bundled by esbuild together
 * with an entry module and loaded into a cross-origin-isolated page. `boot(entry)` exposes
 * `globalThis.__tfjsPeer` with two calls the Node side makes through `page.evaluate`:
 *
 * - `start(threads)`: tfjs-backend-wasm with `setThreadsCount(threads)` before
 *   `tf.setBackend('wasm')` (prod mode, as in Node), and what it got: `crossOriginIsolated`,
 *   SharedArrayBuffer, SIMD and multithread support as tfjs detects them, `getThreadsCount()`.
 * - `run(json)`: the entry's `(tf, arg) => result`, argument and result in the codec's JSON
 *   (typed arrays allowed).
 *
 * tfjs here is tfjs-core plus its gradient and chained-op registrations (what the union package
 * `@tensorflow/tfjs` adds on top of them for the ops the peers use) and the wasm backend.
 */
import * as tfc from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-core/dist/register_all_gradients.js';
import '@tensorflow/tfjs-core/dist/public/chained_ops/register_all_chained_ops.js';
import { getThreadsCount, setThreadsCount, setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { decode, encode } from './browser-tfjs-codec.js';
import type { Tf } from './tfjs.js';

/** What an entry module default-exports: one function of tfjs and a JSON-able argument. */
export type BrowserEntry<A = never, R = unknown> = (tf: Tf, arg: A) => Promise<R>;

/** The page's tfjs-wasm as `start` found it. */
export interface PageEnv {
  crossOriginIsolated: boolean;
  sharedArrayBuffer: boolean;
  threadsRequested: number;
  /** getThreadsCount() after setBackend('wasm'); null if the backend did not start. */
  threads: number | null;
  simd: boolean | null;
  /** tfjs's WASM_HAS_MULTITHREAD_SUPPORT (false when the page is not cross-origin isolated). */
  multithread: boolean | null;
  backend: string | null;
  tfjsVersion: string;
  userAgent: string;
  /** navigator.hardwareConcurrency as the browser reports it. */
  hardwareConcurrency: number;
  /** What the page told tfjs instead (see `start`), or null when it was left alone. */
  reportedConcurrency: number | null;
  /** Why the backend did not start, if it did not. */
  error: string | null;
}

export interface PeerApi {
  start(threads: number, reportCores: number | null): Promise<PageEnv>;
  run(json: string): Promise<string>;
}

function message(e: unknown): string {
  if (e instanceof Error) return e.message;
  if (typeof e === 'object' && e !== null && 'message' in e) return String((e as { message: unknown }).message);
  return String(e);
}

/** Installs `globalThis.__tfjsPeer` for `entry`, with the .wasm files under `wasmPrefix`. */
export function boot(entry: BrowserEntry<never>, wasmPrefix: string): void {
  const tf = tfc as unknown as Tf;
  let started = false;
  const api: PeerApi = {
    async start(threads, reportCores) {
      if (started) throw new Error('browser peer: start() was already called on this page (one tfjs-wasm backend per page)');
      started = true;
      const env: PageEnv = {
        crossOriginIsolated: globalThis.crossOriginIsolated === true,
        sharedArrayBuffer: typeof SharedArrayBuffer === 'function',
        threadsRequested: threads,
        threads: null,
        simd: null,
        multithread: null,
        backend: null,
        tfjsVersion: tfc.version_core,
        userAgent: navigator.userAgent,
        hardwareConcurrency: navigator.hardwareConcurrency,
        reportedConcurrency: null,
        error: null,
      };
      if (reportCores !== null) {
        // NOTE: tfjs-backend-wasm 4.22 caps XNNPACK's pool at navigator.hardwareConcurrency / 2
        // (backend.cc assumes two hardware threads per core), read when the module starts; on a
        // 2-vCPU machine that cap is 1 whatever setThreadsCount asks. The caller may report more.
        Object.defineProperty(navigator, 'hardwareConcurrency', { value: reportCores, configurable: true });
        env.reportedConcurrency = reportCores;
      }
      tfc.enableProdMode();
      setWasmPaths(wasmPrefix);
      setThreadsCount(threads);
      try {
        if (!(await tfc.setBackend('wasm'))) env.error = "tf.setBackend('wasm') returned false";
      } catch (e) {
        env.error = `tf.setBackend('wasm') threw: ${message(e)}`;
      }
      env.simd = (await tfc.env().getAsync('WASM_HAS_SIMD_SUPPORT')) as boolean;
      env.multithread = (await tfc.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT')) as boolean;
      if (!env.error) {
        env.backend = tfc.getBackend();
        env.threads = getThreadsCount();
      }
      return env;
    },
    async run(json) {
      if (!started) throw new Error('browser peer: run() before start()');
      return encode(await entry(tf, decode<never>(json)));
    },
  };
  (globalThis as unknown as { __tfjsPeer: PeerApi }).__tfjsPeer = api;
}
