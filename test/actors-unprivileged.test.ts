import { readFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect } from 'vitest';
import { actorPid, planKeys, readTurns, runIdOf, smallConfig, startCli, tempDir, turnKeys, waitFor, writeJson } from './helpers/emulation.js';
import { tcIt } from './helpers/tc.js';

const uidOf = (pid: number): number => Number(/^Uid:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]);

/**
 * Least privilege and per-role bus users in a whole run (docs/trust.md): in tc mode, as
 * root, the edge server and the devices run as an unprivileged user inside their
 * namespaces, each with its own bus user, and the run completes.
 */
describe('actors run unprivileged, with their own bus users', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await tempDir('unprivileged');
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  tcIt('tc mode: server and device processes have a non-zero uid and no token; every turn recorded', async () => {
    const out = join(dir, 'run');
    const run = startCli(['run', writeJson(join(dir, 'c.json'), smallConfig({ network: 'tc', devices: 3, rounds: 2 })), '--out', out]);
    const runId = await waitFor('the run id', () => runIdOf(out), 60_000);
    const pids = await waitFor('every actor', () => {
      const p = ['server', 'device.d1', 'device.d2', 'device.d3'].map((a) => actorPid(runId, a));
      return p.every((x) => x !== undefined) ? (p as number[]) : undefined;
    }, 60_000);
    const uids = pids.map(uidOf);
    const environ = readFileSync(`/proc/${pids[1]}/environ`, 'utf8').split('\0');
    const r = await run.done;
    expect(r.code, r.stderr).toBe(0);
    for (const uid of uids) expect(uid).not.toBe(0);
    expect(environ.find((e) => e.startsWith('SLEDGE_NATS_USER='))).toBe('SLEDGE_NATS_USER=device.d1');
    expect(environ.filter((e) => e.startsWith('SLEDGE_NATS_TOKEN='))).toEqual([]);
    expect(turnKeys(readTurns(out))).toEqual(planKeys(2, ['d1', 'd2', 'd3']));
  }, { timeout: 120_000 });
});
