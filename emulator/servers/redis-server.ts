/**
 * The run's own redis-server (docs/architecture.md §7), used when REDIS_URL is not set: password
 * protected, bound to one address. With `persistDir` it keeps the run's state in an
 * append-only file there (docs/architecture.md §9), so that a redis-server started later on the same
 * directory (`sledge resume`, after a killed launcher) has it back; without, nothing is
 * persisted.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { createConnection } from 'node:net';
import { dirname, join } from 'node:path';
import { UsageError } from '../errors.js';
import { findExecutable } from './child.js';
import { hostPort } from './free-port.js';
import { RunningServer, serverHandle, type ServerHandle } from './start-server.js';

export interface EmbeddedRedis extends ServerHandle {
  url: string;
  password: string;
}

export interface RedisOptions {
  /** Holds redis.conf (it holds the password: keep it in a private temp dir); its path contains `sledge-<runId>`. */
  dir: string;
  /** Where the server logs, e.g. runs/<id>/logs/redis-server.log (appended to); default `<dir>/redis.log`. */
  logFile?: string;
  /** Persist here with an append-only file, e.g. runs/<id>/redis; a later server on the same directory loads it. */
  persistDir?: string;
  host?: string;
  runId: string;
}

export async function startRedis(opts: RedisOptions): Promise<EmbeddedRedis> {
  const host = opts.host ?? '127.0.0.1';
  const bin = await findExecutable('redis-server');
  if (!bin) throw new UsageError('redis-server not found: install the Debian package redis-server (npm start/npm test do it as root)');
  await mkdir(opts.dir, { recursive: true });
  const confFile = join(opts.dir, 'redis.conf');
  const logFile = opts.logFile ?? join(opts.dir, 'redis.log');
  await mkdir(dirname(logFile), { recursive: true });
  if (opts.persistDir) await mkdir(opts.persistDir, { recursive: true });
  const password = randomBytes(24).toString('hex');

  const server = await RunningServer.start({
    name: 'redis-server',
    bin,
    host,
    logFile,
    async configure(port) {
      await writeFile(confFile, redisConfig({ host, port, password, dir: opts.dir, logFile, runId: opts.runId, persistDir: opts.persistDir }), { mode: 0o600 });
      return [confFile];
    },
    probe: (port) => pingWithPassword(host, port, password),
  });
  return serverHandle(server, {
    url: `redis://:${password}@${hostPort(host, server.port)}`,
    password,
    host,
    logFile,
  });
}

function redisConfig(c: { host: string; port: number; password: string; dir: string; logFile: string; runId: string; persistDir: string | undefined }): string {
  return [
    `# sledge-${c.runId}`,
    `bind ${c.host}`,
    `port ${c.port}`,
    `requirepass ${c.password}`,
    'save ""',
    ...persistence(c.persistDir ?? c.dir, c.persistDir !== undefined),
    'protected-mode yes',
    // Hardening (docs/trust.md): the run needs plain commands only. No DEBUG (it can crash or
    // stall the server), no MODULE LOAD (native code), no CONFIG SET of protected settings
    // (dir, dbfilename: the classic write-a-file-anywhere), no replication from anywhere.
    'enable-debug-command no',
    'enable-module-command no',
    'enable-protected-configs no',
    'replica-read-only yes',
    'rename-command SLAVEOF ""',
    'rename-command REPLICAOF ""',
    'rename-command MODULE ""',
    'daemonize no',
    `logfile ${JSON.stringify(c.logFile)}`,
    // Keep the config path in the process title so that cleanup can find strays by command line.
    'set-proc-title no',
    '',
  ].join('\n');
}

/**
 * No RDB snapshots either way. Persisting, every write is fsynced before its reply
 * (`appendfsync always`): a turn that Redis acknowledged is on disk even if the launcher,
 * redis-server or the machine dies right after, which is what resume relies on ("finished
 * turns are neither lost nor repeated"). `everysec` could lose the last second of writes,
 * and the run writes only a few keys per turn, so the fsyncs cost nothing that matters.
 */
function persistence(dir: string, persist: boolean): string[] {
  if (!persist) return ['appendonly no', `dir ${JSON.stringify(dir)}`];
  return ['appendonly yes', 'appendfsync always', 'appenddirname "appendonlydir"', `dir ${JSON.stringify(dir)}`];
}

/** One RESP round trip (AUTH, PING) on a raw socket: true only on +OK then +PONG. */
function pingWithPassword(host: string, port: number, password: string): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = createConnection({ host, port });
    let reply = '';
    const finish = (ok: boolean) => {
      sock.destroy();
      resolve(ok);
    };
    sock.setTimeout(1000, () => finish(false));
    sock.once('error', () => finish(false));
    sock.on('data', (d) => {
      reply += d.toString('latin1');
      if (reply.includes('+PONG\r\n')) finish(reply.startsWith('+OK\r\n'));
      else if (reply.startsWith('-') || /\r\n-/.test(reply)) finish(false);
    });
    sock.once('connect', () => {
      const cmd = (...args: string[]) => `*${args.length}\r\n${args.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join('')}`;
      sock.write(cmd('AUTH', password) + cmd('PING'));
    });
  });
}
