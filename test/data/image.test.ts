import * as fs from 'node:fs';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import jpeg from 'jpeg-js';
import { afterEach, describe, expect, it } from 'vitest';
import {
  decodeImage,
  decodeJpeg,
  decodeLabelPng,
  decodePng,
  encodePng,
  readImage,
  readImageSize,
  readLabelMap,
  writePng,
  type Rgb,
} from '../../src/data/image.js';
import { chunk, rawPng, removeTempDirs, tempDir } from './helpers.js';

afterEach(removeTempDirs);

const ramp = (n: number, scale = 1): Uint8Array => Uint8Array.from({ length: n }, (_, i) => (i * scale) % 256);

describe('PNG round trips', () => {
  it('gray', () => {
    const px = ramp(7 * 5, 7);
    const img = decodePng(encodePng(7, 5, px), 'g.png');
    expect(img).toMatchObject({ width: 7, height: 5, channels: 1 });
    expect([...img.data]).toEqual([...px]);
  });

  it('RGB', () => {
    const px = ramp(4 * 3 * 3, 11);
    const img = decodePng(encodePng(4, 3, px), 'rgb.png');
    expect(img).toMatchObject({ width: 4, height: 3, channels: 3 });
    expect([...img.data]).toEqual([...px]);
  });

  it('RGBA', () => {
    const px = ramp(3 * 2 * 4, 13);
    const img = decodePng(encodePng(3, 2, px), 'rgba.png');
    expect(img.channels).toBe(4);
    expect([...img.data]).toEqual([...px]);
  });

  it('palette: colours through decodePng, indices through decodeLabelPng', () => {
    const palette: Rgb[] = [
      [0, 0, 0],
      [200, 10, 10],
      [10, 200, 10],
    ];
    const idx = Uint8Array.from([0, 1, 2, 2, 1, 0]);
    const bytes = encodePng(3, 2, idx, { palette });
    const img = decodePng(bytes, 'p.png');
    expect(img.channels).toBe(3);
    expect([...img.data]).toEqual([...idx].flatMap((i) => [...palette[i]]));
    const lab = decodeLabelPng(bytes, 'p.png');
    expect(lab).toMatchObject({ width: 3, height: 2 });
    expect([...lab.labels]).toEqual([...idx]);
  });

  it('palette labels are indices even when two entries share a colour', () => {
    const bytes = encodePng(4, 1, Uint8Array.from([0, 1, 2, 3]), {
      palette: [
        [5, 5, 5],
        [5, 5, 5],
        [9, 9, 9],
        [5, 5, 5],
      ],
    });
    expect([...decodeLabelPng(bytes, 'dup.png').labels]).toEqual([0, 1, 2, 3]);
  });

  it('refuses palette indices beyond the palette and odd sample counts when encoding', () => {
    expect(() => encodePng(2, 1, Uint8Array.from([0, 3]), { palette: [[0, 0, 0]] })).toThrow(
      'encodePng: pixel (1, 0) has index 3, beyond the 1-colour palette.',
    );
    expect(() => encodePng(2, 2, new Uint8Array(5))).toThrow('encodePng: 5 samples do not fit a 2×2 image');
  });
});

