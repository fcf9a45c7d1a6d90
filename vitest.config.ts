import { defineConfig } from 'vitest/config';

/**
 * Two projects. `pure` holds the tests of pure code and the CLI's plan (no servers, no
 * kernel, no emulation): they run side by side. `live` holds the integration tests: they
 * start real servers, processes and kernel links and share the machine's two cores, so
 * they run one file at a time (`npm test` runs `pure` on two workers, then `live`).
 */
const PURE = ['test/unit/**/*.test.ts', 'test/cli-plan.test.ts', 'test/run-text.test.ts', 'test/transport-frame.test.ts', 'test/transport-link.test.ts'];

export default defineConfig({
  test: {
    fileParallelism: false,
    testTimeout: 180_000,
    hookTimeout: 60_000,
    projects: [
      { extends: true, test: { name: 'pure', include: PURE, sequence: { groupOrder: 0 } } },
      { extends: true, test: { name: 'live', include: ['test/**/*.test.ts'], exclude: PURE, sequence: { groupOrder: 1 } } },
    ],
  },
});
