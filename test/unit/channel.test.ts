/** The channel (docs/model.md §1.3): seeded draws, traces that cycle, trace CSV parsing. */
import { describe, expect, it } from 'vitest';
import { parseTraceCsv, ShannonChannel, TraceChannel } from '../../src/channel.js';
import { hashLabels, Rng } from '../../src/rng.js';
import type { Device } from '../../src/system.js';
import { TestRng } from './helpers.js';

const dev = (id: string, extra: Partial<Device> = {}): Device => ({
  id,
  freqHz: 1e9,
  flopsPerCycle: 1000,
  kappa: 1e-27,
  memoryBytes: 1e10,
  txPowerDbm: 23,
  distanceM: 120,
  bandwidthHz: 5e6,
  ...extra,
});

describe('seeded randomness, the same on any machine', () => {
  it('mulberry32 with 53-bit doubles: next() = ((u1 >>> 5) * 2^26 + (u2 >>> 6)) / 2^53', () => {
    // TestRng is an independent mulberry32 whose next() is u/2^32; recover the uint32s from it
    const ref = new TestRng(12345);
    const u1 = ref.next() * 4294967296;
    const u2 = ref.next() * 4294967296;
    expect(new Rng(12345).next()).toBe(((u1 >>> 5) * 67108864 + (u2 >>> 6)) / 9007199254740992);
  });

  it('pinned draws (a change here changes every published result: bump the docs if intended)', () => {
    expect(hashLabels([42, 'fading', 1, 'd1', 'up'])).toBe(2669696512);
    expect(Rng.of(42, 'fading', 1, 'd1', 'up').exponential()).toBe(1.8827141224542905);
    expect(new Rng(12345).next()).toBe(0.9797282688822766);
    expect(Rng.of(7, 'devices', 1, 'freqHz').next()).toBe(0.08491955831577425);
  });

  it('labels are typed: the number 1 and the string "1" are different streams', () => {
    expect(hashLabels([1])).not.toBe(hashLabels(['1']));
    expect(hashLabels(['a', 'bc'])).not.toBe(hashLabels(['ab', 'c']));
  });

  it('int(lo, hi) covers both ends and nothing outside', () => {
    const r = new Rng(3);
    const seen = new Set<number>();
    for (let i = 0; i < 2000; i++) seen.add(r.int(2, 6));
    expect([...seen].sort()).toEqual([2, 3, 4, 5, 6]);
  });
});

describe('shannon channel', () => {
  const params = { fading: 'rayleigh' as const, noiseDbmPerHz: -174, refLossDb: 15.3, pathLossExponent: 3.76 };

  it('the same (seed, round, device, direction) gives the same draw, whatever else is in the config', () => {
    const a = new ShannonChannel(params, 43, 42);
    const b = new ShannonChannel(params, 43, 42);
    for (let t = 1; t <= 20; t++) {
      expect(b.rates(t, dev('d2'))).toEqual(a.rates(t, dev('d2')));
      // other devices asked in between or not at all do not shift d2's draws
      a.rates(t, dev('d1'));
    }
    for (let t = 1; t <= 20; t++) expect(b.rates(t, dev('d2'))).toEqual(a.rates(t, dev('d2')));
  });

  it('uplink and downlink draw independently; devices with equal geometry still draw differently', () => {
    const ch = new ShannonChannel(params, 23, 42); // server at the device's power: only the gains differ
    const ups: number[] = [];
    const downs: number[] = [];
    for (let t = 1; t <= 200; t++) {
      ups.push(ch.powerGain(t, 'd1', 'up'));
      downs.push(ch.powerGain(t, 'd1', 'down'));
      expect(ch.powerGain(t, 'd1', 'up')).not.toBe(ch.powerGain(t, 'd2', 'up'));
    }
    // sample correlation of up and down gains is near 0
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    const mu = mean(ups);
    const md = mean(downs);
    const cov = mean(ups.map((u, i) => (u - mu) * (downs[i]! - md)));
    const sd = (xs: number[], m: number) => Math.sqrt(mean(xs.map((x) => (x - m) ** 2)));
    expect(Math.abs(cov / (sd(ups, mu) * sd(downs, md)))).toBeLessThan(0.2);
  });

  it('rates scale with the gain: r = B log2(1 + snr * |g|^2)', () => {
    const flat = new ShannonChannel({ ...params, fading: 'none' }, 43, 1);
    const faded = new ShannonChannel(params, 43, 1);
    const d = dev('x');
    const B = 5e6;
    const snrUp = 2 ** (flat.rates(1, d).upBps / B) - 1;
    const g = faded.powerGain(4, 'x', 'up');
    expect(faded.rates(4, d).upBps).toBeCloseTo(B * Math.log2(1 + snrUp * g), 3);
  });

  it('fading none: the same rates every round and for every seed', () => {
    const a = new ShannonChannel({ ...params, fading: 'none' }, 43, 1);
    const b = new ShannonChannel({ ...params, fading: 'none' }, 43, 999);
    const r1 = a.rates(1, dev('d1'));
    for (let t = 2; t <= 30; t++) {
      expect(a.rates(t, dev('d1'))).toEqual(r1);
      expect(b.rates(t, dev('d1'))).toEqual(r1);
    }
  });

  it('farther is slower, wider is faster', () => {
    const ch = new ShannonChannel({ ...params, fading: 'none' }, 43, 1);
    expect(ch.rates(1, dev('a', { distanceM: 300 })).upBps).toBeLessThan(ch.rates(1, dev('a', { distanceM: 100 })).upBps);
    expect(ch.rates(1, dev('a', { bandwidthHz: 10e6 })).upBps).toBeGreaterThan(ch.rates(1, dev('a', { bandwidthHz: 5e6 })).upBps);
  });
});

