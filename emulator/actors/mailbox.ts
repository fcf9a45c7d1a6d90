/**
 * Keyed one-shot delivery that tolerates either order: a value that arrives before
 * anyone waits for it is kept, a waiter that comes first is woken on arrival.
 */
export class Mailbox<T> {
  private readonly values = new Map<string, T>();

  /** Values nobody took are kept up to `maxValues` (oldest dropped): a flood of notices for turns that never come cannot grow it. */
  constructor(private readonly maxValues = 256) {}

  private readonly waiters = new Map<string, { resolve: (v: T) => void; reject: (e: Error) => void; timer: NodeJS.Timeout }>();

  put(key: string, value: T): void {
    const waiter = this.waiters.get(key);
    if (waiter) {
      this.waiters.delete(key);
      clearTimeout(waiter.timer);
      waiter.resolve(value);
    } else {
      this.values.delete(key);
      this.values.set(key, value);
      if (this.values.size > this.maxValues) {
        this.values.delete(this.values.keys().next().value as string);
      }
    }
  }

  take(key: string, timeoutMs: number): Promise<T> {
    const value = this.values.get(key);
    if (value !== undefined) {
      this.values.delete(key);
      return Promise.resolve(value);
    }
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters.delete(key);
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${key}`));
      }, timeoutMs);
      this.waiters.set(key, { resolve, reject, timer });
    });
  }

  /** Stops waiting for `key` (its turn failed). */
  cancel(key: string): void {
    const w = this.waiters.get(key);
    if (!w) return;
    this.waiters.delete(key);
    clearTimeout(w.timer);
    w.reject(new Error(`cancelled while waiting for ${key}`));
  }

  /** Fails every waiter, e.g. when the actor shuts down mid-turn. */
  close(reason: string): void {
    for (const [key, w] of this.waiters) {
      clearTimeout(w.timer);
      w.reject(new Error(`${reason} while waiting for ${key}`));
    }
    this.waiters.clear();
    this.values.clear();
  }
}
