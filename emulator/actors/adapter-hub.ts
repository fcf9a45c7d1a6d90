/**
 * The server as the adapter hub (docs/model.md §1.4, §1.6). The adapters of blocks 1..L are
 * one byte vector, block after block, so a device with cut l holds a prefix of it (the
 * payloadScale'd size of blocks 1..l). The hub keeps the newest value of every byte and,
 * per block, the round that produced it (its version; 0 = the initial adapters, all zero
 * as a LoRA update starts).
 *
 * - Sequential mode: what a device returns replaces its prefix at once, so the next device
 *   trains on from it.
 * - Parallel mode: what the round's devices return is summed and, at the end of the round,
 *   averaged element-wise (FedAvg): each byte over the devices whose prefix covers it,
 *   i.e. each block over the devices that trained it. Positions nobody returned keep their
 *   value. The representation is integer bytes and the average is
 *   `Math.round(sum / count)` (halves round up), so it is exact and reproducible.
 *
 * Memory: the vector, a running sum as long as the longest contribution, and one length
 * per contribution. Not timed: the model does not cost the average.
 */
export class AdapterHub {
  private adapters = new Uint8Array(0);
  /** The round that produced each block's adapters, 1-based; absent = 0. */
  private readonly versions: number[] = [];
  private sum = new Uint32Array(0);
  private readonly contributions: { bytes: number; cut: number }[] = [];

  /** The adapters of blocks 1..cut, `bytes` long, and the newest version among those blocks. */
  adaptersFor(bytes: number, cut: number): { data: Uint8Array; version: number } {
    const data = new Uint8Array(bytes);
    data.set(this.adapters.subarray(0, bytes));
    let version = 0;
    for (let block = 1; block <= cut; block++) version = Math.max(version, this.versions[block] ?? 0);
    return { data, version };
  }

  /** Sequential mode: the adapters a device returned in `round` become the newest of blocks 1..cut. */
  handOver(data: Uint8Array, cut: number, round: number): void {
    this.grow(data.length);
    this.adapters.set(data);
    for (let block = 1; block <= cut; block++) this.versions[block] = round;
  }

  /** Parallel mode: the adapters a device returned, kept for the round's average. */
  add(data: Uint8Array, cut: number): void {
    if (data.length > this.sum.length) {
      const grown = new Uint32Array(data.length);
      grown.set(this.sum);
      this.sum = grown;
    }
    for (let i = 0; i < data.length; i++) this.sum[i] = (this.sum[i] as number) + (data[i] as number);
    this.contributions.push({ bytes: data.length, cut });
  }

  /** Parallel mode, at the end of `round`: averages what was added since the last call into the hub, and starts over. */
  average(round: number): { contributions: number; bytes: number } {
    const lengths = this.contributions.map((c) => c.bytes).sort((a, b) => a - b);
    const longest = lengths.at(-1) ?? 0;
    this.grow(longest);
    for (let i = 0, shorter = 0; i < longest; i++) {
      while (shorter < lengths.length && (lengths[shorter] as number) <= i) shorter++;
      this.adapters[i] = Math.round((this.sum[i] as number) / (lengths.length - shorter));
    }
    for (const c of this.contributions) for (let block = 1; block <= c.cut; block++) this.versions[block] = round;
    const out = { contributions: this.contributions.length, bytes: longest };
    this.sum = new Uint32Array(0);
    this.contributions.length = 0;
    return out;
  }

  private grow(bytes: number): void {
    if (bytes <= this.adapters.length) return;
    const grown = new Uint8Array(bytes);
    grown.set(this.adapters);
    this.adapters = grown;
  }
}
