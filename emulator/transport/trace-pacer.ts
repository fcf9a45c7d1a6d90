import type { PacingSchedule } from '../protocol/messages.js';
import type { LinkPacer } from './link-pacer.js';

/**
 * A userspace link that follows its trace over a turn (docs/linktrace.md, "Emulation"):
 * the turn's schedule gives counts[i] delivery opportunities of `packetBytes` in the i-th
 * step of `stepWallMs` from the turn's start, spread evenly inside the step (the j-th of
 * c at (i + (j - 1/2)/c) steps, so no step's opportunities bunch at one edge), and after
 * the last step one every packetBytes at `thenBps`. A serializer like TokenBucket: bytes
 * leave on the opportunities in order, an opportunity nobody uses is lost (idle time is
 * never banked), and bytes have left at the opportunity that carries their last byte, so
 * B bytes started at t take from t to the ceil(B/packetBytes)-th opportunity at or after
 * t, which is what the model integrates.
 *
 * Times given to and returned by `take` are ms from the transfer's start; `originMs` is
 * that start on the turn's clock. No timer runs: the sender plans every chunk up front.
 * O(steps) to build, O(log steps) a chunk; a schedule is bounded by the message check.
 */
export class TracePacer implements LinkPacer {
  /** prefix[i]: opportunities in the steps before step i; prefix[n] all of them. */
  private readonly prefix: Float64Array;
  private readonly endMs: number;
  /** Ms between opportunities after the schedule. */
  private readonly thenMs: number;
  /** Bytes carried so far, counted from the turn's first opportunity (unused ones count as carried). */
  private carried = 0;
  private freeAtMs: number;

  constructor(
    private readonly schedule: PacingSchedule,
    private readonly originMs: number,
    /** An outage from the transfer's start: nothing leaves before then. */
    private readonly holdMs = 0,
  ) {
    const { counts, stepWallMs, packetBytes, thenBps } = schedule;
    this.prefix = new Float64Array(counts.length + 1);
    for (let i = 0; i < counts.length; i++) this.prefix[i + 1] = this.prefix[i]! + counts[i]!;
    this.endMs = counts.length * stepWallMs;
    this.thenMs = (8000 * packetBytes) / thenBps;
    this.freeAtMs = holdMs;
  }

  take(bytes: number, readyAtMs: number): number {
    const ready = Math.max(readyAtMs, this.holdMs);
    if (bytes <= 0) return Math.max(ready, this.freeAtMs);
    const { packetBytes } = this.schedule;
    // the opportunities before `ready` went by unused (or carried earlier bytes)
    this.carried = Math.max(this.carried, this.before(this.originMs + ready) * packetBytes);
    this.carried += bytes;
    // the tolerance keeps float noise in carried/packetBytes from costing a whole opportunity
    const k = Math.ceil(this.carried / packetBytes - 1e-9);
    this.freeAtMs = Math.max(this.freeAtMs, this.at(k) - this.originMs);
    return this.freeAtMs;
  }

  get freeAt(): number {
    return this.freeAtMs;
  }

  /** Opportunities strictly before turn time tMs. */
  before(tMs: number): number {
    if (tMs <= 0) return 0;
    const { counts, stepWallMs } = this.schedule;
    const n = counts.length;
    if (tMs >= this.endMs) return this.prefix[n]! + Math.max(0, Math.ceil((tMs - this.endMs) / this.thenMs + 0.5) - 1);
    const i = Math.min(n - 1, Math.floor(tMs / stepWallMs));
    const c = counts[i]!;
    const inStep = Math.ceil((tMs / stepWallMs - i) * c + 0.5) - 1;
    return this.prefix[i]! + Math.min(c, Math.max(0, inStep));
  }

  /** Turn time (ms) of the k-th opportunity from the turn's start, k >= 1. */
  at(k: number): number {
    const { counts, stepWallMs } = this.schedule;
    const n = counts.length;
    const all = this.prefix[n]!;
    if (k > all) return this.endMs + (k - all - 0.5) * this.thenMs;
    // the step holding it: the last i with prefix[i] < k
    let lo = 0;
    let hi = n - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      if (this.prefix[mid]! < k) lo = mid;
      else hi = mid - 1;
    }
    const j = k - this.prefix[lo]!;
    return (lo + (j - 0.5) / counts[lo]!) * stepWallMs;
  }
}
