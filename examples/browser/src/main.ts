/**
 * The demo page: picks a backend (`?backend=webgpu|webgl2|webgl|webasm|cpu`, default the best that
 * works), loads the checkpoint and the validation images the asset script wrote (see
 * `public/assets/manifest.json`), segments them, lets the user draw digits, and trains a fresh
 * model for a few steps. `window.__ssaDemo` exposes the results to the end-to-end test.
 */
import type { AssetsManifest } from '../../../scripts/demo-browser-assets.js';
import { backendInfo, chooseBackend, loadCheckpoint, segment, trainFresh, type DemoBackend, type LoadedModel, type Segmentation, type TrainSample } from './model.js';
import { fetchPng, grayOf, labelsOf } from './png.js';
import { drawCurve, paintGray, paintHeat, paintLabels, pixelCanvas } from './render.js';

/** What `manifest.json` holds (written by scripts/demo-browser-assets.ts). */
type Manifest = AssetsManifest;

/** What the page reports to the end-to-end test (and to anyone in the console). */
export interface DemoState {
  status: 'loading' | 'ready' | 'error';
  error: string | null;
  backend: { name: string; async: boolean; fallbacks: Record<string, string>; skipped: string[]; device: string; crossOriginIsolated: boolean } | null;
  /** The checkpoint model's results on the validation images, in manifest order. */
  images: { name: string; width: number; height: number; coarse: number[]; refined: number[]; fixed: number[] | null; adapted: number[] | null; ms: number }[];
  /** Segmentations of the drawing pad so far. */
  drawn: number;
  training: { losses: number[]; done: boolean; msPerIter: number } | null;
}

const state: DemoState = { status: 'loading', error: null, backend: null, images: [], drawn: 0, training: null };
(window as unknown as { __ssaDemo: DemoState }).__ssaDemo = state;

/** The asset script's folder, served from public/assets/ next to the page. */
const ASSETS = new URL('assets/', document.baseURI).href;
const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const params = new URLSearchParams(location.search);
const wanted = (params.get('backend') ?? 'auto') as DemoBackend | 'auto';

function setStatus(text: string, error = false): void {
  const el = $('status');
  el.textContent = text;
  el.classList.toggle('error', error);
}

function fail(err: unknown): void {
  const msg = err instanceof Error ? err.message : String(err);
  state.status = 'error';
  state.error = msg;
  setStatus(`Error: ${msg}`, true);
  console.error(err);
}

/** The renderer behind the backend, for the page and the README (software or hardware). */
async function deviceName(name: string): Promise<string> {
  try {
    if (name === 'webgl2' || name === 'webgl') {
      const gl = document.createElement('canvas').getContext(name) as WebGLRenderingContext | null;
      if (!gl) return '';
      const ext = gl.getExtension('WEBGL_debug_renderer_info');
      const r = String(gl.getParameter(ext ? ext.UNMASKED_RENDERER_WEBGL : gl.RENDERER));
      gl.getExtension('WEBGL_lose_context')?.loseContext();
      return r;
    }
    if (name === 'webgpu') {
      const gpu = (navigator as unknown as { gpu?: { requestAdapter(): Promise<{ info?: Record<string, string> } | null> } }).gpu;
      const info = (await gpu?.requestAdapter())?.info;
      return info ? [info.vendor, info.architecture, info.device, info.description].filter(Boolean).join(' ') : '';
    }
    if (name === 'webasm') {
      if (!backendInfo().async) return 'WebAssembly SIMD, one thread';
      return `WebAssembly SIMD, ${crossOriginIsolated ? `worker threads (${navigator.hardwareConcurrency} cores)` : 'one thread (the page is not cross-origin isolated)'}`;
    }
    return 'JavaScript';
  } catch {
    return '';
  }
}

async function fetchBytes(url: string): Promise<Uint8Array> {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`${url}: HTTP ${res.status}${res.status === 404 ? ' (run `npm run demo:browser`, which builds the assets first)' : ''}`);
  return new Uint8Array(await res.arrayBuffer());
}

// ---- the model and its pictures ----

let checkpoint: LoadedModel;
let trained: LoadedModel | null = null;
let manifest: Manifest;
const current = () => (trained && $<HTMLInputElement>('use-trained').checked ? trained : checkpoint);

function accuracy(pred: Int32Array, gt: Int32Array, ignore: number): number {
  let ok = 0;
  let n = 0;
  for (let i = 0; i < gt.length; i++) {
    if (gt[i] === ignore) continue;
    n++;
    if (pred[i] === gt[i]) ok++;
  }
  return n ? ok / n : NaN;
}

