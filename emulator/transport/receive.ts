/**
 * The receiving side (docs/architecture.md §2): one per actor on its data subject. Every chunk is
 * validated, acknowledged to the sender's reply subject and counted; the bytes themselves
 * are not kept (their content is not modelled). A transfer completes when every sequence
 * number has arrived and the payload lengths add up to the announced total.
 *
 * Hostile input never exhausts memory (docs/architecture.md §9). A frame's declared sizes are bounded
 * by the codec (frame.ts), and what a receiver holds is bounded in number and age:
 *   - partial transfers: at most `maxPartial` (default 64), each one bitset of at most
 *     MAX_CHUNKS / 8 = 2 KiB plus its tag (<= 200 UTF-8 bytes) and a few numbers (~0.6 KiB);
 *     past the limit the least recently active transfer nobody awaits is evicted, and one
 *     nobody awaits is dropped after `maxIdleMs` without a new chunk;
 *   - completed transfers nobody has claimed yet: at most `maxUnclaimed` (default 1,024,
 *     ~0.6 KiB each);
 *   - ids of finished and abandoned transfers: 1,024 each (~40 B each).
 * So with the defaults a receiver holds at most 64 × 2.6 KiB + 1,024 × 0.6 KiB + 2,048 × 40 B
 * ≈ 0.9 MiB whatever it is sent (`receiverMemoryBound` computes it for other limits).
 * Every message or transfer dropped is counted by reason.
 */
import type { Msg, NatsConnection, Subscription } from '@nats-io/transport-node';
import { RunError } from '../errors.js';
import { decodeData, encodeAck, MAX_CHUNKS, MAX_TAG_BYTES, type DataFrame, type RejectReason } from './frame.js';
import { hostNowMs } from './host-clock.js';

export interface Received {
  tag: string;
  bytes: number;
  chunks: number;
  /** performance.now() ms */
  firstChunkAt: number;
  completedAt: number;
  /** The payload itself, for transfers the `keep` option asked for. */
  data?: Uint8Array;
}

/**
 * Frame-level reasons plus what only a receiver can tell. Messages: 'no-reply', 'mismatch'
 * (a chunk whose shape differs from its transfer's), 'abandoned' (a chunk of a transfer
 * already dropped), 'foreign-sender' (a transfer its subject's sender may not send),
 * 'subscription-error'. Whole transfers: 'evicted' (over maxPartial),
 * 'stale' (idle past maxIdleMs), 'timed-out' (its `expect` gave up), 'unclaimed-evicted'
 * (completed, never claimed, pushed out past maxUnclaimed), 'duplicate-tag' (completed
 * under a tag that was already waiting to be claimed: the older one is lost).
 */
export type ReceiveRejectReason =
  | RejectReason
  | 'no-reply'
  | 'mismatch'
  | 'abandoned'
  | 'foreign-sender'
  | 'subscription-error'
  | 'evicted'
  | 'stale'
  | 'timed-out'
  | 'unclaimed-evicted'
  | 'duplicate-tag';

export interface ReceiverOptions {
  /** Partial transfers held at once (default 64); the server in parallel mode needs one per concurrently sending device on top. */
  maxPartial?: number;
  /** A partial transfer nobody awaits is dropped after this long without a chunk (default 120 s); keep it above the slowest chunk time. */
  maxIdleMs?: number;
  /** Completed transfers kept for a later `expect` (default 1,024). */
  maxUnclaimed?: number;
  /** Called once if the subscription fails: it is then closed, and every wait fails. */
  onError?: (err: Error) => void;
  /**
   * Transfers whose bytes are kept (default none: content is not modelled). Asked once per
   * new transfer with its declared size, so the caller bounds what it is made to hold.
   */
  keep?: (tag: string, totalBytes: number) => boolean;
  /**
   * Whether the transfer `tag` may arrive on `subject`. With a wildcard subscription each
   * sender publishes on a subject of its own, which the bus lets only that sender use, so
   * the subject names the sender and this says which transfers are that sender's
   * (docs/trust.md). Default: any.
   */
  from?: (subject: string, tag: string) => boolean;
  /** The clock for ages, ms (tests inject one). */
  now?: () => number;
}

