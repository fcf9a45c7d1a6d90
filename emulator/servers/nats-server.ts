/**
 * The run's own nats-server (docs/architecture.md §7), used when NATS_URL is not set. Its limits are
 * sized for the payload transport (4.2): chunks of at most 512 KiB plus a header fit
 * `max_payload`, and `write_deadline` outlasts the slowest chunk on a shaped link.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { connect } from '@nats-io/transport-node';
import { UsageError } from '../errors.js';
import { usersConfig, type NatsUser } from '../trust/bus-users.js';
import { DEFAULT_WINDOW } from '../transport/send.js';
import { findExecutable } from './child.js';
import { raiseOpenFiles } from './fd-limit.js';
import { hostPort } from './free-port.js';
import { RunningServer, serverHandle, type ServerHandle } from './start-server.js';

export interface EmbeddedNats extends ServerHandle {
  url: string;
  /** The one shared credential, when no users were given (tests, tools); '' with users. */
  token: string;
  /** Per-role users (docs/trust.md), by name, when given. */
  users: ReadonlyMap<string, NatsUser>;
}

export interface NatsOptions {
  /** Holds nats.conf (it holds the token: keep it in a private temp dir); its path contains `sledge-<runId>` so `sledge net clean` finds strays. */
  dir: string;
  /** Where the server logs, e.g. runs/<id>/logs/nats-server.log (appended to); default `<dir>/nats.log`. */
  logFile?: string;
  host?: string;
  runId: string;
  /** Seconds; derive it from the plan with `writeDeadlineSeconds`. Default 120. */
  writeDeadlineS?: number;
  /**
   * Makes it a leaf node of this remote (`nats-leaf://[cred@]host:port`, the remote's
   * leafnodes listener): its clients (devices in their namespaces, which cannot reach the
   * remote) and the remote's share subjects (docs/architecture.md §10).
   */
  leafRemote?: string;
  /** Clients the run will have (devices, server, coordinator): sets max_connections and the file limit. */
  clients?: number;
  /** The run's credentials, when the leaf's clients must use them (an agent's devices, docs/architecture.md §10). */
  token?: string;
  /** A leafnodes listener (a bus that runs' leaf nodes join, as a lab's NATS would have): tests, tools. */
  leafListen?: { port: number; user: string; password: string };
  /** Per-role users with permissions instead of one token (docs/trust.md); the first one is used to probe the server. */
  users?: readonly NatsUser[];
  /** `server_name`, unique on a bus (leaf nodes of one run on several hosts); default `sledge-<runId>`. */
  name?: string;
}

export const DEFAULT_WRITE_DEADLINE_S = 120;
export const MIN_WRITE_DEADLINE_S = 10;
/** Safety factor over one window's worth of chunks at the slowest rate. */
const WRITE_DEADLINE_MARGIN = 4;

/**
 * nats-server's write_deadline for a run. The server drops a client whose socket takes
 * longer than this to accept one flush; a receiver behind the slowest shaped link can have
 * up to `window` chunks queued for it (send.ts), which drain at that link's rate. So the
 * deadline is WRITE_DEADLINE_MARGIN × one window's drain time at the slowest wall rate,
 * never below MIN_WRITE_DEADLINE_S (10 s), in whole seconds. An unshaped run (rate
 * Infinity) gets the minimum.
 */
export function writeDeadlineSeconds(maxChunkBytes: number, slowestWallRateBps: number, window = DEFAULT_WINDOW): number {
  if (!(maxChunkBytes > 0) || !Number.isFinite(maxChunkBytes)) throw new RangeError(`maxChunkBytes must be > 0, got ${maxChunkBytes}`);
  if (!(slowestWallRateBps > 0)) throw new RangeError(`slowestWallRateBps must be > 0, got ${slowestWallRateBps}`);
  if (!Number.isInteger(window) || window < 1) throw new RangeError(`window must be a positive integer, got ${window}`);
  const windowDrainS = (8 * maxChunkBytes * window) / slowestWallRateBps;
  return Math.max(MIN_WRITE_DEADLINE_S, Math.ceil(WRITE_DEADLINE_MARGIN * windowDrainS));
}

