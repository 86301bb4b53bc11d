/**
 * Matrix product primitive over operands the tensor layer has brought to the forms
 * a [B, M, K] or [M, K] and b [B, K, N] or [K, N] (a 2-D operand is shared by every batch).
 */
import { AutogradFunction } from '../function.js';
import type { MatmulSpec } from '../../tensor/backend.js';
import type { RawTensor } from '../../tensor/raw-tensor.js';
import { reduceAxes, view } from '../../tensor/raw-ops.js';

interface Operand {
  batched: boolean;
  rows: number;
  cols: number;
}

function describe(x: RawTensor): Operand {
  const r = x.rank;
  return { batched: r === 3, rows: x.shape[r - 2], cols: x.shape[r - 1] };
}

/**
 * out[b] = op(a)[b] · op(b)[b], where op transposes when asked. Works on any mix of batched and
 * shared operands by strides (a shared operand has batch stride 0).
 */
function product(bk: AutogradFunction['b'], a: RawTensor, transA: boolean, b: RawTensor, transB: boolean, batch: number): RawTensor {
  const A = describe(a);
  const B = describe(b);
  const M = transA ? A.cols : A.rows;
  const K = transA ? A.rows : A.cols;
  const N = transB ? B.rows : B.cols;
  const spec: MatmulSpec = {
    batch, M, K, N,
    aBatch: A.batched ? A.rows * A.cols : 0,
    aRow: transA ? 1 : A.cols,
    aCol: transA ? A.cols : 1,
    bBatch: B.batched ? B.rows * B.cols : 0,
    bRow: transB ? 1 : B.cols,
    bCol: transB ? B.cols : 1,
  };
  return bk.matmul(a, b, spec, batch > 1 || A.batched || B.batched ? [batch, M, N] : [M, N]);
}

/**
 * Y = op(A)·op(B) (batched), op transposing the last two axes when the flag is set (a strided read,
 * never a copy).  With Y = P·Q: dP = dY·Qᵀ, dQ = Pᵀ·dY, transposed back for a transposed operand;
 * a shared (2-D) operand's gradient sums over the batch.
 */
export class Matmul extends AutogradFunction {
  readonly name = 'matmul';
  private batch = 1;
  constructor(
    readonly transA = false,
    readonly transB = false,
  ) {
    super();
  }
  forward(a: RawTensor, b: RawTensor) {
    this.saveForBackward(a, b);
    this.batch = a.rank === 3 ? a.shape[0] : b.rank === 3 ? b.shape[0] : 1;
    return product(this.b, a, this.transA, b, this.transB, this.batch);
  }
  backward(dy: RawTensor) {
    const [a, b] = this.saved;
    const bk = this.b;
    const { transA: tA, transB: tB } = this;
    let da: RawTensor | null = null;
    let db: RawTensor | null = null;
    if (this.needsInputGrad[0]) {
      // dA = dY·op(B)ᵀ, or its transpose op(B)·dYᵀ when A is read transposed.
      const full = tA ? product(bk, b, tB, dy, true, this.batch) : product(bk, dy, false, b, !tB, this.batch);
      da = a.rank === 3 || full.rank === 2 ? full : this.sumBatch(full, a.shape);
    }
    if (this.needsInputGrad[1]) {
      // dB = op(A)ᵀ·dY, or its transpose dYᵀ·op(A) when B is read transposed.
      const full = tB ? product(bk, dy, true, a, tA, this.batch) : product(bk, a, !tA, dy, false, this.batch);
      db = b.rank === 3 || full.rank === 2 ? full : this.sumBatch(full, b.shape);
    }
    return [da, db];
  }
  private sumBatch(full: RawTensor, shape: readonly number[]): RawTensor {
    const s = reduceAxes(this.b, 'sum', full, [0]);
    full.dispose();
    const out = view(s, shape);
    s.dispose();
    return out;
  }
}
