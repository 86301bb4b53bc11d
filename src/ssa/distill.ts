/**
 * Online multi-domain distillation from the ground-truth-guided teacher to the student (§5.1,
 * §5.3, §5.4). Every teacher quantity is detached here: the teacher learns only from its own CE
 * and Dice losses.
 */
import type { Tensor } from '../tensor/tensor.js';
import {
  add, div, eye, gt, log, logSoftmax, matmul, maximum, mean, mul, neg, normalize, relu, softmax, sub, sum,
} from '../tensor/ops.js';
import { COSINE_SCALE, NORM_EPS } from './classifier.js';
import type { SsaTargets } from './targets.js';

/** Weight of L_sd in the total (`disLoss` = 10·L_sd). */
export const SD_WEIGHT = 10;
/** Weight of L_pd in the total (`pos_disLoss` = 0.4·L_pd). */
export const PD_WEIGHT = 0.4;
/** Guard inside the teacher-entropy log and the L_rd cell denominators. */
const EPS = 1e-12;

/**
 * Response-domain distillation L_rd (§5.1), the `KLLoss`, at feature resolution:
 * p̂ = softmax_K(Ô), q = ½p̂ + ½·onehot(y_s), ℓ(n) = −Σ_k q_k log softmax_K(O)_k,
 * w(n) = −Σ_k p̂_k log(p̂_k + 1e-12) (0 at ignored pixels), B the boundary mask, m_c = [y_s = c];
 * per class present in the batch: L_c = ½( Σℓ·w·m_c·B / (Σw·m_c·B + ε) + Σℓ·w·m_c·(1−B) / (Σw·m_c·(1−B) + ε) )
 * (sums over the whole batch); L_rd = mean of L_c over present classes, 0 if none.
 * NOTE: the official one-hot puts ignored pixels in class 0; here their row is zero. Their weight
 * w is 0 either way, so the value and the gradient are the same.
 * student O, teacher Ô: [B, K, h, w] → scalar. Ô is detached.
 */
export function responseDistillation(student: Tensor, teacher: Tensor, t: SsaTargets): Tensor {
  const ph = softmax(teacher.detach(), 1);
  const q = add(mul(ph, 0.5), mul(t.smallOneHot, 0.5));
  const ell = neg(sum(mul(q, logSoftmax(student, 1)), 1, true)); // [B, 1, h, w]
  const w = mul(neg(sum(mul(ph, log(add(ph, EPS))), 1, true)), t.smallValid);
  const G = t.smallOneHot; // m_c for every class at once: [B, K, h, w]
  const cell = (region: Tensor) => {
    const gw = mul(G, mul(w, region)); // w·m_c·region, constant
    return div(sum(mul(gw, ell), [0, 2, 3]), add(sum(gw, [0, 2, 3]), EPS)); // [K]
  };
  const Lc = mul(add(cell(t.boundary), cell(sub(1, t.boundary))), 0.5);
  const present = gt(sum(G, [0, 2, 3]), 0);
  return div(sum(mul(Lc, present)), maximum(sum(present), 1));
}

/**
 * The inter-class relation of prototypes Z (§5.3): Ẑ = Z / (‖Z‖₂ + 1e-12) row-wise,
 * R(Z) = softmax over the last axis of 15·Ẑ·stopgrad(Ẑ)ᵀ, diagonal included.
 * Z: [B, K, C] → [B, K, K]; only the left factor carries gradient.
 */
export function relationMatrix(Z: Tensor): Tensor {
  const zn = normalize(Z, { axis: -1, eps: NORM_EPS });
  return softmax(mul(matmul(zn, zn.detach(), { transB: true }), COSINE_SCALE), -1);
}

/**
 * Semantic-domain distillation L_sd (§5.3), unweighted (`disLoss` = 10·L_sd):
 * L_sd = mean over (b, i) of Σ_{j≠i} ReLU(R(S_p)[b,i,j] − R(Ŝ_p)[b,i,j]), all K classes, Ŝ_p detached.
 * Sp, SpT: [B, K, C] → scalar.
 */
export function semanticDistillation(Sp: Tensor, SpT: Tensor): Tensor {
  const [B, K] = Sp.shape;
  const diff = relu(sub(relationMatrix(Sp), relationMatrix(SpT.detach())));
  const offDiagonal = sub(1, eye(K));
  return div(sum(mul(diff, offDiagonal)), B * K);
}

/**
 * Spatial-domain distillation L_pd (§5.4), unweighted (`pos_disLoss` = 0.4·L_pd): a channel-wise
 * softmax cross-entropy, L_pd = mean over (b, k) of −Σ_d softmax_C(P̂_p)[b,k,d]·log softmax_C(P_p)[b,k,d],
 * temperature 1, P̂_p detached. Pp, PpT: [B, K, C] → scalar.
 */
export function spatialDistillation(Pp: Tensor, PpT: Tensor): Tensor {
  const target = softmax(PpT.detach(), -1);
  return mean(neg(sum(mul(target, logSoftmax(Pp, -1)), -1)));
}
