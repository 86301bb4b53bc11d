// safetensors: round trips through saveSafetensors/loadSafetensors, decoding of every integer and
// float dtype the format defines (written by a small encoder here), and one test per malformed case.
import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { rmSync } from 'node:fs';
import { tensor, useBackend } from '../../src/index.js';
import {
  encodeSafetensors, loadSafetensors, parseSafetensors, readSafetensors, saveSafetensors,
} from '../../src/io/safetensors.js';

const dir = mkdtempSync(join(tmpdir(), 'ssa-safetensors-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Builds a file from a header object and data bytes, with the real length prefix. */
function rawFile(header: unknown, data: Uint8Array = new Uint8Array(0), headerText?: string): Uint8Array {
  const text = new TextEncoder().encode(headerText ?? JSON.stringify(header));
  const out = new Uint8Array(8 + text.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(text.length), true);
  out.set(text, 8);
  out.set(data, 8 + text.length);
  return out;
}

function writeRaw(name: string, bytes: Uint8Array): string {
  const p = join(dir, name);
  writeFileSync(p, bytes);
  return p;
}

/** Little-endian bytes of values in a given typed-array form. */
function bytesOf(arr: ArrayBufferView): Uint8Array {
  return new Uint8Array(arr.buffer, arr.byteOffset, arr.byteLength);
}

describe('safetensors round trips', () => {
  useBackend('cpu');

  it('saves float32 and int32 tensors with metadata and loads them back', async () => {
    const p = join(dir, 'round.safetensors');
    const w = tensor([1.5, -2.25, 3e-8, 1e30, -0, 7], [2, 3]);
    // NOTE: gpu.js backends hold int32 values in float32 storage, exact up to 2^24 only.
    const y = tensor(new Int32Array([0, 255, -7, 16777216]), [4], { dtype: 'int32' });
    const s = tensor([42], []);
    await saveSafetensors(p, { 'conv_seg.weight': w, labels: y, scalar: s, empty: tensor([], [0, 3]) }, { epoch: '3', note: 'ok' });
    const back = await loadSafetensors(p);
    expect(Object.keys(back).sort()).toEqual(['conv_seg.weight', 'empty', 'labels', 'scalar']);
    expect(back['conv_seg.weight'].dtype).toBe('float32');
    expect(back['conv_seg.weight'].shape).toEqual([2, 3]);
    expect(Array.from(await back['conv_seg.weight'].data())).toEqual(Array.from(Float32Array.from([1.5, -2.25, 3e-8, 1e30, -0, 7])));
    expect(back.labels.dtype).toBe('int32');
    expect(Array.from(await back.labels.data())).toEqual([0, 255, -7, 16777216]);
    expect(back.scalar.shape).toEqual([]);
    expect(await back.scalar.item()).toBe(42);
    expect(back.empty.shape).toEqual([0, 3]);
    const { metadata, tensors } = await readSafetensors(p);
    expect(metadata).toEqual({ epoch: '3', note: 'ok' });
    expect(tensors.labels.dtype).toBe('I32');
    expect(tensors['conv_seg.weight'].dtype).toBe('F32');
  });

  it('pads the JSON header to 8 bytes and leaves no temporary file behind', async () => {
    for (const name of ['a', 'ab', 'abc', 'abcd', 'abcde', 'abcdef', 'abcdefg', 'abcdefgh']) {
      const p = join(dir, `pad-${name}.safetensors`);
      await saveSafetensors(p, { [name]: { dtype: 'F32', shape: [1], data: [1] } });
      const bytes = readFileSync(p);
      const n = Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true));
      expect(n % 8).toBe(0);
      expect((8 + n) % 8).toBe(0);
      expect(parseSafetensors(bytes, p).tensors[name].data[0]).toBe(1);
    }
    expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('overwrites an existing file atomically and writes keys in sorted order', async () => {
    const p = join(dir, 'over.safetensors');
    await saveSafetensors(p, { z: { dtype: 'I32', shape: [2], data: [1, 2] }, a: { dtype: 'F32', shape: [1], data: [0.5] } });
    await saveSafetensors(p, { b: { dtype: 'F32', shape: [2], data: [3, 4] } });
    const { tensors } = await readSafetensors(p);
    expect(Object.keys(tensors)).toEqual(['b']);
    const bytes = encodeSafetensors({ z: { dtype: 'I32', shape: [1], data: [1] }, a: { dtype: 'F32', shape: [1], data: [2] } });
    const n = Number(new DataView(bytes.buffer).getBigUint64(0, true));
    const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n)));
    expect(header.a.data_offsets).toEqual([0, 4]);
    expect(header.z.data_offsets).toEqual([4, 8]);
  });

  it('reads every dtype: F64 kept in float64, F16/BF16 widened, integers and BOOL as int32', async () => {
    const f64 = Float64Array.from([Math.PI, -1e-300, 2 ** 60]);
    const f16 = Uint16Array.from([0x3c00, 0xc000, 0x0001, 0x7bff]); // 1, −2, 2^-24, 65504
    const bf16 = Uint16Array.from([0x3f80, 0xc040]); // 1, −3
    const i64 = BigInt64Array.from([-5n, 2147483647n]);
    const u8 = Uint8Array.from([0, 1, 255]);
    const i8 = Int8Array.from([-128, 127]);
    const i16 = Int16Array.from([-32768, 5]);
    const u16 = Uint16Array.from([65535]);
    const u32 = Uint32Array.from([4000]);
    const u64 = BigUint64Array.from([9n]);
    const bool = Uint8Array.from([0, 3]);
    const parts: [string, string, number[], Uint8Array][] = [
      ['f64', 'F64', [3], bytesOf(f64)], ['f16', 'F16', [2, 2], bytesOf(f16)], ['bf16', 'BF16', [2], bytesOf(bf16)],
      ['i64', 'I64', [2], bytesOf(i64)], ['u8', 'U8', [3], u8], ['i8', 'I8', [2], bytesOf(i8)], ['i16', 'I16', [2], bytesOf(i16)],
      ['u16', 'U16', [1], bytesOf(u16)], ['u32', 'U32', [1], bytesOf(u32)], ['u64', 'U64', [1], bytesOf(u64)], ['bool', 'BOOL', [2], bool],
    ];
    const header: Record<string, unknown> = { __metadata__: { format: 'pt' } };
    let off = 0;
    for (const [k, dt, shape, b] of parts) {
      header[k] = { dtype: dt, shape, data_offsets: [off, off + b.length] };
      off += b.length;
    }
    const data = new Uint8Array(off);
    off = 0;
    for (const [, , , b] of parts) {
      data.set(b, off);
      off += b.length;
    }
    const p = writeRaw('dtypes.safetensors', rawFile(header, data));
    const { tensors, metadata } = await readSafetensors(p);
    expect(metadata).toEqual({ format: 'pt' });
    expect(tensors.f64.data).toBeInstanceOf(Float64Array);
    expect(Array.from(tensors.f64.data)).toEqual(Array.from(f64));
    expect(Array.from(tensors.f16.data)).toEqual([1, -2, 2 ** -24, 65504]);
    expect(Array.from(tensors.bf16.data)).toEqual([1, -3]);
    expect(Array.from(tensors.i64.data)).toEqual([-5, 2147483647]);
    expect(tensors.u8.data).toBeInstanceOf(Int32Array);
    expect(Array.from(tensors.u8.data)).toEqual([0, 1, 255]);
    expect(Array.from(tensors.i8.data)).toEqual([-128, 127]);
    expect(Array.from(tensors.i16.data)).toEqual([-32768, 5]);
    expect(Array.from(tensors.u16.data)).toEqual([65535]);
    expect(Array.from(tensors.u32.data)).toEqual([4000]);
    expect(Array.from(tensors.u64.data)).toEqual([9]);
    expect(Array.from(tensors.bool.data)).toEqual([0, 1]);
    // int32 tensors hold integers within ±2^24 (gpu.js keeps them as float32): i64's 2147483647 cannot load
    await expect(loadSafetensors(p)).rejects.toThrow(/dtypes\.safetensors: tensor 'i64' \(I64 \[2\]\) cannot be loaded: .*±2\^24/);
    // the same file with i64 = [-5, 7] (same byte length, so the offsets stay valid)
    const i64Entry = header.i64 as { data_offsets: [number, number] };
    const data2 = data.slice();
    data2.set(bytesOf(BigInt64Array.from([-5n, 7n])), i64Entry.data_offsets[0]);
    const p2 = writeRaw('dtypes-small.safetensors', rawFile(header, data2));
    const loaded = await loadSafetensors(p2);
    expect(loaded.f64.dtype).toBe('float32');
    expect(loaded.u8.dtype).toBe('int32');
    expect((await loaded.f64.data())[0]).toBe(Math.fround(Math.PI));
  });

  it('loads the parity fixture format (F32 params, F64 outputs, I32 labels, U8 mask)', async () => {
    const p = join(dir, 'fixture-like.safetensors');
    await saveSafetensors(p, { 'param.w': tensor([1, 2], [2]), 'input.labels': tensor(new Int32Array([0, 255]), [1, 2], { dtype: 'int32' }) }, { B: '1' });
    const { tensors, metadata } = await readSafetensors(p);
    expect(metadata.B).toBe('1');
    expect(tensors['input.labels'].shape).toEqual([1, 2]);
  });
});

