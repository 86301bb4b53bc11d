/**
 * safetensors files: an 8-byte little-endian header length N, N bytes of JSON (per key: dtype, shape,
 * data_offsets [begin, end) into the data section; optional string map `__metadata__`), then the raw
 * little-endian data. Reading validates everything the header claims before touching the data, so a
 * malformed file fails with one sentence naming the file and the key. Writing is atomic.
 */
import { readFile } from 'node:fs/promises';
import { parseJson, writeFileAtomic } from './atomic.js';
import type { DType } from '../tensor/dtype.js';
import { tensor } from '../tensor/ops.js';
import { Tensor } from '../tensor/tensor.js';

/** Every dtype the safetensors format defines, with its size in bytes. */
const DTYPE_BYTES = {
  BOOL: 1, U8: 1, I8: 1, F8_E5M2: 1, F8_E4M3: 1,
  I16: 2, U16: 2, F16: 2, BF16: 2,
  I32: 4, U32: 4, F32: 4,
  I64: 8, U64: 8, F64: 8,
} as const;

/** A dtype string of the safetensors format. */
export type SafetensorsDType = keyof typeof DTYPE_BYTES;

/**
 * One tensor on the host. `data` is Float64Array for F64, Float32Array for the other float dtypes
 * (F16 and BF16 widened exactly), and Int32Array for every integer dtype and BOOL (values must fit
 * int32). `dtype` is the file's dtype.
 */
export interface HostTensor {
  dtype: SafetensorsDType;
  shape: number[];
  data: Float64Array | Float32Array | Int32Array;
}

/** What `readSafetensors` returns: every tensor on the host, and the `__metadata__` string map. */
export interface SafetensorsContents {
  tensors: Record<string, HostTensor>;
  metadata: Record<string, string>;
}

/** An entry `saveSafetensors` can write: an engine tensor, or host data as F32 or I32. */
export type SaveEntry = Tensor | { dtype: 'F32' | 'I32'; shape: readonly number[]; data: ArrayLike<number> };

const METADATA_KEY = '__metadata__';
const isFloat = (d: SafetensorsDType) => d === 'F16' || d === 'BF16' || d === 'F32' || d === 'F64';

// ---- reading ----

interface Entry {
  key: string;
  dtype: SafetensorsDType;
  shape: number[];
  begin: number;
  end: number;
}

function isNonNegInt(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
}

/** Checks one header entry against the data section's length; returns it typed. */
function checkEntry(file: string, key: string, raw: unknown, dataLength: number): Entry {
  const where = `${file}: safetensors entry '${key}'`;
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new Error(`${where} must be an object with dtype, shape and data_offsets`);
  const { dtype, shape, data_offsets: offsets } = raw as Record<string, unknown>;
  if (typeof dtype !== 'string' || !(dtype in DTYPE_BYTES)) {
    throw new Error(`${where} has unknown dtype ${JSON.stringify(dtype)}; expected one of ${Object.keys(DTYPE_BYTES).join(', ')}`);
  }
  if (!Array.isArray(shape) || !shape.every(isNonNegInt)) throw new Error(`${where} has shape ${JSON.stringify(shape)}; expected an array of non-negative integers`);
  if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every(isNonNegInt)) {
    throw new Error(`${where} has data_offsets ${JSON.stringify(offsets)}; expected [begin, end] with non-negative integers`);
  }
  const [begin, end] = offsets as [number, number];
  if (begin > end) throw new Error(`${where} has data_offsets [${begin}, ${end}] with begin after end`);
  if (end > dataLength) throw new Error(`${where} has data_offsets [${begin}, ${end}] beyond the data section of ${dataLength} bytes`);
  const d = dtype as SafetensorsDType;
  const numel = (shape as number[]).reduce((a, b) => a * b, 1);
  const bytes = numel * DTYPE_BYTES[d];
  if (bytes !== end - begin) {
    throw new Error(`${where}: shape [${(shape as number[]).join(', ')}] of ${d} needs ${bytes} bytes but data_offsets [${begin}, ${end}] hold ${end - begin}`);
  }
  return { key, dtype: d, shape: [...(shape as number[])], begin, end };
}

/** The entries must tile [0, dataLength) exactly: no overlap, no gap, nothing left over. */
function checkCoverage(file: string, entries: Entry[], dataLength: number): void {
  const sorted = [...entries].sort((a, b) => a.begin - b.begin || a.end - b.end);
  let pos = 0;
  let prev: Entry | null = null;
  for (const e of sorted) {
    if (e.begin < pos) throw new Error(`${file}: safetensors entries '${prev!.key}' and '${e.key}' overlap (bytes ${e.begin}..${pos} of the data section)`);
    if (e.begin > pos) throw new Error(`${file}: safetensors data bytes ${pos}..${e.begin} before entry '${e.key}' belong to no tensor`);
    pos = e.end;
    if (e.end > e.begin) prev = e;
  }
  if (pos !== dataLength) throw new Error(`${file}: the last ${dataLength - pos} byte(s) of the safetensors data section (from ${pos}) belong to no tensor`);
}

