import type { Conv2dSpec } from '../../src/tensor/backend.js';

/** A Conv2dSpec from the input, kernel and options, with OH/OW computed as PyTorch does. */
export function convSpec(
  N: number, Cin: number, H: number, W: number, Cout: number, k: [number, number],
  o: { stride?: [number, number]; pad?: [number, number]; dil?: [number, number]; groups?: number } = {},
): Conv2dSpec {
  const [sH, sW] = o.stride ?? [1, 1];
  const [pH, pW] = o.pad ?? [0, 0];
  const [dH, dW] = o.dil ?? [1, 1];
  const OH = Math.floor((H + 2 * pH - dH * (k[0] - 1) - 1) / sH) + 1;
  const OW = Math.floor((W + 2 * pW - dW * (k[1] - 1) - 1) / sW) + 1;
  return { N, Cin, H, W, Cout, kh: k[0], kw: k[1], OH, OW, strideH: sH, strideW: sW, padH: pH, padW: pW, dilationH: dH, dilationW: dW, groups: o.groups ?? 1 };
}
