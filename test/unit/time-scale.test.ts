/** `timeScale: "auto"` and the floor it is chosen from (src/time-scale.ts, src/resolution.ts): pure, worked by hand where it can be. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config.js';
import { planTurns } from '../../src/plan.js';
import { aheadWallMs, belowResolution, expectedError, expectedResidualMs, injectedDelayMs, type FloorStats, type Resolution } from '../../src/resolution.js';
import type { PhaseDelays } from '../../src/cost.js';
import { SystemModel } from '../../src/system-model.js';
import { budgetTimeScale, chooseTimeScale, expectedMedianErrors, minFrames, payloadScaleFor, roundDown, roundUp, type TimeScaleRequest } from '../../src/time-scale.js';
import { mustParse } from './helpers.js';

const PAPER = JSON.parse(readFileSync(new URL('../../configs/paper.json', import.meta.url), 'utf8'));

const floor = (medianMs: number, madMs: number): FloorStats => ({ medianMs, p95Ms: medianMs + 3 * madMs, madMs, samples: 32 });
/** A floor like this host's: about half a millisecond per transfer, a tenth per workload. */
const RES: Resolution = {
  transfer: { adapterDown: floor(0.3, 0.05), uplink: floor(0.5, 0.1), downlink: floor(0.5, 0.1), adapterUp: floor(0.3, 0.05) },
  compute: floor(0.1, 0.02),
};

function request(overrides: Partial<TimeScaleRequest> = {}, delayMs = 10): TimeScaleRequest {
  const config = mustParse({ ...PAPER, channel: { ...PAPER.channel, delayMs } });
  const system = new SystemModel(config);
  return {
    turns: [...planTurns(system, system.strategy())],
    iterations: config.training.iterations,
    latencyMs: delayMs,
    resolution: RES,
    fidelity: 0.02,
    overheadPerTurnS: 0.005,
    ...overrides,
  };
}

describe('the floor: injected latency and expected error (worked by hand)', () => {
  it('injects the latency less the floor, never below 0, and nothing where no latency is modelled', () => {
    expect(injectedDelayMs(10, 0.1, 0.4)).toBeCloseTo(0.6, 12); // 10 ms emulated = 1 ms wall; the floor supplies 0.4
    expect(injectedDelayMs(10, 0.02, 0.4)).toBe(0); // 0.2 ms wall is below the floor: nothing to add
    expect(injectedDelayMs(0, 0.1, 0.4)).toBe(0);
  });

  it('sends ahead what the latency cannot absorb', () => {
    expect(aheadWallMs(10, 0.1, 0.4)).toBe(0); // 1 ms wall of latency absorbs 0.4
    expect(aheadWallMs(10, 0.02, 0.4)).toBeCloseTo(0.2, 12); // 0.2 ms of latency, 0.2 ms ahead
    expect(aheadWallMs(0, 0.1, 0.4)).toBe(0.4); // no latency: the whole floor ahead
  });

  it('a compensated transfer keeps only the spread of the floor; one that cannot be sent ahead far enough keeps the floor left', () => {
    // 10 ms at 0.1 = 1 ms wall >= 0.3: only the MAD, 0.05 ms
    expect(expectedResidualMs('adapterDown', RES, 10, 0.1, 1)).toBeCloseTo(0.05, 12);
    // 10 ms at 0.02 = 0.2 ms wall < 0.3: 0.1 ms is sent ahead of the turn's start, which bounds nothing: the MAD
    expect(expectedResidualMs('adapterDown', RES, 10, 0.02, 1)).toBeCloseTo(0.05, 12);
    // no latency: the whole floor (0.5 ms) ahead; uplink with I = 3 is three transfers, each sent
    // ahead from its forward of 0.002 s × 0.1 / 3 = 0.0667 ms wall: 0.4333 ms left, plus the MAD 0.1
    const turn = { deviceForward: 0.002, server: 1, deviceBackward: 1 } as PhaseDelays;
    expect(expectedResidualMs('uplink', RES, 0, 0.1, 3, undefined, turn)).toBeCloseTo(3 * (0.5 - 0.2 / 3 + 0.1), 12);
    // a forward long enough: the MAD alone
    expect(expectedResidualMs('uplink', RES, 0, 0.1, 3, undefined, { ...turn, deviceForward: 1 })).toBeCloseTo(3 * 0.1, 12);
    // compute is not compensated: median + MAD per workload
    expect(expectedResidualMs('server', RES, 10, 0.1, 3)).toBeCloseTo(3 * 0.12, 12);
    // an adapterDown of 20 ms emulated at 0.1 is 2 ms wall: 0.05 / 2 = 2.5%
    expect(expectedError('adapterDown', 0.02, RES, 10, 0.1, 1)).toBeCloseTo(0.025, 12);
  });

  it('the total is off by the sum of its phases', () => {
    const phases = ['adapterDown', 'deviceForward', 'uplink', 'server', 'downlink', 'deviceBackward', 'adapterUp'] as const;
    const sum = phases.reduce((s, p) => s + expectedResidualMs(p, RES, 10, 0.05, 2), 0);
    expect(expectedResidualMs('total', RES, 10, 0.05, 2)).toBeCloseTo(sum, 12);
  });

  it('a phase predicted shorter than its floor (per transfer) is below the resolution', () => {
    const delay = { adapterDown: 0.004, deviceForward: 0.5, uplink: 1, server: 0.3, downlink: 1, deviceBackward: 1, adapterUp: 0.02, serverWait: 0, total: 3 };
    expect(belowResolution('adapterDown', delay, RES, 0.05, 1)).toBe(true); // 0.2 ms wall < 0.3
    expect(belowResolution('adapterUp', delay, RES, 0.05, 1)).toBe(false); // 1 ms wall
    expect(belowResolution('total', delay, RES, 0.05, 1)).toBe(false);
  });
});

