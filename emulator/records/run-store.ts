import { Redis } from 'ioredis';
import { RunError, UsageError } from '../errors.js';
import { redisRefusalWords, withoutCredentials } from '../trust/refusal.js';
import { keys } from './redis-keys.js';
import type { TurnRecord } from './turn-record.js';

/**
 * A run in Redis (docs/architecture.md §7): `sledge:run:<id>` holds the state (status, round,
 * turns done, config, summary), `sledge:run:<id>:turns` is a stream with one entry per
 * finished turn, written as the turn ends, so `sledge watch` follows it from anywhere.
 *
 * A turn's entry has the id `<seq>-0`, seq being the turn's place in the plan: writing it
 * twice (a retry after Redis went away mid-write, a resume) is refused by Redis rather than
 * recorded twice, and the stream stays in plan order. Writes are retried while Redis is
 * away, up to the run's bus deadline (docs/architecture.md §9): a turn's record is never dropped.
 */
export type RunStatus = 'starting' | 'running' | 'finished' | 'failed' | 'interrupted';


const DEFAULT_DEADLINE_MS = 60_000;
/** Redis's answer to an XADD whose id is not above the stream's last one: here, a turn already recorded. */
const ALREADY_THERE = /equal or smaller than the target stream top item/;

export class RunStore {
  private constructor(
    readonly redis: Redis,
    readonly runId: string,
    private readonly deadlineMs: number,
  ) {}

  static async open(url: string, runId: string, opts: { deadlineMs?: number } = {}): Promise<RunStore> {
    // No offline queue: a command fails at once while Redis is away and `persist` retries it with backoff.
    const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1, enableOfflineQueue: false, connectTimeout: 5000 });
    // surfaced by the failing command instead; the last one is kept for a refusal's own words
    let lastError: unknown;
    redis.on('error', (err) => (lastError = err));
    try {
      await redis.connect();
      // AUTH's answer (a wrong password, protected mode) may come only with the first command
      await redis.ping();
    } catch (err) {
      redis.disconnect();
      const words = redisRefusalWords(err) ?? redisRefusalWords(lastError);
      // one line naming the server, its URL without credentials and its words (docs/trust.md); exit 2
      if (words) throw new UsageError(`Redis at ${withoutCredentials(url)} refused: ${words}`);
      throw new RunError(`Redis at ${withoutCredentials(url)}: ${(err as Error).message}`, { cause: err });
    }
    return new RunStore(redis, runId, opts.deadlineMs ?? DEFAULT_DEADLINE_MS);
  }

  async begin(fields: { strategy: string; turnsTotal: number; config: unknown; manifest: unknown; resumed?: boolean }): Promise<void> {
    const now = Date.now();
    const started = fields.resumed ? { resumedAt: new Date(now).toISOString() } : { startedAt: new Date(now).toISOString(), round: 0, turnsDone: 0 };
    await this.persist('the run state', () =>
      this.redis
        .multi()
        .hset(keys.run(this.runId), { status: 'running', turnsTotal: fields.turnsTotal, strategy: fields.strategy, config: JSON.stringify(fields.config), manifest: JSON.stringify(fields.manifest), ...started })
        .zadd(keys.runs, now, this.runId)
        .set(keys.latest, this.runId)
        .exec(),
    );
  }

  /** Records a finished turn as stream entry `seq` (its 1-based place in the plan). */
  async turn(record: TurnRecord, turnsDone: number, seq: number): Promise<void> {
    await this.persist(`turn ${record.round}/${record.device}`, async () => {
      const replies = await this.redis
        .multi()
        .xadd(keys.turns(this.runId), `${seq}-0`, ...entryFields(record))
        .hset(keys.run(this.runId), { round: record.round, turnsDone })
        .exec();
      const xaddError = replies?.[0]?.[0];
      if (xaddError && !ALREADY_THERE.test(xaddError.message)) throw xaddError;
    });
  }

  /** Every recorded turn, with its stream seq, in stream order. */
  async records(): Promise<{ seq: number; record: TurnRecord }[]> {
    const entries = await this.persist('the turns stream', () => this.redis.xrange(keys.turns(this.runId), '-', '+'));
    return entries.map(([id, fields]) => ({ seq: Number(id.split('-')[0]), record: JSON.parse(fields[fields.indexOf('record') + 1] as string) as TurnRecord }));
  }

  /** Replaces the stream in one transaction (a resume repairing it): entries in seq order. */
  async rewrite(entries: readonly { seq: number; record: TurnRecord }[]): Promise<void> {
    await this.persist('the turns stream', () => {
      const tx = this.redis.multi().del(keys.turns(this.runId));
      for (const e of entries) tx.xadd(keys.turns(this.runId), `${e.seq}-0`, ...entryFields(e.record));
      return tx.exec();
    });
  }

  async status(): Promise<string | null> {
    return this.persist('the run state', () => this.redis.hget(keys.run(this.runId), 'status'));
  }

  async end(status: RunStatus, summary: unknown): Promise<void> {
    await this.persist('the run state', () => this.redis.hset(keys.run(this.runId), { status, endedAt: new Date().toISOString(), summary: JSON.stringify(summary) }));
  }

  async close(): Promise<void> {
    await this.redis.quit().catch(() => this.redis.disconnect());
  }

  /** Runs `write` until Redis takes it or the deadline passes. */
  private async persist<T>(what: string, write: () => Promise<T>): Promise<T> {
    const until = performance.now() + this.deadlineMs;
    for (let waitMs = 100; ; waitMs = Math.min(2 * waitMs, 2000)) {
      try {
        return await write();
      } catch (err) {
        if (performance.now() + waitMs > until) {
          throw new RunError(`Redis did not take ${what} within ${Math.round(this.deadlineMs / 1000)} s: ${err instanceof Error ? err.message : String(err)}`);
        }
        await new Promise((r) => setTimeout(r, waitMs));
      }
    }
  }
}

function entryFields(record: TurnRecord): string[] {
  return ['round', String(record.round), 'device', record.device, 'status', record.status, 'record', JSON.stringify(record)];
}
