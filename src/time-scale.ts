import { PHASES, type DelayKey, type PhaseDelays } from './cost.js';
import { quantile } from './quantile.js';
import { expectedError, type Resolution, type WallRates } from './resolution.js';

/** A planned turn as the choice needs it: its phases and its modelled rates (for the byte part of the floor). */
export interface ScaledTurn {
  delay: PhaseDelays;
  rateUpBps?: number;
  rateDownBps?: number;
}

/**
 * What bounds payloadScale once the time scale is known (docs/fidelity.md): bytes and time
 * are dilated together, so that every transfer stays enough whole frames long (htb ends a
 * transfer on a frame: one frame of granularity must be a small part of it) and every wall
 * rate stays where htb shapes exactly (well below a gigabit) and the bus keeps up.
 */
export interface PayloadBounds {
  /** The config's payloadScale: kept wherever it keeps every transfer exact. */
  preferred: number;
  /** The run's smallest modelled transfer in bytes (adapters at the smallest cut, or smashed data). */
  smallestTransferBytes: number;
  /** The run's fastest modelled rate, bit/s. */
  fastestRateBps: number;
  /** Transfers in flight at once at the plan's busiest moment (1 in sequential mode): their wall rates add up on the bus. */
  concurrency: number;
  /** The calibrated byte part of the floor per transfer (src/resolution.ts): it too must stay within half the target of the smallest transfer. */
  overheadBytes?: number;
}

/** What `timeScale: "auto"` is chosen from: the plan (known before the run) and the calibrated floor. */
export interface TimeScaleRequest {
  turns: readonly ScaledTurn[];
  iterations: number;
  /** channel.delayMs, emulated. */
  latencyMs: number;
  resolution: Resolution;
  /** Target |measured/predicted − 1| of every phase's median over the turns. */
  fidelity: number;
  wallBudgetS?: number | undefined;
  /** Wall seconds each turn costs beyond its emulated time (control messages, records). */
  overheadPerTurnS: number;
  /** A fixed payloadScale (the config's, timeScale fixed), or the bounds "auto" chooses it within. */
  payload?: number | PayloadBounds;
  /** The slowest scale "auto" may choose when no budget bounds it. */
  maxTimeScale?: number;
}

export interface TimeScaleChoice {
  timeScale: number;
  payloadScale: number;
  wallS: number;
  worst: { phase: DelayKey; error: number };
  /** The expected median errors meet the target at this scale. */
  meets: boolean;
  /** The wall budget, not the target, set the scale: the run is as slow as it may be and still expected to miss. */
  budgetLimited: boolean;
  /** Why each scale is what it is, one sentence each (manifest.json). */
  why: string[];
}

const JUDGED: readonly DelayKey[] = [...PHASES, 'total'];
const LOWEST = 1e-4;
/** Without a wall budget "auto" slows down at most to this (wall seconds per emulated second). */
export const DEFAULT_MAX_TIME_SCALE = 10;
/** TCP payload of a full frame at MTU 1500 (timestamps on). */
export const FRAME_PAYLOAD_BYTES = 1448;
/**
 * Per link: htb's rate is exact well below a gigabit on a veth, but every byte also
 * crosses nats-server and two actor processes: on a 2-core host a transfer above about
 * 100 Mbit/s is paced by their CPU, not by the shaper (docs/fidelity.md).
 */
export const MAX_LINK_WALL_BPS = 1e8;
/** Through the bus, all transfers in flight together: what nats-server relays on a small host without becoming the bottleneck. */
export const MAX_BUS_WALL_BPS = 1.6e8;

/** One frame of granularity within half the target: a transfer at least this many frames long. */
export function minFrames(target: number): number {
  return Math.ceil(1 / (2 * target));
}

/**
 * The payloadScale "auto" pairs with `timeScale`: the config's, raised until the smallest
 * transfer is `minFrames` frames, lowered until the fastest wall rate (rate × payloadScale
 * ÷ timeScale) is within what htb and the bus carry exactly. When both cannot hold, the
 * wall-rate bound wins (a faster timeScale cannot fix an inexact shaper; the frames then
 * say how far the smallest transfer is off).
 */
export function payloadScaleFor(b: PayloadBounds, target: number, timeScale: number): { payloadScale: number; frames: number; fastestWallBps: number; why: string } {
  const needBytes = Math.max(minFrames(target) * FRAME_PAYLOAD_BYTES, (2 * (b.overheadBytes ?? 0)) / target);
  const lowest = Math.min(1, needBytes / b.smallestTransferBytes);
  const maxWall = Math.min(MAX_LINK_WALL_BPS, MAX_BUS_WALL_BPS / Math.max(1, b.concurrency));
  const highest = Math.min(1, (maxWall * timeScale) / b.fastestRateBps);
  let payloadScale: number;
  let why: string;
  if (lowest > highest) {
    payloadScale = roundDown(highest);
    why = `payloadScale ${payloadScale}: the fastest wall rate at most ${mbit(maxWall)} (htb exact, bus not saturated) bounds it; the smallest transfer would need ${roundUp(lowest)} for ${minFrames(target)} frames`;
  } else if (b.preferred < lowest) {
    payloadScale = Math.min(roundUp(lowest), 1);
    why = `payloadScale ${payloadScale} (config ${b.preferred}): raised so that the smallest transfer (${Math.round(b.smallestTransferBytes)} B modelled) is at least ${minFrames(target)} frames${b.overheadBytes ? ` and ${Math.round((2 * b.overheadBytes) / target)} B` : ''}: one frame of granularity${b.overheadBytes ? ` and the ${Math.round(b.overheadBytes)} B the floor adds per transfer` : ''} within half the target`;
  } else if (b.preferred > highest) {
    payloadScale = roundDown(highest);
    why = `payloadScale ${payloadScale} (config ${b.preferred}): lowered so that the fastest wall rate stays at most ${mbit(maxWall)} (htb exact${b.concurrency > 1 ? `, ${b.concurrency} transfers at once through the bus` : ''})`;
  } else {
    payloadScale = b.preferred;
    why = `payloadScale ${payloadScale} (the config's): every transfer at least ${minFrames(target)} frames, every wall rate at most ${mbit(maxWall)}`;
  }
  return { payloadScale, frames: (b.smallestTransferBytes * payloadScale) / FRAME_PAYLOAD_BYTES, fastestWallBps: (b.fastestRateBps * payloadScale) / timeScale, why };
}