export const DEFAULT_MAX_PARTIAL = 64;
export const DEFAULT_MAX_IDLE_MS = 120_000;
export const DEFAULT_MAX_UNCLAIMED = 1024;
/** Bounds memory for duplicate and late-chunk detection. */
const KEEP_IDS = 1024;

/** Upper bound, in bytes, of what a receiver with these limits holds, whatever it is sent. */
export function receiverMemoryBound(o: Pick<ReceiverOptions, 'maxPartial' | 'maxUnclaimed'> = {}): number {
  const tagAndObject = 2 * MAX_TAG_BYTES + 200; // a two-byte string at worst, the object and its map entry
  const partial = (o.maxPartial ?? DEFAULT_MAX_PARTIAL) * (MAX_CHUNKS / 8 + tagAndObject);
  const unclaimed = (o.maxUnclaimed ?? DEFAULT_MAX_UNCLAIMED) * tagAndObject;
  return partial + unclaimed + 2 * KEEP_IDS * 40;
}

export interface ReceiverStats {
  partial: number;
  /** Bytes of the partial transfers' bitsets. */
  bitmapBytes: number;
  unclaimed: number;
  waiters: number;
  /** Finished and abandoned transfer ids remembered. */
  rememberedIds: number;
  /** Whether the stale-transfer sweep timer is armed: only while `partial` > 0. */
  sweeperArmed: boolean;
}

interface Incoming {
  tag: string;
  totalChunks: number;
  chunkBytes: number;
  totalBytes: number;
  /** One bit per chunk. */
  got: Uint8Array;
  gotChunks: number;
  gotBytes: number;
  firstChunkAt: number;
  /** When its last new chunk came, on the receiver's `now` clock. */
  lastAt: number;
  data?: Uint8Array;
}

interface Waiter {
  resolve(r: Received): void;
  reject(e: Error): void;
  timer: NodeJS.Timeout;
}

export class PayloadReceiver {
  private readonly sub: Subscription;
  /** In order of last activity, least recent first (re-inserted on every new chunk). */
  private readonly partial = new Map<number, Incoming>();
  private readonly completedIds = new Set<number>();
  /** Transfers dropped before completion: their late chunks are not acked, so the sender fails too. */
  private readonly abandonedIds = new Set<number>();
  private readonly unclaimed = new Map<string, Received>();
  private readonly waiters = new Map<string, Waiter>();
  private readonly counts = new Map<ReceiveRejectReason, number>();
  private rejectedCount = 0;
  private failure: Error | undefined;
  private readonly maxPartial: number;
  private readonly maxIdleMs: number;
  private readonly maxUnclaimed: number;
  private readonly now: () => number;
  /** Armed only while a partial transfer exists: an idle receiver arms no timer (docs/architecture.md §8). */
  private sweeper: NodeJS.Timeout | undefined;

  constructor(
    private readonly nc: NatsConnection,
    readonly subject: string,
    private readonly options: ReceiverOptions = {},
  ) {
    this.maxPartial = positiveInt(options.maxPartial ?? DEFAULT_MAX_PARTIAL, 'maxPartial');
    this.maxUnclaimed = positiveInt(options.maxUnclaimed ?? DEFAULT_MAX_UNCLAIMED, 'maxUnclaimed');
    this.maxIdleMs = options.maxIdleMs ?? DEFAULT_MAX_IDLE_MS;
    if (!(this.maxIdleMs > 0)) throw new RangeError(`maxIdleMs must be > 0, got ${this.maxIdleMs}`);
    this.now = options.now ?? (() => performance.now());
    this.sub = nc.subscribe(subject, { callback: (err, msg) => this.onMessage(err, msg) });
  }

  /** Malformed or unexpected messages and dropped transfers so far. */
  get rejected(): number {
    return this.rejectedCount;
  }

  /** The same, by reason. */
  rejections(): Record<string, number> {
    return Object.fromEntries(this.counts);
  }

