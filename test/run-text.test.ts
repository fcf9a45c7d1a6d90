/** The run table (emulator/format/run-text.ts): phases below the emulator's resolution show absolute errors, not a bare percentage. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { PHASES, type PhaseDelays } from '../src/cost.js';
import { fidelity } from '../emulator/records/fidelity.js';
import { summarizeRun } from '../emulator/records/run-summary.js';
import { formatRunResult } from '../emulator/format/run-text.js';
import type { TurnRecord } from '../emulator/records/turn-record.js';
import type { Calibration } from '../emulator/launcher/calibrate.js';
import type { ScaleFacts } from '../emulator/launcher/scale-choice.js';
import { mustParse } from './unit/helpers.js';

const PAPER = JSON.parse(readFileSync(new URL('../configs/paper-nolatency.json', import.meta.url), 'utf8'));
const stats = (medianMs: number) => ({ medianMs, p95Ms: 2 * medianMs, madMs: medianMs / 4, samples: 12 });
const calibration: Calibration = {
  resolution: { transfer: { adapterDown: stats(0.3), uplink: stats(0.5), downlink: stats(0.5), adapterUp: stats(0.3) }, compute: stats(0.1) },
  transfer: stats(0.4),
  overheadPerTurnS: 0.005,
  wallS: 1,
  probe: { adapterBytes: 1311, smashedBytes: 83886, upBps: 1e7, downBps: 1e7, workloadMs: { deviceForward: 10, server: 18, deviceBackward: 20 }, delayWallMs: 0, timeScale: 0.05, turns: 10, devices: ['d1'] },
};

/** Phases in seconds: adapters of 4 ms emulated (0.2 ms wall at 0.05, under the 0.3 ms floor), measured 8 ms long. */
function record(i: number): TurnRecord {
  const predicted: PhaseDelays = { adapterDown: 0.004, deviceForward: 0.2, uplink: 1, server: 0.4, downlink: 0.7, deviceBackward: 0.4, adapterUp: 0.004, serverWait: 0, total: 0 };
  predicted.total = PHASES.reduce((s, p) => s + predicted[p], 0);
  const measured = { ...predicted, adapterDown: 0.012 + i * 1e-4, adapterUp: 0.012, total: predicted.total + 0.016 };
  const energy = { server: 1, deviceCompute: 1, deviceTransmit: 1 };
  return { round: i + 1, device: 'd1', cut: 1, serverFreqHz: 1e9, rateUpBps: 1e8, rateDownBps: 1e8, predicted: { delay: predicted, energy }, measured: { delay: measured, energy }, coordinatorWallS: 1, serverBusyWallS: 0.02, retries: 0, status: 'done', fault: '', startOffset: 0 };
}

describe('the run table and the emulator resolution', () => {
  const config = mustParse(PAPER);
  const records = [0, 1, 2].map(record);
  const facts = { timeScale: { requested: 0.05, chosen: 0.05 }, floor: calibration } as ScaleFacts;

  it('flags a phase predicted shorter than its floor and gives its absolute error in emulated ms', () => {
    const f = fidelity(records, { resolution: calibration.resolution, timeScale: 0.05, iterations: 1 });
    const down = f.find((x) => x.phase === 'adapterDown')!;
    expect(down.belowResolution).toBe(true);
    expect(down.median).toBeCloseTo(2.025, 9); // 8.1 ms off a 4 ms phase
    expect(down.absMedian * 1000).toBeCloseTo(8.1, 9);
    expect(f.find((x) => x.phase === 'uplink')!.belowResolution).toBe(false);
    // without a floor nothing is flagged
    expect(fidelity(records).some((x) => x.belowResolution)).toBe(false);
  });

  it('prints ±ms and a footnote for those phases, percentages for the rest, and the floor under the header', () => {
    const summary = summarizeRun({ runId: 'r', strategy: 'card', status: 'finished', config: { ...config, emulation: { ...config.emulation, timeScale: 0.05 } }, records, network: 'userspace', wallSeconds: 1, rejected: {}, scale: facts });
    const text = formatRunResult({ runId: 'r', dir: '/tmp/r', status: 'finished', records, summary });
    expect(text).toMatch(/^adapterDown \*\s+±8\.1 ms\s+±8\.19 ms\s+205\.0%\s+3\s+0\.0081\s+0\.00819$/m);
    expect(text).toMatch(/^uplink\s+0\.0%/m);
    expect(text).toMatch(/^\* below the emulator's resolution: predicted shorter than its floor \(0\.4 ms wall = 8 ms emulated\)/m);
    expect(text).toMatch(/emulator floor per transfer: median 0\.4 ms, p95 0\.8 ms wall/);
  });

  it('lists the time scale changes, and a slow-down the monitor could not make with what held it', () => {
    const scaleChanges = [
      { afterTurns: 5, round: 2, from: 0.05, to: 0.075, reason: 'median error over the last 5 turns uplink 8% > target 3%: slower', hostLoad1m: 3 },
      { afterTurns: 10, round: 4, from: 0.075, to: 0.075, reason: 'median error over the last 5 turns uplink 6% > target 3%; cannot slow down: the wall budget left holds it', hostLoad1m: 3 },
    ];
    const summary = summarizeRun({ runId: 'r', strategy: 'card', status: 'finished', config, records, network: 'userspace', wallSeconds: 1, rejected: {}, scale: facts, scaleChanges });
    const text = formatRunResult({ runId: 'r', dir: '/tmp/r', status: 'finished', records, summary });
    expect(text).toContain('time scale changed 1 time while the run ran:\n  after 5 turns: 0.05 → 0.075 (median error over the last 5 turns uplink 8% > target 3%: slower)');
    expect(text).toContain('time scale held while the run ran:\n  after 10 turns: stays 0.075 (median error over the last 5 turns uplink 6% > target 3%; cannot slow down: the wall budget left holds it)');
  });
});
