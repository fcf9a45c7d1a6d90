/** Strategies (docs/model.md §1.5): spec strings, parameters and defaults, ties, baselines, errors. */
import { describe, expect, it } from 'vitest';
import { plan } from '../../src/plan.js';
import { bestCut } from '../../src/strategy/card.js';
import { createStrategy, STRATEGIES } from '../../src/strategy/registry.js';
import { parseStrategy, parseStrategyList } from '../../src/strategy/spec.js';
import { StrategyError, type TurnContext } from '../../src/strategy/strategy.js';
import { SystemModel } from '../../src/system-model.js';
import type { Device } from '../../src/system.js';
import { expectRel, mustParse } from './helpers.js';

describe('strategy spec strings', () => {
  it('card:weightDelay=0.9,energyScale=1,fixed:cut=8,random is three strategies', () => {
    expect(parseStrategyList('card:weightDelay=0.9,energyScale=1,fixed:cut=8,random')).toEqual([
      { name: 'card', params: { weightDelay: 0.9, energyScale: 1 } },
      { name: 'fixed', params: { cut: 8 } },
      { name: 'random', params: {} },
    ]);
  });

  it('names alone, numbers in any JS notation, several keys', () => {
    expect(parseStrategyList('card,cut-only,device-heavy,server-heavy').map((c) => c.name)).toEqual(['card', 'cut-only', 'device-heavy', 'server-heavy']);
    expect(parseStrategy('fixed:cut=8,freqHz=9e8')).toEqual({ name: 'fixed', params: { cut: 8, freqHz: 9e8 } });
    expect(parseStrategy(' card:weightDelay=.25 ')).toEqual({ name: 'card', params: { weightDelay: 0.25 } });
  });

  it('a key=value with nothing before it is an error', () => {
    expect(() => parseStrategyList('energyScale=1')).toThrow(StrategyError);
    expect(() => parseStrategyList('energyScale=1,card')).toThrow(/energyScale=1/);
    expect(() => parseStrategyList('=1')).toThrow(StrategyError);
  });

  it('malformed lists are errors: empty items, no name, no key, a key twice, two where one is expected', () => {
    expect(() => parseStrategyList('')).toThrow(StrategyError);
    expect(() => parseStrategyList('card,,random')).toThrow(/empty/);
    expect(() => parseStrategyList(':cut=1')).toThrow(StrategyError);
    expect(() => parseStrategyList('card,=1')).toThrow(/=1/);
    expect(() => parseStrategyList('card:weightDelay=0.5,weightDelay=0.6')).toThrow(/weightDelay.*twice/);
    expect(() => parseStrategy('card,random')).toThrow(StrategyError);
  });
});

/** A 3-device system on llama3.2-1b with a config strategy that differs from the defaults. */
function paperLike(extra: Record<string, unknown> = {}) {
  return mustParse({
    name: 't',
    seed: 5,
    rounds: 3,
    model: { preset: 'llama3.2-1b' },
    training: { seqLen: 512, batch: 4 },
    server: { freqHz: { min: 2e8, max: 1.4e9 }, flopsPerCycle: 110000, kappa: 1e-25, txPowerDbm: 43 },
    devices: [
      { id: 'big', freqHz: 6e8, flopsPerCycle: 2048, kappa: 1.5e-26, memoryBytes: 8e9, txPowerDbm: 23, distanceM: 100, bandwidthHz: 5e6 },
      // M(l) = 525,336,576 + l * 255,852,544: 3e9 holds cuts 1..9
      { id: 'small', freqHz: 4e8, flopsPerCycle: 1024, kappa: 2e-26, memoryBytes: 3e9, txPowerDbm: 20, distanceM: 60, bandwidthHz: 1e7 },
      { id: 'mid', freqHz: 8e8, flopsPerCycle: 4096, kappa: 1e-26, memoryBytes: 4e9, txPowerDbm: 23, distanceM: 250, bandwidthHz: 2e6 },
    ],
    channel: { model: 'shannon', fading: 'rayleigh', noiseDbmPerHz: -174, refLossDb: 15.3, pathLossExponent: 3.76 },
    strategy: { name: 'card', weightDelay: 0.3, energyScale: 0.1 },
    emulation: {},
    ...extra,
  });
}

