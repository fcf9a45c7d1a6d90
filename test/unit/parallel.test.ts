/**
 * Parallel mode (docs/model.md §1.6): the GPU queue worked out by hand on round numbers (every
 * value a sum of halves, so exact in binary), the planner's wiring on the small explicit
 * model, and properties over seeded random configs.
 */
import { describe, expect, it } from 'vitest';
import { PHASES } from '../../src/cost.js';
import { plan, planRounds } from '../../src/plan.js';
import { jobChain, scheduleRound, turnSteps } from '../../src/parallel.js';
import { SystemModel } from '../../src/system-model.js';
import { expectRel, mustParse, randomRawConfig, smallModelConfig, TestRng } from './helpers.js';

const phases = (p: number[]) => Object.fromEntries(PHASES.map((k, i) => [k, p[i]])) as Record<(typeof PHASES)[number], number>;

describe('the GPU queue by hand', () => {
  it('two devices whose jobs collide: the later arrival waits for the GPU', () => {
    // A: 1 s to its job, a 2 s job, 1 s after ; B: 2 s to its job, a 1 s job, 0.5 s after
    // A arrives at 1 and runs 1..3 ; B arrives at 2, the GPU is busy until 3: B waits 1 s, runs 3..4
    // A finishes 3 + 1 = 4 ; B finishes 4 + 0.5 = 4.5 = its own 3.5 s + 1 s waiting
    const [a, b] = scheduleRound([
      { jobs: [{ lead: 1, seconds: 2 }], tail: 1 },
      { jobs: [{ lead: 2, seconds: 1 }], tail: 0.5 },
    ]);
    expect(a).toEqual({ jobs: [{ arrival: 1, start: 1, end: 3 }], serverWait: 0, finish: 4 });
    expect(b).toEqual({ jobs: [{ arrival: 2, start: 3, end: 4 }], serverWait: 1, finish: 4.5 });
  });

  it('first come first served, not config order: a later device that arrives first goes first', () => {
    // A arrives at 2 with a 1 s job ; B (second in config) arrives at 1 with a 3 s job and runs 1..4
    // A waits 4 - 2 = 2 s, runs 4..5
    const [a, b] = scheduleRound([
      { jobs: [{ lead: 2, seconds: 1 }], tail: 0 },
      { jobs: [{ lead: 1, seconds: 3 }], tail: 0 },
    ]);
    expect(b!.serverWait).toBe(0);
    expect(a).toEqual({ jobs: [{ arrival: 2, start: 4, end: 5 }], serverWait: 2, finish: 5 });
  });

  it('ties are broken by config order', () => {
    // both arrive at 1 with a 1 s job: the first in config order runs 1..2, the other waits 1 s and runs 2..3
    const same = { jobs: [{ lead: 1, seconds: 1 }], tail: 0.5 };
    const [first, second] = scheduleRound([same, same]);
    expect(first).toEqual({ jobs: [{ arrival: 1, start: 1, end: 2 }], serverWait: 0, finish: 2.5 });
    expect(second).toEqual({ jobs: [{ arrival: 1, start: 2, end: 3 }], serverWait: 1, finish: 3.5 });
    // three at once: waits 0, 1, 2
    expect(scheduleRound([same, same, same]).map((s) => s.serverWait)).toEqual([0, 1, 2]);
  });

  it('I = 3 iterations interleave on the GPU', () => {
    // phases (adapterDown, forward, uplink, server, downlink, backward, adapterUp), each iterated one split in 3:
    // A: 1, 3, 3, 6, 1.5, 3, 1 -> per iteration forward 1, uplink 1, job 2, downlink 0.5, backward 1 ; sum 18.5
    // B: 0.5, 1.5, 1.5, 3, 1.5, 1.5, 0.5 -> per iteration 0.5 each, job 1 ; sum 10
    const A = turnSteps(phases([1, 3, 3, 6, 1.5, 3, 1]), 3);
    const B = turnSteps(phases([0.5, 1.5, 1.5, 3, 1.5, 1.5, 0.5]), 3);
    expect(A.map((s) => s.phase)).toEqual(['adapterDown', ...Array(3).fill(['deviceForward', 'uplink', 'server', 'downlink', 'deviceBackward']).flat(), 'adapterUp']);
    // A's jobs: lead 1+1+1 = 3 before the first, 0.5+1+1+1 = 3.5 between, tail 0.5+1+1 = 2.5
    expect(jobChain(A)).toEqual({ jobs: [{ lead: 3, seconds: 2 }, { lead: 3.5, seconds: 2 }, { lead: 3.5, seconds: 2 }], tail: 2.5 });
    // B's jobs: lead 1.5, then 2 between, tail 1.5
    expect(jobChain(B)).toEqual({ jobs: [{ lead: 1.5, seconds: 1 }, { lead: 2, seconds: 1 }, { lead: 2, seconds: 1 }], tail: 1.5 });
    // B1 arrives 1.5, runs 1.5..2.5 ; A1 arrives 3, runs 3..5 ; B2 arrives 2.5+2 = 4.5, waits 0.5, runs 5..6
    // B3 arrives 6+2 = 8, runs 8..9 ; A2 arrives 5+3.5 = 8.5, waits 0.5, runs 9..11 ; A3 arrives 11+3.5 = 14.5, runs 14.5..16.5
    // A finishes 16.5 + 2.5 = 19 = 18.5 + 0.5 ; B finishes 9 + 1.5 = 10.5 = 10 + 0.5
    const [a, b] = scheduleRound([jobChain(A), jobChain(B)]);
    expect(a!.jobs).toEqual([
      { arrival: 3, start: 3, end: 5 },
      { arrival: 8.5, start: 9, end: 11 },
      { arrival: 14.5, start: 14.5, end: 16.5 },
    ]);
    expect(b!.jobs).toEqual([
      { arrival: 1.5, start: 1.5, end: 2.5 },
      { arrival: 4.5, start: 5, end: 6 },
      { arrival: 8, start: 8, end: 9 },
    ]);
    expect([a!.serverWait, a!.finish]).toEqual([0.5, 19]);
    expect([b!.serverWait, b!.finish]).toEqual([0.5, 10.5]);
  });

  it('a device without jobs (crashed before its first) just takes its time', () => {
    expect(scheduleRound([{ jobs: [], tail: 2 }])).toEqual([{ jobs: [], serverWait: 0, finish: 2 }]);
  });
});

