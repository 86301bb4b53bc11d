/**
 * TensorFlow.js's wasm backend in headless Chromium, for the peers Node cannot run: tfjs-backend-wasm
 * 4.22's threaded build needs a cross-origin-isolated page (its pthread workers are `blob:` URLs,
 * which Node's Worker refuses, and it needs SharedArrayBuffer).
 *
 * `startBrowserTfjs({ entry })`:
 * 1. bundles bench/peers/browser-tfjs-page.ts with `entry` (a module whose default export is
 *    `(tf, arg) => Promise<result>`, see BrowserEntry) with esbuild, for the browser;
 * 2. serves the bundle, a blank page and tfjs-backend-wasm's .wasm files from a loopback HTTP
 *    server that sends COOP `same-origin` and COEP `require-corp` (so `crossOriginIsolated` and
 *    SharedArrayBuffer are on);
 * 3. launches Debian's Chromium (/usr/bin/chromium or $SSA_SEG_CHROMIUM) through playwright-core,
 *    headless, with the flags of test/browser/browser.e2e.test.ts.
 *
 * `session.run(arg, { threads })` then opens a fresh page, starts tfjs-wasm on `threads` threads
 * (setThreadsCount before setBackend), checks that the page is cross-origin isolated and that
 * getThreadsCount() is what was asked, calls the entry with `arg` and returns its result, the page's
 * environment, its console errors and warnings and the .wasm binaries it fetched. Arguments and
 * results cross as JSON with typed arrays (bench/peers/browser-tfjs-codec.ts).
 *
 * The bundle takes bench/harness.ts's pure helpers (permuteHost, measure, …) without the rest of
 * the harness, which loads our engine and Node modules: an esbuild plugin answers imports of
 * harness.ts with a module made from those functions' own source (Function.prototype.toString),
 * so the page runs the very code Node does.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, BrowserContext } from 'playwright-core';
import { CHROMIUM, CHROMIUM_FLAGS } from '../../scripts/chromium.js';
import { defaultMeasureOptions, errorMessage, maxRelErr, measure, median, permuteHost, timeOnce } from '../harness.js';
import { decode, encode } from './browser-tfjs-codec.js';
import type { PageEnv, PeerApi } from './browser-tfjs-page.js';
import { wasmDir } from './tfjs.js';

export type { BrowserEntry, PageEnv } from './browser-tfjs-page.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const HARNESS = path.resolve(HERE, '../harness.ts');


/** harness.ts's helpers the page may import (pure functions of each other and of globals only). */
const HARNESS_FOR_BROWSER: readonly ((...a: never[]) => unknown)[] = [permuteHost, measure, median, defaultMeasureOptions, timeOnce, maxRelErr, errorMessage];

const WASM_FILES = ['tfjs-backend-wasm.wasm', 'tfjs-backend-wasm-simd.wasm', 'tfjs-backend-wasm-threaded-simd.wasm'];

const PAGE = '<!doctype html><html><head><meta charset="utf-8"><link rel="icon" href="data:,"><title>tfjs peer</title></head><body><script type="module" src="/bundle.js"></script></body></html>';

export interface BrowserRun<R> {
  /** The entry's result; null when `error` says why there is none. */
  result: R | null;
  error: string | null;
  /** The page's tfjs-wasm, as it started (null if the page never got that far). */
  env: PageEnv | null;
  /** The .wasm binaries the page fetched (which build tfjs chose). */
  wasmServed: string[];
  /** Console errors and warnings, page errors. */
  console: string[];
}

export interface RunOptions {
  /** tfjs-wasm threads: setThreadsCount(threads); more than 1 needs cross-origin isolation. */
  threads: number;
  /**
   * navigator.hardwareConcurrency as the page reports it to tfjs. tfjs-backend-wasm 4.22 caps its
   * thread pool at hardwareConcurrency / 2, so by default, when 2 · threads exceeds the real
   * value, the page reports 2 · threads (the threads still run on the real cores); null: never.
   */
  reportCores?: number | null;
  /** The whole run: page load, backend start, the entry (default 10 min). */
  timeoutMs?: number;
}

