import type { DeviceLink } from '../../src/linktrace-channel.js';
import type { Direction, Link, TcLink } from './link.js';
import { FrameSteering } from './frame-steering.js';
import { changeLines } from './shaper.js';
import type { TcPipe } from './tc-pipe.js';

/** How a trace-following link steps (docs/linktrace.md): chosen per run, recorded in the manifest. */
export interface TraceStepping {
  /** Emulated seconds per rate step. */
  stepS: number;
  timeScale: number;
  payloadScale: number;
}

/** Counters of every trace-following link of a run, for the manifest and the benchmark. */
export class SteppingStats {
  changes = 0;
  followedWallS = 0;
}

/**
 * A device's tc link that follows its trace in time while a turn runs: from `follow`
 * (the turn's start, at run time `runStartS`) each step of `stepS` emulated seconds gets
 * the htb rate that makes the class send its frames when the trace completes them
 * (`FrameSteering`, docs/linktrace.md "Step rates and htb's debt"), written as an htb
 * `class change` into a long-lived tc pipe. Each link runs its own timer: the
 * coordinator only says "follow from here" and "stop" per turn, so its work does not
 * grow with N. Steps are placed on the wall clock from the start (not chained), so timer
 * lateness never accumulates; a step the timer missed is still stepped through (the
 * steering keeps state), only the latest rate is written.
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

  /** The steering of one direction from run time `runStartS` (a turn's start). */
  steering(direction: Direction, runStartS: number): FrameSteering {
    const trace = direction === 'up' ? this.trace.up : this.trace.down;
    const { stepS, payloadScale, timeScale } = this.stepping;
    return new FrameSteering(trace, 1000 * (runStartS + this.trace.offsetS), 1000 * stepS, payloadScale, timeScale);
  }

  follow(runStartS: number): void {
    this.unfollow();
    const wall0 = performance.now();
    this.since = wall0;
    const { stepS, timeScale } = this.stepping;
    const stepWallMs = stepS * timeScale * 1000;
    const up = this.steering('up', runStartS);
    const down = this.steering('down', runStartS);
    const traceMs = (k: number) => 1000 * (runStartS + k * stepS + this.trace.offsetS);
    let stepped = -1;
    const tick = () => {
      const k = Math.floor((performance.now() - wall0) / stepWallMs);
      let rates = { up: 0, down: 0 };
      while (stepped < k) {
        stepped++;
        rates = { up: up.rate(traceMs(stepped)), down: down.rate(traceMs(stepped)) };
      }
      if (rates.up > 0) this.apply('up', rates.up);
      if (rates.down > 0) this.apply('down', rates.down);
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

  private apply(direction: Direction, rate: number): void {
    if (rate === this.last[direction]) return;
    this.last[direction] = rate;
    this.stats.changes++;
    const { inner } = this;
    if (direction === 'up') this.pipes.ns().write(changeLines(inner.nsVeth, rate, inner.shaper));
    else this.pipes.host.write(changeLines(inner.hostVeth, rate, inner.shaper));
  }
}
