/**
 * The sending side of a payload transfer (DESIGN.md 4.2): chunks published at the times
 * the link model plans (pacing, impairments), with at most `window` chunks published and
 * not yet acknowledged, so that NATS never buffers more than a window whatever the link.
 */
import { randomInt } from 'node:crypto';
import { createInbox, type Msg, type NatsConnection } from '@nats-io/transport-node';
import { RunError } from '../errors.js';
import { waitUntil } from './clock.js';
import { chunkCount, chunkLength, decodeAck, encodeData, MAX_CHUNK_BYTES, MAX_TAG_BYTES } from './frame.js';
import { planDeliveries, type Impairment } from './impairment.js';

export const DEFAULT_CHUNK_BYTES = 256 * 1024;
export const DEFAULT_WINDOW = 8;
export const DEFAULT_ACK_TIMEOUT_MS = 10_000;

export interface SendOptions {
  /** The receiver's data subject. */
  subject: string;
  /** Names the transfer for the receiver's `expect`, e.g. `smashed/r3/d2/i1`; at most 200 UTF-8 bytes. */
  tag: string;
  bytes: number;
  /** Userspace pacing in wall bits per second; null = unpaced (the kernel shapes in tc mode). */
  rateBps: number | null;
  chunkBytes?: number;
  window?: number;
  timeoutMs: number;
  /**
   * Fail when chunks are outstanding and no ack has come for this long. Measured from
   * publication, so pacing and impairments do not count; a kernel-shaped (tc) link does:
   * keep it above a few chunk times at the slowest rate (default 10 s).
   */
  ackTimeoutMs?: number;
  impairment?: Impairment;
}

export interface SendResult {
  bytes: number;
  chunks: number;
  /** performance.now() ms */
  startedAt: number;
  /** When the final ack arrived. */
  completedAt: number;
  /** Chunks sent again after an emulated loss. */
  resent: number;
  /** Acks dropped as malformed or not for this transfer. */
  rejected: number;
}

const zeros = new Uint8Array(MAX_CHUNK_BYTES);

/**
 * A chunk needs time to cross NATS (about 1-3 ms for 256 KiB on loopback) and its ack
 * time to come back. A paced chunk is therefore published that much before its planned
 * time, so that its ack, not its publication, lands on the link's schedule and a
 * transfer measures 8N/rate rather than 8N/rate plus one NATS round trip. The lead never
 * exceeds the chunk's own serialization time: no byte is out before its link slot begins.
 * The round trip is the median of the last few paced chunks on the connection (a median,
 * because a GC pause or a busy core makes single samples spike; unpaced chunks queue
 * behind each other and would overstate it).
 */
const roundTrips = new WeakMap<NatsConnection, number[]>();
const ROUND_TRIP_SAMPLES = 9;

function roundTripMs(nc: NatsConnection): number {
  const s = [...(roundTrips.get(nc) ?? [])].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? 0;
}

function sampleRoundTrip(nc: NatsConnection, ms: number): void {
  const s = roundTrips.get(nc) ?? [];
  s.push(ms);
  if (s.length > ROUND_TRIP_SAMPLES) s.shift();
  roundTrips.set(nc, s);
}
const utf8 = new TextEncoder();

