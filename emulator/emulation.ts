import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import type { Strategy } from '../src/strategy/strategy.js';
import type { SystemModel } from '../src/system-model.js';
import { Coordinator } from './actors/coordinator.js';
import { RunError } from './errors.js';
import { buildManifest, commandVersion } from './manifest.js';
import { decode, encode, readyMsg, replyMsg } from './messages.js';
import { chooseNetwork, type NetworkChoice } from './network.js';
import type { Link } from './net/link.js';
import { createTopology, type Topology } from './net/topology.js';
import { PacedLink } from './paced-link.js';
import { RunFiles } from './records/run-files.js';
import { RunStore } from './records/run-store.js';
import { summarizeRun, type RunSummary } from './records/run-summary.js';
import type { TurnRecord } from './records/turn-record.js';
import { newRunId } from './run-id.js';
import { spawnManaged, type ManagedChild } from './servers/child.js';
import { startNats } from './servers/nats-server.js';
import { startRedis } from './servers/redis-server.js';
import { deviceActor, Subjects, type ActorName } from './subjects.js';
import { Teardown } from './teardown.js';

export interface Progress {
  turnsDone: number;
  turnsTotal: number;
  round: number;
  device: string;
}

export interface EmulationOptions {
  outDir?: string;
  /** External servers (a cluster, another host); otherwise sledge starts its own. */
  natsUrl?: string;
  redisUrl?: string;
  /** Aborting it (SIGINT, SIGTERM) stops the run; finished turns are kept. */
  signal: AbortSignal;
  onProgress?: (p: Progress) => void;
  onStatus?: (line: string) => void;
}

export interface RunResult {
  runId: string;
  dir: string;
  status: 'finished' | 'interrupted' | 'failed';
  error?: Error;
  records: TurnRecord[];
  summary: RunSummary;
}

const ACTOR_MAIN = new URL('./actors/main.js', import.meta.url).pathname;

/**
 * One emulation run (DESIGN.md 4): the network (kernel links or userspace pacing), NATS
 * and Redis, one process for the server and one per device, and the coordinator's round
 * loop here. Like Mininet's Net it builds everything up, runs, and tears everything down
 * again on every path, success, failure or signal.
 */
