export { CompactBackbone, LightDecoder, MSCA, MSCABlock, DEFAULT_COMPACT, type CompactConfig } from './compact.js';
export { VanillaHead, mmsegCrossEntropy, type ClassifierHead, type HeadOutput } from './heads.js';
export { SegModel } from './segmentor.js';
