import { quantile } from '../../src/quantile.js';
import { roundDown, roundUp } from '../../src/time-scale.js';
import type { TurnRecord } from '../records/turn-record.js';

/** One change of the time scale during the run, as manifest.json and summary.json record it. */
export interface ScaleChange {
  /** Turns finished when it was decided; it applies from the next turn (parallel mode: the next round). */
  afterTurns: number;
  round: number;
  from: number;
  to: number;
  reason: string;
  hostLoad1m: number;
}

export interface MonitorOptions {
  /** The scale "auto" settled on: the monitor never goes faster. */
  base: number;
  target: number;
  /** Wall seconds the turns may take in all (emulation.wallBudgetS); undefined: no budget. */
  wallBudgetS?: number | undefined;
  /** Without a budget, the slowest scale the monitor may choose. */
  maxTimeScale: number;
  /** Emulated seconds of the planned turns not yet run, after `done` turns (the budget left is spent on them). */
  emulatedLeftS: (done: number) => number;
  overheadPerTurnS: number;
  turnsTotal: number;
  /** Turns judged together: in parallel mode a round. */
  window: number;
}

/** How much slower (or faster) one step goes. */
const STEP = 1.5;
/** The smallest change worth making. */
const MIN_STEP = 1.1;

/**
 * Guards the run's fidelity while it runs (docs/fidelity.md): after each window of done
 * turns (a few in sequential mode, a round in parallel mode) it compares the median
 * turn-total error with the target. Drifting above it (another job started on the host)
 * slows the time scale one step for the following turns, within what the wall budget
 * has left; well below it at a scale slower than the one chosen at start (the host is
 * quiet again) speeds it back up one step. A change clears the window, so every decision
 * rests on turns run at the current scale. Pure: the launcher applies the changes.
 */
export class ScaleMonitor {
  current: number;
  readonly changes: ScaleChange[] = [];
  private errors: number[] = [];
  private wallUsedS = 0;
  private stuck = false;

  constructor(private readonly o: MonitorOptions) {
    this.current = o.base;
  }

  /** A finished turn; returns the change to make before the next turn, if any. */
  observe(r: TurnRecord, done: number, hostLoad1m: number): ScaleChange | undefined {
    this.wallUsedS += r.coordinatorWallS + this.o.overheadPerTurnS;
    if (r.status !== 'done' || !(r.predicted.delay.total > 0)) return undefined;
    this.errors.push(Math.abs(r.measured.delay.total / r.predicted.delay.total - 1));
    if (this.errors.length < this.o.window || done >= this.o.turnsTotal) return undefined;
    const median = quantile([...this.errors].sort((a, b) => a - b), 0.5);
    this.errors = [];
    const load = Number.isFinite(hostLoad1m) ? `, host load ${hostLoad1m.toFixed(2)}` : '';
    const over = `median turn-total error ${pct(median)} over the last ${this.o.window} turns`;
    if (median > this.o.target) {
      const slowest = this.slowestAllowed(done);
      const to = Math.min(roundUp(this.current * STEP), roundDown(slowest));
      // a step of a few percent is noise, not a remedy
      if (!(to > this.current * MIN_STEP)) {
        if (this.stuck) return undefined;
        this.stuck = true; // said once: the budget holds the scale where it is
        return this.change(done, r.round, this.current, `${over} > target ${pct(this.o.target)}${load}; cannot slow down: the wall budget left holds it`, hostLoad1m);
      }
      return this.change(done, r.round, to, `${over} > target ${pct(this.o.target)}${load}: slower`, hostLoad1m);
    }
    if (median < this.o.target / 2 && this.current > this.o.base) {
      const to = Math.max(this.o.base, roundDown(this.current / STEP));
      this.stuck = false;
      return this.change(done, r.round, to, `${over} < half the target ${pct(this.o.target)}${load}: faster again`, hostLoad1m);
    }
    return undefined;
  }

  private change(done: number, round: number, to: number, reason: string, hostLoad1m: number): ScaleChange {
    const c = { afterTurns: done, round, from: this.current, to, reason, hostLoad1m: Number(hostLoad1m.toFixed(2)) };
    this.changes.push(c);
    this.current = to;
    return c;
  }

  /** The slowest scale at which the turns left still fit in the wall budget left. */
  private slowestAllowed(done: number): number {
    if (this.o.wallBudgetS === undefined) return this.o.maxTimeScale;
    const left = this.o.emulatedLeftS(done);
    const turnsLeft = this.o.turnsTotal - done;
    if (left <= 0) return this.current;
    return Math.min(this.o.maxTimeScale, (this.o.wallBudgetS - this.wallUsedS - turnsLeft * this.o.overheadPerTurnS) / left);
  }
}

function pct(x: number): string {
  return `${Number((x * 100).toFixed(1))}%`;
}
