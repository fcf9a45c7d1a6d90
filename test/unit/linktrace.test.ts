import { join } from 'node:path';
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseConfig, type Config } from '../../src/config.js';
import { deviceLinks, LinkTraceChannel, type DeviceLink } from '../../src/linktrace-channel.js';
import { parseMahimahi, parseRates } from '../../src/linktrace-parse.js';
import type { LinkTrace } from '../../src/linktrace.js';
import { scheduleTimedRound } from '../../src/parallel.js';
import { plan } from '../../src/plan.js';
import { SystemModel } from '../../src/system-model.js';

function mahimahi(text: string): LinkTrace {
  const r = parseMahimahi(text, 't');
  if ('error' in r) throw new Error(r.error);
  return r.trace;
}

/** One device on one trace both ways, no latency, the given estimator. */
function channelOf(trace: LinkTrace, offsetS = 0, estimator: ConstructorParameters<typeof LinkTraceChannel>[1] = { kind: 'mean' }): LinkTraceChannel {
  return new LinkTraceChannel(new Map<string, DeviceLink>([['d', { up: trace, down: trace, offsetS }]]), estimator, 0);
}

describe('trace files', () => {
  it('mahimahi: errors name the file and line', () => {
    expect(parseMahimahi('1\n2\nx3\n', 'a.up')).toEqual({ error: 'a.up:3: "x3" is not a non-negative integer millisecond timestamp' });
    expect(parseMahimahi('1\n5\n4\n', 'a.up')).toEqual({ error: 'a.up:3: 4 is before the line above (5): timestamps must not decrease' });
    expect(parseMahimahi('\n\n', 'a.up')).toEqual({ error: 'a.up:1: empty trace: no timestamps' });
    expect(parseMahimahi('0\n0\n', 'a.up')).toEqual({ error: 'a.up:2: period 0: the last timestamp must be > 0' });
    expect(parseMahimahi('1.5\n', 'a.up')).toMatchObject({ error: expect.stringMatching(/^a\.up:1: /) });
  });

  it('rates: errors name the file and line', () => {
    expect(parseRates('s,bps\n0,1\n', 'r.csv')).toEqual({ error: 'r.csv:1: the header must be "seconds,bps"' });
    expect(parseRates('seconds,bps\n1,5\n', 'r.csv')).toEqual({ error: 'r.csv:2: the first row must be at 0 seconds' });
    expect(parseRates('seconds,bps\n0,5\n2,5\n2,6\n', 'r.csv')).toEqual({ error: 'r.csv:4: 2 s is not after the row above (2 s): times must increase' });
    expect(parseRates('seconds,bps\n0,5\n1,fast\n', 'r.csv')).toEqual({ error: 'r.csv:3: bps "fast" is not a number >= 0' });
    expect(parseRates('seconds,bps\n0,5e6\n', 'r.csv')).toMatchObject({ error: expect.stringMatching(/^r\.csv:2: period 0/) });
    expect(parseRates('seconds,bps\n', 'r.csv')).toEqual({ error: 'r.csv:2: empty trace: no rows' });
  });

  it('rates: capacity becomes opportunities; the last row lasts as long as the step before it', () => {
    // 12 Mbit/s for 1 s (an opportunity every ms), then 6 Mbit/s for 1 s (every 2 ms): P = 2 s
    const r = parseRates('seconds,bps\n0,12000000\n1,6000000\n', 'r.csv');
    if ('error' in r) throw new Error(r.error);
    expect(r.trace.periodMs).toBe(2000);
    expect(r.trace.lines).toBe(1500);
    expect(r.trace.meanBps()).toBe(9e6);
    const ch = channelOf(r.trace);
    expect(ch.airTime('d', 'up', 0, 1500)).toBeCloseTo(0.001, 12);
    expect(ch.airTime('d', 'up', 1, 4500)).toBeCloseTo(0.004, 12); // at 1000 (inclusive), 1002 and 1004 ms
  });
});