describe('trace channel', () => {
  it('round t uses index (t-1) mod length, up and down lists of different lengths', () => {
    const ch = new TraceChannel({ a: { upBps: [1, 2, 3], downBps: [10, 20, 30, 40, 50] } });
    const got = Array.from({ length: 16 }, (_, i) => ch.rates(i + 1, dev('a')));
    expect(got.map((r) => r.upBps)).toEqual([1, 2, 3, 1, 2, 3, 1, 2, 3, 1, 2, 3, 1, 2, 3, 1]);
    expect(got.map((r) => r.downBps)).toEqual([10, 20, 30, 40, 50, 10, 20, 30, 40, 50, 10, 20, 30, 40, 50, 10]);
  });

  it('a single value is constant', () => {
    const ch = new TraceChannel({ a: { upBps: [7], downBps: [8] } });
    expect(ch.rates(1000, dev('a'))).toEqual({ upBps: 7, downBps: 8 });
  });

  it('a device missing from the trace is an error naming it', () => {
    const ch = new TraceChannel({ a: { upBps: [7], downBps: [8] } });
    expect(() => ch.rates(1, dev('ghost'))).toThrow(/ghost/);
  });
});

describe('trace CSV', () => {
  it('parses a good file (any column order, CRLF, trailing blank line, rows out of order)', () => {
    const text = 'device,round,downBps,upBps\r\nb,2,4e6,3e6\r\na,1,2000000,1000000\r\nb,1,40e6,30e6\r\na,2,2.5e6,1.5e6\r\na,3,2.6e6,1.6e6\r\n\r\n';
    const r = parseTraceCsv(text, 'rates.csv');
    expect(r).toEqual({
      trace: {
        a: { upBps: [1e6, 1.5e6, 1.6e6], downBps: [2e6, 2.5e6, 2.6e6] },
        b: { upBps: [30e6, 3e6], downBps: [40e6, 4e6] },
      },
    });
  });

  it('a missing column is named, on line 1', () => {
    const r = parseTraceCsv('round,device,upBps\n1,a,5\n', 'x.csv');
    expect(r).toEqual({ errors: ['x.csv:1: missing column "downBps"'] });
  });

  it('a gap in the rounds names the device and the round', () => {
    const r = parseTraceCsv('round,device,upBps,downBps\n1,a,5,5\n2,a,5,5\n4,a,5,5\n1,b,5,5\n', 'x.csv');
    expect('errors' in r).toBe(true);
    const errors = (r as { errors: string[] }).errors;
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/^x\.csv.*"a".*round 3/);
  });

  it('a bad value names its line (1-based, header = line 1)', () => {
    const r = parseTraceCsv('round,device,upBps,downBps\n1,a,5,5\n2,a,fast,5\n3,a,5,-1\n0,a,5,5\n1,,5,5\n', 'x.csv') as { errors: string[] };
    expect(r.errors).toEqual([
      'x.csv:3: upBps must be a number > 0',
      'x.csv:4: downBps must be a number > 0',
      'x.csv:5: round must be an integer >= 1',
      'x.csv:6: device is empty',
    ]);
  });

  it('a repeated row names its line; an empty file is refused', () => {
    const dup = parseTraceCsv('round,device,upBps,downBps\n1,a,5,5\n1,a,6,6\n', 'x.csv') as { errors: string[] };
    expect(dup.errors).toEqual(['x.csv:3: round 1 of device "a" appears twice']);
    const empty = parseTraceCsv('round,device,upBps,downBps\n', 'x.csv') as { errors: string[] };
    expect(empty.errors).toHaveLength(1);
    expect(empty.errors[0]).toMatch(/^x\.csv/);
  });
});
