/**
 * Runs only the browser end-to-end test: `npx vitest run --config test/browser/vitest.config.ts`.
 * (`npm test` picks it up too once the root vitest.config.ts stops excluding test/browser/**.)
 */
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    root: fileURLToPath(new URL('../..', import.meta.url)),
    include: ['test/browser/**/*.test.ts'],
    pool: 'forks',
    testTimeout: 240_000,
    hookTimeout: 600_000,
    reporters: ['default'],
  },
});
