import { readFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stopAll } from '../emulator/servers/child.js';
import { freePort } from '../emulator/servers/free-port.js';
import { startNats, type EmbeddedNats } from '../emulator/servers/nats-server.js';
import { planKeys, processesOfRun, readTurns, runCli, runIdOf, serverPid, smallConfig, startCli, tempDir, turnKeys, turnsAtLeast, waitFor, writeJson } from './helpers/emulation.js';
import { persistedRun } from './helpers/persisted.js';

const DEVICES = ['d1', 'd2', 'd3'];
const ROUNDS = 6;

/**
 * The bus fails and comes back (docs/architecture.md §9): a killed embedded nats-server or
 * redis-server is restarted on its address, an external NATS that restarts is
 * reconnected to, the interrupted turn is run again and every turn recorded once; a bus
 * down past the deadline fails the run, which can then be resumed.
 */
/** The external nats-server's leafnodes port (docs/trust.md: devices always reach the bus through a server the run owns). */
let leafPort = 0;

describe('bus failures (userspace links)', () => {
  let dir: string;

  beforeAll(async () => {
    dir = await tempDir('bus-failure');
  });

  afterAll(async () => {
    await stopAll();
    await rm(dir, { recursive: true, force: true });
  });

  it('kill -9 of the embedded nats-server, then of the embedded redis-server: both restarted, the run completes, every turn once in turns.csv and in the stream', async () => {
    const config = writeJson(join(dir, 'embedded.json'), smallConfig({ rounds: ROUNDS }));
    const out = join(dir, 'embedded');
    const { done } = startCli(['run', config, '--out', out]);
    await turnsAtLeast(out, 3);
    const runId = runIdOf(out)!;
    process.kill(serverPid(runId, 'nats-server')!, 'SIGKILL');
    const afterNats = readTurns(out).length;
    await turnsAtLeast(out, afterNats + 3);
    process.kill(serverPid(runId, 'redis-server')!, 'SIGKILL');
    const r = await done;
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/nats-server died: restarted on the same address/);
    expect(r.stderr).toMatch(/redis-server died: restarted on the same address/);
    expect(turnKeys(readTurns(out))).toEqual(planKeys(ROUNDS, DEVICES));
    const stored = await persistedRun(out, runId);
    expect(stored.keys).toEqual(planKeys(ROUNDS, DEVICES));
    expect(stored.status).toBe('finished');
    expect(JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8')).status).toBe('finished');
    expect(processesOfRun(runId)).toEqual([]);
  }, 120_000);

  describe('an external nats-server (NATS_URL)', () => {
    let nats: EmbeddedNats;
    let natsUrl: string;

    beforeAll(async () => {
      // devices join a user's NATS through the run's own leaf node (docs/trust.md)
      nats = await startNats({ dir: join(dir, 'nats-sledge-test'), leafListen: { port: (leafPort = await freePort('127.0.0.1')), user: 'leaf', password: 'test-leaf' }, runId: 'test-external-nats' });
      natsUrl = nats.url.replace('nats://', `nats://${nats.token}@`);
    });

    afterAll(async () => {
      await nats?.stop();
    });

    it('killed and restarted on the same port mid-run: the run reconnects, re-runs the interrupted turn and records every turn once', async () => {
      const config = writeJson(join(dir, 'external.json'), smallConfig({ rounds: ROUNDS }));
      const out = join(dir, 'external');
      const { done } = startCli(['run', config, '--out', out], { NATS_URL: natsUrl, NATS_LEAF_URL: `nats-leaf://leaf:test-leaf@127.0.0.1:${leafPort}` });
      await turnsAtLeast(out, 3);
      process.kill(nats.pid!, 'SIGKILL');
      await nats.child.exited;
      await new Promise((r) => setTimeout(r, 1000));
      await nats.restart();
      const r = await done;
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).toMatch(/NATS connection lost .*reconnecting/);
      expect(r.stderr).toMatch(/NATS reconnected/);
      expect(turnKeys(readTurns(out))).toEqual(planKeys(ROUNDS, DEVICES));
      const stored = await persistedRun(out, runIdOf(out)!);
      expect(stored.keys).toEqual(planKeys(ROUNDS, DEVICES));
    }, 120_000);

    it('down past emulation.busDownS: the run fails with one clear line, keeps its turns, and sledge resume finishes it', async () => {
      const cfg = smallConfig({ rounds: ROUNDS });
      const config = writeJson(join(dir, 'deadline.json'), { ...cfg, emulation: { ...cfg.emulation, busDownS: 2 } });
      const out = join(dir, 'deadline');
      const { done } = startCli(['run', config, '--out', out], { NATS_URL: natsUrl, NATS_LEAF_URL: `nats-leaf://leaf:test-leaf@127.0.0.1:${leafPort}` });
      await turnsAtLeast(out, 3);
      process.kill(nats.pid!, 'SIGKILL');
      const r = await done;
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/the bus \(NATS\) was down for more than 2 s: .*continue it with sledge resume/);
      const kept = readTurns(out).length;
      expect(kept).toBeGreaterThanOrEqual(3);
      expect(JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8')).status).toBe('failed');

      await nats.restart();
      const resumed = await runCli(['resume', out], { NATS_URL: natsUrl, NATS_LEAF_URL: `nats-leaf://leaf:test-leaf@127.0.0.1:${leafPort}` });
      expect(resumed.code, resumed.stderr).toBe(0);
      expect(resumed.stderr).toMatch(new RegExp(`${kept} of ${ROUNDS * 3} turns finished`));
      expect(turnKeys(readTurns(out))).toEqual(planKeys(ROUNDS, DEVICES));
      await waitFor('the run to end', () => JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8')).status === 'finished');
    }, 120_000);
  });
});