describe('a transfer integrated on the trace', () => {
  it('a constant trace "1" (12 Mbit/s) gives 1.4 exactly: n packets from 0 take n ms', () => {
    const ch = channelOf(mahimahi('1\n'));
    for (const n of [1, 2, 7, 1000, 123457]) expect(ch.airTime('d', 'up', 0, 1500 * n)).toBeCloseTo((8 * 1500 * n) / 12e6, 9);
    // a partial packet is a whole opportunity; at or after the start, inclusive
    expect(ch.airTime('d', 'up', 0, 1501)).toBeCloseTo(0.002, 12);
    expect(ch.airTime('d', 'up', 0.0025, 3000)).toBeCloseTo(0.0015, 12);
    expect(ch.airTime('d', 'up', 0.003, 1500)).toBeCloseTo(0, 12);
  });

  it('a transfer straddles a gap in the trace', () => {
    // opportunities at 1, 2, 10 ms, period 10
    const ch = channelOf(mahimahi('1\n2\n10\n'));
    expect(ch.airTime('d', 'down', 0, 4500)).toBeCloseTo(0.01, 12); // 1, 2, 10
    expect(ch.airTime('d', 'down', 0.0015, 4500)).toBeCloseTo(0.0095, 12); // 2, 10, 11
    expect(ch.airTime('d', 'down', 0.0025, 1500)).toBeCloseTo(0.0075, 12); // waits out the gap to 10
  });

  it('the trace repeats with period P = its last timestamp', () => {
    const ch = channelOf(mahimahi('1\n2\n10\n'));
    expect(ch.airTime('d', 'up', 0, 7 * 1500)).toBeCloseTo(0.021, 12); // 1 2 10 11 12 20 21
    expect(ch.airTime('d', 'up', 0.025, 3 * 1500)).toBeCloseTo(0.007, 12); // 30 31 32
    expect(ch.airTime('d', 'up', 1000.0005, 1500)).toBeCloseTo(0.0005, 12); // 1000001 ms is 100000*P + 1
    // a line at 0 is an opportunity at 0 in period 0, and coincides with P in the next
    const zero = channelOf(mahimahi('0\n5\n'));
    expect(zero.airTime('d', 'up', 0, 1500)).toBe(0);
    expect(zero.airTime('d', 'up', 0, 2 * 1500)).toBeCloseTo(0.005, 12);
    expect(zero.airTime('d', 'up', 0, 3 * 1500)).toBeCloseTo(0.005, 12); // two at 5
    expect(zero.airTime('d', 'up', 0, 4 * 1500)).toBeCloseTo(0.01, 12);
  });

  it('offsets: a listed device its own, the others offsetS + k*staggerS', () => {
    const t = mahimahi('1\n2\n10\n');
    const devices = ['d1', 'd2', 'd3'].map((id) => ({ id, freqHz: 1, flopsPerCycle: 1, kappa: 0, memoryBytes: 1, txPowerDbm: 0 }));
    const links = deviceLinks(
      devices,
      { d1: { up: 'a', down: 'a', offsetS: 3, staggerS: 0 }, default: { up: 'a', down: 'a', offsetS: 1, staggerS: 7 } },
      new Map([['a', t]]),
    );
    expect([...links.values()].map((l) => l.offsetS)).toEqual([3, 8, 15]);
    const ch = new LinkTraceChannel(links, { kind: 'mean' }, 0.01);
    // d2 at run time 0 is trace time 8 s = 800 periods: an opportunity right there, the next at +1 ms
    expect(ch.airTime('d2', 'up', 0, 1500)).toBe(0);
    expect(ch.airTime('d2', 'up', 0, 3000)).toBeCloseTo(0.001, 12);
    expect(ch.airTime('d3', 'up', 0.0005, 1500)).toBeCloseTo(0.0005, 12); // 15 s + 0.5 ms: next at 15001 ms
    const shifted = channelOf(t, 0.003);
    expect(shifted.airTime('d', 'up', 0, 1500)).toBeCloseTo(0.007, 12); // trace 3 ms: next at 10
  });

  it('estimators: the window before t (periodic before 0), and the long-run mean', () => {
    const t = mahimahi('1\n2\n10\n');
    expect(t.meanBps()).toBeCloseTo((12000 * 3) / 0.01, 6);
    const w = (seconds: number) => channelOf(t, 0, { kind: 'window', seconds });
    expect(w(0.01).seen('d', 0).upBps).toBeCloseTo(3.6e6, 6); // [-10, 0): -10, -9, -8
    expect(w(0.005).seen('d', 0.003).upBps).toBeCloseTo((3 * 12000) / 0.005, 6); // [-2, 3): 0, 1, 2
    // an empty window counts one opportunity: the estimate stays finite
    expect(w(0.005).seen('d', 0.01).downBps).toBeCloseTo(12000 / 0.005, 6); // [5, 10): none
    expect(channelOf(t).seen('d', 123)).toEqual({ upBps: t.meanBps(), downBps: t.meanBps() });
  });
});

