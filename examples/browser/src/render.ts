/** Painting the page's pictures: gray images, class masks in the dataset palette, activation heat maps, the loss curve. */

type Rgb = readonly number[];

/** A canvas showing `w × h` pixels at `scale` (nearest-neighbour upscaling by CSS). */
export function pixelCanvas(w: number, h: number, scale = 2, title = ''): HTMLCanvasElement {
  const c = document.createElement('canvas');
  c.width = w;
  c.height = h;
  c.style.width = `${w * scale}px`;
  c.style.height = `${h * scale}px`;
  c.className = 'pixels';
  if (title) c.title = title;
  return c;
}

function put(c: HTMLCanvasElement, w: number, h: number, fill: (i: number, px: Uint8ClampedArray, at: number) => void): HTMLCanvasElement {
  if (c.width !== w || c.height !== h) {
    c.width = w;
    c.height = h;
  }
  const ctx = c.getContext('2d')!;
  const img = ctx.createImageData(w, h);
  for (let i = 0; i < w * h; i++) {
    fill(i, img.data, i * 4);
    img.data[i * 4 + 3] = 255;
  }
  ctx.putImageData(img, 0, 0);
  return c;
}

export function paintGray(c: HTMLCanvasElement, gray: ArrayLike<number>, w: number, h: number): HTMLCanvasElement {
  return put(c, w, h, (i, px, at) => {
    px[at] = px[at + 1] = px[at + 2] = gray[i];
  });
}

/** Class ids in the palette; ids without a colour (the ignore index) are dark gray. */
export function paintLabels(c: HTMLCanvasElement, labels: ArrayLike<number>, w: number, h: number, palette: readonly Rgb[]): HTMLCanvasElement {
  return put(c, w, h, (i, px, at) => {
    const col = palette[labels[i]] ?? [40, 40, 40];
    px[at] = col[0];
    px[at + 1] = col[1];
    px[at + 2] = col[2];
  });
}

/** Blue (−1) → white (0) → red (+1), as `ssa-seg predict --explain` draws cosine activations. */
export function heat(v: number): [number, number, number] {
  const t = Math.max(-1, Math.min(1, v));
  if (t < 0) return [Math.round(255 * (1 + t)), Math.round(255 * (1 + t)), 255];
  return [255, Math.round(255 * (1 - t)), Math.round(255 * (1 - t))];
}

/** Class `k`'s plane of a [K, h, w] map. */
export function paintHeat(c: HTMLCanvasElement, maps: Float32Array, k: number, w: number, h: number): HTMLCanvasElement {
  const off = k * w * h;
  return put(c, w, h, (i, px, at) => {
    const [r, g, b] = heat(maps[off + i]);
    px[at] = r;
    px[at + 1] = g;
    px[at + 2] = b;
  });
}

/** The loss curve, y from 0 to the largest loss seen, with the first and last values written. */
export function drawCurve(c: HTMLCanvasElement, values: readonly number[], total: number): void {
  const ctx = c.getContext('2d')!;
  const W = c.width;
  const H = c.height;
  const pad = { l: 44, r: 10, t: 10, b: 22 };
  ctx.clearRect(0, 0, W, H);
  ctx.fillStyle = '#fff';
  ctx.fillRect(0, 0, W, H);
  ctx.strokeStyle = '#999';
  ctx.lineWidth = 1;
  ctx.beginPath();
  ctx.moveTo(pad.l, pad.t);
  ctx.lineTo(pad.l, H - pad.b);
  ctx.lineTo(W - pad.r, H - pad.b);
  ctx.stroke();
  const yMax = Math.max(1e-9, ...values) * 1.05;
  ctx.fillStyle = '#333';
  ctx.font = '11px sans-serif';
  ctx.fillText(yMax.toFixed(2), 2, pad.t + 8);
  ctx.fillText('0', 2, H - pad.b);
  ctx.fillText(`iteration (of ${total})`, W / 2 - 40, H - 5);
  if (values.length === 0) return;
  const x = (i: number) => pad.l + ((W - pad.l - pad.r) * (i + 1)) / Math.max(total, 1);
  const y = (v: number) => H - pad.b - ((H - pad.t - pad.b) * v) / yMax;
  ctx.strokeStyle = '#c0392b';
  ctx.lineWidth = 2;
  ctx.beginPath();
  values.forEach((v, i) => (i === 0 ? ctx.moveTo(x(i), y(v)) : ctx.lineTo(x(i), y(v))));
  ctx.stroke();
  ctx.fillStyle = '#c0392b';
  for (let i = 0; i < values.length; i++) ctx.fillRect(x(i) - 1.5, y(values[i]) - 1.5, 3, 3);
}
