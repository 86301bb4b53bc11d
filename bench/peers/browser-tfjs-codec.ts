/**
 * JSON with typed arrays, for the browser peer (bench/peers/browser-tfjs.ts): a value made of
 * JSON types plus Float32Array / Int32Array / Uint8Array is turned into plain JSON (each typed
 * array as `{ $typed: 'Float32Array', b64: '…' }`, its bytes in base64) and back. Runs in Node and
 * in the page alike (atob / btoa only), so weights, batches, gradients and logits cross
 * `page.evaluate` as one string each way, bit for bit.
 */

type TypedName = 'Float32Array' | 'Int32Array' | 'Uint8Array';
const CTORS = { Float32Array, Int32Array, Uint8Array } as const;

interface Encoded {
  $typed: TypedName;
  b64: string;
}

function toBase64(bytes: Uint8Array): string {
  let s = '';
  // NOTE: chunks keep String.fromCharCode's argument list well under the engines' limits.
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(s);
}

function fromBase64(b64: string): Uint8Array {
  const s = atob(b64);
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}

function encodeValue(v: unknown): unknown {
  for (const name of Object.keys(CTORS) as TypedName[]) {
    if (v instanceof CTORS[name]) {
      const a = v as Float32Array | Int32Array | Uint8Array;
      return { $typed: name, b64: toBase64(new Uint8Array(a.buffer, a.byteOffset, a.byteLength)) } satisfies Encoded;
    }
  }
  if (ArrayBuffer.isView(v)) throw new Error(`browser codec: unsupported typed array ${(v as object).constructor.name} (Float32Array, Int32Array and Uint8Array only)`);
  if (Array.isArray(v)) return v.map(encodeValue);
  if (v !== null && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, encodeValue(x)]));
  return v;
}

function decodeValue(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(decodeValue);
  if (v !== null && typeof v === 'object') {
    const e = v as Partial<Encoded>;
    if (typeof e.$typed === 'string' && typeof e.b64 === 'string') {
      const ctor = CTORS[e.$typed];
      if (!ctor) throw new Error(`browser codec: unknown typed array ${e.$typed}`);
      const bytes = fromBase64(e.b64);
      // a fresh, aligned buffer of exactly these bytes
      return new ctor(bytes.buffer as ArrayBuffer, 0, bytes.byteLength / ctor.BYTES_PER_ELEMENT);
    }
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, decodeValue(x)]));
  }
  return v;
}

/** A value (JSON types and typed arrays) as one JSON string. */
export function encode(value: unknown): string {
  return JSON.stringify(encodeValue(value));
}

/** The inverse of `encode`. */
export function decode<T>(json: string): T {
  return decodeValue(JSON.parse(json)) as T;
}
