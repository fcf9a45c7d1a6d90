/**
 * Keyed one-shot delivery that tolerates either order: a value that arrives before
 * anyone waits for it is kept, a waiter that comes first is woken on arrival.
 */
export class Mailbox<T> {
  private readonly values = new Map<string, T>();
  private readonly waiters = new Map<string, { resolve: (v: T) => void; reject: (e: Error) => void; timer: NodeJS.Timeout }>();

  put(key: string, value: T): void {
    const waiter = this.waiters.get(key);
    if (waiter) {
      this.waiters.delete(key);
      clearTimeout(waiter.timer);
      waiter.resolve(value);
    } else {
      this.values.set(key, value);
    }
  }

  take(key: string, timeoutMs: number, signal?: AbortSignal): Promise<T> {
    const value = this.values.get(key);
    if (value !== undefined) {
      this.values.delete(key);
      return Promise.resolve(value);
    }
    return new Promise<T>((resolve, reject) => {
      const onAbort = () => this.fail(key, new Error(`abandoned while waiting for ${key}`));
      const timer = setTimeout(() => this.fail(key, new Error(`timed out after ${timeoutMs} ms waiting for ${key}`)), timeoutMs);
      const done = () => signal?.removeEventListener('abort', onAbort);
      this.waiters.set(key, { resolve: (v) => (done(), resolve(v)), reject: (e) => (done(), reject(e)), timer });
      if (signal?.aborted) onAbort();
      else signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  private fail(key: string, why: Error): void {
    const w = this.waiters.get(key);
    if (!w) return;
    this.waiters.delete(key);
    clearTimeout(w.timer);
    w.reject(why);
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