/** One card per class: fixed vs adapted activation, outlined if the class is in the SSA mask. */
function renderMaps(box: HTMLElement, seg: Segmentation, onlyPresent: boolean): void {
  box.replaceChildren();
  const { fixed, adapted } = seg;
  if (!fixed || !adapted) {
    box.textContent = 'This checkpoint has the vanilla head: no prototype maps.';
    return;
  }
  const { classes, palette } = checkpoint.meta;
  const present = new Set(seg.refined);
  const scale = Math.max(1, Math.round(96 / seg.mapWidth));
  classes.forEach((name, k) => {
    if (onlyPresent && !present.has(k)) return;
    const card = document.createElement('div');
    card.className = `card${present.has(k) ? ' present' : ''}`;
    const title = document.createElement('div');
    const sw = document.createElement('i');
    sw.style.cssText = `display:inline-block;width:.8rem;height:.8rem;background:rgb(${palette[k].join(',')})`;
    title.append(sw, ` ${k}: ${name}`);
    const pair = document.createElement('div');
    pair.className = 'pair';
    for (const [label, maps] of [['fixed', fixed], ['adapted', adapted]] as const) {
      const fig = document.createElement('figure');
      const c = paintHeat(pixelCanvas(seg.mapWidth, seg.mapHeight, scale), maps, k, seg.mapWidth, seg.mapHeight);
      const cap = document.createElement('figcaption');
      cap.textContent = label;
      fig.append(c, cap);
      pair.append(fig);
    }
    card.append(title, pair);
    box.append(card);
  });
}

interface ValImage {
  name: string;
  gray: Uint8Array;
  labels: Int32Array;
  width: number;
  height: number;
  seg?: Segmentation;
  row?: HTMLTableRowElement;
}
let valImages: ValImage[] = [];

function selectRow(v: ValImage): void {
  document.querySelectorAll('#gallery tbody tr').forEach((r) => r.classList.remove('selected'));
  v.row?.classList.add('selected');
  $('maps-title').textContent = `(validation image ${v.name})`;
  if (v.seg) renderMaps($('maps'), v.seg, false);
}

async function runGallery(record: boolean): Promise<void> {
  const body = $('gallery').querySelector('tbody')!;
  const { palette, ignoreIndex } = checkpoint.meta;
  const model = current();
  for (const [i, v] of valImages.entries()) {
    setStatus(`Segmenting validation image ${i + 1} of ${valImages.length} …`);
    const seg = await segment(model, v.gray, v.width, v.height);
    v.seg = seg;
    if (!v.row) {
      v.row = document.createElement('tr');
      v.row.addEventListener('click', () => selectRow(v));
      body.append(v.row);
    }
    const cell = (c: HTMLElement) => {
      const td = document.createElement('td');
      td.append(c);
      return td;
    };
    const text = (s: string) => {
      const td = document.createElement('td');
      td.textContent = s;
      return td;
    };
    const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
    v.row.replaceChildren(
      cell(paintGray(pixelCanvas(v.width, v.height, 2, v.name), v.gray, v.width, v.height)),
      cell(paintLabels(pixelCanvas(v.width, v.height, 2), seg.coarse, v.width, v.height, palette)),
      cell(paintLabels(pixelCanvas(v.width, v.height, 2), seg.refined, v.width, v.height, palette)),
      cell(paintLabels(pixelCanvas(v.width, v.height, 2), v.labels, v.width, v.height, palette)),
      text(`${pct(accuracy(seg.coarse, v.labels, ignoreIndex))} / ${pct(accuracy(seg.refined, v.labels, ignoreIndex))}`),
      text(`${seg.ms.toFixed(1)} ms${i === 0 && record ? ' (incl. kernel compilation)' : ''}`),
    );
    if (record) {
      state.images.push({
        name: v.name, width: v.width, height: v.height, ms: seg.ms,
        coarse: Array.from(seg.coarse), refined: Array.from(seg.refined),
        fixed: seg.fixed ? Array.from(seg.fixed) : null, adapted: seg.adapted ? Array.from(seg.adapted) : null,
      });
    }
  }
  selectRow(valImages[0]);
}

// ---- drawing ----