describe('parameters and defaults', () => {
  const system = new SystemModel(paperLike());

  it("the config's strategy is used when none is given", () => {
    expect(system.strategy().spec).toBe('card:weightDelay=0.3,energyScale=0.1');
  });

  it("keys left out take the strategy's defaults, not the config's", () => {
    expect(system.strategy(parseStrategy('card')).spec).toBe('card:weightDelay=0.5,energyScale=1');
    expect(system.strategy(parseStrategy('card:weightDelay=0.9')).spec).toBe('card:weightDelay=0.9,energyScale=1');
    expect(system.strategy(parseStrategy('cut-only')).spec).toBe('cut-only:weightDelay=0.5,energyScale=1');
    // and the decision uses them: f* = cbrt(0.9 / (2 * 0.1 * 1 * 1e-25)) = cbrt(4.5e25) = 355.7 MHz
    const p = plan(system, system.strategy(parseStrategy('card:weightDelay=0.9')));
    expectRel(p.turns[0]!.serverFreqHz ** 3, 0.9 / (2 * 0.1 * 1 * 1e-25), 1e-12);
    // the config's (0.3, 0.1): cbrt(0.3 / (2*0.7*0.1*1e-25)) = cbrt(2.142857e25) = 277.7 MHz
    const q = plan(system, system.strategy());
    expectRel(q.turns[0]!.serverFreqHz ** 3, 0.3 / (2 * 0.7 * 0.1 * 1e-25), 1e-12);
  });

  it('a parsed list builds each strategy with its own parameters and the defaults for the rest', () => {
    const built = parseStrategyList('card:weightDelay=0.9,energyScale=1,fixed:cut=8,random,cut-only:energyScale=3').map((c) => system.strategy(c).spec);
    expect(built).toEqual(['card:weightDelay=0.9,energyScale=1', 'fixed:cut=8', 'random', 'cut-only:weightDelay=0.5,energyScale=3']);
  });

  it('bad parameters are refused with the strategy and key named', () => {
    expect(() => system.strategy({ name: 'card', params: { weightDelay: 1.5 } })).toThrow(/card.*weightDelay/);
    expect(() => system.strategy({ name: 'card', params: { energyScale: 0 } })).toThrow(/card.*energyScale/);
    expect(() => system.strategy({ name: 'card', params: { colour: 1 } })).toThrow(/colour/);
    expect(() => system.strategy({ name: 'fixed', params: {} })).toThrow(/fixed.*cut/);
    expect(() => system.strategy({ name: 'fixed', params: { cut: 2.5 } })).toThrow(/cut/);
    expect(() => system.strategy({ name: 'device-heavy', params: { cut: 3 } })).toThrow(/cut/);
    expect(() => system.strategy({ name: 'nope', params: {} })).toThrow(/unknown strategy "nope"/);
  });

  it('fixed: a cut infeasible for one device is an error naming that device', () => {
    expect(() => system.strategy(parseStrategy('fixed:cut=12'))).toThrow(StrategyError);
    expect(() => system.strategy(parseStrategy('fixed:cut=12'))).toThrow(/"small"/);
    expect(() => system.strategy(parseStrategy('fixed:cut=10'))).toThrow(/"small"/);
    expect(() => system.strategy(parseStrategy('fixed:cut=10'))).not.toThrow(/"big"|"mid"/);
    expect(() => system.strategy(parseStrategy('fixed:cut=16'))).toThrow(/"big"/); // beyond cutRange [1, 15]
    expect(() => system.strategy(parseStrategy('fixed:cut=9'))).not.toThrow();
  });

  it('fixed: freqHz outside the server range is an error, inside it is used', () => {
    expect(() => system.strategy(parseStrategy('fixed:cut=3,freqHz=1e8'))).toThrow(/freqHz/);
    expect(() => system.strategy(parseStrategy('fixed:cut=3,freqHz=2e9'))).toThrow(/freqHz/);
    const p = plan(system, system.strategy(parseStrategy('fixed:cut=3,freqHz=9e8')));
    expect(new Set(p.turns.map((t) => `${t.cut}@${t.serverFreqHz}`))).toEqual(new Set(['3@900000000']));
    const q = plan(system, system.strategy(parseStrategy('fixed:cut=3')));
    expect(new Set(q.turns.map((t) => t.serverFreqHz))).toEqual(new Set([1.4e9]));
  });

  it('device-heavy = largest feasible, server-heavy = smallest (3e9 B holds 1..9, 4e9 B 1..13)', () => {
    const dh = plan(system, system.strategy(parseStrategy('device-heavy')));
    expect(dh.turns.slice(0, 3).map((t) => [t.device, t.cut, t.serverFreqHz])).toEqual([
      ['big', 15, 1.4e9],
      ['small', 9, 1.4e9],
      ['mid', 13, 1.4e9],
    ]);
    const sh = plan(system, system.strategy(parseStrategy('server-heavy')));
    expect(new Set(sh.turns.map((t) => t.cut))).toEqual(new Set([1]));
    const narrowed = new SystemModel(paperLike({ training: { seqLen: 512, batch: 4, cutRange: [4, 11] } }));
    const dh2 = plan(narrowed, narrowed.strategy(parseStrategy('device-heavy')));
    expect(dh2.turns.slice(0, 3).map((t) => t.cut)).toEqual([11, 9, 11]);
    const sh2 = plan(narrowed, narrowed.strategy(parseStrategy('server-heavy')));
    expect(sh2.turns.slice(0, 3).map((t) => t.cut)).toEqual([4, 4, 4]);
  });

  it('random: seeded by the config seed, or by its own seed parameter', () => {
    const many = new SystemModel(paperLike({ rounds: 40 }));
    const a = plan(many, many.strategy(parseStrategy('random'))).turns.map((t) => t.cut);
    const b = plan(many, many.strategy(parseStrategy('random'))).turns.map((t) => t.cut);
    const c = plan(many, many.strategy(parseStrategy('random:seed=6'))).turns.map((t) => t.cut);
    const reseeded = new SystemModel(paperLike({ rounds: 40, seed: 6 }));
    const d = plan(reseeded, reseeded.strategy(parseStrategy('random'))).turns.map((t) => t.cut);
    expect(b).toEqual(a);
    expect(c).not.toEqual(a);
    expect(d).toEqual(c);
    expect(new Set(a).size).toBeGreaterThan(5);
  });

  it('every registered strategy has a summary and a strict parameter schema', () => {
    expect(Object.keys(STRATEGIES).sort()).toEqual(['card', 'cut-only', 'device-heavy', 'fixed', 'lyapunov', 'random', 'server-heavy']);
    for (const [name, def] of Object.entries(STRATEGIES)) {
      expect(def.name).toBe(name);
      expect(def.summary.length).toBeGreaterThan(10);
      expect(def.params.safeParse({ definitelyNotAKey: 1 }).success).toBe(false);
    }
  });
});

