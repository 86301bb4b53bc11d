/**
 * A compact segmentation backbone and decoder in the spirit of SegNeXt-T (MSCAN): a convolutional
 * stem, stages of blocks whose attention is a product with multi-scale depthwise strip convolutions,
 * and a light decoder fusing stages at 1/4 of the input. Scaled so that a useful model trains in
 * minutes on two CPU cores.
 */
import { Module } from '../nn/module.js';
import { Conv2d } from '../nn/layers/conv.js';
import { BatchNorm2d } from '../nn/layers/norm.js';
import { Sequential, ReLU, GELU } from '../nn/layers/basic.js';
import type { Tensor } from '../tensor/tensor.js';
import { add, interpolate, mul, relu } from '../tensor/ops.js';

export interface CompactConfig {
  /** Channels of the stages (the first runs at 1/4, each next one at half the resolution). */
  dims: number[];
  /** Blocks per stage. */
  depths: number[];
  /** Strip-convolution lengths of the attention branches (SegNeXt uses 7, 11, 21). */
  strips: number[];
  /** Hidden width of the block MLP, as a multiple of the stage width. */
  mlpRatio: number;
  /** Decoder (feature) channels: C of the classifier. */
  channels: number;
}

export const DEFAULT_COMPACT: CompactConfig = { dims: [24, 48], depths: [1, 1], strips: [7, 11], mlpRatio: 2, channels: 32 };

/** conv → BN → activation. */
function convBn(inC: number, outC: number, k: number, stride: number, act: 'relu' | 'gelu' | 'none'): Sequential {
  const layers: Module[] = [new Conv2d(inC, outC, k, { stride, padding: (k - 1) / 2, bias: false }), new BatchNorm2d(outC)];
  if (act === 'relu') layers.push(new ReLU());
  if (act === 'gelu') layers.push(new GELU());
  return new Sequential(...layers);
}

/**
 * Multi-scale convolutional attention (MSCA): a = 1×1( dw5×5(x) + Σ_s dw(s×1)(dw(1×s)(dw5×5(x))) );
 * output = a ⊙ x. The strip pairs see long horizontal and vertical context cheaply.
 */
export class MSCA extends Module {
  readonly conv0: Conv2d;
  readonly strips: [Conv2d, Conv2d][];
  readonly conv3: Conv2d;
  constructor(dim: number, strips: number[]) {
    super();
    this.conv0 = this.registerModule('conv0', new Conv2d(dim, dim, 5, { padding: 2, groups: dim }));
    this.strips = strips.map((s, i) => [
      this.registerModule(`conv${i}_1`, new Conv2d(dim, dim, [1, s], { padding: [0, (s - 1) / 2], groups: dim })),
      this.registerModule(`conv${i}_2`, new Conv2d(dim, dim, [s, 1], { padding: [(s - 1) / 2, 0], groups: dim })),
    ]);
    this.conv3 = this.registerModule('conv3', new Conv2d(dim, dim, 1));
  }
  forward(x: Tensor): Tensor {
    const base = this.conv0.forward(x);
    let a = base;
    for (const [h, v] of this.strips) a = add(a, v.forward(h.forward(base)));
    return mul(this.conv3.forward(a), x);
  }
}

/** x + proj2(MSCA(GELU(proj1(BN(x))))) then x + fc2(GELU(dw3×3(fc1(BN(x))))). */
export class MSCABlock extends Module {
  readonly norm1: BatchNorm2d;
  readonly proj1: Conv2d;
  readonly act: GELU;
  readonly sgu: MSCA;
  readonly proj2: Conv2d;
  readonly norm2: BatchNorm2d;
  readonly fc1: Conv2d;
  readonly dw: Conv2d;
  readonly fc2: Conv2d;
  constructor(dim: number, strips: number[], mlpRatio: number) {
    super();
    const hidden = Math.round(dim * mlpRatio);
    this.norm1 = this.registerModule('norm1', new BatchNorm2d(dim));
    this.proj1 = this.registerModule('proj_1', new Conv2d(dim, dim, 1));
    this.act = this.registerModule('activation', new GELU());
    this.sgu = this.registerModule('spatial_gating_unit', new MSCA(dim, strips));
    this.proj2 = this.registerModule('proj_2', new Conv2d(dim, dim, 1));
    this.norm2 = this.registerModule('norm2', new BatchNorm2d(dim));
    this.fc1 = this.registerModule('fc1', new Conv2d(dim, hidden, 1));
    this.dw = this.registerModule('dwconv', new Conv2d(hidden, hidden, 3, { padding: 1, groups: hidden }));
    this.fc2 = this.registerModule('fc2', new Conv2d(hidden, dim, 1));
  }
  forward(x: Tensor): Tensor {
    const a = this.proj2.forward(this.sgu.forward(this.act.forward(this.proj1.forward(this.norm1.forward(x)))));
    const y = add(x, a);
    const m = this.fc2.forward(this.act.forward(this.dw.forward(this.fc1.forward(this.norm2.forward(y)))));
    return add(y, m);
  }
}

/** Stem to 1/4, then stages (each after the first downsampled by a strided 3×3 conv). */
export class CompactBackbone extends Module {
  readonly stem: Sequential;
  readonly downs: Sequential[];
  readonly stages: Sequential[];
  constructor(readonly cfg: CompactConfig) {
    super();
    const d0 = cfg.dims[0];
    this.stem = this.registerModule('stem', new Sequential(convBn(3, d0 / 2, 3, 2, 'gelu'), convBn(d0 / 2, d0, 3, 2, 'none')));
    this.downs = cfg.dims.slice(1).map((d, i) => this.registerModule(`down${i + 1}`, convBn(cfg.dims[i], d, 3, 2, 'none')));
    this.stages = cfg.dims.map((d, i) =>
      this.registerModule(`stage${i}`, new Sequential(...Array.from({ length: cfg.depths[i] }, () => new MSCABlock(d, cfg.strips, cfg.mlpRatio)))),
    );
  }
  /** x [B, 3, H, W] → one feature map per stage (1/4, 1/8, …). */
  forward(x: Tensor): Tensor[] {
    const outs: Tensor[] = [];
    let h = this.stem.forward(x);
    for (let i = 0; i < this.stages.length; i++) {
      if (i > 0) h = this.downs[i - 1].forward(h);
      h = this.stages[i].forward(h);
      outs.push(h);
    }
    return outs;
  }
}

/** Light decoder: 1×1 projections of every stage, upsampled to 1/4 and summed, then 3×3 conv-BN-ReLU. */
export class LightDecoder extends Module {
  readonly lateral: Conv2d[];
  readonly fuse: Sequential;
  constructor(dims: number[], readonly channels: number) {
    super();
    this.lateral = dims.map((d, i) => this.registerModule(`lateral${i}`, new Conv2d(d, channels, 1)));
    this.fuse = this.registerModule('fuse', convBn(channels, channels, 3, 1, 'relu'));
  }
  /** stage features → decoder features S_f [B, C, H/4, W/4]. */
  forward(feats: Tensor[]): Tensor {
    const [h, w] = feats[0].shape.slice(2);
    let sum: Tensor | null = null;
    feats.forEach((f, i) => {
      let p = this.lateral[i].forward(f);
      if (i > 0) p = interpolate(p, { size: [h, w], mode: 'bilinear', alignCorners: false });
      sum = sum ? add(sum, p) : p;
    });
    return relu(this.fuse.forward(sum!));
  }
}