function setupPad(): void {
  const pad = $<HTMLCanvasElement>('pad');
  const ctx = pad.getContext('2d', { willReadFrequently: true })!;
  const clear = () => {
    ctx.fillStyle = '#000';
    ctx.fillRect(0, 0, pad.width, pad.height);
  };
  clear();
  let busy = false;
  let again = false;
  const run = async () => {
    if (busy) {
      again = true;
      return;
    }
    busy = true;
    try {
      do {
        again = false;
        const px = ctx.getImageData(0, 0, pad.width, pad.height).data;
        const gray = new Uint8Array(pad.width * pad.height);
        for (let i = 0; i < gray.length; i++) gray[i] = px[i * 4];
        const seg = await segment(current(), gray, pad.width, pad.height);
        const { palette } = checkpoint.meta;
        for (const [id, mask] of [['draw-coarse', seg.coarse], ['draw-refined', seg.refined]] as const) {
          const c = paintLabels($<HTMLCanvasElement>(id), mask, pad.width, pad.height, palette);
          c.style.width = `${pad.width * 3}px`;
          c.style.height = `${pad.height * 3}px`;
        }
        renderMaps($('draw-maps'), seg, true);
        state.drawn++;
        $('draw-status').textContent = `Segmented in ${seg.ms.toFixed(1)} ms on ${backendInfo().name}. Maps of the classes in the SSA mask:`;
      } while (again);
    } catch (e) {
      fail(e);
    } finally {
      busy = false;
    }
  };
  let last: [number, number] | null = null;
  const at = (e: PointerEvent): [number, number] => {
    const r = pad.getBoundingClientRect();
    return [((e.clientX - r.left) / r.width) * pad.width, ((e.clientY - r.top) / r.height) * pad.height];
  };
  const stroke = (from: [number, number], to: [number, number]) => {
    ctx.strokeStyle = '#fff';
    ctx.lineWidth = 2.6;
    ctx.lineCap = 'round';
    ctx.lineJoin = 'round';
    ctx.beginPath();
    ctx.moveTo(...from);
    ctx.lineTo(...to);
    ctx.stroke();
  };
  pad.addEventListener('pointerdown', (e) => {
    pad.setPointerCapture(e.pointerId);
    last = at(e);
    stroke(last, last);
    void run();
  });
  pad.addEventListener('pointermove', (e) => {
    if (!last) return;
    const p = at(e);
    stroke(last, p);
    last = p;
    void run();
  });
  const end = () => {
    if (last) void run();
    last = null;
  };
  pad.addEventListener('pointerup', end);
  pad.addEventListener('pointercancel', end);
  $('clear').addEventListener('click', () => {
    clear();
    void run();
  });
  let next = 0;
  $('from-val').addEventListener('click', () => {
    const v = valImages[next++ % valImages.length];
    const img = ctx.createImageData(v.width, v.height);
    for (let i = 0; i < v.gray.length; i++) {
      img.data.fill(v.gray[i], 4 * i, 4 * i + 3);
      img.data[4 * i + 3] = 255;
    }
    ctx.putImageData(img, 0, 0);
    void run();
  });
}

// ---- training ----

let stopRequested = false;

async function runTraining(): Promise<void> {
  const iters = Math.max(1, Math.min(500, Number($<HTMLInputElement>('iters').value) || 20));
  const batch = Math.max(1, Math.min(8, Number($<HTMLInputElement>('batch').value) || 2));
  const count = Math.max(1, Math.min(manifest.train.length, Number($<HTMLInputElement>('subset').value) || 16));
  const status = $('train-status');
  const trainBtn = $<HTMLButtonElement>('train');
  const stopBtn = $<HTMLButtonElement>('stop');
  trainBtn.disabled = true;
  stopBtn.disabled = false;
  stopRequested = false;
  const losses: number[] = [];
  state.training = { losses, done: false, msPerIter: 0 };
  const chart = $<HTMLCanvasElement>('loss');
  drawCurve(chart, losses, iters);
  try {
    status.textContent = `Fetching ${count} training images …`;
    const names = manifest.train.slice(0, count);
    const base = `${ASSETS}${manifest.dataset}`;
    const samples: TrainSample[] = await Promise.all(
      names.map(async (n) => {
        const [img, ann] = await Promise.all([fetchPng(`${base}/img_dir/train/${n}.png`), fetchPng(`${base}/ann_dir/train/${n}.png`)]);
        return { gray: grayOf(img), labels: labelsOf(ann, n) };
      }),
    );
    const { width, height } = valImages[0];
    const t0 = performance.now();
    status.textContent = 'Training (the first step compiles the backward kernels) …';
    const model = await trainFresh(checkpoint, samples, width, height, {
      iters, batch, lr: 4e-3, seed: 0,
      onStep: async ({ iter, loss, lr, ms }) => {
        losses.push(loss);
        state.training!.msPerIter = (performance.now() - t0) / iter;
        drawCurve(chart, losses, iters);
        status.textContent = `iteration ${iter}/${iters}: loss ${loss.toFixed(3)}, lr ${lr.toExponential(2)}, ${ms.toFixed(0)} ms for this step on ${backendInfo().name}`;
        await new Promise((r) => setTimeout(r, 0)); // let the page paint the curve
        return !stopRequested;
      },
    });
    trained?.model.dispose();
    trained = model;
    const box = $<HTMLInputElement>('use-trained');
    box.disabled = false;
    status.textContent += ` — done: ${losses.length} steps in ${((performance.now() - t0) / 1000).toFixed(1)} s. Tick the box to segment with this model.`;
    state.training.done = true;
  } catch (e) {
    // The page stays usable: the error goes to the training panel (and the console).
    status.textContent = `Training failed: ${e instanceof Error ? e.message : String(e)}`;
    console.error(e);
  } finally {
    trainBtn.disabled = false;
    stopBtn.disabled = true;
  }
}