describe('PNG kinds made by hand', () => {
  it('16-bit gray: 8-bit image, raw 16-bit labels', () => {
    const samples = [0, 300, 1000, 65535];
    const bytes = rawPng({ width: 2, height: 2, bitDepth: 16, colorType: 0, samples });
    expect([...decodePng(bytes, 'g16.png').data]).toEqual(samples.map((v) => Math.round((v * 255) / 65535)));
    expect([...decodeLabelPng(bytes, 'g16.png').labels]).toEqual(samples);
  });

  it('4-bit and 1-bit gray: images rescaled to 0..255, labels kept as they are', () => {
    const s4 = [0, 3, 15, 7, 1];
    const b4 = rawPng({ width: 5, height: 1, bitDepth: 4, colorType: 0, samples: s4 });
    expect([...decodePng(b4, 'g4.png').data]).toEqual(s4.map((v) => v * 17));
    expect([...decodeLabelPng(b4, 'g4.png').labels]).toEqual(s4);
    const s1 = [1, 0, 1, 1, 0, 0, 0, 1, 1, 0];
    const b1 = rawPng({ width: 10, height: 1, bitDepth: 1, colorType: 0, samples: s1 });
    expect([...decodeLabelPng(b1, 'g1.png').labels]).toEqual(s1);
  });

  it('gray+alpha, 16-bit RGB and 16-bit RGBA', () => {
    const ga = rawPng({ width: 2, height: 1, bitDepth: 8, colorType: 4, samples: [10, 255, 20, 0] });
    expect(decodePng(ga, 'ga.png')).toMatchObject({ channels: 2, data: Uint8Array.from([10, 255, 20, 0]) });
    const rgb16 = rawPng({ width: 1, height: 1, bitDepth: 16, colorType: 2, samples: [65535, 0, 32896] });
    expect(decodePng(rgb16, 'rgb16.png')).toMatchObject({ channels: 3, data: Uint8Array.from([255, 0, 128]) });
    const rgba16 = rawPng({ width: 1, height: 1, bitDepth: 16, colorType: 6, samples: [0, 65535, 257, 65535] });
    expect(decodePng(rgba16, 'rgba16.png')).toMatchObject({ channels: 4, data: Uint8Array.from([0, 255, 1, 255]) });
  });

  it('2-bit palette with transparency: RGBA image, index labels', () => {
    const palette: Rgb[] = [
      [1, 2, 3],
      [40, 50, 60],
      [7, 8, 9],
    ];
    const bytes = rawPng({
      width: 3,
      height: 1,
      bitDepth: 2,
      colorType: 3,
      samples: [2, 0, 1],
      palette,
      trns: Uint8Array.from([0, 128]),
    });
    expect([...decodePng(bytes, 'p2.png').data]).toEqual([7, 8, 9, 255, 1, 2, 3, 0, 40, 50, 60, 128]);
    expect([...decodeLabelPng(bytes, 'p2.png').labels]).toEqual([2, 0, 1]);
  });

  it('gray with a transparent colour still gives that value as a label', () => {
    const bytes = rawPng({ width: 3, height: 1, bitDepth: 8, colorType: 0, samples: [4, 255, 4], trns: Uint8Array.from([0, 255]) });
    expect([...decodeLabelPng(bytes, 't.png').labels]).toEqual([4, 255, 4]);
  });

  it.each([
    [1, 1],
    [3, 2],
    [9, 7],
    [13, 11],
  ])('Adam7-interlaced %i×%i: gray, RGB and 4-bit palette', (width, height) => {
    const n = width * height;
    const gray = Array.from({ length: n }, (_, i) => (i * 29) % 256);
    const g = rawPng({ width, height, bitDepth: 8, colorType: 0, samples: gray, interlace: true });
    expect([...decodePng(g, 'i.png').data]).toEqual(gray);
    const rgb = Array.from({ length: 3 * n }, (_, i) => (i * 7) % 256);
    expect([...decodePng(rawPng({ width, height, bitDepth: 8, colorType: 2, samples: rgb, interlace: true }), 'i.png').data]).toEqual(rgb);
    const idx = Array.from({ length: n }, (_, i) => i % 16);
    const palette = Array.from({ length: 16 }, (_, i): Rgb => [i, 2 * i, 3 * i]);
    const p = rawPng({ width, height, bitDepth: 4, colorType: 3, samples: idx, palette, interlace: true });
    expect([...decodeLabelPng(p, 'i.png').labels]).toEqual(idx);
  });

  it('ignores bytes after IEND', () => {
    const bytes = Buffer.concat([encodePng(2, 1, Uint8Array.from([5, 6])), Buffer.from('trailing')]);
    expect([...decodePng(bytes, 'x.png').data]).toEqual([5, 6]);
  });

  it('a palette index beyond the palette', () => {
    const bytes = rawPng({ width: 2, height: 1, bitDepth: 8, colorType: 3, samples: [0, 5], palette: [[0, 0, 0]] });
    expect(() => decodeLabelPng(bytes, 'p.png')).toThrow('p.png: not a valid PNG: the image data cannot be decoded (index 5 not in palette).');
    expect(() => decodePng(bytes, 'p.png')).toThrow('p.png: not a valid PNG: the image data cannot be decoded (index 5 not in palette).');
  });

  it('refuses colour PNGs as label maps', () => {
    expect(() => decodeLabelPng(encodePng(1, 1, Uint8Array.from([1, 2, 3])), 'ann/a.png')).toThrow(
      'ann/a.png: a label map must be a single-channel (gray) or palette PNG, this one is RGB',
    );
  });
});