describe('safetensors: every malformed file is a clear error naming the file and the key', () => {
  const f32 = (vals: number[]) => bytesOf(Float32Array.from(vals));
  const cases: [string, Uint8Array, RegExp][] = [
    ['too-short', Uint8Array.from([1, 2, 3]), /too-short\.safetensors: a safetensors file starts with an 8-byte header length, but the file has only 3 byte/],
    ['length-past-end', (() => { const b = rawFile({}); new DataView(b.buffer).setBigUint64(0, 1000n, true); return b; })(), /length-past-end\.safetensors: the safetensors header length 1000 runs past the end of the file \(2 bytes follow/],
    ['bad-json', rawFile(null, new Uint8Array(0), '{"a": {"dtype": "F32",}'), /bad-json\.safetensors: the safetensors header is not valid JSON/],
    ['not-object', rawFile([1, 2]), /not-object\.safetensors: the safetensors header must be a JSON object, got an array/],
    ['bad-utf8', rawFile(null, new Uint8Array(0), '{}'.padEnd(2)).map((v, i) => (i === 8 ? 0xff : v)), /bad-utf8\.safetensors: the safetensors header \(2 bytes after the length\) is not valid UTF-8/],
    ['bad-metadata', rawFile({ __metadata__: { epoch: 3 } }), /bad-metadata\.safetensors: safetensors '__metadata__' entry 'epoch' must be a string, got 3/],
    ['unknown-dtype', rawFile({ w: { dtype: 'F128', shape: [1], data_offsets: [0, 4] } }, f32([1])), /unknown-dtype\.safetensors: safetensors entry 'w' has unknown dtype "F128"/],
    ['missing-dtype', rawFile({ w: { shape: [1], data_offsets: [0, 4] } }, f32([1])), /missing-dtype\.safetensors: safetensors entry 'w' has unknown dtype undefined/],
    ['entry-not-object', rawFile({ w: 5 }), /entry-not-object\.safetensors: safetensors entry 'w' must be an object/],
    ['bad-shape', rawFile({ w: { dtype: 'F32', shape: [-1], data_offsets: [0, 4] } }, f32([1])), /bad-shape\.safetensors: safetensors entry 'w' has shape \[-1\]; expected an array of non-negative integers/],
    ['bad-offsets', rawFile({ w: { dtype: 'F32', shape: [1], data_offsets: [0] } }, f32([1])), /bad-offsets\.safetensors: safetensors entry 'w' has data_offsets \[0\]; expected \[begin, end\]/],
    ['reversed-offsets', rawFile({ w: { dtype: 'F32', shape: [0], data_offsets: [4, 0] } }, f32([1])), /reversed-offsets\.safetensors: safetensors entry 'w' has data_offsets \[4, 0\] with begin after end/],
    ['offsets-out-of-bounds', rawFile({ w: { dtype: 'F32', shape: [2], data_offsets: [0, 8] } }, f32([1])), /offsets-out-of-bounds\.safetensors: safetensors entry 'w' has data_offsets \[0, 8\] beyond the data section of 4 bytes/],
    ['size-mismatch', rawFile({ w: { dtype: 'F64', shape: [2], data_offsets: [0, 8] } }, f32([1, 2])), /size-mismatch\.safetensors: safetensors entry 'w': shape \[2\] of F64 needs 16 bytes but data_offsets \[0, 8\] hold 8/],
    ['overlap', rawFile({ a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] }, b: { dtype: 'F32', shape: [2], data_offsets: [4, 12] } }, f32([1, 2, 3])), /overlap\.safetensors: safetensors entries 'a' and 'b' overlap/],
    ['gap', rawFile({ a: { dtype: 'F32', shape: [1], data_offsets: [0, 4] }, b: { dtype: 'F32', shape: [1], data_offsets: [8, 12] } }, f32([1, 2, 3])), /gap\.safetensors: safetensors data bytes 4\.\.8 before entry 'b' belong to no tensor/],
    ['trailing', rawFile({ a: { dtype: 'F32', shape: [1], data_offsets: [0, 4] } }, f32([1, 2])), /trailing\.safetensors: the last 4 byte\(s\) of the safetensors data section \(from 4\) belong to no tensor/],
    ['i64-range', rawFile({ big: { dtype: 'I64', shape: [1], data_offsets: [0, 8] } }, bytesOf(BigInt64Array.from([1n << 40n]))), /i64-range\.safetensors: safetensors entry 'big' \(I64\) holds 1099511627776 at index 0, outside the int32 range/],
    ['f8', rawFile({ q: { dtype: 'F8_E4M3', shape: [1], data_offsets: [0, 1] } }, Uint8Array.from([1])), /f8\.safetensors: safetensors entry 'q' has dtype F8_E4M3, which this reader does not decode/],
  ];
  it.each(cases)('%s', async (name, bytes, message) => {
    const p = writeRaw(`${name}.safetensors`, bytes);
    await expect(readSafetensors(p)).rejects.toThrow(message);
    await expect(loadSafetensors(p)).rejects.toThrow(message);
  });

  it('a missing file', async () => {
    await expect(readSafetensors(join(dir, 'nope.safetensors'))).rejects.toThrow(/nope\.safetensors: cannot read the safetensors file: no such file/);
  });

  it('writing rejects what the format cannot hold', async () => {
    await expect(saveSafetensors(join(dir, 'x.safetensors'), { w: { dtype: 'F32', shape: [3], data: [1, 2] } })).rejects.toThrow(/x\.safetensors: encodeSafetensors: entry 'w' has shape \[3\] \(3 elements\) but 2 values/);
    await expect(saveSafetensors(join(dir, 'y.safetensors'), { __metadata__: { dtype: 'F32', shape: [1], data: [1] } })).rejects.toThrow(/'__metadata__' is reserved/);
    await expect(saveSafetensors(join(dir, 'z.safetensors'), {}, { n: 3 as unknown as string })).rejects.toThrow(/metadata entry 'n' must be a string/);
  });
});
