/**
 * The compact segmentation model of src/models (CompactBackbone + LightDecoder + the vanilla 1×1
 * classifier, SegModel.forwardTrain's loss) written again in TensorFlow.js ops, for the `train`
 * part: the same architecture, the same parameters (by name), the same loss and the same AdamW.
 *
 * - Layout NHWC (tfjs's native one). Dense conv filters are [kh, kw, Cin, Cout], depthwise ones
 *   [kh, kw, C, 1]; 1×1 convs are a MatMul with a [Cin, Cout] matrix (what a 1×1 conv is, and a
 *   path whose gradient every tfjs backend has). Variables carry our parameter names, so our
 *   initial weights load into them (`load`, layouts converted) and gradients can be compared.
 * - Padding is explicit and symmetric, (k − 1)/2 as in PyTorch: tfjs's 'same' pads a stride-2
 *   conv on an even size asymmetrically (0 before, 1 after), which is a different function.
 * - BatchNorm uses the batch's statistics (training mode: biased variance, eps 1e-5) and updates
 *   running statistics with momentum 0.1 and the unbiased variance, as ours.
 * - GELU is the exact (erf) one; bilinear resizes use half-pixel centres (PyTorch's
 *   align_corners = false); the loss is the mean softmax cross-entropy over every pixel at label
 *   size (ours divides by all pixels; no pixel is ignored here, so it is the same mean).
 * - No dropout (the `train` part turns ours off too).
 *
 * Missing gradient kernels: tfjs-backend-wasm 4.22.0 registers no Conv2DBackpropFilter and no
 * DepthwiseConv2dNative backprop kernel (input or filter). When the backend lacks them, the convs
 * get a tf.customGrad whose gradients are written with forward ops (see forwardOpsConv2d in
 * tfjs-conv.ts, and depthwiseConv below); `gradientPaths` says which path each kind of conv took.
 *
 * Wrong gradient kernel: tfjs 4.22.0's ResizeBilinearGrad (cpu and wasm) ignores halfPixelCenters,
 * so the bilinear resizes get their own gradient on every backend (see bilinear below).
 */
import type * as TF from '@tensorflow/tfjs';
import type { CompactConfig } from '../../src/models/compact.js';
import { permuteHost } from '../harness.js';
import { forwardOpsConv2d, pads } from './tfjs-conv.js';
import type { Tf } from './tfjs.js';

/** One variable: its (our) name, our shape, and how our layout maps to the tfjs one. */
interface VarSpec {
  name: string;
  /** Shape in our layout (e.g. [Cout, Cin, kh, kw]). */
  ours: number[];
  /** Axis permutation from our layout to tfjs's (out axis i = our axis perm[i]); null: same. */
  perm: number[] | null;
  /** Shape in tfjs's layout. */
  tf: number[];
  variable: TF.Variable;
}

/** Which gradient the dense and depthwise convs use on this backend. */
export interface GradientPaths {
  /** 'native': tfjs's kernels; 'forward-ops': tf.customGrad with forward convolutions. */
  dense: 'native' | 'forward-ops';
  depthwise: 'native' | 'forward-ops';
}

/** Host weights in our layout, by our parameter name. */
export type HostWeights = Record<string, { shape: readonly number[]; data: Float32Array }>;

export interface TfAdamWOptions {
  lr: number;
  betas?: [number, number];
  eps?: number;
  weightDecay?: number;
}

let modelCount = 0;

/** The compact model in tfjs, built for the backend that is current when it is constructed. */
export class TfCompactModel {
  /** Trainable variables by our parameter name, in declaration order. */
  readonly params = new Map<string, VarSpec>();
  /** BatchNorm running statistics (not trainable), by BN name. */
  private readonly running = new Map<string, { mean: TF.Variable; variance: TF.Variable }>();
  readonly gradientPaths: GradientPaths;
  private readonly prefix: string;
  private readonly denseFns = new Map<string, (x: TF.Tensor4D, w: TF.Tensor4D) => TF.Tensor4D>();
  private readonly dwFns = new Map<string, (x: TF.Tensor4D, w: TF.Tensor4D) => TF.Tensor4D>();
  private readonly resizeFns = new Map<string, (x: TF.Tensor4D) => TF.Tensor4D>();

