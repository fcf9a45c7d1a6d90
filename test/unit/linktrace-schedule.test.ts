/**
 * A userspace link that follows its trace (docs/linktrace.md, "Emulation"): the schedule
 * the coordinator computes, the pacer the senders run on it, and the actors' refusal of
 * bad schedules. Every figure below is worked by hand in the comments.
 */
import { describe, expect, it } from 'vitest';
import { LinkTraceChannel } from '../../src/linktrace-channel.js';
import { LinkTrace } from '../../src/linktrace.js';
import { opportunitySchedule } from '../../src/linktrace-schedule.js';
import { PacedLink } from '../../emulator/net/paced-link.js';
import { TracePacedLink } from '../../emulator/net/trace-paced-link.js';
import { decode, deviceControlMsg, encode, MAX_CONTROL_BYTES, MAX_SCHEDULE_STEPS, MAX_STEP_OPPORTUNITIES, serverControlMsg, type PacingSchedule } from '../../emulator/protocol/messages.js';
import { planDeliveries } from '../../emulator/transport/impairment.js';
import { TracePacer } from '../../emulator/transport/trace-pacer.js';

/**
 * Period 20 ms; the line at 20 wraps to the next period's 0. Opportunities: 0, 5, 10, 12,
 * 14 in period 0 (no wrapped one at 0), then 20, 20, 25, 30, 32, 34, 40, 40, ...
 */
const trace = LinkTrace.fromTimes([0, 5, 10, 12, 14, 20], 'hand');

describe('opportunitySchedule', () => {
  it('counts the opportunities per step from the link time t + offset', () => {
    // origin 1 + 2 = 3 ms; steps [3,8) {5}, [8,13) {10,12}, [13,18) {14}, [18,23) {20,20}
    const s = opportunitySchedule(trace, 0.002, 0.001, 0.02, { minStepS: 0.005, maxSteps: 10 });
    expect(s.stepS).toBe(0.005);
    expect(s.counts).toEqual([1, 2, 1, 2]);
  });

  it('counts as the integration does at time 0: the wrapped line is not in period 0', () => {
    // [0,5) holds only the line at 0; the airtime of 2 packets from 0 is to the one at 5
    expect(opportunitySchedule(trace, 0, 0, 0.01, { minStepS: 0.005, maxSteps: 10 }).counts).toEqual([1, 1]);
    expect(trace.kthAtOrAfter(0, 2)).toBe(5);
  });

  it('cuts a long window into maxSteps coarser steps, never more', () => {
    // 20 steps of 1 ms would do; 4 allowed: 5 ms each, the same counts as above
    const s = opportunitySchedule(trace, 0.002, 0.001, 0.02, { minStepS: 0.001, maxSteps: 4 });
    expect(s.stepS).toBeCloseTo(0.005, 12);
    expect(s.counts).toEqual([1, 2, 1, 2]);
  });

  it('refuses an empty window', () => {
    expect(() => opportunitySchedule(trace, 0, 0, 0, { minStepS: 0.001, maxSteps: 4 })).toThrow(RangeError);
  });
});

/** Steps of 10 ms: two opportunities in the first (at 2.5 and 7.5), none in the second, one in the third (25); then one per 10 ms (35, 45, ...). */
const hand: PacingSchedule = { stepWallMs: 10, packetBytes: 100, counts: [2, 0, 1], thenBps: 80_000 };

describe('TracePacer', () => {
  it('lets bytes out at the opportunity that carries their last byte', () => {
    const p = new TracePacer(hand, 0);
    expect(p.take(150, 0)).toBeCloseTo(7.5, 9); // 1.5 packets: the 2nd opportunity
    expect(p.take(100, 0)).toBeCloseTo(25, 9); // up to 2.5: the 3rd
    expect(p.take(100, 0)).toBeCloseTo(35, 9); // the 4th, after the schedule: 30 + 0.5 × 10
    expect(p.freeAt).toBeCloseTo(35, 9);
  });

  it('places a transfer on the turn clock: opportunities before its start are not its', () => {
    // starts at turn time 5: the one at 2.5 is gone, one packet leaves at 7.5, i.e. 2.5 ms in
    expect(new TracePacer(hand, 5).take(100, 0)).toBeCloseTo(2.5, 9);
  });

  it('never banks an idle link: unused opportunities are lost', () => {
    const p = new TracePacer(hand, 0);
    expect(p.take(50, 0)).toBeCloseTo(2.5, 9);
    // ready at 20: the rest of the first and the whole second went by unused
    expect(p.take(50, 20)).toBeCloseTo(25, 9);
  });

  it('holds for an outage, then starts on the trace where the outage ends', () => {
    expect(new TracePacer(hand, 0, 10).take(100, 0)).toBeCloseTo(25, 9);
    expect(new TracePacer(hand, 0).take(0, 3)).toBe(3);
  });

  it('plans a transfer with each chunk on its slot', () => {
    const plan = planDeliveries([150, 100], new TracePacer(hand, 0));
    expect(plan.deliveries.map((d) => d.atMs)).toEqual([expect.closeTo(7.5, 9), expect.closeTo(25, 9)]);
    expect(plan.deliveries.map((d) => d.slotMs)).toEqual([expect.closeTo(7.5, 9), expect.closeTo(17.5, 9)]);
  });

  it('ends a transfer within one step of the integrated time on a real-looking trace', () => {
    // 500 opportunities a second at jittered times, a 1 s gap from 2 s: integrate B bytes and pace them
    const times: number[] = [];
    for (let t = 0; t < 6000; t += 2) if (t < 2000 || t >= 3000) times.push(t + ((t * 7919) % 3) * 0.5);
    const link = LinkTrace.fromTimes(times, 'jitter', 6000);
    const channel = new LinkTraceChannel(new Map([['d', { up: link, down: link, offsetS: 0.3 }]]), { kind: 'mean' }, 0);
    const stepS = 0.004;
    const { counts } = opportunitySchedule(link, 0.3, 1, 4, { minStepS: stepS, maxSteps: 4096 });
    const turn: PacingSchedule = { stepWallMs: stepS * 1000, packetBytes: 1500, counts, thenBps: 1e6 };
    for (const [startS, bytes] of [[1, 150_000], [1.25, 600_000], [2.9, 30_000]] as const) {
      const integrated = channel.airTime('d', 'up', startS, bytes) * 1000;
      const paced = new TracePacer(turn, (startS - 1) * 1000).take(bytes, 0);
      expect(Math.abs(paced - integrated)).toBeLessThanOrEqual(stepS * 1000);
    }
  });
});

