/**
 * The receiving side (DESIGN.md 4.2): one per actor on its data subject. Every chunk is
 * validated, acknowledged to the sender's reply subject and counted; the bytes themselves
 * are not kept (their content is not modelled). A transfer completes when every sequence
 * number has arrived and the payload lengths add up to the announced total.
 */
import type { Msg, NatsConnection, Subscription } from '@nats-io/transport-node';
import { RunError } from '../errors.js';
import { decodeData, encodeAck, type DataFrame, type RejectReason } from './frame.js';
import { hostNowMs } from './host-clock.js';

export interface Received {
  tag: string;
  bytes: number;
  chunks: number;
  /** performance.now() ms */
  firstChunkAt: number;
  completedAt: number;
}

/** Frame-level reasons plus what only a receiver can tell. */
export type ReceiveRejectReason = RejectReason | 'no-reply' | 'mismatch' | 'abandoned' | 'subscription-error';

interface Incoming {
  tag: string;
  totalChunks: number;
  chunkBytes: number;
  totalBytes: number;
  got: Uint8Array;
  gotChunks: number;
  gotBytes: number;
  firstChunkAt: number;
}

interface Waiter {
  resolve(r: Received): void;
  reject(e: Error): void;
  timer: NodeJS.Timeout;
}

/** Bounds memory for transfers nobody expects and for duplicate detection. */
const KEEP_COMPLETED = 1024;

export class PayloadReceiver {
  private readonly sub: Subscription;
  private readonly partial = new Map<number, Incoming>();
  private readonly completedIds = new Set<number>();
  /** Transfers whose `expect` timed out: their late chunks are not acked, so the sender fails too. */
  private readonly abandonedIds = new Set<number>();
  private readonly unclaimed = new Map<string, Received>();
  private readonly waiters = new Map<string, Waiter>();
  private readonly counts = new Map<ReceiveRejectReason, number>();
  private rejectedCount = 0;

  constructor(
    private readonly nc: NatsConnection,
    readonly subject: string,
  ) {
    this.sub = nc.subscribe(subject, { callback: (err, msg) => this.onMessage(err, msg) });
  }

  /** Malformed or unexpected messages dropped so far. */
  get rejected(): number {
    return this.rejectedCount;
  }

  /** The same, by reason. */
  rejections(): Record<string, number> {
    return Object.fromEntries(this.counts);
  }

  /** Resolves when the transfer tagged `tag` is complete, whether it started before this call or not. */
  expect(tag: string, timeoutMs: number): Promise<Received> {
    const done = this.unclaimed.get(tag);
    if (done) {
      this.unclaimed.delete(tag);
      return Promise.resolve(done);
    }
    if (this.waiters.has(tag)) return Promise.reject(new RunError(`payload ${tag} on ${this.subject} is already expected`));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters.delete(tag);
        const p = [...this.partial.entries()].find(([, t]) => t.tag === tag);
        if (p) {
          this.partial.delete(p[0]);
          this.remember(this.abandonedIds, p[0]);
        }
        const progress = p ? `${p[1].gotChunks}/${p[1].totalChunks} chunks` : 'no chunk';
        reject(new RunError(`payload ${tag} on ${this.subject} timed out after ${timeoutMs} ms (${progress} received)`));
      }, timeoutMs);
      this.waiters.set(tag, { resolve, reject, timer });
    });
  }

  async close(): Promise<void> {
    for (const [tag, w] of this.waiters) {
      clearTimeout(w.timer);
      w.reject(new RunError(`payload ${tag} on ${this.subject}: receiver closed`));
    }
    this.waiters.clear();
    if (!this.nc.isClosed() && !this.sub.isClosed()) this.sub.unsubscribe();
  }

  private onMessage(err: Error | null, msg: Msg): void {
    if (err) return this.drop('subscription-error');
    const d = decodeData(msg.data);
    if (!d.ok) return this.drop(d.reason);
    if (!msg.reply) return this.drop('no-reply');
    const f = d.frame;
    if (this.abandonedIds.has(f.transferId)) return this.drop('abandoned');
    if (this.completedIds.has(f.transferId)) return this.ack(msg.reply, f); // a duplicate of a finished transfer
    let t = this.partial.get(f.transferId);
    if (!t) {
      t = { tag: f.tag, totalChunks: f.totalChunks, chunkBytes: f.chunkBytes, totalBytes: f.totalBytes, got: new Uint8Array(f.totalChunks), gotChunks: 0, gotBytes: 0, firstChunkAt: performance.now() };
      this.partial.set(f.transferId, t);
    } else if (t.tag !== f.tag || t.totalChunks !== f.totalChunks || t.chunkBytes !== f.chunkBytes || t.totalBytes !== f.totalBytes) {
      return this.drop('mismatch');
    }
    this.ack(msg.reply, f);
    if (t.got[f.seq]) return;
    t.got[f.seq] = 1;
    t.gotChunks++;
    t.gotBytes += f.payload.length;
    if (t.gotChunks < t.totalChunks) return;
    this.partial.delete(f.transferId);
    this.remember(this.completedIds, f.transferId);
    // Each frame's length is checked against its sequence number, so this holds unless the codec is broken.
    if (t.gotBytes !== t.totalBytes) return this.drop('bad-length');
    this.complete({ tag: t.tag, bytes: t.gotBytes, chunks: t.totalChunks, firstChunkAt: t.firstChunkAt, completedAt: performance.now() });
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
    this.unclaimed.delete(r.tag);
    this.unclaimed.set(r.tag, r);
    if (this.unclaimed.size > KEEP_COMPLETED) this.unclaimed.delete(this.unclaimed.keys().next().value as string);
  }

  private remember(set: Set<number>, id: number): void {
    set.add(id);
    if (set.size > KEEP_COMPLETED) set.delete(set.values().next().value as number);
  }

  private drop(reason: ReceiveRejectReason): void {
    this.rejectedCount++;
    this.counts.set(reason, (this.counts.get(reason) ?? 0) + 1);
  }
}