  constructor(
    readonly tf: Tf,
    readonly cfg: CompactConfig,
    readonly numClasses: number,
  ) {
    // NOTE: tfjs variable names are global to its engine; a prefix keeps two models apart.
    this.prefix = `compact${modelCount++}/`;
    const backend = tf.getBackend();
    const has = (k: string) => !!tf.getKernel(k, backend);
    this.gradientPaths = {
      dense: has('Conv2DBackpropFilter') && has('Conv2DBackpropInput') ? 'native' : 'forward-ops',
      depthwise: has('DepthwiseConv2dNativeBackpropFilter') && has('DepthwiseConv2dNativeBackpropInput') ? 'native' : 'forward-ops',
    };
    this.declare();
  }

  // -------------------------------------------------------------------------------------------
  // Parameters (the same names and sizes as src/models/compact.ts, segmentor.ts, heads.ts)

  private variable(name: string, ours: number[], perm: number[] | null, tfShape: number[], fanIn: number, init: 'uniform' | 'ones' | 'zeros'): void {
    const tf = this.tf;
    // PyTorch's default conv init U(±1/√fanIn), BN ones/zeros; `load` replaces them with ours.
    const bound = 1 / Math.sqrt(fanIn);
    const value = init === 'ones' ? tf.ones(tfShape) : init === 'zeros' ? tf.zeros(tfShape) : tf.randomUniform(tfShape, -bound, bound, 'float32', 1234 + this.params.size);
    const variable = tf.variable(value, true, this.prefix + name);
    value.dispose();
    this.params.set(name, { name, ours, perm, tf: tfShape, variable });
  }

  /** Dense k×k conv without bias: ours [Cout, Cin, k, k] → tfjs [k, k, Cin, Cout]. */
  private declareDense(name: string, cin: number, cout: number, k: number): void {
    this.variable(`${name}.weight`, [cout, cin, k, k], [2, 3, 1, 0], [k, k, cin, cout], cin * k * k, 'uniform');
  }

  /** Depthwise kh×kw conv with bias: ours [C, 1, kh, kw] → tfjs [kh, kw, C, 1]. */
  private declareDepthwise(name: string, c: number, kh: number, kw: number): void {
    this.variable(`${name}.weight`, [c, 1, kh, kw], [2, 3, 0, 1], [kh, kw, c, 1], kh * kw, 'uniform');
    this.variable(`${name}.bias`, [c], null, [c], kh * kw, 'uniform');
  }

  /** 1×1 conv with bias: ours [Cout, Cin, 1, 1] → tfjs [Cin, Cout] (a MatMul). */
  private declarePointwise(name: string, cin: number, cout: number): void {
    this.variable(`${name}.weight`, [cout, cin, 1, 1], [1, 0, 2, 3], [cin, cout], cin, 'uniform');
    this.variable(`${name}.bias`, [cout], null, [cout], cin, 'uniform');
  }

  private declareBn(name: string, c: number): void {
    this.variable(`${name}.weight`, [c], null, [c], 1, 'ones');
    this.variable(`${name}.bias`, [c], null, [c], 1, 'zeros');
    this.running.set(name, {
      mean: this.buffer(`${name}.running_mean`, this.tf.zeros([c])),
      variance: this.buffer(`${name}.running_var`, this.tf.ones([c])),
    });
  }

  /** A non-trainable variable holding `init` (which it takes over). */
  private buffer(name: string, init: TF.Tensor): TF.Variable {
    const v = this.tf.variable(init, false, this.prefix + name);
    init.dispose();
    return v;
  }

