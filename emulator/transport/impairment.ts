/**
 * Propagation delay, jitter and loss in userspace, for kernels without netem (docs/architecture.md
 * §6). The whole transfer's delivery schedule is planned up front from the link rate and
 * the seeded PRNG, so the same seed gives the same schedule; the sender then publishes
 * each chunk at its planned time. Model, per transmission of a chunk on the serializer:
 *
 * - loss: with probability lossPct/100 the transmission is lost; the chunk is sent again
 *   (taking link time again) once an RTO of max(2*delayMs, 10 ms) has passed since the
 *   lost copy left the link. The stream stays reliable: loss shows up as delay, as
 *   through TCP.
 * - delay and jitter: a delivered copy arrives delayMs + U(-jitterMs, +jitterMs) (never
 *   negative) after it left the link, but never before the copy delivered before it, so
 *   chunks are not reordered. Delay is pipelined: it does not hold up the next chunk.
 *
 * PRNG draws per transmission, in order: loss (only when lossPct > 0), then jitter (only
 * when jitterMs > 0 and the copy is delivered).
 */
import type { LinkPacer } from './link-pacer.js';

export interface Impairment {
  delayMs: number;
  jitterMs: number;
  lossPct: number;
  /** Seeded, uniform in [0, 1). */
  random: () => number;
}

export interface Delivery {
  seq: number;
  /** Milliseconds after the transfer's start. */
  atMs: number;
  /** How long its (delivered) copy occupied the link, ms: the sender never publishes it earlier than that before atMs. */
  slotMs: number;
}

export interface DeliveryPlan {
  /** One per chunk, in delivery (= publish) order; times never decrease. */
  deliveries: Delivery[];
  /** Transmissions lost and sent again. */
  resent: number;
}

export function rtoMs(delayMs: number): number {
  return Math.max(2 * delayMs, 10);
}

export function checkImpairment(imp: Impairment): void {
  const bad = (what: string) => {
    throw new RangeError(`impairment ${what}`);
  };
  if (!(imp.delayMs >= 0 && Number.isFinite(imp.delayMs))) bad(`delayMs must be >= 0, got ${imp.delayMs}`);
  if (!(imp.jitterMs >= 0 && Number.isFinite(imp.jitterMs))) bad(`jitterMs must be >= 0, got ${imp.jitterMs}`);
  if (!(imp.lossPct >= 0 && imp.lossPct < 100)) bad(`lossPct must be in [0, 100), got ${imp.lossPct}`);
}

/** The schedule on `link` (a TokenBucket, or a TracePacer on a trace-following link; an outage is the pacer's). */
export function planDeliveries(chunkSizes: readonly number[], link: LinkPacer, imp?: Impairment): DeliveryPlan {
  if (imp) checkImpairment(imp);
  const deliveries: Delivery[] = [];
  // Lost copies become ready again in the order they were lost, so a FIFO stays sorted.
  const retransmit: { seq: number; readyAtMs: number }[] = [];
  let nextNew = 0;
  let resent = 0;
  let lastAt = 0;
  while (nextNew < chunkSizes.length || retransmit.length > 0) {
    const head = retransmit[0];
    // An expired retransmission goes first, as TCP resends before sending new data.
    const useRetransmit = head !== undefined && (nextNew >= chunkSizes.length || head.readyAtMs <= link.freeAt);
    const seq = useRetransmit ? head.seq : nextNew++;
    const readyAtMs = useRetransmit ? head.readyAtMs : 0;
    if (useRetransmit) retransmit.shift();
    const slotFrom = Math.max(readyAtMs, link.freeAt);
    const leftAt = link.take(chunkSizes[seq] ?? 0, readyAtMs);
    if (imp && imp.lossPct > 0 && imp.random() < imp.lossPct / 100) {
      retransmit.push({ seq, readyAtMs: leftAt + rtoMs(imp.delayMs) });
      resent++;
      continue;
    }
    const jitter = imp && imp.jitterMs > 0 ? (2 * imp.random() - 1) * imp.jitterMs : 0;
    lastAt = Math.max(lastAt, leftAt + Math.max(0, (imp?.delayMs ?? 0) + jitter));
    deliveries.push({ seq, atMs: lastAt, slotMs: Math.max(0, leftAt - slotFrom) });
  }
  return { deliveries, resent };
}
