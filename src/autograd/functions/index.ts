/**
 * Every differentiable primitive. Tests iterate over ALL_FUNCTIONS: adding a primitive here
 * without a gradient test fails the suite.
 */
import * as binary from './binary.js';
import * as conv from './conv.js';
import * as loss from './loss.js';
import * as matmul from './matmul.js';
import * as movement from './movement.js';
import * as norm from './norm.js';
import * as reduce from './reduce.js';
import * as resample from './resample.js';
import * as unary from './unary.js';

export * from './binary.js';
export * from './conv.js';
export * from './loss.js';
export * from './matmul.js';
export * from './movement.js';
export * from './norm.js';
export * from './reduce.js';
export * from './resample.js';
export * from './unary.js';

/** Class names of every exported primitive. */
export const ALL_FUNCTIONS: readonly string[] = [unary, binary, reduce, movement, matmul, conv, norm, resample, loss].flatMap((m) =>
  Object.entries(m)
    .filter(([, v]) => typeof v === 'function')
    .map(([k]) => k),
);