export interface BrowserTfjsSession {
  /** Chromium's path and version, e.g. "/usr/bin/chromium (156.0.8078.114)". */
  readonly browser: string;
  run<R>(arg: unknown, opts: RunOptions): Promise<BrowserRun<R>>;
  close(): Promise<void>;
}

export interface StartOptions {
  /** Absolute path of the entry module (TypeScript or JavaScript). */
  entry: string;
  log?: (line: string) => void;
}

/** Bundles the page with `entry` for the browser; rejects with esbuild's messages. */
async function bundle(entry: string): Promise<string> {
  let esbuild: typeof import('esbuild');
  try {
    esbuild = await import('esbuild');
  } catch (e) {
    throw new Error(`browser peer: cannot load esbuild (installed with tsx and vite): ${errorMessage(e)}`);
  }
  const harnessModule = HARNESS_FOR_BROWSER.map((f) => `export ${f.toString()}`).join('\n');
  const stdin = [
    `import { boot } from ${JSON.stringify(path.join(HERE, 'browser-tfjs-page.ts'))};`,
    `import entry from ${JSON.stringify(entry)};`,
    `boot(entry, '/wasm/');`,
  ].join('\n');
  try {
    const out = await esbuild.build({
      stdin: { contents: stdin, resolveDir: HERE, loader: 'ts', sourcefile: 'browser-peer-main.ts' },
      bundle: true,
      format: 'esm',
      platform: 'browser',
      target: 'chrome120',
      write: false,
      logLevel: 'silent',
      plugins: [
        {
          name: 'harness-for-browser',
          setup(build) {
            build.onResolve({ filter: /harness(\.js|\.ts)?$/ }, (args) => {
              const resolved = path.resolve(args.resolveDir, args.path.replace(/\.js$/, '.ts'));
              return resolved === HARNESS ? { path: HARNESS, namespace: 'harness-for-browser' } : undefined;
            });
            build.onLoad({ filter: /.*/, namespace: 'harness-for-browser' }, () => ({ contents: harnessModule, loader: 'js' }));
          },
        },
      ],
    });
    return out.outputFiles[0].text;
  } catch (e) {
    const errors = (e as { errors?: { text: string; location?: { file: string; line: number } | null }[] }).errors;
    const detail = errors?.length ? errors.map((m) => `${m.location ? `${m.location.file}:${m.location.line}: ` : ''}${m.text}`).join('; ') : errorMessage(e);
    throw new Error(`browser peer: bundling ${path.relative(process.cwd(), entry)} failed: ${detail}`);
  }
}

/** The loopback server: the page, the bundle and the .wasm files, all with COOP/COEP. */
function serve(js: string, onWasm: (name: string) => void): Promise<{ server: Server; base: string }> {
  const dir = wasmDir();
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const send = (status: number, type: string, body: string | Buffer) => {
      res.writeHead(status, {
        'Content-Type': type,
        'Cross-Origin-Opener-Policy': 'same-origin',
        'Cross-Origin-Embedder-Policy': 'require-corp',
        'Cross-Origin-Resource-Policy': 'same-origin',
        'Cache-Control': 'no-store',
      });
      res.end(body);
    };
    if (url.pathname === '/') return send(200, 'text/html; charset=utf-8', PAGE);
    if (url.pathname === '/bundle.js') return send(200, 'text/javascript; charset=utf-8', js);
    const name = url.pathname.startsWith('/wasm/') ? url.pathname.slice('/wasm/'.length) : '';
    if (WASM_FILES.includes(name)) {
      onWasm(name);
      return send(200, 'application/wasm', readFileSync(path.join(dir, name)));
    }
    send(404, 'text/plain', `not found: ${url.pathname}`);
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      resolve({ server, base: `http://127.0.0.1:${port}` });
    });
  });
}

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const t = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`browser peer: ${what} timed out after ${ms / 1000} s`)), ms)));
  return Promise.race([p, t]).finally(() => clearTimeout(timer));
}

