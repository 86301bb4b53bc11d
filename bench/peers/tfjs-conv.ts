/**
 * Dense convolutions for the tfjs peers whose gradients are written with forward ops, shared by the
 * compact model (tfjs-compact.ts), the reference network (tfjs-reference.ts) and the
 * kernels part's conv net. tfjs-backend-wasm 4.22.0 registers no Conv2DBackpropFilter, and runs its
 * Conv2DBackpropInput (conv2dTranspose) outside XNNPACK, ~13× slower than a forward conv on a
 * 32→32 3×3 layer (272 vs 21 ms, bench part reference-step). Browser-safe: the compact model is
 * also bundled for the Chromium peer.
 */
import type * as TF from '@tensorflow/tfjs';
import type { Tf } from './tfjs.js';

/** How dx is computed: a forward conv ('forward-conv'), or tfjs's own Conv2DBackpropInput ('transpose'). */
export type InputGradPath = 'forward-conv' | 'transpose';

/** Explicit symmetric padding for NHWC. */
export function pads(ph: number, pw: number): [[number, number], [number, number], [number, number], [number, number]] {
  return [[0, 0], [ph, ph], [pw, pw], [0, 0]];
}

/**
 * A dense k×k conv (stride s, padding (k − 1)/2 as PyTorch) whose gradient avoids
 * Conv2DBackpropFilter. dx: `dxPath` (null: zeros, for the network input, whose gradient nobody
 * reads). dw[ky, kx, ci, co] = Σ_{n,y,x} xpad[n, s·y + ky, s·x + kx, ci] · dy[n, y, x, co] is a
 * correlation too: a stride-1 forward Conv2D of x transposed to [Cin, H, W, N] (batch ↔ channels)
 * with dy transposed to [OH, OW, N, Cout] as the filter, dilated by s; its first k×k outputs are
 * [Cin, k, k, Cout], transposed back to [k, k, Cin, Cout].
 */
export function forwardOpsConv2d(tf: Tf, k: number, stride: number, dxPath: InputGradPath | null): (x: TF.Tensor4D, w: TF.Tensor4D) => TF.Tensor4D {
  const p = (k - 1) / 2;
  const pad = pads(p, p);
  const f = tf.customGrad(((x: TF.Tensor4D, w: TF.Tensor4D, save: TF.GradSaveFunc) => {
    save([x, w]);
    return {
      value: tf.conv2d(x, w, stride, pad),
      gradFunc: (dy: TF.Tensor4D, saved: TF.Tensor[]) => {
        const [xs, ws] = saved as [TF.Tensor4D, TF.Tensor4D];
        const dx =
          dxPath === 'forward-conv' ? inputGradByForwardConv(tf, dy, ws, xs.shape, stride, p)
          : dxPath === 'transpose' ? tf.conv2dTranspose(dy, ws, xs.shape, stride, pad)
          : tf.zerosLike(xs);
        const xt = tf.transpose(xs, [3, 1, 2, 0]);
        const dyt = tf.transpose(dy, [1, 2, 0, 3]);
        const o = tf.conv2d(xt, dyt, 1, pad, 'NHWC', stride);
        const dw = tf.transpose(tf.slice(o, [0, 0, 0, 0], [-1, k, k, -1]), [1, 2, 0, 3]);
        return [dx, dw];
      },
    };
  }) as unknown as Parameters<Tf['customGrad']>[0]);
  return (x, w) => f(x, w) as TF.Tensor4D;
}

/**
 * dx of a k×k conv with stride s and padding p, as one stride-1 forward conv: dy dilated by s
 * (s − 1 zeros between neighbours), padded by k − 1 − p before and by whatever makes the output
 * H×W after, correlated with w flipped in space and with Cin ↔ Cout swapped. The same function as
 * tfjs's Conv2DBackpropInput.
 */
function inputGradByForwardConv(tf: Tf, dy: TF.Tensor4D, w: TF.Tensor4D, xShape: readonly number[], s: number, p: number): TF.Tensor4D {
  const k = w.shape[0];
  const d = s > 1 ? dilate(tf, dy, s) : dy;
  const wf = tf.transpose(tf.reverse(w, [0, 1]), [0, 1, 3, 2]) as TF.Tensor4D;
  const before = k - 1 - p;
  const after = (size: number, dsize: number) => size + k - 1 - before - dsize;
  const [bottom, right] = [after(xShape[1], d.shape[1]), after(xShape[2], d.shape[2])];
  if (bottom < 0 || right < 0) throw new Error(`inputGradByForwardConv: no padding gives dx ${xShape} from dy ${dy.shape} (k ${k}, stride ${s}, pad ${p})`);
  return tf.conv2d(d, wf, 1, [[0, 0], [before, bottom], [before, right], [0, 0]]);
}

/** NHWC x with s − 1 zero rows and columns between neighbours: [N, (H − 1)·s + 1, (W − 1)·s + 1, C]. */
function dilate(tf: Tf, x: TF.Tensor4D, s: number): TF.Tensor4D {
  const [n, h, w, c] = x.shape;
  // along W: [N·H, W, 1, C] padded to [N·H, W, s, C] is [N, H, W·s, C] in memory
  const xw = tf.reshape(tf.pad(tf.reshape(x, [n * h, w, 1, c]), [[0, 0], [0, 0], [0, s - 1], [0, 0]]), [n, h, w * s, c]);
  // along H: [N, H, 1, W·s·C] padded to [N, H, s, W·s·C] is [N, H·s, W·s, C]
  const xh = tf.reshape(tf.pad(tf.reshape(xw, [n, h, 1, w * s * c]), [[0, 0], [0, 0], [0, s - 1], [0, 0]]), [n, h * s, w * s, c]);
  return tf.slice(xh, [0, 0, 0, 0], [n, (h - 1) * s + 1, (w - 1) * s + 1, c]) as TF.Tensor4D;
}
