// Fixtures for the data tests: temporary folders, hand-built PNGs of every kind, small datasets on disk.

import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { ADAM7, encodePng, type Rgb } from '../../src/data/image.js';

const made: string[] = [];

/** A fresh temporary folder, removed by {@link removeTempDirs}. */
export function tempDir(prefix = 'ssa-seg-data-'): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  made.push(dir);
  return dir;
}

export function removeTempDirs(): void {
  for (const dir of made.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
}

function crc32(bytes: Uint8Array): number {
  let c = ~0;
  for (const b of bytes) {
    c ^= b;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  }
  return ~c >>> 0;
}

export function chunk(type: string, data: Uint8Array): Buffer {
  const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const out = Buffer.alloc(12 + data.length);
  out.writeUInt32BE(data.length, 0);
  body.copy(out, 4);
  out.writeUInt32BE(crc32(body), 8 + data.length);
  return out;
}

/**
 * A PNG built by hand from samples (one number per sample, row-major, `channels` per pixel), packed at `bitDepth`
 * (1, 2, 4, 8 or 16 bits, big-endian), filter 0 on every row. For palette images, `samples` are indices.
 */
export function rawPng(opts: {
  width: number;
  height: number;
  bitDepth: number;
  colorType: 0 | 2 | 3 | 4 | 6;
  samples: ArrayLike<number>;
  palette?: Rgb[];
  trns?: Uint8Array;
  /** Adam7 interlacing. */
  interlace?: boolean;
}): Buffer {
  const { width, height, bitDepth, colorType, samples } = opts;
  const channels = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 }[colorType];
  // Scanlines of the pixels at (x0 + i·dx, y0 + j·dy): the whole image, or one Adam7 pass.
  const block = (x0: number, y0: number, dx: number, dy: number): Buffer => {
    const w = width > x0 ? Math.ceil((width - x0) / dx) : 0;
    const h = height > y0 ? Math.ceil((height - y0) / dy) : 0;
    if (w === 0 || h === 0) return Buffer.alloc(0);
    const rowBytes = Math.ceil((w * channels * bitDepth) / 8);
    const out = Buffer.alloc(h * (rowBytes + 1));
    for (let j = 0; j < h; j++) {
      const row = j * (rowBytes + 1) + 1;
      for (let i = 0; i < w * channels; i++) {
        const px = (y0 + j * dy) * width + x0 + Math.floor(i / channels) * dx;
        const v = samples[px * channels + (i % channels)];
        if (bitDepth === 16) out.writeUInt16BE(v, row + 2 * i);
        else if (bitDepth === 8) out[row + i] = v;
        else {
          const bit = i * bitDepth;
          out[row + (bit >> 3)] |= v << (8 - bitDepth - (bit & 7));
        }
      }
    }
    return out;
  };
  const raw = opts.interlace ? Buffer.concat(ADAM7.map(([x0, y0, dx, dy]) => block(x0, y0, dx, dy))) : block(0, 0, 1, 1);
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = bitDepth;
  ihdr[9] = colorType;
  ihdr[12] = opts.interlace ? 1 : 0;
  const parts = [Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', ihdr)];
  if (opts.palette) parts.push(chunk('PLTE', Uint8Array.from(opts.palette.flat())));
  if (opts.trns) parts.push(chunk('tRNS', opts.trns));
  parts.push(chunk('IDAT', zlib.deflateSync(raw)), chunk('IEND', new Uint8Array(0)));
  return Buffer.concat(parts);
}

export interface FixtureSample {
  /** File name in img_dir/<split>, e.g. "a.png" or "b.jpg". */
  image: string;
  width: number;
  height: number;
  /** 1 (gray) or 3 (RGB) channels. */
  channels?: 1 | 3;
  /** Label per pixel; default: (x + y) % numClasses. */
  labels?: number[];
  /** Mask file name in ann_dir/<split>; default: the image's base name + ".png". `null`: no mask. */
  mask?: string | null;
  /** Mask size, if it should differ from the image's. */
  maskWidth?: number;
  maskHeight?: number;
}

/** The pixel value a fixture image holds at (x, y), channel c. */
export function fixturePixel(x: number, y: number, c: number): number {
  return (x * 20 + y * 7 + c * 50) % 256;
}

/** Writes a small dataset in the mmsegmentation layout; returns its folder. */
export function writeFixtureDataset(
  dir: string,
  opts: {
    classes?: string[];
    meta?: Record<string, unknown> | null;
    splits?: Record<string, FixtureSample[]>;
  } = {},
): string {
  const classes = opts.classes ?? ['sky', 'road', 'car'];
  if (opts.meta !== null) {
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, 'dataset.json'), JSON.stringify(opts.meta ?? { classes }));
  }
  const splits = opts.splits ?? {
    train: [
      { image: 'a.png', width: 6, height: 5 },
      { image: 'b.png', width: 6, height: 5, channels: 1 },
      { image: 'c.png', width: 6, height: 5 },
    ],
    val: [{ image: 'v.png', width: 4, height: 3 }],
  };
  for (const [split, samples] of Object.entries(splits)) {
    const imgDir = path.join(dir, 'img_dir', split);
    const annDir = path.join(dir, 'ann_dir', split);
    fs.mkdirSync(imgDir, { recursive: true });
    fs.mkdirSync(annDir, { recursive: true });
    for (const s of samples) {
      const channels = s.channels ?? 3;
      const px = new Uint8Array(s.width * s.height * channels);
      for (let y = 0; y < s.height; y++)
        for (let x = 0; x < s.width; x++)
          for (let c = 0; c < channels; c++) px[(y * s.width + x) * channels + c] = fixturePixel(x, y, c);
      fs.writeFileSync(path.join(imgDir, s.image), encodePng(s.width, s.height, px));
      if (s.mask === null) continue;
      const mw = s.maskWidth ?? s.width;
      const mh = s.maskHeight ?? s.height;
      const labels = new Uint8Array(mw * mh);
      for (let i = 0; i < mw * mh; i++) labels[i] = s.labels?.[i] ?? ((i % mw) + Math.floor(i / mw)) % classes.length;
      const mask = s.mask ?? `${path.basename(s.image, path.extname(s.image))}.png`;
      fs.writeFileSync(path.join(annDir, mask), encodePng(mw, mh, labels));
    }
  }
  return dir;
}
