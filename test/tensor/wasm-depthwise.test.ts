// The direct depthwise kernels (kinds 5 and 6: groups = Cin = Cout, stride 1) on the flat frame
// layout of session 12, on the model's thin rows and around them: widths 1–21 (rows shorter than a
// vector, tails of 1–3 floats, the 16-float blocks running over the plane's end), kernels 1×1, 1×k,
// k×1, 3×3, 5×5, dilation 2, padding past the kernel's reach (the input gradient's frame then crops)
// and none, odd channel counts, batch 1 and 8.
// - forward and input gradient bit for bit against the same f32 arithmetic in JavaScript: taps in
//   row-major order added one by one to 0 over a zero-padded frame (the order the loops have kept);
// - weight gradient against a float64 sum within the f32 rounding scale;
// - 1 and 2 threads, synchronous and asynchronous, give identical bits (every plane and every
//   channel's dw is computed by one task whatever the split).
import { afterAll, describe, expect, it } from 'vitest';
import type { Conv2dSpec } from '../../src/tensor/backend.js';
import { WasmKernels, shutdownWasmKernels } from '../../src/tensor/backends/wasm/index.js';
import { seeded as rng, randomArray } from '../helpers/backends.js';

afterAll(() => shutdownWasmKernels());

const f = Math.fround;

/** Depthwise spec: C channels, kernel kh×kw, padding (default "same" for odd kernels), dilation. */
function dw(N: number, C: number, H: number, W: number, kh: number, kw: number, o: { pad?: [number, number]; dil?: [number, number] } = {}): Conv2dSpec {
  const [dH, dW] = o.dil ?? [1, 1];
  const [pH, pW] = o.pad ?? [((kh - 1) * dH) >> 1, ((kw - 1) * dW) >> 1];
  const OH = H + 2 * pH - dH * (kh - 1);
  const OW = W + 2 * pW - dW * (kw - 1);
  return { N, Cin: C, H, W, Cout: C, kh, kw, OH, OW, strideH: 1, strideW: 1, padH: pH, padW: pW, dilationH: dH, dilationW: dW, groups: C };
}

/**
 * y = w ⋆ x per channel, stride 1, in f32 as the kernel adds: per output, taps (ky, kx) in row-major
 * order, acc = f32(acc + f32(w·x)) from acc = 0, x = 0 outside the image.
 */
function emulateForward(x: Float32Array, w: Float32Array, s: Conv2dSpec): Float32Array {
  const y = new Float32Array(s.N * s.Cin * s.OH * s.OW);
  for (let n = 0; n < s.N; n++) {
    for (let c = 0; c < s.Cin; c++) {
      const xo = (n * s.Cin + c) * s.H * s.W;
      const yo = (n * s.Cin + c) * s.OH * s.OW;
      for (let oy = 0; oy < s.OH; oy++) {
        for (let ox = 0; ox < s.OW; ox++) {
          let acc = 0;
          for (let ky = 0; ky < s.kh; ky++) {
            for (let kx = 0; kx < s.kw; kx++) {
              const iy = oy + ky * s.dilationH - s.padH;
              const ix = ox + kx * s.dilationW - s.padW;
              const v = iy >= 0 && iy < s.H && ix >= 0 && ix < s.W ? x[xo + iy * s.W + ix] : 0;
              acc = f(acc + f(w[(c * s.kh + ky) * s.kw + kx] * v));
            }
          }
          y[yo + oy * s.OW + ox] = acc;
        }
      }
    }
  }
  return y;
}

/** The input gradient as the kernel computes it: the forward conv of dy with the flipped kernel and padding (k−1)·d − p. */
function emulateBackwardInput(dy: Float32Array, w: Float32Array, s: Conv2dSpec): Float32Array {
  const k = s.kh * s.kw;
  const flipped = new Float32Array(w.length);
  for (let c = 0; c < s.Cin; c++) for (let t = 0; t < k; t++) flipped[c * k + t] = w[c * k + k - 1 - t];
  const t: Conv2dSpec = {
    ...s, H: s.OH, W: s.OW, OH: s.H, OW: s.W,
    padH: (s.kh - 1) * s.dilationH - s.padH, padW: (s.kw - 1) * s.dilationW - s.padW,
  };
  return emulateForward(dy, flipped, t);
}

