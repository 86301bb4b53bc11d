/**
 * Image files on the host: PNG (via pngjs) and JPEG (via jpeg-js) decoding to interleaved 8-bit pixels, label
 * maps (single-channel or palette PNGs) to Int32 labels, and PNG encoding for masks and overlays. Every error
 * names the file. A PNG's chunk structure and CRCs are checked here first, so a truncated or damaged file gets a
 * precise reason rather than a decoder's internal message.
 */

import * as fs from 'node:fs';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import pngjs from 'pngjs';
import jpeg from 'jpeg-js';
import { writeFileAtomic, writeFileAtomicSync } from '../io/atomic.js';

/** Decoded pixels, interleaved row-major: `data[(y * width + x) * channels + c]`, 8 bits per sample. */
export interface DecodedImage {
  width: number;
  height: number;
  /** 1 gray, 2 gray+alpha, 3 RGB, 4 RGBA. Palette PNGs decode to 3 (or 4 with transparency). */
  channels: 1 | 2 | 3 | 4;
  data: Uint8Array;
}

/** A decoded label map: `labels[y * width + x]`. */
export interface LabelMap {
  width: number;
  height: number;
  labels: Int32Array;
}

/** An RGB colour, each component an integer in 0..255. */
export type Rgb = readonly [number, number, number];

/** The largest image accepted, in pixels (guards against a corrupt header asking for gigabytes). */
export const MAX_PIXELS = 1 << 26;

// ---- PNG structure ----

const PNG_SIGNATURE = Uint8Array.of(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a);

const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

