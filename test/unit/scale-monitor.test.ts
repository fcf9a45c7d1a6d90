/** The monitor's decisions (emulator/launcher/scale-monitor.ts): pure, records made by hand. */
import { describe, expect, it } from 'vitest';
import type { Resolution } from '../../src/resolution.js';
import { ScaleMonitor, type MonitorOptions } from '../../emulator/launcher/scale-monitor.js';
import type { TurnRecord } from '../../emulator/records/turn-record.js';

/** Emulated seconds of a turn's phases: a long total, two short adapter transfers. */
const PREDICTED = { adapterDown: 0.02, deviceForward: 0.3, uplink: 0.1, server: 0.1, downlink: 0.1, deviceBackward: 0.36, adapterUp: 0.02, serverWait: 0, total: 1 };
type Errors = Partial<Record<keyof typeof PREDICTED, number>>;
const energy = { server: 0, deviceCompute: 0, deviceTransmit: 0 };
const off = (e: Errors) => Object.fromEntries(Object.entries(PREDICTED).map(([k, v]) => [k, v * (1 + (e[k as keyof Errors] ?? 0))])) as typeof PREDICTED;
/** A done turn of 1 emulated second, 1 wall second, each phase measured `errors` off (the total `error`). */
const turn = (error: number, errors: Errors = {}): TurnRecord => ({
  round: 1, device: 'd1', status: 'done', fault: '', startOffset: 0, cut: 1, serverFreqHz: 1, rateUpBps: 1, rateDownBps: 1,
  predicted: { delay: PREDICTED, energy }, measured: { delay: off({ ...errors, total: error }), energy }, coordinatorWallS: 1, serverBusyWallS: 0, retries: 0,
});

function monitor(o: Partial<MonitorOptions> = {}) {
  return new ScaleMonitor({ base: 0.2, target: 0.03, maxTimeScale: 10, emulatedLeftS: (done) => 100 - done, overheadPerTurnS: 0, turnsTotal: 100, window: 5, iterations: 1, ...o });
}

/** A floor of `transferMs` wall ms per transfer and 0.1 ms per workload. */
function floor(transferMs: number): Resolution {
  const s = (ms: number) => ({ medianMs: ms, p95Ms: ms, madMs: 0, samples: 10 });
  return { transfer: { adapterDown: s(transferMs), uplink: s(transferMs), downlink: s(transferMs), adapterUp: s(transferMs) }, compute: s(0.1) };
}

