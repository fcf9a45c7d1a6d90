import { readFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { connect } from '@nats-io/transport-node';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stopAll } from '../emulator/servers/child.js';
import { freePort } from '../emulator/servers/free-port.js';
import { startNats, type EmbeddedNats } from '../emulator/servers/nats-server.js';
import { startRedis, type EmbeddedRedis } from '../emulator/servers/redis-server.js';
import {
  actorPid,
  processesOfRun,
  readTurns,
  runCli,
  runIdOf,
  smallConfig,
  startCli,
  tempDir,
  tempDirsOfRun,
  waitFor,
  writeJson,
} from './helpers/emulation.js';
import { expectShaped, expectTurnsShaped } from './helpers/bounds.js';

/**
 * `sledge run` end to end with real nats-server, redis-server and one process per actor
 * (docs/architecture.md): records, fidelity, cleanup on success, Ctrl-C, a dead device, and a
 * malformed message.
 */
/** The external nats-server's leafnodes port (docs/trust.md: devices always reach the bus through a server the run owns). */
let leafPort = 0;

describe('sledge run (userspace links)', () => {
  let dir: string;
  let redis: EmbeddedRedis;
  let redisUrl: string;

  beforeAll(async () => {
    dir = await tempDir('emulation');
    redis = await startRedis({ dir: join(dir, 'redis-sledge-test'), runId: 'test-emulation' });
    redisUrl = redis.url;
  });

  afterAll(async () => {
    await redis?.stop();
    await stopAll();
    await rm(dir, { recursive: true, force: true });
  });

  it('runs 3 devices × 3 rounds: 9 turns in turns.csv and in the Redis stream, each timed for real (measured ≥ 0.8 × predicted)', async () => {
    const config = writeJson(join(dir, 'small.json'), smallConfig());
    const out = join(dir, 'run-ok');
    const r = await runCli(['run', config, '--out', out], { REDIS_URL: redisUrl });
    expect(r.stderr).not.toMatch(/Error|failed/);
    expect(r.code).toBe(0);

    const turns = readTurns(out);
    expect(turns).toHaveLength(9);
    expect(turns.map((t) => `${t.round}/${t.device}`)).toEqual(['1/d1', '1/d2', '1/d3', '2/d1', '2/d2', '2/d3', '3/d1', '3/d2', '3/d3']);
    expectTurnsShaped(turns);

    const summary = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8'));
    expect(summary.status).toBe('finished');
    expect(summary.turnsDone).toBe(9);
    expect(summary.predicted.avgRoundDelay).toBeGreaterThan(0);
    expect(summary.measured.avgRoundDelay).toBeGreaterThan(0);
    const manifest = JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8'));
    expect(manifest.network).toBe('userspace');
    expect(manifest.seed).toBe(42);
    expect(manifest.config.devices).toHaveLength(3);

    const client = new Redis(redisUrl);
    try {
      const entries = await client.xrange(`sledge:run:${manifest.runId}:turns`, '-', '+');
      expect(entries).toHaveLength(9);
      entries.forEach(([, fields], i) => {
        const record = JSON.parse(fields[fields.indexOf('record') + 1] as string);
        const row = turns[i]!;
        expect(`${record.round}/${record.device}`).toBe(`${row.round}/${row.device}`);
        expect(record.cut).toBe(Number(row.cut));
        expect(record.measured.delay.total).toBeCloseTo(Number(row.measured_total), 9);
        expect(record.predicted.delay.total).toBeCloseTo(Number(row.predicted_total), 9);
      });
      expect(await client.hget(`sledge:run:${manifest.runId}`, 'status')).toBe('finished');
    } finally {
      client.disconnect();
    }
    expect(processesOfRun(manifest.runId)).toEqual([]);
    expect(tempDirsOfRun(manifest.runId)).toEqual([]);
  });

  it('leaves no process, server or temp dir behind when it starts its own NATS and Redis', async () => {
    const config = writeJson(join(dir, 'embedded.json'), smallConfig({ devices: 2, rounds: 2 }));
    const out = join(dir, 'run-embedded');
    const r = await runCli(['run', config, '--out', out]);
    expect(r.code).toBe(0);
    expect(readTurns(out)).toHaveLength(4);
    const runId = runIdOf(out)!;
    expect(processesOfRun(runId)).toEqual([]);
    expect(tempDirsOfRun(runId)).toEqual([]);
  });

  it('stops on SIGINT with exit 130, keeping the finished turns in the CSV and in Redis', async () => {
    const config = writeJson(join(dir, 'long.json'), smallConfig({ rounds: 30 }));
    const out = join(dir, 'run-sigint');
    const { child, done } = startCli(['run', config, '--out', out], { REDIS_URL: redisUrl });
    await waitFor('two finished turns', () => readTurns(out).length >= 2);
    const runId = runIdOf(out)!;
    child.kill('SIGINT');
    const r = await done;
    expect(r.code).toBe(130);
    const turns = readTurns(out);
    expect(turns.length).toBeGreaterThanOrEqual(2);
    expect(turns.length).toBeLessThan(90);
    const summary = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8'));
    expect(summary.status).toBe('interrupted');
    expect(summary.turnsDone).toBe(turns.length);
    const client = new Redis(redisUrl);
    try {
      expect(await client.xlen(`sledge:run:${runId}:turns`)).toBe(turns.length);
      expect(await client.hget(`sledge:run:${runId}`, 'status')).toBe('interrupted');
    } finally {
      client.disconnect();
    }
    expect(processesOfRun(runId)).toEqual([]);
    expect(tempDirsOfRun(runId)).toEqual([]);
  });

  it('fails cleanly, naming the device, when a device process is killed mid-run', async () => {
    const config = writeJson(join(dir, 'kill.json'), smallConfig({ rounds: 30 }));
    const out = join(dir, 'run-kill');
    const { done } = startCli(['run', config, '--out', out]);
    await waitFor('a finished turn', () => readTurns(out).length >= 1);
    const runId = runIdOf(out)!;
    const pid = await waitFor('device d2', () => actorPid(runId, 'device.d2'));
    process.kill(pid, 'SIGKILL');
    const r = await done;
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/device d2 \(pid \d+\) exited with signal SIGKILL/);
    const summary = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8'));
    expect(summary.status).toBe('failed');
    expect(summary.turnsDone).toBe(readTurns(out).length);
    expect(processesOfRun(runId)).toEqual([]);
    expect(tempDirsOfRun(runId)).toEqual([]);
  });

  it('rejects and counts malformed messages on the run subjects and still completes', async () => {
    let nats: EmbeddedNats | undefined;
    try {
      // devices join a user's NATS through the run's own leaf node (docs/trust.md)
      nats = await startNats({ dir: join(dir, 'nats-sledge-test'), leafListen: { port: (leafPort = await freePort('127.0.0.1')), user: 'leaf', password: 'test-leaf' }, runId: 'test-malformed' });
      const nc = await connect({ servers: nats.url, token: nats.token });
      // Every actor (server + 3 devices) says ready once it listens; publish only after all have.
      const ready = nc.subscribe('sledge.*.ready', { max: 4 });
      const config = writeJson(join(dir, 'malformed.json'), smallConfig({ rounds: 4 }));
      const out = join(dir, 'run-malformed');
      const natsUrl = nats.url.replace('nats://', `nats://${nats.token}@`);
      const run = startCli(['run', config, '--out', out], { NATS_URL: natsUrl, NATS_LEAF_URL: `nats-leaf://leaf:test-leaf@127.0.0.1:${leafPort}` });
      let runId = '';
      for await (const m of ready) runId = m.subject.split('.')[1]!;
      const garbage = new TextEncoder().encode('{"kind":"turn","not":"valid"');
      for (const subject of ['ctl.server', 'ctl.device.d1', 'data.server.from.device.d1', 'data.device.d2', 'evt.device.d3']) {
        nc.publish(`sledge.${runId}.${subject}`, garbage);
        nc.publish(`sledge.${runId}.${subject}`, new Uint8Array([0x53, 0x4c, 0xff]));
      }
      await nc.flush();
      const r = await run.done;
      await nc.close();
      expect(r.code).toBe(0);
      expect(readTurns(out)).toHaveLength(12);
      const summary = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8'));
      const rejected = Object.values(summary.rejectedMessages as Record<string, number>).reduce((a, b) => a + b, 0);
      expect(rejected).toBeGreaterThanOrEqual(10);
      expect(summary.rejectedMessages.server).toBeGreaterThanOrEqual(4);
    } finally {
      await nats?.stop();
    }
  });
});
