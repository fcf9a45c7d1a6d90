import { spawn } from 'node:child_process';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { signalPids } from '../emulator/net/procs.js';
import { killAllSync, liveCount, spawnManaged, stopAll } from '../emulator/servers/child.js';
import { MIN_WRITE_DEADLINE_S, startNats, writeDeadlineSeconds } from '../emulator/servers/nats-server.js';
import { startRedis } from '../emulator/servers/redis-server.js';
import { supervise, type RestartEvent } from '../emulator/servers/supervisor.js';
import { Teardown } from '../emulator/teardown.js';

let root: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'sledge-test-harden-'));
});
afterAll(async () => {
  await stopAll();
  await rm(root, { recursive: true, force: true });
});

describe('signalling only real processes', () => {
  afterEach(() => vi.restoreAllMocks());

  it('a spawn that fails is a child already exited with its error, which nothing signals', async () => {
    expect(liveCount()).toBe(0);
    // Mocked: were the guard missing, kill(-1) as root would end every process on the box.
    const kill = vi.spyOn(process, 'kill').mockImplementation(() => true);
    const child = spawnManaged('ghost', join(root, 'no-such-executable'), [], join(root, 'ghost.log'));
    expect(child.pid).toBeUndefined();
    expect(child.hasExited()).toBe(true);
    killAllSync(); // before the 'error' event too
    await child.stop();
    const exit = await child.exited;
    expect(exit.spawnError?.message).toMatch(/ENOENT/);
    killAllSync();
    await stopAll();
    expect(kill).not.toHaveBeenCalled();
  });

  it('signalPids refuses 0, negative, 1 and non-integer pids', () => {
    const kill = vi.spyOn(process, 'kill').mockImplementation(() => true);
    expect(signalPids([0, -1, 1, -42, 2.5, Number.NaN, Number.POSITIVE_INFINITY], 'SIGKILL')).toEqual([]);
    expect(kill).not.toHaveBeenCalled();
  });

  it('signalPids still reaches a real process', async () => {
    const sleeper = spawn('sleep', ['30'], { stdio: 'ignore' });
    const exited = new Promise((r) => sleeper.once('exit', (_c, s) => r(s)));
    expect(signalPids([sleeper.pid as number], 'SIGKILL')).toEqual([sleeper.pid]);
    expect(await exited).toBe('SIGKILL');
  });
});

describe('Teardown', () => {
  it('reports a thrown error and each error a step returns, one line each, naming the step', async () => {
    const t = new Teardown();
    const order: string[] = [];
    t.add('temp dir', () => void order.push('temp dir'));
    t.add('network topology', () => (order.push('topology'), { errors: ['ip link del b1: busy', 'netns n1: gone'] }));
    t.add('nats-server', () => {
      order.push('nats');
      throw new Error('boom');
    });
    t.add('clean report', () => ({ errors: [] }));
    t.add('other result', () => ({ errors: 'not a list' }));
    expect(await t.run()).toEqual(['nats-server: boom', 'network topology: ip link del b1: busy', 'network topology: netns n1: gone']);
    expect(order).toEqual(['nats', 'topology', 'temp dir']);
    expect(await t.run()).toHaveLength(3); // once only
  });
});

describe('writeDeadlineSeconds', () => {
  it('is 4 windows of chunks at the slowest rate, at least 10 s, in whole seconds', () => {
    // 8 chunks of 256 KiB at 1 Mbit/s drain in 16.8 s
    expect(writeDeadlineSeconds(256 * 1024, 1e6)).toBe(68);
    expect(writeDeadlineSeconds(256 * 1024, 1e6, 4)).toBe(34);
    expect(writeDeadlineSeconds(512 * 1024, 100e3)).toBe(1343);
    expect(writeDeadlineSeconds(256 * 1024, 1e9)).toBe(MIN_WRITE_DEADLINE_S);
    expect(writeDeadlineSeconds(256 * 1024, Number.POSITIVE_INFINITY)).toBe(MIN_WRITE_DEADLINE_S);
    expect(() => writeDeadlineSeconds(256 * 1024, 0)).toThrow(RangeError);
    expect(() => writeDeadlineSeconds(0, 1e6)).toThrow(RangeError);
    expect(() => writeDeadlineSeconds(256 * 1024, Number.NaN)).toThrow(RangeError);
  });

  it('ends up in the nats-server config', async () => {
    const nats = await startNats({ dir: join(root, 'sledge-wd'), runId: 'wd', writeDeadlineS: writeDeadlineSeconds(256 * 1024, 1e6) });
    expect(await readFile(join(root, 'sledge-wd', 'nats.conf'), 'utf8')).toContain('write_deadline: "68s"');
    await nats.stop();
  });
});

describe('server logs where the caller asks', () => {
  it('keeps the nats-server and redis-server logs outside the config dir', async () => {
    const conf = join(root, 'sledge-logs');
    const logs = join(root, 'runs', 'r1', 'logs');
    const [nats, redis] = await Promise.all([
      startNats({ dir: conf, runId: 'logs', logFile: join(logs, 'nats-server.log') }),
      startRedis({ dir: conf, runId: 'logs', logFile: join(logs, 'redis-server.log') }),
    ]);
    expect(nats.logFile).toBe(join(logs, 'nats-server.log'));
    await Promise.all([nats.stop(), redis.stop()]);
    await rm(conf, { recursive: true, force: true }); // the launcher deletes its temp dir
    expect((await readdir(logs)).sort()).toEqual(['nats-server.log', 'redis-server.log']);
    expect(await readFile(join(logs, 'nats-server.log'), 'utf8')).toMatch(/Server is ready/);
    expect(await readFile(join(logs, 'redis-server.log'), 'utf8')).toMatch(/Ready to accept connections/);
  });
});

