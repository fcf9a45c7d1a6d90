import { readFileSync } from 'node:fs';
import { connect, createInbox, type NatsConnection } from '@nats-io/transport-node';
import { UsageError } from '../errors.js';
import { withoutCredentials } from '../trust/refusal.js';

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
 * user's server has no leafnodes listener there (or refused the leaf's credentials), and
 * the run could never start. That is a refusal, said in one line before any actor is
 * spawned (docs/trust.md): the leafnodes URL without credentials and the leaf node's own
 * words (its log's last error: "connection refused", "Authorization Violation").
 * The launcher checks its leaf; every agent checks its own the same way.
 */
export async function checkLeaf(main: { url: string; token?: string } | NatsConnection, leaf: { url: string; auth: { user: string; pass: string }; logFile?: string }, remote: string): Promise<void> {
  const upstream = 'subscribe' in main ? main : await connect({ servers: main.url, ...(main.token ? { token: main.token } : {}), reconnect: false });
  const local = await connect({ servers: leaf.url, ...leaf.auth, reconnect: false });
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
    sub.unsubscribe();
    const words = leaf.logFile ? lastError(leaf.logFile) : undefined;
    throw new UsageError(`NATS leafnodes listener at ${withoutCredentials(remote)} did not take the run's leaf node within ${CHECK_WITHIN_MS / 1000} s: ${words ?? 'nothing crossed'}; give that server a leafnodes listener (default port ${DEFAULT_LEAF_PORT}) or set NATS_LEAF_URL`);
  } finally {
    await Promise.all([upstream === main ? Promise.resolve() : upstream.close(), local.close()]);
  }
}

/** The leaf nats-server's own words: its log's last error line, without the timestamp and with no credentials. */
function lastError(logFile: string): string | undefined {
  let text: string;
  try {
    text = readFileSync(logFile, 'utf8');
  } catch {
    return undefined;
  }
  const line = text.split('\n').reverse().find((l) => /\[(ERR|WRN)\]/.test(l));
  return line?.replace(/^.*?\[(ERR|WRN)\]\s*/, '').replace(/\/\/[^@\s/]*@/g, '//').slice(0, 300);
}
