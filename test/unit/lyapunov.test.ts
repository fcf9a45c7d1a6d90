import { describe, expect, it } from 'vitest';
import { plan } from '../../src/plan.js';
import { SystemModel } from '../../src/system-model.js';
import { mustParse, TestRng } from './helpers.js';

/**
 * lyapunov (docs/strategies.md) worked by hand on 2 devices × 3 rounds of a trace channel.
 * Server: kappa 1e-26, P0 = 0, f in [1e8, 2e9]. Server cycles per turn C(l) (I = 1, b = 2,
 * the cost model's, checked in formulas.test.ts): C(1) = 194,150.4, C(2) = 149,913.6,
 * C(3) = 105,676.8. Server energy of a turn = kappa*C(l)*f^2.
 */
function byHand(energyBudgetJ: number, V: number) {
  return new SystemModel(
    mustParse({
      name: 'lyapunov-by-hand',
      rounds: 3,
      model: { layers: 4, hidden: 64, ffn: 256, heads: 4, kvHeads: 2, vocab: 1000, mlp: 'plain' },
      training: { seqLen: 8, batch: 2, iterations: 1, lora: { rank: 4, matricesPerLayer: 2, bytesPerParam: 2 } },
      server: { freqHz: { min: 1e8, max: 2e9 }, flopsPerCycle: 100, kappa: 1e-26, staticPowerW: 0 },
      devices: [
        { id: 'a', freqHz: 1e10, flopsPerCycle: 100, kappa: 1e-27, memoryBytes: 1e7, txPowerDbm: 20 },
        { id: 'b', freqHz: 2e9, flopsPerCycle: 100, kappa: 1e-27, memoryBytes: 1e7, txPowerDbm: 20 },
      ],
      channel: {
        model: 'trace',
        trace: { a: { upBps: [1e6, 1e8, 1e6], downBps: [1e6, 1e8, 1e6] }, b: { upBps: [1e8, 1e6, 1e7], downBps: [1e8, 1e6, 1e7] } },
      },
      strategy: { name: 'lyapunov', energyBudgetJ, V },
    }),
  );
}

const C = { 1: 194_150.4, 2: 149_913.6, 3: 105_676.8 } as const;
const kappa = 1e-26;
const rel = (a: number, b: number) => Math.abs(a / b - 1);

describe('lyapunov by hand (2 devices, 3 rounds, trace channel)', () => {
  it('budget 0.002 J, V = 1e-3: Q per round, the closed-form frequencies, the cuts', () => {
    const system = byHand(0.002, 1e-3);
    expect(system.costModels.get('a')!.serverCycles(1)).toBeCloseTo(C[1], 6);
    const p = plan(system, system.strategy());
    const f = (r: number) => p.turns.find((t) => t.round === r)!.serverFreqHz;
    const cuts = (r: number) => p.turns.filter((t) => t.round === r).map((t) => t.cut);

    // round 1: Q = 0, so energy weighs nothing: f = max, each device the fastest cut
    expect(p.rounds[0]!.Q).toBe(0);
    expect(f(1)).toBe(2e9);
    expect(cuts(1)).toEqual([1, 1]);
    // E1 = 2 * kappa * C(1) * (2e9)^2 = 0.015532032 J; Q2 = E1 - 0.002 = 0.013532032
    const E1 = 2 * kappa * C[1] * 4e18;
    expect(rel(p.rounds[0]!.serverEnergy, E1)).toBeLessThan(1e-12);
    const Q2 = E1 - 0.002;
    expect(rel(p.rounds[1]!.Q!, 0.013532032)).toBeLessThan(1e-12);
    // f2 = cbrt(V / (2*Q2*kappa)) = cbrt(1e-3 / 2.7064064e-28) = 1.54597e8 Hz, inside [1e8, 2e9]
    const f2 = Math.cbrt(1e-3 / (2 * Q2 * kappa));
    expect(rel(f(2), f2)).toBeLessThan(1e-12);
    expect(f(2)).toBeCloseTo(154_597_451.14, 0);
    // a's link is fast in round 2 and the GPU slow: the whole model on the device (cut 3); b's link is slow: cut 1
    expect(cuts(2)).toEqual([3, 1]);
    // E2 = kappa*(C(3)+C(1))*f2^2; Q3 = max(0, Q2 + E2 - 0.002)
    const E2 = kappa * (C[3] + C[1]) * f2 * f2;
    expect(rel(p.rounds[1]!.serverEnergy, E2)).toBeLessThan(1e-9);
    const Q3 = Math.max(0, Q2 + E2 - 0.002);
    expect(rel(p.rounds[2]!.Q!, Q3)).toBeLessThan(1e-9);
    expect(p.rounds[2]!.Q).toBeCloseTo(0.0116036918, 9);
    expect(rel(f(3), Math.cbrt(1e-3 / (2 * Q3 * kappa)))).toBeLessThan(1e-9);
    expect(cuts(3)).toEqual([1, 1]);
  });

  it('budget 0.01 J, V = 1e-3: the queue drains to 0 and the GPU is back at max (the Q = 0 case again)', () => {
    const system = byHand(0.01, 1e-3);
    const p = plan(system, system.strategy());
    const E1 = 2 * kappa * C[1] * 4e18;
    const Q2 = E1 - 0.01; // 0.005532032
    expect(rel(p.rounds[1]!.Q!, Q2)).toBeLessThan(1e-12);
    const f2 = Math.cbrt(1e-3 / (2 * Q2 * kappa)); // 2.083e8 Hz
    const E2 = 2 * kappa * C[1] * f2 * f2; // well under the budget
    expect(Q2 + E2 - 0.01).toBeLessThan(0);
    expect(p.rounds[2]!.Q).toBe(0);
    const round3 = p.turns.filter((t) => t.round === 3);
    expect(round3.map((t) => t.serverFreqHz)).toEqual([2e9, 2e9]);
    expect(round3.map((t) => t.cut)).toEqual([1, 1]);
  });

  it('a frequency below the GPU range is clamped to min', () => {
    // a huge queue: cbrt(V/(2*Q*kappa)) far below 1e8
    const p = plan(byHand(1e-9, 1e-9), byHand(1e-9, 1e-9).strategy());
    expect(p.turns.filter((t) => t.round > 1).every((t) => t.serverFreqHz === 1e8)).toBe(true);
  });
});