  private declare(): void {
    const { dims, depths, strips, mlpRatio, channels } = this.cfg;
    const d0 = dims[0];
    // stem: conv3×3 s2 → BN → GELU → conv3×3 s2 → BN
    this.declareDense('backbone.stem.0.0', 3, d0 / 2, 3);
    this.declareBn('backbone.stem.0.1', d0 / 2);
    this.declareDense('backbone.stem.1.0', d0 / 2, d0, 3);
    this.declareBn('backbone.stem.1.1', d0);
    for (let i = 1; i < dims.length; i++) {
      this.declareDense(`backbone.down${i}.0`, dims[i - 1], dims[i], 3);
      this.declareBn(`backbone.down${i}.1`, dims[i]);
    }
    dims.forEach((d, s) => {
      for (let b = 0; b < depths[s]; b++) {
        const p = `backbone.stage${s}.${b}`;
        const hidden = Math.round(d * mlpRatio);
        this.declareBn(`${p}.norm1`, d);
        this.declarePointwise(`${p}.proj_1`, d, d);
        this.declareDepthwise(`${p}.spatial_gating_unit.conv0`, d, 5, 5);
        strips.forEach((k, i) => {
          this.declareDepthwise(`${p}.spatial_gating_unit.conv${i}_1`, d, 1, k);
          this.declareDepthwise(`${p}.spatial_gating_unit.conv${i}_2`, d, k, 1);
        });
        this.declarePointwise(`${p}.spatial_gating_unit.conv3`, d, d);
        this.declarePointwise(`${p}.proj_2`, d, d);
        this.declareBn(`${p}.norm2`, d);
        this.declarePointwise(`${p}.fc1`, d, hidden);
        this.declareDepthwise(`${p}.dwconv`, hidden, 3, 3);
        this.declarePointwise(`${p}.fc2`, hidden, d);
      }
    });
    dims.forEach((d, i) => this.declarePointwise(`decode_head.lateral${i}`, d, channels));
    this.declareDense('decode_head.fuse.0', channels, channels, 3);
    this.declareBn('decode_head.fuse.1', channels);
    this.declarePointwise('head.conv_seg', channels, this.numClasses);
  }

  /** Number of trainable parameters (elements). */
  numParameters(): number {
    let n = 0;
    for (const p of this.params.values()) n += p.variable.size;
    return n;
  }

  /** The trainable variables, in declaration order. */
  variables(): TF.Variable[] {
    return [...this.params.values()].map((p) => p.variable);
  }

  /** Copies our weights in (layouts converted). Every name must match, with the same shape. */
  load(weights: HostWeights): void {
    const notInOurs = [...this.params.keys()].filter((k) => !(k in weights));
    const notHere = Object.keys(weights).filter((k) => !this.params.has(k));
    if (notInOurs.length || notHere.length) {
      throw new Error(`TfCompactModel.load: names differ from ours (missing here: ${notHere.join(', ') || 'none'}; not in ours: ${notInOurs.join(', ') || 'none'})`);
    }
    for (const p of this.params.values()) {
      const w = weights[p.name];
      if (w.shape.join('x') !== p.ours.join('x')) throw new Error(`TfCompactModel.load: ${p.name} is [${w.shape}] in ours, [${p.ours}] expected`);
      const data = p.perm ? permuteHost(w.data, p.ours, p.perm) : w.data;
      const t = this.tf.tensor(data, p.tf);
      p.variable.assign(t);
      t.dispose();
    }
  }

  /** A tfjs-layout array (e.g. a gradient) of parameter `name`, brought back to our layout. */
  toOurLayout(name: string, data: Float32Array): Float32Array {
    const p = this.params.get(name);
    if (!p) throw new Error(`TfCompactModel: no parameter ${name}`);
    if (!p.perm) return data;
    const inverse = new Array<number>(p.perm.length);
    p.perm.forEach((axis, i) => (inverse[axis] = i));
    // our layout → tfjs layout was `perm` (shape tf = ours permuted); back is the inverse permutation
    return permuteHost(data, p.perm.map((a) => p.ours[a]), inverse);
  }

