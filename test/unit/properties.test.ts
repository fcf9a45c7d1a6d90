/**
 * Properties over 200 seeded random configs (presets and explicit models, cut ranges,
 * memories, weights, energy scales, static power, shannon with and without fading,
 * inline traces, listed and generated devices).
 */
import { describe, expect, it } from 'vitest';
import type { Config } from '../../src/config.js';
import { plan, type Plan, type PlannedTurn } from '../../src/plan.js';
import { SystemModel } from '../../src/system-model.js';
import { argminNumeric, expectRel, memoryNeed, mustParse, PRESET_ARCH, randomRawConfig, TestRng } from './helpers.js';

const N = 200;

interface Case {
  index: number;
  raw: Record<string, any>;
  config: Config;
  system: SystemModel;
  w: number;
  nu: number;
}

const cases: Case[] = (() => {
  const rng = new TestRng(20250101);
  return Array.from({ length: N }, (_, index) => {
    const raw = randomRawConfig(rng);
    const config = mustParse(raw);
    return { index, raw, config, system: new SystemModel(config), w: raw.strategy.weightDelay, nu: raw.strategy.energyScale };
  });
})();

const J = (c: Case, t: PlannedTurn) => c.w * t.delay.total + (1 - c.w) * c.nu * t.energy.server;

/** Independent feasible cuts of a device: docs/model.md §1.1's M(l) written out in the helper. */
function myFeasible(c: Case, memoryBytes: number): number[] {
  const arch = c.config.model.preset ? PRESET_ARCH[c.config.model.preset] : c.config.model;
  const [lo, hi] = c.config.training.cutRange;
  const out: number[] = [];
  for (let l = lo; l <= hi; l++) if (memoryNeed(arch, c.config.training, l) <= memoryBytes) out.push(l);
  return out;
}

function planOf(c: Case, spec: { name: string; params: Record<string, unknown> }): Plan {
  return plan(c.system, c.system.strategy(spec));
}

