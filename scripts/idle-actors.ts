/**
 * N idle actor processes against the run's own kind of nats-server, without a launcher:
 * what `npm run bench:scale` measures idle CPU and start-up cost on (docs/scale.md).
 * Each actor is the bundled entry (dist/actor.mjs) with the device V8 flags, started
 * `concurrency` at a time; ready when its announcement is acknowledged, as in a run.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { actorCommand } from '../emulator/launcher/actor-command.js';
import { mapLimit } from '../emulator/net/exec.js';
import { decode, encode, readyMsg } from '../emulator/protocol/messages.js';
import { Subjects } from '../emulator/protocol/subjects.js';
import { startNats, type EmbeddedNats } from '../emulator/servers/nats-server.js';

export interface IdleActors {
  nats: EmbeddedNats;
  nc: NatsConnection;
  subjects: Subjects;
  children: ChildProcess[];
  /** Wall ms from the first spawn to the last acknowledged announcement. */
  readyMs: number;
  stop(): Promise<void>;
}

export interface IdleOptions {
  /** The actor's command line without the entry's environment; default the launcher's (actorCommand). */
  command?: (actor: string) => string[];
  /** Where actors' stderr goes; default inherited. */
  stderr?: 'inherit' | 'ignore';
}

export async function startIdleActors(n: number, concurrency: number, opts: IdleOptions = {}): Promise<IdleActors> {
  const runId = `idle${process.pid}`;
  const dir = mkdtempSync(join(tmpdir(), `sledge-${runId}-`));
  const nats = await startNats({ dir, runId, clients: n + 4 });
  const nc = await connect({ servers: nats.url, token: nats.token });
  const subjects = new Subjects(runId);
  const waiting = new Map<string, () => void>();
  nc.subscribe(subjects.ready, {
    callback: (_err, msg) => {
      const m = decode(readyMsg, msg.data);
      if (!m.ok) return;
      msg.respond(encode({ kind: 'ok' }));
      waiting.get(m.value.actor)?.();
    },
  });
  await nc.flush();
  const children: ChildProcess[] = [];
  const t0 = performance.now();
  await mapLimit(
    Array.from({ length: n }, (_, i) => `device.d${i + 1}`),
    concurrency,
    async (actor) => {
      const [bin, ...args] = (opts.command ?? actorCommand)(actor);
      const ready = new Promise<void>((r) => waiting.set(actor, r));
      const child = spawn(bin!, args, {
        stdio: ['pipe', 'ignore', opts.stderr ?? 'inherit'],
        env: { ...process.env, SLEDGE_NATS_URL: nats.url, SLEDGE_NATS_TOKEN: nats.token, SLEDGE_RUN_ID: runId, SLEDGE_ACTOR: actor },
      });
      children.push(child);
      const died = new Promise<never>((_, reject) => child.once('exit', (code) => reject(new Error(`${actor} exited ${code} before it was ready`))));
      await Promise.race([ready, died]);
    },
  );
  const readyMs = performance.now() - t0;
  return {
    nats,
    nc,
    subjects,
    children,
    readyMs,
    async stop() {
      await Promise.all(
        children.map(
          (c) =>
            new Promise<void>((r) => {
              if (c.exitCode !== null || c.signalCode !== null) return r();
              c.once('exit', () => r());
              c.kill('SIGTERM');
            }),
        ),
      );
      await nc.close();
      await nats.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** utime+stime of a process, in seconds (clock ticks of 1/100 s on Linux). */
export function cpuSeconds(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) / 100;
  } catch {
    return 0;
  }
}

export function loadAverage(): string {
  return readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
}
