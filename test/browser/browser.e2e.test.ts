/**
 * End-to-end: the browser demo (examples/browser) in Debian's headless Chromium, driven by
 * playwright-core. Builds the demo assets if missing, serves the page with Vite on a free loopback
 * port, and for each backend (WebGL2 on SwiftShader, the webasm fallback, WebGPU on SwiftShader when
 * Chromium offers an adapter) checks that the masks the page computes equal those Node computes for
 * the same checkpoint and images (`ssa-seg predict`'s code path on the cpu backend), that the
 * prototype maps agree, that drawing segments live, and that no console error appears. Screenshots
 * go to test/browser/__screenshots__/ (gitignored).
 *
 * Skips when /usr/bin/chromium (or $SSA_SEG_CHROMIUM) is missing, unless SSA_SEG_REQUIRE_BROWSER=1.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer as createNetServer } from 'node:net';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BrowserContext, Page } from 'playwright-core';
import type { ViteDevServer } from 'vite';
import { CHROMIUM, CHROMIUM_FLAGS } from '../../scripts/chromium.js';
import { ensureBrowserAssets, type AssetsManifest } from '../../scripts/demo-browser-assets.js';
import { noGrad } from '../../src/autograd/grad-mode.js';
import { loadTrained } from '../../src/cli/load.js';
import { predictImage } from '../../src/cli/predict.js';
import { normalizeImage } from '../../src/data/augment.js';
import type { SSAHead } from '../../src/ssa/head.js';
import { shutdown } from '../../src/tensor/engine.js';
import { dispose, tidy } from '../../src/tensor/memory.js';
import { argmax, interpolate, tensor } from '../../src/tensor/ops.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const HAVE_CHROMIUM = existsSync(CHROMIUM);
const SHOTS = path.join(ROOT, 'test/browser/__screenshots__');

if (!HAVE_CHROMIUM) {
  const msg = `browser e2e: ${CHROMIUM} not found — install Debian's chromium (apt-get install chromium) or set SSA_SEG_CHROMIUM`;
  if (process.env.SSA_SEG_REQUIRE_BROWSER === '1') throw new Error(msg);
  console.warn(`${msg}; skipping the browser tests.`);
}

interface PageImage {
  name: string;
  width: number;
  height: number;
  coarse: number[];
  refined: number[];
  fixed: number[] | null;
  adapted: number[] | null;
  ms: number;
}
interface PageState {
  status: 'loading' | 'ready' | 'error';
  error: string | null;
  backend: { name: string; async: boolean; fallbacks: Record<string, string>; skipped: string[]; device: string; crossOriginIsolated: boolean } | null;
  images: PageImage[];
  drawn: number;
  training: { losses: number[]; done: boolean; msPerIter: number } | null;
}
interface NodeResult {
  coarse: Int32Array;
  refined: Int32Array;
  fixed: Float32Array;
  adapted: Float32Array;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createNetServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

function agreement(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let same = 0;
  for (let i = 0; i < a.length; i++) if (a[i] === b[i]) same++;
  return same / a.length;
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

describe.skipIf(!HAVE_CHROMIUM)('browser demo in headless Chromium', () => {
  let manifest: AssetsManifest;
  const reference = new Map<string, NodeResult>();
  let server: ViteDevServer;
  let base = '';
  let context: BrowserContext;
  let profile = '';

  beforeAll(async () => {
    const t0 = performance.now();
    const assets = await ensureBrowserAssets({ log: (l) => console.log(l) });
    manifest = assets.manifest;

    // What Node computes for the same checkpoint and images: `ssa-seg predict`'s code (refined
    // mask) and `predict --explain`'s (coarse mask, prototype maps), on the cpu backend.
    const { model, meta } = await loadTrained(path.join(assets.dir, manifest.checkpoint), 'cpu');
    for (const name of manifest.val) {
      const file = path.join(assets.dir, manifest.dataset, 'img_dir/val', `${name}.png`);
      const { pred, rgb, width, height } = await predictImage(model, meta, file);
      const x = normalizeImage(rgb, 3, { mean: meta.mean, std: meta.std });
      const out = noGrad(() =>
        tidy(() => {
          const e = (model.head as unknown as SSAHead).explain(model.features(tensor(x, [1, 3, height, width])));
          const up = (t: typeof e.coarse) => interpolate(t, { size: [height, width], mode: 'bilinear', alignCorners: false });
          return { coarse: argmax(up(e.coarse), 1), refined: argmax(up(e.logits), 1), fixed: e.fixed, adapted: e.adapted };
        }),
      );
      const r: NodeResult = {
        coarse: (await out.coarse.data()) as Int32Array,
        refined: pred,
        fixed: (await out.fixed.data()) as Float32Array,
        adapted: (await out.adapted.data()) as Float32Array,
      };
      // The explanation's refined mask is the prediction itself.
      expect(agreement((await out.refined.data()) as Int32Array, pred)).toBe(1);
      dispose(out);
      reference.set(name, r);
    }
    model.dispose();
    const foreground = [...reference.values()].reduce((n, r) => n + r.refined.filter((v) => v !== 10).length, 0);
    // A mask of background only would make the comparison trivial.
    expect(foreground).toBeGreaterThan(0);
    console.log(`browser e2e: Node reference ready (${reference.size} images, ${foreground} digit pixels) in ${((performance.now() - t0) / 1000).toFixed(1)} s`);

    const { createServer } = await import('vite');
    const port = await freePort();
    server = await createServer({
      configFile: path.join(ROOT, 'examples/browser/vite.config.ts'),
      server: { host: '127.0.0.1', port, strictPort: true },
      logLevel: 'error',
    });
    await server.listen();
    base = `http://127.0.0.1:${port}/`;

    const { chromium } = await import('playwright-core');
    profile = mkdtempSync(path.join(tmpdir(), 'ssa-seg-chromium-'));
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: [...CHROMIUM_FLAGS],
      viewport: { width: 1200, height: 900 },
    });
    mkdirSync(SHOTS, { recursive: true });
  }, 600_000);

  afterAll(async () => {
    await context?.close();
    await server?.close();
    if (profile) rmSync(profile, { recursive: true, force: true });
    await shutdown();
  });

  /** Opens the page on `backend` and waits until it has segmented the validation images. */
  async function open(backend: string): Promise<{ page: Page; errors: string[]; state: PageState }> {
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(m.text());
    });
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`${base}?backend=${backend}`);
    await page.waitForFunction(() => (window as unknown as { __ssaDemo?: PageState }).__ssaDemo?.status !== 'loading', null, { timeout: 150_000, polling: 250 });
    const state = await page.evaluate(() => (window as unknown as { __ssaDemo: PageState }).__ssaDemo);
    return { page, errors, state };
  }

  /** Draws a "7" on the pad with the mouse and waits for the live segmentation. */
  async function draw(page: Page): Promise<number> {
    const before = await page.evaluate(() => (window as unknown as { __ssaDemo: PageState }).__ssaDemo.drawn);
    await page.locator('#pad').scrollIntoViewIfNeeded();
    const box = (await page.locator('#pad').boundingBox())!;
    const at = (x: number, y: number) => [box.x + (x / 84) * box.width, box.y + (y / 64) * box.height] as const;
    await page.mouse.move(...at(30, 18));
    await page.mouse.down();
    await page.mouse.move(...at(50, 18), { steps: 5 });
    await page.mouse.move(...at(38, 46), { steps: 8 });
    await page.mouse.up();
    await page.waitForFunction((n) => (window as unknown as { __ssaDemo: PageState }).__ssaDemo.drawn > n, before, { timeout: 60_000, polling: 100 });
    return page.evaluate(() => (window as unknown as { __ssaDemo: PageState }).__ssaDemo.drawn);
  }

  async function check(backend: string, extra?: (page: Page) => Promise<void>): Promise<void> {
    const t0 = performance.now();
    const { page, errors, state } = await open(backend);
    try {
      expect(state.error).toBeNull();
      expect(state.status).toBe('ready');
      expect(state.backend?.name).toBe(backend);
      expect(state.images.map((i) => i.name)).toEqual(manifest.val);
      let worstMask = 1;
      let worstMap = 0;
      for (const img of state.images) {
        const ref = reference.get(img.name)!;
        const refined = agreement(img.refined, ref.refined);
        const coarse = agreement(img.coarse, ref.coarse);
        expect(refined, `${backend}: SSA mask of ${img.name}`).toBeGreaterThanOrEqual(0.999);
        expect(coarse, `${backend}: coarse mask of ${img.name}`).toBeGreaterThanOrEqual(0.999);
        worstMask = Math.min(worstMask, refined, coarse);
        const dFixed = maxAbsDiff(img.fixed!, ref.fixed);
        const dAdapted = maxAbsDiff(img.adapted!, ref.adapted);
        expect(dFixed, `${backend}: fixed prototype maps of ${img.name}`).toBeLessThan(1e-3);
        expect(dAdapted, `${backend}: adapted prototype maps of ${img.name}`).toBeLessThan(1e-3);
        worstMap = Math.max(worstMap, dFixed, dAdapted);
      }
      const drawn = await draw(page);
      expect(drawn).toBeGreaterThan(0);
      await extra?.(page);
      const shot = path.join(SHOTS, `demo-${backend}.png`);
      await page.screenshot({ path: shot, fullPage: true });
      expect(errors, `console errors on ${backend}`).toEqual([]);
      const ms = state.images.map((i) => i.ms);
      console.log(
        `browser e2e: ${backend} (${state.backend!.device}${state.backend!.async ? ', async' : ''}): ${state.images.length} images, ` +
          `masks ≥ ${(100 * worstMask).toFixed(2)}% identical to Node, prototype maps within ${worstMap.toExponential(1)}, ` +
          `${ms[0].toFixed(0)} ms first image, ${(ms.slice(1).reduce((a, b) => a + b, 0) / Math.max(1, ms.length - 1)).toFixed(0)} ms after; ` +
          `screenshot ${shot} (${((performance.now() - t0) / 1000).toFixed(1)} s)`,
      );
    } finally {
      await page.close();
    }
  }

  it('WebGL2 (SwiftShader): masks equal Node\'s, live drawing, a short training run', async () => {
    await check('webgl2', async (page) => {
      await page.fill('#iters', '2');
      await page.click('#train');
      await page.waitForFunction(() => {
        const s = (window as unknown as { __ssaDemo: PageState }).__ssaDemo;
        return s.training?.done || s.status === 'error';
      }, null, { timeout: 120_000, polling: 250 });
      const training = await page.evaluate(() => (window as unknown as { __ssaDemo: PageState }).__ssaDemo.training);
      expect(training?.losses).toHaveLength(2);
      expect(training!.losses.every(Number.isFinite)).toBe(true);
      console.log(`browser e2e: webgl2 training: losses ${training!.losses.map((l) => l.toFixed(3)).join(', ')}, ${training!.msPerIter.toFixed(0)} ms/iteration`);
    });
  }, 240_000);

  it('webasm fallback: masks equal Node\'s, live drawing', async () => {
    await check('webasm');
  }, 180_000);

  it('WebGPU (SwiftShader), when Chromium offers an adapter: masks equal Node\'s', async (ctx) => {
    const page = await context.newPage();
    await page.goto(`${base}assets/manifest.json`);
    const adapter = await page.evaluate(async () => {
      const gpu = (navigator as unknown as { gpu?: { requestAdapter(): Promise<{ info?: { vendor?: string; architecture?: string } } | null> } }).gpu;
      const a = gpu ? await gpu.requestAdapter() : null;
      return a ? `${a.info?.vendor ?? ''} ${a.info?.architecture ?? ''}`.trim() || 'unknown adapter' : null;
    });
    await page.close();
    if (!adapter) {
      console.warn('browser e2e: headless Chromium offers no WebGPU adapter here; skipping the webgpu case.');
      ctx.skip();
    }
    await check('webgpu');
  }, 180_000);
});
