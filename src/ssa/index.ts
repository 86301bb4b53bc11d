/** SSA-Seg classifier head (arXiv 2405.06525, official code xwmaxwma/SSA-Seg) and safetensors I/O. */
export {
  SSAHead, SSA_LOSS_NAMES,
  type SSAHeadOptions, type SSAHeadConfig, type SSALossName, type SSATrainOutput, type SSAExplanation,
} from './head.js';
export { prepareTargets, nearestSourceIndex, downsampleLabels, type SsaTargets } from './targets.js';
export { boundaryMask, cannyLabelEdges, BOUNDARY_BORDER } from './boundary.js';
export { cosineLogits, COSINE_SCALE } from './classifier.js';
export { relationMatrix, responseDistillation, semanticDistillation, spatialDistillation, SD_WEIGHT, PD_WEIGHT } from './distill.js';
export { diceLoss } from './losses.js';
export {
  loadSafetensors, saveSafetensors, readSafetensors, parseSafetensors, encodeSafetensors, hostToTensors,
  type HostTensor, type SafetensorsContents, type SafetensorsDType, type SaveEntry,
} from '../io/safetensors.js';
