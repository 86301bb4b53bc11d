/**
 * SSAHead: the SSA-Seg pixel classifier (semantic and spatial prototype adaptation, cosine
 * classifier, ground-truth-guided teacher and its distillation losses) as one decode-head module,
 * with the official module's parameter names so official state dicts load as they are.
 */
import type { ClassifierHead, HeadOutput } from '../models/heads.js';
import { noGrad } from '../autograd/grad-mode.js';
import { Module } from '../nn/module.js';
import { Conv2d } from '../nn/layers/conv.js';
import { Linear, Embedding } from '../nn/layers/linear.js';
import { Dropout2d, type Sequential } from '../nn/layers/basic.js';
import { normal } from '../nn/init.js';
import type { Tensor } from '../tensor/tensor.js';
import { add, div, expand, mul, reshape, softmax, zeros } from '../tensor/ops.js';
import { fmt } from '../tensor/shape.js';
import { COSINE_SCALE, cosineLogits } from './classifier.js';
import { PD_WEIGHT, SD_WEIGHT, responseDistillation, semanticDistillation, spatialDistillation } from './distill.js';
import { diceLoss, mmsegCrossEntropy, upsample, validMeanCrossEntropy } from './losses.js';
import { positionFeatures } from './position.js';
import { projectionMlp } from './projection.js';
import { coarseLogits, fixedPrototypes } from './prototypes.js';
import { fusedSsaLogits } from './fused.js';
import { semanticCentres, semanticPrototypes } from './semantic.js';
import { spatialCentres, spatialPrototypes } from './spatial.js';
import { BOUNDARY_BORDER } from './boundary.js';
import { prepareTargets, type SsaTargets } from './targets.js';
import { gtSemanticCentres, gtSpatialCentres, teacherSpatialPrototypes } from './teacher.js';

/** Constructor options. Every ablation switch defaults to on (the full method). */
export interface SSAHeadOptions {
  /** Decoder feature channels C. */
  channels: number;
  /** Number of classes K. */
  numClasses: number;
  /** Dropout2d probability on the coarse path's input only (default 0.1). */
  dropoutRatio?: number;
  /** SEPA, semantic prototype adaptation (S_p). Off: class embedding W_o(S + P_p). */
  sepa?: boolean;
  /** SPPA, spatial prototype adaptation (P_f, P, P_p). Off: class embedding W_o(S_p), pixel embedding S_f. */
  sppa?: boolean;
  /** The ground-truth-guided teacher and all distillation. Off: no teacher, no L_rd, L_sd, L_pd. */
  teacher?: boolean;
  /** Response distillation L_rd (`KLLoss`); needs the teacher. */
  lrd?: boolean;
  /** Semantic distillation 10·L_sd (`disLoss`); needs the teacher and SEPA. */
  lsd?: boolean;
  /** Spatial distillation 0.4·L_pd (`pos_disLoss`); needs the teacher and SPPA. */
  lpd?: boolean;
  /** The sigmoid Dice losses (`dice_pred`, and `dice_gt` with the teacher). */
  dice?: boolean;
  /** Dead border of the boundary mask in pixels (official 6; shrink it on toy feature maps). */
  boundaryBorder?: number;
}

/** The switches as they take effect (a switch whose prerequisite is off is off). */
export interface SSAHeadConfig {
  sepa: boolean;
  sppa: boolean;
  teacher: boolean;
  lrd: boolean;
  lsd: boolean;
  lpd: boolean;
  dice: boolean;
  boundaryBorder: number;
}

/** Loss names, as the official head's loss dict, in the order they are summed into `total`. */
export const SSA_LOSS_NAMES = ['MainLoss', 'PreSelfLoss', 'PreLoss', 'KLLoss', 'dice_pred', 'dice_gt', 'disLoss', 'pos_disLoss'] as const;
/** One loss term's key: `MainLoss` (L_main), `PreSelfLoss` (L_coarse), `PreLoss` (L_teacher), `KLLoss` (L_rd), `dice_pred`, `dice_gt`, `disLoss` (10·L_sd), `pos_disLoss` (0.4·L_pd). */
export type SSALossName = (typeof SSA_LOSS_NAMES)[number];

