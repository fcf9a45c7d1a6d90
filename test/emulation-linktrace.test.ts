import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readTurns, runCli, runIdOf, writeJson } from './helpers/emulation.js';
import { runScratch, tcIt } from './helpers/tc.js';

const ROOT = new URL('..', import.meta.url).pathname;

/**
 * A run on a generated trace with a deep fade mid-turn (docs/linktrace.md): 6 Mbit/s
 * flat, then 1% of it from 3 s to 18 s. The window estimator at 0 sees 6 Mbit/s; d1's
 * uplink starts before the fade and ends after it. If the link followed the trace, that
 * transfer is measured near the integrated prediction and far from what CARD expected.
 * The same run in both modes: tc steps htb classes, userspace paces by the turn's schedule.
 */
interface Planned {
  delay: { uplink: number; total: number };
  expectedDelay: { uplink: number; total: number };
}

interface FadeRun {
  planned: Planned;
  turn: Record<string, string>;
  out: string;
}

/** Generates the fade trace, plans and runs one device's turn in `network` mode. */
async function runFade(scratch: { dir: string; runs: string[] }, network: 'tc' | 'userspace'): Promise<FadeRun> {
  execFileSync(process.execPath, [join(ROOT, 'scripts/gen-lte-trace.mjs'), '--out', join(scratch.dir, 'fade'), '--seconds', '60', '--mean', '6', '--sigma', '0', '--fades-per-min', '0', '--fade', '3:15:0.01']);
  const config = JSON.parse(readFileSync(join(ROOT, 'configs/lte.json'), 'utf8')) as Record<string, unknown>;
  const path = writeJson(join(scratch.dir, `fade-${network}.json`), {
    ...config,
    name: 'fade',
    rounds: 1,
    devices: (config.devices as unknown[]).slice(0, 1),
    channel: { model: 'linktrace', format: 'mahimahi', delayMs: 10, estimator: { kind: 'window', seconds: 1 }, links: { default: { up: 'fade.up', down: 'fade.down' } } },
    emulation: { timeScale: 0.1, payloadScale: 0.1, network, workload: 'sleep' },
  });
  const plan = JSON.parse((await runCli(['plan', path, '--json'])).stdout) as { turns: Planned[] };
  const planned = plan.turns[0]!;
  // the premise: the fade more than doubles the uplink the strategy expected
  expect(planned.delay.uplink).toBeGreaterThan(2 * planned.expectedDelay.uplink);

  const out = join(scratch.dir, `run-${network}`);
  const result = await runCli(['run', path, '--out', out]);
  const runId = runIdOf(out);
  if (runId) scratch.runs.push(runId);
  expect(result.code, result.stderr).toBe(0);
  const [turn] = readTurns(out);
  expect(Number(turn!.predicted_uplink)).toBeCloseTo(planned.delay.uplink, 6);
  // the records say what the strategy expected and what the link realised
  expect(Number(turn!.expected_total)).toBeCloseTo(planned.expectedDelay.total, 6);
  expect(Number(turn!.seen_up_bps)).toBeCloseTo(Number(turn!.rateUpBps), 6);
  expect(Number(turn!.realised_bps_uplink)).toBeLessThan(0.5 * Number(turn!.seen_up_bps));
  const manifest = JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8')) as { linktrace: { mode: string } };
  expect(manifest.linktrace.mode).toBe(network);
  return { planned, turn: turn!, out };
}

describe('a link that follows its trace (tc)', () => {
  const scratch = runScratch('linktrace');

  tcIt(
    'the uplink that spans a deep fade is measured near the integrated delay, far from the expected one',
    async () => {
      const { planned, turn, out } = await runFade(scratch, 'tc');
      const measured = Number(turn.measured_uplink);
      expect(measured).toBeGreaterThanOrEqual(0.8 * planned.delay.uplink);
      expect(measured).toBeGreaterThanOrEqual(2 * planned.expectedDelay.uplink);
      const stepping = JSON.parse(readFileSync(join(out, 'linktrace.json'), 'utf8')) as { changes: number; pipeErrors: number };
      expect(stepping.changes).toBeGreaterThan(2);
      expect(stepping.pipeErrors).toBe(0);
    },
    { tools: ['nats-server', 'redis-server'], timeout: 180_000 },
  );
});

/**
 * The userspace pacer releases the fade's opportunities themselves, so the transfer ends
 * where the integration puts it, up to the schedule's step and the floor: measured within
 * 10% of integrated either way (the tc test can only bound it from below). Measured here:
 * 26.06 s against 26.05 s integrated and 11.19 s expected.
 */
describe('a link that follows its trace (userspace)', () => {
  const scratch = runScratch('linktrace-us');

  it('the uplink that spans a deep fade is measured near the integrated delay, far from the expected one', async () => {
    const { planned, turn } = await runFade(scratch, 'userspace');
    const measured = Number(turn.measured_uplink);
    expect(measured).toBeGreaterThanOrEqual(0.9 * planned.delay.uplink);
    expect(measured).toBeLessThanOrEqual(1.1 * planned.delay.uplink);
    expect(measured).toBeGreaterThanOrEqual(2 * planned.expectedDelay.uplink);
  }, 180_000);
});