  dispose(): void {
    for (const p of this.params.values()) p.variable.dispose();
    for (const r of this.running.values()) this.tf.dispose([r.mean, r.variance]);
    this.params.clear();
    this.running.clear();
  }

  // -------------------------------------------------------------------------------------------
  // Layers

  private v(name: string): TF.Variable {
    const p = this.params.get(name);
    if (!p) throw new Error(`TfCompactModel: no parameter ${name}`);
    return p.variable;
  }

  /** Dense k×k conv, stride s, symmetric padding (k − 1)/2, no bias. */
  private dense(x: TF.Tensor4D, name: string, stride: number, needDx: boolean): TF.Tensor4D {
    const w = this.v(`${name}.weight`) as unknown as TF.Tensor4D;
    const k = w.shape[0];
    if (this.gradientPaths.dense === 'native') return this.tf.conv2d(x, w, stride, pads((k - 1) / 2, (k - 1) / 2));
    const key = `${k}/${stride}/${needDx}`;
    let f = this.denseFns.get(key);
    if (!f) this.denseFns.set(key, (f = forwardOpsConv2d(this.tf, k, stride, needDx ? 'forward-conv' : null)));
    return f(x, w);
  }

  /** Depthwise kh×kw conv, stride 1, symmetric padding, plus bias. */
  private depthwise(x: TF.Tensor4D, name: string): TF.Tensor4D {
    const tf = this.tf;
    const w = this.v(`${name}.weight`) as unknown as TF.Tensor4D;
    const [kh, kw] = w.shape;
    let y: TF.Tensor4D;
    if (this.gradientPaths.depthwise === 'native') {
      y = tf.depthwiseConv2d(x, w, 1, pads((kh - 1) / 2, (kw - 1) / 2));
    } else {
      const key = `${kh}x${kw}`;
      let f = this.dwFns.get(key);
      if (!f) this.dwFns.set(key, (f = depthwiseConv(tf, kh, kw)));
      y = f(x, w);
    }
    return tf.add(y, this.v(`${name}.bias`));
  }

  /** 1×1 conv with bias, as [N·H·W, Cin] · [Cin, Cout]. */
  private pointwise(x: TF.Tensor4D, name: string): TF.Tensor4D {
    const tf = this.tf;
    const [n, h, w, c] = x.shape;
    const W = this.v(`${name}.weight`) as unknown as TF.Tensor2D;
    const y = tf.add(tf.matMul(tf.reshape(x, [n * h * w, c]), W), this.v(`${name}.bias`));
    return tf.reshape(y, [n, h, w, W.shape[1]]);
  }

  /** BatchNorm with batch statistics; updates the running statistics as ours does. */
  private bn(x: TF.Tensor4D, name: string): TF.Tensor4D {
    const tf = this.tf;
    const mean = tf.mean(x, [0, 1, 2]);
    const centred = tf.sub(x, mean);
    const variance = tf.mean(tf.square(centred), [0, 1, 2]);
    const r = this.running.get(name)!;
    const n = x.size / x.shape[3];
    const m = 0.1;
    tf.tidy(() => {
      r.mean.assign(tf.add(tf.mul(r.mean, 1 - m), tf.mul(mean, m)));
      r.variance.assign(tf.add(tf.mul(r.variance, 1 - m), tf.mul(variance, (m * n) / (n - 1))));
    });
    const xhat = tf.mul(centred, tf.rsqrt(tf.add(variance, 1e-5)));
    return tf.add(tf.mul(xhat, this.v(`${name}.weight`)), this.v(`${name}.bias`));
  }

  /** Bilinear resize with half-pixel centres (PyTorch's align_corners = false); see `bilinear`. */
  private resize(x: TF.Tensor4D, outH: number, outW: number): TF.Tensor4D {
    const [, h, w] = x.shape;
    const key = `${h}x${w}>${outH}x${outW}`;
    let f = this.resizeFns.get(key);
    if (!f) this.resizeFns.set(key, (f = bilinear(this.tf, h, w, outH, outW)));
    return f(x);
  }

