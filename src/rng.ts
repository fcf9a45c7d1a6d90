/**
 * Seeded randomness that is identical on every machine: 32-bit integer arithmetic only
 * (Math.imul), no platform RNG. Each draw site gets its own stream keyed by labels
 * (seed, purpose, round, device id), so adding a device or a strategy never shifts the
 * draws of another — the same config gives the same channel for every strategy.
 */
export type Label = string | number;

/** FNV-1a over the labels' text, then a murmur3 finaliser to spread the bits. */
export function hashLabels(labels: readonly Label[]): number {
  let h = 0x811c9dc5;
  for (const label of labels) {
    const text = `${typeof label}:${label}|`;
    for (let i = 0; i < text.length; i++) {
      h ^= text.charCodeAt(i);
      h = Math.imul(h, 0x01000193);
    }
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** A small-state generator (mulberry32) with 53-bit doubles. */
export class Rng {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  static of(...labels: Label[]): Rng {
    return new Rng(hashLabels(labels));
  }

  private nextUint32(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  }

  /** Uniform in [0, 1) with 53 bits of precision. */
  next(): number {
    const hi = this.nextUint32() >>> 5; // 27 bits
    const lo = this.nextUint32() >>> 6; // 26 bits
    return (hi * 67108864 + lo) / 9007199254740992;
  }

  uniform(lo: number, hi: number): number {
    return lo + (hi - lo) * this.next();
  }

  /** Integer uniform in [lo, hi], both ends included. */
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }

  /** Exp(1): the power gain |g|^2 of a Rayleigh-faded channel. */
  exponential(): number {
    return -Math.log(1 - this.next());
  }
}
