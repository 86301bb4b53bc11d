/**
 * Losses fused into one backend launch each way, where the backend has them (the CPU backends'
 * WebAssembly host kernels). crossEntropy uses them only then; elsewhere it composes ordinary
 * primitives (LogSoftmax, Gather, ...), which the fused ones are tested against.
 */
import { AutogradFunction } from '../function.js';
import type { RawTensor } from '../../tensor/raw-tensor.js';

/**
 * Per-position softmax cross-entropy of logits x [N, C, ...] (class axis 1) against int32 targets
 * [N, ...]: loss = log Σ_c e^x − x[t], 0 where t = ignoreIndex.
 * dx = (softmax(x) − onehot(t))·dy per position, 0 at ignored positions. The forward keeps the
 * log-sum-exp [N, ...] so the backward is one pass over x (no softmax tensor of x's size is kept).
 * NOTE: only for backends with `softmaxCrossEntropy` (crossEntropy checks); the targets get no gradient.
 */
export class SoftmaxCrossEntropy extends AutogradFunction {
  readonly name = 'crossEntropy';
  constructor(readonly ignoreIndex: number) {
    super();
  }
  forward(x: RawTensor, target: RawTensor) {
    const run = this.b.softmaxCrossEntropy;
    if (!run) throw new Error(`crossEntropy: the ${this.b.name} backend has no fused softmax cross-entropy (internal: crossEntropy checks for it first)`);
    const [loss, lse] = run(x, target, this.ignoreIndex);
    this.saveForBackward(x, target, lse);
    lse.dispose();
    return loss;
  }
  backward(dy: RawTensor) {
    const [x, target, lse] = this.saved;
    const run = this.b.softmaxCrossEntropyBackward;
    if (!run) {
      throw new Error(`crossEntropy: the ${this.b.name} backend ran the fused forward for logits ${JSON.stringify(x.shape)} but no longer has its backward (were its host kernels removed in between?)`);
    }
    return [run(x, target, lse, dy, this.ignoreIndex), null];
  }
}
