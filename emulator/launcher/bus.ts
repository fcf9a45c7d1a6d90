import { join } from 'node:path';
import { DEFAULT_CHUNK_BYTES } from '../transport/transfer.js';
import { openFilesLimit } from '../servers/fd-limit.js';
import { natsMaxConnections, startNats, writeDeadlineSeconds } from '../servers/nats-server.js';
import { startRedis } from '../servers/redis-server.js';
import type { Teardown } from '../teardown.js';

/** Where the run's NATS and Redis are: the user's (NATS_URL, REDIS_URL) or its own. */
export interface Bus {
  natsUrl: string;
  natsToken?: string;
  redisUrl: string;
  /** Limits the embedded nats-server was given, for the manifest. */
  limits: Record<string, number | string>;
}

export interface BusOptions {
  runId: string;
  tmp: string;
  /** The address devices reach: the bridge in tc mode, else loopback. */
  host: string;
  devices: number;
  /** The slowest wall rate any transfer of the run gets (bit/s): nats-server's write deadline must outlast a window of chunks at it. */
  slowestWallRateBps: number;
  /** Where the servers' own logs go (the run's logs/ directory). */
  logDir: string;
  natsUrl?: string;
  redisUrl?: string;
  teardown: Teardown;
}

/** Starts what the user did not give; everything started is registered for teardown. */
export async function openBus(o: BusOptions): Promise<Bus> {
  const limits: Bus['limits'] = {};
  let nats: { url: string; token?: string };
  if (o.natsUrl) nats = splitNatsUrl(o.natsUrl);
  else {
    const writeDeadlineS = writeDeadlineSeconds(DEFAULT_CHUNK_BYTES, o.slowestWallRateBps);
    const embedded = await startNats({ dir: join(o.tmp, 'nats'), host: o.host, runId: o.runId, writeDeadlineS, clients: o.devices + 2, logFile: join(o.logDir, 'nats-server.log') });
    o.teardown.add('nats-server', () => embedded.stop());
    nats = { url: embedded.url, token: embedded.token };
    limits.natsWriteDeadlineS = writeDeadlineS;
    limits.natsMaxConnections = natsMaxConnections(o.devices + 2);
    const fds = openFilesLimit();
    if (fds) limits.openFilesSoftLimit = fds.soft;
  }
  let redisUrl = o.redisUrl;
  if (!redisUrl) {
    const redis = await startRedis({ dir: join(o.tmp, 'redis'), runId: o.runId, logFile: join(o.logDir, 'redis-server.log') });
    o.teardown.add('redis-server', () => redis.stop());
    redisUrl = redis.url;
  }
  return { natsUrl: nats.url, ...(nats.token ? { natsToken: nats.token } : {}), redisUrl, limits };
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
