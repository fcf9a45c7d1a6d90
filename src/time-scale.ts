import { PHASES, type DelayKey, type PhaseDelays } from './cost.js';
import { quantile } from './quantile.js';
import { expectedError, type Resolution } from './resolution.js';

/** What `timeScale: "auto"` is chosen from: the plan (known before the run) and the calibrated floor. */
export interface TimeScaleRequest {
  turns: readonly { delay: PhaseDelays }[];
  iterations: number;
  /** channel.delayMs, emulated. */
  latencyMs: number;
  resolution: Resolution;
  /** Target |measured/predicted − 1| of every phase's median over the turns. */
  fidelity: number;
  wallBudgetS?: number | undefined;
  /** Wall seconds each turn costs beyond its emulated time (control messages, records). */
  overheadPerTurnS: number;
}

export type TimeScaleChoice =
  | { ok: true; timeScale: number; wallS: number; worst: { phase: DelayKey; error: number } }
  | { ok: false; timeScale: number; wallS: number; budgetS: number };

const JUDGED: readonly DelayKey[] = [...PHASES, 'total'];
const LOWEST = 1e-4;
const HIGHEST = 1e4;

/** Per phase, the median over the turns of the error expected at `timeScale`. */
export function expectedMedianErrors(req: TimeScaleRequest, timeScale: number): { phase: DelayKey; error: number }[] {
  return JUDGED.map((phase) => {
    const errors = req.turns
      .filter((t) => t.delay[phase] > 0)
      .map((t) => expectedError(phase, t.delay[phase], req.resolution, req.latencyMs, timeScale, req.iterations))
      .sort((a, b) => a - b);
    return { phase, error: errors.length ? quantile(errors, 0.5) : 0 };
  });
}

function worstAt(req: TimeScaleRequest, timeScale: number): { phase: DelayKey; error: number } {
  return expectedMedianErrors(req, timeScale).reduce((a, b) => (b.error > a.error ? b : a));
}

/**
 * The fastest (smallest) timeScale at which every phase's expected median error meets
 * the target. Errors only fall as timeScale grows (the floor is fixed wall time, the
 * phases stretch), so a bisection in log space finds it; it is rounded up to two
 * significant digits so that a manifest shows a number a reader can type. A wall budget
 * that cannot hold the run at that scale is refused with the scale that would do.
 */
export function chooseTimeScale(req: TimeScaleRequest): TimeScaleChoice {
  let lo = LOWEST;
  let hi = HIGHEST;
  if (worstAt(req, lo).error > req.fidelity) {
    for (let i = 0; i < 60; i++) {
      const mid = Math.sqrt(lo * hi);
      if (worstAt(req, mid).error <= req.fidelity) hi = mid;
      else lo = mid;
    }
  } else hi = lo;
  const timeScale = roundUp(hi);
  const wallS = estimatedWallS(req, timeScale);
  if (req.wallBudgetS !== undefined && wallS > req.wallBudgetS) return { ok: false, timeScale, wallS, budgetS: req.wallBudgetS };
  return { ok: true, timeScale, wallS, worst: worstAt(req, timeScale) };
}

/** Wall seconds of the turns at `timeScale`: their emulated time scaled, plus a fixed cost per turn. */
export function estimatedWallS(req: Pick<TimeScaleRequest, 'turns' | 'overheadPerTurnS'>, timeScale: number): number {
  const emulated = req.turns.reduce((sum, t) => sum + t.delay.total, 0);
  return emulated * timeScale + req.turns.length * req.overheadPerTurnS;
}

/** Up to two significant digits, never down: rounding down could miss the target. */
export function roundUp(x: number): number {
  const unit = 10 ** (Math.floor(Math.log10(x)) - 1);
  return Number((Math.ceil(x / unit - 1e-9) * unit).toPrecision(2));
}
