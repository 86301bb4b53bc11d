/**
 * Assets of the browser demo (examples/browser): a small M2NIST (`buildM2nist`) and a small SSA
 * checkpoint trained on it with the CLI trainer (`train()`), on the `cpu` backend so that the same
 * seed gives bitwise the same weights. Written to examples/browser/public/assets/ (gitignored),
 * which the Vite page serves; skipped when a complete set is already there.
 *
 *   npx tsx scripts/demo-browser-assets.ts [--force] [--out DIR]
 *
 * The folder is built under a temporary name and renamed into place when complete, so a concurrent
 * or interrupted build never leaves a half-written folder where the page (or the e2e test) looks.
 */
import * as fs from 'node:fs';
import * as fsp from 'node:fs/promises';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildM2nist } from '../src/data/m2nist.js';
import { encodeSafetensors, parseSafetensors } from '../src/io/safetensors.js';
import { defaultConfig, type TrainConfig } from '../src/train/config.js';
import { train } from '../src/train/trainer.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
/** Where the page's public folder keeps the assets. */
export const DEFAULT_ASSETS_DIR = path.resolve(HERE, '../examples/browser/public/assets');
/** Bump when the layout or the recipe changes: an older folder is then rebuilt. */
export const ASSETS_FORMAT = 'ssa-seg-browser-demo/1';

/** The number of canvases of each split, and the validation images the page segments by default. */
const TRAIN_IMAGES = 48;
const VAL_IMAGES = 6;
const SEED = 0;

/** What `manifest.json` holds; the page reads it first. */
export interface AssetsManifest {
  format: string;
  /** The model checkpoint, relative to the assets folder. */
  checkpoint: string;
  /** The dataset folder (mmseg layout), relative to the assets folder. */
  dataset: string;
  /** Base names (without .png) of the validation images, in img_dir/val and ann_dir/val. */
  val: string[];
  /** Base names of the training images (the in-browser training demo uses a few). */
  train: string[];
  /** The training recipe of the checkpoint (the resolved config also sits in its metadata). */
  recipe: { iters: number; batch: number; lr: number; backend: string; seed: number };
  finalLoss: number;
  trainSeconds: number;
}

/**
 * The tiny recipe: a narrower compact model (stages of 8 and 16 channels, 16 decoder channels) with
 * the SSA head, 30 AdamW steps of 4 images on the cpu backend (about 10-30 s on two cores). It only
 * starts to find the digits; the point is a deterministic checkpoint, not an accurate one.
 */
function recipe(data: string, out: string): TrainConfig {
  const c = defaultConfig();
  return {
    ...c,
    data,
    out,
    head: 'ssa',
    model: { ...c.model, dims: [8, 16], channels: 16 },
    iters: 30,
    batch: 4,
    lr: 1e-2,
    warmupIters: 5,
    seed: SEED,
    backend: 'cpu',
    logInterval: 5,
    checkpointInterval: 30,
    evalInterval: 0,
  };
}

/**
 * The checkpoint with the machine's paths in its recorded config replaced by the folder names the
 * page uses (`m2nist`, `run`), so the same recipe gives the same bytes wherever it is built.
 */
async function portableCheckpoint(file: string): Promise<Uint8Array> {
  const { tensors, metadata } = parseSafetensors(await fsp.readFile(file), file);
  const config = JSON.parse(metadata.config) as TrainConfig;
  metadata.config = JSON.stringify({ ...config, data: 'm2nist', out: 'run' });
  const entries: Parameters<typeof encodeSafetensors>[0] = {};
  for (const [k, t] of Object.entries(tensors)) {
    if (t.dtype !== 'F32' && t.dtype !== 'I32') throw new Error(`${file}: unexpected dtype ${t.dtype} for '${k}'`);
    entries[k] = { dtype: t.dtype, shape: t.shape, data: t.data };
  }
  return encodeSafetensors(entries, metadata);
}

