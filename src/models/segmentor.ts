/**
 * SegModel: backbone → decoder → classifier head, as mmseg's EncoderDecoder. Inference returns
 * logits resized to the input (bilinear, align_corners = false, as mmseg's test path).
 */
import { Module } from '../nn/module.js';
import type { Tensor } from '../tensor/tensor.js';
import { interpolate } from '../tensor/ops.js';
import { CompactBackbone, DEFAULT_COMPACT, LightDecoder, type CompactConfig } from './compact.js';
import { VanillaHead, type ClassifierHead, type HeadOutput } from './heads.js';

export class SegModel extends Module {
  readonly backbone: CompactBackbone;
  readonly decoder: LightDecoder;
  readonly head: ClassifierHead;
  constructor(
    readonly numClasses: number,
    readonly cfg: CompactConfig = DEFAULT_COMPACT,
    head?: (channels: number, numClasses: number) => ClassifierHead,
  ) {
    super();
    this.backbone = this.registerModule('backbone', new CompactBackbone(cfg));
    this.decoder = this.registerModule('decode_head', new LightDecoder(cfg.dims, cfg.channels));
    const h = head ? head(cfg.channels, numClasses) : new VanillaHead(cfg.channels, numClasses);
    this.head = this.registerModule('head', h);
  }
  /** Decoder features S_f [B, C, H/4, W/4]. */
  features(x: Tensor): Tensor {
    return this.decoder.forward(this.backbone.forward(x));
  }
  /** x [B, 3, H, W] → logits [B, K, H, W]. */
  forward(x: Tensor): Tensor {
    const logits = this.head.forward(this.features(x));
    return interpolate(logits, { size: x.shape.slice(2) as [number, number], mode: 'bilinear', alignCorners: false });
  }
  forwardTrain(x: Tensor, labels: Tensor, ignoreIndex: number): HeadOutput {
    return this.head.forwardTrain(this.features(x), labels, ignoreIndex);
  }
}