function mbit(bps: number): string {
  return `${Number((bps / 1e6).toPrecision(3))} Mbit/s`;
}

function payloadAt(req: TimeScaleRequest, timeScale: number): number {
  if (req.payload === undefined) return 1;
  return typeof req.payload === 'number' ? req.payload : payloadScaleFor(req.payload, req.fidelity, timeScale).payloadScale;
}

/** Per phase, the median over the turns of the error expected at `timeScale` (and the payloadScale paired with it). */
export function expectedMedianErrors(req: TimeScaleRequest, timeScale: number, payloadScale = payloadAt(req, timeScale)): { phase: DelayKey; error: number }[] {
  const wall = (t: ScaledTurn): WallRates | undefined =>
    t.rateUpBps && t.rateDownBps ? { upBps: (t.rateUpBps * payloadScale) / timeScale, downBps: (t.rateDownBps * payloadScale) / timeScale } : undefined;
  return JUDGED.map((phase) => {
    const errors = req.turns
      .filter((t) => t.delay[phase] > 0)
      .map((t) => expectedError(phase, t.delay[phase], req.resolution, req.latencyMs, timeScale, req.iterations, wall(t), t.delay))
      .sort((a, b) => a - b);
    return { phase, error: errors.length ? quantile(errors, 0.5) : 0 };
  });
}

function worstAt(req: TimeScaleRequest, timeScale: number): { phase: DelayKey; error: number } {
  return expectedMedianErrors(req, timeScale).reduce((a, b) => (b.error > a.error ? b : a));
}

/**
 * The fastest (smallest) timeScale at which every phase's expected median error meets the
 * target, with the payloadScale paired with it. Errors only fall as timeScale grows (the
 * fixed floor is wall time, the phases stretch; the byte part shrinks as payloadScale may
 * grow), so a bisection in log space finds it; it is rounded up to two significant digits
 * so that a manifest shows a number a reader can type. Never refuses: a wall budget too
 * small for the target gets the slowest scale it allows, and the error expected there.
 */
export function chooseTimeScale(req: TimeScaleRequest): TimeScaleChoice {
  const highest = Math.max(LOWEST, req.maxTimeScale ?? DEFAULT_MAX_TIME_SCALE);
  let lo = LOWEST;
  let hi = highest;
  if (worstAt(req, lo).error > req.fidelity) {
    for (let i = 0; i < 60; i++) {
      const mid = Math.sqrt(lo * hi);
      if (worstAt(req, mid).error <= req.fidelity) hi = mid;
      else lo = mid;
    }
  } else hi = lo;
  let timeScale = Math.min(roundUp(hi), highest);
  const why: string[] = [];
  let budgetLimited = false;
  const budgetScale = req.wallBudgetS === undefined ? Infinity : budgetTimeScale(req, req.wallBudgetS);
  if (timeScale > budgetScale) {
    budgetLimited = true;
    timeScale = Math.max(LOWEST, roundDown(budgetScale));
    why.push(`timeScale ${timeScale}: the slowest wallBudgetS ${req.wallBudgetS} s allows; the target would need ${roundUp(hi)}`);
  } else if (worstAt(req, timeScale).error > req.fidelity) {
    why.push(`timeScale ${timeScale}: the slowest "auto" goes without a budget; the target is out of reach of time dilation here`);
  } else {
    why.push(`timeScale ${timeScale}: the fastest whose expected median error meets the target in every phase`);
  }
  const payloadScale = payloadAt(req, timeScale);
  if (typeof req.payload === 'object') why.push(payloadScaleFor(req.payload, req.fidelity, timeScale).why);
  const worst = worstAt(req, timeScale);
  return { timeScale, payloadScale, wallS: estimatedWallS(req, timeScale), worst, meets: worst.error <= req.fidelity, budgetLimited, why };
}

/** The slowest timeScale whose turns fit in `budgetS` wall seconds. */
export function budgetTimeScale(req: Pick<TimeScaleRequest, 'turns' | 'overheadPerTurnS'>, budgetS: number): number {
  const emulated = req.turns.reduce((sum, t) => sum + t.delay.total, 0);
  if (emulated <= 0) return DEFAULT_MAX_TIME_SCALE;
  return Math.max(LOWEST, (budgetS - req.turns.length * req.overheadPerTurnS) / emulated);
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

/** Up to two significant digits, never up: rounding up could break a bound (a budget, a wall rate). */
export function roundDown(x: number): number {
  const unit = 10 ** (Math.floor(Math.log10(x)) - 1);
  return Number((Math.floor(x / unit + 1e-9) * unit).toPrecision(2));
}
