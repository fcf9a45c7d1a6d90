import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanNet } from '../emulator/net/clean.js';
import { newRunId } from '../emulator/launcher/run-id.js';
import { findExecutable, spawnManaged, stopAll, type ManagedChild } from '../emulator/servers/child.js';
import { freePort } from '../emulator/servers/free-port.js';
import { markOwner } from '../emulator/trust/run-owner.js';
import { tempDir, waitFor } from './helpers/emulation.js';

const PROTECTED = '/proc/sys/fs/protected_symlinks';
const isRoot = process.getuid?.() === 0;

/**
 * `sledge net clean` trusts nothing it finds in a temp dir (docs/trust.md): a planted
 * host-limits.json writes no sysctl, a dir it cannot prove is a dead run's is left alone,
 * and with no run named a live run's servers survive while a dead run's go. Everything
 * here lives under the test's own temp root, so no other run on the host is looked at.
 */
describe('net clean acts only on what it can prove is a dead run\'s', () => {
  let root: string;
  /** A pid that is certainly not running any more. */
  let deadPid: number;

  beforeAll(async () => {
    root = await tempDir('net-clean-trust');
    deadPid = spawnSync('true').pid!;
  });

  afterAll(async () => {
    await stopAll();
    await rm(root, { recursive: true, force: true });
  });

  /** A temp dir as a run makes it: `sledge-<runId>-XXXXXX`, 0700, with its owner's pid. */
  function runDir(ownerPid: number | undefined, mode = 0o700): { id: string; dir: string } {
    const id = newRunId();
    const dir = join(root, `sledge-${id}-abc123`);
    mkdirSync(dir, { mode: 0o700 });
    if (ownerPid !== undefined) writeFileSync(join(dir, 'owner.json'), JSON.stringify({ pid: ownerPid, start: null }), { mode: 0o600 });
    chmodSync(dir, mode);
    return { id, dir };
  }

  it.runIf(isRoot)('a planted host-limits.json naming another sysctl writes nothing; the refusal is reported', async () => {
    const before = readFileSync(PROTECTED, 'utf8').trim();
    const flipped = before === '1' ? 0 : 1;
    const { id, dir } = runDir(deadPid);
    writeFileSync(join(dir, 'host-limits.json'), JSON.stringify([{ setting: 'fs.protected_symlinks', before: flipped, during: Number(before) }]));
    const report = await cleanNet({ runId: id, tmpRoot: root });
    expect(readFileSync(PROTECTED, 'utf8').trim()).toBe(before);
    expect(report.errors.join('\n')).toMatch(/refused: .*fs\.protected_symlinks/);
    expect(report.dirs).toEqual([dir]);
  });

  it.runIf(isRoot)('a dir it cannot prove is sledge\'s (mode 0755, no owner file) is left as it is', async () => {
    const open = runDir(deadPid, 0o755);
    const unowned = runDir(undefined);
    writeFileSync(join(open.dir, 'host-limits.json'), JSON.stringify([{ setting: 'net.ipv4.neigh.default.gc_thresh1', before: 1, during: 2 }]));
    for (const { id } of [open, unowned]) expect((await cleanNet({ runId: id, tmpRoot: root })).dirs).toEqual([]);
    expect(existsSync(open.dir) && existsSync(unowned.dir)).toBe(true);
  });

  it.runIf(isRoot)('with no run named, a live run\'s nats-server survives and a dead run\'s is killed', async () => {
    const bin = (await findExecutable('nats-server'))!;
    const start = async (dir: string): Promise<ManagedChild> => {
      const port = await freePort('127.0.0.1');
      const conf = join(dir, 'nats.conf');
      writeFileSync(conf, `listen: "127.0.0.1:${port}"\n`);
      return spawnManaged('nats-server', bin, ['-c', conf], join(dir, 'nats.log'));
    };
    const live = runDir(undefined);
    markOwner(live.dir); // this test process: alive
    const dead = runDir(deadPid);
    const liveServer = await start(live.dir);
    const deadServer = await start(dead.dir);
    await waitFor('both servers listening', () => readFileSync(join(live.dir, 'nats.log'), 'utf8').includes('Server is ready') && readFileSync(join(dead.dir, 'nats.log'), 'utf8').includes('Server is ready'), 10_000);
    const report = await cleanNet({ tmpRoot: root });
    expect(report.processes).toContain(deadServer.pid);
    expect(report.processes).not.toContain(liveServer.pid);
    await deadServer.exited;
    expect(liveServer.hasExited()).toBe(false);
    expect(existsSync(live.dir)).toBe(true);
    expect(existsSync(dead.dir)).toBe(false);
  });
});
