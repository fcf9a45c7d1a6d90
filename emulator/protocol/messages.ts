import { bool, byKind, list, nullable, num, obj, oneOf, optional, parse, record, str, lit, type Infer, type Parsed, type Schema } from './schema.js';

/**
 * Control messages between coordinator, server and devices: JSON checked at the boundary
 * by codec/schema.ts (not zod: actors load only what they need, docs/architecture.md §8). Durations
 * here are wall seconds and rates wall bits/s: the actors know nothing of timeScale or
 * payloadScale; the coordinator converts.
 */
/**
 * `attempt` > 0 marks a turn run again after a bus outage (docs/architecture.md §9): its transfers carry it, so none of an abandoned attempt's can be taken for the new one's.
 * Round 0 is the calibration before the first round (launcher/calibrate.ts).
 */
const turnId = obj({ round: num({ int: true, min: 0 }), device: str({ min: 1, max: 200 }), attempt: optional(num({ int: true, min: 0, max: 1000 })) });
const wallRate = nullable(num({ gt: 0 })); // null: the kernel shapes the link (tc mode)
// Every size and duration is bounded: a well-formed but lying message must not make an
// actor allocate, loop or wait without limit.
const count = num({ int: true, min: 0 });
const seconds = num({ min: 0, max: 86_400 });
const bytes = num({ int: true, min: 0, max: 2 ** 30 });
const iterations = num({ int: true, min: 1, max: 10_000 });
const cut = num({ int: true, min: 1, max: 10_000 });
/**
 * Userspace latency and jitter of this turn's transfers in wall ms, already scaled and
 * floor-compensated by the coordinator (timeScale may be chosen after the actors start).
 */
const wallMs = num({ min: 0, max: 86_400_000 });
const impairmentFields = {
  /** By payload: the floor under a small adapter transfer is not the one under a full chunk of smashed data. */
  delayWallMs: optional(obj({ adapters: wallMs, smashed: wallMs })),
  jitterWallMs: optional(wallMs),
  /**
   * By payload: how long before its phase starts a transfer leaves, taken from the timed
   * phase before it (docs/fidelity.md, "Sending ahead"): the part of the calibrated floor
   * that the latency above cannot absorb.
   */
  aheadWallMs: optional(obj({ adapters: wallMs, smashed: wallMs })),
};

/**
 * The most steps a pacing schedule may have, and the most opportunities in one step: with
 * every count at its maximum (7 digits and a comma) the schedule is 32 KiB of JSON, half
 * of MAX_CONTROL_BYTES, so a turn or prepare message that carries one always fits.
 */
export const MAX_SCHEDULE_STEPS = 4096;
export const MAX_STEP_OPPORTUNITIES = 1_000_000;

/**
 * A trace-following link as its userspace sender paces it over one turn (docs/linktrace.md,
 * "Emulation"): counts[i] delivery opportunities of `packetBytes` each in the i-th step of
 * `stepWallMs` from the turn's start (when the server sends the adapters), then `thenBps`
 * after the last step. Wall units, like every rate here.
 */
const pacingSchedule = obj({
  stepWallMs: num({ gt: 0, max: 86_400_000 }),
  /** 1500 × payloadScale. */
  packetBytes: num({ min: 0.001, max: 1_048_576 }),
  counts: list(num({ int: true, min: 0, max: MAX_STEP_OPPORTUNITIES }), MAX_SCHEDULE_STEPS),
  thenBps: num({ gt: 0 }),
});

const phase = oneOf(['adapterDown', 'deviceForward', 'uplink', 'server', 'downlink', 'deviceBackward', 'adapterUp'] as const);
const transferPhase = oneOf(['adapterDown', 'uplink', 'downlink', 'adapterUp'] as const);

/**
 * A scheduled link outage on this turn (docs/model.md §1.7): the link carries nothing for
 * `wallS` from the start of `phase`'s first transfer. `kernel`: the sender asks the
 * coordinator to hold the link in tc and waits for it; `pacer`: the sender's own token
 * bucket holds the chunks.
 */
