import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RunStore } from '../emulator/records/run-store.js';
import { startRedis, type EmbeddedRedis } from '../emulator/servers/redis-server.js';
import { runCli, smallConfig, tempDir, writeJson } from './helpers/emulation.js';

/** A server's refusal is one line naming it, its URL without credentials and its own words (docs/trust.md). */
describe('refusals named', () => {
  let dir: string;
  let redis: EmbeddedRedis;

  beforeAll(async () => {
    dir = await tempDir('refusals');
    redis = await startRedis({ dir: join(dir, 'sledge-refusals-redis'), runId: 'refusals-test' });
  }, 30_000);

  afterAll(async () => {
    await redis?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('a wrong Redis password: one line naming Redis, its URL without the password and its words, exit 2, no actor started', async () => {
    const wrong = redis.url.replace(`:${redis.password}@`, ':not-the-password@');
    await expect(RunStore.open(wrong, 'x')).rejects.toThrow(/^Redis at redis:\/\/127\.0\.0\.1:\d+ refused: WRONGPASS/);
    const out = join(dir, 'wrong-pass');
    const r = await runCli(['run', writeJson(join(dir, 'c.json'), smallConfig({ network: 'userspace', devices: 2, rounds: 1 })), '--out', out], { REDIS_URL: wrong });
    expect(r.code).toBe(2);
    const last = r.stderr.trim().split('\n').at(-1)!;
    expect(last).toMatch(/^sledge: Redis at redis:\/\/127\.0\.0\.1:\d+ refused: WRONGPASS/);
    expect(r.stderr).not.toContain('not-the-password');
    expect(r.stderr).not.toMatch(/actor|starting actors/);
  }, 60_000);

  it('the embedded Redis refuses DEBUG, MODULE and CONFIG SET dir even with its password', async () => {
    const { Redis } = await import('ioredis');
    const r = new Redis(redis.url, { lazyConnect: true, maxRetriesPerRequest: 0 });
    await r.connect();
    try {
      await expect(r.call('DEBUG', 'SLEEP', '0')).rejects.toThrow(/DEBUG command not allowed/);
      await expect(r.call('MODULE', 'LIST')).rejects.toThrow(/unknown command/);
      await expect(r.call('CONFIG', 'SET', 'dir', '/tmp')).rejects.toThrow(/protected config/);
    } finally {
      r.disconnect();
    }
  });

  it('no password at all: NOAUTH, named the same way', async () => {
    const none = redis.url.replace(`:${redis.password}@`, '');
    await expect(RunStore.open(none, 'x')).rejects.toThrow(/^Redis at redis:\/\/127\.0\.0\.1:\d+ refused: NOAUTH/);
  });
});

describe('refusals named: NATS', () => {
  it('a wrong NATS token: one line naming NATS, its URL without the token and its words, exit 2', async () => {
    const dir = await tempDir('refusals-nats');
    const { startNats } = await import('../emulator/servers/nats-server.js');
    const nats = await startNats({ dir: join(dir, 'sledge-refusals-nats'), runId: 'refusals-nats' });
    try {
      const wrong = nats.url.replace('nats://', 'nats://not-the-token@');
      const r = await runCli(['run', writeJson(join(dir, 'c.json'), smallConfig({ network: 'userspace', devices: 2, rounds: 1 })), '--out', join(dir, 'out')], { NATS_URL: wrong });
      expect(r.code).toBe(2);
      expect(r.stderr.trim().split('\n').at(-1)).toMatch(/^sledge: NATS at nats:\/\/127\.0\.0\.1:\d+ refused: .*(AUTHORIZATION_VIOLATION|Authorization)/i);
      expect(r.stderr).not.toContain('not-the-token');
    } finally {
      await nats.stop();
      await rm(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