/** What `forwardTrain` returns. */
export interface SSATrainOutput extends HeadOutput {
  /** Final logits O: [B, K, h, w]. */
  logits: Tensor;
  /** Coarse logits M_c of the 1×1 conv: [B, K, h, w]. */
  coarse: Tensor;
  /** Teacher logits Ô: [B, K, h, w], or null without the teacher. */
  teacherLogits: Tensor | null;
  /** Adapted prototypes [B, K, C] of student (Sp, Pp) and teacher (SpT, PpT); null when switched off. */
  prototypes: { Sp: Tensor | null; Pp: Tensor | null; SpT: Tensor | null; PpT: Tensor | null };
  /** The label-derived tensors of the step (downsampled labels, one-hots, boundary mask). */
  targets: SsaTargets;
  /**
   * Scalar loss terms keyed by `SSA_LOSS_NAMES`, and `total`, their sum. Terms switched off are
   * absent (not zero-valued): MainLoss and total are always present.
   */
  losses: Record<string, Tensor>;
}

/** What `explain` returns, every map [B, K, h, w], without gradient. */
export interface SSAExplanation {
  /** Coarse logits M_c (no dropout). */
  coarse: Tensor;
  /** Final logits O. */
  logits: Tensor;
  /** cos(S_f, S_k): the activation of each fixed prototype. */
  fixed: Tensor;
  /** cos(S_f + P_f, W_o(S_p + P_p)_k) = O / 15: the activation of each adapted prototype. */
  adapted: Tensor;
  /** softmax over pixels of M_c: where SPPA looks for each class's spatial centre. */
  spatialAttention: Tensor;
  /** softmax over classes of M_c: the weights of SEPA's soft class means. */
  semanticAttention: Tensor;
}

/** Intermediate results of the student (primary classifier). */
interface Student {
  coarse: Tensor;
  logits: Tensor;
  /** Pixel embedding F = S_f + P_f (or S_f), [B, C, N]. */
  pixel: Tensor;
  S: Tensor;
  Sp: Tensor | null;
  Pp: Tensor | null;
  /** P_f as [B, C, N] (null without SPPA). */
  pos: Tensor | null;
}

/**
 * The SSA-Seg classifier head. feat: decoder features S_f [B, C, h, w].
 *
 * Parameters (official names): `conv_seg.{weight [K,C,1,1], bias [K]}` (init N(0, 0.01) and 0),
 * `get_feat_pos.{weight [C,1,3,3], bias [C]}`, `center_pos.weight [K,C]` (N(0, 1)),
 * `{center,gt_center}_{content,pos}_proj.{0.weight [C/2,2C], 2.weight [C,C/2], 2.bias [C]}`,
 * `center_proj.weight`, `gt_center_proj.weight` [C,C]; PyTorch default inits elsewhere.
 * Modules an ablation switches off are not created (load official state dicts with strict: false).
 *
 * @example
 * const head = new SSAHead({ channels: 64, numClasses: 5 });
 * const out = head.forwardTrain(feat, labels);      // labels int32 [B, H, W], 255 = ignore
 * out.losses.total.backward();
 * const logits = head.eval().forward(feat);         // [B, K, h, w]
 */
export class SSAHead extends Module implements ClassifierHead {
  readonly channels: number;
  readonly numClasses: number;
  readonly config: SSAHeadConfig;
  readonly dropout: Dropout2d;
  readonly conv_seg: Conv2d;
  readonly get_feat_pos: Conv2d | null = null;
  readonly center_pos: Embedding | null = null;
  readonly center_content_proj: Sequential | null = null;
  readonly center_pos_proj: Sequential | null = null;
  readonly center_proj: Linear | null = null;
  readonly gt_center_content_proj: Sequential | null = null;
  readonly gt_center_pos_proj: Sequential | null = null;
  readonly gt_center_proj: Linear | null = null;

