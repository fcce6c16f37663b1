import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Dawn reads EGL_PLATFORM from the process environment; the default 'forks' pool
    // gives each file its own process (worker threads do not see in-test assignments).
    pool: 'forks',
    // The software adapter is slow and uses every core: one file at a time.
    fileParallelism: false,
    testTimeout: 120_000,
    hookTimeout: 60_000,
  },
});