export async function runEmulation(system: SystemModel, strategy: Strategy, opts: EmulationOptions): Promise<RunResult> {
  const { config } = system;
  const runId = newRunId();
  const files = new RunFiles(opts.outDir ?? join('runs', runId));
  const subjects = new Subjects(runId);
  const teardown = new Teardown();
  const records: TurnRecord[] = [];
  const run = new AbortController();
  const onExternalAbort = () => run.abort(new RunError('interrupted'));
  opts.signal.addEventListener('abort', onExternalAbort, { once: true });
  if (opts.signal.aborted) onExternalAbort();
  const status = opts.onStatus ?? (() => undefined);
  let stopping = false;
  let store: RunStore | undefined;
  let network: NetworkChoice | undefined;
  const started = performance.now();
  const rejected: Record<string, number> = {};

  const finish = (state: RunResult['status'], error?: Error): RunResult => {
    const summary = summarizeRun({ runId, strategy: strategy.spec, status: state, config, records, network: network?.mode ?? 'userspace', wallSeconds: (performance.now() - started) / 1000, rejected, error: error?.message });
    files.writeJson('summary.json', summary);
    return { runId, dir: files.dir, status: state, ...(error ? { error } : {}), records, summary };
  };

  try {
    const tmp = await mkdtemp(join(tmpdir(), `sledge-${runId}-`));
    teardown.add('temp dir', () => rm(tmp, { recursive: true, force: true }));

    network = await chooseNetwork(config);
    status(`network: ${network.mode} (${network.reason})`);
    let topology: Topology | undefined;
    if (network.mode === 'tc') {
      topology = await createTopology({ runId, deviceIds: config.devices.map((d) => d.id) });
      teardown.add('network topology', () => topology!.destroy());
    }
    const host = topology?.hostAddress ?? '127.0.0.1';

    const natsTarget = opts.natsUrl ? splitNatsUrl(opts.natsUrl) : await (async () => {
      const nats = await startNats({ dir: join(tmp, 'nats'), host, runId, writeDeadlineS: 300 });
      teardown.add('nats-server', () => nats.stop());
      return { url: nats.url, token: nats.token };
    })();
    const redisUrl = opts.redisUrl ?? await (async () => {
      const redis = await startRedis({ dir: join(tmp, 'redis'), runId });
      teardown.add('redis-server', () => redis.stop());
      return redis.url;
    })();

    const nc = await connect({ servers: natsTarget.url, ...(natsTarget.token ? { token: natsTarget.token } : {}), name: `sledge-${runId}-coordinator`, maxReconnectAttempts: 0 });
    teardown.add('coordinator NATS connection', () => nc.close());
    store = await RunStore.open(redisUrl, runId);
    teardown.add('redis connection', () => store!.close());

    // Actors: the server and one process per device, each in its namespace in tc mode.
    const ready = awaitReady(nc, subjects, ['server', ...config.devices.map((d) => deviceActor(d.id))], config.emulation.controlTimeoutS * 1000, run.signal);
    const children = new Map<ActorName, ManagedChild>();
    const actorEnv = (actor: ActorName): NodeJS.ProcessEnv => ({
      ...process.env,
      SLEDGE_NATS_URL: natsTarget.url,
      SLEDGE_NATS_TOKEN: natsTarget.token ?? '',
      SLEDGE_RUN_ID: runId,
      SLEDGE_ACTOR: actor,
      SLEDGE_WORKLOAD: config.emulation.workload,
      SLEDGE_SEED: String(config.seed),
      SLEDGE_IMPAIRMENT: JSON.stringify(network!.impairments.wall),
    });
    teardown.add('actor processes', () => Promise.all([...children.values()].map((c) => c.stop())));
    const spawnActor = (actor: ActorName, argv: string[]) => {
      const child = spawnManaged(actor, argv[0]!, argv.slice(1), files.log(actor), { env: actorEnv(actor) });
      children.set(actor, child);
      void child.exited.then(({ code, signal }) => {
        if (stopping) return;
        const where = records.length < system.config.devices.length * config.rounds ? ` after ${records.length} finished turns` : '';
        run.abort(new RunError(`${actor.replace('.', ' ')} (pid ${child.pid}) exited with ${signal ? `signal ${signal}` : `code ${code}`}${where}; see ${files.log(actor)}`));
      });
    };
    spawnActor('server', [process.execPath, ACTOR_MAIN]);
    for (const d of config.devices) {
      const cmd = [process.execPath, ACTOR_MAIN];
      spawnActor(deviceActor(d.id), topology ? topology.execArgv(d.id, cmd) : cmd);
    }
    await ready;
    status(`${children.size} actor processes ready`);

    const links = new Map<string, Link>(config.devices.map((d) => [d.id, topology ? topology.link(d.id) : new PacedLink(d.id)]));
    const turnsTotal = config.rounds * config.devices.length;
    const manifest = buildManifest({
      runId,
      config,
      strategy: strategy.spec,
      network: network,
      servers: { natsServer: commandVersion('nats-server', ['--version']), redisServer: commandVersion('redis-server', ['--version']) },
    });
    files.writeJson('manifest.json', manifest);
    await store.begin({ strategy: strategy.spec, turnsTotal, config, manifest });

    const coordinator = new Coordinator(nc, subjects, system, strategy, links, {
      controlTimeoutMs: config.emulation.controlTimeoutS * 1000,
      onTurnStart: (t, i) => opts.onProgress?.({ turnsDone: i, turnsTotal, round: t.round, device: t.device }),
      onTurn: async (record, done) => {
        records.push(record);
        files.appendTurn(record);
        await store!.turn(record, done);
        opts.onProgress?.({ turnsDone: done, turnsTotal, round: record.round, device: record.device });
      },
    });
    await coordinator.run(run.signal);
    if (run.signal.aborted) throw run.signal.reason;

    stopping = true;
    Object.assign(rejected, await shutdownActors(nc, subjects, [...children.keys()]));
    const result = finish('finished');
    await store.end('finished', result.summary);
    return result;
  } catch (err) {
    stopping = true;
    const interrupted = opts.signal.aborted;
    const error = err instanceof Error ? err : new Error(String(err));
    const result = finish(interrupted ? 'interrupted' : 'failed', interrupted ? undefined : error);
    await store?.end(result.status, result.summary).catch(() => undefined);
    return result;
  } finally {
    stopping = true;
    opts.signal.removeEventListener('abort', onExternalAbort);
    const failures = await teardown.run();
    for (const f of failures) status(`cleanup: ${f}`);
  }
}

/** `nats://TOKEN@host:port` carries a token; a plain URL none. */
function splitNatsUrl(url: string): { url: string; token?: string } {
  const u = new URL(url);
  if (u.username && !u.password) {
    const token = decodeURIComponent(u.username);
    u.username = '';
    return { url: u.toString().replace(/\/$/, ''), token };
  }
  return { url };
}

function awaitReady(nc: NatsConnection, subjects: Subjects, actors: ActorName[], timeoutMs: number, signal: AbortSignal): Promise<void> {
  const waiting = new Set<string>(actors);
  return new Promise<void>((resolve, reject) => {
    const sub = nc.subscribe(subjects.ready, {
      callback: (_err, msg) => {
        const m = decode(readyMsg, msg.data);
        if (!m.ok) return;
        waiting.delete(m.value.actor);
        if (waiting.size === 0) done();
      },
    });
    const timer = setTimeout(() => done(new RunError(`actors not ready within ${timeoutMs} ms: ${[...waiting].join(', ')}`)), timeoutMs);
    const onAbort = () => done(signal.reason instanceof Error ? signal.reason : new RunError('aborted'));
    signal.addEventListener('abort', onAbort, { once: true });
    function done(err?: Error) {
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
      sub.unsubscribe();
      if (err) reject(err);
      else resolve();
    }
  });
}

/** Asks every actor to stop and collects how many malformed messages each rejected. */
async function shutdownActors(nc: NatsConnection, subjects: Subjects, actors: ActorName[]): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  await Promise.all(
    actors.map(async (actor) => {
      try {
        const msg = await nc.request(subjects.control(actor), encode({ kind: 'shutdown' }), { timeout: 2000 });
        const reply = decode(replyMsg, msg.data);
        if (reply.ok && reply.value.kind === 'ok') counts[actor] = reply.value.rejected ?? 0;
      } catch {
        // it will be stopped by signal in the teardown
      }
    }),
  );
  return counts;
}