function readManifest(dir: string): AssetsManifest | null {
  try {
    const m = JSON.parse(fs.readFileSync(path.join(dir, 'manifest.json'), 'utf8')) as AssetsManifest;
    if (m.format !== ASSETS_FORMAT) return null;
    if (!fs.existsSync(path.join(dir, m.checkpoint))) return null;
    return m;
  } catch {
    return null;
  }
}

export interface EnsureOptions {
  dir?: string;
  /** Rebuild even if a complete set is present. */
  force?: boolean;
  log?: (line: string) => void;
}

/** Builds the assets unless a complete set (manifest of this format, checkpoint present) is already in `dir`. */
export async function ensureBrowserAssets(opts: EnsureOptions = {}): Promise<{ dir: string; manifest: AssetsManifest; built: boolean }> {
  const dir = path.resolve(opts.dir ?? DEFAULT_ASSETS_DIR);
  const log = opts.log ?? ((l: string) => console.log(l));
  const existing = opts.force ? null : readManifest(dir);
  if (existing) return { dir, manifest: existing, built: false };

  const t0 = performance.now();
  const staging = `${dir}.partial-${process.pid}-${Date.now()}`;
  await fsp.rm(staging, { recursive: true, force: true });
  try {
    await fsp.mkdir(staging, { recursive: true });
    const data = path.join(staging, 'm2nist');
    log(`browser demo assets: building M2NIST (${TRAIN_IMAGES} train, ${VAL_IMAGES} val canvases, seed ${SEED}) …`);
    await buildM2nist({ out: data, train: TRAIN_IMAGES, val: VAL_IMAGES, seed: SEED, durable: false });
    const cfg = recipe(data, path.join(staging, 'run'));
    log(`browser demo assets: training the SSA checkpoint (${cfg.iters} iterations, batch ${cfg.batch}, ${cfg.backend} backend) …`);
    const result = await train(cfg, { evaluate: false });
    await fsp.writeFile(path.join(staging, 'model.safetensors'), await portableCheckpoint(result.checkpoint));
    await fsp.copyFile(path.join(cfg.out, 'log.jsonl'), path.join(staging, 'train-log.jsonl'));
    await fsp.rm(cfg.out, { recursive: true, force: true });
    const names = (split: string) =>
      fs.readdirSync(path.join(data, 'img_dir', split)).filter((f) => f.endsWith('.png')).map((f) => f.slice(0, -4)).sort();
    const manifest: AssetsManifest = {
      format: ASSETS_FORMAT,
      checkpoint: 'model.safetensors',
      dataset: 'm2nist',
      val: names('val'),
      train: names('train'),
      recipe: { iters: cfg.iters, batch: cfg.batch, lr: cfg.lr, backend: cfg.backend ?? 'auto', seed: cfg.seed },
      finalLoss: result.finalLoss,
      trainSeconds: +result.seconds.toFixed(2),
    };
    // The manifest last: a folder without it is incomplete and gets rebuilt.
    await fsp.writeFile(path.join(staging, 'manifest.json'), JSON.stringify(manifest, null, 2) + '\n');
    if (readManifest(dir) && !opts.force) {
      // Another process finished first: keep its folder (same recipe, same bytes).
      await fsp.rm(staging, { recursive: true, force: true });
      return { dir, manifest: readManifest(dir)!, built: false };
    }
    await fsp.rm(dir, { recursive: true, force: true });
    await fsp.mkdir(path.dirname(dir), { recursive: true });
    await fsp.rename(staging, dir);
    log(`browser demo assets: done in ${((performance.now() - t0) / 1000).toFixed(1)} s → ${dir} (final loss ${result.finalLoss.toFixed(3)})`);
    return { dir, manifest, built: true };
  } catch (err) {
    await fsp.rm(staging, { recursive: true, force: true });
    throw err;
  }
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const force = argv.includes('--force');
  const at = argv.indexOf('--out');
  const dir = at >= 0 ? argv[at + 1] : undefined;
  const { dir: out, built } = await ensureBrowserAssets({ dir, force });
  if (!built) console.log(`browser demo assets: present in ${out} (--force rebuilds them)`);
  const { shutdown } = await import('../src/tensor/engine.js');
  await shutdown();
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((err) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  });
}
