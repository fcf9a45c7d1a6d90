#!/usr/bin/env node
import { fstatSync } from 'node:fs';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { Rng } from '../../src/rng.js';
import { decode, encode, okMsg } from '../protocol/messages.js';
import { Subjects } from '../protocol/subjects.js';
import { actorInboxPrefix } from '../trust/bus-users.js';
import { parseImpairment, readActorEnv, type ActorEnv } from './actor-env.js';
import type { Actor, ActorDeps } from './actor.js';
import { DeviceActor } from './device.js';
import { makeLog, type Log } from './log.js';
import { warmUpWorkload } from './workload.js';
import { ServerActor } from './server.js';
import { drawKey } from './tags.js';

/**
 * Entry point of a server or device process. It needs only its environment (NATS URL,
 * run id, actor name), so the launcher can fork it here or an agent start it on another
 * host. It exits when told to shut down, when NATS is gone for good, or when its parent
 * dies. The build bundles it into one file (dist/actor.mjs) so that a device process
 * loads nothing but this, the NATS client and the transport (docs/architecture.md §8).
 */

const env = readActorEnv();
/** Reconnect a little longer than the run's bus deadline before giving up: the launcher decides whether the run survives. */
const RECONNECT = { maxReconnectAttempts: Math.ceil((env.SLEDGE_BUS_DOWN_S * 1000) / 250) + 8, reconnectTimeWait: 250, reconnectJitter: 100 } as const;
const log = makeLog(env.SLEDGE_ACTOR);
process.on('unhandledRejection', (reason) => {
  log('error', 'unhandled rejection', { error: reason instanceof Error ? reason.message : String(reason) });
  process.exit(1);
});

const nc = await connect({
  servers: env.SLEDGE_NATS_URL,
  ...(env.SLEDGE_NATS_USER ? { user: env.SLEDGE_NATS_USER, pass: env.SLEDGE_NATS_PASSWORD! } : env.SLEDGE_NATS_TOKEN ? { token: env.SLEDGE_NATS_TOKEN } : {}),
  // its own inbox: the only one its bus user may read (docs/trust.md)
  inboxPrefix: actorInboxPrefix(env.SLEDGE_RUN_ID, env.SLEDGE_ACTOR),
  name: `sledge-${env.SLEDGE_RUN_ID}-${env.SLEDGE_ACTOR}`,
  ...RECONNECT,
}).catch((err: Error) => {
  log('error', 'cannot connect to NATS', { error: err.message });
  process.exit(1);
});
void watchStatus(nc, log);

const subjects = new Subjects(env.SLEDGE_RUN_ID);
const actor = createActor(env, nc, subjects, log);
await warmUpWorkload(env.SLEDGE_WORKLOAD);
actor.start();
await announce(nc, subjects, env.SLEDGE_ACTOR, log);

let stopping = false;
async function stop(code: number): Promise<void> {
  if (stopping) return;
  stopping = true;
  await actor.close().catch(() => undefined);
  await nc.drain().catch(() => undefined);
  process.exit(code);
}

void actor.stopped.then(() => stop(0));
// The launcher stops us with a shutdown message; a terminal's Ctrl-C is its business.
process.on('SIGINT', () => undefined);
process.on('SIGTERM', () => void stop(0));

// An orphan (its launcher killed with -9) must not linger. The launcher holds the other
// end of our stdin (a lifeline, docs/architecture.md §8) and never writes: EOF means it is gone. An
// event, not a timer: 1,000 idle actors polling their parent pid cost most of a core.
watchLifeline(() => void stop(1));

void nc.closed().then((err) => {
  if (stopping) return;
  log('error', 'NATS connection closed', { error: err ? String(err) : undefined });
  process.exit(1);
});

function createActor(env: ActorEnv, nc: NatsConnection, subjects: Subjects, log: Log): Actor {
  const deps: ActorDeps = { nc, subjects, workload: env.SLEDGE_WORKLOAD, log };
  // Always there: a turn may bring a latency or jitter of its own (the coordinator scales it and takes the floor off).
  const imp = parseImpairment(env.SLEDGE_IMPAIRMENT) ?? { delayMs: 0, jitterMs: 0, lossPct: 0 };
  deps.impairmentFor = (tag) => {
    const rng = Rng.of(env.SLEDGE_SEED, 'impairment', drawKey(tag));
    return { ...imp, random: () => rng.next() };
  };
  return env.SLEDGE_ACTOR === 'server' ? new ServerActor(deps) : new DeviceActor(env.SLEDGE_ACTOR.slice('device.'.length), deps);
}

/**
 * "I am ready", as a request repeated until the launcher answers: a message published
 * before the launcher's subscription reached nats-server would be lost for good (what
 * stalled runs of 100+ devices), a request is simply asked again.
 */
async function announce(nc: NatsConnection, subjects: Subjects, actorName: string, log: Log): Promise<void> {
  const body = encode({ kind: 'ready', actor: actorName, pid: process.pid });
  for (let attempt = 1, waitMs = 1000; ; attempt++, waitMs = Math.min(waitMs * 2, 8000)) {
    try {
      const reply = await nc.request(subjects.ready, body, { timeout: waitMs });
      if (decode(okMsg, reply.data).ok) break;
    } catch {
      // no launcher listening yet (503) or no answer in time: ask again
    }
    if (nc.isClosed()) return;
    if (attempt === 1) log('info', 'waiting for the launcher to acknowledge');
  }
  log('info', 'ready', { pid: process.pid });
}

/** Only when stdin is a pipe or socket: an actor started by hand (a terminal, /dev/null) has no lifeline. */
function watchLifeline(gone: () => void): void {
  let st;
  try {
    st = fstatSync(0);
  } catch {
    return;
  }
  if (!st.isFIFO() && !st.isSocket()) return;
  process.stdin.on('end', gone);
  process.stdin.on('error', gone);
  process.stdin.resume();
}

async function watchStatus(nc: NatsConnection, log: Log): Promise<void> {
  for await (const s of nc.status()) {
    if (s.type === 'disconnect' || s.type === 'reconnect') log('warn', `NATS ${s.type}`, { server: (s as { server?: string }).server });
  }
}