/** float16 bits → number (exact). */
function halfToNumber(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const m = h & 0x3ff;
  if (e === 0) return s * m * 2 ** -24;
  if (e === 31) return m ? NaN : s * Infinity;
  return s * (1 + m / 1024) * 2 ** (e - 15);
}

/** Decodes one entry's bytes (little-endian) into its host array. */
function decode(file: string, e: Entry, view: DataView, base: number): HostTensor['data'] {
  const n = (e.end - e.begin) / DTYPE_BYTES[e.dtype];
  const at = base + e.begin;
  const f32 = (get: (i: number) => number) => Float32Array.from({ length: n }, (_, i) => get(i));
  const toInt = (get: (i: number) => number | bigint): Int32Array => {
    const out = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      const v = get(i);
      if (v < -2147483648 || v > 2147483647) throw new Error(`${file}: safetensors entry '${e.key}' (${e.dtype}) holds ${v} at index ${i}, outside the int32 range the engine supports`);
      out[i] = Number(v);
    }
    return out;
  };
  switch (e.dtype) {
    case 'F64': return Float64Array.from({ length: n }, (_, i) => view.getFloat64(at + 8 * i, true));
    case 'F32': return f32((i) => view.getFloat32(at + 4 * i, true));
    case 'F16': return f32((i) => halfToNumber(view.getUint16(at + 2 * i, true)));
    case 'BF16': {
      const tmp = new DataView(new ArrayBuffer(4));
      return f32((i) => (tmp.setUint32(0, view.getUint16(at + 2 * i, true) << 16), tmp.getFloat32(0)));
    }
    case 'BOOL': return toInt((i) => (view.getUint8(at + i) ? 1 : 0));
    case 'U8': return toInt((i) => view.getUint8(at + i));
    case 'I8': return toInt((i) => view.getInt8(at + i));
    case 'U16': return toInt((i) => view.getUint16(at + 2 * i, true));
    case 'I16': return toInt((i) => view.getInt16(at + 2 * i, true));
    case 'I32': return toInt((i) => view.getInt32(at + 4 * i, true));
    case 'U32': return toInt((i) => view.getUint32(at + 4 * i, true));
    case 'I64': return toInt((i) => view.getBigInt64(at + 8 * i, true));
    case 'U64': return toInt((i) => view.getBigUint64(at + 8 * i, true));
    case 'F8_E5M2':
    case 'F8_E4M3':
      throw new Error(`${file}: safetensors entry '${e.key}' has dtype ${e.dtype}, which this reader does not decode`);
  }
}

/**
 * Parses safetensors bytes (`file` names them in errors). Validates: the 8-byte length fits the
 * file; the header is JSON holding an object; `__metadata__`, if present, maps strings to strings;
 * every entry has a known dtype, a shape of non-negative integers and in-bounds data_offsets whose
 * length is numel × dtype size; and the entries tile the data section exactly.
 */
export function parseSafetensors(bytes: Uint8Array, file = '<buffer>'): SafetensorsContents {
  if (bytes.length < 8) throw new Error(`${file}: a safetensors file starts with an 8-byte header length, but the file has only ${bytes.length} byte(s)`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n64 = view.getBigUint64(0, true);
  if (n64 > BigInt(bytes.length - 8)) throw new Error(`${file}: the safetensors header length ${n64} runs past the end of the file (${bytes.length - 8} bytes follow the length)`);
  const n = Number(n64);
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, 8 + n));
  } catch {
    throw new Error(`${file}: the safetensors header (${n} bytes after the length) is not valid UTF-8`);
  }
  const header = parseJson(text, file, 'safetensors header');
  if (typeof header !== 'object' || header === null || Array.isArray(header)) throw new Error(`${file}: the safetensors header must be a JSON object, got ${Array.isArray(header) ? 'an array' : String(header)}`);
  const dataLength = bytes.length - 8 - n;
  const metadata: Record<string, string> = {};
  const entries: Entry[] = [];
  for (const [key, raw] of Object.entries(header as Record<string, unknown>)) {
    if (key === METADATA_KEY) {
      if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new Error(`${file}: safetensors '${METADATA_KEY}' must be an object of strings`);
      for (const [mk, mv] of Object.entries(raw as Record<string, unknown>)) {
        if (typeof mv !== 'string') throw new Error(`${file}: safetensors '${METADATA_KEY}' entry '${mk}' must be a string, got ${JSON.stringify(mv)}`);
        metadata[mk] = mv;
      }
      continue;
    }
    entries.push(checkEntry(file, key, raw, dataLength));
  }
  checkCoverage(file, entries, dataLength);
  const tensors: Record<string, HostTensor> = {};
  for (const e of entries) tensors[e.key] = { dtype: e.dtype, shape: e.shape, data: decode(file, e, view, 8 + n) };
  return { tensors, metadata };
}

/** Reads and validates a safetensors file: host arrays (F64 kept in float64) and the metadata. */
export async function readSafetensors(path: string): Promise<SafetensorsContents> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new Error(`${path}: cannot read the safetensors file: ${code === 'ENOENT' ? 'no such file' : (err as Error).message}`);
  }
  return parseSafetensors(bytes, path);
}