const files: Record<string, string> = {
  'c.up': '1\n', // 12 Mbit/s
  'c2.up': '1\n1\n', // 24 Mbit/s
  'gap.up': `${Array.from({ length: 1000 }, (_, i) => i + 1).join('\n')}\n4000\n`, // 12 Mbit/s for 1 s, then 3 s of nothing
};

function config(channel: Record<string, unknown>, extra: Record<string, unknown> = {}): Config {
  const raw = JSON.parse(readFileSync(new URL('../../configs/paper.json', import.meta.url), 'utf8')) as Record<string, unknown>;
  for (const d of raw.devices as Record<string, unknown>[]) {
    delete d.distanceM;
    delete d.bandwidthHz;
  }
  const r = parseConfig({ ...raw, rounds: 3, devices: (raw.devices as unknown[]).slice(0, 2), channel: { model: 'linktrace', ...channel }, ...extra }, (p) => {
    const text = files[p];
    if (text === undefined) throw Object.assign(new Error('no such file'), { code: 'ENOENT' });
    return { text, source: p };
  });
  if (!r.ok) throw new Error(r.errors.join('\n'));
  return r.config;
}

const ONE_MS = 0.001 + 1e-9;

describe('the plan on trace-following links', () => {
  it('a constant 12 Mbit/s trace: every transfer phase is 1.4 within one opportunity, expectedDelay is 1.4', () => {
    const c = config({ links: { default: { up: 'c.up', down: 'c.up' } }, delayMs: 10 });
    const p = plan(new SystemModel(c), new SystemModel(c).strategy());
    let clock = 0;
    for (const t of p.turns) {
      expect(t.rateUpBps).toBeCloseTo(12e6, 3);
      expect(t.start).toBeCloseTo(clock, 9);
      const e = t.expectedDelay!;
      for (const phase of ['adapterDown', 'uplink', 'downlink', 'adapterUp'] as const) expect(Math.abs(t.delay[phase] - e[phase])).toBeLessThanOrEqual(ONE_MS);
      for (const phase of ['deviceForward', 'server', 'deviceBackward'] as const) expect(t.delay[phase]).toBe(e[phase]);
      expect(t.delay.total).toBeCloseTo(t.delay.adapterDown + t.delay.deviceForward + t.delay.uplink + t.delay.server + t.delay.downlink + t.delay.deviceBackward + t.delay.adapterUp, 9);
      clock += t.delay.total;
    }
    // the very first transfer starts at 0 on an opportunity boundary: ceil(B/1500) ms + d exactly
    const adapterBytes = new SystemModel(c).split.adapterBytes(p.turns[0]!.cut);
    expect(p.turns[0]!.delay.adapterDown).toBeCloseTo(Math.ceil(adapterBytes / 1500) / 1000 + 0.01, 12);
  });

  it('an outage shifts the start of its transfer by its seconds', () => {
    const base = config({ links: { default: { up: 'c.up', down: 'c.up' } } });
    const hit = config({ links: { default: { up: 'c.up', down: 'c.up' } } }, { faults: [{ kind: 'outage', device: 'd1', round: 1, phase: 'uplink', seconds: 2 }] });
    const a = plan(new SystemModel(base), new SystemModel(base).strategy()).turns[0]!;
    const b = plan(new SystemModel(hit), new SystemModel(hit).strategy()).turns[0]!;
    expect(Math.abs(b.delay.uplink - (a.delay.uplink + 2))).toBeLessThanOrEqual(ONE_MS);
    expect(b.expectedDelay!.uplink).toBeCloseTo(a.expectedDelay!.uplink + 2, 9);
  });

  it('a transfer that meets a gap waits it out; the window estimator did not see it coming', () => {
    const c = config({ links: { default: { up: 'gap.up', down: 'gap.up' } }, estimator: { kind: 'window', seconds: 1 } });
    const t = plan(new SystemModel(c), new SystemModel(c).strategy()).turns[0]!;
    // at 0 the window [-1 s, 0) is the end of the previous period: 1 opportunity (at 4000 ms ≡ 0), 12 kbit/s
    expect(t.rateDownBps).toBeCloseTo(12000, 6);
    // adapterDown is short; the uplink of 8 MB needs 5593 opportunities: more than 5 periods of 1001
    const packets = Math.ceil((4 * 512 * 2048 * 2) / 1500);
    expect(t.delay.uplink).toBeGreaterThan((packets / 1001) * 4 - 4);
    expect(t.delay.uplink).toBeLessThan((packets / 1001) * 4 + 4);
  });

  it('a parallel round on two traces: each transfer on its own link, the GPU queue on the integrated arrivals', () => {
    const c = config({ links: { d1: { up: 'c.up', down: 'c.up' }, d2: { up: 'c2.up', down: 'c2.up' } } }, { mode: 'parallel' });
    const system = new SystemModel(c);
    const p = plan(system, system.strategy());
    for (const t of p.turns.filter((x) => x.round === 1)) {
      expect(t.start).toBe(0);
      expect(t.rateUpBps).toBeCloseTo(t.device === 'd1' ? 12e6 : 24e6, 3);
      for (const phase of ['adapterDown', 'uplink', 'downlink', 'adapterUp'] as const) expect(Math.abs(t.delay[phase] - t.expectedDelay![phase])).toBeLessThanOrEqual(ONE_MS);
      expect(Math.abs(t.delay.serverWait - t.expectedDelay!.serverWait)).toBeLessThanOrEqual(3 * ONE_MS);
    }
    const r1 = p.rounds[0]!.delay;
    expect(p.turns.find((t) => t.round === 2)!.start).toBeCloseTo(r1, 9);
  });

  it('the timed GPU queue, worked by hand', () => {
    // A: 2 s to its job, then 1 s; B's stretch ends at the next whole 5 s (arrives 5), then 1 s
    const s = scheduleTimedRound([
      { jobs: [3], segment: (k, t) => t + (k === 0 ? 2 : 1) },
      { jobs: [1], segment: (k, t) => (k === 0 ? 5 : Math.ceil((t + 0.1) / 5) * 5) },
    ]);
    expect(s[0]).toEqual({ jobs: [{ arrival: 2, start: 2, end: 5 }], serverWait: 0, finish: 6 });
    expect(s[1]).toEqual({ jobs: [{ arrival: 5, start: 5, end: 6 }], serverWait: 0, finish: 10 });
  });

  it('config errors name the file and line of a bad trace', () => {
    files['bad.up'] = '1\n2\noops\n';
    expect(() => config({ links: { default: { up: 'bad.up', down: 'c.up' } } })).toThrow('channel.links.default.up: bad.up:3: "oops" is not a non-negative integer millisecond timestamp');
    expect(() => config({ links: { d1: { up: 'c.up', down: 'c.up' } } })).toThrow('channel.links: no link for device "d2" (devices[1]) and no "default"');
    expect(() => config({ links: { default: { up: 'none.up', down: 'c.up' } } })).toThrow('channel.links.default.up: cannot read "none.up": ENOENT');
  });
});

// Mahimahi's measured traces are not shipped (docs/linktrace.md says where to get them):
// SLEDGE_TRACES names the folder that holds them, else this part is skipped.
const VERIZON = join(process.env.SLEDGE_TRACES ?? '', 'Verizon-LTE-short');
describe.skipIf(!process.env.SLEDGE_TRACES || !existsSync(`${VERIZON}.up`))('the Verizon LTE traces', () => {
  it('parse: 140 s period, a few Mbit/s each way', () => {
    const up = parseMahimahi(readFileSync(`${VERIZON}.up`, 'utf8'), 'v.up');
    if ('error' in up) throw new Error(up.error);
    expect(up.trace.periodMs).toBe(140000);
    expect(up.trace.meanBps()).toBeGreaterThan(1e6);
    expect(up.trace.meanBps()).toBeLessThan(20e6);
  });
});