/** Parallel mode, one round of the small model of formulas.test.ts. */
const smallConfig = (extra: Record<string, unknown> = {}, ids = ['a', 'b']) => smallModelConfig(ids, { mode: 'parallel', ...extra });

describe('the planner in parallel mode', () => {
  // phases of one turn (formulas.test.ts): adapterDown 0.008192, forward 0.00221184, uplink 0.049152,
  // server 0.0004497408, downlink 0.012288, backward 0.00442368, adapterUp 0.032768 ; total 0.1094852608
  // server energy 0.006746112 per turn
  it('two identical devices: every job ties, the first in config order goes first and the other waits one job', () => {
    const system = new SystemModel(mustParse(smallConfig()));
    const p = plan(system, system.strategy());
    const [a, b] = p.turns;
    // job 1 of both arrives at 0.008192 + (0.00221184 + 0.049152)/3 ; a runs it, b waits server/3 = 0.0001499136 s.
    // b's later jobs then arrive exactly when a's end (same lead after the job), so they wait no more.
    expect(a!.delay.serverWait).toBe(0);
    expectRel(b!.delay.serverWait, 0.0004497408 / 3, 1e-9);
    expectRel(a!.delay.total, 0.1094852608);
    expectRel(b!.delay.total, 0.1094852608 + 0.0001499136, 1e-12);
    // the round lasts as long as the last device; the energy is both turns'
    expect(p.rounds[0]!.delay).toBe(b!.delay.total);
    expectRel(p.rounds[0]!.serverEnergy, 2 * 0.006746112);
    expect(p.summary.mode).toBe('parallel');
    expectRel(p.summary.avgRoundDelay, 0.1096351744, 1e-12);
    // config order decides the tie: swap the devices and the other one waits
    const swapped = new SystemModel(mustParse(smallConfig({}, ['b', 'a'])));
    const q = plan(swapped, swapped.strategy());
    expect(q.turns.map((t) => [t.device, t.delay.serverWait > 0])).toEqual([
      ['b', false],
      ['a', true],
    ]);
  });

  it('the schedule of each round is there for the coordinator', () => {
    const system = new SystemModel(mustParse(smallConfig()));
    const [round] = [...planRounds(system, system.strategy())];
    const a = round!.schedule!.get('a')!;
    const b = round!.schedule!.get('b')!;
    expect(a.jobs).toHaveLength(3);
    expectRel(a.jobs[0]!.arrival, 0.008192 + (0.00221184 + 0.049152) / 3);
    expect(b.jobs[0]!.start).toBe(a.jobs[0]!.end);
    expectRel(b.finish, round!.turns[1]!.delay.total, 1e-12);
  });

  it('sequential mode has no queue: serverWait 0 and the round is the sum', () => {
    const system = new SystemModel(mustParse(smallConfig({ mode: 'sequential' })));
    const p = plan(system, system.strategy());
    for (const t of p.turns) expect(t.delay.serverWait).toBe(0);
    expectRel(p.rounds[0]!.delay, 2 * 0.1094852608);
    expect(system.config.mode).toBe('sequential');
  });
});

