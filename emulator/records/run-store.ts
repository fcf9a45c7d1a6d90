import { Redis } from 'ioredis';
import type { TurnRecord } from './turn-record.js';

/**
 * A run in Redis (DESIGN.md 4.5): `sledge:run:<id>` holds the state (status, round,
 * turns done, config, summary), `sledge:run:<id>:turns` is a stream with one entry per
 * finished turn, written as the turn ends, so `sledge watch` follows it from anywhere.
 */
export type RunStatus = 'starting' | 'running' | 'finished' | 'failed' | 'interrupted';

export const keys = {
  runs: 'sledge:runs',
  latest: 'sledge:latest',
  run: (id: string) => `sledge:run:${id}`,
  turns: (id: string) => `sledge:run:${id}:turns`,
};

export class RunStore {
  private constructor(
    readonly redis: Redis,
    readonly runId: string,
  ) {}

  static async open(url: string, runId: string): Promise<RunStore> {
    const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 2, enableOfflineQueue: false, connectTimeout: 5000 });
    redis.on('error', () => undefined); // surfaced by the failing command instead
    await redis.connect();
    return new RunStore(redis, runId);
  }

  async begin(fields: { strategy: string; turnsTotal: number; config: unknown; manifest: unknown }): Promise<void> {
    const now = Date.now();
    await this.redis
      .multi()
      .hset(keys.run(this.runId), {
        status: 'running',
        round: 0,
        turnsDone: 0,
        turnsTotal: fields.turnsTotal,
        strategy: fields.strategy,
        startedAt: new Date(now).toISOString(),
        config: JSON.stringify(fields.config),
        manifest: JSON.stringify(fields.manifest),
      })
      .zadd(keys.runs, now, this.runId)
      .set(keys.latest, this.runId)
      .exec();
  }

  async turn(record: TurnRecord, turnsDone: number): Promise<void> {
    await this.redis
      .multi()
      .xadd(keys.turns(this.runId), '*', 'round', record.round, 'device', record.device, 'status', record.status, 'record', JSON.stringify(record))
      .hset(keys.run(this.runId), { round: record.round, turnsDone })
      .exec();
  }

  async end(status: RunStatus, summary: unknown): Promise<void> {
    await this.redis.hset(keys.run(this.runId), { status, endedAt: new Date().toISOString(), summary: JSON.stringify(summary) });
  }

  async close(): Promise<void> {
    await this.redis.quit().catch(() => this.redis.disconnect());
  }
}
