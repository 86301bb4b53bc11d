/**
 * Convolution and pooling kernel sources, NCHW. Each backward kernel is written gather-style (one
 * thread per gradient cell, looping over the forward cells that read it), so no atomics are needed.
 * meta (conv) = [N, Cin, H, W, Cout, kh, kw, OH, OW, strideH, strideW, padH, padW, dilH, dilW, groups].
 * meta (pool) = [N, C, H, W, OH, OW, kh, kw, strideH, strideW, padH, padW].
 * Kernel sources only; every function must be transpilable by gpu.js (see types.ts).
 */
import type { Buf, KernelThis } from './types.js';

// ---- conv2d ----

/** y[n, co, oy, ox] = Σ_{ci, ky, kx} x[n, g·Cin/G + ci, oy·s − p + ky·d, ...] · w[co, ci, ky, kx]. */
export function conv2dKernel(this: KernelThis, x: Buf, w: Buf, meta: Buf) {
  const i = this.thread.x;
  const OW = meta[8];
  const OH = meta[7];
  const Cout = meta[4];
  const q1 = Math.floor((i + 0.5) / OW);
  const ox = i - q1 * OW;
  const q2 = Math.floor((q1 + 0.5) / OH);
  const oy = q1 - q2 * OH;
  const n = Math.floor((q2 + 0.5) / Cout);
  const co = q2 - n * Cout;
  const Cin = meta[1];
  const H = meta[2];
  const W = meta[3];
  const kh = meta[5];
  const kw = meta[6];
  const cinG = Cin / meta[15];
  const coutG = Cout / meta[15];
  const g = Math.floor((co + 0.5) / coutG);
  const y0 = oy * meta[9] - meta[11];
  const x0 = ox * meta[10] - meta[12];
  let s = 0;
  for (let ci = 0; ci < cinG; ci++) {
    const xBase = (n * Cin + g * cinG + ci) * H;
    const wBase = (co * cinG + ci) * kh;
    for (let ky = 0; ky < kh; ky++) {
      const iy = y0 + ky * meta[13];
      if (iy >= 0 && iy < H) {
        for (let kx = 0; kx < kw; kx++) {
          const ix = x0 + kx * meta[14];
          if (ix >= 0 && ix < W) {
            s += x[(xBase + iy) * W + ix] * w[(wBase + ky) * kw + kx];
          }
        }
      }
    }
  }
  return s;
}

/** dx[n, c, y, x] = Σ over (co in c's group, ky, kx) with y = oy·s − p + ky·d of dy[n, co, oy, ox] · w[co, ci, ky, kx]. */
export function conv2dBackwardInputKernel(this: KernelThis, dy: Buf, w: Buf, meta: Buf) {
  const i = this.thread.x;
  const W = meta[3];
  const H = meta[2];
  const Cin = meta[1];
  const q1 = Math.floor((i + 0.5) / W);
  const xx = i - q1 * W;
  const q2 = Math.floor((q1 + 0.5) / H);
  const yy = q1 - q2 * H;
  const n = Math.floor((q2 + 0.5) / Cin);
  const c = q2 - n * Cin;
  const Cout = meta[4];
  const kh = meta[5];
  const kw = meta[6];
  const OH = meta[7];
  const OW = meta[8];
  const sH = meta[9];
  const sW = meta[10];
  const cinG = Cin / meta[15];
  const coutG = Cout / meta[15];
  const g = Math.floor((c + 0.5) / cinG);
  const ci = c - g * cinG;
  let s = 0;
  for (let col = 0; col < coutG; col++) {
    const co = g * coutG + col;
    const dyBase = (n * Cout + co) * OH;
    const wBase = (co * cinG + ci) * kh;
    for (let ky = 0; ky < kh; ky++) {
      const ty = yy + meta[11] - ky * meta[13];
      const oy = Math.floor((ty + 0.5) / sH);
      if (ty >= 0 && oy * sH === ty && oy < OH) {
        for (let kx = 0; kx < kw; kx++) {
          const tx = xx + meta[12] - kx * meta[14];
          const ox = Math.floor((tx + 0.5) / sW);
          if (tx >= 0 && ox * sW === tx && ox < OW) {
            s += dy[(dyBase + oy) * OW + ox] * w[(wBase + ky) * kw + kx];
          }
        }
      }
    }
  }
  return s;
}

/** dw[co, ci, ky, kx] = Σ_{n, oy, ox} dy[n, co, oy, ox] · x[n, g·Cin/G + ci, oy·s − p + ky·d, ox·s − p + kx·d]. */
export function conv2dBackwardWeightKernel(this: KernelThis, x: Buf, dy: Buf, meta: Buf) {
  const i = this.thread.x;
  const kw = meta[6];
  const kh = meta[5];
  const Cin = meta[1];
  const cinG = Cin / meta[15];
  const q1 = Math.floor((i + 0.5) / kw);
  const kx = i - q1 * kw;
  const q2 = Math.floor((q1 + 0.5) / kh);
  const ky = q1 - q2 * kh;
  const co = Math.floor((q2 + 0.5) / cinG);
  const ci = q2 - co * cinG;
  const N = meta[0];
  const H = meta[2];
  const W = meta[3];
  const Cout = meta[4];
  const OH = meta[7];
  const OW = meta[8];
  const coutG = Cout / meta[15];
  const g = Math.floor((co + 0.5) / coutG);
  const dyY = ky * meta[13] - meta[11];
  const dxX = kx * meta[14] - meta[12];
  let s = 0;
  for (let n = 0; n < N; n++) {
    const xBase = (n * Cin + g * cinG + ci) * H;
    const dyBase = (n * Cout + co) * OH;
    for (let oy = 0; oy < OH; oy++) {
      const iy = oy * meta[9] + dyY;
      if (iy >= 0 && iy < H) {
        for (let ox = 0; ox < OW; ox++) {
          const ix = ox * meta[10] + dxX;
          if (ix >= 0 && ix < W) {
            s += dy[(dyBase + oy) * OW + ox] * x[(xBase + iy) * W + ix];
          }
        }
      }
    }
  }
  return s;
}

