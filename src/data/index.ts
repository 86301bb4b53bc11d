/** The data layer: image files, mmsegmentation-layout datasets, augmentation, batching, and the M2NIST builder. */

export * from './image.js';
export * from './dataset.js';
export * from './augment.js';
export * from './loader.js';
export * from './m2nist.js';