  /** What the receiver holds right now; each figure is bounded by the options. */
  stats(): ReceiverStats {
    let bitmapBytes = 0;
    for (const t of this.partial.values()) bitmapBytes += t.got.byteLength;
    return { partial: this.partial.size, bitmapBytes, unclaimed: this.unclaimed.size, waiters: this.waiters.size, rememberedIds: this.completedIds.size + this.abandonedIds.size, sweeperArmed: this.sweeper !== undefined };
  }

  /**
   * Arrivals sweep too; the timer only matters once the subject has gone quiet with a
   * partial transfer left. So it runs while one exists and is cleared with the last.
   */
  private armSweeper(): void {
    if (this.sweeper || this.partial.size === 0) return;
    this.sweeper = setInterval(() => this.sweepStale(), Math.max(1000, this.maxIdleMs / 2));
    this.sweeper.unref();
  }

  private disarmSweeperIfIdle(): void {
    if (this.sweeper && this.partial.size === 0) {
      clearInterval(this.sweeper);
      this.sweeper = undefined;
    }
  }

  /** Resolves when the transfer tagged `tag` is complete, whether it started before this call or not. */
  expect(tag: string, timeoutMs: number): Promise<Received> {
    const done = this.unclaimed.get(tag);
    if (done) {
      this.unclaimed.delete(tag);
      return Promise.resolve(done);
    }
    if (this.failure) return Promise.reject(this.failure);
    if (this.waiters.has(tag)) return Promise.reject(new RunError(`payload ${tag} on ${this.subject} is already expected`));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters.delete(tag);
        const p = [...this.partial.entries()].find(([, t]) => t.tag === tag);
        if (p) this.dropTransfer(p[0], 'timed-out');
        const progress = p ? `${p[1].gotChunks}/${p[1].totalChunks} chunks` : 'no chunk';
        reject(new RunError(`payload ${tag} on ${this.subject} timed out after ${timeoutMs} ms (${progress} received)`));
      }, timeoutMs);
      this.waiters.set(tag, { resolve, reject, timer });
    });
  }

  /** Gives up on a transfer (its sender is gone): its wait fails with `why`, its chunks so far are dropped, a completed one is forgotten. */
  cancel(tag: string, why = 'cancelled'): void {
    this.unclaimed.delete(tag);
    const w = this.waiters.get(tag);
    if (w) {
      this.waiters.delete(tag);
      clearTimeout(w.timer);
      w.reject(new RunError(`payload ${tag} on ${this.subject}: ${why}`));
    }
    for (const [id, t] of this.partial) if (t.tag === tag) this.dropTransfer(id, 'abandoned');
  }

  async close(): Promise<void> {
    clearInterval(this.sweeper);
    this.sweeper = undefined;
    this.rejectAll((tag) => new RunError(`payload ${tag} on ${this.subject}: receiver closed`));
    if (!this.nc.isClosed() && !this.sub.isClosed()) this.sub.unsubscribe();
  }

  private onMessage(err: Error | null, msg: Msg): void {
    if (err) return this.onSubscriptionError(err);
    const d = decodeData(msg.data);
    if (!d.ok) return this.drop(d.reason);
    if (!msg.reply) return this.drop('no-reply');
    const f = d.frame;
    if (this.options.from && !this.options.from(msg.subject, f.tag)) return this.drop('foreign-sender');
    this.sweepStale(); // first, so that a chunk of a transfer that just went stale is not taken for a new one
    if (this.abandonedIds.has(f.transferId)) return this.drop('abandoned');
    if (this.completedIds.has(f.transferId)) return this.ack(msg.reply, f); // a duplicate of a finished transfer
    const t = this.partial.get(f.transferId) ?? this.start(f);
    if (t.tag !== f.tag || t.totalChunks !== f.totalChunks || t.chunkBytes !== f.chunkBytes || t.totalBytes !== f.totalBytes) {
      return this.drop('mismatch');
    }
    this.ack(msg.reply, f);
    const bit = 1 << (f.seq & 7);
    const at = f.seq >>> 3;
    if ((t.got[at] as number) & bit) return; // a resend after an emulated loss
    t.got[at] = (t.got[at] as number) | bit;
    t.gotChunks++;
    t.gotBytes += f.payload.length;
    t.data?.set(f.payload, f.seq * f.chunkBytes);
    t.lastAt = this.now();
    this.partial.delete(f.transferId);
    if (t.gotChunks < t.totalChunks) {
      this.partial.set(f.transferId, t);
      return;
    }
    this.disarmSweeperIfIdle();
    this.remember(this.completedIds, f.transferId);
    // Each frame's length is checked against its sequence number, so this holds unless the codec is broken.
    if (t.gotBytes !== t.totalBytes) return this.drop('bad-length');
    this.complete({ tag: t.tag, bytes: t.gotBytes, chunks: t.totalChunks, firstChunkAt: t.firstChunkAt, completedAt: performance.now(), ...(t.data ? { data: t.data } : {}) });
  }

  /** A new partial transfer, making room first: the frame's sizes are already bounded by the codec. */
  private start(f: DataFrame): Incoming {
    while (this.partial.size >= this.maxPartial) this.evictOne();
    const t: Incoming = { tag: f.tag, totalChunks: f.totalChunks, chunkBytes: f.chunkBytes, totalBytes: f.totalBytes, got: new Uint8Array(Math.ceil(f.totalChunks / 8)), gotChunks: 0, gotBytes: 0, firstChunkAt: performance.now(), lastAt: this.now() };
    if (this.options.keep?.(f.tag, f.totalBytes)) t.data = new Uint8Array(f.totalBytes);
    this.partial.set(f.transferId, t);
    this.armSweeper();
    return t;
  }

  /** The least recently active transfer nobody awaits; if every one is awaited, the least recently active. */
  private evictOne(): void {
    let victim: number | undefined;
    for (const [id, t] of this.partial) {
      if (!this.waiters.has(t.tag)) {
        victim = id;
        break;
      }
    }
    this.dropTransfer(victim ?? (this.partial.keys().next().value as number), 'evicted');
  }

  /** Drops the transfers nobody awaits that had no new chunk for maxIdleMs; an awaited one is bounded by its `expect` timeout. */
  private sweepStale(): void {
    const cutoff = this.now() - this.maxIdleMs;
    for (const [id, t] of this.partial) {
      if (t.lastAt > cutoff) break; // the rest are more recent
      if (!this.waiters.has(t.tag)) this.dropTransfer(id, 'stale');
    }
  }

  private dropTransfer(id: number, reason: ReceiveRejectReason): void {
    this.partial.delete(id);
    this.disarmSweeperIfIdle();
    this.remember(this.abandonedIds, id);
    this.drop(reason);
  }

  /** The client closes a subscription after an error (a permissions violation): nothing more will arrive. */
  private onSubscriptionError(err: Error): void {
    this.drop('subscription-error');
    if (this.failure) return;
    this.failure = new RunError(`payload receiver on ${this.subject}: subscription failed: ${err.message}`, { cause: err });
    this.rejectAll(() => this.failure as Error);
    this.options.onError?.(err);
  }

  private rejectAll(why: (tag: string) => Error): void {
    for (const [tag, w] of this.waiters) {
      clearTimeout(w.timer);
      w.reject(why(tag));
    }
    this.waiters.clear();
  }

  private ack(reply: string, f: DataFrame): void {
    this.nc.publish(reply, encodeAck(f.transferId, f.seq, hostNowMs()));
  }

  private complete(r: Received): void {
    const w = this.waiters.get(r.tag);
    if (w) {
      this.waiters.delete(r.tag);
      clearTimeout(w.timer);
      w.resolve(r);
      return;
    }
    if (this.unclaimed.delete(r.tag)) this.drop('duplicate-tag');
    this.unclaimed.set(r.tag, r);
    if (this.unclaimed.size > this.maxUnclaimed) {
      this.unclaimed.delete(this.unclaimed.keys().next().value as string);
      this.drop('unclaimed-evicted');
    }
  }

  private remember(set: Set<number>, id: number): void {
    set.add(id);
    if (set.size > KEEP_IDS) set.delete(set.values().next().value as number);
  }

  private drop(reason: ReceiveRejectReason): void {
    this.rejectedCount++;
    this.counts.set(reason, (this.counts.get(reason) ?? 0) + 1);
  }
}

function positiveInt(n: number, name: string): number {
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`${name} must be a positive integer, got ${n}`);
  return n;
}