describe('timeScale "auto"', () => {
  it('picks a larger timeScale for a tighter target on the same config, each the fastest that meets it', () => {
    const loose = chooseTimeScale(request({ fidelity: 0.05 }));
    const tight = chooseTimeScale(request({ fidelity: 0.01 }));
    if (!loose.meets || !tight.meets) expect.fail('no budget: both must be feasible');
    expect(tight.timeScale).toBeGreaterThan(loose.timeScale);
    for (const [choice, target] of [[loose, 0.05], [tight, 0.01]] as const) {
      const worst = (t: number) => Math.max(...expectedMedianErrors(request(), t).map((e) => e.error));
      expect(worst(choice.timeScale)).toBeLessThanOrEqual(target);
      // fastest: a tenth faster misses the target
      expect(worst(choice.timeScale / 1.1)).toBeGreaterThan(target);
    }
  });

  it('latency the floor can be taken out of lets it run faster than the same config without latency', () => {
    const withLatency = chooseTimeScale(request({}, 10));
    const without = chooseTimeScale(request({}, 0));
    if (!withLatency.meets || !without.meets) expect.fail('no budget: both must be feasible');
    expect(withLatency.timeScale).toBeLessThan(without.timeScale);
  });

  it('never refuses: a wall budget the target cannot be met in gets the slowest scale it allows, and the error expected there', () => {
    const free = chooseTimeScale(request());
    const tight = chooseTimeScale(request({ wallBudgetS: 5 }));
    if (!free.meets) expect.fail('no budget: feasible');
    expect(tight.budgetLimited).toBe(true);
    expect(tight.meets).toBe(false);
    expect(tight.timeScale).toBe(roundDown(budgetTimeScale(request(), 5)));
    expect(tight.wallS).toBeLessThanOrEqual(5);
    expect(tight.worst.error).toBeGreaterThan(0.02);
    expect(tight.why[0]).toMatch(/the slowest wallBudgetS 5 s allows; the target would need /);
    // the estimate is the turns' emulated time scaled plus the fixed cost per turn
    const emulated = request().turns.reduce((s, t) => s + t.delay.total, 0);
    expect(free.wallS).toBeCloseTo(emulated * free.timeScale + 100 * 0.005, 9);
    expect(chooseTimeScale(request({ wallBudgetS: free.wallS + 1 })).meets).toBe(true);
  });

  it('dilates bytes with time: payloadScale raised until the smallest transfer is enough frames, lowered to keep wall rates exact', () => {
    const b = { preferred: 0.05, smallestTransferBytes: 50_000, fastestRateBps: 5e7, concurrency: 1 };
    // 3%: 17 frames of 1448 B = 24,616 B, about half of 50 kB
    expect(minFrames(0.03)).toBe(17);
    const raised = payloadScaleFor(b, 0.03, 1);
    expect(raised.payloadScale).toBe(roundUp((17 * 1448) / 50_000));
    expect(raised.frames).toBeGreaterThanOrEqual(17);
    // a fast scale: 5e7 × ps / 0.01 ≤ 1e8 bounds ps at 0.02
    expect(payloadScaleFor({ ...b, preferred: 0.5, smallestTransferBytes: 1e7 }, 0.03, 0.01).payloadScale).toBe(0.02);
    // in between, the config's stays
    expect(payloadScaleFor({ ...b, preferred: 0.6 }, 0.03, 1).payloadScale).toBe(0.6);
    // parallel: ten transfers at once share the bus's 1.6e8
    expect(payloadScaleFor({ ...b, preferred: 1, smallestTransferBytes: 1e7, concurrency: 10 }, 0.03, 0.01).payloadScale).toBe(0.0032);
  });

  it('the byte part of the floor (headers, whole frames) is off by bytes over the wall rate, so a larger payloadScale removes it', () => {
    const withBytes: Resolution = { ...RES, transferBytes: { adapterDown: 1000, uplink: 1000, downlink: 1000, adapterUp: 1000 } };
    const slow = { upBps: 8e5, downBps: 8e5 };
    // 1000 B at 0.8 Mbit/s is 10 ms; the fixed 0.3 ms is sent ahead, the byte part is not
    expect(expectedResidualMs('adapterDown', withBytes, 0, 0.1, 1, slow)).toBeCloseTo(10 + 0.05, 9);
    const req = { ...request({}, 0), resolution: withBytes, fidelity: 0.03 };
    const fixed = chooseTimeScale({ ...req, payload: 0.001 });
    const joint = chooseTimeScale({ ...req, payload: { preferred: 0.001, smallestTransferBytes: 131_072, fastestRateBps: 2.4e8, concurrency: 1, overheadBytes: 1000 } });
    expect(joint.payloadScale).toBeGreaterThan(0.001);
    expect(joint.meets).toBe(true);
    expect(fixed.meets).toBe(false);
  });

  it('rounds up to two significant digits, never down', () => {
    expect(roundUp(0.0312)).toBe(0.032);
    expect(roundUp(0.1)).toBe(0.1);
    expect(roundUp(0.00123)).toBe(0.0013);
    expect(roundUp(4.01)).toBe(4.1);
  });
});

describe('config: emulation.timeScale "auto", fidelity, wallBudgetS', () => {
  it('accepts "auto" with a fidelity and a budget, and defaults fidelity to 0.02', () => {
    expect(mustParse(PAPER).emulation).toMatchObject({ timeScale: 'auto', fidelity: 0.03, wallBudgetS: 240 });
    expect(mustParse({ ...PAPER, emulation: { timeScale: 'auto' } }).emulation.fidelity).toBe(0.02);
  });

  it('refuses a wall budget without "auto", a fidelity out of (0, 1) and any other string', () => {
    const errors = (emulation: unknown) => {
      const r = parseConfig({ ...PAPER, emulation });
      return r.ok ? [] : r.errors;
    };
    expect(errors({ timeScale: 0.1, wallBudgetS: 60 })).toEqual(['emulation.wallBudgetS: applies only to timeScale "auto"']);
    expect(errors({ timeScale: 'auto', fidelity: 1 }).join()).toMatch(/^emulation\.fidelity: /);
    expect(errors({ timeScale: 'fast' }).join()).toMatch(/^emulation\.timeScale: /);
  });
});
