import type { NatsConnection } from '@nats-io/transport-node';
import { RunError } from '../errors.js';

/**
 * The coordinator's view of the bus (docs/architecture.md §9): whether its NATS connection is up,
 * and since when it is down. An outage (a disconnect, or a supervised server restarted
 * behind the devices' backs, e.g. their leaf node) abandons the turn attempts in flight,
 * whose messages may be lost; `up` waits for the connection, bounded by the deadline.
 */
export class BusWatch {
  private downSince: number | undefined;
  private lastOutageAt = -Infinity;
  private readonly inFlight = new Set<AbortController>();
  private readonly upWaiters = new Set<() => void>();

  constructor(
    nc: NatsConnection,
    readonly deadlineMs: number,
    private readonly status: (line: string) => void,
  ) {
    void this.follow(nc);
  }

  private async follow(nc: NatsConnection): Promise<void> {
    for await (const s of nc.status()) {
      if (s.type === 'disconnect') {
        this.downSince ??= performance.now();
        this.outage(`NATS connection lost (${s.server}); reconnecting`);
      } else if (s.type === 'reconnect') {
        this.downSince = undefined;
        this.status(`NATS reconnected (${s.server})`);
        for (const wake of this.upWaiters) wake();
      }
    }
  }

  /** Abandons the attempts in flight; a turn failing within the deadline after it is run again. */
  outage(line: string): void {
    this.lastOutageAt = performance.now();
    this.status(line);
    for (const c of this.inFlight) c.abort(new RunError('bus outage'));
  }

  /** A signal aborted at the next outage; `release` once the attempt is over. */
  attempt(): { signal: AbortSignal; release: () => void } {
    const c = new AbortController();
    this.inFlight.add(c);
    return { signal: c.signal, release: () => this.inFlight.delete(c) };
  }

  /** Milliseconds since the last outage began (Infinity if none). */
  sinceOutageMs(): number {
    return performance.now() - this.lastOutageAt;
  }

  /** Resolves once connected; rejects when the bus has been down for the deadline, or on `signal`. */
  async up(signal: AbortSignal): Promise<void> {
    while (this.downSince !== undefined) {
      const leftMs = this.downSince + this.deadlineMs - performance.now();
      if (leftMs <= 0) throw new RunError(`the bus (NATS) was down for more than ${Math.round(this.deadlineMs / 1000)} s: the run stops here; finished turns are kept, continue it with sledge resume`);
      await new Promise<void>((resolve) => {
        const done = () => {
          clearTimeout(timer);
          this.upWaiters.delete(done);
          signal.removeEventListener('abort', done);
          resolve();
        };
        const timer = setTimeout(done, leftMs);
        this.upWaiters.add(done);
        signal.addEventListener('abort', done, { once: true });
      });
      if (signal.aborted) throw signal.reason instanceof Error ? signal.reason : new RunError('run aborted');
    }
  }
}