export async function sendPayload(nc: NatsConnection, opts: SendOptions): Promise<SendResult> {
  const chunkBytes = opts.chunkBytes ?? DEFAULT_CHUNK_BYTES;
  const window = opts.window ?? DEFAULT_WINDOW;
  checkOptions(opts, chunkBytes, window);
  const { subject, tag, bytes: totalBytes } = opts;
  const totalChunks = chunkCount(totalBytes, chunkBytes);
  const sizes = Array.from({ length: totalChunks }, (_, seq) => chunkLength(seq, totalBytes, chunkBytes));
  const plan = planDeliveries(sizes, opts.rateBps, opts.impairment);
  const transferId = randomInt(0, 2 ** 32);
  const header = { transferId, totalChunks, chunkBytes, totalBytes, tag };

  const acked = new Uint8Array(totalChunks);
  const published = new Uint8Array(totalChunks);
  const publishedAt = new Float64Array(totalChunks);
  const paced = opts.rateBps !== null;
  let inFlight = 0;
  let ackedCount = 0;
  let rejected = 0;
  let completedAt = 0;
  let failure: Error | undefined;
  const abort = new AbortController();
  let wake: (() => void) | undefined;
  const notify = () => {
    const w = wake;
    wake = undefined;
    w?.();
  };
  const nextEvent = () => new Promise<void>((r) => (wake = r));
  const fail = (err: Error) => {
    failure ??= err;
    abort.abort();
    notify();
  };
  const where = `payload ${tag} to ${subject}`;

  const ackTimeoutMs = opts.ackTimeoutMs ?? DEFAULT_ACK_TIMEOUT_MS;
  // Only outstanding chunks can stall; the timer is re-armed on every publish into an empty window and every ack.
  const stall = setTimeout(() => {
    if (inFlight > 0) fail(new RunError(`${where}: no ack for ${ackTimeoutMs} ms with ${inFlight} chunks outstanding`));
  }, ackTimeoutMs);
  const overall = setTimeout(() => fail(new RunError(`${where} timed out after ${opts.timeoutMs} ms (${ackedCount}/${totalChunks} chunks acknowledged)`)), opts.timeoutMs);

  const onAck = (err: Error | null, msg: Msg) => {
    if (err) return fail(new RunError(`${where}: ack subscription failed: ${err.message}`, { cause: err }));
    // The server answers a publication nobody is subscribed to with a 503 status on its reply subject.
    if (msg.headers?.code === 503) return fail(new RunError(`${where}: no receiver is subscribed`));
    const d = decodeAck(msg.data);
    if (!d.ok || d.frame.transferId !== transferId || d.frame.seq >= totalChunks || !published[d.frame.seq]) {
      rejected++;
      return;
    }
    if (acked[d.frame.seq]) return;
    const now = performance.now();
    if (paced) sampleRoundTrip(nc, now - (publishedAt[d.frame.seq] ?? now));
    acked[d.frame.seq] = 1;
    ackedCount++;
    inFlight--;
    stall.refresh();
    if (ackedCount === totalChunks) completedAt = now;
    notify();
  };
  const inbox = createInbox();
  const sub = nc.subscribe(inbox, { callback: onAck });

  const startedAt = performance.now();
  try {
    for (const { seq, atMs } of plan.deliveries) {
      const len = sizes[seq] ?? 0;
      const leadMs = paced ? Math.min(roundTripMs(nc), (8000 * len) / (opts.rateBps ?? Infinity)) : 0;
      await waitUntil(startedAt + atMs - leadMs, abort.signal);
      while (inFlight >= window && !failure) await nextEvent();
      if (failure) throw failure;
      if (inFlight === 0) stall.refresh();
      try {
        nc.publish(subject, encodeData({ ...header, seq }, zeros.subarray(0, len)), { reply: inbox });
      } catch (err) {
        throw new RunError(`${where}: publish failed: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
      }
      published[seq] = 1;
      publishedAt[seq] = performance.now();
      inFlight++;
    }
    while (ackedCount < totalChunks && !failure) await nextEvent();
    if (failure) throw failure;
  } finally {
    clearTimeout(stall);
    clearTimeout(overall);
    if (!nc.isClosed()) sub.unsubscribe();
  }
  return { bytes: totalBytes, chunks: totalChunks, startedAt, completedAt, resent: plan.resent, rejected };
}

function checkOptions(o: SendOptions, chunkBytes: number, window: number): void {
  const where = `payload ${o.tag} to ${o.subject}`;
  const bad = (rule: string) => {
    throw new RangeError(`${where}: ${rule}`);
  };
  if (!Number.isSafeInteger(o.bytes) || o.bytes < 0) bad(`bytes must be a non-negative integer, got ${o.bytes}`);
  if (!Number.isInteger(chunkBytes) || chunkBytes < 1 || chunkBytes > MAX_CHUNK_BYTES) bad(`chunkBytes must be 1..${MAX_CHUNK_BYTES}, got ${chunkBytes}`);
  if (!Number.isInteger(window) || window < 1) bad(`window must be a positive integer, got ${window}`);
  if (!(o.timeoutMs > 0)) bad(`timeoutMs must be > 0, got ${o.timeoutMs}`);
  if (o.ackTimeoutMs !== undefined && !(o.ackTimeoutMs > 0)) bad(`ackTimeoutMs must be > 0, got ${o.ackTimeoutMs}`);
  const tagBytes = utf8.encode(o.tag).length;
  if (tagBytes < 1 || tagBytes > MAX_TAG_BYTES) bad(`tag must be 1..${MAX_TAG_BYTES} UTF-8 bytes`);
}