describe('parallel mode over seeded random configs', () => {
  const rng = new TestRng(16061);
  const raws = Array.from({ length: 120 }, () => randomRawConfig(rng));

  it('with one device, parallel equals sequential (every turn, round and figure)', () => {
    for (const raw of raws) {
      const one = structuredClone(raw);
      if (Array.isArray(one.devices)) one.devices = one.devices.slice(0, 1);
      else one.devices.count = 1;
      const seq = new SystemModel(mustParse({ ...one, mode: 'sequential' }));
      const par = new SystemModel(mustParse({ ...one, mode: 'parallel' }));
      const a = plan(seq, seq.strategy());
      const b = plan(par, par.strategy());
      expect(b.turns).toEqual(a.turns);
      expect(b.rounds).toEqual(a.rounds);
      expect({ ...b.summary, mode: 'sequential' }).toEqual(a.summary);
    }
  });

  it('with many: the same decisions and energies; each total = its phases + serverWait; the GPU never runs two jobs; the round is no longer than sequential', () => {
    let waited = 0;
    for (const raw of raws) {
      const seq = new SystemModel(mustParse({ ...raw, mode: 'sequential' }));
      const par = new SystemModel(mustParse({ ...raw, mode: 'parallel' }));
      const a = plan(seq, seq.strategy());
      const rounds = [...planRounds(par, par.strategy())];
      const b = plan(par, par.strategy());
      b.turns.forEach((t, i) => {
        const s = a.turns[i]!;
        expect([t.cut, t.serverFreqHz, t.energy]).toEqual([s.cut, s.serverFreqHz, s.energy]);
        expectRel(t.delay.total, s.delay.total + t.delay.serverWait, 1e-12);
        if (t.delay.serverWait > 0) waited++;
      });
      b.rounds.forEach((r, i) => {
        const own = Math.max(...a.turns.filter((t) => t.round === r.round).map((t) => t.delay.total));
        expect(r.delay).toBeGreaterThanOrEqual(own);
        expect(r.delay).toBeLessThanOrEqual(a.rounds[i]!.delay * (1 + 1e-12));
        expectRel(r.serverEnergy, a.rounds[i]!.serverEnergy, 1e-12);
      });
      for (const round of rounds) {
        const jobs = [...round.schedule!.values()].flatMap((s) => s.jobs).sort((x, y) => x.start - y.start);
        for (let k = 1; k < jobs.length; k++) expect(jobs[k]!.start).toBeGreaterThanOrEqual(jobs[k - 1]!.end);
        // first come first served: starts in the order of arrivals
        for (let k = 1; k < jobs.length; k++) expect(jobs[k]!.arrival).toBeGreaterThanOrEqual(jobs[k - 1]!.arrival);
      }
    }
    expect(waited).toBeGreaterThan(20);
  });
});
