import { join, resolve } from 'node:path';
import { connect } from '@nats-io/transport-node';
import { natsRefusalWords, natsRefused } from '../trust/refusal.js';
import { DEFAULT_CHUNK_BYTES } from '../transport/transfer.js';
import { openFilesLimit } from '../servers/fd-limit.js';
import { natsMaxConnections, startNats, writeDeadlineSeconds } from '../servers/nats-server.js';
import { startRedis } from '../servers/redis-server.js';
import type { ServerHandle } from '../servers/start-server.js';
import { supervise, type RestartEvent } from '../servers/supervisor.js';
import type { Teardown } from '../teardown.js';
import { checkLeaf, leafRemoteUrl } from './leaf.js';
import { deviceActor, type ActorName } from '../protocol/subjects.js';
import { actorBusUser, coordinatorBusUser, leafCheckBusUser, type NatsUser } from '../trust/bus-users.js';

/** Where the run's NATS and Redis are: the user's (NATS_URL, REDIS_URL) or its own. */
export interface Bus {
  natsUrl: string;
  natsToken?: string;
  /** Where devices connect: the same, or a leaf node on their bridge when they cannot reach NATS_URL (tc mode). */
  deviceNatsUrl: string;
  /** How each actor (and the coordinator, as 'coordinator') authenticates: its own user on a server the run owns, or the user's token. */
  credentials(who: 'coordinator' | ActorName): NatsAuth;
  redisUrl: string;
  /** Limits the embedded nats-server was given, for the manifest. */
  limits: Record<string, number | string>;
}

/** What a NATS client passes to connect. */
export type NatsAuth = { token: string } | { user: string; pass: string } | Record<string, never>;

export interface BusOptions {
  runId: string;
  tmp: string;
  /** The address devices reach: the bridge in tc mode, else loopback. */
  host: string;
  devices: number;
  /** The devices that connect to this host's server (the embedded one, or the run's leaf node): each gets its own bus user. */
  localDevices: readonly string[];
  /** The slowest wall rate any transfer of the run gets (bit/s): nats-server's write deadline must outlast a window of chunks at it. */
  slowestWallRateBps: number;
  /** Where the servers' own logs go (the run's logs/ directory). */
  logDir: string;
  /** Where the embedded Redis keeps the run (AOF): the run directory, so that it outlives the launcher. */
  redisDir: string;
  natsUrl?: string;
  /** The user's leafnodes listener, for a leaf node in tc mode (default: NATS_URL's host, port 7422). */
  natsLeafUrl?: string;
  redisUrl?: string;
  teardown: Teardown;
  /** A supervised server was restarted (or a restart failed); docs/architecture.md §9. */
  onRestart?: (e: RestartEvent) => void;
  /** A server stayed down despite every restart. */
  onGiveUp?: (line: string) => void;
}

/** Restarts are bounded in time by the run's bus deadline, not in number: a long run may see many. */
const MAX_RESTARTS = 1000;

