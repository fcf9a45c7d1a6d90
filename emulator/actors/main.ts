#!/usr/bin/env node
import { connect } from '@nats-io/transport-node';
import { Rng } from '../../src/rng.js';
import { encode } from '../messages.js';
import { Subjects } from '../subjects.js';
import { parseImpairment, readActorEnv } from './actor-env.js';
import type { Actor, ActorDeps } from './actor.js';
import { DeviceActor } from './device.js';
import { makeLog } from './log.js';
import { warmUpWorkload } from '../workload.js';
import { ServerActor } from './server.js';

/**
 * Entry point of a server or device process. It needs only its environment (NATS URL,
 * run id, actor name), so the launcher can fork it here or an agent start it on another
 * host. It exits when told to shut down, when NATS goes away, or when its parent dies.
 */
const env = readActorEnv();
const log = makeLog(env.SLEDGE_ACTOR);
const subjects = new Subjects(env.SLEDGE_RUN_ID);

const nc = await connect({
  servers: env.SLEDGE_NATS_URL,
  ...(env.SLEDGE_NATS_TOKEN ? { token: env.SLEDGE_NATS_TOKEN } : {}),
  name: `sledge-${env.SLEDGE_RUN_ID}-${env.SLEDGE_ACTOR}`,
  maxReconnectAttempts: 0,
}).catch((err: Error) => {
  log('error', 'cannot connect to NATS', { error: err.message });
  process.exit(1);
});

const imp = parseImpairment(env.SLEDGE_IMPAIRMENT);
const rng = Rng.of(env.SLEDGE_SEED, 'impairment', env.SLEDGE_ACTOR);
const deps: ActorDeps = { nc, subjects, workload: env.SLEDGE_WORKLOAD, log };
if (imp && (imp.delayMs > 0 || imp.jitterMs > 0 || imp.lossPct > 0)) deps.impairment = { ...imp, random: () => rng.next() };

const actor: Actor = env.SLEDGE_ACTOR === 'server' ? new ServerActor(deps) : new DeviceActor(env.SLEDGE_ACTOR.slice('device.'.length), deps);
await warmUpWorkload(env.SLEDGE_WORKLOAD);
actor.start();
await nc.flush();
nc.publish(subjects.ready, encode({ kind: 'ready', actor: env.SLEDGE_ACTOR, pid: process.pid }));
log('info', 'ready', { pid: process.pid });

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

// An orphan (its launcher killed with -9) must not linger.
const parent = process.ppid;
setInterval(() => {
  if (process.ppid !== parent) void stop(1);
}, 500).unref();

void nc.closed().then((err) => {
  if (stopping) return;
  log('error', 'NATS connection closed', { error: err ? String(err) : undefined });
  process.exit(1);
});