  /** Exact GELU: x · Φ(x) = ½x(1 + erf(x/√2)). */
  private gelu(x: TF.Tensor4D): TF.Tensor4D {
    const tf = this.tf;
    return tf.mul(tf.mul(x, 0.5), tf.add(1, tf.erf(tf.mul(x, Math.SQRT1_2))));
  }

  /** MSCA: (1×1 of dw5×5(x) + Σ strip pairs) ⊙ x. */
  private msca(x: TF.Tensor4D, p: string): TF.Tensor4D {
    const tf = this.tf;
    const base = this.depthwise(x, `${p}.conv0`);
    let a = base;
    this.cfg.strips.forEach((_, i) => {
      a = tf.add(a, this.depthwise(this.depthwise(base, `${p}.conv${i}_1`), `${p}.conv${i}_2`));
    });
    return tf.mul(this.pointwise(a, `${p}.conv3`), x);
  }

  /** MSCABlock: x + proj2(MSCA(GELU(proj1(BN(x))))), then + fc2(GELU(dw3×3(fc1(BN(·))))). */
  private block(x: TF.Tensor4D, p: string): TF.Tensor4D {
    const tf = this.tf;
    const a = this.pointwise(this.msca(this.gelu(this.pointwise(this.bn(x, `${p}.norm1`), `${p}.proj_1`)), `${p}.spatial_gating_unit`), `${p}.proj_2`);
    const y = tf.add<TF.Tensor4D>(x, a);
    const m = this.pointwise(this.gelu(this.depthwise(this.pointwise(this.bn(y, `${p}.norm2`), `${p}.fc1`), `${p}.dwconv`)), `${p}.fc2`);
    return tf.add<TF.Tensor4D>(y, m);
  }

  /** x [N, H, W, 3] → logits [N, H/4, W/4, K] (training mode). */
  forward(x: TF.Tensor4D): TF.Tensor4D {
    const tf = this.tf;
    const { dims, depths } = this.cfg;
    // stem
    let h = this.gelu(this.bn(this.dense(x, 'backbone.stem.0.0', 2, false), 'backbone.stem.0.1'));
    h = this.bn(this.dense(h, 'backbone.stem.1.0', 2, true), 'backbone.stem.1.1');
    // stages
    const feats: TF.Tensor4D[] = [];
    for (let s = 0; s < dims.length; s++) {
      if (s > 0) h = this.bn(this.dense(h, `backbone.down${s}.0`, 2, true), `backbone.down${s}.1`);
      for (let b = 0; b < depths[s]; b++) h = this.block(h, `backbone.stage${s}.${b}`);
      feats.push(h);
    }
    // light decoder: 1×1 laterals, bilinear to 1/4, sum, conv3×3-BN-ReLU
    const [, fh, fw] = feats[0].shape;
    let sum: TF.Tensor4D | null = null;
    feats.forEach((f, i) => {
      let l = this.pointwise(f, `decode_head.lateral${i}`);
      if (i > 0) l = this.resize(l, fh, fw);
      sum = sum ? tf.add<TF.Tensor4D>(sum, l) : l;
    });
    // NOTE: ReLU twice, as ours (the fuse block ends in ReLU and LightDecoder applies relu again).
    const fused = tf.relu(tf.relu(this.bn(this.dense(sum!, 'decode_head.fuse.0', 1, true), 'decode_head.fuse.1')));
    return this.pointwise(fused, 'head.conv_seg');
  }

  /** Mean softmax cross-entropy of the logits resized (bilinear) to the labels' size. labels: int32 [N·H·W]. */
  loss(x: TF.Tensor4D, labels: TF.Tensor1D): TF.Scalar {
    const tf = this.tf;
    const [, H, W] = x.shape;
    const up = this.resize(this.forward(x), H, W);
    return tf.losses.softmaxCrossEntropy(tf.oneHot(labels, this.numClasses), tf.reshape(up, [-1, this.numClasses])) as TF.Scalar;
  }
}

