import { defineConfig } from 'vitest/config';

// Tests spawn real servers and build real indexes: generous timeouts, no timing assertions.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: 'forks',
    reporters: ['default'],
  },
});
