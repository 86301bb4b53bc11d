/** Builds the model a config describes (backbone, decoder, and the vanilla or SSA classifier head). */
import { SegModel } from '../models/segmentor.js';
import { VanillaHead } from '../models/heads.js';
import { SSAHead } from '../ssa/head.js';
import type { TrainConfig } from './config.js';

export function buildModel(cfg: TrainConfig, numClasses: number): SegModel {
  return new SegModel(numClasses, cfg.model, (channels, k) =>
    cfg.head === 'ssa'
      ? new SSAHead({ channels, numClasses: k, dropoutRatio: cfg.dropout, ...cfg.ssa, boundaryBorder: cfg.ssaBoundaryBorder })
      : new VanillaHead(channels, k, cfg.dropout),
  );
}
