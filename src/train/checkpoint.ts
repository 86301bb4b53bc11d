/**
 * Checkpoints: the model's weights in safetensors with PyTorch-style names (loadable by Python's
 * `safetensors`), the training state (optimizer slots, data-loader and RNG state) in a second file,
 * and `latest.json` naming the newest complete pair. Every file is written atomically and
 * `latest.json` last, so a crash at any moment leaves the previous checkpoint intact.
 */
import { existsSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { readJson, writeFileAtomic } from '../io/atomic.js';
import { readSafetensors, saveSafetensors, hostToTensors } from '../io/safetensors.js';
import type { Tensor } from '../tensor/tensor.js';
import type { TrainConfig } from './config.js';
import type { LoaderState } from '../data/loader.js';

export const CHECKPOINT_FORMAT = 'ssa-seg/1';

/** What a model checkpoint's metadata records (enough to rebuild the model and label its output). */
export interface CheckpointMeta {
  iteration: number;
  config: TrainConfig;
  classes: string[];
  palette: [number, number, number][];
  ignoreIndex: number;
  mean: [number, number, number];
  std: [number, number, number];
}

export interface TrainState {
  optimizerStep: number;
  optimizer: Record<string, Tensor>;
  loader: LoaderState;
  rngState: number;
}

export interface Latest {
  iteration: number;
  model: string;
  state: string;
}

export function checkpointDir(run: string): string {
  return join(run, 'checkpoints');
}

const pad = (n: number) => String(n).padStart(6, '0');

/** Writes the pair for `iteration`, then points latest.json at it. Returns the model file's path. */
export async function saveCheckpoint(run: string, meta: CheckpointMeta, weights: Record<string, Tensor>, state: TrainState): Promise<string> {
  const dir = checkpointDir(run);
  const model = `iter_${pad(meta.iteration)}.safetensors`;
  const stateFile = `iter_${pad(meta.iteration)}.state.safetensors`;
  await saveSafetensors(join(dir, model), weights, {
    format: CHECKPOINT_FORMAT,
    iteration: String(meta.iteration),
    config: JSON.stringify(meta.config),
    classes: JSON.stringify(meta.classes),
    palette: JSON.stringify(meta.palette),
    ignoreIndex: String(meta.ignoreIndex),
    mean: JSON.stringify(meta.mean),
    std: JSON.stringify(meta.std),
  });
  const opt = Object.fromEntries(Object.entries(state.optimizer).map(([k, v]) => [`optimizer.${k}`, v]));
  await saveSafetensors(join(dir, stateFile), opt, {
    format: CHECKPOINT_FORMAT,
    iteration: String(meta.iteration),
    optimizerStep: String(state.optimizerStep),
    loader: JSON.stringify(state.loader),
    rngState: String(state.rngState),
  });
  const latest: Latest = { iteration: meta.iteration, model, state: stateFile };
  await writeFileAtomic(join(dir, 'latest.json'), JSON.stringify(latest, null, 2) + '\n');
  return join(dir, model);
}

/** The newest complete checkpoint of a run, or null if it has none. */
export function latestCheckpoint(run: string): (Latest & { modelPath: string; statePath: string }) | null {
  const file = join(checkpointDir(run), 'latest.json');
  if (!existsSync(file)) return null;
  const l = readJson(file, 'checkpoint pointer') as Latest;
  const dir = checkpointDir(run);
  return { ...l, modelPath: join(dir, l.model), statePath: join(dir, l.state) };
}

function parseMetaField<T>(file: string, meta: Record<string, string>, key: string): T {
  const v = meta[key];
  if (v === undefined) throw new Error(`${file}: this checkpoint has no '${key}' in its metadata; was it written by ssa-seg?`);
  try {
    return JSON.parse(v) as T;
  } catch {
    throw new Error(`${file}: metadata field '${key}' is not valid JSON`);
  }
}

/**
 * Reads a model checkpoint: a `.safetensors` file, or a run folder (its latest checkpoint).
 * Returns the weights as tensors and the recorded metadata.
 */
export async function loadModelCheckpoint(pathOrRun: string): Promise<{ file: string; weights: Record<string, Tensor>; meta: CheckpointMeta }> {
  let file = resolve(pathOrRun);
  if (!file.endsWith('.safetensors')) {
    const l = latestCheckpoint(file);
    if (!l) throw new Error(`${pathOrRun}: not a .safetensors file, and not a run folder with checkpoints/latest.json`);
    file = l.modelPath;
  }
  if (!existsSync(file)) throw new Error(`${file}: checkpoint not found`);
  const { tensors, metadata } = await readSafetensors(file);
  const md = metadata ?? {};
  if (md.format !== CHECKPOINT_FORMAT) throw new Error(`${file}: metadata format is '${md.format ?? 'missing'}', expected '${CHECKPOINT_FORMAT}' (a checkpoint written by ssa-seg train)`);
  const meta: CheckpointMeta = {
    iteration: Number(md.iteration),
    config: parseMetaField(file, md, 'config'),
    classes: parseMetaField(file, md, 'classes'),
    palette: parseMetaField(file, md, 'palette'),
    ignoreIndex: Number(md.ignoreIndex),
    mean: parseMetaField(file, md, 'mean'),
    std: parseMetaField(file, md, 'std'),
  };
  return { file, weights: hostToTensors(tensors), meta };
}

/** Reads the training state paired with a model checkpoint. */
export async function loadTrainState(statePath: string): Promise<TrainState> {
  const { tensors, metadata } = await readSafetensors(statePath);
  const md = metadata ?? {};
  const all = hostToTensors(tensors);
  const optimizer = Object.fromEntries(Object.entries(all).map(([k, v]) => [k.replace(/^optimizer\./, ''), v]));
  return {
    optimizerStep: Number(md.optimizerStep),
    optimizer,
    loader: parseMetaField(statePath, md, 'loader'),
    rngState: Number(md.rngState),
  };
}

export function runOfCheckpoint(file: string): string {
  const dir = dirname(file);
  return basename(dir) === 'checkpoints' ? dirname(dir) : dir;
}
