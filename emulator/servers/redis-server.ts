/**
 * The run's own redis-server (DESIGN.md 4.5), used when REDIS_URL is not set: password
 * protected, bound to one address, nothing persisted (the run's records are written to
 * runs/<id>/ by the emulator itself).
 */
import { randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { createConnection } from 'node:net';
import { join } from 'node:path';
import { UsageError } from '../errors.js';
import { findExecutable } from './child.js';
import { hostPort } from './free-port.js';
import { startServer } from './start-server.js';

export interface EmbeddedRedis {
  url: string;
  password: string;
  host: string;
  port: number;
  pid: number;
  /** The server's own log; the launcher links or copies it into runs/<id>/. */
  logFile: string;
  stop(): Promise<void>;
}

export interface RedisOptions {
  /** Holds redis.conf and redis.log; its path contains `sledge-<runId>`. */
  dir: string;
  host?: string;
  runId: string;
}

export async function startRedis(opts: RedisOptions): Promise<EmbeddedRedis> {
  const host = opts.host ?? '127.0.0.1';
  const bin = await findExecutable('redis-server');
  if (!bin) throw new UsageError('redis-server not found: install the Debian package redis-server (npm start/npm test do it as root)');
  await mkdir(opts.dir, { recursive: true });
  const confFile = join(opts.dir, 'redis.conf');
  const logFile = join(opts.dir, 'redis.log');
  const password = randomBytes(24).toString('hex');

  const { child, port } = await startServer({
    name: 'redis-server',
    bin,
    host,
    logFile,
    async configure(port) {
      await writeFile(confFile, redisConfig({ host, port, password, dir: opts.dir, logFile, runId: opts.runId }), { mode: 0o600 });
      return [confFile];
    },
    probe: (port) => pingWithPassword(host, port, password),
  });
  return { url: `redis://:${password}@${hostPort(host, port)}`, password, host, port, pid: child.pid, logFile, stop: () => child.stop() };
}

function redisConfig(c: { host: string; port: number; password: string; dir: string; logFile: string; runId: string }): string {
  return [
    `# sledge-${c.runId}`,
    `bind ${c.host}`,
    `port ${c.port}`,
    `requirepass ${c.password}`,
    'save ""',
    'appendonly no',
    `dir ${JSON.stringify(c.dir)}`,
    'protected-mode yes',
    'daemonize no',
    `logfile ${JSON.stringify(c.logFile)}`,
    // Keep the config path in the process title so that cleanup can find strays by command line.
    'set-proc-title no',
    '',
  ].join('\n');
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
