/**
 * Issue #6's reference network written in TensorFlow.js ops, for the `reference-step` part: a
 * stack of stride-1 convolutions with bias (3×3 ones padded by 1, keeping the spatial size, each
 * followed by ReLU; a final 1×1 one to the classes, no ReLU), the mean softmax cross-entropy over
 * every pixel against int32 labels, and tfjs's stock SGD (`tf.train.sgd`).
 *
 * - Layout NHWC (tfjs's native one), filters [k, k, Cin, Cout]. Variables carry our parameter
 *   names ('0.weight', '0.bias', '2.weight', … as nn.Sequential names them), so our initial weights
 *   load into them (`load`, layouts converted) and gradients come back in our layout (`toOurLayout`).
 * - Padding is explicit and symmetric, (k − 1)/2 (for stride 1 and odd k the same as tfjs's 'same').
 * - Missing gradient kernel: tfjs-backend-wasm 4.22.0 registers no Conv2DBackpropFilter. On such a
 *   backend every conv gets a tf.customGrad whose filter gradient is written with forward ops (see
 *   `forwardOpsConv2d` in tfjs-conv.ts), as issue #6 did for its measurement; `gradientPath` says which path was taken.
 *   Its input gradient is then either a forward conv too ('forward-conv', the default: the filter
 *   flipped in space with Cin and Cout swapped, an XNNPACK conv) or tfjs's own Conv2DBackpropInput
 *   through conv2dTranspose ('transpose', kept for comparison: every other peer uses 'forward-conv'; tfjs-wasm runs it outside
 *   XNNPACK, ~13× slower than the forward conv at 8×32×64×64 here).
 */
import type * as TF from '@tensorflow/tfjs';
import { permuteHost } from '../harness.js';
import type { HostWeights } from './tfjs-compact.js';
import { forwardOpsConv2d, type InputGradPath } from './tfjs-conv.js';
import type { Tf } from './tfjs.js';

/** One conv layer of the network: its parameter name prefix (ours), channels and kernel size; ReLU after it or not. */
export type RefInputGrad = InputGradPath;

export interface RefConvLayer {
  name: string;
  cin: number;
  cout: number;
  k: number;
  relu: boolean;
}

/** Our layout [Cout, Cin, k, k] → tfjs's [k, k, Cin, Cout] (out axis i = our axis PERM[i]). */
const PERM = [2, 3, 1, 0];
/** tfjs's [k, k, Cin, Cout] → ours [Cout, Cin, k, k]. */
const INV_PERM = [3, 2, 0, 1];

let netCount = 0;

/** The reference network in tfjs, built for the backend that is current when it is constructed. */
export class TfReferenceNet {
  /** 'native': tfjs's Conv2DBackpropFilter; 'forward-ops': tf.customGrad with a forward Conv2D. */
  readonly gradientPath: 'native' | 'forward-ops';
  /** How the input gradient is computed on the 'forward-ops' path (the 'native' one uses tfjs's own). */
  readonly inputGrad: RefInputGrad;
  private readonly weights: TF.Variable[] = [];
  private readonly biases: TF.Variable[] = [];
  private readonly convs: ((x: TF.Tensor4D, w: TF.Tensor4D) => TF.Tensor4D)[];
  private readonly prefix: string;

  constructor(
    readonly tf: Tf,
    readonly layers: readonly RefConvLayer[],
    readonly numClasses: number,
    opts: { inputGrad?: RefInputGrad } = {},
  ) {
    if (layers.length === 0) throw new Error('TfReferenceNet: no layers');
    if (layers.at(-1)!.cout !== numClasses) throw new Error(`TfReferenceNet: the last layer has ${layers.at(-1)!.cout} outputs, ${numClasses} classes expected`);
    for (const l of layers) if (l.k % 2 !== 1) throw new Error(`TfReferenceNet: layer ${l.name} has an even kernel size ${l.k} (symmetric padding needs an odd one)`);
    // NOTE: tfjs variable names are global to its engine; a prefix keeps two networks apart.
    this.prefix = `reference${netCount++}/`;
    this.gradientPath = tf.getKernel('Conv2DBackpropFilter', tf.getBackend()) ? 'native' : 'forward-ops';
    this.inputGrad = opts.inputGrad ?? 'forward-conv';
    for (const l of layers) {
      // placeholders; `load` puts our initial weights in
      this.weights.push(this.variable(`${l.name}.weight`, tf.zeros([l.k, l.k, l.cin, l.cout])));
      this.biases.push(this.variable(`${l.name}.bias`, tf.zeros([l.cout])));
    }
    this.convs = layers.map((l, i) => (this.gradientPath === 'native' ? nativeConv(tf, l.k) : forwardOpsConv2d(tf, l.k, 1, i > 0 ? this.inputGrad : null)));
  }