// ---- pooling ----

/** Average pooling; the divisor is always kh·kw (padded cells count as 0). */
export function avgPool2dKernel(this: KernelThis, x: Buf, meta: Buf) {
  const i = this.thread.x;
  const OW = meta[5];
  const OH = meta[4];
  const q1 = Math.floor((i + 0.5) / OW);
  const ox = i - q1 * OW;
  const nc = Math.floor((q1 + 0.5) / OH);
  const oy = q1 - nc * OH;
  const H = meta[2];
  const W = meta[3];
  const kh = meta[6];
  const kw = meta[7];
  const y0 = oy * meta[8] - meta[10];
  const x0 = ox * meta[9] - meta[11];
  let s = 0;
  for (let ky = 0; ky < kh; ky++) {
    const iy = y0 + ky;
    if (iy >= 0 && iy < H) {
      for (let kx = 0; kx < kw; kx++) {
        const ix = x0 + kx;
        if (ix >= 0 && ix < W) s += x[(nc * H + iy) * W + ix];
      }
    }
  }
  return s / (kh * kw);
}

/** Max pooling over in-bounds cells. */
export function maxPool2dKernel(this: KernelThis, x: Buf, meta: Buf) {
  const i = this.thread.x;
  const OW = meta[5];
  const OH = meta[4];
  const q1 = Math.floor((i + 0.5) / OW);
  const ox = i - q1 * OW;
  const nc = Math.floor((q1 + 0.5) / OH);
  const oy = q1 - nc * OH;
  const H = meta[2];
  const W = meta[3];
  const kh = meta[6];
  const kw = meta[7];
  const y0 = oy * meta[8] - meta[10];
  const x0 = ox * meta[9] - meta[11];
  let best = -3.0e38;
  for (let ky = 0; ky < kh; ky++) {
    const iy = y0 + ky;
    if (iy >= 0 && iy < H) {
      for (let kx = 0; kx < kw; kx++) {
        const ix = x0 + kx;
        if (ix >= 0 && ix < W) best = Math.max(best, x[(nc * H + iy) * W + ix]);
      }
    }
  }
  return best;
}

/** dx of average pooling: every window covering (y, x) contributes dy / (kh·kw). */
export function avgPool2dBackwardKernel(this: KernelThis, dy: Buf, meta: Buf) {
  const i = this.thread.x;
  const W = meta[3];
  const H = meta[2];
  const q1 = Math.floor((i + 0.5) / W);
  const xx = i - q1 * W;
  const nc = Math.floor((q1 + 0.5) / H);
  const yy = q1 - nc * H;
  const OH = meta[4];
  const OW = meta[5];
  const kh = meta[6];
  const kw = meta[7];
  const sH = meta[8];
  const sW = meta[9];
  let s = 0;
  for (let ky = 0; ky < kh; ky++) {
    const ty = yy + meta[10] - ky;
    const oy = Math.floor((ty + 0.5) / sH);
    if (ty >= 0 && oy * sH === ty && oy < OH) {
      for (let kx = 0; kx < kw; kx++) {
        const tx = xx + meta[11] - kx;
        const ox = Math.floor((tx + 0.5) / sW);
        if (tx >= 0 && ox * sW === tx && ox < OW) s += dy[(nc * OH + oy) * OW + ox];
      }
    }
  }
  return s / (kh * kw);
}

/**
 * dx of max pooling: each window covering (y, x) whose first maximal in-bounds cell is (y, x)
 * contributes its dy. The window's argmax is recomputed here (no saved indices).
 */
export function maxPool2dBackwardKernel(this: KernelThis, x: Buf, dy: Buf, meta: Buf) {
  const i = this.thread.x;
  const W = meta[3];
  const H = meta[2];
  const q1 = Math.floor((i + 0.5) / W);
  const xx = i - q1 * W;
  const nc = Math.floor((q1 + 0.5) / H);
  const yy = q1 - nc * H;
  const OH = meta[4];
  const OW = meta[5];
  const kh = meta[6];
  const kw = meta[7];
  const sH = meta[8];
  const sW = meta[9];
  const pH = meta[10];
  const pW = meta[11];
  let s = 0;
  for (let ky = 0; ky < kh; ky++) {
    const ty = yy + pH - ky;
    const oy = Math.floor((ty + 0.5) / sH);
    if (ty >= 0 && oy * sH === ty && oy < OH) {
      for (let kx = 0; kx < kw; kx++) {
        const tx = xx + pW - kx;
        const ox = Math.floor((tx + 0.5) / sW);
        if (tx >= 0 && ox * sW === tx && ox < OW) {
          // find the first maximal in-bounds cell of window (oy, ox)
          let best = -3.0e38;
          let bestY = -1;
          let bestX = -1;
          for (let wy = 0; wy < kh; wy++) {
            const iy = oy * sH - pH + wy;
            if (iy >= 0 && iy < H) {
              for (let wx = 0; wx < kw; wx++) {
                const ix = ox * sW - pW + wx;
                if (ix >= 0 && ix < W) {
                  const v = x[(nc * H + iy) * W + ix];
                  if (v > best) {
                    best = v;
                    bestY = iy;
                    bestX = ix;
                  }
                }
              }
            }
          }
          if (bestY === yy && bestX === xx) s += dy[(nc * OH + oy) * OW + ox];
        }
      }
    }
  }
  return s;
}
