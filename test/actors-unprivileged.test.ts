import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect } from 'vitest';
import { actorPid, planKeys, readTurns, runIdOf, smallConfig, startCli, tempDir, turnKeys, waitFor, writeJson } from './helpers/emulation.js';
import { tcIt } from './helpers/tc.js';

const uidOf = (pid: number): number => Number(/^Uid:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]);
const gidOf = (pid: number): number => Number(/^Gid:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]);

/**
 * What a process running as the actor `as` gets when it reads the environment of `target`:
 * 'ok' or the error code. A real process with the actor's uid and gid, dropped as the
 * launcher drops them.
 */
function readEnvironAs(as: number, target: number): string {
  const probe = `try { require('fs').readFileSync('/proc/${target}/environ'); console.log('ok') } catch (e) { console.log(e.code) }`;
  const r = spawnSync('setpriv', [`--reuid=${uidOf(as)}`, `--regid=${gidOf(as)}`, '--clear-groups', '--no-new-privs', '--', process.execPath, '-e', probe], { encoding: 'utf8' });
  return r.stdout.trim() || `exit ${r.status}: ${r.stderr}`;
}

/**
 * Least privilege and per-role bus users in a whole run (docs/trust.md): in tc mode, as
 * root, the edge server and the devices run unprivileged inside their namespaces, each as
 * a uid of its own (so none reads another's environment and bus password) and with its
 * own bus user, and the run completes.
 */
describe('actors run unprivileged, with their own bus users', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await tempDir('unprivileged');
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  tcIt('tc mode: server and devices each run as a non-zero uid of their own and no token; no device reads another actor\'s environment; every turn recorded', async () => {
    const out = join(dir, 'run');
    const run = startCli(['run', writeJson(join(dir, 'c.json'), smallConfig({ network: 'tc', devices: 3, rounds: 2 })), '--out', out]);
    const runId = await waitFor('the run id', () => runIdOf(out), 60_000);
    const pids = await waitFor('every actor', () => {
      const p = ['server', 'device.d1', 'device.d2', 'device.d3'].map((a) => actorPid(runId, a));
      return p.every((x) => x !== undefined) ? (p as number[]) : undefined;
    }, 60_000);
    const uids = pids.map(uidOf);
    const environ = readFileSync(`/proc/${pids[1]}/environ`, 'utf8').split('\0');
    const [server, d1, d2] = pids as [number, number, number];
    // its own environment, as itself: the probe works; another device's or the server's (their bus passwords): refused
    const reads = { own: readEnvironAs(d1, d1), otherDevice: readEnvironAs(d1, d2), server: readEnvironAs(d1, server), serverReadsDevice: readEnvironAs(server, d2) };
    const r = await run.done;
    expect(r.code, r.stderr).toBe(0);
    for (const uid of uids) expect(uid).not.toBe(0);
    expect(new Set(uids).size).toBe(uids.length);
    expect(reads).toEqual({ own: 'ok', otherDevice: 'EACCES', server: 'EACCES', serverReadsDevice: 'EACCES' });
    expect(environ.find((e) => e.startsWith('SLEDGE_NATS_USER='))).toBe('SLEDGE_NATS_USER=device.d1');
    expect(environ.filter((e) => e.startsWith('SLEDGE_NATS_TOKEN='))).toEqual([]);
    expect(turnKeys(readTurns(out))).toEqual(planKeys(2, ['d1', 'd2', 'd3']));
  }, { timeout: 120_000 });
});
