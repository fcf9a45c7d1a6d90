import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect } from 'vitest';
import { readTurns, runCli, runIdOf, writeJson } from './helpers/emulation.js';
import { runScratch, tcIt } from './helpers/tc.js';

const ROOT = new URL('..', import.meta.url).pathname;

/**
 * A tc run on a generated trace with a deep fade mid-turn (docs/linktrace.md): 6 Mbit/s
 * flat, then 1% of it from 3 s to 18 s. The window estimator at 0 sees 6 Mbit/s; d1's
 * uplink starts before the fade and ends after it. If the link followed the trace, that
 * transfer is measured near the integrated prediction and far from what CARD expected.
 */
describe('a link that follows its trace (tc)', () => {
  const scratch = runScratch('linktrace');

  tcIt(
    'the uplink that spans a deep fade is measured near the integrated delay, far from the expected one',
    async () => {
      execFileSync(process.execPath, [join(ROOT, 'scripts/gen-lte-trace.mjs'), '--out', join(scratch.dir, 'fade'), '--seconds', '60', '--mean', '6', '--sigma', '0', '--fades-per-min', '0', '--fade', '3:15:0.01']);
      const config = JSON.parse(readFileSync(join(ROOT, 'configs/lte.json'), 'utf8')) as Record<string, unknown>;
      const path = writeJson(join(scratch.dir, 'fade.json'), {
        ...config,
        name: 'fade',
        rounds: 1,
        devices: (config.devices as unknown[]).slice(0, 1),
        channel: { model: 'linktrace', format: 'mahimahi', delayMs: 10, estimator: { kind: 'window', seconds: 1 }, links: { default: { up: 'fade.up', down: 'fade.down' } } },
        emulation: { timeScale: 0.1, payloadScale: 0.1, network: 'tc', workload: 'sleep' },
      });
      const plan = JSON.parse((await runCli(['plan', path, '--json'])).stdout) as { turns: { delay: { uplink: number }; expectedDelay: { uplink: number } }[] };
      const planned = plan.turns[0]!;
      // the premise: the fade more than doubles the uplink the strategy expected
      expect(planned.delay.uplink).toBeGreaterThan(2 * planned.expectedDelay.uplink);

      const out = join(scratch.dir, 'run');
      const result = await runCli(['run', path, '--out', out]);
      const runId = runIdOf(out);
      if (runId) scratch.runs.push(runId);
      expect(result.code, result.stderr).toBe(0);
      const [turn] = readTurns(out);
      const measured = Number(turn!.measured_uplink);
      expect(Number(turn!.predicted_uplink)).toBeCloseTo(planned.delay.uplink, 6);
      expect(measured).toBeGreaterThanOrEqual(0.8 * planned.delay.uplink);
      expect(measured).toBeGreaterThanOrEqual(2 * planned.expectedDelay.uplink);
      // the records say what the strategy expected and what the link realised
      expect(Number(turn!.expected_total)).toBeCloseTo((plan.turns[0] as unknown as { expectedDelay: { total: number } }).expectedDelay.total, 6);
      expect(Number(turn!.seen_up_bps)).toBeCloseTo(Number(turn!.rateUpBps), 6);
      expect(Number(turn!.realised_bps_uplink)).toBeLessThan(0.5 * Number(turn!.seen_up_bps));
      const manifest = JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8')) as { linktrace: { stepS: number; mode: string } };
      expect(manifest.linktrace.mode).toBe('tc');
      const stepping = JSON.parse(readFileSync(join(out, 'linktrace.json'), 'utf8')) as { changes: number; pipeErrors: number };
      expect(stepping.changes).toBeGreaterThan(2);
      expect(stepping.pipeErrors).toBe(0);
    },
    { tools: ['nats-server', 'redis-server'], timeout: 180_000 },
  );
});
