/**
 * FedAvg of the adapters a parallel round returned (docs/model.md §1.6), over the bytes that
 * arrived. A device with cut l returns the adapters of blocks 1..l, a prefix of the
 * adapter vector, so each byte position is averaged over the devices whose prefix covers
 * it. Memory is one running sum as long as the longest contribution and one length per
 * contribution; the work is one pass over the bytes. Not timed: the model does not cost it.
 */
export class AdapterAverage {
  private sum = new Uint32Array(0);
  private lengths: number[] = [];
  /** The averaged adapters after the last round (the hub's newest). */
  global = new Uint8Array(0);

  add(bytes: Uint8Array): void {
    if (bytes.length > this.sum.length) {
      const grown = new Uint32Array(bytes.length);
      grown.set(this.sum);
      this.sum = grown;
    }
    for (let i = 0; i < bytes.length; i++) this.sum[i] = (this.sum[i] as number) + (bytes[i] as number);
    this.lengths.push(bytes.length);
  }

  get contributions(): number {
    return this.lengths.length;
  }

  /** Averages what was added since the last call into `global` (positions nobody returned keep their value) and starts over. */
  finish(): { contributions: number; bytes: number } {
    const longest = Math.max(0, ...this.lengths);
    if (longest > this.global.length) {
      const grown = new Uint8Array(longest);
      grown.set(this.global);
      this.global = grown;
    }
    const ascending = [...this.lengths].sort((a, b) => a - b);
    for (let i = 0, shorter = 0; i < longest; i++) {
      while (shorter < ascending.length && (ascending[shorter] as number) <= i) shorter++;
      this.global[i] = Math.round((this.sum[i] as number) / (ascending.length - shorter));
    }
    const out = { contributions: this.lengths.length, bytes: longest };
    this.sum = new Uint32Array(0);
    this.lengths = [];
    return out;
  }
}