  /**
   * Inference through the backend's fused SSA pass where it has one (eval mode, no gradient needed;
   * the CPU backends with WebAssembly kernels): one launch instead of ~30. Default true. Set false
   * to run the composite of ordinary ops everywhere (the two agree to f32 rounding).
   */
  fusedInference = true;

  constructor(opts: SSAHeadOptions) {
    super();
    const { channels: C, numClasses: K } = opts;
    if (!Number.isInteger(C) || C < 2) throw new Error(`SSAHead: channels must be an integer ≥ 2, got ${C}`);
    if (!Number.isInteger(K) || K < 1) throw new Error(`SSAHead: numClasses must be a positive integer, got ${K}`);
    this.channels = C;
    this.numClasses = K;
    const sepa = opts.sepa ?? true;
    const sppa = opts.sppa ?? true;
    const adaptive = sepa || sppa;
    const teacher = adaptive && (opts.teacher ?? true);
    this.config = {
      sepa,
      sppa,
      teacher,
      lrd: teacher && (opts.lrd ?? true),
      lsd: teacher && sepa && (opts.lsd ?? true),
      lpd: teacher && sppa && (opts.lpd ?? true),
      dice: adaptive && (opts.dice ?? true),
      boundaryBorder: opts.boundaryBorder ?? BOUNDARY_BORDER,
    };
    this.dropout = this.registerModule('dropout', new Dropout2d(opts.dropoutRatio ?? 0.1));
    this.conv_seg = this.registerModule('conv_seg', new Conv2d(C, K, 1));
    noGrad(() => {
      // mmseg BaseDecodeHead.init_weights: normal_init(conv_seg, mean 0, std 0.01, bias 0).
      const w = normal([K, C, 1, 1], 0.01);
      const b = zeros([K]);
      this.conv_seg.weight.assign(w);
      this.conv_seg.bias!.assign(b);
      w.dispose();
      b.dispose();
    });
    if (sppa) {
      this.get_feat_pos = this.registerModule('get_feat_pos', new Conv2d(C, C, 3, { padding: 1, groups: C }));
      this.center_pos = this.registerModule('center_pos', new Embedding(K, C));
    }
    if (sepa) this.center_content_proj = this.registerModule('center_content_proj', projectionMlp(C));
    if (sppa) this.center_pos_proj = this.registerModule('center_pos_proj', projectionMlp(C));
    if (adaptive) this.center_proj = this.registerModule('center_proj', new Linear(C, C, { bias: false }));
    if (teacher && sepa) this.gt_center_content_proj = this.registerModule('gt_center_content_proj', projectionMlp(C));
    if (teacher && sppa) this.gt_center_pos_proj = this.registerModule('gt_center_pos_proj', projectionMlp(C));
    if (teacher) this.gt_center_proj = this.registerModule('gt_center_proj', new Linear(C, C, { bias: false }));
  }

  private checkFeat(op: string, feat: Tensor): void {
    if (feat.rank !== 4 || feat.shape[1] !== this.channels) {
      throw new Error(`SSAHead.${op}: features must be [B, ${this.channels}, h, w], got ${fmt(feat.shape)}`);
    }
  }

