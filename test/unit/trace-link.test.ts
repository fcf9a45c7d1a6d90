import { describe, expect, it } from 'vitest';
import { LinkTrace, PACKET_BYTES } from '../../src/linktrace.js';
import { ETHERNET_HEADER, MTU, wireRateBps } from '../../emulator/net/shaper.js';
import { FrameSteering, opportunitiesPerFrame } from '../../emulator/net/frame-steering.js';
import { FRAME_PAYLOAD_BYTES } from '../../src/time-scale.js';

const FRAME_WIRE_BYTES = MTU + ETHERNET_HEADER;
const STEP_S = 0.02;
const TIME_SCALE = 0.31;
const PAYLOAD_SCALE = 0.12;

/** The per-step rates a link steps through from trace time `startS`, as TraceLink writes them. */
function steppedRates(trace: LinkTrace, startS: number): (step: number) => number {
  const steering = new FrameSteering(trace, 1000 * startS, 1000 * STEP_S, PAYLOAD_SCALE, TIME_SCALE);
  const rates: number[] = [];
  return (k) => {
    while (rates.length <= k) rates.push(steering.rate(1000 * (startS + rates.length * STEP_S)));
    return rates[k] as number;
  };
}

/** The rule before: each step got the trace's capacity over the step, at least 8 kbit/s. */
function capacityRates(trace: LinkTrace, startS: number): (step: number) => number {
  return (k) => {
    const ms = 1000 * (startS + k * STEP_S);
    return Math.max(8000, (((8 * PACKET_BYTES * trace.count(ms, ms + 1000 * STEP_S)) / STEP_S) * PAYLOAD_SCALE) / TIME_SCALE);
  };
}

/**
 * htb's accounting for one leaf class that is backlogged from `fromS` (wall, after the
 * link started following) until `frames` full frames have left, as the kernel does it
 * (docs/linktrace.md, "Step rates and htb's debt"; htb without hysteresis): tokens
 * are time, they grow with elapsed time up to the burst's time (one frame) at the current
 * rate, a frame may leave while they are >= 0 and is charged its length at the rate in
 * force when it leaves; `class change` keeps the tokens. Returns the emulated seconds from
 * `fromS` until the last frame left.
 */
function htbBacklogged(goodputAt: (step: number) => number, fromS: number, frames: number): number {
  const stepWallS = STEP_S * TIME_SCALE;
  const dt = 1e-5;
  let tokens = 0;
  let sent = 0;
  let t = 0;
  let step = -1;
  let frameS = 0;
  while (sent < frames) {
    const k = Math.floor(t / stepWallS + 1e-9);
    if (k !== step) {
      step = k;
      frameS = (8 * FRAME_WIRE_BYTES) / wireRateBps(goodputAt(k));
    }
    tokens = Math.min(tokens + dt, frameS);
    t += dt;
    while (t >= fromS && tokens >= 0 && sent < frames) {
      tokens -= frameS;
      sent++;
    }
    if (t > 300) return Infinity;
  }
  return (t - fromS) / TIME_SCALE;
}

/** What the model integrates for those frames' payload: the opportunity that completes it, from `atS` (trace time). */
function integrated(trace: LinkTrace, atS: number, frames: number): number {
  const modelBytes = (frames * FRAME_PAYLOAD_BYTES) / PAYLOAD_SCALE;
  return trace.kthAtOrAfter(1000 * atS, Math.ceil(modelBytes / PACKET_BYTES)) / 1000 - atS;
}

/** Bursty like Mahimahi's cellular traces at this scale: 12 opportunities at once every 40 ms, so every other 20 ms step is empty. */
function burstyTrace(): LinkTrace {
  const times: number[] = [];
  for (let ms = 0; ms <= 4000; ms += 40) for (let i = 0; i < 12; i++) times.push(ms);
  return LinkTrace.fromTimes(times);
}

/** Seeded bursts at random milliseconds (about 5.8 Mbit/s) with a gap of 0.2-1 s about once a second, like the Verizon LTE traces. */
function randomTrace(seed: number): LinkTrace {
  let x = seed;
  const rand = () => (x = (x * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  const times: number[] = [];
  let ms = 0;
  while (ms < 20_000) {
    if (rand() < 0.001) ms += 200 + Math.floor(800 * rand()); // a gap about once a second
    const burst = rand() < 0.4 ? 1 + Math.floor(3 * rand()) : 0;
    for (let i = 0; i < burst; i++) times.push(ms);
    ms++;
  }
  times.push(ms);
  return LinkTrace.fromTimes(times);
}

describe('a tc link that follows a trace: step rates and htb\'s debt (docs/linktrace.md)', () => {
  it('a wall frame (1448 B of payload) is 8.04 opportunities at payloadScale 0.12', () => {
    expect(opportunitiesPerFrame(0.12)).toBeCloseTo(1448 / 180, 9);
    expect(opportunitiesPerFrame(1)).toBeCloseTo(1448 / 1500, 9);
  });

  it('an empty step is not given the floor rate: a frame leaving there is charged until the trace completes frames again', () => {
    const rate = steppedRates(burstyTrace(), 1);
    for (let k = 0; k < 50; k++) {
      const chargeS = (8 * FRAME_WIRE_BYTES) / wireRateBps(rate(k)) / TIME_SCALE;
      // at most two bursts apart (the 8 kbit/s floor charged 4.7 s emulated)
      expect(chargeS, `step ${k}`).toBeLessThanOrEqual(0.08 + 1e-9);
    }
  });

  it('a backlogged htb class takes the integrated time on a bursty trace, where each step\'s own capacity took 80 times as long', () => {
    const trace = burstyTrace();
    const frames = 200; // 289,600 B of payload at the wall, 2.41 MB modelled
    const model = integrated(trace, 1, frames);
    expect(htbBacklogged(capacityRates(trace, 1), 0, frames) / model).toBeGreaterThan(20);
    expect(Math.abs(htbBacklogged(steppedRates(trace, 1), 0, frames) / model - 1)).toBeLessThan(0.02);
  });

  it('and on random bursts with gaps, for transfers that start while the link is already following', () => {
    for (const seed of [1, 2, 3]) {
      const trace = randomTrace(seed);
      for (const [fromS, frames] of [[0, 300], [0.5, 120], [3.3, 500], [7.77, 150]] as const) {
        const model = integrated(trace, fromS, frames);
        const measured = htbBacklogged(steppedRates(trace, 0), fromS * TIME_SCALE, frames);
        expect(Math.abs(measured / model - 1), `seed ${seed}, from ${fromS} s, ${frames} frames: ${measured} s vs ${model} s`).toBeLessThan(0.04);
      }
    }
  });
});