/** CRC-32 (ISO 3309, as PNG uses) of `bytes`. */
function crc32(bytes: Uint8Array, start = 0, end = bytes.length): number {
  let c = 0xffffffff;
  for (let i = start; i < end; i++) c = CRC_TABLE[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

interface PngChunk {
  type: string;
  /** Offset of the chunk's length field. */
  offset: number;
  /** Length of the chunk's data. */
  length: number;
}

interface PngHeader {
  width: number;
  height: number;
  bitDepth: number;
  colorType: number;
  interlace: number;
}

interface PngStructure {
  header: PngHeader;
  chunks: PngChunk[];
  /** Offset just past IEND; bytes after it are ignored. */
  end: number;
}

const VALID_DEPTHS: Record<number, number[]> = {
  0: [1, 2, 4, 8, 16],
  2: [8, 16],
  3: [1, 2, 4, 8],
  4: [8, 16],
  6: [8, 16],
};

const COLOR_TYPE_NAMES: Record<number, string> = {
  0: 'gray',
  2: 'RGB',
  3: 'palette',
  4: 'gray+alpha',
  6: 'RGBA',
};

function hasPngSignature(bytes: Uint8Array): boolean {
  if (bytes.length < PNG_SIGNATURE.length) return false;
  return PNG_SIGNATURE.every((b, i) => bytes[i] === b);
}

const EOI = Buffer.from([0xff, 0xd9]);

function hasJpegSignature(bytes: Uint8Array): boolean {
  return bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff;
}

/** Walks the chunk list and checks lengths, CRCs, IHDR, IDAT and IEND; throws "<file>: not a valid PNG: ...". */
function inspectPng(bytes: Uint8Array, file: string): PngStructure {
  const fail = (reason: string): never => {
    throw new Error(`${file}: not a valid PNG: ${reason}.`);
  };
  if (bytes.length === 0) fail('the file is empty');
  if (!hasPngSignature(bytes)) {
    if (bytes.length < PNG_SIGNATURE.length && PNG_SIGNATURE.subarray(0, bytes.length).every((b, i) => bytes[i] === b))
      fail(`truncated: the file ends after ${bytes.length} bytes, inside the 8-byte signature`);
    fail('it does not start with the PNG signature (89 50 4E 47 0D 0A 1A 0A)');
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const chunks: PngChunk[] = [];
  let header: PngHeader | undefined;
  let pos = PNG_SIGNATURE.length;
  let sawIdat = false;
  for (;;) {
    if (pos + 8 > bytes.length) {
      fail(`truncated: the file ends at byte ${bytes.length} before the IEND chunk`);
    }
    const length = view.getUint32(pos);
    const typeBytes = bytes.subarray(pos + 4, pos + 8);
    const type = String.fromCharCode(...typeBytes);
    if (!/^[A-Za-z]{4}$/.test(type)) fail(`byte ${pos + 4} should start a chunk type, found garbage instead`);
    if (length > 0x7fffffff) fail(`chunk ${type} at byte ${pos} declares an impossible length ${length}`);
    const end = pos + 12 + length;
    if (end > bytes.length) {
      fail(
        `truncated: chunk ${type} at byte ${pos} needs ${length + 12} bytes but the file ends after ` +
          `${bytes.length - pos} of them`,
      );
    }
    const stored = view.getUint32(pos + 8 + length);
    if (crc32(bytes, pos + 4, pos + 8 + length) !== stored) fail(`chunk ${type} at byte ${pos} is corrupt (CRC mismatch)`);
    if (chunks.length === 0) {
      if (type !== 'IHDR') fail(`the first chunk must be IHDR, found ${type}`);
      if (length !== 13) fail(`the IHDR chunk must hold 13 bytes, it holds ${length}`);
      const d = pos + 8;
      header = {
        width: view.getUint32(d),
        height: view.getUint32(d + 4),
        bitDepth: bytes[d + 8],
        colorType: bytes[d + 9],
        interlace: bytes[d + 12],
      };
      if (bytes[d + 10] !== 0 || bytes[d + 11] !== 0) {
        fail(`unknown compression or filter method (${bytes[d + 10]}, ${bytes[d + 11]}) in IHDR`);
      }
      if (header.interlace > 1) fail(`unknown interlace method ${header.interlace}`);
      if (header.width === 0 || header.height === 0) fail(`the image is ${header.width}×${header.height}`);
      if (header.width * header.height > MAX_PIXELS) {
        fail(`the image is ${header.width}×${header.height}, larger than the ${MAX_PIXELS}-pixel limit`);
      }
      const depths = VALID_DEPTHS[header.colorType];
      if (!depths) fail(`unknown colour type ${header.colorType}`);
      if (!depths.includes(header.bitDepth)) {
        fail(`bit depth ${header.bitDepth} is not allowed for ${COLOR_TYPE_NAMES[header.colorType]} images`);
      }
    } else if (type === 'IHDR') fail(`a second IHDR chunk at byte ${pos}`);
    if (type === 'IDAT') sawIdat = true;
    chunks.push({ type, offset: pos, length });
    pos = end;
    if (type === 'IEND') break;
  }
  if (!sawIdat) fail('it has no IDAT (image data) chunk');
  if (header!.colorType === 3 && !chunks.some((c) => c.type === 'PLTE')) fail('a palette image without a PLTE chunk');
  const structure = { header: header!, chunks, end: pos };
  checkImageData(bytes, structure, fail);
  return structure;
}

const SAMPLES_PER_PIXEL: Record<number, number> = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 };

/** Adam7 passes: x start, y start, x step, y step. */
export const ADAM7 = [
  [0, 0, 8, 8],
  [4, 0, 8, 8],
  [0, 4, 4, 8],
  [2, 0, 4, 4],
  [0, 2, 2, 4],
  [1, 0, 2, 2],
  [0, 1, 1, 2],
] as const;

/** The sub-images whose scanlines make up the image data: one for plain images, up to seven for Adam7. */
function scanlineBlocks(h: PngHeader): { width: number; height: number }[] {
  if (h.interlace === 0) return [{ width: h.width, height: h.height }];
  return ADAM7.map(([xs, ys, dx, dy]) => ({
    width: h.width > xs ? Math.ceil((h.width - xs) / dx) : 0,
    height: h.height > ys ? Math.ceil((h.height - ys) / dy) : 0,
  })).filter((b) => b.width > 0 && b.height > 0);
}

/**
 * Inflates the IDAT stream and checks that it holds every scanline with a valid filter byte. NOTE: pngjs does
 * not always notice short or damaged image data and may return zeros or stale memory instead, so this is
 * checked here before decoding.
 */
function checkImageData(bytes: Uint8Array, structure: PngStructure, fail: (reason: string) => never): void {
  const h = structure.header;
  const bitsPerPixel = SAMPLES_PER_PIXEL[h.colorType] * h.bitDepth;
  const blocks = scanlineBlocks(h);
  const needed = blocks.reduce((n, b) => n + b.height * (Math.ceil((b.width * bitsPerPixel) / 8) + 1), 0);
  const compressed = Buffer.concat(
    structure.chunks.filter((c) => c.type === 'IDAT').map((c) => bytes.subarray(c.offset + 8, c.offset + 8 + c.length)),
  );
  let raw: Buffer;
  try {
    raw = zlib.inflateSync(compressed, { maxOutputLength: needed + 1 });
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    if (e.code === 'ERR_BUFFER_TOO_LARGE') return; // more data than needed: the extra is ignored, as libpng does
    const partial = ((): number => {
      try {
        return zlib.inflateSync(compressed, { finishFlush: zlib.constants.Z_SYNC_FLUSH, maxOutputLength: needed + 1 }).length;
      } catch {
        return -1;
      }
    })();
    if (e.code === 'Z_BUF_ERROR' || /unexpected end/i.test(e.message)) {
      fail(`truncated: the compressed image data ends early${partial >= 0 ? ` (${partial} of ${needed} bytes)` : ''}`);
    }
    fail(`the compressed image data is damaged (zlib: ${e.message})`);
  }
  const kind = `${h.bitDepth}-bit ${COLOR_TYPE_NAMES[h.colorType]}${h.interlace ? ' interlaced' : ''}`;
  if (raw.length < needed) {
    fail(`truncated: the image data holds ${raw.length} bytes, a ${h.width}×${h.height} ${kind} image needs ${needed}`);
  }
  let at = 0;
  for (const [k, b] of blocks.entries()) {
    const stride = Math.ceil((b.width * bitsPerPixel) / 8) + 1;
    for (let y = 0; y < b.height; y++, at += stride) {
      if (raw[at] > 4) {
        const where = h.interlace ? `pass ${k + 1}, scanline ${y}` : `scanline ${y}`;
        fail(`${where} has the unknown filter type ${raw[at]}`);
      }
    }
  }
}

function makeChunk(type: string, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(12 + data.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, data.length);
  for (let i = 0; i < 4; i++) out[4 + i] = type.charCodeAt(i);
  out.set(data, 8);
  view.setUint32(8 + data.length, crc32(out, 4, 8 + data.length));
  return out;
}

/** Rebuilds a PNG from selected chunks, with replacements for some chunks' data. */
function rebuildPng(
  bytes: Uint8Array,
  structure: PngStructure,
  edit: (chunk: PngChunk, data: Uint8Array) => Uint8Array | null,
): Buffer {
  const parts: Uint8Array[] = [PNG_SIGNATURE];
  for (const chunk of structure.chunks) {
    const data = bytes.subarray(chunk.offset + 8, chunk.offset + 8 + chunk.length);
    const replaced = edit(chunk, data);
    if (replaced === null) continue;
    parts.push(replaced === data ? bytes.subarray(chunk.offset, chunk.offset + 12 + chunk.length) : makeChunk(chunk.type, replaced));
  }
  return Buffer.concat(parts);
}

interface PngjsResult {
  width: number;
  height: number;
  data: Uint8Array | Uint16Array;
}

function runPngjs(bytes: Uint8Array, file: string, skipRescale: boolean): PngjsResult {
  try {
    const buf = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const png = pngjs.PNG.sync.read(buf, { skipRescale }) as unknown as PngjsResult;
    return png;
  } catch (err) {
    const reason = (err as Error).message.replace(/\.$/, '');
    throw new Error(`${file}: not a valid PNG: the image data cannot be decoded (${reason}).`);
  }
}

// ---- decoding ----

/**
 * Decodes a PNG of any standard kind (gray, gray+alpha, RGB, RGBA, palette; 1 to 16 bits, interlaced or not)
 * to 8-bit interleaved samples. 16-bit samples are rounded to 8 bits; palette images are expanded to RGB, or to
 * RGBA when the palette carries transparency. Throws `<file>: not a valid PNG: <reason>.`
 */
export function decodePng(bytes: Uint8Array, file: string): DecodedImage {
  const structure = inspectPng(bytes, file);
  const { colorType } = structure.header;
  const hasTrns = structure.chunks.some((c) => c.type === 'tRNS');
  const channels: DecodedImage['channels'] =
    colorType === 0 ? (hasTrns ? 2 : 1) : colorType === 4 ? 2 : colorType === 6 ? 4 : hasTrns ? 4 : 3;
  const png = runPngjs(bytes.subarray(0, structure.end), file, false);
  // pngjs always returns RGBA; keep the channels the file actually has.
  const n = png.width * png.height;
  const rgba = png.data;
  const data = new Uint8Array(n * channels);
  for (let i = 0; i < n; i++) {
    const s = i * 4;
    const d = i * channels;
    switch (channels) {
      case 1:
        data[d] = rgba[s];
        break;
      case 2:
        data[d] = rgba[s];
        data[d + 1] = rgba[s + 3];
        break;
      case 3:
        data[d] = rgba[s];
        data[d + 1] = rgba[s + 1];
        data[d + 2] = rgba[s + 2];
        break;
      case 4:
        data[d] = rgba[s];
        data[d + 1] = rgba[s + 1];
        data[d + 2] = rgba[s + 2];
        data[d + 3] = rgba[s + 3];
        break;
    }
  }
  return { width: png.width, height: png.height, channels, data };
}

/** Decodes a baseline or progressive JPEG to RGB. Throws `<file>: not a valid JPEG: <reason>.` */
export function decodeJpeg(bytes: Uint8Array, file: string): DecodedImage {
  if (!hasJpegSignature(bytes)) {
    throw new Error(`${file}: not a valid JPEG: it does not start with the JPEG start-of-image marker (FF D8 FF).`);
  }
  let out: { width: number; height: number; data: Uint8Array };
  try {
    out = jpeg.decode(bytes, {
      useTArray: true,
      formatAsRGBA: false,
      maxResolutionInMP: MAX_PIXELS / 1e6,
      maxMemoryUsageInMB: 2048,
    });
  } catch (err) {
    const reason = String((err as Error)?.message ?? err).replace(/\.$/, '');
    // jpeg-js reports a cut-off file as an odd marker; the missing end-of-image marker says it plainly.
    if (Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).lastIndexOf(EOI) < 0) {
      throw new Error(`${file}: not a valid JPEG: truncated: the end-of-image marker (FF D9) is missing (${reason}).`);
    }
    throw new Error(`${file}: not a valid JPEG: ${reason}.`);
  }
  if (!out.width || !out.height || out.data.length !== out.width * out.height * 3) {
    throw new Error(`${file}: not a valid JPEG: the decoder returned no complete image.`);
  }
  return { width: out.width, height: out.height, channels: 3, data: out.data };
}

/**
 * Decodes a PNG or JPEG, chosen by the file's first bytes (not its name). Files that are neither get an error
 * in the terms of their extension (`not a valid PNG` for `.png`).
 */
export function decodeImage(bytes: Uint8Array, file: string): DecodedImage {
  if (hasPngSignature(bytes)) return decodePng(bytes, file);
  if (hasJpegSignature(bytes)) return decodeJpeg(bytes, file);
  const ext = path.extname(file).toLowerCase();
  if (ext === '.png') return decodePng(bytes, file); // throws with the PNG reason
  if (ext === '.jpg' || ext === '.jpeg') return decodeJpeg(bytes, file);
  throw new Error(`${file}: not a PNG or JPEG image (unknown signature).`);
}

/** Reads `file` into memory, with an error that names it. */
export function readFileBytes(file: string, what = 'image'): Buffer {
  try {
    return fs.readFileSync(file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new Error(`${file}: the ${what} file is missing.`);
    if (code === 'EISDIR') throw new Error(`${file}: expected an ${what} file, found a folder.`);
    throw new Error(`${file}: cannot read the ${what}: ${(err as Error).message}.`);
  }
}

/** Reads and decodes a PNG or JPEG file. */
export function readImage(file: string): DecodedImage {
  return decodeImage(readFileBytes(file, 'image'), file);
}

/**
 * Decodes a label map: a single-channel PNG (any bit depth, values taken as they are, not rescaled) or a palette
 * PNG, whose palette INDEX is the label (as mmsegmentation reads palette masks through PIL). Colour masks are
 * refused: their colours would first need mapping to classes.
 */
export function decodeLabelPng(bytes: Uint8Array, file: string): LabelMap {
  const structure = inspectPng(bytes, file);
  const { colorType } = structure.header;
  if (colorType !== 0 && colorType !== 3) {
    throw new Error(
      `${file}: a label map must be a single-channel (gray) or palette PNG, this one is ${COLOR_TYPE_NAMES[colorType]}; ` +
        'save the class index of each pixel as one gray channel.',
    );
  }
  // NOTE: pngjs expands palettes to colours and blanks tRNS-transparent gray values. To read raw indices, the
  // palette is replaced by entries whose red component is their own index, and tRNS chunks are dropped.
  const edited = rebuildPng(bytes, structure, (chunk, data) => {
    if (chunk.type === 'tRNS') return null;
    if (chunk.type === 'PLTE') {
      const entries = Math.floor(data.length / 3);
      const identity = new Uint8Array(entries * 3);
      for (let i = 0; i < entries; i++) identity[i * 3] = i;
      return identity;
    }
    return data;
  });
  const png = runPngjs(edited, file, true);
  const n = png.width * png.height;
  const labels = new Int32Array(n);
  for (let i = 0; i < n; i++) labels[i] = png.data[i * 4];
  return { width: png.width, height: png.height, labels };
}

/** Reads and decodes a label-map PNG file (see {@link decodeLabelPng}). */
export function readLabelMap(file: string): LabelMap {
  return decodeLabelPng(readFileBytes(file, 'label map'), file);
}

/** The size in a JPEG's start-of-frame segment, or null if no such segment is found. */
function jpegFrameSize(bytes: Uint8Array): { width: number; height: number } | null {
  let pos = 2;
  while (pos + 9 < bytes.length) {
    if (bytes[pos] !== 0xff) return null;
    const marker = bytes[pos + 1];
    if (marker === 0xff) {
      pos++; // fill byte
      continue;
    }
    const length = (bytes[pos + 2] << 8) | bytes[pos + 3];
    // SOF0..SOF15 hold the frame size, except C4 (Huffman tables), C8 (reserved) and CC (arithmetic coding).
    if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) {
      return { height: (bytes[pos + 5] << 8) | bytes[pos + 6], width: (bytes[pos + 7] << 8) | bytes[pos + 8] };
    }
    if (marker === 0xda || marker === 0xd9) return null; // scan data or end: no frame header before it
    pos += 2 + length;
  }
  return null;
}

/**
 * Reads a PNG's or JPEG's size. A PNG's chunk structure is checked (see {@link decodePng}) but its pixels are
 * not unfiltered; a JPEG's size comes from its frame header, or from decoding it when that is not found.
 */
export function readImageSize(file: string): { width: number; height: number } {
  const bytes = readFileBytes(file);
  if (hasPngSignature(bytes)) {
    const h = inspectPng(bytes, file).header;
    return { width: h.width, height: h.height };
  }
  const frame = hasJpegSignature(bytes) ? jpegFrameSize(bytes) : null;
  if (frame && frame.width > 0 && frame.height > 0) return frame;
  const img = decodeImage(bytes, file);
  return { width: img.width, height: img.height };
}

// ---- encoding ----

/** Options of {@link encodePng}. */
export interface EncodePngOptions {
  /** Write a palette PNG: `data` then holds one palette index per pixel. At most 256 entries. */
  palette?: readonly Rgb[];
}

/**
 * Encodes 8-bit pixels as a PNG. The channel count follows from `data.length`: `width·height` is gray (or
 * palette indices with `options.palette`), `3·width·height` RGB, `4·width·height` RGBA.
 *
 * @example
 * const bytes = encodePng(84, 64, mask, { palette: dataset.meta.palette });
 */
export function encodePng(width: number, height: number, data: Uint8Array, options: EncodePngOptions = {}): Buffer {
  if (!Number.isInteger(width) || !Number.isInteger(height) || width <= 0 || height <= 0) {
    throw new Error(`encodePng: the size must be positive integers, got ${width}×${height}.`);
  }
  const n = width * height;
  const channels = data.length / n;
  if (![1, 3, 4].includes(channels)) {
    throw new Error(
      `encodePng: ${data.length} samples do not fit a ${width}×${height} image as gray (${n}), RGB (${3 * n}) or RGBA (${4 * n}).`,
    );
  }
  if (options.palette) {
    if (channels !== 1) throw new Error(`encodePng: a palette PNG takes one index per pixel, got ${channels} samples per pixel.`);
    return encodePalettePng(width, height, data, options.palette);
  }
  const colorType = channels === 1 ? 0 : channels === 3 ? 2 : 6;
  const meta = {
    width,
    height,
    data: Buffer.from(data.buffer, data.byteOffset, data.byteLength),
  };
  return pngjs.PNG.sync.write(meta as unknown as pngjs.PNG, {
    colorType,
    inputColorType: colorType,
    inputHasAlpha: channels === 4,
    bitDepth: 8,
  });
}

function encodePalettePng(width: number, height: number, indices: Uint8Array, palette: readonly Rgb[]): Buffer {
  if (palette.length === 0 || palette.length > 256) {
    throw new Error(`encodePng: a palette holds 1 to 256 colours, got ${palette.length}.`);
  }
  const plte = new Uint8Array(palette.length * 3);
  palette.forEach((rgb, i) => {
    for (let c = 0; c < 3; c++) {
      const v = rgb[c];
      if (!Number.isInteger(v) || v < 0 || v > 255) {
        throw new Error(`encodePng: palette entry ${i} [${rgb.join(', ')}] must hold integers in 0..255.`);
      }
      plte[i * 3 + c] = v;
    }
  });
  // Scanlines with filter byte 0 (none): masks are flat regions that deflate compresses well as they are.
  const raw = new Uint8Array(height * (width + 1));
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const v = indices[y * width + x];
      if (v >= palette.length) {
        throw new Error(`encodePng: pixel (${x}, ${y}) has index ${v}, beyond the ${palette.length}-colour palette.`);
      }
      raw[y * (width + 1) + 1 + x] = v;
    }
  }
  const ihdr = new Uint8Array(13);
  const view = new DataView(ihdr.buffer);
  view.setUint32(0, width);
  view.setUint32(4, height);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 3; // colour type: palette
  return Buffer.concat([
    PNG_SIGNATURE,
    makeChunk('IHDR', ihdr),
    makeChunk('PLTE', plte),
    makeChunk('IDAT', zlib.deflateSync(raw)),
    makeChunk('IEND', new Uint8Array(0)),
  ]);
}

/** Encodes a PNG ({@link encodePng}) and writes it with {@link writeFileAtomic}. */
export async function writePng(
  file: string,
  width: number,
  height: number,
  data: Uint8Array,
  options: EncodePngOptions = {},
): Promise<void> {
  await writeFileAtomic(file, encodePng(width, height, data, options));
}

/** The synchronous form of {@link writePng}. */
export function writePngSync(
  file: string,
  width: number,
  height: number,
  data: Uint8Array,
  options: EncodePngOptions = {},
): void {
  writeFileAtomicSync(file, encodePng(width, height, data, options));
}