describe('redis persistence for resume', () => {
  it('a key written before SIGKILL is there for a new server on the same directory', async () => {
    const persistDir = join(root, 'runs', 'r2', 'redis');
    const first = await startRedis({ dir: join(root, 'sledge-p1'), runId: 'p1', persistDir });
    expect(await readFile(join(root, 'sledge-p1', 'redis.conf'), 'utf8')).toMatch(/appendfsync always/);
    const r1 = new Redis(first.url, { maxRetriesPerRequest: 0, retryStrategy: () => null });
    r1.on('error', () => {});
    await r1.xadd('sledge:p1:turns', '*', 'turn', '1');
    await r1.set('sledge:p1:state', 'round 3');
    process.kill(first.pid as number, 'SIGKILL');
    expect((await first.child.exited).signal).toBe('SIGKILL');
    r1.disconnect();

    const second = await startRedis({ dir: join(root, 'sledge-p2'), runId: 'p2', persistDir });
    const r2 = new Redis(second.url, { maxRetriesPerRequest: 1 });
    expect(await r2.get('sledge:p1:state')).toBe('round 3');
    expect(await r2.xlen('sledge:p1:turns')).toBe(1);
    r2.disconnect();
    await second.stop();
  });

  it('without persistDir nothing survives (the check above is not vacuous)', async () => {
    const dir = join(root, 'sledge-np');
    const first = await startRedis({ dir, runId: 'np' });
    const r1 = new Redis(first.url, { maxRetriesPerRequest: 0, retryStrategy: () => null });
    r1.on('error', () => {});
    await r1.set('k', 'v');
    process.kill(first.pid as number, 'SIGKILL');
    await first.child.exited;
    r1.disconnect();
    const second = await startRedis({ dir, runId: 'np' });
    const r2 = new Redis(second.url, { maxRetriesPerRequest: 1 });
    expect(await r2.get('k')).toBeNull();
    r2.disconnect();
    await second.stop();
  });
});

describe('supervised restart', () => {
  it('brings a kill -9ed nats-server back on the same URL and a reconnecting client works again', async () => {
    const nats = await startNats({ dir: join(root, 'sledge-sup'), runId: 'sup', logFile: join(root, 'runs', 'sup', 'nats-server.log') });
    const events: RestartEvent[] = [];
    let restarted!: () => void;
    const back = new Promise<void>((r) => (restarted = r));
    const sup = supervise(nats, { backoffMs: 50, onRestart: (e) => (events.push(e), e.ok && restarted()) });
    const opts = { servers: nats.url, token: nats.token, maxReconnectAttempts: -1, reconnectTimeWait: 50 };
    const responder = await connect(opts);
    const client = await connect(opts);
    const echo = (nc: NatsConnection) => nc.subscribe('echo', { callback: (_e, m) => void m.respond(m.data) });
    echo(responder);
    await responder.flush();
    expect(new TextDecoder().decode((await client.request('echo', 'before', { timeout: 5000 })).data)).toBe('before');

    const reconnected = (nc: NatsConnection) =>
      (async () => {
        for await (const s of nc.status()) if (s.type === 'reconnect') return;
      })();
    const both = Promise.all([reconnected(responder), reconnected(client)]);
    const oldPid = nats.pid;
    process.kill(oldPid as number, 'SIGKILL');
    await back;
    await both;
    expect(events).toMatchObject([{ server: 'nats-server', attempt: 1, ok: true, exit: { signal: 'SIGKILL' } }]);
    expect(nats.pid).not.toBe(oldPid);
    expect(events[0]?.pid).toBe(nats.pid);
    // The client resubscribes on reconnect: the responder's subscription is live again.
    await responder.flush();
    expect(new TextDecoder().decode((await client.request('echo', 'after', { timeout: 5000 })).data)).toBe('after');

    await client.close();
    await responder.close();
    await nats.stop();
    await sup.done; // stopping the server ends supervision, with no restart
    expect(sup.attempts).toBe(1);
  });

  it('gives up after maxRestarts when the server cannot come back', async () => {
    const redis = await startRedis({ dir: join(root, 'sledge-giveup'), runId: 'giveup' });
    const events: RestartEvent[] = [];
    let gaveUp: { attempts: number } | undefined;
    // A config that no longer parses makes every restart fail.
    const { writeFile } = await import('node:fs/promises');
    await writeFile(join(root, 'sledge-giveup', 'redis.conf'), 'this is not a redis directive\n');
    const sup = supervise(redis, { maxRestarts: 2, backoffMs: 10, onRestart: (e) => events.push(e), onGiveUp: (e) => (gaveUp = e) });
    process.kill(redis.pid as number, 'SIGKILL');
    await sup.done;
    expect(events.map((e) => e.ok)).toEqual([false, false]);
    expect(events[0]?.error).toMatch(/redis-server restart on 127\.0\.0\.1:\d+ exited during startup/);
    expect(gaveUp).toMatchObject({ attempts: 2 });
    await redis.stop();
  });
});
