/** The monitor's decisions (emulator/launcher/scale-monitor.ts): pure, records made by hand. */
import { describe, expect, it } from 'vitest';
import { ScaleMonitor } from '../../emulator/launcher/scale-monitor.js';
import type { TurnRecord } from '../../emulator/records/turn-record.js';

const delay = (total: number) => ({ adapterDown: 0, deviceForward: 0, uplink: 0, server: 0, downlink: 0, deviceBackward: 0, adapterUp: 0, serverWait: 0, total });
const energy = { server: 0, deviceCompute: 0, deviceTransmit: 0 };
/** A done turn of 1 emulated second, measured `error` off, 1 wall second. */
const turn = (error: number): TurnRecord => ({
  round: 1, device: 'd1', status: 'done', fault: '', startOffset: 0, cut: 1, serverFreqHz: 1, rateUpBps: 1, rateDownBps: 1,
  predicted: { delay: delay(1), energy }, measured: { delay: delay(1 + error), energy }, coordinatorWallS: 1, serverBusyWallS: 0, retries: 0,
});

function monitor(wallBudgetS?: number) {
  return new ScaleMonitor({ base: 0.2, target: 0.03, wallBudgetS, maxTimeScale: 10, emulatedLeftS: (done) => 100 - done, overheadPerTurnS: 0, turnsTotal: 100, window: 5 });
}

describe('the scale monitor', () => {
  it('slows down one step when a window of turns drifts above the target, and speeds back to the base when quiet', () => {
    const m = monitor();
    for (let i = 1; i <= 4; i++) expect(m.observe(turn(0.01), i, 0.5)).toBeUndefined();
    expect(m.observe(turn(0.01), 5, 0.5)).toBeUndefined(); // 1% median: nothing to do at the base
    for (let i = 6; i <= 9; i++) m.observe(turn(0.08), i, 3);
    const slower = m.observe(turn(0.08), 10, 3)!;
    expect(slower).toMatchObject({ afterTurns: 10, from: 0.2, to: 0.3 });
    expect(slower.reason).toMatch(/median turn-total error 8% over the last 5 turns > target 3%, host load 3\.00: slower/);
    for (let i = 11; i <= 14; i++) m.observe(turn(0.005), i, 0.4);
    const faster = m.observe(turn(0.005), 15, 0.4)!;
    expect(faster).toMatchObject({ from: 0.3, to: 0.2 });
    expect(faster.reason).toMatch(/< half the target 3%.*faster again/);
    // never faster than the scale chosen at start
    for (let i = 16; i <= 20; i++) expect(m.observe(turn(0.001), i, 0.4)).toBeUndefined();
    expect(m.changes.map((c) => c.to)).toEqual([0.3, 0.2]);
  });

  it('within the wall budget left: a budget already spent holds the scale, said once', () => {
    const m = monitor(10); // 10 wall s for 100 turns of 1 s each: the 5 turns here spend half of it
    for (let i = 1; i <= 4; i++) m.observe(turn(0.2), i, 5);
    const held = m.observe(turn(0.2), 5, 5)!;
    expect(held).toMatchObject({ from: 0.2, to: 0.2 });
    expect(held.reason).toMatch(/cannot slow down: the wall budget left holds it/);
    for (let i = 6; i <= 10; i++) expect(m.observe(turn(0.2), i, 5)).toBeUndefined();
  });

  it('judges done turns only: dropped and crashed turns are not a turn the model and the emulator both complete', () => {
    const m = monitor();
    for (let i = 1; i <= 10; i++) expect(m.observe({ ...turn(0.5), status: 'dropped' }, i, 1)).toBeUndefined();
  });
});

describe('the scale monitor, steps', () => {
  it('a step the budget would cut to a few percent is not made: the scale is held, rounded, and said once', () => {
    // 26 s budget: after 5 turns of 1 wall s each, 21 s are left for 95 emulated s, 0.22 each: not more than a tenth slower
    const m = new ScaleMonitor({ base: 0.2, target: 0.03, wallBudgetS: 26, maxTimeScale: 10, emulatedLeftS: (done) => 100 - done, overheadPerTurnS: 0, turnsTotal: 100, window: 5 });
    for (let i = 1; i <= 4; i++) m.observe(turn(0.2), i, 5);
    const c = m.observe(turn(0.2), 5, 5)!;
    expect(c.from).toBe(0.2);
    expect(c.to).toBe(0.2);
  });
});
