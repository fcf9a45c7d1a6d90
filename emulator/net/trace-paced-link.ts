import type { DeviceLink } from '../../src/linktrace-channel.js';
import { PACKET_BYTES, type LinkTrace } from '../../src/linktrace.js';
import { opportunitySchedule } from '../../src/linktrace-schedule.js';
import { UsageError } from '../errors.js';
import { MAX_SCHEDULE_STEPS, MAX_STEP_OPPORTUNITIES, type PacingSchedule } from '../protocol/messages.js';
import type { Link, Pacing, TurnWindow } from './link.js';

/** The finest step of a schedule, emulated seconds: Mahimahi's own resolution (docs/linktrace.md). */
export const SCHEDULE_MIN_STEP_S = 0.001;
/**
 * A schedule covers this many times the turn's planned length: the turn's timeout is three
 * times it (docs/linktrace.md, "Emulation"), so a turn that is still running past the schedule has
 * failed anyway, and the fallback rate after it is never what a recorded turn measures.
 */
export const SCHEDULE_WINDOW_FACTOR = 3;
/** ... and at least this long, emulated seconds, for turns planned near zero. */
export const SCHEDULE_MIN_WINDOW_S = 1;

/** A link whose senders pace themselves (userspace). */
export type PacingLink = Link & { pacing: NonNullable<Link['pacing']> };

export function paces(link: Link): link is PacingLink {
  return link.pacing !== undefined;
}

/** The scales a schedule is converted with: emulated to wall time, modelled to carried bytes. */
export interface ScheduleScales {
  timeScale: number;
  payloadScale: number;
}

/**
 * A userspace link that follows its device's trace (docs/linktrace.md, "Emulation"): with
 * each turn it gives each sender the trace's opportunities over the turn's window as a
 * schedule of steps, in wall units: step × timeScale, packets
 * of 1500 × payloadScale bytes; after the window the rate the strategy saw. The schedule
 * is anchored at the turn's planned start, as a tc link's stepping is, so
 * both modes put the same trace under the same turn. Computed per turn from the turn
 * alone: O(steps), not O(N).
 */
export class TracePacedLink implements Link {
  readonly deviceId: string;

  constructor(
    private readonly inner: PacingLink,
    private readonly trace: DeviceLink,
    private readonly scales: ScheduleScales,
  ) {
    this.deviceId = inner.deviceId;
  }

  setRates(upBps: number, downBps: number): Promise<void> {
    return this.inner.setRates(upBps, downBps);
  }

  padding(): { upBytes: number; downBytes: number } {
    return this.inner.padding();
  }

  pacing(turn: TurnWindow): { up: Pacing; down: Pacing } {
    const seen = this.inner.pacing(turn);
    return {
      up: { rateBps: seen.up.rateBps, schedule: this.schedule(this.trace.up, turn, seen.up.rateBps, 'uplink') },
      down: { rateBps: seen.down.rateBps, schedule: this.schedule(this.trace.down, turn, seen.down.rateBps, 'downlink') },
    };
  }

  private schedule(trace: LinkTrace, turn: TurnWindow, thenBps: number, what: string): PacingSchedule {
    const windowS = Math.max(SCHEDULE_MIN_WINDOW_S, SCHEDULE_WINDOW_FACTOR * turn.totalS);
    const { stepS, counts } = opportunitySchedule(trace, this.trace.offsetS, turn.startS, windowS, { minStepS: SCHEDULE_MIN_STEP_S, maxSteps: MAX_SCHEDULE_STEPS });
    // what the actors would refuse, said here where its cause is plain
    const busiest = counts.reduce((m, c) => Math.max(m, c), 0);
    if (busiest > MAX_STEP_OPPORTUNITIES) {
      throw new UsageError(`${what} of ${this.deviceId}: ${busiest} opportunities in one ${(stepS * 1000).toFixed(1)} ms step of ${trace.source}, more than a turn message carries (${MAX_STEP_OPPORTUNITIES}); use a shorter turn or a slower trace`);
    }
    const { timeScale, payloadScale } = this.scales;
    return { stepWallMs: stepS * timeScale * 1000, packetBytes: PACKET_BYTES * payloadScale, counts, thenBps };
  }
}
