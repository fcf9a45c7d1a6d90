import { PHASES, TRANSFER_PHASES, type DelayKey, type PhaseDelays, type TransferPhase } from './cost.js';
import type { EmulationConfig } from './config.js';

/**
 * What the emulator adds to a phase beyond the model, in wall milliseconds, as a
 * distribution: the median is the systematic part, `madMs` (median absolute deviation
 * from the median) is what a phase's median error is left with once the median is
 * compensated, `p95Ms` the tail.
 */
export interface FloorStats {
  medianMs: number;
  p95Ms: number;
  madMs: number;
  samples: number;
}

/**
 * The emulator's resolution as calibrated at run start: per payload transfer (bus hop,
 * pacing granularity, kernel queueing), by transfer phase since direction and payload
 * size both change it, and per timed compute workload.
 */
export interface Resolution {
  transfer: Record<TransferPhase, FloorStats>;
  compute: FloorStats;
  /**
   * Per transfer, what the floor adds in bytes rather than in time: protocol headers
   * (NATS, the transport's frames) and htb ending a transfer on a whole frame. It costs
   * bytes ÷ wall rate, so it grows as the time scale slows at a fixed payloadScale and
   * shrinks as payloadScale grows: calibrated at two wall rates (launcher/calibrate.ts)
   * and kept apart from the fixed wall part (`transfer`), which is the one that time
   * dilation removes. Absent: no byte part is known.
   */
  transferBytes?: Record<TransferPhase, number>;
}

/** Where a turn's transfers run, in wall bit/s, for the byte part of the floor. */
export interface WallRates {
  upBps: number;
  downBps: number;
}

const isTransfer = (phase: DelayKey): phase is TransferPhase => (TRANSFER_PHASES as readonly string[]).includes(phase);

/** Wall ms of userspace delay that makes a transfer measure `latencyMs × timeScale`: the floor is already on the path. */
export function injectedDelayMs(latencyMs: number, timeScale: number, floorMs: number): number {
  return latencyMs > 0 ? Math.max(0, latencyMs * timeScale - floorMs) : 0;
}

/**
 * Wall ms a transfer leaves before its phase starts (docs/fidelity.md, "Sending ahead"): the
 * fixed floor that the injected latency cannot absorb. The sender takes it from the timed
 * phase before the transfer (a workload, or the turn's start for the adapters), so that its
 * last byte lands when the model's would.
 */
export function aheadWallMs(latencyMs: number, timeScale: number, floorMs: number): number {
  return Math.max(0, floorMs - Math.max(0, latencyMs) * timeScale);
}

/** The timed phase a transfer is sent ahead from (one per iteration); the adapters going down leave ahead of the turn's start, which bounds nothing. */
export const AHEAD_FROM: Record<TransferPhase, DelayKey | null> = { adapterDown: null, uplink: 'deviceForward', downlink: 'server', adapterUp: 'deviceBackward' };

/**
 * The wall ms a phase is expected to be off by, at `timeScale`, for a turn of
 * `iterations` iterations: k transfers each leave what compensation cannot remove (the
 * floor that neither the latency absorbs nor sending ahead removes: a phase before it too
 * short to send ahead from) plus the floor's spread; compute is not compensated.
 * `turn` (the turn's emulated phases) bounds sending ahead; without it, ahead is unbounded.
 */
export function expectedResidualMs(phase: DelayKey, res: Resolution, latencyMs: number, timeScale: number, iterations: number, wall?: WallRates, turn?: PhaseDelays): number {
  if (phase === 'total') return PHASES.reduce((sum, p) => sum + expectedResidualMs(p, res, latencyMs, timeScale, iterations, wall, turn), 0);
  if (phase === 'serverWait') return 0;
  const k = phase === 'adapterDown' || phase === 'adapterUp' ? 1 : iterations;
  if (!isTransfer(phase)) return k * (Math.abs(res.compute.medianMs) + res.compute.madMs);
  // only the fixed part is compensated: the byte part is estimated from a few probes and stays as it is
  const fixedMs = res.transfer[phase].medianMs;
  const from = AHEAD_FROM[phase];
  const roomMs = from && turn ? (turn[from] * 1000 * timeScale) / k : Infinity;
  const uncompensated = Math.max(0, aheadWallMs(latencyMs, timeScale, fixedMs) - roomMs);
  return k * (uncompensated + bytePartMs(phase, res, wall) + res.transfer[phase].madMs);
}

/** Wall ms the byte part of the floor costs one transfer of `phase` at the turn's wall rates. */
export function bytePartMs(phase: TransferPhase, res: Resolution, wall?: WallRates): number {
  const bytes = res.transferBytes?.[phase] ?? 0;
  if (!wall || bytes <= 0) return 0;
  const bps = phase === 'uplink' || phase === 'adapterUp' ? wall.upBps : wall.downBps;
  return (8000 * bytes) / bps;
}

/** The whole floor of one transfer at a wall rate: the fixed wall part and the byte part. */
export function floorAtMs(phase: TransferPhase, res: Resolution, wall?: WallRates): number {
  return res.transfer[phase].medianMs + bytePartMs(phase, res, wall);
}

/** |measured/predicted − 1| a phase of `predictedS` emulated seconds is expected to show. */
export function expectedError(phase: DelayKey, predictedS: number, res: Resolution, latencyMs: number, timeScale: number, iterations: number, wall?: WallRates, turn?: PhaseDelays): number {
  return expectedResidualMs(phase, res, latencyMs, timeScale, iterations, wall, turn) / (predictedS * 1000 * timeScale);
}

/**
 * A phase is below the emulator's resolution when one of its transfers or workloads is
 * predicted to take less wall time than the floor itself: its relative error then says
 * more about the floor than about the model, so it is reported in absolute terms.
 */
export function belowResolution(phase: DelayKey, delay: PhaseDelays, res: Resolution, timeScale: number, iterations: number): boolean {
  if (phase === 'total' || phase === 'serverWait') return false;
  const k = phase === 'adapterDown' || phase === 'adapterUp' ? 1 : iterations;
  const floor = isTransfer(phase) ? res.transfer[phase].medianMs : res.compute.medianMs;
  return (delay[phase] * 1000 * timeScale) / k < floor;
}

/** The run's wall seconds per emulated second, once "auto" has been resolved. */
export function fixedTimeScale(e: Pick<EmulationConfig, 'timeScale'>): number {
  if (e.timeScale === 'auto') throw new Error('emulation.timeScale "auto" has not been resolved yet');
  return e.timeScale;
}
