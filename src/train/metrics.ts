/**
 * Segmentation metrics with mmsegmentation's semantics: a confusion matrix accumulated over the
 * whole split, then per class IoU = TP/(TP+FP+FN) and Acc = TP/(TP+FN); aAcc = ΣTP/Σlabelled;
 * mIoU and mAcc are means over the classes whose value is defined (NaN classes are skipped),
 * all reported in %.
 */

export interface ClassMetric {
  name: string;
  /** IoU in %, NaN when the class appears neither in labels nor predictions. */
  IoU: number;
  /** Accuracy (recall) in %, NaN when the class is absent from the labels. */
  Acc: number;
}

export interface SegMetrics {
  mIoU: number;
  aAcc: number;
  mAcc: number;
  perClass: ClassMetric[];
  /** confusion[t][p]: pixels of true class t predicted as p. */
  confusion: number[][];
}

export class ConfusionMatrix {
  /** Row-major K×K counts, rows = ground truth, columns = prediction. */
  readonly counts: Float64Array;
  constructor(
    readonly numClasses: number,
    readonly ignoreIndex = 255,
  ) {
    this.counts = new Float64Array(numClasses * numClasses);
  }

  /** Adds one image (or batch): predictions and labels of equal length; ignored labels are skipped. */
  update(pred: ArrayLike<number>, label: ArrayLike<number>): void {
    if (pred.length !== label.length) throw new Error(`ConfusionMatrix.update: ${pred.length} predictions for ${label.length} labels`);
    const K = this.numClasses;
    for (let i = 0; i < label.length; i++) {
      const t = label[i];
      if (t === this.ignoreIndex) continue;
      const p = pred[i];
      if (t < 0 || t >= K || p < 0 || p >= K) throw new Error(`ConfusionMatrix.update: value out of range at ${i} (label ${t}, prediction ${p}, ${K} classes)`);
      this.counts[t * K + p]++;
    }
  }

  compute(classNames?: readonly string[]): SegMetrics {
    const K = this.numClasses;
    const perClass: ClassMetric[] = [];
    let tpSum = 0;
    let labelled = 0;
    for (let c = 0; c < K; c++) {
      let row = 0;
      let col = 0;
      for (let j = 0; j < K; j++) {
        row += this.counts[c * K + j];
        col += this.counts[j * K + c];
      }
      const tp = this.counts[c * K + c];
      const union = row + col - tp;
      tpSum += tp;
      labelled += row;
      perClass.push({ name: classNames?.[c] ?? String(c), IoU: union > 0 ? (100 * tp) / union : NaN, Acc: row > 0 ? (100 * tp) / row : NaN });
    }
    const nanmean = (xs: number[]) => {
      const v = xs.filter((x) => !Number.isNaN(x));
      return v.length ? v.reduce((a, b) => a + b, 0) / v.length : NaN;
    };
    const confusion = Array.from({ length: K }, (_, t) => Array.from(this.counts.subarray(t * K, t * K + K)));
    return {
      mIoU: nanmean(perClass.map((c) => c.IoU)),
      aAcc: labelled > 0 ? (100 * tpSum) / labelled : NaN,
      mAcc: nanmean(perClass.map((c) => c.Acc)),
      perClass,
      confusion,
    };
  }
}

/** A fixed-width table of the metrics for the terminal. */
export function formatMetrics(m: SegMetrics): string {
  const w = Math.max(5, ...m.perClass.map((c) => c.name.length));
  const f = (x: number) => (Number.isNaN(x) ? '  nan' : x.toFixed(2).padStart(6));
  const lines = [`${'class'.padEnd(w)} |    IoU |    Acc`, `${'-'.repeat(w)}-+--------+-------`];
  for (const c of m.perClass) lines.push(`${c.name.padEnd(w)} | ${f(c.IoU)} | ${f(c.Acc)}`);
  lines.push(`${'-'.repeat(w)}-+--------+-------`);
  lines.push(`mIoU ${f(m.mIoU)}   aAcc ${f(m.aAcc)}   mAcc ${f(m.mAcc)}`);
  return lines.join('\n');
}
