import { connect, createInbox } from '@nats-io/transport-node';
import { UsageError } from '../errors.js';

/** The port nats-server's leafnodes listener uses unless configured otherwise. */
const DEFAULT_LEAF_PORT = 7422;
const CHECK_WITHIN_MS = 5000;

/**
 * Where the devices' leaf node connects (docs/architecture.md §10): NATS_LEAF_URL if given, else the
 * leafnodes listener on NATS_URL's host (port 7422). A leaf connects to that listener,
 * not to the client port, and authenticates with what the URL carries; when the leaf URL
 * carries no credentials, NATS_URL's (token or user:password) are used.
 */
export function leafRemoteUrl(natsUrl: string, leafUrl?: string): string {
  const client = new URL(natsUrl);
  const leaf = new URL(leafUrl ?? `nats-leaf://${client.hostname}:${DEFAULT_LEAF_PORT}`);
  if (!leaf.username && client.username) {
    leaf.username = client.username;
    leaf.password = client.password;
  }
  return `nats-leaf://${leaf.username ? `${leaf.username}${leaf.password ? `:${leaf.password}` : ''}@` : ''}${leaf.host}`;
}

/**
 * A message published on the leaf reaches a subscriber on the user's server: otherwise the
 * user's server has no leafnodes listener there (or refused the credentials), and the run
 * could never start; that is a usage problem, said before any actor is spawned.
 */
export async function checkLeaf(main: { url: string; token?: string }, leaf: { url: string; token: string }): Promise<void> {
  const upstream = await connect({ servers: main.url, ...(main.token ? { token: main.token } : {}), reconnect: false });
  const local = await connect({ servers: leaf.url, token: leaf.token, reconnect: false });
  try {
    const subject = createInbox();
    const sub = upstream.subscribe(subject, { max: 1 });
    await upstream.flush();
    const until = performance.now() + CHECK_WITHIN_MS;
    // interest crosses the leaf connection asynchronously: publish until it arrives
    const got = (async () => {
      for await (const _ of sub) return true;
      return false;
    })();
    while (performance.now() < until) {
      local.publish(subject);
      const done = await Promise.race([got, new Promise<false>((r) => setTimeout(() => r(false), 200))]);
      if (done) return;
    }
    throw new UsageError(`NATS_URL in tc mode: devices reach it through a leaf node on their bridge, but nothing crossed from ${leaf.url} to ${main.url} within ${CHECK_WITHIN_MS / 1000} s; give the server a leafnodes listener (default port ${DEFAULT_LEAF_PORT}) or set NATS_LEAF_URL`);
  } finally {
    await Promise.all([upstream.close(), local.close()]);
  }
}
