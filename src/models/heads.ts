/**
 * Classifier heads: the interface a decode head's pixel classifier implements, and the vanilla
 * one (Dropout2d + 1×1 conv, mmseg's `cls_seg`). The SSA head implements the same interface.
 */
import { Module } from '../nn/module.js';
import { Conv2d } from '../nn/layers/conv.js';
import { Dropout2d } from '../nn/layers/basic.js';
import { normal } from '../nn/init.js';
import { noGrad } from '../autograd/grad-mode.js';
import type { Tensor } from '../tensor/tensor.js';
import { crossEntropy, div, interpolate, sum, zeros } from '../tensor/ops.js';

export interface HeadOutput {
  /** Final logits [B, K, h, w] at feature resolution. */
  logits: Tensor;
  /** Scalar loss terms by name, and `total`, their sum. */
  losses: Record<string, Tensor>;
}

/** A pixel classifier on decoder features. */
export interface ClassifierHead extends Module {
  readonly numClasses: number;
  /** Inference: feat [B, C, h, w] → logits [B, K, h, w]. */
  forward(feat: Tensor): Tensor;
  /** Training: logits and losses against labels [B, H, W] (int32, ignoreIndex = ignore). */
  forwardTrain(feat: Tensor, labels: Tensor, ignoreIndex: number): HeadOutput;
}

/**
 * mmseg 0.x CrossEntropyLoss (avg_non_ignore = false): logits upsampled bilinearly to the labels'
 * size, summed over non-ignored pixels and divided by ALL pixels, ignored ones included.
 */
export function mmsegCrossEntropy(logits: Tensor, labels: Tensor, ignoreIndex: number, alignCorners = false): Tensor {
  const [H, W] = labels.shape.slice(1);
  const up = logits.shape[2] === H && logits.shape[3] === W ? logits : interpolate(logits, { size: [H, W], mode: 'bilinear', alignCorners });
  const perPixel = crossEntropy(up, labels, { ignoreIndex, reduction: 'none' });
  return div(sum(perPixel), labels.size);
}

/** Dropout2d(p) then a 1×1 conv C → K, weight N(0, 0.01), bias 0 (mmseg's default init). */
export class VanillaHead extends Module implements ClassifierHead {
  readonly dropout: Dropout2d;
  readonly conv_seg: Conv2d;
  constructor(
    readonly channels: number,
    readonly numClasses: number,
    dropoutRatio = 0.1,
  ) {
    super();
    this.dropout = this.registerModule('dropout', new Dropout2d(dropoutRatio));
    this.conv_seg = this.registerModule('conv_seg', new Conv2d(channels, numClasses, 1));
    noGrad(() => {
      this.conv_seg.weight.assign(normal([numClasses, channels, 1, 1], 0.01));
      this.conv_seg.bias!.assign(zeros([numClasses]));
    });
  }
  forward(feat: Tensor): Tensor {
    return this.conv_seg.forward(this.dropout.forward(feat));
  }
  forwardTrain(feat: Tensor, labels: Tensor, ignoreIndex: number): HeadOutput {
    const logits = this.forward(feat);
    const ce = mmsegCrossEntropy(logits, labels, ignoreIndex);
    return { logits, losses: { loss_ce: ce, total: ce } };
  }
}