  /** The primary classifier, §3 steps 1–7 (dropout on the coarse path only, when `drop`). */
  private student(feat: Tensor, drop: boolean): Student {
    const [B, C, h, w] = feat.shape;
    const K = this.numClasses;
    const S = fixedPrototypes(this.conv_seg.weight);
    const coarse = coarseLogits(drop ? this.dropout.forward(feat) : feat, this.conv_seg.weight, this.conv_seg.bias!);
    const f3 = reshape(feat, [B, C, h * w]);
    if (!this.center_proj) return { coarse, logits: coarse, pixel: f3, S, Sp: null, Pp: null, pos: null };
    const c3 = reshape(coarse, [B, K, h * w]);
    let pos: Tensor | null = null;
    let Pp: Tensor | null = null;
    if (this.get_feat_pos && this.center_pos && this.center_pos_proj) {
      pos = reshape(positionFeatures(feat, this.get_feat_pos.weight, this.get_feat_pos.bias!), [B, C, h * w]);
      Pp = spatialPrototypes(this.center_pos_proj, this.center_pos.weight, spatialCentres(c3, pos));
    }
    const Sp = this.center_content_proj ? semanticPrototypes(this.center_content_proj, semanticCentres(c3, f3), S) : null;
    const pixel = pos ? add(f3, pos) : f3;
    const classes = this.center_proj.forward(combine(Sp, Pp, S));
    return { coarse, logits: reshape(cosineLogits(pixel, classes), [B, K, h, w]), pixel, S, Sp, Pp, pos };
  }

  /** The ground-truth-guided teacher, §4, sharing S_f, P_f, S and P with the student. */
  private teacher(feat: Tensor, st: Student, t: SsaTargets): { logits: Tensor; SpT: Tensor | null; PpT: Tensor | null } {
    const [B, C, h, w] = feat.shape;
    const K = this.numClasses;
    const G = reshape(t.smallOneHot, [B, K, h * w]);
    let SpT: Tensor | null = null;
    let PpT: Tensor | null = null;
    if (this.gt_center_content_proj) {
      const SpK = semanticPrototypes(this.gt_center_content_proj, gtSemanticCentres(reshape(feat, [B, C, h * w]), G, st.S), st.S);
      SpT = expand(SpK, [B, K, C]); // one matrix for the batch, repeated per image
    }
    if (this.gt_center_pos_proj && this.center_pos && st.pos) {
      const P = this.center_pos.weight;
      PpT = teacherSpatialPrototypes(this.gt_center_pos_proj, gtSpatialCentres(st.pos, G, P), P);
    }
    const classes = this.gt_center_proj!.forward(combine(SpT, PpT, st.S));
    return { logits: reshape(cosineLogits(st.pixel, classes), [B, K, h, w]), SpT, PpT };
  }

  /**
   * Inference (and the training-mode forward without losses): feat [B, C, h, w] → O [B, K, h, w].
   * Dropout applies to the coarse path in training mode only. Upsample to the image yourself
   * (the official test path: bilinear, align_corners = False).
   */
  forward(feat: Tensor): Tensor {
    this.checkFeat('forward', feat);
    if (!this.training && this.fusedInference) {
      const fused = this.fusedLogits(feat);
      if (fused) return fused;
    }
    return this.student(feat, this.training).logits;
  }

  /** The eval-mode student logits in one backend launch, or null where that is not possible. */
  private fusedLogits(feat: Tensor): Tensor | null {
    const mlp = (phi: Sequential | null) => {
      if (!phi) return [null, null, null];
      const [l1, , l2] = phi.layers as [Linear, unknown, Linear];
      return [l1.weight, l2.weight, l2.bias];
    };
    const weights = [
      this.conv_seg.weight, this.conv_seg.bias,
      this.get_feat_pos?.weight ?? null, this.get_feat_pos?.bias ?? null, this.center_pos?.weight ?? null,
      ...mlp(this.center_pos_proj), ...mlp(this.center_content_proj),
      this.center_proj?.weight ?? null,
    ];
    return fusedSsaLogits(feat, weights, this.numClasses, this.config.sepa, this.config.sppa);
  }

