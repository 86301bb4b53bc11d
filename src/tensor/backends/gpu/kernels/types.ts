/**
 * Types for kernel sources. Kernel functions are transpiled by gpu.js from their source text: they
 * use no closures, imports, optional chaining, spread or destructuring, and call only Math.* .
 */
import type { IKernelFunctionThis } from 'gpu.js';

/** `this` inside a kernel: `this.thread.x` is the flat output index. */
export type KernelThis = IKernelFunctionThis;

/** A flat input buffer as kernels see it (a typed array, a Texture or a storage buffer). */
export type Buf = Float32Array;
