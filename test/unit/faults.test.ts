/**
 * Faults (docs/model.md §1.7): the config's rules, and the plan of a tiny config with a
 * dropout, a crash and an outage worked out by hand, in both modes.
 */
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config.js';
import { plan } from '../../src/plan.js';
import { SystemModel } from '../../src/system-model.js';
import { completedShare } from '../../src/turn-fault.js';
import { expectRel, mustParse, randomRawConfig, smallModelConfig, TestRng } from './helpers.js';

/** Three rounds of the small model of formulas.test.ts (cut 2, f = 1e9, rates 1/4 Mbit/s, I = 3), two devices. */
const tiny = (faults: unknown, mode = 'sequential') => smallModelConfig(['a', 'b'], { rounds: 3, mode, faults });

const FAULTS = [
  { kind: 'dropout', device: 'b', rounds: [1] },
  { kind: 'crash', device: 'a', round: 2, phase: 'downlink' },
  { kind: 'outage', device: 'b', round: 3, phase: 'uplink', seconds: 0.5 },
];

// One full turn (formulas.test.ts): adapterDown 0.008192, forward 0.00221184, uplink 0.049152, server 0.0004497408,
// downlink 0.012288, backward 0.00442368, adapterUp 0.032768 ; total 0.1094852608
// energies: server 0.006746112, deviceCompute 0.00663552 (forward 0.00221184 + backward 0.00442368), transmit 0.008192
// (uplink 0.1 W * 0.049152 = 0.0049152 + adapterUp 0.1 W * 0.032768 = 0.0032768)
const FULL = 0.1094852608;
// a crashes when its downlink first starts, inside iteration 1 of 3: it has done adapterDown and a third of
// forward, uplink and the server: 0.008192 + 0.00073728 + 0.016384 + 0.0001499136 = 0.0254631936
const CRASHED = 0.0254631936;

describe('a dropout, a crash and an outage by hand (sequential)', () => {
  const system = new SystemModel(mustParse(tiny(FAULTS)));
  const p = plan(system, system.strategy());
  const turn = (round: number, device: string) => p.turns.find((t) => t.round === round && t.device === device)!;

  it('every (round, device) has exactly one turn, with its status', () => {
    expect(p.turns.map((t) => `${t.round}${t.device}:${t.status}`)).toEqual(['1a:done', '1b:dropped', '2a:crashed', '2b:done', '3a:done', '3b:done']);
    expect(p.summary.turnsByStatus).toEqual({ done: 4, dropped: 1, crashed: 1 });
    expect(p.summary.turns).toBe(6);
    expect(turn(2, 'a').fault).toEqual({ kind: 'crash', phase: 'downlink' });
    expect(turn(1, 'a').fault).toBeUndefined();
  });

  it('a dropped turn costs nothing, keeps the round rates, cut 0 and frequency 0', () => {
    const t = turn(1, 'b');
    expect([t.cut, t.serverFreqHz, t.rateUpBps, t.rateDownBps]).toEqual([0, 0, 1e6, 4e6]);
    expect(Object.values(t.delay).every((v) => v === 0)).toBe(true);
    expect(t.energy).toEqual({ server: 0, deviceCompute: 0, deviceTransmit: 0 });
  });

  it('a crashed turn: the phases done before the crash, and only their energy', () => {
    const t = turn(2, 'a');
    expect([t.cut, t.serverFreqHz]).toEqual([2, 1e9]);
    expectRel(t.delay.adapterDown, 0.008192);
    expectRel(t.delay.deviceForward, 0.00221184 / 3);
    expectRel(t.delay.uplink, 0.049152 / 3);
    expectRel(t.delay.server, 0.0004497408 / 3);
    expect([t.delay.downlink, t.delay.deviceBackward, t.delay.adapterUp]).toEqual([0, 0, 0]);
    expectRel(t.delay.total, CRASHED);
    // one of three server jobs ran: 0.006746112 / 3 ; forward of one iteration: 0.00221184 / 3, no backward ;
    // one of three uplinks on air: 0.0049152 / 3, no adapterUp
    expectRel(t.energy.server, 0.002248704);
    expectRel(t.energy.deviceCompute, 0.00073728);
    expectRel(t.energy.deviceTransmit, 0.0016384);
  });

  it('an outage adds its seconds to its phase, and no energy (the link carries nothing)', () => {
    const t = turn(3, 'b');
    expectRel(t.delay.uplink, 0.049152 + 0.5);
    expectRel(t.delay.total, FULL + 0.5);
    expectRel(t.energy.deviceTransmit, 0.008192);
    expectRel(t.energy.server, 0.006746112);
  });

  it('rounds: sums of their turns', () => {
    expectRel(p.rounds[0]!.delay, FULL);
    expectRel(p.rounds[1]!.delay, CRASHED + FULL); // 0.1349484544
    expectRel(p.rounds[2]!.delay, FULL + FULL + 0.5); // 0.7189705216
    expectRel(p.rounds[0]!.serverEnergy, 0.006746112);
    expectRel(p.rounds[1]!.serverEnergy, 0.002248704 + 0.006746112);
    expectRel(p.summary.avgRoundDelay, (FULL + CRASHED + FULL + 2 * FULL + 0.5) / 3);
  });
});