/** Starts what the user did not give; everything started is registered for teardown and supervised. */
export async function openBus(o: BusOptions): Promise<Bus> {
  const limits: Bus['limits'] = {};
  const writeDeadlineS = writeDeadlineSeconds(DEFAULT_CHUNK_BYTES, o.slowestWallRateBps);
  // Per-role users with allow-lists on every server the run owns (docs/trust.md).
  const deviceUsers = o.localDevices.map((d) => actorBusUser(o.runId, deviceActor(d)));
  const byName = new Map<string, NatsUser>(deviceUsers.map((u) => [u.user, u]));
  let nats: { url: string; token?: string };
  let deviceUrl: string;
  if (o.natsUrl) {
    nats = splitNatsUrl(o.natsUrl);
    await checkNatsAccepts(nats);
    // Devices always reach the bus through a server the run owns: a leaf node on their
    // bridge (tc) or on loopback, with their own users; the user's credentials stay here.
    const remote = leafRemoteUrl(o.natsUrl, o.natsLeafUrl);
    const check = leafCheckBusUser();
    const leaf = await startSupervised(o, 'nats-leaf', () => startNats({ dir: join(o.tmp, 'nats-leaf'), host: o.host, runId: o.runId, name: `sledge-${o.runId}-local`, writeDeadlineS, clients: o.devices + 2, logFile: join(o.logDir, 'nats-leaf.log'), leafRemote: remote, users: [check, ...deviceUsers] }));
    await checkLeaf(nats, { url: leaf.url, auth: { user: check.user, pass: check.password }, logFile: join(o.logDir, 'nats-leaf.log') }, remote);
    deviceUrl = leaf.url;
    limits.natsLeaf = leaf.url;
  } else {
    const coordinator = coordinatorBusUser(o.runId);
    const server = actorBusUser(o.runId, 'server');
    byName.set(coordinator.user, coordinator).set(server.user, server);
    const started = performance.now();
    const embedded = await startSupervised(o, 'nats-server', () => startNats({ dir: join(o.tmp, 'nats'), host: o.host, runId: o.runId, writeDeadlineS, clients: o.devices + 2, logFile: join(o.logDir, 'nats-server.log'), users: [coordinator, server, ...deviceUsers] }));
    limits.natsStartS = Number(((performance.now() - started) / 1000).toFixed(3));
    limits.natsUsers = byName.size;
    nats = { url: embedded.url };
    deviceUrl = embedded.url;
    limits.natsWriteDeadlineS = writeDeadlineS;
    limits.natsMaxConnections = natsMaxConnections(o.devices + 2);
    const fds = openFilesLimit();
    if (fds) limits.openFilesSoftLimit = fds.soft;
  }
  let redisUrl = o.redisUrl;
  if (!redisUrl) {
    // absolute paths: redis-server changes into its data directory before it opens its log
    const redis = await startSupervised(o, 'redis-server', () => startRedis({ dir: join(o.tmp, 'redis'), runId: o.runId, logFile: resolve(o.logDir, 'redis-server.log'), persistDir: resolve(o.redisDir) }));
    redisUrl = redis.url;
  }
  const userToken: NatsAuth = nats.token ? { token: nats.token } : {};
  return {
    natsUrl: nats.url,
    ...(nats.token ? { natsToken: nats.token } : {}),
    deviceNatsUrl: deviceUrl,
    credentials(who) {
      const u = byName.get(who);
      if (u) return { user: u.user, pass: u.password };
      // the user's own server: the coordinator and the edge server (on the launcher's host) use its
      // credentials; a device never does (one on an agent gets its user from the agent's leaf)
      return who.startsWith('device.') ? {} : userToken;
    },
    redisUrl,
    limits,
  };
}

/** A refusal of the user's NATS (token, permissions) is one line naming it, before anything starts (docs/trust.md); a server that is down is left to the run's own reconnects. */
async function checkNatsAccepts(nats: { url: string; token?: string }): Promise<void> {
  try {
    const nc = await connect({ servers: nats.url, ...(nats.token ? { token: nats.token } : {}), reconnect: false, timeout: 5000, name: 'sledge-check' });
    await nc.close();
  } catch (err) {
    const words = natsRefusalWords(err);
    if (words) throw natsRefused('NATS', nats.url, words);
  }
}

/** Starts a server, registers its stop, and restarts it on the same address whenever it dies. */
async function startSupervised<S extends ServerHandle>(o: BusOptions, what: string, start: () => Promise<S>): Promise<S> {
  const server = await start();
  o.teardown.add(what, () => server.stop());
  supervise(server, {
    maxRestarts: MAX_RESTARTS,
    onRestart: (e) => o.onRestart?.({ ...e, server: what }),
    onGiveUp: (e) => o.onGiveUp?.(`${what} died and could not be restarted after ${e.attempts} attempts`),
  });
  return server;
}

function isLoopback(host: string): boolean {
  return host === 'localhost' || host.startsWith('127.') || host === '::1' || host === '[::1]';
}

/** `nats://TOKEN@host:port` carries a token; a plain URL none. */
export function splitNatsUrl(url: string): { url: string; token?: string } {
  const u = new URL(url);
  if (u.username && !u.password) {
    const token = decodeURIComponent(u.username);
    u.username = '';
    return { url: u.toString().replace(/\/$/, ''), token };
  }
  return { url };
}

