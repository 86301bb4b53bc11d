/** Neural-network building blocks: Module, layers, initialisers, optimizers and schedules. */
export { Module } from './module.js';
export { Linear, Embedding } from './layers/linear.js';
export { Conv2d, type Conv2dLayerOptions } from './layers/conv.js';
export { BatchNorm2d, GroupNorm, LayerNorm } from './layers/norm.js';
export { ReLU, GELU, Identity, Dropout, Dropout2d, Sequential } from './layers/basic.js';
export * as init from './init.js';
export * from './optim/index.js';
