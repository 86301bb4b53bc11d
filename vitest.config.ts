import { defineConfig } from 'vitest/config';

// NOTE: kernels are compiled by gpu.js from their source text, so test files run untransformed by
// coverage instrumentation (use v8 coverage only). Files run in forked workers, two at a time (2 cores).
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    exclude: ['node_modules/**'],
    pool: 'forks',
    poolOptions: { forks: { maxForks: 2, minForks: 1 } },
    testTimeout: 180_000,
    hookTimeout: 180_000,
    reporters: ['default'],
  },
});
