/**
 * The sending side of a payload transfer (docs/architecture.md §2): chunks published at the times
 * the link model plans (pacing, impairments), with at most `window` chunks published and
 * not yet acknowledged, so that NATS never buffers more than a window whatever the link.
 */
import { randomInt } from 'node:crypto';
import { createInbox, type Msg, type NatsConnection, type Subscription } from '@nats-io/transport-node';
import { RunError } from '../errors.js';
import { waitUntil } from './wait-until.js';
import { chunkCount, chunkLength, decodeAck, encodeData, MAX_CHUNK_BYTES, MAX_CHUNKS, MAX_TAG_BYTES, MAX_TRANSFER_BYTES } from './frame.js';
import { planDeliveries, type Impairment } from './impairment.js';
import type { PacingSchedule } from '../protocol/messages.js';
import { TokenBucket } from './token-bucket.js';
import { TracePacer } from './trace-pacer.js';
import { fromHostMs } from './host-clock.js';
import { roundTripMs, sampleRoundTrip } from './round-trip.js';

export const DEFAULT_CHUNK_BYTES = 256 * 1024;
export const DEFAULT_WINDOW = 8;
export const DEFAULT_ACK_TIMEOUT_MS = 10_000;

export interface SendOptions {
  /** The receiver's data subject. */
  subject: string;
  /** Names the transfer for the receiver's `expect`, e.g. `smashed/r3/d2/i1`; at most 200 UTF-8 bytes. */
  tag: string;
  bytes: number;
  /** The payload's first bytes (at most `bytes`; the rest, the tc padding, is zeros); absent: all zeros. */
  data?: Uint8Array;
  /** Userspace pacing in wall bits per second; null = unpaced (the kernel shapes in tc mode). */
  rateBps: number | null;
  /**
   * A trace-following userspace link (docs/linktrace.md): the turn's opportunity schedule
   * and the turn's start (performance.now() ms), its time 0. Paces instead of rateBps.
   */
  trace?: { schedule: PacingSchedule; turnStartMs: number };
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
  /** A link outage from the start: the pacer sends nothing for this long (userspace mode). */
  holdMs?: number;
  /**
   * The transfer starts this long before its phase does (docs/fidelity.md, "Sending ahead"):
   * the whole schedule leaves that much early, and a trace is read from the phase's start.
   */
  aheadMs?: number;
  /** Abandons the transfer (its turn was given up, e.g. after a bus outage): it then fails at once. */
  signal?: AbortSignal;
}

export interface SendResult {
  bytes: number;
  chunks: number;
  /** performance.now() ms */
  startedAt: number;
  /** When the final ack arrived. */
  completedAt: number;
  /** When the receiver had the last chunk (performance.now() ms of this process, via the host clock). */
  deliveredAt: number;
  /** Chunks sent again after an emulated loss. */
  resent: number;
  /** Acks dropped as malformed or not for this transfer. */
  rejected: number;
}

const zeros = new Uint8Array(MAX_CHUNK_BYTES);

const utf8 = new TextEncoder();

export async function sendPayload(nc: NatsConnection, opts: SendOptions): Promise<SendResult> {
  return new OutgoingTransfer(nc, opts).run();
}

class OutgoingTransfer {
  private readonly chunkBytes: number;
  private readonly window: number;
  private readonly where: string;
  private readonly sizes: number[];
  private readonly transferId = randomInt(0, 2 ** 32);
  private readonly acked: Uint8Array;
  private readonly publishedAt: Float64Array; // 0 = not yet published
  private inFlight = 0;
  private ackedCount = 0;
  private rejected = 0;
  private completedAt = 0;
  private deliveredAt = 0;
  private failure: Error | undefined;
  private readonly abort = new AbortController();
  private wake: (() => void) | undefined;

