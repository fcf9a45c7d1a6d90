/** A binary min-heap: the parallel round's GPU queue stays O(log N) per job at 1,000 devices. */
export class MinHeap<T> {
  private readonly items: T[] = [];

  constructor(private readonly before: (a: T, b: T) => boolean) {}

  get size(): number {
    return this.items.length;
  }

  push(item: T): void {
    const { items } = this;
    items.push(item);
    let i = items.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.before(items[i] as T, items[parent] as T)) break;
      this.swap(i, parent);
      i = parent;
    }
  }

  pop(): T | undefined {
    const { items } = this;
    const top = items[0];
    const last = items.pop();
    if (items.length === 0 || last === undefined) return top;
    items[0] = last;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < items.length && this.before(items[l] as T, items[m] as T)) m = l;
      if (r < items.length && this.before(items[r] as T, items[m] as T)) m = r;
      if (m === i) return top;
      this.swap(i, m);
      i = m;
    }
  }

  /** Through a temporary, not a destructuring: that allocates an array per swap, 10^5s of them per plan. */
  private swap(i: number, j: number): void {
    const { items } = this;
    const item = items[i] as T;
    items[i] = items[j] as T;
    items[j] = item;
  }
}
