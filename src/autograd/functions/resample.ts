/**
 * Separable resampling of the last two axes (interpolate): out[p] = Rh · x[p] · Rwᵀ over the planes p
 * of x [N, C, H, W], with Rh [OH, H] and Rw [OW, W] the dense resampling matrices of ops.ts.
 */
import { AutogradFunction } from '../function.js';
import { type Backend, type MatmulSpec, type ResampleAxis, resampleAxis } from '../../tensor/backend.js';
import type { RawTensor } from '../../tensor/raw-tensor.js';

/** The bands of Rh and Rw (forward) or of Rhᵀ and Rwᵀ (backward), built on first use. */
interface Bands {
  h: ResampleAxis;
  w: ResampleAxis;
}

/**
 * out[p] = Rh · x[p] · Rwᵀ; the map is linear, so dx[p] = Rhᵀ · dy[p] · Rw, the same map with the
 * transposed matrices, and one kernel serves both directions.
 *
 * NOTE: both directions ask the backend's optional `resample2d` first (one launch over every plane,
 * the matrices as bands: 2 nonzeros per row for bilinear) and run the two dense matmuls of before
 * where it is absent or declines (reference, webgpu, headlessgl, CPU modes without host kernels).
 * The fallback lives here rather than as a composite default in each backend because it is made of
 * backend ops already (matmul), and keeping it in one place keeps every backend's numbers as they were.
 */
export class Resample2d extends AutogradFunction {
  readonly name = 'interpolate';
  private fwd: Bands | null = null;
  private bwd: Bands | null = null;
  constructor(
    /** Rh [OH, H], row-major. */
    readonly rh: Float64Array,
    /** Rw [OW, W], row-major. */
    readonly rw: Float64Array,
    readonly OH: number,
    readonly OW: number,
  ) {
    super();
  }
  forward(x: RawTensor) {
    const [N, C, H, W] = x.shape;
    this.fwd ??= { h: resampleAxis(this.rh, this.OH, H), w: resampleAxis(this.rw, this.OW, W) };
    return this.b.resample2d?.(x, this.fwd.h, this.fwd.w, [N, C, this.OH, this.OW]) ?? this.composite(x, false, [N, C, H, W]);
  }
  backward(dy: RawTensor) {
    if (!this.needsInputGrad[0]) return [null];
    const [N, C] = dy.shape;
    const H = this.rh.length / this.OH;
    const W = this.rw.length / this.OW;
    this.bwd ??= { h: resampleAxis(this.rh, this.OH, H, true), w: resampleAxis(this.rw, this.OW, W, true) };
    return [this.b.resample2d?.(dy, this.bwd.h, this.bwd.w, [N, C, H, W]) ?? this.composite(dy, true, [N, C, H, W])];
  }

  /**
   * The two matmuls with the dense matrices (strided reads, no transposed copies): forward
   * [P·H, W]·Rwᵀ then Rh·[P, H, OW]; backward Rhᵀ·dy[p] then [P·H, OW]·Rw.
   */
  private composite(v: RawTensor, back: boolean, inShape: readonly number[]): RawTensor {
    const bk: Backend = this.b;
    const [N, C, H, W] = inShape;
    const { OH, OW } = this;
    const P = N * C;
    const rh = bk.upload(this.rh, [OH, H], 'float32');
    const rw = bk.upload(this.rw, [OW, W], 'float32');
    const mm = (a: RawTensor, b: RawTensor, s: Omit<MatmulSpec, 'aBatch' | 'bBatch'> & Partial<MatmulSpec>, shape: number[]) =>
      bk.matmul(a, b, { aBatch: 0, bBatch: 0, ...s }, shape);
    let out: RawTensor;
    if (!back) {
      // [P·H, W] · Rwᵀ: B[k, n] = Rw[n, k]
      const t = mm(v, rw, { batch: 1, M: P * H, K: W, N: OW, aRow: W, aCol: 1, bRow: 1, bCol: W }, [P * H, OW]);
      // Rh (shared by every plane) · t[p]
      out = mm(rh, t, { batch: P, M: OH, K: H, N: OW, aRow: H, aCol: 1, bBatch: H * OW, bRow: OW, bCol: 1 }, [N, C, OH, OW]);
      t.dispose();
    } else {
      // Rhᵀ · dy[p]: A[m, k] = Rh[k, m]
      const t = mm(rh, v, { batch: P, M: H, K: OH, N: OW, aRow: 1, aCol: H, bBatch: OH * OW, bRow: OW, bCol: 1 }, [P, H, OW]);
      // [P·H, OW] · Rw
      out = mm(t, rw, { batch: 1, M: P * H, K: OW, N: W, aRow: OW, aCol: 1, bRow: W, bCol: 1 }, [N, C, H, W]);
      t.dispose();
    }
    rh.dispose();
    rw.dispose();
    return out;
  }
}
