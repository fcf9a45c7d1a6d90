import type { Resolution } from '../../src/resolution.js';
import { roundDown, roundUp } from '../../src/time-scale.js';
import { judgedMedians } from '../records/fidelity-verdict.js';
import type { TurnRecord } from '../records/turn-record.js';

/** One change of the time scale during the run, as manifest.json and summary.json record it. */
export interface ScaleChange {
  /** Turns finished when it was decided; it applies from the next turn (parallel mode: the next round). */
  afterTurns: number;
  round: number;
  from: number;
  /** Equal to `from` when the monitor could not slow down: the reason says what held it. */
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
  /** The slowest scale the run was set up for (the bus's write deadline), budget or not. */
  maxTimeScale: number;
  /** Emulated seconds of the planned turns not yet run, after `done` turns (the budget left is spent on them). */
  emulatedLeftS: (done: number) => number;
  overheadPerTurnS: number;
  turnsTotal: number;
  /** Turns judged together: in parallel mode a round. */
  window: number;
  /** The calibrated floor: a phase not above it is reported, not judged, in a window as in the run's verdict. */
  resolution?: Resolution | undefined;
  iterations: number;
}

/** How much slower (or faster) one step goes. */
const STEP = 1.5;
/** The smallest change worth making. */
const MIN_STEP = 1.1;

/**
 * Guards the run's fidelity while it runs (docs/fidelity.md): after each window of done
 * turns (a few in sequential mode, a round in parallel mode) it judges them as the run's
 * verdict will, the total's median error and that of every phase above its resolution
 * against the target. One of them above it (another job started on the host) slows the
 * time scale one step for the following turns, within what the wall budget has left, or
 * says once what holds it; all of them well below it at a scale slower than the one chosen
 * at start (the host is quiet again) speeds it back up one step. A change clears the
 * window, so every decision rests on turns run at the current scale. Pure: the launcher
 * applies the changes.
 */
export class ScaleMonitor {
  current: number;
  readonly changes: ScaleChange[] = [];
  private turns: TurnRecord[] = [];
  private wallUsedS = 0;
  private stuck = false;

  constructor(private readonly o: MonitorOptions) {
    this.current = o.base;
  }

  /** A finished turn; returns the change to make before the next turn, if any. */
  observe(r: TurnRecord, done: number, hostLoad1m: number): ScaleChange | undefined {
    this.wallUsedS += r.coordinatorWallS + this.o.overheadPerTurnS;
    if (r.status !== 'done' || !(r.predicted.delay.total > 0)) return undefined;
    this.turns.push(r);
    if (this.turns.length < this.o.window || done >= this.o.turnsTotal) return undefined;
    // judged at the scale they ran at: a record made before the scale was known has none
    const judged = judgedMedians(
      this.turns.map((t) => ({ ...t, timeScale: t.timeScale ?? this.current })),
      this.o,
    ).filter((j) => Number.isFinite(j.median));
    this.turns = [];
    if (!judged.length) return undefined;
    const load = Number.isFinite(hostLoad1m) ? `, host load ${hostLoad1m.toFixed(2)}` : '';
    const over = judged.filter((j) => j.median > this.o.target).sort((a, b) => b.median - a.median);
    const target = pct(this.o.target);
    if (over.length) {
      const why = `median error over the last ${this.o.window} turns ${over.map((j) => `${j.phase} ${pct(j.median)}`).join(', ')} > target ${target}${load}`;
      const slowest = this.slowestAllowed(done);
      const to = Math.min(roundUp(this.current * STEP), roundDown(slowest.timeScale));
      // a step of a few percent is noise, not a remedy
      if (!(to > this.current * MIN_STEP)) {
        if (this.stuck) return undefined;
        this.stuck = true; // said once: what holds the scale where it is
        return this.change(done, r.round, this.current, `${why}; cannot slow down: ${slowest.why}`, hostLoad1m);
      }
      return this.change(done, r.round, to, `${why}: slower`, hostLoad1m);
    }
    const worst = judged.reduce((a, b) => (b.median > a.median ? b : a));
    if (worst.median < this.o.target / 2 && this.current > this.o.base) {
      const to = Math.max(this.o.base, roundDown(this.current / STEP));
      this.stuck = false;
      return this.change(done, r.round, to, `median error over the last ${this.o.window} turns at most ${pct(worst.median)} (${worst.phase}) < half the target ${target}${load}: faster again`, hostLoad1m);
    }
    return undefined;
  }

  private change(done: number, round: number, to: number, reason: string, hostLoad1m: number): ScaleChange {
    const c = { afterTurns: done, round, from: this.current, to, reason, hostLoad1m: Number(hostLoad1m.toFixed(2)) };
    this.changes.push(c);
    this.current = to;
    return c;
  }

  /** The slowest scale at which the turns left still fit in the wall budget left, and what sets it. */
  private slowestAllowed(done: number): { timeScale: number; why: string } {
    const bound = { timeScale: this.o.maxTimeScale, why: `timeScale ${roundDown(this.o.maxTimeScale)} is the slowest this run was set up for` };
    if (this.o.wallBudgetS === undefined) return bound;
    const left = this.o.emulatedLeftS(done);
    const turnsLeft = this.o.turnsTotal - done;
    if (left <= 0) return { timeScale: this.current, why: 'no planned turn has time left to slow' };
    const wallLeftS = this.o.wallBudgetS - this.wallUsedS - turnsLeft * this.o.overheadPerTurnS;
    const budget = wallLeftS / left;
    if (budget >= bound.timeScale) return bound;
    return { timeScale: budget, why: `the wall budget left holds it (${secs(Math.max(0, wallLeftS))} s for ${turnsLeft} turns: timeScale ${budget > 0 ? roundDown(budget) : 0} at most)` };
  }
}

function pct(x: number): string {
  return `${Number((x * 100).toFixed(1))}%`;
}

function secs(x: number): string {
  return String(Number(x.toFixed(1)));
}
