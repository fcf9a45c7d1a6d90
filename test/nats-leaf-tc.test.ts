import { writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect } from 'vitest';
import { cleanNet } from '../emulator/net/clean.js';
import { findExecutable, spawnManaged, stopAll, type ManagedChild } from '../emulator/servers/child.js';
import { createConnection } from 'node:net';
import { freePort } from '../emulator/servers/free-port.js';
import { planKeys, readTurns, runCli, runIdOf, smallConfig, tempDir, turnKeys, writeJson } from './helpers/emulation.js';
import { missing, tcIt } from './helpers/tc.js';

/**
 * NATS_URL in tc mode (docs/architecture.md §10): devices in their namespaces cannot reach a server
 * on the host's loopback, so the run starts a leaf node on their bridge that joins the
 * user's server through its leafnodes listener (nats-server 2.9 takes a user and password there, no token).
 */
describe('NATS_URL in tc mode', () => {
  let dir: string;
  let nats: ManagedChild;
  let clientPort: number;
  let leafPort: number;
  const runs: string[] = [];
  const token = 'leaf-test-token';

  beforeAll(async () => {
    dir = await tempDir('nats-leaf');
    if (missing.length) return;
    clientPort = await freePort('127.0.0.1');
    leafPort = await freePort('127.0.0.1');
    const conf = join(dir, 'nats.conf');
    writeFileSync(conf, [`listen: "127.0.0.1:${clientPort}"`, `authorization { token: "${token}" }`, `leafnodes { listen: "127.0.0.1:${leafPort}", authorization { user: "leaf", password: "${token}" } }`, 'max_payload: 1MB', ''].join('\n'));
    nats = spawnManaged('nats-server', (await findExecutable('nats-server'))!, ['-c', conf], join(dir, 'nats.log'));
    for (let i = 0; i < 100 && !(await canConnect(clientPort)); i++) await new Promise((r) => setTimeout(r, 100));
  });

  afterAll(async () => {
    for (const id of runs) await cleanNet({ runId: id });
    await stopAll();
    await rm(dir, { recursive: true, force: true });
  });

  tcIt(
    'devices reach an external nats-server on 127.0.0.1 through a leaf node on their bridge: the run completes',
    async () => {
      const config = writeJson(join(dir, 'tc.json'), smallConfig({ network: 'tc', rounds: 2 }));
      const out = join(dir, 'run');
      const env = { NATS_URL: `nats://${token}@127.0.0.1:${clientPort}`, NATS_LEAF_URL: `nats-leaf://leaf:${token}@127.0.0.1:${leafPort}` };
      const r = await runCli(['run', config, '--out', out], env);
      if (runIdOf(out)) runs.push(runIdOf(out)!);
      expect(r.code, r.stderr).toBe(0);
      expect(turnKeys(readTurns(out))).toEqual(planKeys(2, ['d1', 'd2', 'd3']));
    },
    { tools: ['nats-server', 'redis-server'], timeout: 120_000 },
  );

  tcIt(
    'without a leafnodes listener at NATS_LEAF_URL: exit 2, one line, no run directory left',
    async () => {
      const config = writeJson(join(dir, 'tc-bad.json'), smallConfig({ network: 'tc', rounds: 1 }));
      const out = join(dir, 'run-bad');
      const unused = await freePort('127.0.0.1');
      const r = await runCli(['run', config, '--out', out], { NATS_URL: `nats://${token}@127.0.0.1:${clientPort}`, NATS_LEAF_URL: `nats-leaf://127.0.0.1:${unused}` });
      expect(r.code).toBe(2);
      // one line naming the server (its URL without credentials) and its own words
      expect(r.stderr.trim().split('\n').at(-1)).toMatch(new RegExp(`^sledge: NATS leafnodes listener at nats-leaf://127.0.0.1:${unused} did not take the run's leaf node within 5 s: .*connection refused`));
      expect(r.stderr).toMatch(/^sledge: /m);
      const { existsSync } = await import('node:fs');
      expect(existsSync(out)).toBe(false);
    },
    { tools: ['nats-server', 'redis-server'], timeout: 120_000 },
  );
});

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = createConnection({ host: '127.0.0.1', port });
    sock.once('connect', () => (sock.destroy(), resolve(true)));
    sock.once('error', () => resolve(false));
  });
}
