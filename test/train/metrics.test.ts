import { describe, expect, it } from 'vitest';
import { ConfusionMatrix, formatMetrics } from '../../src/train/metrics.js';

describe('segmentation metrics (mmseg semantics)', () => {
  it('computes IoU, Acc, aAcc, mIoU and mAcc from a confusion matrix', () => {
    const cm = new ConfusionMatrix(3, 255);
    // labels:      0 0 0 1 1 2 255
    // predictions: 0 0 1 1 2 2 0
    cm.update([0, 0, 1, 1, 2, 2, 0], [0, 0, 0, 1, 1, 2, 255]);
    const m = cm.compute(['a', 'b', 'c']);
    // class 0: tp 2, row 3, col 2 → IoU 2/3, Acc 2/3; class 1: tp 1, row 2, col 2 → IoU 1/3, Acc 1/2;
    // class 2: tp 1, row 1, col 2 → IoU 1/2, Acc 1
    expect(m.perClass.map((c) => +c.IoU.toFixed(4))).toEqual([66.6667, 33.3333, 50]);
    expect(m.perClass.map((c) => +c.Acc.toFixed(4))).toEqual([66.6667, 50, 100]);
    expect(m.aAcc).toBeCloseTo((100 * 4) / 6, 9);
    expect(m.mIoU).toBeCloseTo((200 / 3 + 100 / 3 + 50) / 3, 9);
    expect(m.mAcc).toBeCloseTo((200 / 3 + 50 + 100) / 3, 9);
    expect(m.confusion).toEqual([[2, 1, 0], [0, 1, 1], [0, 0, 1]]);
    expect(formatMetrics(m)).toContain('mIoU  50.00');
  });

  it('skips classes absent from labels and predictions (NaN) in the means', () => {
    const cm = new ConfusionMatrix(3);
    cm.update([0, 0], [0, 0]);
    const m = cm.compute();
    expect(Number.isNaN(m.perClass[1].IoU)).toBe(true);
    expect(m.mIoU).toBe(100);
  });

  it('rejects out-of-range values with the position', () => {
    const cm = new ConfusionMatrix(2);
    expect(() => cm.update([0, 5], [0, 1])).toThrow(/out of range at 1 \(label 1, prediction 5, 2 classes\)/);
  });
});
