import { mkdtemp, rm } from 'node:fs/promises';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from '@nats-io/transport-node';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RunError } from '../emulator/errors.js';
import { killAllSync, stopAll } from '../emulator/servers/child.js';
import { startNats, type EmbeddedNats } from '../emulator/servers/nats-server.js';
import { startRedis, type EmbeddedRedis } from '../emulator/servers/redis-server.js';

function isAlive(pid: number | undefined): boolean {
  if (pid === undefined) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function portOpen(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createConnection({ host, port });
    s.once('connect', () => (s.destroy(), resolve(true)));
    s.once('error', () => resolve(false));
  });
}

describe('embedded servers', () => {
  let root: string;
  let nats: EmbeddedNats;
  let redis: EmbeddedRedis;

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'sledge-test-servers-'));
    [nats, redis] = await Promise.all([
      startNats({ dir: join(root, 'sledge-t1'), runId: 't1' }),
      startRedis({ dir: join(root, 'sledge-t1'), runId: 't1' }),
    ]);
  });

  afterAll(async () => {
    await stopAll();
    await rm(root, { recursive: true, force: true });
  });

  it('nats accepts the token, carries 512 KiB chunks and refuses a wrong token', async () => {
    expect(nats.url).toBe(`nats://127.0.0.1:${nats.port}`);
    const nc = await connect({ servers: nats.url, token: nats.token });
    expect(nc.info?.max_payload).toBeGreaterThanOrEqual(512 * 1024 + 256);
    const sub = nc.subscribe('echo', { callback: (_e, m) => void m.respond(m.data) });
    const reply = await nc.request('echo', new Uint8Array(512 * 1024 + 64), { timeout: 5000 });
    expect(reply.data.length).toBe(512 * 1024 + 64);
    sub.unsubscribe();
    await nc.close();
    await expect(connect({ servers: nats.url, token: 'wrong', reconnect: false })).rejects.toThrow(/authorization/i);
  });

  it('redis accepts the url and refuses a wrong password', async () => {
    expect(redis.url).toBe(`redis://:${redis.password}@127.0.0.1:${redis.port}`);
    const r = new Redis(redis.url, { maxRetriesPerRequest: 1 });
    await r.set('k', 'v');
    expect(await r.get('k')).toBe('v');
    r.disconnect();
    const bad = new Redis({ host: redis.host, port: redis.port, password: 'wrong', lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    const errors: string[] = [];
    bad.on('error', (e: Error) => errors.push(e.message));
    await expect(bad.connect()).rejects.toThrow();
    expect(errors.join(' ')).toMatch(/WRONGPASS/);
    bad.disconnect();
  });

  it('keeps the config path on the command line for cleanup', async () => {
    const { readFile } = await import('node:fs/promises');
    const cmd = async (pid: number | undefined) => (await readFile(`/proc/${pid}/cmdline`, 'utf8')).replace(/\0/g, ' ');
    expect(await cmd(nats.pid)).toContain('sledge-t1/nats.conf');
    expect(await cmd(redis.pid)).toContain('sledge-t1/redis.conf');
    expect(nats.logFile).toBe(join(root, 'sledge-t1', 'nats.log'));
    expect(redis.logFile).toBe(join(root, 'sledge-t1', 'redis.log'));
  });

  it('reports an address it cannot bind as a RunError', async () => {
    await expect(startNats({ dir: join(root, 'sledge-t2'), host: '192.0.2.1', runId: 't2' })).rejects.toThrow(RunError);
  });

  it('stop() ends the processes, closes the ports and is idempotent', async () => {
    expect(isAlive(nats.pid) && isAlive(redis.pid)).toBe(true);
    const pids = [nats.pid, redis.pid];
    await Promise.all([nats.stop(), redis.stop(), nats.stop()]);
    await redis.stop();
    expect(isAlive(pids[0])).toBe(false);
    expect(isAlive(pids[1])).toBe(false);
    expect(await portOpen(nats.host, nats.port)).toBe(false);
    expect(await portOpen(redis.host, redis.port)).toBe(false);
  });
});

describe('child registry', () => {
  it('killAllSync() (for process.on("exit")) leaves no server behind', async () => {
    const root = await mkdtemp(join(tmpdir(), 'sledge-test-kill-'));
    const [n, r] = await Promise.all([startNats({ dir: join(root, 'sledge-t3'), runId: 't3' }), startRedis({ dir: join(root, 'sledge-t3'), runId: 't3' })]);
    killAllSync();
    for (let i = 0; i < 100 && (isAlive(n.pid) || isAlive(r.pid)); i++) await new Promise((res) => setTimeout(res, 20));
    expect(isAlive(n.pid) || isAlive(r.pid)).toBe(false);
    await Promise.all([n.stop(), r.stop()]); // still idempotent afterwards
    await rm(root, { recursive: true, force: true });
  });
});
