import type { DeviceLink } from '../../src/linktrace-channel.js';
import { PACKET_BITS, type LinkTrace } from '../../src/linktrace.js';
import type { Direction, Link, TcLink } from './link.js';
import { changeLines } from './shaper.js';
import type { TcPipe } from './tc-pipe.js';

/** How a trace-following link steps (docs/linktrace.md): chosen per run, recorded in the manifest. */
export interface TraceStepping {
  /** Emulated seconds per rate step. */
  stepS: number;
  timeScale: number;
  payloadScale: number;
}

/** The slowest wall rate a step is given: htb needs a rate > 0, and a trace gap is "almost nothing". */
const FLOOR_WALL_BPS = 8000;

/** Counters of every trace-following link of a run, for the manifest and the benchmark. */
export class SteppingStats {
  changes = 0;
  followedWallS = 0;
}

/**
 * A device's tc link that follows its trace in time while a turn runs: from `follow`
 * (the turn's start, at run time `runStartS`) each step of `stepS` emulated seconds
 * gets the trace's capacity over that step (the opportunities in it × 1500 B / stepS),
 * × payloadScale / timeScale, written as an htb `class change` into a long-lived tc
 * pipe. Each link runs its own timer: the coordinator only says "follow from here" and
 * "stop" per turn, so its work does not grow with N. Steps are placed on the wall clock
 * from the start (not chained), so timer lateness never accumulates.
 */
export class TraceLink implements Link {
  readonly deviceId: string;
  private timer: NodeJS.Timeout | undefined;
  private last: Record<Direction, number> = { up: -1, down: -1 };
  private since = 0;

  constructor(
    readonly inner: TcLink,
    private readonly trace: DeviceLink,
    private readonly stepping: TraceStepping,
    private readonly pipes: { host: TcPipe; ns: () => TcPipe },
    private readonly stats: SteppingStats,
  ) {
    this.deviceId = inner.deviceId;
  }

  setRates(upBps: number, downBps: number): Promise<void> {
    this.last = { up: -1, down: -1 };
    return this.inner.setRates(upBps, downBps);
  }

  padding(): { upBytes: number; downBytes: number } {
    return this.inner.padding();
  }

  prepareOutages(): Promise<void> {
    return this.inner.prepareOutages();
  }

  hold(direction: Direction, wallS: number): Promise<void> {
    return this.inner.hold(direction, wallS);
  }

  release(direction: Direction): Promise<void> {
    return this.inner.release(direction);
  }

  /** The wall goodput of one direction over the step that starts at run time tS. */
  stepRate(direction: Direction, tS: number): number {
    const trace: LinkTrace = direction === 'up' ? this.trace.up : this.trace.down;
    const { stepS, payloadScale, timeScale } = this.stepping;
    const ms = 1000 * (tS + this.trace.offsetS);
    const bps = (PACKET_BITS * trace.count(ms, ms + stepS * 1000)) / stepS;
    return Math.max(FLOOR_WALL_BPS, (bps * payloadScale) / timeScale);
  }

  follow(runStartS: number): void {
    this.unfollow();
    const wall0 = performance.now();
    this.since = wall0;
    const stepWallMs = this.stepping.stepS * this.stepping.timeScale * 1000;
    const tick = () => {
      const k = Math.floor((performance.now() - wall0) / stepWallMs);
      const tS = runStartS + k * this.stepping.stepS;
      this.apply('up', tS);
      this.apply('down', tS);
      this.timer = setTimeout(tick, Math.max(0, wall0 + (k + 1) * stepWallMs - performance.now()));
    };
    tick();
  }

  unfollow(): void {
    if (this.timer === undefined) return;
    clearTimeout(this.timer);
    this.timer = undefined;
    this.stats.followedWallS += (performance.now() - this.since) / 1000;
  }

  private apply(direction: Direction, tS: number): void {
    const rate = this.stepRate(direction, tS);
    if (rate === this.last[direction]) return;
    this.last[direction] = rate;
    this.stats.changes++;
    const { inner } = this;
    if (direction === 'up') this.pipes.ns().write(changeLines(inner.nsVeth, rate, inner.shaper));
    else this.pipes.host.write(changeLines(inner.hostVeth, rate, inner.shaper));
  }
}
