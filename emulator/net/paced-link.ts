import type { Rates } from '../../src/system.js';
import type { Link, Pacing } from './link.js';

/**
 * The userspace link (`network: "userspace"`): nothing in the kernel changes; the rates
 * travel with each turn's control messages and the senders' token buckets pace the
 * chunks at them.
 */
export class PacedLink implements Link {
  private current: Rates | undefined;

  constructor(readonly deviceId: string) {}

  async setRates(upBps: number, downBps: number): Promise<void> {
    this.current = { upBps, downBps };
  }

  /** The token bucket paces from the first chunk: there is no head start to pad. */
  padding(): { upBytes: number; downBytes: number } {
    return { upBytes: 0, downBytes: 0 };
  }

  get rates(): Rates {
    if (!this.current) throw new Error(`link of ${this.deviceId}: rates not set`);
    return this.current;
  }

  /** The rates last set, whatever the turn. */
  pacing(): { up: Pacing; down: Pacing } {
    const { upBps, downBps } = this.rates;
    return { up: { rateBps: upBps }, down: { rateBps: downBps } };
  }
}
