import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEVICE_V8_FLAGS } from '../emulator/launcher/actor-command.js';
import { decode, encode, statusReplyMsg } from '../emulator/protocol/messages.js';
import { startIdleActors, type IdleActors } from '../scripts/idle-actors.js';
import { ensureBuilt, ROOT } from './helpers/cli.js';

/**
 * Idle means idle (docs/architecture.md §8): a waiting actor arms no timer of its own, its
 * receiver's sweep is not armed without partial transfers, and it notices its launcher's
 * death by EOF on its stdin lifeline, not by polling. Real nats-server, real actor processes.
 */
const ENTRY = join(ROOT, 'dist', 'emulator', 'actors', 'main.js');
const command = () => [process.execPath, ...DEVICE_V8_FLAGS, ENTRY];

describe('an idle actor', () => {
  let actors: IdleActors;

  beforeAll(async () => {
    ensureBuilt();
    actors = await startIdleActors(2, 2, { command, stderr: 'ignore' });
  }, 120_000);

  afterAll(async () => {
    await actors?.stop();
  });

  it('holds its NATS socket and its lifeline, and no timer but the NATS client heartbeat', async () => {
    for (const actor of ['device.d1', 'device.d2'] as const) {
      const reply = await actors.nc.request(actors.subjects.control(actor), encode({ kind: 'status' }), { timeout: 10_000 });
      const s = decode(statusReplyMsg, reply.data);
      expect(s.ok, s.ok ? '' : s.reason).toBe(true);
      if (!s.ok) return;
      expect(s.value.partial).toBe(0);
      expect(s.value.sweeperArmed).toBe(false);
      expect(s.value.resources.PipeWrap).toBe(1); // stdin: the lifeline
      expect(s.value.resources.TCPSocketWrap).toBe(1); // NATS
      // the NATS client's ping (every 2 min) is the one timer; the old 2 s parent-pid poll is gone
      expect(s.value.resources.Timeout ?? 0).toBeLessThanOrEqual(1);
    }
  });

  it('exits when its launcher is killed with -9 (EOF on the lifeline)', async () => {
    // a stand-in launcher: spawns one actor with a lifeline, prints its pid, then waits
    const script = `
      const { spawn } = require('node:child_process');
      const c = spawn(process.argv[1], JSON.parse(process.argv[2]), { stdio: ['pipe', 'ignore', 'ignore'], detached: true, env: { ...process.env, SLEDGE_ACTOR: 'device.d3' } });
      process.stdout.write(String(c.pid) + '\\n');
      setInterval(() => undefined, 1 << 30);`;
    const [bin, ...args] = command();
    const env = { ...process.env, SLEDGE_NATS_URL: actors.nats.url, SLEDGE_NATS_TOKEN: actors.nats.token, SLEDGE_RUN_ID: actors.subjects.runId };
    const parent = spawn(process.execPath, ['-e', script, bin!, JSON.stringify(args)], { stdio: ['ignore', 'pipe', 'inherit'], env });
    const pid = Number(await new Promise<string>((resolve) => parent.stdout.once('data', (d: Buffer) => resolve(d.toString()))));
    expect(alive(pid)).toBe(true);
    parent.kill('SIGKILL');
    // the condition: the actor's process is gone (it never announces: nobody answers d3 here, so it was still waiting)
    for (let i = 0; i < 400 && alive(pid); i++) await new Promise((r) => setTimeout(r, 50));
    expect(alive(pid)).toBe(false);
  }, 60_000);
});

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return !isZombie(pid);
  } catch {
    return false;
  }
}

/** The orphan is reaped by init; until then a zombie counts as gone. */
function isZombie(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8') as string;
    return stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z');
  } catch {
    return true;
  }
}