describe('ties go to the smallest cut', () => {
  /** A turn whose objective per cut is given: J(l) = values[l] (w = 1, so J = total). */
  function stubTurn(values: Record<number, number>): TurnContext {
    const cuts = Object.keys(values).map(Number);
    const cost = { totalWithoutLatency: (l: number) => values[l], serverEnergy: () => 0 };
    return { feasibleCuts: cuts, cost, rates: { upBps: 1, downBps: 1 } } as unknown as TurnContext;
  }
  const w1 = { weightDelay: 1, energyScale: 1 };

  it('exact ties, ties within a relative 1e-9, and a real improvement', () => {
    expect(bestCut(stubTurn({ 1: 5, 2: 3, 3: 3, 4: 4 }), 1, w1)).toBe(2);
    expect(bestCut(stubTurn({ 1: 3, 2: 3, 3: 3 }), 1, w1)).toBe(1);
    expect(bestCut(stubTurn({ 1: 5, 2: 3, 3: 3 * (1 - 1e-12), 4: 4 }), 1, w1)).toBe(2);
    expect(bestCut(stubTurn({ 1: 5, 2: 3, 3: 3 * (1 - 1e-6), 4: 4 }), 1, w1)).toBe(3);
    expect(bestCut(stubTurn({ 1: 5, 2: 4, 3: 3, 4: 2 }), 1, w1)).toBe(4);
    expect(bestCut(stubTurn({ 3: 1, 4: 2, 5: 0.5 }), 1, w1)).toBe(5);
  });

  /**
   * A real model made flat: with w = 1 (f = max) and beta = 2, J(l) = const + l * slope with
   * slope = 8*Lam(1)*(1/r_down + 1/r_up) + I*b*s*3*phiF*(1/Fn - 1/(flopsPerCycle_s*f)).
   * Small model: Lam(1) = 2*2*4*64*2 = 2048 B, I*b*s*3*phiF = 6*8*276,480 = 13,271,040 FLOPs,
   * server 100 FLOP/cycle * 2e9 Hz = 2e11 FLOP/s, rates 2^30 bit/s: adapters cost 2^-15 s a
   * block, the server saves 6.63552e-5 s a block, so the device must spend 6.63552e-5 - 2^-15 s,
   * Fn = 13,271,040 / (6.63552e-5 - 2^-15) FLOP/s: every cut costs the same.
   */
  function flatSystem(deviceSpeedup: number) {
    const Fn = (13_271_040 / (6.63552e-5 - 2 ** -15)) * deviceSpeedup;
    const device: Device = { id: 'x', freqHz: Fn / 1000, flopsPerCycle: 1000, kappa: 1e-27, memoryBytes: 1e7, txPowerDbm: 20 };
    const config = mustParse({
      name: 'flat',
      rounds: 2,
      model: { layers: 4, hidden: 64, ffn: 256, heads: 4, kvHeads: 2, vocab: 1000, mlp: 'plain' },
      training: { seqLen: 8, batch: 2, iterations: 3, lora: { rank: 4, matricesPerLayer: 2, bytesPerParam: 2 } },
      server: { freqHz: { min: 1e8, max: 2e9 }, flopsPerCycle: 100, kappa: 1e-26, staticPowerW: 3 },
      devices: [device],
      channel: { model: 'trace', trace: { x: { upBps: [2 ** 30], downBps: [2 ** 30] } } },
      strategy: { name: 'card', weightDelay: 1 },
      emulation: {},
    });
    const system = new SystemModel(config);
    const cost = system.costModels.get('x')!;
    const rates = { upBps: 2 ** 30, downBps: 2 ** 30 };
    return { system, totals: [1, 2, 3].map((l) => cost.delay(l, 2e9, rates).total) };
  }

  it('a model with every cut equally good picks the smallest cut', () => {
    const { system, totals } = flatSystem(1);
    expectRel(totals[1]!, totals[0]!, 1e-12);
    expectRel(totals[2]!, totals[0]!, 1e-12);
    const p = plan(system, system.strategy());
    expect(p.turns.map((t) => [t.cut, t.serverFreqHz])).toEqual([
      [1, 2e9],
      [1, 2e9],
    ]);
  });

  it('a device a little faster than the tie makes the largest cut best (by more than 1e-9)', () => {
    const { system, totals } = flatSystem(1 + 1e-4);
    expect(totals[2]!).toBeLessThan(totals[0]! * (1 - 1e-8));
    const p = plan(system, system.strategy());
    expect(p.turns.map((t) => t.cut)).toEqual([3, 3]);
  });

  it('a device a little slower makes the smallest cut best', () => {
    const { system, totals } = flatSystem(1 - 1e-4);
    expect(totals[0]!).toBeLessThan(totals[2]! * (1 - 1e-8));
    const p = plan(system, system.strategy());
    expect(p.turns.map((t) => t.cut)).toEqual([1, 1]);
  });
});

describe('createStrategy', () => {
  it('wraps parameter problems as StrategyError naming the strategy', () => {
    const env = { seed: 1, server: { freqHz: { min: 1, max: 2 }, flopsPerCycle: 1, kappa: 1, staticPowerW: 0 }, feasibleCuts: new Map([['a', [1, 2]]]), devices: ['a'], rounds: 1, mode: 'sequential' as const };
    expect(() => createStrategy({ name: 'random', params: { seed: -1 } }, env)).toThrow(/strategy "random": seed/);
    expect(() => createStrategy({ name: 'fixed', params: { cut: 3 } }, env)).toThrow(/strategy "fixed": cut: 3 is infeasible for device "a"/);
  });
});