/** Bundles, serves and launches Chromium; throws a clear error when any of it cannot be done. */
export async function startBrowserTfjs(opts: StartOptions): Promise<BrowserTfjsSession> {
  const log = opts.log ?? (() => {});
  if (!existsSync(CHROMIUM)) throw new Error(`browser peer: ${CHROMIUM} not found — install Debian's chromium (apt-get install chromium) or set SSA_SEG_CHROMIUM`);
  const t0 = performance.now();
  const js = await bundle(opts.entry);
  log(`browser peer: bundled ${path.relative(process.cwd(), opts.entry)} with the page (${(js.length / 2 ** 20).toFixed(1)} MiB) in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  // the .wasm binaries fetched during the current run (runs are sequential)
  let wasmServed: string[] = [];
  const { server, base } = await serve(js, (name) => wasmServed.push(name));
  let browser: Browser;
  try {
    const { chromium } = await import('playwright-core');
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: [...CHROMIUM_FLAGS] });
  } catch (e) {
    server.close();
    throw new Error(`browser peer: cannot launch ${CHROMIUM}: ${errorMessage(e).split('\n')[0]}`);
  }
  const name = `${CHROMIUM} (${browser.version()})`;
  log(`browser peer: ${name} headless, serving ${base} with COOP same-origin / COEP require-corp`);

  return {
    browser: name,
    async run<R>(arg: unknown, ro: RunOptions): Promise<BrowserRun<R>> {
      const out: BrowserRun<R> = { result: null, error: null, env: null, wasmServed: [], console: [] };
      wasmServed = out.wasmServed;
      let context: BrowserContext | null = null;
      const work = async () => {
        context = await browser.newContext();
        const page = await context.newPage();
        page.on('console', (m) => {
          if (m.type() === 'error' || m.type() === 'warning') out.console.push(`${m.type()}: ${m.text()}`);
        });
        page.on('pageerror', (e) => out.console.push(`page error: ${e.message}`));
        await page.goto(`${base}/`);
        await page.waitForFunction(() => '__tfjsPeer' in globalThis, null, { timeout: 30_000 });
        const real = await page.evaluate(() => navigator.hardwareConcurrency);
        const report = ro.reportCores !== undefined ? ro.reportCores : 2 * ro.threads > real ? 2 * ro.threads : null;
        const env = await page.evaluate(([n, c]) => (globalThis as unknown as { __tfjsPeer: PeerApi }).__tfjsPeer.start(n, c), [ro.threads, report] as const);
        out.env = env;
        if (env.error) throw new Error(`tfjs-wasm did not start in the page: ${env.error}${out.console.length ? ` (console: ${out.console.join(' | ')})` : ''}`);
        if (ro.threads > 1 && !env.crossOriginIsolated) {
          throw new Error(`the page is not cross-origin isolated (crossOriginIsolated = false, SharedArrayBuffer ${env.sharedArrayBuffer ? 'present' : 'absent'}): tfjs-wasm cannot use threads`);
        }
        if (env.threads !== ro.threads) {
          throw new Error(`tfjs-wasm reports getThreadsCount() = ${env.threads} after setThreadsCount(${ro.threads}) (multithread support ${env.multithread}, crossOriginIsolated ${env.crossOriginIsolated}, binaries ${out.wasmServed.join(', ') || 'none'})`);
        }
        const json = await page.evaluate((a) => (globalThis as unknown as { __tfjsPeer: PeerApi }).__tfjsPeer.run(a), encode(arg));
        out.result = decode<R>(json);
      };
      try {
        await withTimeout(work(), ro.timeoutMs ?? 600_000, `the run on ${ro.threads} thread(s)`);
      } catch (e) {
        // a bundle that throws while loading shows up as a page error and a wait that timed out
        const pageErrors = out.console.filter((l) => l.startsWith('page error:'));
        out.error = errorMessage(e).split('\n')[0] + (pageErrors.length ? ` (${pageErrors.join(' | ')})` : '');
      } finally {
        await (context as BrowserContext | null)?.close().catch(() => {});
      }
      return out;
    },
    async close() {
      await browser.close().catch(() => {});
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