describe('TracePacedLink', () => {
  it('gives each sender its trace over three times the turn, in wall units, the seen rate after', async () => {
    const inner = new PacedLink('d');
    await inner.setRates(1e5, 2e5);
    const link = new TracePacedLink(inner, { up: trace, down: trace, offsetS: 0.002 }, { timeScale: 0.5, payloadScale: 0.1 });
    const { up, down } = link.pacing({ startS: 0.001, totalS: 0.004 });
    // window max(1 s, 3 × 4 ms) = 1 s at 1 ms steps: 1000 steps; the first from link time 3 ms: [3,4) [4,5) [5,6)
    expect(up.schedule!.counts).toHaveLength(1000);
    expect(up.schedule!.counts.slice(0, 3)).toEqual([0, 0, 1]);
    expect(up.schedule).toMatchObject({ stepWallMs: 0.5, packetBytes: 150, thenBps: 1e5 });
    expect(down).toMatchObject({ rateBps: 2e5, schedule: { thenBps: 2e5 } });
    // a long turn: the cap, coarser steps
    const long = link.pacing({ startS: 0, totalS: 100 }).up.schedule!;
    expect(long.counts).toHaveLength(MAX_SCHEDULE_STEPS);
    expect(long.stepWallMs).toBeCloseTo((300 / MAX_SCHEDULE_STEPS) * 0.5 * 1000, 9);
  });
});

describe('pacing schedules in control messages', () => {
  const turn = { kind: 'turn', turn: { round: 1, device: 'd1' }, cut: 1, iterations: 1, forwardWallS: 0.1, backwardWallS: 0.1, adapterBytes: 100, smashedBytes: 100, upRateBps: 1e6, padBytes: 0, timeoutMs: 1000 };
  const prepare = { kind: 'prepare', turn: { round: 1, device: 'd1' }, cut: 1, freqHz: 1e9, iterations: 1, computeWallS: 0.1, adapterBytes: 100, smashedBytes: 100, downRateBps: 1e6, padBytes: 0 };
  const withUp = (schedule: unknown) => decode(deviceControlMsg, encode({ ...turn, upSchedule: schedule }));

  it('takes a well-formed schedule, the largest one within the control message limit', () => {
    expect(withUp(hand).ok).toBe(true);
    expect(decode(serverControlMsg, encode({ ...prepare, downSchedule: hand })).ok).toBe(true);
    const largest = { ...hand, counts: new Array<number>(MAX_SCHEDULE_STEPS).fill(MAX_STEP_OPPORTUNITIES) };
    expect(encode({ ...turn, upSchedule: largest }).length).toBeLessThan(MAX_CONTROL_BYTES);
    expect(withUp(largest).ok).toBe(true);
  });

  it.each([
    ['too many steps', { ...hand, counts: new Array(MAX_SCHEDULE_STEPS + 1).fill(0) }, `upSchedule.counts: more than ${MAX_SCHEDULE_STEPS} items`],
    ['a negative count', { ...hand, counts: [1, -1] }, 'upSchedule.counts[1]: must be >= 0'],
    ['a fractional count', { ...hand, counts: [1.5] }, 'upSchedule.counts[0]: expected an integer'],
    ['a count over the bound', { ...hand, counts: [MAX_STEP_OPPORTUNITIES + 1] }, `upSchedule.counts[0]: must be <= ${MAX_STEP_OPPORTUNITIES}`],
    ['counts not an array', { ...hand, counts: { 0: 1 } }, 'upSchedule.counts: expected an array'],
    ['a string count', { ...hand, counts: ['1'] }, 'upSchedule.counts[0]: expected a finite number'],
    ['a zero step', { ...hand, stepWallMs: 0 }, 'upSchedule.stepWallMs: must be > 0'],
    ['a zero packet', { ...hand, packetBytes: 0 }, 'upSchedule.packetBytes: must be >= 0.001'],
    ['no rate after it', { ...hand, thenBps: 0 }, 'upSchedule.thenBps: must be > 0'],
    ['a missing field', { stepWallMs: 1, packetBytes: 1, thenBps: 1 }, 'upSchedule.counts: expected an array'],
    ['an unknown key', { ...hand, extra: 1 }, 'upSchedule.extra: unknown key'],
    ['not an object', [1, 2], 'upSchedule: expected an object'],
  ])('refuses %s', (_what, schedule, reason) => {
    expect(withUp(schedule)).toEqual({ ok: false, reason });
  });

  it('refuses a schedule too large to parse before parsing it', () => {
    expect(withUp({ ...hand, counts: new Array(40_000).fill(1) })).toEqual({ ok: false, reason: 'too large' });
  });
});
