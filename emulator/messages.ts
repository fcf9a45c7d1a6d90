import { z } from 'zod';

/**
 * Control messages between coordinator, server and devices: JSON validated by zod at
 * the boundary. Durations here are wall seconds and rates wall bits/s: the actors know
 * nothing of timeScale or payloadScale; the coordinator converts.
 */
const turnId = z.strictObject({ round: z.number().int().min(1), device: z.string().min(1) });
const wallRate = z.number().gt(0).nullable(); // null: the kernel shapes the link (tc mode)

export const readyMsg = z.strictObject({ kind: z.literal('ready'), actor: z.string(), pid: z.number().int() });

/** Coordinator → server, before each turn. */
export const prepareMsg = z.strictObject({
  kind: z.literal('prepare'),
  turn: turnId,
  cut: z.number().int().min(1),
  freqHz: z.number().gt(0),
  iterations: z.number().int().min(1),
  /** Wall seconds of one iteration's forward+backward+head at freqHz. */
  computeWallS: z.number().min(0),
  adapterBytes: z.number().int().min(0),
  smashedBytes: z.number().int().min(0),
  downRateBps: wallRate,
  /** Added to every transfer the server sends: the shaper's head start (tc mode), else 0. */
  padBytes: z.number().int().min(0),
});

/** Coordinator → device: run one turn and report every phase. */
export const turnMsg = z.strictObject({
  kind: z.literal('turn'),
  turn: turnId,
  cut: z.number().int().min(1),
  iterations: z.number().int().min(1),
  forwardWallS: z.number().min(0),
  backwardWallS: z.number().min(0),
  adapterBytes: z.number().int().min(0),
  smashedBytes: z.number().int().min(0),
  upRateBps: wallRate,
  /** Added to every transfer the device sends: the shaper's head start (tc mode), else 0. */
  padBytes: z.number().int().min(0),
  timeoutMs: z.number().int().min(1),
});

export const shutdownMsg = z.strictObject({ kind: z.literal('shutdown') });

/** Device → server: the device is ready to receive this turn's adapters. */
export const adapterRequestMsg = z.strictObject({ kind: z.literal('adapters'), turn: turnId });

export const deviceControlMsg = z.discriminatedUnion('kind', [turnMsg, shutdownMsg]);
export const serverControlMsg = z.discriminatedUnion('kind', [prepareMsg, adapterRequestMsg, shutdownMsg]);

/** Host-clock milliseconds (emulator/transport/host-clock.ts). */
const hostMs = z.number().min(0);

/** Server → device, the reply to `adapters`: the adapters leave now; the turn starts `at`. */
export const adaptersSendingMsg = z.strictObject({ kind: z.literal('sending'), at: hostMs });

/** Server → device: compute of one iteration is done (`at`), its gradient follows. */
export const gradientNoticeMsg = z.strictObject({
  kind: z.literal('gradient'),
  turn: turnId,
  iteration: z.number().int().min(1),
  busyWallS: z.number().min(0),
  at: hostMs,
});

export const phaseWall = z.strictObject({
  adapterDown: z.number().min(0),
  deviceForward: z.number().min(0),
  uplink: z.number().min(0),
  server: z.number().min(0),
  downlink: z.number().min(0),
  deviceBackward: z.number().min(0),
  adapterUp: z.number().min(0),
  total: z.number().min(0),
});

/** Device → coordinator: the reply to a turn. */
export const turnReportMsg = z.strictObject({
  kind: z.literal('report'),
  turn: turnId,
  phases: phaseWall,
  /** The server's compute time as it measured it (its busy time), summed over iterations. */
  serverBusyWallS: z.number().min(0),
  rejected: z.number().int().min(0),
});

export const replyMsg = z.union([
  z.strictObject({ kind: z.literal('ok'), rejected: z.number().int().min(0).optional() }),
  z.strictObject({ kind: z.literal('error'), message: z.string() }),
  turnReportMsg,
]);

export type PrepareMsg = z.infer<typeof prepareMsg>;
export type TurnMsg = z.infer<typeof turnMsg>;
export type GradientNoticeMsg = z.infer<typeof gradientNoticeMsg>;
export type TurnReportMsg = z.infer<typeof turnReportMsg>;
export type ReplyMsg = z.infer<typeof replyMsg>;
export type PhaseWall = z.infer<typeof phaseWall>;

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export function encode(message: unknown): Uint8Array {
  return encoder.encode(JSON.stringify(message));
}

/** Decodes and validates; a malformed message is a reason string, never an exception. */
export function decode<S extends z.ZodType>(schema: S, data: Uint8Array): { ok: true; value: z.output<S> } | { ok: false; reason: string } {
  let json: unknown;
  try {
    json = JSON.parse(decoder.decode(data));
  } catch {
    return { ok: false, reason: 'not JSON' };
  }
  const r = schema.safeParse(json);
  return r.success ? { ok: true, value: r.data } : { ok: false, reason: r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ') };
}
