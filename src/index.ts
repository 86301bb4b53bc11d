/**
 * ssa-seg: a reverse-mode autodiff tensor engine on gpu.js kernels, and the SSA-Seg classifier.
 * This barrel is the public API (`import { … } from 'ssa-seg'`).
 */
import './autograd/backward.js'; // installs the tidy hook that frees unreachable graph nodes

export { Tensor, type TensorOrScalar } from './tensor/tensor.js';
export { RawTensor } from './tensor/raw-tensor.js';
export type { DType, HostArray } from './tensor/dtype.js';
export type { Shape } from './tensor/shape.js';
export type { BackendName, Backend } from './tensor/backend.js';
export { tidy, keep, dispose, memory } from './tensor/memory.js';
export { backend, backendInfo, getBackend, ready, setBackend, shutdown, useBackend, withBackend, BACKEND_NAMES, type BackendOptions } from './tensor/engine.js';
export { manualSeed, Rng } from './tensor/random.js';
export {
  // creation
  tensor, zeros, ones, full, arange, eye, rand, randn, zerosLike, onesLike,
  // element-wise
  add, sub, mul, div, pow, maximum, minimum, neg, exp, log, sqrt, rsqrt, abs, square, relu, gelu,
  sigmoid, tanh, clamp, where, cast, eq, ne, lt, le, gt, ge,
  // reductions
  sum, mean, max, min, argmax, argmin, logsumexp, variance, norm, softmax, logSoftmax,
  // movement
  reshape, permute, transpose, expand, squeeze, unsqueeze, flatten, cat, stack, slice, narrow, pad,
  repeat, gather, indexSelect, oneHot, broadcastTo,
  // nn-ish
  matmul, conv2d, avgPool2d, maxPool2d, interpolate, resampleMatrix, normalize, batchNorm, dropout, crossEntropy, nllLoss,
  type CreationOptions, type Conv2dOptions, type Pool2dOptions, type InterpolateOptions, type CrossEntropyOptions, type BatchNormOptions,
} from './tensor/ops.js';
export { noGrad, isGradEnabled, setGradEnabled } from './autograd/grad-mode.js';
export { grad, valueAndGrad } from './autograd/functional.js';
export { AutogradFunction } from './autograd/function.js';
export * as nn from './nn/index.js';
export { Module, Linear, Embedding, Conv2d, BatchNorm2d, GroupNorm, LayerNorm, ReLU, GELU, Identity, Dropout, Dropout2d, Sequential, SGD, AdamW, polyLr, paramGroups } from './nn/index.js';
export {
  SSAHead, SSA_LOSS_NAMES, type SSAHeadOptions, type SSAHeadConfig, type SSALossName, type SSATrainOutput, type SSAExplanation,
  boundaryMask, cannyLabelEdges, cosineLogits, COSINE_SCALE, relationMatrix, responseDistillation, semanticDistillation,
  spatialDistillation, diceLoss, prepareTargets, downsampleLabels,
  loadSafetensors, saveSafetensors, readSafetensors, type HostTensor, type SafetensorsContents,
} from './ssa/index.js';
export { SegModel, VanillaHead, CompactBackbone, LightDecoder, DEFAULT_COMPACT, type ClassifierHead, type CompactConfig } from './models/index.js';
export { openDataset, DataLoader, buildM2nist, type SegDataset, type Sample, type Batch } from './data/index.js';
export { ConfusionMatrix, type SegMetrics } from './train/metrics.js';
export { train, type TrainResult } from './train/trainer.js';
export { defaultConfig, type TrainConfig } from './train/config.js';