export async function startNats(opts: NatsOptions): Promise<EmbeddedNats> {
  const host = opts.host ?? '127.0.0.1';
  const bin = await findExecutable('nats-server');
  if (!bin) throw new UsageError('nats-server not found: install the Debian package nats-server (npm start/npm test do it as root)');
  await mkdir(opts.dir, { recursive: true });
  const confFile = join(opts.dir, 'nats.conf');
  const logFile = opts.logFile ?? join(opts.dir, 'nats.log');
  await mkdir(dirname(logFile), { recursive: true });
  const users = opts.users?.length ? opts.users : undefined;
  const token = users ? '' : (opts.token ?? randomBytes(24).toString('hex'));
  const probeAs = users ? { user: users[0]!.user, pass: users[0]!.password } : { token };
  const writeDeadlineS = opts.writeDeadlineS ?? DEFAULT_WRITE_DEADLINE_S;
  const maxConnections = natsMaxConnections(opts.clients ?? 0);
  const wrapper = raiseOpenFiles(maxConnections + 64, await findExecutable('prlimit'));

  const server = await RunningServer.start({
    name: 'nats-server',
    bin: wrapper[0] ?? bin,
    host,
    logFile,
    async configure(port) {
      await writeFile(confFile, natsConfig({ host, port, auth: users ? usersConfig(users) : `authorization { token: ${JSON.stringify(token)} }`, logFile, name: opts.name ?? `sledge-${opts.runId}`, writeDeadlineS, maxConnections, leafRemote: opts.leafRemote, leafListen: opts.leafListen }), { mode: 0o600 });
      return [...wrapper.slice(1), ...(wrapper.length ? [bin] : []), '-c', confFile];
    },
    probe: (port) => canConnect(hostPort(host, port), probeAs),
  });
  return serverHandle(server, {
    url: `nats://${hostPort(host, server.port)}`,
    token,
    users: new Map((users ?? []).map((u) => [u.user, u])),
    host,
    logFile,
  });
}

/** Room for every client of the run, a watcher or two, and reconnects that overlap the old connection. */
export function natsMaxConnections(clients: number): number {
  return Math.max(1024, 2 * clients + 64);
}

function natsConfig(c: { host: string; port: number; auth: string; logFile: string; name: string; writeDeadlineS: number; maxConnections: number; leafRemote?: string | undefined; leafListen?: { port: number; user: string; password: string } | undefined }): string {
  // No http/monitor port: nothing but the emulator should listen.
  return [
    `server_name: ${JSON.stringify(c.name)}`,
    `listen: ${JSON.stringify(hostPort(c.host, c.port))}`,
    c.auth,
    'max_payload: 1MB',
    'max_pending: 256MB',
    `max_connections: ${c.maxConnections}`,
    // one subscription per actor subject and a few inboxes each; 0 would be unlimited
    `max_subscriptions: 1000`,
    `write_deadline: "${c.writeDeadlineS}s"`,
    `log_file: ${JSON.stringify(c.logFile)}`,
    // reconnect: a remote that restarts is rejoined within a second
    ...(c.leafListen ? [`leafnodes { listen: ${JSON.stringify(hostPort(c.host, c.leafListen.port))}, authorization { user: ${JSON.stringify(c.leafListen.user)}, password: ${JSON.stringify(c.leafListen.password)} } }`] : []),
    ...(c.leafRemote ? [`leafnodes { reconnect: 1, remotes = [ { url: ${JSON.stringify(c.leafRemote)} } ] }`] : []),
    '',
  ].join('\n');
}

async function canConnect(server: string, auth: { token: string } | { user: string; pass: string }): Promise<boolean> {
  try {
    const nc = await connect({ servers: server, ...auth, timeout: 1000, reconnect: false });
    await nc.close();
    return true;
  } catch {
    return false;
  }
}