const outage = nullable(obj({ phase: transferPhase, wallS: seconds, by: oneOf(['kernel', 'pacer'] as const), padBytes: bytes }));

/** Actor → launcher, a request until answered: an announcement is never lost, whenever the launcher listens. */
export const readyMsg = obj({ kind: lit('ready'), actor: str({ min: 1, max: 256 }), pid: num({ int: true, min: 1 }) });

/** Coordinator → server, before each turn. */
export const prepareMsg = obj({
  kind: lit('prepare'),
  turn: turnId,
  cut,
  freqHz: num({ gt: 0 }),
  iterations,
  /** Wall seconds of one iteration's forward+backward+head at freqHz. */
  computeWallS: seconds,
  adapterBytes: bytes,
  smashedBytes: bytes,
  downRateBps: wallRate,
  /** Trace-following userspace links: the downlink's opportunities over this turn (instead of downRateBps). */
  downSchedule: optional(pacingSchedule),
  /** Added to every transfer the server sends: the shaper's head start (tc mode), else 0. */
  padBytes: bytes,
  /** The device dies when this phase starts: the server runs no job and sends nothing from there on. */
  crashAt: optional(nullable(phase)),
  outage: optional(outage),
  /** Parallel mode: the returned adapters wait for the round's FedAvg; else they hand over to the next turn at once. */
  fedAvg: optional(bool()),
  ...impairmentFields,
});

/** Coordinator → device: run one turn and report every phase. */
export const turnMsg = obj({
  kind: lit('turn'),
  turn: turnId,
  cut,
  iterations,
  forwardWallS: seconds,
  backwardWallS: seconds,
  adapterBytes: bytes,
  smashedBytes: bytes,
  upRateBps: wallRate,
  /** Trace-following userspace links: the uplink's opportunities over this turn (instead of upRateBps). */
  upSchedule: optional(pacingSchedule),
  /** Added to every transfer the device sends: the shaper's head start (tc mode), else 0. */
  padBytes: bytes,
  /** The server's `padBytes`: bounds the adapter transfer the device keeps (docs/model.md §1.6). */
  downPadBytes: optional(bytes),
  timeoutMs: num({ int: true, min: 1, max: 86_400_000 }),
  /** SIGKILL this process when this phase starts (a scheduled crash). */
  crashAt: optional(nullable(phase)),
  outage: optional(outage),
  ...impairmentFields,
});

export const shutdownMsg = obj({ kind: lit('shutdown') });

/** Anyone → an actor: what it holds right now (diagnostics, and the idle tests of docs/architecture.md §8). */
export const statusMsg = obj({ kind: lit('status') });

/**
 * The reply to `status`: the process's active resources by type
 * (process.getActiveResourcesInfo(): what keeps its event loop alive, e.g. `Timeout`),
 * its partial transfers and whether its stale-transfer sweep is armed.
 */
export const statusReplyMsg = obj({
  kind: lit('status'),
  pid: num({ int: true, min: 1 }),
  resources: record(count, 64),
  partial: count,
  sweeperArmed: bool(),
});

/** Coordinator → server: forget a crashed turn (no job, no adapters kept). */
export const discardMsg = obj({ kind: lit('discard'), turn: turnId });

/** Coordinator → server at the end of a parallel round: FedAvg of the adapters returned in it. */
export const averageMsg = obj({ kind: lit('average'), round: num({ int: true, min: 1 }) });

/** Server → coordinator, the reply to `average`. */
export const averagedMsg = obj({ kind: lit('averaged'), round: num({ int: true, min: 1 }), contributions: count, bytes });

/** Device → server: the device is ready to receive this turn's adapters. */
export const adapterRequestMsg = obj({ kind: lit('adapters'), turn: turnId });

export const deviceControlMsg = byKind({ turn: turnMsg, shutdown: shutdownMsg, status: statusMsg });
export const serverControlMsg = byKind({ prepare: prepareMsg, adapters: adapterRequestMsg, shutdown: shutdownMsg, discard: discardMsg, average: averageMsg, status: statusMsg });