  /**
   * One training step's forward pass and losses (§3–§5). labels: int32 [B, H, W], values in [0, K)
   * or `ignoreIndex` (default 255). Returns the logits, the teacher's, the prototypes, the targets
   * and `losses` (see SSATrainOutput); call `losses.total.backward()`.
   */
  forwardTrain(feat: Tensor, labels: Tensor, ignoreIndex = 255): SSATrainOutput {
    this.checkFeat('forwardTrain', feat);
    const [B, , h, w] = feat.shape;
    if (labels.rank !== 3 || labels.shape[0] !== B) {
      throw new Error(`SSAHead.forwardTrain: labels must be [${B}, H, W] for features ${fmt(feat.shape)}, got ${fmt(labels.shape)}`);
    }
    const cfg = this.config;
    const t = prepareTargets(labels, this.numClasses, ignoreIndex, [h, w], cfg.boundaryBorder);
    const [H, W] = labels.shape.slice(1);
    const st = this.student(feat, this.training);
    const tb = cfg.teacher ? this.teacher(feat, st, t) : null;
    const losses: Record<string, Tensor> = {};
    const up = upsample(st.logits, H, W);
    const upT = tb ? upsample(tb.logits, H, W) : null;
    losses.MainLoss = mmsegCrossEntropy(up, t);
    if (st.logits !== st.coarse) losses.PreSelfLoss = validMeanCrossEntropy(upsample(st.coarse, H, W), t);
    if (tb && upT) {
      losses.PreLoss = validMeanCrossEntropy(upT, t);
      if (cfg.lrd) losses.KLLoss = responseDistillation(st.logits, tb.logits, t);
    }
    if (cfg.dice) {
      losses.dice_pred = diceLoss(up, t);
      if (upT) losses.dice_gt = diceLoss(upT, t);
    }
    if (tb && cfg.lsd && st.Sp && tb.SpT) losses.disLoss = mul(semanticDistillation(st.Sp, tb.SpT), SD_WEIGHT);
    if (tb && cfg.lpd && st.Pp && tb.PpT) losses.pos_disLoss = mul(spatialDistillation(st.Pp, tb.PpT), PD_WEIGHT);
    let total: Tensor | null = null;
    for (const k of SSA_LOSS_NAMES) if (losses[k]) total = total ? add(total, losses[k]) : losses[k];
    losses.total = total!;
    return {
      logits: st.logits,
      coarse: st.coarse,
      teacherLogits: tb ? tb.logits : null,
      prototypes: { Sp: st.Sp, Pp: st.Pp, SpT: tb ? tb.SpT : null, PpT: tb ? tb.PpT : null },
      targets: t,
      losses,
    };
  }

  /**
   * Maps for visualisation (no gradient, no dropout): the coarse and final logits, the cosine
   * activation of each fixed prototype cos(S_f, S_k) and of each adapted one (O / 15), and the
   * SPPA / SEPA attention maps of the coarse mask. Every map is [B, K, h, w].
   */
  explain(feat: Tensor): SSAExplanation {
    this.checkFeat('explain', feat);
    return noGrad(() => {
      const [B, C, h, w] = feat.shape;
      const K = this.numClasses;
      const st = this.student(feat, false);
      const as4 = (x: Tensor) => reshape(x, [B, K, h, w]);
      const c3 = reshape(st.coarse, [B, K, h * w]);
      const fixed = div(cosineLogits(reshape(feat, [B, C, h * w]), expand(st.S, [B, K, C])), COSINE_SCALE);
      return {
        coarse: st.coarse,
        logits: st.logits,
        fixed: as4(fixed),
        adapted: div(st.logits, COSINE_SCALE),
        spatialAttention: as4(softmax(c3, 2)),
        semanticAttention: as4(softmax(c3, 1)),
      };
    });
  }
}

/**
 * The class embedding's input: S_p + P_p (full), S_p (SEPA only), S + P_p (SPPA only). S: [K, C]
 * broadcasts over the batch.
 */
function combine(Sp: Tensor | null, Pp: Tensor | null, S: Tensor): Tensor {
  if (Sp && Pp) return add(Sp, Pp);
  if (Sp) return Sp;
  if (Pp) return add(S, Pp);
  throw new Error('SSAHead: internal error: neither SEPA nor SPPA is on');
}
