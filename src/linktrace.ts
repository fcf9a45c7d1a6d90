/**
 * A link capacity trace as delivery opportunities in time (docs/linktrace.md): each
 * opportunity carries one 1500-byte packet; the trace repeats with period P. Both file
 * formats become this one representation, so counting and integration are one code path.
 *
 * Stored as the opportunities' residues modulo P, sorted, in [0, P). A line at exactly P
 * is residue 0 of the next period: it does not exist in period 0 (the trace's
 * opportunities are at tau_i + m*P for m >= 0 only), which `lastLines` accounts for.
 * Counting is whole periods plus a prefix count: `firstIn[b]` is how many residues lie
 * before bucket b, so a count looks up its bucket and compares only the residues inside
 * it (a handful): O(1) per query for a trace without long bursts, never a scan.
 */
export const PACKET_BYTES = 1500;
export const PACKET_BITS = 8 * PACKET_BYTES;

export class LinkTrace {
  /** Opportunities per period. */
  readonly lines: number;
  /** How many lines sit at exactly P (they wrap to residue 0 of the next period). */
  private readonly lastLines: number;
  /**
   * Width of a prefix-count bucket, ms: a power of two, so `rem / bucketMs` is exact and
   * a residue's bucket is never off by one; about one opportunity per bucket on average,
   * so the index is no bigger than the residues (a long, sparse rates trace stays small).
   */
  private readonly bucketMs: number;
  /** firstIn[b]: the residues before bucket b's start b*bucketMs; one past the last bucket, all of them. */
  private readonly firstIn: Int32Array;

  /**
   * @param residues sorted opportunity times in ms, each in [0, periodMs)
   * @param periodMs the period P in ms (> 0)
   * @param lastLines how many of the residues at 0 come from lines at exactly P
   */
  constructor(
    private readonly residues: Float64Array,
    readonly periodMs: number,
    lastLines: number,
    readonly source = 'trace',
  ) {
    if (!(periodMs > 0)) throw new Error(`${source}: period must be > 0`);
    this.lines = residues.length;
    this.lastLines = lastLines;
    this.bucketMs = 2 ** Math.max(0, Math.ceil(Math.log2(periodMs / Math.max(1, residues.length))));
    const buckets = Math.ceil(periodMs / this.bucketMs);
    this.firstIn = new Int32Array(buckets + 1);
    // one pass: residues are sorted, so each bucket's start follows the one before
    let i = 0;
    for (let b = 0; b <= buckets; b++) {
      while (i < residues.length && (residues[i] as number) < b * this.bucketMs) i++;
      this.firstIn[b] = i;
    }
  }

  /** From opportunity times in ms, non-decreasing, in [0, P]: P is the last one unless given. */
  static fromTimes(times: ArrayLike<number>, source = 'trace', periodMs = times[times.length - 1] as number): LinkTrace {
    const residues = new Float64Array(times.length);
    let lastLines = 0;
    let k = 0;
    for (let i = 0; i < times.length; i++) {
      const t = times[i] as number;
      if (t >= periodMs) lastLines++;
      else residues[k++] = t;
    }
    // the lines at P wrap to the front: residue 0
    residues.copyWithin(lastLines, 0, k);
    residues.fill(0, 0, lastLines);
    return new LinkTrace(residues, periodMs, lastLines, source);
  }

  /** Opportunities strictly before trace time x (ms), counting from period 0's start, periodic both ways. */
  private countBefore(x: number): number {
    const q = Math.floor(x / this.periodMs);
    const rem = x - q * this.periodMs;
    // rem is in [0, P) but for rounding at a period's edge: the first or last bucket
    // still gives the residues' lowerBound there (none before, or all of them)
    const b = Math.min(this.firstIn.length - 2, Math.max(0, Math.floor(rem / this.bucketMs)));
    return q * this.lines + lowerBound(this.residues, rem, this.firstIn[b] as number, this.firstIn[b + 1] as number);
  }

  /** Opportunities in [a, b) ms of trace time, the trace periodic in both directions (for windows before 0). */
  count(aMs: number, bMs: number): number {
    return this.countBefore(bMs) - this.countBefore(aMs);
  }

  /**
   * Trace time (ms) of the k-th (k >= 1) opportunity at or after `tMs` (>= 0), inclusive.
   * At 0 the wrapped lines of P are skipped: period 0 has no opportunity from them.
   */
  kthAtOrAfter(tMs: number, k: number): number {
    return this.timeOfIndex(this.indexAtOrAfter(tMs) + k - 1);
  }

  /** Trace time (ms) of the opportunity with index `j` (>= 0), numbered as `indexAtOrAfter` numbers them. */
  timeOfIndex(j: number): number {
    const q = Math.floor(j / this.lines);
    return q * this.periodMs + (this.residues[j - q * this.lines] as number);
  }

  /**
   * Index of the first opportunity at or after trace time `tMs` (>= 0), numbering every
   * opportunity from period 0's start: the k-th at or after t is index + k - 1, and the
   * opportunities in [a, b) are index(b) - index(a), both as kthAtOrAfter counts them.
   */
  indexAtOrAfter(tMs: number): number {
    return tMs > 0 ? this.countBefore(tMs) : this.lastLines;
  }

  /** Long-run mean capacity, bit/s: 8*1500*lines / (P/1000). */
  meanBps(): number {
    return (PACKET_BITS * this.lines) / (this.periodMs / 1000);
  }

  /**
   * Capacity of the `seconds` before trace time `tMs`, bit/s. A window inside a gap of
   * the trace holds no opportunity: it counts as one, so the estimate (and 1.4 on it)
   * stays finite and says "almost nothing" rather than "forever".
   */
  windowBps(tMs: number, seconds: number): number {
    return (PACKET_BITS * Math.max(1, this.count(tMs - seconds * 1000, tMs))) / seconds;
  }

  /** A short description for the manifest: the opportunities themselves stay out of JSON. */
  toJSON(): { source: string; lines: number; periodMs: number } {
    return { source: this.source, lines: this.lines, periodMs: this.periodMs };
  }
}

/** First index i in [lo, hi) with xs[i] >= x, hi if none (xs sorted). */
export function lowerBound(xs: ArrayLike<number>, x: number, lo = 0, hi = xs.length): number {
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((xs[mid] as number) < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Capacity of every whole window of `seconds` over one period, bit/s (for `sledge trace info` and charts). */
export function windowCapacities(trace: LinkTrace, seconds: number): number[] {
  const n = Math.max(1, Math.floor(trace.periodMs / (seconds * 1000)));
  const out: number[] = [];
  for (let i = 0; i < n; i++) out.push((PACKET_BITS * trace.count(i * seconds * 1000, (i + 1) * seconds * 1000)) / seconds);
  return out;
}