describe('JPEG', () => {
  it('decodes a tiny file made by jpeg-js’s encoder', () => {
    const w = 16;
    const h = 8;
    const rgba = new Uint8Array(w * h * 4);
    for (let i = 0; i < w * h; i++) rgba.set([(i % w) * 16, Math.floor(i / w) * 32, 128, 255], i * 4);
    const bytes = jpeg.encode({ width: w, height: h, data: rgba }, 95).data;
    for (const img of [decodeJpeg(bytes, 't.jpg'), decodeImage(bytes, 'no-extension')]) {
      expect(img).toMatchObject({ width: w, height: h, channels: 3 });
      let err = 0;
      for (let i = 0; i < w * h; i++) for (let c = 0; c < 3; c++) err += Math.abs(img.data[i * 3 + c] - rgba[i * 4 + c]);
      expect(err / (w * h * 3)).toBeLessThan(4);
    }
  });

  it('reads a JPEG’s size from its frame header', () => {
    const file = path.join(tempDir(), 'size.jpg');
    fs.writeFileSync(file, jpeg.encode({ width: 13, height: 5, data: new Uint8Array(13 * 5 * 4) }, 80).data);
    expect(readImageSize(file)).toEqual({ width: 13, height: 5 });
  });

  it('reports truncated and corrupt JPEGs with the file name', () => {
    const bytes = jpeg.encode({ width: 8, height: 8, data: new Uint8Array(256).fill(90) }, 90).data;
    expect(() => decodeJpeg(bytes.subarray(0, bytes.length - 40), 'cut.jpg')).toThrow(
      /^cut\.jpg: not a valid JPEG: truncated: the end-of-image marker \(FF D9\) is missing/,
    );
    expect(() => decodeImage(Buffer.from('not a jpeg at all'), 'x.jpg')).toThrow(
      'x.jpg: not a valid JPEG: it does not start with the JPEG start-of-image marker (FF D8 FF).',
    );
  });
});