describe('the same faults in parallel mode', () => {
  const system = new SystemModel(mustParse(tiny(FAULTS, 'parallel')));
  const p = plan(system, system.strategy());

  it('round 1: the dropped device takes no part, a runs alone', () => {
    expect(p.turns[1]!.delay.total).toBe(0);
    expect(p.turns[0]!.delay.serverWait).toBe(0);
    expectRel(p.rounds[0]!.delay, FULL);
  });

  it('round 2: a and b tie on job 1 (a first), then a crashes and its later jobs never reach the queue', () => {
    const [a, b] = [p.turns[2]!, p.turns[3]!];
    expect(a.delay.serverWait).toBe(0);
    expectRel(a.delay.total, CRASHED);
    // b waits for a's one job (0.0004497408 / 3 = 0.0001499136), then has the GPU to itself
    expectRel(b.delay.serverWait, 0.0001499136, 1e-9);
    expectRel(b.delay.total, FULL + 0.0001499136, 1e-12);
    expectRel(p.rounds[1]!.delay, 0.1096351744, 1e-12);
  });

  it("round 3: the outage pushes b's first job 0.5 s later, past all of a's: nobody waits", () => {
    expect(p.turns[4]!.delay.serverWait).toBe(0);
    expect(p.turns[5]!.delay.serverWait).toBe(0);
    expectRel(p.rounds[2]!.delay, FULL + 0.5);
  });
});

describe('completedShare: what a crash at the first start of a phase leaves done', () => {
  it('I = 1 is "the phases before it"; I = 3 a third of the iterated phases before it', () => {
    expect(completedShare('adapterDown', 'uplink', 1)).toBe(1);
    expect(completedShare('deviceForward', 'uplink', 1)).toBe(1);
    expect(completedShare('uplink', 'uplink', 1)).toBe(0);
    expect(completedShare('deviceForward', 'uplink', 3)).toBe(1 / 3);
    expect(completedShare('deviceBackward', 'adapterUp', 3)).toBe(1);
    expect(completedShare('adapterDown', 'adapterDown', 3)).toBe(0);
    expect(completedShare('adapterUp', 'adapterUp', 3)).toBe(0);
  });
});

