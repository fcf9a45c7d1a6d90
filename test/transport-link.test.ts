import { Rng } from '../src/rng.js';
import { describe, expect, it } from 'vitest';
import { planDeliveries, rtoMs } from '../emulator/transport/impairment.js';
import { TokenBucket } from '../emulator/transport/token-bucket.js';

/** A seeded uniform [0, 1) source, as the actors build theirs. */
const seeded = (seed: number): (() => number) => {
  const rng = new Rng(seed);
  return () => rng.next();
};

const KiB = 1024;
const sizes = (n: number, chunk = 256 * KiB) => Array.from({ length: n }, () => chunk);

describe('token bucket (zero-depth serializer)', () => {
  it('lets chunk i out at 8*S_i/rate on an idle link', () => {
    const b = new TokenBucket(8e6); // 1 byte per microsecond
    expect(b.take(1000, 0)).toBeCloseTo(1);
    expect(b.take(3000, 0)).toBeCloseTo(4);
    expect(b.take(0, 0)).toBeCloseTo(4);
  });

  it('never banks idle time', () => {
    const b = new TokenBucket(8e6);
    b.take(1000, 0);
    expect(b.take(1000, 10)).toBeCloseTo(11);
  });

  it('is a pass-through when unpaced and refuses a non-positive rate', () => {
    expect(new TokenBucket(null).take(1e9, 5)).toBe(5);
    expect(() => new TokenBucket(0)).toThrow(RangeError);
  });
});

describe('delivery plan', () => {
  it('without impairments delivers in order at the serializer times', () => {
    const p = planDeliveries([1000, 1000, 500], new TokenBucket(8e6));
    expect(p.resent).toBe(0);
    expect(p.deliveries.map((d) => d.seq)).toEqual([0, 1, 2]);
    expect(p.deliveries.map((d) => d.atMs)).toEqual([1, 2, 2.5].map((x) => expect.closeTo(x, 9)));
  });

  it('pipelines delay: every chunk shifts by delayMs, throughput unchanged', () => {
    const base = planDeliveries(sizes(16), new TokenBucket(20e6));
    const delayed = planDeliveries(sizes(16), new TokenBucket(20e6), { delayMs: 50, jitterMs: 0, lossPct: 0, random: seeded(1) });
    delayed.deliveries.forEach((d, i) => expect(d.atMs).toBeCloseTo((base.deliveries[i]?.atMs ?? NaN) + 50, 9));
  });

  it('jitters within ±jitterMs and never reorders', () => {
    const p = planDeliveries(sizes(200, 1000), new TokenBucket(8e6), { delayMs: 5, jitterMs: 4, lossPct: 0, random: seeded(7) });
    p.deliveries.forEach((d, i) => {
      const leftAt = i + 1;
      expect(d.seq).toBe(i);
      expect(d.atMs).toBeGreaterThanOrEqual(leftAt + 1 - 1e-9);
      if (i > 0) expect(d.atMs).toBeGreaterThanOrEqual(p.deliveries[i - 1]?.atMs ?? Infinity);
    });
    const spread = p.deliveries.map((d, i) => d.atMs - (i + 1) - 5);
    expect(Math.min(...spread)).toBeLessThan(-2); // it does jitter
  });

  it('resends lost chunks after the RTO, costing link time, and is reproducible from the seed', () => {
    const imp = () => ({ delayMs: 20, jitterMs: 0, lossPct: 25, random: seeded(42) });
    const p = planDeliveries(sizes(40, 1000), new TokenBucket(8e6), imp());
    expect(p.resent).toBeGreaterThan(0);
    expect(new Set(p.deliveries.map((d) => d.seq)).size).toBe(40);
    expect(p.deliveries).toHaveLength(40);
    const last = Math.max(...p.deliveries.map((d) => d.atMs));
    expect(last).toBeGreaterThanOrEqual(40 + p.resent + 20 - 1e-9); // every transmission takes 1 ms of link
    expect(planDeliveries(sizes(40, 1000), new TokenBucket(8e6), imp())).toEqual(p);
    expect(rtoMs(20)).toBe(40);
    expect(rtoMs(0)).toBe(10);
  });

  it('plans a 0-byte transfer as one delivery and refuses impossible impairments', () => {
    expect(planDeliveries([0], new TokenBucket(1e6)).deliveries).toEqual([{ seq: 0, atMs: 0, slotMs: 0 }]);
    expect(() => planDeliveries([1], new TokenBucket(1e6), { delayMs: 0, jitterMs: 0, lossPct: 100, random: Math.random })).toThrow(RangeError);
    expect(() => planDeliveries([1], new TokenBucket(1e6), { delayMs: -1, jitterMs: 0, lossPct: 0, random: Math.random })).toThrow(RangeError);
  });
});