/**
 * Host tensors → engine tensors on the current backend: float dtypes become float32 (F64 rounded),
 * integer dtypes and BOOL become int32. Call inside `withBackend` to choose the backend.
 */
export function hostToTensors(tensors: Record<string, HostTensor>, file = '<buffer>'): Record<string, Tensor> {
  const out: Record<string, Tensor> = {};
  for (const [k, t] of Object.entries(tensors)) {
    const dtype: DType = isFloat(t.dtype) ? 'float32' : 'int32';
    try {
      out[k] = tensor(dtype === 'float32' ? Float32Array.from(t.data) : t.data, t.shape, { dtype });
    } catch (e) {
      for (const v of Object.values(out)) v.dispose();
      throw new Error(`${file}: tensor '${k}' (${t.dtype} ${JSON.stringify(t.shape)}) cannot be loaded: ${(e as Error).message}`);
    }
  }
  return out;
}

/**
 * Loads a safetensors file as engine tensors (see `hostToTensors` for the dtype rules: F32/F64 →
 * float32; I32, I64, U8 … → int32, which `Module.loadStateDict` casts where a float parameter needs
 * it). The metadata is available through `readSafetensors`.
 *
 * @example
 * head.loadStateDict(await loadSafetensors('head.safetensors'));
 */
export async function loadSafetensors(path: string): Promise<Record<string, Tensor>> {
  return hostToTensors((await readSafetensors(path)).tensors, path);
}

// ---- writing ----

/**
 * Encodes host tensors (F32 or I32) as safetensors bytes. Keys are written in sorted order, data
 * back to back in that order, and the JSON header is padded with spaces to a multiple of 8 bytes.
 */
export function encodeSafetensors(
  entries: Record<string, { dtype: 'F32' | 'I32'; shape: readonly number[]; data: ArrayLike<number> }>,
  metadata?: Record<string, string>,
): Uint8Array {
  const keys = Object.keys(entries).sort();
  const header: Record<string, unknown> = {};
  if (metadata && Object.keys(metadata).length > 0) header[METADATA_KEY] = { ...metadata };
  let offset = 0;
  for (const k of keys) {
    if (k === METADATA_KEY) throw new Error(`encodeSafetensors: '${METADATA_KEY}' is reserved and cannot name a tensor`);
    const e = entries[k];
    if (e.dtype !== 'F32' && e.dtype !== 'I32') throw new Error(`encodeSafetensors: entry '${k}' has dtype ${String(e.dtype)}; only F32 and I32 are written`);
    const numel = e.shape.reduce((a, b) => a * b, 1);
    if (numel !== e.data.length) throw new Error(`encodeSafetensors: entry '${k}' has shape [${e.shape.join(', ')}] (${numel} elements) but ${e.data.length} values`);
    header[k] = { dtype: e.dtype, shape: [...e.shape], data_offsets: [offset, offset + 4 * numel] };
    offset += 4 * numel;
  }
  let json = JSON.stringify(header);
  const raw = new TextEncoder().encode(json).length;
  json += ' '.repeat((8 - (raw % 8)) % 8);
  const head = new TextEncoder().encode(json);
  const out = new Uint8Array(8 + head.length + offset);
  const view = new DataView(out.buffer);
  view.setBigUint64(0, BigInt(head.length), true);
  out.set(head, 8);
  let at = 8 + head.length;
  for (const k of keys) {
    const { dtype, data } = entries[k];
    for (let i = 0; i < data.length; i++, at += 4) {
      if (dtype === 'F32') view.setFloat32(at, data[i], true);
      else view.setInt32(at, data[i], true);
    }
  }
  return out;
}

/**
 * Saves tensors (float32 → F32, int32 → I32) and optional string metadata to `path`, atomically
 * (temporary file, fsync, rename). Awaits the tensors' values.
 *
 * @example
 * await saveSafetensors('head.safetensors', head.stateDict(), { epoch: '3' });
 */
export async function saveSafetensors(path: string, record: Record<string, SaveEntry>, metadata?: Record<string, string>): Promise<void> {
  const host: Record<string, { dtype: 'F32' | 'I32'; shape: readonly number[]; data: ArrayLike<number> }> = {};
  for (const [k, v] of Object.entries(record)) {
    if (v instanceof Tensor) host[k] = { dtype: v.dtype === 'int32' ? 'I32' : 'F32', shape: v.shape, data: await v.data() };
    else host[k] = v;
  }
  if (metadata) {
    for (const [mk, mv] of Object.entries(metadata)) {
      if (typeof mv !== 'string') throw new Error(`saveSafetensors: metadata entry '${mk}' must be a string, got ${JSON.stringify(mv)}`);
    }
  }
  let bytes: Uint8Array;
  try {
    bytes = encodeSafetensors(host, metadata);
  } catch (err) {
    throw new Error(`${path}: ${(err as Error).message}`);
  }
  await writeFileAtomic(path, bytes);
}