describe('faults in the config: strict, each problem with its path', () => {
  const errorsOf = (faults: unknown, rounds = 3) => {
    const r = parseConfig({ ...tiny(faults), rounds });
    return r.ok ? [] : r.errors;
  };
  const cases: [string, unknown, RegExp][] = [
    ['not an array', { kind: 'dropout' }, /^faults: must be an array$/],
    ['not an object', [3], /^faults\[0\]: must be an object$/],
    ['unknown kind', [{ kind: 'meteor', device: 'a', round: 1 }], /^faults\[0\]\.kind: must be one of "dropout", "crash", "outage"$/],
    ['unknown device', [{ kind: 'crash', device: 'zz', round: 1, phase: 'uplink' }], /^faults\[0\]\.device: no device "zz"/],
    ['round above rounds', [{ kind: 'crash', device: 'a', round: 4, phase: 'uplink' }], /^faults\[0\]\.round: must be <= 3/],
    ['round 0', [{ kind: 'outage', device: 'a', round: 0, phase: 'uplink', seconds: 1 }], /^faults\[0\]\.round: must be >= 1/],
    ['dropout round out of range', [{ kind: 'dropout', device: 'a', rounds: [1, 7] }], /^faults\[0\]\.rounds\[1\]: must be <= 3/],
    ['dropout without rounds', [{ kind: 'dropout', device: 'a', rounds: [] }], /^faults\[0\]\.rounds: must have at least 1 items/],
    ['compute phase for an outage', [{ kind: 'outage', device: 'a', round: 1, phase: 'server', seconds: 1 }], /^faults\[0\]\.phase: .*transfer phase.*"adapterDown", "uplink", "downlink", "adapterUp"/],
    ['unknown phase for a crash', [{ kind: 'crash', device: 'a', round: 1, phase: 'coffee' }], /^faults\[0\]\.phase: must be one of "adapterDown"/],
    ['seconds 0', [{ kind: 'outage', device: 'a', round: 1, phase: 'uplink', seconds: 0 }], /^faults\[0\]\.seconds: must be > 0/],
    ['seconds missing', [{ kind: 'outage', device: 'a', round: 1, phase: 'uplink' }], /^faults\[0\]\.seconds: is required/],
    ['unknown key', [{ kind: 'crash', device: 'a', round: 1, phase: 'uplink', when: 'now' }], /^faults\[0\]\.when: unknown key$/],
    [
      'two faults on one turn',
      [
        { kind: 'dropout', device: 'b', rounds: [1, 2] },
        { kind: 'outage', device: 'b', round: 2, phase: 'uplink', seconds: 1 },
      ],
      /^faults\[1\]\.round: round 2 of device "b" already has a fault \(faults\[0\]\)/,
    ],
    ['a dropout round twice', [{ kind: 'dropout', device: 'b', rounds: [2, 2] }], /^faults\[0\]\.rounds\[1\]: round 2 of device "b" already has a fault/],
  ];
  it.each(cases)('%s', (_name, faults, pattern) => {
    const errors = errorsOf(faults);
    expect(errors, errors.join('\n')).toHaveLength(1);
    expect(errors[0]).toMatch(pattern);
  });

  it('no faults: []; the same fault on another device or round is fine', () => {
    expect(mustParse(tiny(undefined)).faults).toEqual([]);
    const ok = [
      { kind: 'crash', device: 'a', round: 1, phase: 'adapterDown' },
      { kind: 'crash', device: 'b', round: 1, phase: 'adapterUp' },
      { kind: 'crash', device: 'a', round: 2, phase: 'server' },
    ];
    expect(mustParse(tiny(ok)).faults).toEqual(ok);
  });
});

describe('faults over seeded random configs', () => {
  it("strategies are blind to faults: every turn without one is the fault-free plan's, a crashed one keeps its decision", () => {
    const rng = new TestRng(777);
    let dropped = 0;
    let crashed = 0;
    for (let k = 0; k < 80; k++) {
      const raw = randomRawConfig(rng);
      raw.strategy = { name: rng.pick(['card', 'random', 'device-heavy']) };
      const clean = new SystemModel(mustParse(raw));
      const ids = clean.config.devices.map((d) => d.id);
      const phases = ['adapterDown', 'deviceForward', 'uplink', 'server', 'downlink', 'deviceBackward', 'adapterUp'];
      const faults = ids.slice(0, 2).map((device, i) =>
        i === 0 ? { kind: 'dropout', device, rounds: [1] } : { kind: 'crash', device, round: 1, phase: rng.pick(phases) },
      );
      const faulty = new SystemModel(mustParse({ ...raw, faults }));
      const a = plan(clean, clean.strategy());
      const b = plan(faulty, faulty.strategy());
      b.turns.forEach((t, i) => {
        const c = a.turns[i]!;
        if (t.status === 'done') expect(t).toEqual(c);
        if (t.status === 'crashed') {
          crashed++;
          expect([t.cut, t.serverFreqHz]).toEqual([c.cut, c.serverFreqHz]);
          expect(t.delay.total).toBeLessThanOrEqual(c.delay.total * (1 + 1e-12));
          expect(t.energy.server).toBeLessThanOrEqual(c.energy.server);
        }
        if (t.status === 'dropped') {
          dropped++;
          expect(t.delay.total).toBe(0);
        }
      });
    }
    expect(dropped).toBeGreaterThan(30);
    expect(crashed).toBeGreaterThan(10);
  });
});
