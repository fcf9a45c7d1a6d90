import type { LinkTrace } from './linktrace.js';

/**
 * What a userspace sender paces by on a trace-following link (docs/linktrace.md,
 * "Emulation"): the trace's opportunities counted per step over a window from the turn's
 * start. The sender cannot read the trace files (it may run on another host, and a
 * control message is small), so the coordinator sends it these counts with each turn.
 */
export interface OpportunitySchedule {
  /** Emulated seconds per step. */
  stepS: number;
  /** counts[i]: opportunities in [t + i*stepS, t + (i+1)*stepS) of the device's link, t the window's start. */
  counts: number[];
}

/** How fine and how long a schedule may be: steps no finer than `minStepS`, no more than `maxSteps` of them. */
export interface ScheduleBounds {
  minStepS: number;
  maxSteps: number;
}

/**
 * The opportunities of `trace` per step over `windowS` seconds from run time `startS`,
 * the device's link at run time t being its trace at t + offsetS. The step is `minStepS`
 * when the window fits in `maxSteps` of them, else the window is cut into `maxSteps`
 * equal steps: a longer turn gets a coarser schedule, never a longer message. Counted as
 * LinkTrace.kthAtOrAfter counts (at or after the step's start, before its end), so a
 * transfer that starts on a step boundary needs the opportunities the integration does.
 * O(steps): each count is a prefix count (LinkTrace).
 */
export function opportunitySchedule(trace: LinkTrace, offsetS: number, startS: number, windowS: number, bounds: ScheduleBounds): OpportunitySchedule {
  if (!(windowS > 0 && Number.isFinite(windowS))) throw new RangeError(`schedule window must be > 0 s, got ${windowS}`);
  if (!(bounds.minStepS > 0) || !(Number.isSafeInteger(bounds.maxSteps) && bounds.maxSteps >= 1)) throw new RangeError('schedule bounds: minStepS > 0 and maxSteps >= 1');
  const fine = Math.ceil(windowS / bounds.minStepS);
  const steps = Math.min(fine, bounds.maxSteps);
  const stepS = steps === fine ? bounds.minStepS : windowS / steps;
  const originMs = 1000 * (startS + offsetS);
  const counts = new Array<number>(steps);
  let before = trace.indexAtOrAfter(originMs);
  for (let i = 0; i < steps; i++) {
    const next = trace.indexAtOrAfter(originMs + 1000 * (i + 1) * stepS);
    counts[i] = next - before;
    before = next;
  }
  return { stepS, counts };
}
