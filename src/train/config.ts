/**
 * The training configuration: defaults, JSON config files, command-line overrides, and checks.
 * The resolved config is saved in the run folder and inside every checkpoint, so `eval` and
 * `predict` need only the checkpoint.
 */
import { DEFAULT_COMPACT, type CompactConfig } from '../models/compact.js';
import type { SSAHeadConfig } from '../ssa/head.js';

export type HeadKind = 'vanilla' | 'ssa';

/** SSA ablation switches (all on = the full method), as the head's own. */
export type SsaSwitches = Pick<SSAHeadConfig, 'sepa' | 'sppa' | 'teacher' | 'lrd' | 'lsd' | 'lpd'>;

export interface TrainConfig {
  /** Dataset folder (mmseg layout). */
  data: string;
  /** Run folder (config, log, checkpoints). */
  out: string;
  head: HeadKind;
  ssa: SsaSwitches;
  /** Dead border of L_rd's boundary mask, in feature pixels (official 6, for 64×64 maps; our 1/4 maps are ~16×21). */
  ssaBoundaryBorder: number;
  iters: number;
  batch: number;
  /** Base learning rate (the head trains at lr × headLrMult). */
  lr: number;
  optimizer: 'adamw' | 'sgd';
  weightDecay: number;
  momentum: number;
  headLrMult: number;
  warmupIters: number;
  warmupRatio: number;
  power: number;
  minLr: number;
  seed: number;
  backend: string | null;
  /** Training crop [h, w]; null trains on whole images (they must share one size). */
  crop: [number, number] | null;
  augment: { resize: [number, number] | null; crop: boolean; flip: boolean };
  dropout: number;
  logInterval: number;
  checkpointInterval: number;
  /** Evaluate on the val split every this many iterations (0: only at the end). */
  evalInterval: number;
  model: CompactConfig;
}

export const DEFAULT_SSA: SsaSwitches = { sepa: true, sppa: true, teacher: true, lrd: true, lsd: true, lpd: true };

/** Defaults scaled to M2NIST on two CPU cores (the official recipe's structure: AdamW, head lr ×10, poly with warm-up). */
export function defaultConfig(): TrainConfig {
  return {
    data: 'data/m2nist',
    out: 'runs/vanilla',
    head: 'vanilla',
    ssa: { ...DEFAULT_SSA },
    ssaBoundaryBorder: 1,
    iters: 1200,
    batch: 4,
    lr: 6e-3,
    optimizer: 'adamw',
    weightDecay: 0.01,
    momentum: 0.9,
    headLrMult: 10,
    warmupIters: 50,
    warmupRatio: 1e-6,
    power: 1,
    minLr: 0,
    seed: 0,
    backend: null,
    crop: null,
    augment: { resize: null, crop: false, flip: false },
    dropout: 0.1,
    logInterval: 10,
    checkpointInterval: 200,
    evalInterval: 0,
    model: { ...DEFAULT_COMPACT },
  };
}

type Plain = Record<string, unknown>;

function isObj(x: unknown): x is Plain {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

/** Deep-merges `over` into `base`, rejecting unknown keys and wrong types (naming the key and `where`). */
export function mergeConfig<T>(base: T, over: unknown, where: string, path = ''): T {
  if (over === undefined) return base;
  if (!isObj(over)) throw new Error(`${where}: ${path || 'the config'} must be an object`);
  const out: Plain = { ...(base as Plain) };
  for (const [k, v] of Object.entries(over)) {
    const key = path ? `${path}.${k}` : k;
    if (!(k in out)) throw new Error(`${where}: unknown config key '${key}'`);
    const cur = out[k];
    if (isObj(cur) && cur !== null) out[k] = mergeConfig(cur, v, where, key);
    else if (cur !== null && v !== null && typeof cur !== typeof v) {
      throw new Error(`${where}: '${key}' must be ${Array.isArray(cur) ? 'an array' : `a ${typeof cur}`}, got ${JSON.stringify(v)}`);
    } else out[k] = v;
  }
  return out as T;
}

/** Checks values that would otherwise fail deep inside training. */
export function validateConfig(c: TrainConfig): TrainConfig {
  const pos = (k: keyof TrainConfig) => {
    const v = c[k] as number;
    if (!Number.isFinite(v) || v <= 0) throw new Error(`config: '${k}' must be a positive number, got ${v}`);
  };
  pos('iters');
  pos('batch');
  pos('lr');
  if (!Number.isInteger(c.iters) || !Number.isInteger(c.batch)) throw new Error('config: iters and batch must be integers');
  if (c.head !== 'vanilla' && c.head !== 'ssa') throw new Error(`config: head must be 'vanilla' or 'ssa', got '${c.head}'`);
  if (c.optimizer !== 'adamw' && c.optimizer !== 'sgd') throw new Error(`config: optimizer must be 'adamw' or 'sgd', got '${c.optimizer}'`);
  if (c.crop && (c.crop.length !== 2 || c.crop.some((v) => !Number.isInteger(v) || v <= 0))) throw new Error(`config: crop must be [h, w] of positive integers, got ${JSON.stringify(c.crop)}`);
  if (c.model.dims.length !== c.model.depths.length) throw new Error('config: model.dims and model.depths must have the same length');
  if (c.model.strips.some((s) => s % 2 === 0)) throw new Error('config: model.strips must be odd');
  return c;
}
