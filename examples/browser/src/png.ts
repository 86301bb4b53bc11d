/**
 * A small PNG decoder for the page: chunk walk, zlib inflate through the browser's
 * `DecompressionStream('deflate')`, and the five row filters. It returns the raw samples, so a
 * palette PNG (M2NIST's label maps) gives its palette INDICES, which are the labels — a canvas would
 * only give the colours. Non-interlaced images of every colour type; 16-bit samples keep their high
 * byte. (The Node side decodes with pngjs in src/data/image.ts.)
 */

export interface PngPixels {
  width: number;
  height: number;
  /** 0 gray, 2 RGB, 3 palette, 4 gray+alpha, 6 RGBA. */
  colorType: number;
  /** Samples per pixel in `data`: 1 (gray, palette index), 2, 3 or 4. */
  channels: number;
  /** Interleaved 8-bit samples, `data[(y * width + x) * channels + c]`. */
  data: Uint8Array;
  /** RGB triples of a palette image. */
  palette: Uint8Array | null;
}

const SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
const CHANNELS: Record<number, number> = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 };

async function inflate(bytes: Uint8Array): Promise<Uint8Array> {
  const stream = new Blob([bytes as BlobPart]).stream().pipeThrough(new DecompressionStream('deflate'));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

/** Paeth predictor (PNG spec 9.4). */
function paeth(a: number, b: number, c: number): number {
  const p = a + b - c;
  const pa = Math.abs(p - a);
  const pb = Math.abs(p - b);
  const pc = Math.abs(p - c);
  return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
}

/** Decodes PNG bytes; `name` labels errors. */
export async function decodePng(bytes: Uint8Array, name: string): Promise<PngPixels> {
  const fail = (why: string): never => {
    throw new Error(`${name}: not a PNG this page can decode: ${why}`);
  };
  if (bytes.length < 8 || SIGNATURE.some((b, i) => bytes[i] !== b)) fail('missing PNG signature');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let width = 0;
  let height = 0;
  let depth = 0;
  let colorType = -1;
  let palette: Uint8Array | null = null;
  const idat: Uint8Array[] = [];
  for (let at = 8; at + 8 <= bytes.length; ) {
    const len = view.getUint32(at);
    const type = String.fromCharCode(...bytes.subarray(at + 4, at + 8));
    const data = bytes.subarray(at + 8, at + 8 + len);
    if (data.length !== len) fail(`chunk ${type} is truncated`);
    if (type === 'IHDR') {
      width = view.getUint32(at + 8);
      height = view.getUint32(at + 12);
      depth = data[8];
      colorType = data[9];
      if (data[12] !== 0) fail('interlaced images are not supported');
    } else if (type === 'PLTE') palette = data.slice();
    else if (type === 'IDAT') idat.push(data);
    else if (type === 'IEND') break;
    at += 12 + len;
  }
  const channels = CHANNELS[colorType];
  if (!channels || width === 0 || height === 0) fail('missing or unsupported IHDR');
  if (idat.length === 0) fail('no image data');
  const compressed = new Uint8Array(idat.reduce((n, c) => n + c.length, 0));
  idat.reduce((o, c) => (compressed.set(c, o), o + c.length), 0);
  const raw = await inflate(compressed);

  const bitsPerPixel = channels * depth;
  const bpp = Math.max(1, bitsPerPixel >> 3);
  const stride = Math.ceil((width * bitsPerPixel) / 8);
  if (raw.length < height * (stride + 1)) fail('image data is shorter than the header says');
  const rows = new Uint8Array(height * stride);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)];
    const src = raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1));
    const out = rows.subarray(y * stride, (y + 1) * stride);
    const up = y > 0 ? rows.subarray((y - 1) * stride, y * stride) : null;
    for (let i = 0; i < stride; i++) {
      const a = i >= bpp ? out[i - bpp] : 0;
      const b = up ? up[i] : 0;
      const c = up && i >= bpp ? up[i - bpp] : 0;
      let v = src[i];
      if (filter === 1) v += a;
      else if (filter === 2) v += b;
      else if (filter === 3) v += (a + b) >> 1;
      else if (filter === 4) v += paeth(a, b, c);
      else if (filter !== 0) fail(`unknown row filter ${filter}`);
      out[i] = v & 0xff;
    }
  }
  const data = new Uint8Array(width * height * channels);
  const samplesPerRow = width * channels;
  for (let y = 0; y < height; y++) {
    const row = rows.subarray(y * stride, (y + 1) * stride);
    for (let s = 0; s < samplesPerRow; s++) {
      let v: number;
      if (depth === 8) v = row[s];
      else if (depth === 16) v = row[2 * s];
      else {
        const bit = s * depth;
        v = (row[bit >> 3] >> (8 - depth - (bit & 7))) & ((1 << depth) - 1);
        // Gray samples below 8 bits scale to 0..255 (as decoders do for images); palette indices stay.
        if (colorType === 0) v = Math.round((v * 255) / ((1 << depth) - 1));
      }
      data[y * samplesPerRow + s] = v;
    }
  }
  return { width, height, colorType, channels, data, palette };
}

/** Fetches and decodes a PNG. */
export async function fetchPng(url: string): Promise<PngPixels> {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`${url}: HTTP ${res.status}`);
  return decodePng(new Uint8Array(await res.arrayBuffer()), url);
}

/** Gray 0..255 per pixel of any decoded image (the first sample, as M2NIST's canvases are gray). */
export function grayOf(p: PngPixels): Uint8Array {
  if (p.colorType === 3) {
    const out = new Uint8Array(p.width * p.height);
    for (let i = 0; i < out.length; i++) out[i] = p.palette ? p.palette[3 * p.data[i]] : p.data[i];
    return out;
  }
  if (p.channels === 1) return p.data;
  const out = new Uint8Array(p.width * p.height);
  for (let i = 0; i < out.length; i++) out[i] = p.data[i * p.channels];
  return out;
}

/** Labels of a label-map PNG: the palette index (palette PNG) or the gray value. */
export function labelsOf(p: PngPixels, name: string): Int32Array {
  if (p.colorType !== 0 && p.colorType !== 3) throw new Error(`${name}: a label map must be a gray or palette PNG`);
  return Int32Array.from(p.data);
}
