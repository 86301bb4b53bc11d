export { Optimizer, paramGroups, type ParamGroupRule, type ParamEntry, type OptimizerState } from './optimizer.js';
export { SGD, type SGDOptions } from './sgd.js';
export { AdamW, type AdamWOptions } from './adamw.js';
export { polyLr, type PolyOptions } from './schedule.js';