/**
 * A depthwise kh×kw conv (stride 1, symmetric padding) whose gradient avoids the
 * DepthwiseConv2dNative backprop kernels, with forward depthwise convolutions:
 * dx = depthwise(dy, w flipped in space), same padding (a stride-1 correlation's adjoint);
 * dw[ky, kx, c] = Σ_n Σ_{y,x} xpad[n, y + ky, x + kx, c] · dy[n, y, x, c]: fold the batch into the
 * channels (x as [1, H, W, N·C], dy as an [H, W, N·C, 1] filter), one depthwise correlation gives
 * [1, kh, kw, N·C], and a sum over n gives [kh, kw, C, 1].
 */
function depthwiseConv(tf: Tf, kh: number, kw: number): (x: TF.Tensor4D, w: TF.Tensor4D) => TF.Tensor4D {
  const pad = pads((kh - 1) / 2, (kw - 1) / 2);
  const f = tf.customGrad(((x: TF.Tensor4D, w: TF.Tensor4D, save: TF.GradSaveFunc) => {
    save([x, w]);
    return {
      value: tf.depthwiseConv2d(x, w, 1, pad),
      gradFunc: (dy: TF.Tensor4D, saved: TF.Tensor[]) => {
        const [xs, ws] = saved as [TF.Tensor4D, TF.Tensor4D];
        const [n, h, wd, c] = xs.shape;
        const dx = tf.depthwiseConv2d(dy, tf.reverse(ws, [0, 1]), 1, pad);
        const xr = tf.reshape(tf.transpose(xs, [1, 2, 0, 3]), [1, h, wd, n * c]) as TF.Tensor4D;
        const dyr = tf.reshape(tf.transpose(dy, [1, 2, 0, 3]), [h, wd, n * c, 1]) as TF.Tensor4D;
        const o = tf.depthwiseConv2d(xr, dyr, 1, pad); // [1, kh, kw, N·C]
        const dw = tf.reshape(tf.sum(tf.reshape(o, [kh, kw, n, c]), 2), [kh, kw, c, 1]);
        return [dx, dw];
      },
    };
  }) as unknown as Parameters<Tf['customGrad']>[0]);
  return (x, w) => f(x, w) as TF.Tensor4D;
}

/**
 * Row-major [out, in] matrix of 1-D linear interpolation with half-pixel centres:
 * src = max((o + ½)·in/out − ½, 0), weights 1 − f and f on floor(src) and min(floor(src) + 1, in − 1).
 */
function resampleRows(inSize: number, outSize: number): Float32Array {
  const m = new Float32Array(outSize * inSize);
  for (let o = 0; o < outSize; o++) {
    const src = Math.max(((o + 0.5) * inSize) / outSize - 0.5, 0);
    const i0 = Math.min(Math.floor(src), inSize - 1);
    const i1 = Math.min(i0 + 1, inSize - 1);
    const f = src - i0;
    m[o * inSize + i0] += 1 - f;
    m[o * inSize + i1] += f;
  }
  return m;
}

/**
 * tf.image.resizeBilinear(x, [outH, outW], alignCorners false, halfPixelCenters true) forward, with
 * a correct gradient. NOTE: tfjs 4.22.0's ResizeBilinearGrad kernels ignore halfPixelCenters (cpu and
 * wasm both map output pixel r to input r·scale, the legacy grid), so the gradient tf.grad gives for a
 * half-pixel resize is not the forward's adjoint; tfjs-backend-cpu's kernel also returns the shape
 * with height and width swapped, which throws for non-square images. Here dx = Rhᵀ · dy · Rw, as two
 * MatMuls with the interpolation matrices (the adjoint of the forward by construction).
 */
