import type { LinkPacer } from './link-pacer.js';

/**
 * The userspace shaper (docs/architecture.md §6, `network: "userspace"`): a token bucket of zero
 * depth, i.e. a serializer. Bytes leave the link at `rateBps` and idle time is never
 * banked, so a transfer of N bytes started on an idle link has its last byte out at
 * exactly 8N/rate, as on a real link of that rate. Times are milliseconds.
 */
export class TokenBucket implements LinkPacer {
  /** `null` = unpaced (in tc mode the kernel shapes instead). `freeAtMs` > 0: the link carries nothing before then (an outage). */
  constructor(
    readonly rateBps: number | null,
    private freeAtMs = 0,
  ) {
    if (rateBps !== null && !(rateBps > 0 && Number.isFinite(rateBps))) throw new RangeError(`rateBps must be > 0 or null, got ${rateBps}`);
  }

  /** When `bytes`, ready to go at `readyAtMs`, have fully left the link. */
  take(bytes: number, readyAtMs: number): number {
    if (this.rateBps === null) return readyAtMs;
    this.freeAtMs = Math.max(this.freeAtMs, readyAtMs) + (8000 * bytes) / this.rateBps;
    return this.freeAtMs;
  }

  /** When the link is next idle. */
  get freeAt(): number {
    return this.freeAtMs;
  }
}
