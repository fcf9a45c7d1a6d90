import { PACKET_BYTES, type LinkTrace } from '../../src/linktrace.js';
import { FRAME_PAYLOAD_BYTES } from '../../src/time-scale.js';

/** The slowest wall rate a step is given: htb needs a rate > 0 (reached only in a trace gap of minutes). */
export const FLOOR_WALL_BPS = 8000;

/** Trace opportunities (1500 modelled bytes each) per full wall frame: 8.04 at payloadScale 0.12, 0.97 at 1. */
export function opportunitiesPerFrame(payloadScale: number): number {
  return FRAME_PAYLOAD_BYTES / (payloadScale * PACKET_BYTES);
}

/**
 * The htb rate of each step of one direction of a trace-following tc link
 * (docs/linktrace.md, "Step rates and htb's debt").
 *
 * htb charges a frame, when it leaves, its length at the rate in force then, and keeps
 * that debt in time: a later `class change` does not shorten it. So a step's rate cannot
 * simply be the trace's capacity over the step: an empty step got the floor rate, and a
 * frame leaving there held the class for 1.5 s of wall time whatever the trace did next;
 * and where a frame takes about a step (payloadScale 0.12, 20 ms steps), each frame's
 * charge spans steps of other rates, so a class follows no step's rate.
 *
 * Instead this steers a class that is always backlogged, simulated exactly as htb
 * charges it, onto the times at which the trace completes each wall frame (E_f: the
 * opportunity that completes f + 1 frames of `opportunitiesPerFrame`, counted from the
 * trace's start). In a step where the simulated class sends, the rate is the one that
 * makes its next frame after the step leave at the next E after the step; in a step
 * where it does not, a frame that leaves anyway (a class that was idle) is charged until
 * the simulated one sends. A real class's frames then leave when the trace completes
 * them, up to one frame and one step, whatever the steps hold. O(frames per step) each.
 */
export class FrameSteering {
  private readonly perFrame: number;
  /** Trace ms at which the simulated class sends its next frame. */
  private nextSendMs: number;
  /** The frame whose end E_f is its next target. */
  private target: number;

  constructor(
    private readonly trace: LinkTrace,
    startMs: number,
    private readonly stepMs: number,
    payloadScale: number,
    private readonly timeScale: number,
  ) {
    this.perFrame = opportunitiesPerFrame(payloadScale);
    this.nextSendMs = startMs;
    this.target = Math.floor(trace.indexAtOrAfter(startMs) / this.perFrame);
  }

  /** E_f, trace ms. */
  private frameEnd(f: number): number {
    return this.trace.timeOfIndex(Math.max(0, Math.ceil((f + 1) * this.perFrame) - 1));
  }

  /** The wall goodput for the step that starts at trace time `ms`; steps must come in order, none skipped. */
  rate(ms: number): number {
    const end = ms + this.stepMs;
    let chargeMs: number;
    if (this.nextSendMs >= end) {
      chargeMs = this.nextSendMs - ms;
    } else {
      // the first target at or after the step's end, m frames on: m equal charges reach it
      let m = 1;
      while (this.frameEnd(this.target + m - 1) < end) m++;
      const goal = this.frameEnd(this.target + m - 1);
      chargeMs = (goal - this.nextSendMs) / m;
      // the simulated class sends at nextSendMs, + chargeMs, ... while inside the step
      const sent = Math.ceil((end - this.nextSendMs) / chargeMs);
      this.nextSendMs = sent === m ? goal : this.nextSendMs + sent * chargeMs;
      this.target += sent;
    }
    return Math.max(FLOOR_WALL_BPS, (8 * FRAME_PAYLOAD_BYTES) / ((chargeMs / 1000) * this.timeScale));
  }
}
