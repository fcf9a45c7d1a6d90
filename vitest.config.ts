import { defineConfig } from 'vitest/config';

/**
 * Three projects, so that the suite fits a loaded 2-core machine (docs/benchmarks.md):
 *
 * - `pure`: pure code and the CLI's plan (no servers, no kernel, no emulation);
 * - `live`: integration tests (real nats-server, redis-server, processes) that judge only
 *   their own run: lower bounds on measured times, loose upper ones, their own leftovers;
 * - `serial`: integration tests that need the machine to themselves: tight timing bounds
 *   (tc shaping, pacing, trace following, fidelity), `net clean` over every dead run, kill -9
 *   of launchers, agents and servers, 100 devices at once.
 *
 * `npm test` runs `pure` and `live` two files at a time, then `serial` one file at a time.
 * A plain `npx vitest run` runs every file one at a time.
 */
const PURE = ['test/unit/**/*.test.ts', 'test/cli-plan.test.ts', 'test/run-text.test.ts', 'test/transport-frame.test.ts', 'test/transport-link.test.ts'];
const SERIAL = [
  'test/scale-tc.test.ts',
  'test/agents-tc.test.ts',
  'test/resume.test.ts',
  'test/emulation-tc.test.ts',
  'test/net-clean-trust.test.ts',
  'test/net.test.ts',
  'test/transport.test.ts',
  'test/emulation-fidelity.test.ts',
  'test/emulation-linktrace.test.ts',
  'test/bus-failure.test.ts',
];

export default defineConfig({
  test: {
    fileParallelism: false,
    testTimeout: 180_000,
    hookTimeout: 60_000,
    // one build before any worker starts (two workers must not run tsc into dist/ at once)
    globalSetup: ['test/helpers/build-once.ts'],
    projects: [
      { extends: true, test: { name: 'pure', include: PURE } },
      { extends: true, test: { name: 'live', include: ['test/**/*.test.ts'], exclude: [...PURE, ...SERIAL] } },
      { extends: true, test: { name: 'serial', include: SERIAL } },
    ],
  },
});
