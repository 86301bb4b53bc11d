/** Element types. float32 for values; int32 for labels and indices. */
export type DType = 'float32' | 'int32';

/** Host arrays the engine hands out: float32 or int32, or float64 from the reference (oracle) backend. */
export type HostArray = Float32Array | Int32Array | Float64Array;

export function assertDType(op: string, dtype: unknown): asserts dtype is DType {
  if (dtype !== 'float32' && dtype !== 'int32') {
    throw new Error(`${op}: dtype must be 'float32' or 'int32', got ${JSON.stringify(dtype)}`);
  }
}
