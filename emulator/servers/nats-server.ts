/**
 * The run's own nats-server (DESIGN.md 4.5), used when NATS_URL is not set. Its limits are
 * sized for the payload transport (4.2): chunks of at most 512 KiB plus a header fit
 * `max_payload`, and `write_deadline` outlasts the slowest chunk on a shaped link.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { connect } from '@nats-io/transport-node';
import { UsageError } from '../errors.js';
import { findExecutable } from './child.js';
import { hostPort } from './free-port.js';
import { startServer } from './start-server.js';

export interface EmbeddedNats {
  url: string;
  token: string;
  host: string;
  port: number;
  pid: number;
  /** The server's own log; the launcher links or copies it into runs/<id>/. */
  logFile: string;
  stop(): Promise<void>;
}

export interface NatsOptions {
  /** Holds nats.conf and nats.log; its path contains `sledge-<runId>` so `sledge net clean` finds strays. */
  dir: string;
  host?: string;
  runId: string;
  writeDeadlineS?: number;
}

export async function startNats(opts: NatsOptions): Promise<EmbeddedNats> {
  const host = opts.host ?? '127.0.0.1';
  const bin = await findExecutable('nats-server');
  if (!bin) throw new UsageError('nats-server not found: install the Debian package nats-server (npm start/npm test do it as root)');
  await mkdir(opts.dir, { recursive: true });
  const confFile = join(opts.dir, 'nats.conf');
  const logFile = join(opts.dir, 'nats.log');
  const token = randomBytes(24).toString('hex');

  const { child, port } = await startServer({
    name: 'nats-server',
    bin,
    host,
    logFile,
    async configure(port) {
      await writeFile(confFile, natsConfig({ host, port, token, logFile, runId: opts.runId, writeDeadlineS: opts.writeDeadlineS ?? 120 }), { mode: 0o600 });
      return ['-c', confFile];
    },
    probe: (port) => canConnect(hostPort(host, port), token),
  });
  return { url: `nats://${hostPort(host, port)}`, token, host, port, pid: child.pid, logFile, stop: () => child.stop() };
}

function natsConfig(c: { host: string; port: number; token: string; logFile: string; runId: string; writeDeadlineS: number }): string {
  // No http/monitor port: nothing but the emulator should listen.
  return [
    `server_name: ${JSON.stringify(`sledge-${c.runId}`)}`,
    `listen: ${JSON.stringify(hostPort(c.host, c.port))}`,
    `authorization { token: ${JSON.stringify(c.token)} }`,
    'max_payload: 1MB',
    'max_pending: 256MB',
    `write_deadline: "${c.writeDeadlineS}s"`,
    `log_file: ${JSON.stringify(c.logFile)}`,
    '',
  ].join('\n');
}

async function canConnect(server: string, token: string): Promise<boolean> {
  try {
    const nc = await connect({ servers: server, token, timeout: 1000, reconnect: false });
    await nc.close();
    return true;
  } catch {
    return false;
  }
}