describe(`over ${N} seeded random configs`, () => {
  it('the generator covers what it should', () => {
    const kinds = new Set(cases.map((c) => (c.config.channel.model !== 'shannon' ? c.config.channel.model : `shannon-${c.config.channel.fading}`)));
    expect([...kinds].sort()).toEqual(['shannon-none', 'shannon-rayleigh', 'trace']);
    expect(cases.some((c) => c.config.model.preset)).toBe(true);
    expect(cases.some((c) => !c.config.model.preset)).toBe(true);
    expect(cases.some((c) => c.w === 1)).toBe(true);
    expect(cases.some((c) => c.w === 0)).toBe(true);
    expect(cases.some((c) => c.config.server.staticPowerW > 0)).toBe(true);
    expect(cases.some((c) => !Array.isArray(c.raw.devices))).toBe(true);
  });

  it('feasible cuts match M(l) <= memoryBytes within cutRange', () => {
    for (const c of cases) {
      for (const d of c.config.devices) expect(c.system.feasibleCuts.get(d.id)).toEqual(myFeasible(c, d.memoryBytes));
    }
  });

  it("CARD's objective for its decision is <= that of every other strategy's decision on the same turn", () => {
    let strictlyBetter = 0;
    let cardPicksInterior = 0;
    for (const c of cases) {
      const rng = new TestRng(1000 + c.index);
      const commonMax = Math.min(...c.config.devices.map((d) => Math.max(...c.system.feasibleCuts.get(d.id)!)));
      const lo = c.config.training.cutRange[0];
      const { min, max } = c.config.server.freqHz;
      const card = planOf(c, { name: 'card', params: { weightDelay: c.w, energyScale: c.nu } });
      expect(card.strategy).toBe(`card:weightDelay=${c.w},energyScale=${c.nu}`);
      const others = [
        planOf(c, { name: 'cut-only', params: { weightDelay: c.w, energyScale: c.nu } }),
        planOf(c, { name: 'fixed', params: { cut: rng.int(lo, commonMax) } }),
        planOf(c, { name: 'fixed', params: { cut: rng.int(lo, commonMax), freqHz: rng.uniform(min, max) } }),
        planOf(c, { name: 'fixed', params: { cut: commonMax, freqHz: min } }),
        planOf(c, { name: 'random', params: {} }),
        planOf(c, { name: 'random', params: { seed: 99 } }),
        planOf(c, { name: 'device-heavy', params: {} }),
        planOf(c, { name: 'server-heavy', params: {} }),
        planOf(c, { name: 'card', params: { weightDelay: rng.next(), energyScale: rng.logUniform(1e-3, 1e3) } }),
      ];
      card.turns.forEach((t, i) => {
        const mine = J(c, t);
        const feasible = c.system.feasibleCuts.get(t.device)!;
        if (t.cut !== feasible[0] && t.cut !== feasible[feasible.length - 1]) cardPicksInterior++;
        for (const o of others) {
          const theirs = J(c, o.turns[i]!);
          if (!(mine <= theirs * (1 + 1e-9))) {
            expect.fail(
              `config #${c.index}, turn ${i} (round ${t.round}, ${t.device}): card cut ${t.cut} f ${t.serverFreqHz} J=${mine} > ` +
                `${o.strategy} cut ${o.turns[i]!.cut} f ${o.turns[i]!.serverFreqHz} J=${theirs}`,
            );
          }
          if (mine < theirs * (1 - 1e-6)) strictlyBetter++;
        }
      });
    }
    // the comparison is not vacuous
    expect(strictlyBetter).toBeGreaterThan(1000);
    // J is linear in the cut, so CARD picks an end of the feasible range (up to ties)
    expect(cardPicksInterior).toBe(0);
  });

  it("CARD's decision is the brute-force minimum over every feasible cut and a frequency grid", () => {
    for (const c of cases) {
      const card = planOf(c, { name: 'card', params: { weightDelay: c.w, energyScale: c.nu } });
      const { min, max } = c.config.server.freqHz;
      const grid = Array.from({ length: 41 }, (_, k) => min * (max / min) ** (k / 40));
      for (const t of card.turns.slice(0, 6)) {
        const cost = c.system.costModels.get(t.device)!;
        const rates = { upBps: t.rateUpBps, downBps: t.rateDownBps };
        let best = Infinity;
        for (const l of c.system.feasibleCuts.get(t.device)!) {
          for (const f of grid) {
            const k = cost.cost(l, f, rates);
            best = Math.min(best, c.w * k.delay.total + (1 - c.w) * c.nu * k.energy.server);
          }
        }
        const mine = J(c, t);
        if (!(mine <= best * (1 + 1e-9))) expect.fail(`config #${c.index}, ${t.device} round ${t.round}: card J=${mine} (cut ${t.cut}) > brute force ${best}`);
      }
    }
  });

  it("CARD's frequency is the numeric minimiser of J over [min, max] (relative 1e-6)", () => {
    let clampedMin = 0;
    let clampedMax = 0;
    let interior = 0;
    for (const c of cases) {
      const card = planOf(c, { name: 'card', params: { weightDelay: c.w, energyScale: c.nu } });
      const { min, max } = c.config.server.freqHz;
      for (const t of card.turns.slice(0, 3)) {
        const cost = c.system.costModels.get(t.device)!;
        const rates = { upBps: t.rateUpBps, downBps: t.rateDownBps };
        // J(f) at CARD's cut; only the f-dependent terms (server phase, server energy) so that the
        // constant phases do not drown the curvature in rounding — the minimiser is the same.
        const jOfF = (f: number) => c.w * cost.delay(t.cut, f, rates).server + (1 - c.w) * c.nu * cost.serverEnergy(t.cut, f);
        const fNum = argminNumeric(jOfF, min, max);
        expectRel(t.serverFreqHz, fNum, 1e-6, `config #${c.index} (w=${c.w}, nu=${c.nu}, P0=${c.config.server.staticPowerW})`);
        // and the full J at CARD's frequency is no worse than at the numeric one
        const full = (f: number) => {
          const k = cost.cost(t.cut, f, rates);
          return c.w * k.delay.total + (1 - c.w) * c.nu * k.energy.server;
        };
        expect(full(t.serverFreqHz)).toBeLessThanOrEqual(full(fNum) * (1 + 1e-12));
        if (t.serverFreqHz === min) clampedMin++;
        else if (t.serverFreqHz === max) clampedMax++;
        else interior++;
      }
    }
    expect(clampedMin).toBeGreaterThan(0);
    expect(clampedMax).toBeGreaterThan(0);
    expect(interior).toBeGreaterThan(0);
  });

  it("cut-only makes CARD's cut search at f = max", () => {
    for (const c of cases) {
      const p = planOf(c, { name: 'cut-only', params: { weightDelay: c.w, energyScale: c.nu } });
      const { max } = c.config.server.freqHz;
      for (const t of p.turns) {
        expect(t.serverFreqHz).toBe(max);
        const cost = c.system.costModels.get(t.device)!;
        const rates = { upBps: t.rateUpBps, downBps: t.rateDownBps };
        for (const l of c.system.feasibleCuts.get(t.device)!) {
          const k = cost.cost(l, max, rates);
          expect(J(c, t)).toBeLessThanOrEqual((c.w * k.delay.total + (1 - c.w) * c.nu * k.energy.server) * (1 + 1e-9));
        }
      }
    }
  });

  it('device-heavy takes the largest feasible cut, server-heavy the smallest, both at f = max', () => {
    for (const c of cases) {
      const dh = planOf(c, { name: 'device-heavy', params: {} });
      const sh = planOf(c, { name: 'server-heavy', params: {} });
      const byId = new Map(c.config.devices.map((d) => [d.id, myFeasible(c, d.memoryBytes)]));
      for (const t of dh.turns) {
        const cuts = byId.get(t.device)!;
        expect(t.cut).toBe(cuts[cuts.length - 1]);
        expect(t.serverFreqHz).toBe(c.config.server.freqHz.max);
      }
      for (const t of sh.turns) {
        expect(t.cut).toBe(byId.get(t.device)![0]);
        expect(t.serverFreqHz).toBe(c.config.server.freqHz.max);
      }
    }
  });

  it('random gives only feasible cuts, is seeded, and is not constant', () => {
    let differs = 0;
    let multiCutTurns = 0;
    const counts = new Map<number, number>();
    for (const c of cases) {
      const a = planOf(c, { name: 'random', params: {} });
      const b = planOf(c, { name: 'random', params: {} });
      const other = planOf(c, { name: 'random', params: { seed: c.config.seed + 1 } });
      expect(b.turns.map((t) => t.cut)).toEqual(a.turns.map((t) => t.cut));
      a.turns.forEach((t, i) => {
        const cuts = myFeasible(c, c.config.devices.find((d) => d.id === t.device)!.memoryBytes);
        expect(cuts).toContain(t.cut);
        expect(t.serverFreqHz).toBe(c.config.server.freqHz.max);
        if (cuts.length > 1) {
          multiCutTurns++;
          if (other.turns[i]!.cut !== t.cut) differs++;
          if (cuts.length >= 4) {
            const pos = cuts.indexOf(t.cut) / (cuts.length - 1);
            const bucket = Math.min(3, Math.floor(pos * 4));
            counts.set(bucket, (counts.get(bucket) ?? 0) + 1);
          }
        }
      });
    }
    expect(multiCutTurns).toBeGreaterThan(200);
    // another seed changes most draws
    expect(differs).toBeGreaterThan(multiCutTurns * 0.3);
    // roughly uniform over the feasible range: every quarter gets at least half its share
    const total = [...counts.values()].reduce((x, y) => x + y, 0);
    for (let q = 0; q < 4; q++) expect(counts.get(q) ?? 0).toBeGreaterThan(total / 8);
  });

  it('same seed -> identical plan (deep equal) for every strategy, from a fresh parse', () => {
    for (const c of cases.slice(0, 60)) {
      const again = new SystemModel(mustParse(structuredClone(c.raw)));
      for (const name of ['card', 'random', 'device-heavy']) {
        expect(plan(again, again.strategy({ name, params: {} }))).toEqual(planOf(c, { name, params: {} }));
      }
    }
  });

  it('another seed -> other fading draws (rayleigh); fading none -> identical rates every round and every seed', () => {
    let rayleigh = 0;
    let none = 0;
    for (const c of cases) {
      if (c.config.channel.model !== 'shannon' || !Array.isArray(c.raw.devices)) continue;
      const reseeded = new SystemModel(mustParse({ ...structuredClone(c.raw), seed: c.config.seed + 1, rounds: 3 }));
      const same = new SystemModel(mustParse({ ...structuredClone(c.raw), rounds: 3 }));
      for (const d of c.config.devices) {
        const r = [1, 2, 3].map((t) => same.channel.rates(t, d));
        const o = [1, 2, 3].map((t) => reseeded.channel.rates(t, d));
        if (c.config.channel.fading === 'none') {
          none++;
          expect(r[1]).toEqual(r[0]);
          expect(r[2]).toEqual(r[0]);
          expect(o).toEqual(r);
        } else {
          rayleigh++;
          for (let k = 0; k < 3; k++) {
            expect(o[k]!.upBps).not.toBe(r[k]!.upBps);
            expect(o[k]!.downBps).not.toBe(r[k]!.downBps);
          }
          // block fading: each round and each direction its own draw
          expect(r[1]!.upBps).not.toBe(r[0]!.upBps);
        }
      }
    }
    expect(rayleigh).toBeGreaterThan(20);
    expect(none).toBeGreaterThan(20);
  });

  it('rayleigh power gains look like Exp(1): mean ~1, P(|g|^2 > 1) ~ e^-1', () => {
    const c = cases.find((k) => k.config.channel.model === 'shannon' && k.config.channel.fading === 'rayleigh' && Array.isArray(k.raw.devices))!;
    const none = new SystemModel(mustParse({ ...structuredClone(c.raw), channel: { ...c.raw.channel, fading: 'none' } }));
    const d = c.config.devices[0]!;
    const B = d.bandwidthHz!;
    // invert r = B log2(1 + snr*g): g = (2^(r/B) - 1) / snr, with snr from the fading-free rate
    const snrUp = 2 ** (none.channel.rates(1, d).upBps / B) - 1;
    const gains: number[] = [];
    for (let t = 1; t <= 4000; t++) gains.push((2 ** (c.system.channel.rates(t, d).upBps / B) - 1) / snrUp);
    const mean = gains.reduce((a, b) => a + b, 0) / gains.length;
    expect(mean).toBeGreaterThan(0.93);
    expect(mean).toBeLessThan(1.07);
    const above = gains.filter((g) => g > 1).length / gains.length;
    expect(above).toBeGreaterThan(Math.exp(-1) - 0.03);
    expect(above).toBeLessThan(Math.exp(-1) + 0.03);
  });

  it('a trace cycles: round t uses index (t-1) mod length of each list', () => {
    let checked = 0;
    for (const c of cases) {
      if (c.config.channel.model !== 'trace') continue;
      const trace = c.raw.channel.trace as Record<string, { upBps: number[]; downBps: number[] }>;
      const p = planOf(c, { name: 'server-heavy', params: {} });
      for (const t of p.turns) {
        const s = trace[t.device]!;
        expect(t.rateUpBps).toBe(s.upBps[(t.round - 1) % s.upBps.length]);
        expect(t.rateDownBps).toBe(s.downBps[(t.round - 1) % s.downBps.length]);
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(50);
  });

  it("latency never changes CARD's decisions: (cut, f) per turn identical with delayMs 0 and 25, totals 2 + 2I latencies longer", () => {
    for (const c of cases.slice(0, 120)) {
      const late = new SystemModel(mustParse({ ...structuredClone(c.raw), channel: { ...c.raw.channel, delayMs: 25 } }));
      const choice = { name: 'card', params: { weightDelay: c.w, energyScale: c.nu } };
      const a = planOf(c, choice);
      const b = plan(late, late.strategy(choice));
      expect(b.turns.map((t) => [t.cut, t.serverFreqHz])).toEqual(a.turns.map((t) => [t.cut, t.serverFreqHz]));
      const I = c.config.training.iterations;
      b.turns.forEach((t, i) => {
        expectRel(t.delay.total, a.turns[i]!.delay.total + (2 + 2 * I) * 0.025, 1e-9);
        expect(t.energy).toEqual(a.turns[i]!.energy);
      });
    }
  });

  it('every plan: total = sum of phases, rounds = sums of their turns, summary = means over rounds', () => {
    for (const c of cases.slice(0, 80)) {
      const p = planOf(c, { name: 'card', params: { weightDelay: c.w, energyScale: c.nu } });
      expect(p.turns.length).toBe(c.config.rounds * c.config.devices.length);
      expect(p.turns.map((t) => t.device)).toEqual(Array.from({ length: c.config.rounds }, () => c.config.devices.map((d) => d.id)).flat());
      for (const t of p.turns) {
        const d = t.delay;
        expectRel(d.total, d.adapterDown + d.deviceForward + d.uplink + d.server + d.downlink + d.deviceBackward + d.adapterUp, 1e-12);
      }
      expect(p.rounds.map((r) => r.round)).toEqual(Array.from({ length: c.config.rounds }, (_, i) => i + 1));
      for (const r of p.rounds) {
        const ts = p.turns.filter((t) => t.round === r.round);
        expectRel(r.delay, ts.reduce((a, t) => a + t.delay.total, 0), 1e-12);
        expectRel(r.serverEnergy, ts.reduce((a, t) => a + t.energy.server, 0), 1e-12);
      }
      expectRel(p.summary.avgRoundDelay, p.rounds.reduce((a, r) => a + r.delay, 0) / c.config.rounds, 1e-12);
      expectRel(p.summary.avgServerEnergy, p.rounds.reduce((a, r) => a + r.serverEnergy, 0) / c.config.rounds, 1e-12);
    }
  });
});