// ---- start ----

async function main(): Promise<void> {
  const select = $<HTMLSelectElement>('backend-select');
  select.value = wanted;
  select.addEventListener('change', () => {
    const u = new URL(location.href);
    if (select.value === 'auto') u.searchParams.delete('backend');
    else u.searchParams.set('backend', select.value);
    location.href = u.toString();
  });

  setStatus(wanted === 'auto' ? 'Choosing the best backend …' : `Starting the ${wanted} backend …`);
  const asyncParam = params.get('async');
  const { name, skipped } = await chooseBackend(wanted, asyncParam === null ? {} : { async: asyncParam !== '0' });
  const info = backendInfo();
  const device = await deviceName(name);
  state.backend = { ...info, skipped, device, crossOriginIsolated };
  $('backend').textContent = `backend: ${info.name}${info.async ? ' (async)' : ''}`;
  const fallbacks = Object.entries(info.fallbacks);
  $('backend-detail').textContent = [
    device && `device: ${device}`,
    skipped.length ? `skipped: ${skipped.join('; ')}` : '',
    fallbacks.length ? `kernels moved to another mode: ${fallbacks.map(([k, v]) => `${k} (${v})`).join(', ')}` : '',
  ].filter(Boolean).join(' · ');

  setStatus('Loading the checkpoint …');
  manifest = (await (await fetch(`${ASSETS}manifest.json`)).json().catch(() => {
    throw new Error(`${ASSETS}manifest.json is missing: run \`npm run demo:browser\` (it builds the assets first)`);
  })) as Manifest;
  checkpoint = loadCheckpoint(await fetchBytes(`${ASSETS}${manifest.checkpoint}`), manifest.checkpoint);
  const { meta } = checkpoint;
  $('checkpoint-info').textContent =
    `Checkpoint ${manifest.checkpoint}: ${meta.config.head} head, ${checkpoint.model.numParameters().toLocaleString()} parameters, ` +
    `trained ${meta.iteration} iterations (batch ${manifest.recipe.batch}) by \`ssa-seg\`'s trainer on the ${manifest.recipe.backend} backend in Node — a tiny budget, so the masks are rough.`;
  $('legend').replaceChildren(
    ...meta.classes.map((c, k) => {
      const s = document.createElement('span');
      const sw = document.createElement('i');
      sw.style.background = `rgb(${meta.palette[k].join(',')})`;
      s.append(sw, c);
      return s;
    }),
  );

  setStatus('Fetching the validation images …');
  const base = `${ASSETS}${manifest.dataset}`;
  valImages = await Promise.all(
    manifest.val.map(async (n) => {
      const [img, ann] = await Promise.all([fetchPng(`${base}/img_dir/val/${n}.png`), fetchPng(`${base}/ann_dir/val/${n}.png`)]);
      return { name: n, gray: grayOf(img), labels: labelsOf(ann, n), width: img.width, height: img.height };
    }),
  );
  await runGallery(true);
  setupPad();
  $('train').addEventListener('click', () => void runTraining());
  $('stop').addEventListener('click', () => (stopRequested = true));
  $('use-trained').addEventListener('change', () => {
    void runGallery(false).then(() => setStatus(readyText()), fail);
  });
  state.status = 'ready';
  setStatus(readyText());
}

function readyText(): string {
  const ms = state.images.map((r) => r.ms);
  const steady = ms.length > 1 ? ms.slice(1).reduce((a, b) => a + b, 0) / (ms.length - 1) : ms[0];
  return `Ready on ${backendInfo().name}: ${ms.length} images segmented, ${steady.toFixed(1)} ms per image after the first (${ms[0].toFixed(0)} ms with kernel compilation).`;
}

window.addEventListener('unhandledrejection', (e) => fail(e.reason));
main().catch(fail);
