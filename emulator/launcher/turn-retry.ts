import { RunError } from '../errors.js';
import type { TurnRecord } from '../records/turn-record.js';
import type { BusWatch } from './bus-watch.js';

/** Waits between attempts: actors resubscribe a moment after their reconnect, so the first re-run may find nobody listening yet. */
const BACKOFF_MS = { first: 250, max: 4000 };

/**
 * Runs a turn's attempts until one is recorded (docs/architecture.md §9: "a turn that the outage
 * interrupted is run again and recorded once"). An attempt is given up when the bus has
 * an outage; one that fails is run again only while an outage is recent (within the bus
 * deadline): any other failure (a device that died, a turn that timed out on a healthy
 * bus) fails the run as before. Each re-run carries its attempt number, so the actors
 * abandon the earlier one and tell its late messages apart.
 */
export function retryOnOutage(watch: BusWatch, status: (line: string) => void) {
  return async (attempt: (signal: AbortSignal, n: number) => Promise<TurnRecord>, signal: AbortSignal): Promise<TurnRecord> => {
    for (let n = 0, waitMs = BACKOFF_MS.first; ; n++) {
      await watch.up(signal);
      const current = watch.attempt();
      try {
        return await attempt(AbortSignal.any([signal, current.signal]), n);
      } catch (err) {
        if (signal.aborted || watch.sinceOutageMs() > watch.deadlineMs) throw err;
        status(`turn interrupted by the bus outage (${err instanceof Error ? err.message : String(err)}): running it again (attempt ${n + 2})`);
      } finally {
        current.release();
      }
      await pause(waitMs, signal);
      waitMs = Math.min(2 * waitMs, BACKOFF_MS.max);
    }
  };
}

function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener(
      'abort',
      () => {
        clearTimeout(timer);
        reject(signal.reason instanceof Error ? signal.reason : new RunError('run aborted'));
      },
      { once: true },
    );
  });
}