describe('bad PNGs', () => {
  const good = encodePng(8, 6, ramp(8 * 6 * 3, 3));
  const idat = good.indexOf('IDAT') - 4;

  it.each([
    ['inside the signature', 5, 'truncated: the file ends after 5 bytes, inside the 8-byte signature'],
    ['inside IHDR', 20, 'truncated: chunk IHDR at byte 8 needs 25 bytes but the file ends after 12 of them'],
    ['inside IDAT', idat + 15, `truncated: chunk IDAT at byte ${idat} needs`],
    ['before IEND', good.length - 12, `truncated: the file ends at byte ${good.length - 12} before the IEND chunk`],
  ])('truncated %s', (_where, cut, reason) => {
    expect(() => decodePng(good.subarray(0, cut), 'img_dir/train/a.png')).toThrow(`img_dir/train/a.png: not a valid PNG: ${reason}`);
  });

  it('garbage bytes', () => {
    const garbage = Buffer.from(Array.from({ length: 64 }, (_, i) => (i * 37 + 11) % 256));
    expect(() => decodePng(garbage, 'g.png')).toThrow(
      'g.png: not a valid PNG: it does not start with the PNG signature (89 50 4E 47 0D 0A 1A 0A).',
    );
    expect(() => decodeImage(garbage, 'g.png')).toThrow('g.png: not a valid PNG: it does not start with the PNG signature');
    expect(() => decodeImage(garbage, 'g.bmp')).toThrow('g.bmp: not a PNG or JPEG image (unknown signature).');
    expect(() => decodePng(new Uint8Array(0), 'e.png')).toThrow('e.png: not a valid PNG: the file is empty.');
  });

  it('garbage after a valid signature', () => {
    const bytes = Buffer.concat([good.subarray(0, 8), Buffer.alloc(40, 0xee)]);
    expect(() => decodePng(bytes, 'h.png')).toThrow('h.png: not a valid PNG: byte 12 should start a chunk type, found garbage instead.');
  });

  it('a flipped byte (CRC mismatch)', () => {
    const bad = Buffer.from(good);
    bad[idat + 10] ^= 0x40;
    expect(() => decodePng(bad, 'f.png')).toThrow(`f.png: not a valid PNG: chunk IDAT at byte ${idat} is corrupt (CRC mismatch).`);
  });

  it('damaged compressed data with a valid CRC', () => {
    const ihdr = good.subarray(8, 33);
    const bytes = Buffer.concat([good.subarray(0, 8), ihdr, chunk('IDAT', Uint8Array.from([0x78, 0x9c, 0xff, 0xff, 0xff, 1, 2, 3])), chunk('IEND', new Uint8Array(0))]);
    expect(() => decodePng(bytes, 'z.png')).toThrow(/^z\.png: not a valid PNG: the compressed image data is damaged \(zlib: .+\)\.$/);
  });

  const withImageData = (compressed: Uint8Array): Buffer =>
    Buffer.concat([good.subarray(0, 33), chunk('IDAT', compressed), chunk('IEND', new Uint8Array(0))]);

  it('a valid zlib stream holding too few scanlines', () => {
    expect(() => decodePng(withImageData(zlib.deflateSync(Buffer.alloc(10))), 's.png')).toThrow(
      's.png: not a valid PNG: truncated: the image data holds 10 bytes, a 8×6 8-bit RGB image needs 150.',
    );
  });

  it('a cut-off zlib stream with a valid CRC', () => {
    const full = zlib.deflateSync(Buffer.alloc(150, 0));
    expect(() => decodePng(withImageData(full.subarray(0, full.length - 6)), 'c.png')).toThrow(
      /^c\.png: not a valid PNG: truncated: the compressed image data ends early/,
    );
  });

  it('an unknown scanline filter type', () => {
    const raw = Buffer.alloc(150, 0);
    raw[3 * 25] = 9;
    expect(() => decodePng(withImageData(zlib.deflateSync(raw)), 'u.png')).toThrow(
      'u.png: not a valid PNG: scanline 3 has the unknown filter type 9.',
    );
  });

  it('a header with an invalid bit depth, and one without image data', () => {
    const ihdr = Buffer.from(good.subarray(16, 29));
    ihdr[8] = 3;
    expect(() => decodePng(Buffer.concat([good.subarray(0, 8), chunk('IHDR', ihdr)]), 'd.png')).toThrow(
      'd.png: not a valid PNG: bit depth 3 is not allowed for RGB images.',
    );
    const noData = Buffer.concat([good.subarray(0, 33), chunk('IEND', new Uint8Array(0))]);
    expect(() => decodePng(noData, 'n.png')).toThrow('n.png: not a valid PNG: it has no IDAT (image data) chunk.');
  });
});

describe('files', () => {
  it('writePng writes atomically into new folders; readImage, readLabelMap and readImageSize read back', async () => {
    const dir = tempDir();
    const file = path.join(dir, 'out', 'mask.png');
    await writePng(file, 3, 2, Uint8Array.from([0, 1, 2, 1, 0, 1]), { palette: [[0, 0, 0], [255, 0, 0], [0, 255, 0]] });
    expect(fs.readdirSync(path.dirname(file))).toEqual(['mask.png']);
    expect([...readLabelMap(file).labels]).toEqual([0, 1, 2, 1, 0, 1]);
    expect(readImage(file).channels).toBe(3);
    expect(readImageSize(file)).toEqual({ width: 3, height: 2 });
  });

  it('names a missing file', () => {
    const file = path.join(tempDir(), 'nope.png');
    expect(() => readImage(file)).toThrow(`${file}: the image file is missing.`);
    expect(() => readLabelMap(file)).toThrow(`${file}: the label map file is missing.`);
  });
});