describe('lyapunov keeps its budget (property)', () => {
  /** A random 200-round trace on the paper-like model; the budget between the cheapest and the dearest round. */
  it('over 200 rounds the average server energy is within 3% of (or under) a feasible budget', () => {
    const rng = new TestRng(20);
    for (let trial = 0; trial < 6; trial++) {
      const rounds = 200;
      const series = () => Array.from({ length: rounds }, () => rng.logUniform(2e6, 5e7));
      const devices = ['d1', 'd2', 'd3'].map((id) => ({ id, freqHz: rng.uniform(4e8, 1e9), flopsPerCycle: 2048, kappa: 1.5e-26, memoryBytes: rng.uniform(3e9, 12e9), txPowerDbm: 23 }));
      const raw = (strategy: Record<string, unknown>) => ({
        name: 'lyapunov-property',
        rounds,
        seed: trial,
        model: { preset: 'llama3.2-1b' },
        training: { seqLen: 512, batch: 4, cutRange: [1, 15] },
        server: { freqHz: { min: 2.1e8, max: 1.41e9 }, flopsPerCycle: 110000, kappa: 1e-25, staticPowerW: rng.uniform(0, 5) },
        devices,
        channel: { model: 'trace', trace: Object.fromEntries(devices.map((d) => [d.id, { upBps: series(), downBps: series() }])) },
        strategy,
      });
      // the cheapest a round can be: every turn at its least-energy cut and frequency; the dearest: f = max, cut 1
      const probe = new SystemModel(mustParse(raw({ name: 'card', weightDelay: 0 })));
      const least = plan(probe, probe.strategy()).summary.avgServerEnergy;
      const most = plan(probe, probe.strategy({ name: 'server-heavy', params: {} })).summary.avgServerEnergy;
      const budget = least + rng.uniform(0.2, 0.8) * (most - least);
      const V = 10 ** rng.uniform(0, 2);
      const system = new SystemModel(mustParse(raw({ name: 'lyapunov', energyBudgetJ: budget, V })));
      const p = plan(system, system.strategy());
      expect(p.summary.avgServerEnergy / budget).toBeLessThan(1.03);
      // and the budget is used, not hoarded: it buys delay
      expect(p.summary.avgServerEnergy / budget).toBeGreaterThan(0.5);
      expect(p.rounds.every((r) => typeof r.Q === 'number' && r.Q >= 0)).toBe(true);
    }
  });
});