/** dw in float64, and the same sum over |terms| (the scale of the f32 rounding error). */
function weightGradient(x: Float32Array, dy: Float32Array, s: Conv2dSpec): { want: Float64Array; scale: Float64Array } {
  const want = new Float64Array(s.Cin * s.kh * s.kw);
  const scale = new Float64Array(want.length);
  for (let c = 0; c < s.Cin; c++) {
    for (let ky = 0; ky < s.kh; ky++) {
      for (let kx = 0; kx < s.kw; kx++) {
        let sum = 0;
        let abs = 0;
        for (let n = 0; n < s.N; n++) {
          const xo = (n * s.Cin + c) * s.H * s.W;
          const yo = (n * s.Cin + c) * s.OH * s.OW;
          for (let oy = 0; oy < s.OH; oy++) {
            const iy = oy + ky * s.dilationH - s.padH;
            if (iy < 0 || iy >= s.H) continue;
            for (let ox = 0; ox < s.OW; ox++) {
              const ix = ox + kx * s.dilationW - s.padW;
              if (ix < 0 || ix >= s.W) continue;
              const p = dy[yo + oy * s.OW + ox] * x[xo + iy * s.W + ix];
              sum += p;
              abs += Math.abs(p);
            }
          }
        }
        want[(c * s.kh + ky) * s.kw + kx] = sum;
        scale[(c * s.kh + ky) * s.kw + kx] = abs;
      }
    }
  }
  return { want, scale };
}

const WIDTHS = [1, 2, 3, 4, 5, 7, 8, 11, 13, 16, 21];

const SHAPES: [string, Conv2dSpec][] = [
  // the model's shapes
  ['48 ch 8×11, 7×1, batch 8', dw(8, 48, 8, 11, 7, 1)],
  ['48 ch 8×11, 1×11, batch 8', dw(8, 48, 8, 11, 1, 11)],
  ['24 ch 16×21, 5×5, batch 8', dw(8, 24, 16, 21, 5, 5)],
  ['48 ch 16×21, 3×3, batch 8', dw(8, 48, 16, 21, 3, 3)],
  ['96 ch 8×11, 3×3, batch 1', dw(1, 96, 8, 11, 3, 3)],
  // every thin width with a 1×k, a k×1, a 3×3 and a 5×5 kernel, odd channel counts
  ...WIDTHS.flatMap((W): [string, Conv2dSpec][] => [
    [`width ${W}: 3 ch 5×${W}, 1×7, batch 2`, dw(2, 3, 5, W, 1, 7)],
    [`width ${W}: 5 ch 6×${W}, 7×1, batch 1`, dw(1, 5, 6, W, 7, 1)],
    [`width ${W}: 7 ch 4×${W}, 3×3, batch 3`, dw(3, 7, 4, W, 3, 3)],
    [`width ${W}: 3 ch 9×${W}, 5×5, batch 2`, dw(2, 3, 9, W, 5, 5)],
  ]),
  ['1×1, 5 ch 3×7', dw(2, 5, 3, 7, 1, 1)],
  ['11×1 on 1 row (the frame is all padding but one row)', dw(2, 3, 1, 9, 11, 1)],
  ['1×11 on 1 column', dw(2, 3, 9, 1, 1, 11)],
  ['one channel, 64×57, 5×5', dw(2, 1, 64, 57, 5, 5)],
  ['3×3 dilation 2, 5 ch 11×13', dw(2, 5, 11, 13, 3, 3, { dil: [2, 2] })],
  ['1×5 dilation (1, 3), 3 ch 6×17', dw(2, 3, 6, 17, 1, 5, { dil: [1, 3] })],
  ['3×3 no padding (valid; the input gradient pads 2)', dw(2, 3, 7, 10, 3, 3, { pad: [0, 0] })],
  ['3×3 padding 3 (past the reach; the input gradient crops)', dw(2, 3, 5, 6, 3, 3, { pad: [3, 3] })],
  ['5×3 padding (0, 2) (asymmetric)', dw(1, 3, 9, 8, 5, 3, { pad: [0, 2] })],
  // the row-block loops (session 14): 8-row groups on 32-float frame rows (the last group and the
  // last column vector overlapping the ones before), 4-row groups on other strides, kw = 1 straight
  // into the output with a last partial 16-float block
  ['1×11 with frame rows of exactly 32 floats, 2 ch 12×22', dw(2, 2, 12, 22, 1, 11)],
  ['1×11 with frame rows of 33 floats (4-row groups), 2 ch 12×23', dw(2, 2, 12, 23, 1, 11)],
  ['5×5 on 8 rows exactly, 3 ch 8×6', dw(3, 3, 8, 6, 5, 5)],
  ['3×5 on 13 rows (groups overlap by 3), 2 ch 13×9', dw(2, 2, 13, 9, 3, 5)],
  ['3×3 padding 3 on 9×10 (input gradient crops, 8-row groups)', dw(2, 3, 9, 10, 3, 3, { pad: [3, 3] })],
  ['7×1 on 7×5 (35 outputs: a last partial block)', dw(2, 3, 7, 5, 7, 1)],
  ['1×3 dilation (1, 2) on 10×19', dw(2, 2, 10, 19, 1, 3, { dil: [1, 2] })],
];