  constructor(
    private readonly nc: NatsConnection,
    private readonly opts: SendOptions,
  ) {
    this.chunkBytes = opts.chunkBytes ?? DEFAULT_CHUNK_BYTES;
    this.window = opts.window ?? DEFAULT_WINDOW;
    this.where = `payload ${opts.tag} to ${opts.subject}`;
    checkOptions(opts, this.chunkBytes, this.window, this.where);
    const n = chunkCount(opts.bytes, this.chunkBytes);
    this.sizes = Array.from({ length: n }, (_, seq) => chunkLength(seq, opts.bytes, this.chunkBytes));
    this.acked = new Uint8Array(n);
    this.publishedAt = new Float64Array(n);
  }

  async run(): Promise<SendResult> {
    const { nc, opts, sizes, where } = this;
    const startedAt = performance.now();
    const holdMs = opts.holdMs ?? 0;
    const paced = opts.rateBps !== null || opts.trace !== undefined;
    const link = opts.trace ? new TracePacer(opts.trace.schedule, startedAt + (opts.aheadMs ?? 0) - opts.trace.turnStartMs, holdMs) : new TokenBucket(opts.rateBps, holdMs);
    const plan = planDeliveries(sizes, link, opts.impairment);
    const minDelayMs = Math.max(0, (opts.impairment?.delayMs ?? 0) - (opts.impairment?.jitterMs ?? 0));
    const header = { transferId: this.transferId, totalChunks: sizes.length, chunkBytes: this.chunkBytes, totalBytes: opts.bytes, tag: opts.tag };
    const ackTimeoutMs = opts.ackTimeoutMs ?? DEFAULT_ACK_TIMEOUT_MS;
    // Only outstanding chunks can stall; re-armed on every publish into an empty window and every ack.
    const stall = setTimeout(() => {
      if (this.inFlight > 0) this.fail(`no ack for ${ackTimeoutMs} ms with ${this.inFlight} chunks outstanding`);
    }, ackTimeoutMs);
    const overall = setTimeout(() => this.fail(`timed out after ${opts.timeoutMs} ms (${this.ackedCount}/${sizes.length} chunks acknowledged)`), opts.timeoutMs);
    // the connection's own inbox prefix, if it has one: the only inboxes its bus user may read (docs/trust.md)
    const inbox = createInbox((nc as { options?: { inboxPrefix?: string } }).options?.inboxPrefix);
    const onAbort = () => this.fail('abandoned');
    if (opts.signal?.aborted) onAbort();
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    let sub: Subscription | undefined;
    try {
      sub = nc.subscribe(inbox, { callback: (err, msg) => this.onAck(err, msg, stall) });
      for (const { seq, atMs, slotMs } of plan.deliveries) {
        const len = sizes[seq] ?? 0;
        // Early by one NATS trip (half a round trip) so that the chunk lands on the planned time (round-trip.ts);
        // never before its link slot begins, which a latency puts further back.
        const leadMs = paced ? Math.min(roundTripMs(nc) / 2, slotMs + minDelayMs) : 0;
        await waitUntil(startedAt + atMs - leadMs, this.abort.signal);
        while (this.inFlight >= this.window && !this.failure) await this.nextEvent();
        if (this.failure) throw this.failure;
        if (this.inFlight === 0) stall.refresh();
        try {
          nc.publish(opts.subject, encodeData({ ...header, seq }, this.chunk(seq, len)), { reply: inbox });
        } catch (err) {
          throw new RunError(`${where}: publish failed: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
        }
        this.publishedAt[seq] = performance.now();
        this.inFlight++;
      }
      while (this.ackedCount < sizes.length && !this.failure) await this.nextEvent();
      if (this.failure) throw this.failure;
    } finally {
      clearTimeout(stall);
      clearTimeout(overall);
      opts.signal?.removeEventListener('abort', onAbort);
      if (sub && !nc.isClosed()) sub.unsubscribe();
    }
    return { bytes: opts.bytes, chunks: sizes.length, startedAt, completedAt: this.completedAt, deliveredAt: this.deliveredAt, resent: plan.resent, rejected: this.rejected };
  }

  /** Chunk `seq`'s payload: its slice of `data`, zeros where `data` ends (resends rebuild the same bytes). */
  private chunk(seq: number, len: number): Uint8Array {
    const data = this.opts.data;
    const start = seq * this.chunkBytes;
    if (!data || start >= data.length) return zeros.subarray(0, len);
    if (start + len <= data.length) return data.subarray(start, start + len);
    const out = new Uint8Array(len);
    out.set(data.subarray(start));
    return out;
  }

  private onAck(err: Error | null, msg: Msg, stall: NodeJS.Timeout): void {
    if (err) return this.fail(`ack subscription failed: ${err.message}`, err);
    // The server answers a publication nobody is subscribed to with a 503 status on its reply subject.
    if (msg.headers?.code === 503) return this.fail('no receiver is subscribed');
    const d = decodeAck(msg.data);
    const publishedAt = d.ok && d.frame.transferId === this.transferId ? this.publishedAt[d.frame.seq] : undefined;
    if (!d.ok || !publishedAt) {
      this.rejected++;
      return;
    }
    const seq = d.frame.seq;
    if (this.acked[seq]) return;
    const now = performance.now();
    if (this.opts.rateBps !== null || this.opts.trace) sampleRoundTrip(this.nc, now - publishedAt);
    this.acked[seq] = 1;
    this.deliveredAt = Math.max(this.deliveredAt, fromHostMs(d.frame.receivedAt));
    this.ackedCount++;
    this.inFlight--;
    stall.refresh();
    if (this.ackedCount === this.sizes.length) this.completedAt = now;
    this.notify();
  }

  private fail(reason: string, cause?: unknown): void {
    this.failure ??= new RunError(`${this.where}: ${reason}`, { cause });
    this.abort.abort();
    this.notify();
  }

  private nextEvent(): Promise<void> {
    return new Promise((r) => (this.wake = r));
  }

  private notify(): void {
    const w = this.wake;
    this.wake = undefined;
    w?.();
  }
}

function checkOptions(o: SendOptions, chunkBytes: number, window: number, where: string): void {
  const bad = (rule: string) => {
    throw new RangeError(`${where}: ${rule}`);
  };
  if (!Number.isSafeInteger(o.bytes) || o.bytes < 0) bad(`bytes must be a non-negative integer, got ${o.bytes}`);
  if (!Number.isInteger(chunkBytes) || chunkBytes < 1 || chunkBytes > MAX_CHUNK_BYTES) bad(`chunkBytes must be 1..${MAX_CHUNK_BYTES}, got ${chunkBytes}`);
  // A receiver refuses anything beyond these (frame.ts), so fail here, where the cause is clear.
  if (o.data && o.data.length > o.bytes) bad(`data (${o.data.length} bytes) is longer than bytes ${o.bytes}`);
  if (o.bytes > MAX_TRANSFER_BYTES) bad(`bytes must be at most ${MAX_TRANSFER_BYTES} (1 GiB), got ${o.bytes}`);
  if (chunkCount(o.bytes, chunkBytes) > MAX_CHUNKS) bad(`${o.bytes} bytes at chunkBytes ${chunkBytes} make more than ${MAX_CHUNKS} chunks`);
  if (!Number.isInteger(window) || window < 1) bad(`window must be a positive integer, got ${window}`);
  if (!(o.timeoutMs > 0)) bad(`timeoutMs must be > 0, got ${o.timeoutMs}`);
  if (o.ackTimeoutMs !== undefined && !(o.ackTimeoutMs > 0)) bad(`ackTimeoutMs must be > 0, got ${o.ackTimeoutMs}`);
  const tagBytes = utf8.encode(o.tag).length;
  if (tagBytes < 1 || tagBytes > MAX_TAG_BYTES) bad(`tag must be 1..${MAX_TAG_BYTES} UTF-8 bytes`);
}