describe('the scale monitor', () => {
  it('slows down one step when a window of turns drifts above the target, and speeds back to the base when quiet', () => {
    const m = monitor();
    for (let i = 1; i <= 4; i++) expect(m.observe(turn(0.01), i, 0.5)).toBeUndefined();
    expect(m.observe(turn(0.01), 5, 0.5)).toBeUndefined(); // 1% median: nothing to do at the base
    for (let i = 6; i <= 9; i++) m.observe(turn(0.08), i, 3);
    const slower = m.observe(turn(0.08), 10, 3)!;
    expect(slower).toMatchObject({ afterTurns: 10, from: 0.2, to: 0.3 });
    expect(slower.reason).toMatch(/median error over the last 5 turns total 8% > target 3%, host load 3\.00: slower/);
    for (let i = 11; i <= 14; i++) m.observe(turn(0.005), i, 0.4);
    const faster = m.observe(turn(0.005), 15, 0.4)!;
    expect(faster).toMatchObject({ from: 0.3, to: 0.2 });
    expect(faster.reason).toMatch(/at most 0\.5% \(total\) < half the target 3%.*faster again/);
    // never faster than the scale chosen at start
    for (let i = 16; i <= 20; i++) expect(m.observe(turn(0.001), i, 0.4)).toBeUndefined();
    expect(m.changes.map((c) => c.to)).toEqual([0.3, 0.2]);
  });

  it('judges every phase as the verdict does: a busy host that throws the short transfers off slows down though the long turn total stays within the target', () => {
    // the turn total is mostly timed compute, which a busy host hardly moves (docs/fidelity.md)
    const m = monitor();
    for (let i = 1; i <= 4; i++) m.observe(turn(0.012, { adapterDown: 0.15, adapterUp: 0.09, uplink: 0.02 }), i, 6);
    const slower = m.observe(turn(0.012, { adapterDown: 0.15, adapterUp: 0.09, uplink: 0.02 }), 5, 6)!;
    expect(slower).toMatchObject({ from: 0.2, to: 0.3 });
    expect(slower.reason).toMatch(/median error over the last 5 turns adapterDown 15%, adapterUp 9% > target 3%, host load 6\.00: slower/);
    // quiet again only when every judged phase is: a phase at 2% holds the slower scale
    for (let i = 6; i <= 10; i++) expect(m.observe(turn(0.005, { adapterUp: 0.02 }), i, 1)).toBeUndefined();
    for (let i = 11; i <= 14; i++) m.observe(turn(0.005, { adapterUp: 0.01 }), i, 1);
    expect(m.observe(turn(0.005, { adapterUp: 0.01 }), 15, 1)).toMatchObject({ from: 0.3, to: 0.2 });
  });

  it('a phase not above its resolution measures the floor: reported by the verdict, not judged by the monitor', () => {
    // 10 ms wall per transfer at 0.2 is 50 ms emulated: above the 20 ms adapter transfers, below the 100 ms smashed data
    const m = monitor({ resolution: floor(10) });
    for (let i = 1; i <= 5; i++) expect(m.observe(turn(0.01, { adapterDown: 0.5, adapterUp: 0.5 }), i, 1)).toBeUndefined();
    for (let i = 6; i <= 9; i++) m.observe(turn(0.01, { uplink: 0.2 }), i, 1);
    expect(m.observe(turn(0.01, { uplink: 0.2 }), 10, 1)?.reason).toMatch(/uplink 20% > target 3%/);
  });

  it('within the wall budget left: a budget already spent holds the scale, said once, with what it left', () => {
    const m = monitor({ wallBudgetS: 10 }); // 10 wall s for 100 turns of 1 s each: the 5 turns here spend half of it
    for (let i = 1; i <= 4; i++) m.observe(turn(0.2), i, 5);
    const held = m.observe(turn(0.2), 5, 5)!;
    expect(held).toMatchObject({ from: 0.2, to: 0.2 });
    expect(held.reason).toMatch(/total 20% > target 3%, host load 5\.00; cannot slow down: the wall budget left holds it \(5 s for 95 turns: timeScale 0\.052 at most\)/);
    for (let i = 6; i <= 10; i++) expect(m.observe(turn(0.2), i, 5)).toBeUndefined();
  });

  it('without a budget, the slowest scale the run was set up for holds it, and says so', () => {
    const m = monitor({ base: 10 });
    for (let i = 1; i <= 4; i++) m.observe(turn(0.2), i, 5);
    expect(m.observe(turn(0.2), 5, 5)).toMatchObject({ from: 10, to: 10, reason: expect.stringMatching(/cannot slow down: timeScale 10 is the slowest this run was set up for$/) });
  });

  it('judges done turns only: dropped and crashed turns are not a turn the model and the emulator both complete', () => {
    const m = monitor();
    for (let i = 1; i <= 10; i++) expect(m.observe({ ...turn(0.5), status: 'dropped' }, i, 1)).toBeUndefined();
  });
});

describe('the scale monitor, steps', () => {
  it('a step the budget would cut to a few percent is not made: the scale is held, rounded, and said once', () => {
    // 26 s budget: after 5 turns of 1 wall s each, 21 s are left for 95 emulated s, 0.22 each: not more than a tenth slower
    const m = monitor({ wallBudgetS: 26 });
    for (let i = 1; i <= 4; i++) m.observe(turn(0.2), i, 5);
    const c = m.observe(turn(0.2), 5, 5)!;
    expect(c.from).toBe(0.2);
    expect(c.to).toBe(0.2);
  });
});
