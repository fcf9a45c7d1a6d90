import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { startRedis } from '../../emulator/servers/redis-server.js';

export interface PersistedRun {
  status: string | null;
  /** `round/device` of every stream entry, in stream order. */
  keys: string[];
  retries: number[];
}

/** What the run's embedded Redis persisted in `<dir>/redis` (AOF): a fresh redis-server on that directory reads it back. */
export async function persistedRun(dir: string, runId: string): Promise<PersistedRun> {
  const conf = await mkdtemp(join(tmpdir(), 'sledge-test-read-'));
  const redis = await startRedis({ dir: conf, runId: 'test-read', persistDir: join(dir, 'redis') });
  const client = new Redis(redis.url);
  try {
    const entries = await client.xrange(`sledge:run:${runId}:turns`, '-', '+');
    const records = entries.map(([, f]) => JSON.parse(f[f.indexOf('record') + 1] as string) as { round: number; device: string; retries: number });
    return { status: await client.hget(`sledge:run:${runId}`, 'status'), keys: records.map((r) => `${r.round}/${r.device}`), retries: records.map((r) => r.retries) };
  } finally {
    client.disconnect();
    await redis.stop();
    await rm(conf, { recursive: true, force: true });
  }
}