function bilinear(tf: Tf, h: number, w: number, outH: number, outW: number): (x: TF.Tensor4D) => TF.Tensor4D {
  const rh = resampleRows(h, outH); // [outH, h]
  const rw = resampleRows(w, outW); // [outW, w]
  const f = tf.customGrad(((x: TF.Tensor4D, save: TF.GradSaveFunc) => {
    save([x]);
    return {
      value: tf.image.resizeBilinear(x, [outH, outW], false, true),
      gradFunc: (dy: TF.Tensor4D) => {
        const [n, , , c] = dy.shape;
        const Rh = tf.tensor2d(rh, [outH, h]);
        const Rw = tf.tensor2d(rw, [outW, w]);
        // along W: [outW, N·outH·C] → Rwᵀ· → [w, N·outH·C]
        const t = tf.reshape(tf.transpose(dy, [2, 0, 1, 3]), [outW, n * outH * c]);
        const aw = tf.reshape(tf.matMul(Rw, t, true, false), [w, n, outH, c]);
        // along H: [outH, w·N·C] → Rhᵀ· → [h, w·N·C]
        const u = tf.reshape(tf.transpose(aw, [2, 0, 1, 3]), [outH, w * n * c]);
        const ah = tf.reshape(tf.matMul(Rh, u, true, false), [h, w, n, c]);
        return [tf.transpose(ah, [2, 0, 1, 3]) as TF.Tensor4D];
      },
    };
  }) as unknown as Parameters<Tf['customGrad']>[0]);
  return (x) => f(x) as TF.Tensor4D;
}

/**
 * AdamW in tfjs ops, the same arithmetic as ours (src/nn/optim/adamw.ts, PyTorch's arrangement):
 * p ← p·(1 − lr·wd); m ← β₁m + (1−β₁)g; v ← β₂v + (1−β₂)g²; p ← p − (lr/(1−β₁ᵗ))·m/(√v/√(1−β₂ᵗ) + eps),
 * lr and wd scaled per parameter (the trainer's groups). tfjs ships Adam but no AdamW.
 */
export class TfAdamW {
  step = 0;
  private readonly slots = new Map<string, { m: TF.Variable; v: TF.Variable }>();
  constructor(
    readonly tf: Tf,
    readonly entries: readonly { name: string; variable: TF.Variable; lrMult: number; decayMult: number }[],
    readonly opts: TfAdamWOptions,
  ) {}

  /** One update from gradients keyed by variable name (as tf.variableGrads returns them). */
  apply(grads: TF.NamedTensorMap): void {
    const tf = this.tf;
    const [b1, b2] = this.opts.betas ?? [0.9, 0.999];
    const eps = this.opts.eps ?? 1e-8;
    const wd0 = this.opts.weightDecay ?? 0.01;
    const t = ++this.step;
    const bc1 = 1 - b1 ** t;
    const bc2 = 1 - b2 ** t;
    for (const e of this.entries) {
      const g = grads[e.variable.name];
      if (!g) continue;
      let s = this.slots.get(e.name);
      if (!s) {
        const zero = () => {
          const z = tf.zerosLike(e.variable);
          const slot = tf.variable(z, false);
          z.dispose();
          return slot;
        };
        this.slots.set(e.name, (s = { m: zero(), v: zero() }));
      }
      const { m, v } = s;
      const lr = this.opts.lr * e.lrMult;
      const wd = wd0 * e.decayMult;
      tf.tidy(() => {
        m.assign(tf.add(tf.mul(m, b1), tf.mul(g, 1 - b1)));
        v.assign(tf.add(tf.mul(v, b2), tf.mul(tf.square(g), 1 - b2)));
        const denom = tf.add(tf.mul(tf.sqrt(v), 1 / Math.sqrt(bc2)), eps);
        const decayed = wd !== 0 ? tf.mul(e.variable, 1 - lr * wd) : e.variable;
        e.variable.assign(tf.sub(decayed, tf.mul(tf.div(m, denom), lr / bc1)));
      });
    }
  }

  dispose(): void {
    for (const s of this.slots.values()) this.tf.dispose([s.m, s.v]);
    this.slots.clear();
  }
}