describe('depthwise kernels (kinds 5 and 6), one thread', () => {
  const k = new WasmKernels({ threads: 1 });

  it.each(SHAPES)('%s: forward and input gradient bit for bit, weight gradient within f32 rounding', async (_label, s) => {
    const r = rng(s.Cin * 131 + s.H * 17 + s.W * 7 + s.kh * 3 + s.kw);
    const x = randomArray(r, s.N * s.Cin * s.H * s.W);
    const w = randomArray(r, s.Cin * s.kh * s.kw);
    const dy = randomArray(r, s.N * s.Cin * s.OH * s.OW);
    expect(Array.from(await k.conv2d(x, w, s)), 'forward').toEqual(Array.from(emulateForward(x, w, s)));
    expect(Array.from(await k.conv2dBackwardInput(dy, w, s)), 'input gradient').toEqual(Array.from(emulateBackwardInput(dy, w, s)));
    const got = await k.conv2dBackwardWeight(x, dy, s);
    const { want, scale } = weightGradient(x, dy, s);
    expect(got.length).toBe(want.length);
    for (let i = 0; i < want.length; i++) {
      // f32 error ≤ ~(pixels)·2⁻²⁴ of Σ|terms|; 1e-5 covers the planes here with a wide margin
      if (!(Math.abs(got[i] - want[i]) <= 1e-5 * scale[i] + 1e-30)) expect.fail(`dw[${i}] is ${got[i]}, the float64 sum ${want[i]} (|terms| ${scale[i]})`);
    }
  });
});

describe('depthwise kernels: 1 and 2 threads, synchronous and asynchronous', () => {
  const one = new WasmKernels({ threads: 1 });
  const two = new WasmKernels({ threads: 2, parallelMinFlop: 0 });
  const twoAsync = new WasmKernels({ threads: 2, parallelMinFlop: 0, async: true });
  const cases: [string, Conv2dSpec][] = [
    ['1 channel, batch 8 (images split)', dw(8, 1, 16, 21, 5, 5)],
    ['3 channels, batch 5 (images split)', dw(5, 3, 8, 11, 1, 7)],
    ['24 channels, batch 8', dw(8, 24, 16, 21, 7, 1)],
    ['48 channels, batch 1', dw(1, 48, 8, 11, 3, 3)],
  ];

  it.each(cases)('%s: identical bits', async (_label, s) => {
    const r = rng(s.Cin * 7 + s.N);
    const x = randomArray(r, s.N * s.Cin * s.H * s.W);
    const w = randomArray(r, s.Cin * s.kh * s.kw);
    const dy = randomArray(r, s.N * s.Cin * s.OH * s.OW);
    const runs: [string, (k: WasmKernels) => Float32Array | Promise<Float32Array>][] = [
      ['forward', (k) => k.conv2d(x, w, s)],
      ['input gradient', (k) => k.conv2dBackwardInput(dy, w, s)],
      ['weight gradient', (k) => k.conv2dBackwardWeight(x, dy, s)],
    ];
    for (const [op, run] of runs) {
      const want = Array.from(await run(one));
      expect(Array.from(await run(two)), `${op}, 2 threads`).toEqual(want);
      expect(Array.from(await run(twoAsync)), `${op}, 2 threads async`).toEqual(want);
    }
  });
});
