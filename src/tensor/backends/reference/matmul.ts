/**
 * Reference batched matrix product: a triple loop per batch over explicit [b, m, k] / [b, k, n]
 * coordinates mapped through the MatmulSpec strides. Output is dense row-major [batch, M, N].
 */
import type { MatmulSpec } from '../../backend.js';

/**
 * Checks that every offset Σ (i_d · stride_d), 0 ≤ i_d < extent_d, lies in [0, length), so the loops
 * below never read past an operand. Strides may be 0 (broadcast) or negative.
 */
function checkReach(arg: string, length: number, extents: readonly number[], strides: readonly number[], spec: MatmulSpec): void {
  if (extents.some((e) => e === 0)) return; // nothing is read
  let lo = 0;
  let hi = 0;
  for (let d = 0; d < extents.length; d++) {
    const span = (extents[d] - 1) * strides[d];
    if (span < 0) lo += span;
    else hi += span;
  }
  if (lo < 0 || hi >= length) {
    throw new Error(
      `matmul: spec ${JSON.stringify(spec)} reads ${arg} at offsets ${lo}..${hi}, but ${arg} holds ${length} elements`,
    );
  }
}

/** out[b, m, n] = Σ_k A[b, m, k] · B[b, k, n] with A and B addressed through the spec's strides. */
export function matmul(a: Float64Array, b: Float64Array, spec: MatmulSpec): Float64Array {
  const { batch, M, K, N } = spec;
  checkReach('a', a.length, [batch, M, K], [spec.aBatch, spec.aRow, spec.aCol], spec);
  checkReach('b', b.length, [batch, K, N], [spec.bBatch, spec.bRow, spec.bCol], spec);
  const out = new Float64Array(batch * M * N);
  for (let bi = 0; bi < batch; bi++) {
    for (let m = 0; m < M; m++) {
      for (let n = 0; n < N; n++) {
        let s = 0;
        for (let k = 0; k < K; k++) {
          const av = a[bi * spec.aBatch + m * spec.aRow + k * spec.aCol];
          const bv = b[bi * spec.bBatch + k * spec.bRow + n * spec.bCol];
          s += av * bv;
        }
        out[(bi * M + m) * N + n] = s;
      }
    }
  }
  return out;
}