  private variable(name: string, init: TF.Tensor): TF.Variable {
    const v = this.tf.variable(init, true, this.prefix + name);
    init.dispose();
    return v;
  }

  /** Every trainable variable (weights then biases, layer order). */
  variables(): TF.Variable[] {
    return [...this.weights, ...this.biases];
  }

  /** Our parameter name of a tfjs variable (as tf.variableGrads keys its gradients). */
  ourName(variableName: string): string {
    if (!variableName.startsWith(this.prefix)) throw new Error(`TfReferenceNet: variable ${variableName} is not this network's`);
    return variableName.slice(this.prefix.length);
  }

  numParameters(): number {
    return this.variables().reduce((n, v) => n + v.size, 0);
  }

  /** Loads host weights in our layout (weights [Cout, Cin, k, k], biases [Cout]); every name must be there. */
  load(w: HostWeights): void {
    const tf = this.tf;
    this.layers.forEach((l, i) => {
      const wn = `${l.name}.weight`;
      const bn = `${l.name}.bias`;
      const ws = w[wn];
      const bs = w[bn];
      if (!ws || !bs) throw new Error(`TfReferenceNet.load: ours has no ${!ws ? wn : bn} (ours: ${Object.keys(w).join(', ')})`);
      const wantW = [l.cout, l.cin, l.k, l.k];
      if (ws.shape.join('x') !== wantW.join('x')) throw new Error(`TfReferenceNet.load: ${wn} is [${ws.shape}] in ours, [${wantW}] expected`);
      if (bs.shape.join('x') !== String(l.cout)) throw new Error(`TfReferenceNet.load: ${bn} is [${bs.shape}] in ours, [${l.cout}] expected`);
      tf.tidy(() => {
        this.weights[i].assign(tf.tensor4d(permuteHost(ws.data, wantW, PERM), [l.k, l.k, l.cin, l.cout]));
        this.biases[i].assign(tf.tensor1d(bs.data));
      });
    });
  }

  /** A gradient of parameter `ourName` in tfjs's layout, brought back to ours. */
  toOurLayout(ourName: string, data: Float32Array): Float32Array {
    const i = this.layers.findIndex((l) => `${l.name}.weight` === ourName || `${l.name}.bias` === ourName);
    if (i < 0) throw new Error(`TfReferenceNet: no parameter ${ourName}`);
    if (ourName.endsWith('.bias')) return data;
    const l = this.layers[i];
    return permuteHost(data, [l.k, l.k, l.cin, l.cout], INV_PERM);
  }

  /** x [N, H, W, Cin] → logits [N, H, W, K]. */
  forward(x: TF.Tensor4D): TF.Tensor4D {
    const tf = this.tf;
    let h = x;
    this.layers.forEach((l, i) => {
      const y = tf.add<TF.Tensor4D>(this.convs[i](h, this.weights[i] as unknown as TF.Tensor4D), this.biases[i]);
      h = l.relu ? tf.relu(y) : y;
    });
    return h;
  }

  /** Mean softmax cross-entropy over every pixel. labels: int32 [N·H·W] (NHWC pixel order). */
  loss(x: TF.Tensor4D, labels: TF.Tensor1D): TF.Scalar {
    const tf = this.tf;
    const logits = tf.reshape(this.forward(x), [-1, this.numClasses]);
    return tf.losses.softmaxCrossEntropy(tf.oneHot(labels, this.numClasses), logits) as TF.Scalar;
  }

  dispose(): void {
    this.tf.dispose(this.variables());
    this.weights.length = 0;
    this.biases.length = 0;
  }
}

/** Explicit symmetric padding (k − 1)/2 for NHWC. */
function pads(k: number): [[number, number], [number, number], [number, number], [number, number]] {
  const p = (k - 1) / 2;
  return [[0, 0], [p, p], [p, p], [0, 0]];
}

/** A stride-1 k×k conv with tfjs's own gradient kernels. */
function nativeConv(tf: Tf, k: number): (x: TF.Tensor4D, w: TF.Tensor4D) => TF.Tensor4D {
  const pad = pads(k);
  return (x, w) => tf.conv2d(x, w, 1, pad);
}