/** Host-clock milliseconds (emulator/transport/host-clock.ts). */
const hostMs = num({ min: 0 });

/**
 * Server → device, the reply to `adapters`: the adapters leave now; the turn starts `at`.
 * `version`: the round that produced the newest of them (0: the initial adapters), docs/model.md §1.6.
 */
export const adaptersSendingMsg = obj({ kind: lit('sending'), at: hostMs, version: num({ int: true, min: 0, max: 1_000_000 }) });

/** Server → device: compute of one iteration is done (`at`), its gradient follows. */
export const gradientNoticeMsg = obj({
  kind: lit('gradient'),
  turn: turnId,
  iteration: iterations,
  busyWallS: seconds,
  /** How long the job queued for the GPU, from the server's own queue timestamps. */
  waitWallS: optional(seconds),
  at: hostMs,
});

/** Actor → coordinator (tc mode): hold my link for this outage, from `at` on; answered once the kernel holds it. */
export const holdRequestMsg = obj({ kind: lit('hold'), turn: turnId, phase: transferPhase, wallS: seconds, at: hostMs });


export const phaseWall = obj({
  adapterDown: seconds,
  serverWait: seconds,
  deviceForward: seconds,
  uplink: seconds,
  server: seconds,
  downlink: seconds,
  deviceBackward: seconds,
  adapterUp: seconds,
  total: seconds,
});

/** Device → coordinator: the reply to a turn. */
export const turnReportMsg = obj({
  kind: lit('report'),
  turn: turnId,
  phases: phaseWall,
  /** The server's compute time as it measured it (its busy time), summed over iterations. */
  serverBusyWallS: seconds,
  rejected: count,
  /** Host-clock ms when the turn started (the server sent the adapters): places it in its round. */
  startAt: optional(hostMs),
  pid: optional(num({ int: true, min: 1 })),
});

/** Device → coordinator, published and flushed just before a scheduled crash: the phases it completed. */
export const crashingMsg = obj({ kind: lit('crashing'), turn: turnId, phase, pid: num({ int: true, min: 1 }), phases: phaseWall, startAt: hostMs });

export const okMsg = obj({ kind: lit('ok'), rejected: optional(count), rejections: optional(record(count, 64)) });
export const errorMsg = obj({ kind: lit('error'), message: str({ max: 4096 }) });
export const replyMsg = byKind({ ok: okMsg, error: errorMsg, report: turnReportMsg, averaged: averagedMsg });

export type PrepareMsg = Infer<typeof prepareMsg>;
export type TurnMsg = Infer<typeof turnMsg>;
export type GradientNoticeMsg = Infer<typeof gradientNoticeMsg>;
export type TurnReportMsg = Infer<typeof turnReportMsg>;
export type ReplyMsg = Infer<typeof replyMsg>;
export type PhaseWall = Infer<typeof phaseWall>;
export type HoldRequestMsg = Infer<typeof holdRequestMsg>;
export type CrashingMsg = Infer<typeof crashingMsg>;
export type PacingSchedule = Infer<typeof pacingSchedule>;
export type OutageSpec = NonNullable<TurnMsg['outage']>;

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export function encode(message: unknown): Uint8Array {
  return encoder.encode(JSON.stringify(message));
}

/** Control messages are small; anything bigger is refused before it is parsed. */
export const MAX_CONTROL_BYTES = 64 * 1024;

/** Decodes and validates; a malformed message is a reason string, never an exception. */
export function decode<T>(schema: Schema<T>, data: Uint8Array): Parsed<T> {
  if (data.length > MAX_CONTROL_BYTES) return { ok: false, reason: 'too large' };
  let json: unknown;
  try {
    json = JSON.parse(decoder.decode(data));
  } catch {
    return { ok: false, reason: 'not JSON' };
  }
  return parse(schema, json);
}
