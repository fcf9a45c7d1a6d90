import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { quantile } from '../src/quantile.js';
import { busyCore } from './helpers/busy-core.js';
import { readTurns, runCli, runIdOf, smallConfig, startCli, waitFor, writeJson } from './helpers/emulation.js';
import { tcIt, runScratch } from './helpers/tc.js';

const TRANSFERS = ['adapterDown', 'uplink', 'downlink', 'adapterUp'] as const;
const PHASES = ['adapterDown', 'deviceForward', 'uplink', 'server', 'downlink', 'deviceBackward', 'adapterUp'] as const;
const PAPER = JSON.parse(readFileSync(new URL('../configs/paper.json', import.meta.url), 'utf8'));

/**
 * The paper's scenario cut down, with a 50 ms one-way latency on every transfer (10 ms
 * wall at timeScale 0.2), payloads × 0.1 (a tc link ends a transfer on a whole frame).
 */
function latencyConfig(network: 'userspace' | 'tc', emulation: Record<string, unknown> = {}) {
  const c = smallConfig({ network, timeScale: 0.2, rounds: 5 });
  return { ...c, channel: { ...c.channel, delayMs: 50 }, emulation: { ...c.emulation, payloadScale: 0.1, ...emulation } };
}

const json = (path: string) => JSON.parse(readFileSync(path, 'utf8'));
const sorted = (xs: number[]) => [...xs].sort((a, b) => a - b);

/**
 * summary.json's fidelity block (docs/fidelity.md) recomputed from turns.csv alone: the
 * medians and p95s over done turns of |measured/predicted − 1|, the per-turn time scales and
 * host loads. Only `resolutionMs` comes from the manifest's floor.
 */
function expectVerdictFromCsv(out: string): void {
  const summary = json(join(out, 'summary.json'));
  const rows = readTurns(out).filter((t) => t.status === 'done');
  const v = summary.fidelity;
  const err = (p: string) => sorted(rows.filter((t) => Number(t[`predicted_${p}`]) > 0).map((t) => Math.abs(Number(t[`measured_${p}`]) / Number(t[`predicted_${p}`]) - 1)));
  expect(v.turns).toBe(rows.length);
  expect(v.total.median).toBeCloseTo(quantile(err('total'), 0.5), 12);
  expect(v.total.p95).toBeCloseTo(quantile(err('total'), 0.95), 12);
  for (const p of PHASES) {
    if (!err(p).length) continue;
    expect(v.phases[p].median, p).toBeCloseTo(quantile(err(p), 0.5), 12);
    expect(v.phases[p].p95, p).toBeCloseTo(quantile(err(p), 0.95), 12);
    expect(v.phases[p].resolutionMs, p).toBeGreaterThanOrEqual(0);
  }
  const scales = rows.map((t) => Number(t.time_scale));
  expect(v.timeScale).toEqual({ min: Math.min(...scales), max: Math.max(...scales) });
  expect(v.hostLoad.max1m).toBe(Math.max(...rows.map((t) => Number(t.host_load_1m))));
  // met exactly when the total and every phase above its resolution meet the target
  const predictedMs = (p: string) => quantile(sorted(rows.map((t) => Number(t[`predicted_${p}`]) * 1000)), 0.5);
  const missed = PHASES.filter((p) => v.phases[p] && predictedMs(p) > v.phases[p].resolutionMs && v.phases[p].median > v.target);
  expect(v.missed).toEqual(missed);
  expect(v.met).toBe(v.total.median <= v.target && missed.length === 0);
}

/** The end-of-run text starts with the verdict, as summary.json has it. */
function expectVerdictLine(stdout: string, out: string): void {
  const v = json(join(out, 'summary.json')).fidelity;
  const first = stdout.split('\n')[0]!;
  if (v.met) expect(first).toMatch(/^fidelity met: [\d.]+% target, total [\d.]+%/);
  else expect(first).toMatch(/^fidelity MISSED: [\d.]+% target, total [\d.]+%.*\(host load [\d.]+ at most\)/);
  for (const p of v.missed) expect(first).toContain(p);
}

