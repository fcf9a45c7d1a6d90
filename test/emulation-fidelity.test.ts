import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { median, readTurns, runCli, runIdOf, smallConfig, writeJson } from './helpers/emulation.js';
import { tcIt, runScratch } from './helpers/tc.js';

const TRANSFERS = ['adapterDown', 'uplink', 'downlink', 'adapterUp'] as const;

/**
 * The paper's scenario cut down, with a 50 ms one-way latency on every transfer: 10 ms
 * wall at timeScale 0.2, so that an adapter transfer (about 12 ms wall) stands well above
 * the millisecond or two a loaded 2-core host adds now and then, and the floor (about
 * 1 ms) would still show as 8% if it were not taken off the injected delay.
 */
function latencyConfig(network: 'userspace' | 'tc', emulation: Record<string, unknown> = {}) {
  const c = smallConfig({ network, timeScale: 0.2, rounds: 5 });
  // payloads × 0.1: a tc link ends a transfer on a whole frame, and at × 0.01 an adapter transfer is a frame or two
  return { ...c, channel: { ...c.channel, delayMs: 50 }, emulation: { ...c.emulation, payloadScale: 0.1, ...emulation } };
}

/**
 * The calibrated floor (docs/architecture.md §5–§6): every run measures what the emulator adds to
 * a transfer, injects the configured latency less that floor, so that a transfer phase
 * measures the modelled one, latency included, in either network mode.
 */
describe('sledge run with latency: the calibrated floor', () => {
  const scratch = runScratch('fidelity');

  async function transfersWithinFivePercent(network: 'userspace' | 'tc'): Promise<void> {
    const out = join(scratch.dir, `run-${network}`);
    const r = await runCli(['run', writeJson(join(scratch.dir, `${network}.json`), latencyConfig(network)), '--out', out]);
    const runId = runIdOf(out);
    if (runId) scratch.runs.push(runId);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/floor \((tc|userspace), 40 transfers in [\d.]+ s\): median [\d.]+ ms, p95 [\d.]+ ms per transfer/);
    const manifest = JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8'));
    expect(manifest.network).toBe(network);
    const { floor, timeScale, injectedDelayWallMs } = manifest.fidelity;
    expect(timeScale).toEqual({ requested: 0.2, chosen: 0.2 });
    expect(floor.transfer.medianMs).toBeGreaterThan(0);
    expect(floor.transfer.p95Ms).toBeGreaterThanOrEqual(floor.transfer.medianMs);
    for (const p of TRANSFERS) {
      // 50 ms emulated is 10 ms wall: what is injected is that less the phase's own floor
      expect(injectedDelayWallMs[p]).toBeCloseTo(Math.max(0, 10 - floor.resolution.transfer[p].medianMs), 9);
    }
    const turns = readTurns(out);
    // 15 turns: a median a single stalled turn of a loaded host does not move
    expect(turns).toHaveLength(15);
    for (const p of TRANSFERS) {
      const errors = turns.map((t) => Math.abs(Number(t[`measured_${p}`]) / Number(t[`predicted_${p}`]) - 1));
      expect(median(errors), `${p}: |measured/predicted − 1| ${errors.map((e) => e.toFixed(3)).join(' ')}`).toBeLessThanOrEqual(0.05);
    }
    const summary = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8'));
    expect(summary.floor.transfer.medianMs).toBe(floor.transfer.medianMs);
  }

  it('userspace: transfer phases with 50 ms latency within 5% of predicted (median), the floor in the manifest', async () => {
    await transfersWithinFivePercent('userspace');
  }, 120_000);

  tcIt('tc: transfer phases with 50 ms latency within 5% of predicted (median), the floor in the manifest', () => transfersWithinFivePercent('tc'), {
    tools: ['nats-server', 'redis-server'],
    timeout: 120_000,
  });

  it('timeScale "auto" refuses a wall budget it cannot meet: exit 2, one line naming the timeScale that would', async () => {
    const config = latencyConfig('userspace', { timeScale: 'auto', fidelity: 0.01, wallBudgetS: 1 });
    const out = join(scratch.dir, 'run-budget');
    const r = await runCli(['run', writeJson(join(scratch.dir, 'budget.json'), config), '--out', out]);
    const runId = runIdOf(out);
    if (runId) scratch.runs.push(runId);
    expect(r.code).toBe(2);
    const errors = r.stderr.split('\n').filter((l) => l.startsWith('sledge:'));
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/^sledge: emulation\.wallBudgetS 1 s cannot meet emulation\.fidelity 1\.0%: timeScale [\d.]+ would \(about [\d.]+ s wall for the turns; \w+ sets it, floor median [\d.]+ ms, p95 [\d.]+ ms per transfer\); raise wallBudgetS/);
    expect(readTurns(out)).toHaveLength(0);
    expect(r.stdout).toBe('');
  }, 120_000);
});
