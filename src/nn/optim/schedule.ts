/** Learning-rate schedules, as mmcv's iteration-based PolyLrUpdaterHook with linear warm-up. */

export interface PolyOptions {
  baseLr: number;
  maxIters: number;
  power?: number;
  minLr?: number;
  warmupIters?: number;
  /** Warm-up starts at ratio·lr (mmcv's warmup_ratio). */
  warmupRatio?: number;
}

/**
 * lr(i) = (base − min)·(1 − i/max)^power + min; during warm-up (i < warmupIters) that value is
 * multiplied by 1 − (1 − i/warmupIters)·(1 − ratio).
 */
export function polyLr(iter: number, o: PolyOptions): number {
  const power = o.power ?? 1;
  const minLr = o.minLr ?? 0;
  const progress = Math.min(iter, o.maxIters) / o.maxIters;
  const regular = (o.baseLr - minLr) * (1 - progress) ** power + minLr;
  const w = o.warmupIters ?? 0;
  if (w > 0 && iter < w) {
    const k = (1 - iter / w) * (1 - (o.warmupRatio ?? 1e-6));
    return regular * (1 - k);
  }
  return regular;
}