describe('sledge run: fidelity that holds, or says it does not', () => {
  const scratch = runScratch('fidelity');
  const track = (out: string) => {
    const id = runIdOf(out);
    if (id) scratch.runs.push(id);
  };

  async function calibratedFloor(network: 'userspace' | 'tc'): Promise<void> {
    const out = join(scratch.dir, `run-${network}`);
    const r = await runCli(['run', writeJson(join(scratch.dir, `${network}.json`), latencyConfig(network)), '--out', out]);
    track(out);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/floor \((tc|userspace), \d+ transfers in [\d.]+ s\): median -?[\d.]+ ms, p95 -?[\d.]+ ms per transfer/);
    const manifest = json(join(out, 'manifest.json'));
    expect(manifest.network).toBe(network);
    const { floor, timeScale, payloadScale, injectedDelayWallMs, aheadWallMs } = manifest.fidelity;
    // a fixed scale is the config's: neither is chosen, nor changed while the run runs
    expect(timeScale).toEqual({ requested: 0.2, chosen: 0.2 });
    expect(payloadScale).toEqual({ requested: 0.1, chosen: 0.1 });
    expect(manifest.fidelity.changes).toBeUndefined();
    for (const p of TRANSFERS) {
      // 50 ms emulated is 10 ms wall: what is injected is that less the phase's floor (its fixed part)
      expect(injectedDelayWallMs[p]).toBeCloseTo(Math.max(0, 10 - floor.resolution.transfer[p].medianMs), 9);
      // and what the latency cannot absorb leaves ahead of its phase (docs/fidelity.md, "Sending ahead")
      expect(aheadWallMs[p]).toBeCloseTo(Math.max(0, floor.resolution.transfer[p].medianMs - 10), 9);
      expect(floor.resolution.transferBytes[p]).toBeGreaterThanOrEqual(0);
    }
    const turns = readTurns(out);
    expect(turns).toHaveLength(15);
    for (const t of turns) {
      expect(Number(t.time_scale)).toBe(0.2);
      // shaped, delayed transfers cannot beat their model by much: the links and the latency are really there
      const sum = (side: string) => TRANSFERS.reduce((s, p) => s + Number(t[`${side}_${p}`]), 0);
      expect(sum('measured')).toBeGreaterThanOrEqual(0.8 * sum('predicted'));
    }
    expectVerdictFromCsv(out);
    expectVerdictLine(r.stdout, out);
    expect(json(join(out, 'summary.json')).floor.transfer.medianMs).toBe(floor.transfer.medianMs);
  }

  it('userspace: the floor calibrated and taken off the injected latency; the summary\'s fidelity block is what turns.csv gives', () => calibratedFloor('userspace'), 180_000);

  tcIt('tc: the floor calibrated and taken off the injected latency; the summary\'s fidelity block is what turns.csv gives', () => calibratedFloor('tc'), {
    tools: ['nats-server', 'redis-server'],
    timeout: 180_000,
  });

  it('--strict exits 3 on a run forced to miss (an impossible target, a tiny budget); the run itself is complete and says so', async () => {
    const c = smallConfig({ network: 'userspace', rounds: 2 });
    const config = { ...c, emulation: { ...c.emulation, timeScale: 'auto', fidelity: 0.001, wallBudgetS: 1 } };
    const out = join(scratch.dir, 'run-strict');
    const r = await runCli(['run', writeJson(join(scratch.dir, 'strict.json'), config), '--out', out, '--strict']);
    track(out);
    expect(r.code, r.stderr).toBe(3);
    // never refused: the slowest scale the budget allows, the error to expect said before the turns
    expect(r.stderr).toMatch(/timeScale [\d.e-]+: the slowest wallBudgetS 1 s allows; the target would need /);
    expect(r.stderr).toMatch(/fidelity 0\.1% is not expected at this scale: expect about [\d.]+%/);
    expect(r.stderr.trim().split('\n').at(-1)).toMatch(/^sledge: fidelity MISSED: 0\.1% target, total [\d.]+%.* \(--strict\)$/);
    expect(readTurns(out)).toHaveLength(6);
    const summary = json(join(out, 'summary.json'));
    expect(summary.status).toBe('finished');
    expect(summary.fidelity.met).toBe(false);
    expectVerdictFromCsv(out);
    expectVerdictLine(r.stdout, out);
    const manifest = json(join(out, 'manifest.json'));
    expect(manifest.fidelity.expectedToMeet).toBe(false);
    expect(manifest.fidelity.why.length).toBeGreaterThanOrEqual(2);
  }, 180_000);

  it('a host made busy mid-run: "auto" slows the scale for the next turns, records it per turn and in the manifest, and reports it', async () => {
    // Short phases whatever the floor: at a 10% target "auto" puts the shortest of them (about 30 ms emulated) at a few
    // tens of ms wall, so a wake-up 40 ms late is far above the target and a quiet window seldom is; near timeScale 1 on
    // a loaded host, so that one calibration does. 2 devices × 6 rounds: two windows of 5 turns, a turn after each.
    const c = smallConfig({ network: 'userspace', rounds: 6, devices: 2 });
    const config = {
      ...c,
      training: { ...c.training, seqLen: 48, cutRange: [1, 3] },
      server: { ...c.server, flopsPerCycle: 120_000 },
      devices: c.devices.map((d: Record<string, unknown>) => ({ ...d, flopsPerCycle: 1200 })),
      channel: { ...c.channel, delayMs: 15 },
      emulation: { ...c.emulation, timeScale: 'auto', fidelity: 0.1 },
    };
    const out = join(scratch.dir, 'run-busy');
    const run = startCli(['run', writeJson(join(scratch.dir, 'busy.json'), config), '--out', out]);
    let stderr = '';
    let busy: ReturnType<typeof busyCore> | undefined;
    // the monitor's line, as it prints it: the spinner stops there, and the turns after the change run on a quieter host
    const changed = new Promise<void>((resolve) =>
      run.child.stderr!.on('data', (d: Buffer) => {
        stderr += String(d);
        if (/after \d+ turns: timeScale [\d.e-]+ → [\d.e-]+ \(/.test(stderr)) {
          busy?.stop();
          resolve();
        }
      }),
    );
    try {
      await waitFor('the first turn', () => readTurns(out).length >= 1 || run.child.exitCode !== null, 40_000);
      busy = busyCore(run.child.pid!);
      await Promise.race([changed, run.done]);
    } finally {
      busy?.stop();
    }
    const r = await run.done;
    track(out);
    expect(r.code, r.stderr).toBe(0);
    expect(busy?.pids.length, 'the launcher, its actors and servers').toBeGreaterThanOrEqual(5);
    const manifest = json(join(out, 'manifest.json'));
    const changes = (manifest.fidelity.changes ?? []).filter((x: { from: number; to: number }) => x.from !== x.to);
    expect(changes.length, `no scale change; stderr:\n${r.stderr}`).toBeGreaterThanOrEqual(1);
    expect(changes[0].to).toBeGreaterThan(changes[0].from);
    expect(changes[0].reason).toMatch(/^median error over the last 5 turns (\w+ [\d.]+%(, )?)+ > target 10%, host load [\d.]+: slower$/);
    // per turn in turns.csv: the chosen scale until the first change, the new one from the next turn on
    const turns = readTurns(out);
    const scales = turns.map((t) => Number(t.time_scale));
    expect(scales.slice(0, changes[0].afterTurns).every((s) => s === manifest.fidelity.timeScale.chosen)).toBe(true);
    expect(scales[changes[0].afterTurns]).toBe(changes[0].to);
    // summary.json and the end-of-run text report it
    const summary = json(join(out, 'summary.json'));
    expect(summary.scaleChanges).toEqual(manifest.fidelity.changes);
    expect(summary.fidelity.timeScale.max).toBeGreaterThan(summary.fidelity.timeScale.min);
    expectVerdictFromCsv(out);
    expectVerdictLine(r.stdout, out);
    expect(r.stdout).toMatch(/time scale changed \d+ times? while the run ran:/);
    // and so does the report, beside its fidelity table
    const report = readFileSync(join(out, 'report.html'), 'utf8');
    expect(report).toContain(`after ${changes[0].afterTurns} turns: timeScale ${changes[0].from} → ${changes[0].to}`);
  }, 55_000);

  tcIt(
    "npm start's config with a budget the floor cannot meet still runs to the end and says so",
    async () => {
      const config = { ...PAPER, rounds: 2, emulation: { ...PAPER.emulation, wallBudgetS: 2 } };
      const out = join(scratch.dir, 'run-paper');
      const r = await runCli(['run', writeJson(join(scratch.dir, 'paper.json'), config), '--out', out]);
      track(out);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).toMatch(/the slowest wallBudgetS 2 s allows/);
      expect(r.stderr).toMatch(/fidelity 3\.0% is not expected at this scale: expect about [\d.]+%.*; the run goes on and reports what it got/);
      expect(readTurns(out)).toHaveLength(10);
      expectVerdictFromCsv(out);
      expectVerdictLine(r.stdout, out);
    },
    { tools: ['nats-server', 'redis-server'], timeout: 300_000 },
  );
});
