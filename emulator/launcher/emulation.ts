import { existsSync, writeFileSync } from 'node:fs';
import { setMaxListeners } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { planTurns } from '../../src/plan.js';
import type { Strategy } from '../../src/strategy/strategy.js';
import type { SystemModel } from '../../src/system-model.js';
import { Coordinator } from '../coordinator/coordinator.js';
import { RunError, UsageError } from '../errors.js';
import { chooseNetwork, type NetworkChoice } from '../net/choose.js';
import type { Link } from '../net/link.js';
import { PacedLink } from '../net/paced-link.js';
import { createTopology, type Topology } from '../net/topology.js';
import { deviceActor, Subjects, type ActorName } from '../protocol/subjects.js';
import { turnKey } from '../protocol/turn-key.js';
import { buildManifest, commandVersion } from '../records/manifest.js';
import { RunFiles } from '../records/run-files.js';
import { planSeq, reconcileTurns } from '../records/reconcile.js';
import { RunStore } from '../records/run-store.js';
import { summarizeRun, type RunSummary } from '../records/run-summary.js';
import type { TurnRecord } from '../records/turn-record.js';
import { Teardown } from '../teardown.js';
import { ActorPool } from './actor-pool.js';
import { calibrate, type Probe } from './calibrate.js';
import { calibrateAndSettle, timeScaleBound, type ScaleSetup } from './scale-choice.js';
import { CrashSupervisor } from './faults.js';
import { openBus, type Bus } from './bus.js';
import { BusWatch } from './bus-watch.js';
import { retryOnOutage } from './turn-retry.js';
import { raiseHostLimits, type HostLimits } from './host-limits.js';
import { LocalPlacement, type Placement } from './placement.js';
import { newRunId } from './run-id.js';
import { RunHosts, type HostsOptions } from './run-hosts.js';
import { settleHost } from './settle.js';
import { followTraces, type SteppingFacts } from './trace-links.js';

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
  /** The user's leafnodes listener (NATS_LEAF_URL), for devices in tc mode. */
  natsLeafUrl?: string;
  redisUrl?: string;
  /** Continue this run (sledge resume): same id and directory, its finished turns kept. */
  resume?: { runId: string; dir: string };
  /** Aborting it (SIGINT, SIGTERM) stops the run; finished turns are kept. */
  signal: AbortSignal;
  onProgress?: (p: Progress) => void;
  /** Actor start-up: `ready` of `total` processes have announced themselves. */
  onStarting?: (ready: number, total: number) => void;
  onStatus?: (line: string) => void;
  /** `--agents`: devices on other hosts (docs/architecture.md §10). */
  agents?: HostsOptions;
}

export interface RunResult {
  runId: string;
  dir: string;
  status: 'finished' | 'interrupted' | 'failed';
  error?: Error;
  records: TurnRecord[];
  summary: RunSummary;
}

/** Actors started and not yet ready at once: start-up is CPU-bound, a few per core keep both busy. */
const START_CONCURRENCY = 16;
/** From this many devices on, the first turn waits for the host to be quiet (launcher/settle.ts). */
const SETTLE_FROM_DEVICES = 50;

/**
 * One emulation run (docs/architecture.md), as Mininet's Net: `build` makes the network (kernel
 * links or userspace pacing), the bus (NATS, Redis) and the records; `start` brings up
 * the server and one process per device; `run` is the coordinator's round loop; `stop`
 * undoes everything in reverse order, on every path (success, failure or signal).
 */
export class Emulation {
  readonly runId: string;
  readonly files: RunFiles;
  /** Whether this run made its directory: a usage error found while building removes it again. */
  readonly madeDir: boolean;
  readonly records: TurnRecord[] = [];
  private readonly subjects: Subjects;
  private readonly teardown = new Teardown();
  private readonly abort = new AbortController();
  private readonly started = performance.now();
  private readonly status: (line: string) => void;
  private network: NetworkChoice | undefined;
  private topology: Topology | undefined;
  private traceFacts: (() => SteppingFacts) | undefined;
  private limits: HostLimits | undefined;
  private bus: Bus | undefined;
  private nc: NatsConnection | undefined;
  private store: RunStore | undefined;
  private watch: BusWatch | undefined;
  private pool: ActorPool | undefined;
  private rejected: Record<string, Record<string, number>> = {};
  private scale: ScaleSetup | undefined;
  private readonly hosts: RunHosts;
  private crashes: CrashSupervisor | undefined;
  /** Wall seconds per stage, for summary.json and bench:scale. */
  readonly stages: Record<string, number> = {};
  private stageStart = performance.now();

  private stage(name: string): void {
    const now = performance.now();
    this.stages[name] = Number(((now - this.stageStart) / 1000).toFixed(3));
    this.stageStart = now;
  }

  constructor(
    /** Replaced once timeScale is settled (an "auto" one is chosen before the first turn). */
    public system: SystemModel,
    readonly strategy: Strategy,
    private readonly opts: EmulationOptions,
  ) {
    this.runId = opts.resume?.runId ?? newRunId();
    const dir = opts.resume?.dir ?? opts.outDir ?? join('runs', this.runId);
    this.madeDir = !existsSync(dir);
    this.files = new RunFiles(dir, { existing: opts.resume !== undefined });
    this.subjects = new Subjects(this.runId);
    // Every actor starting, every parallel turn and every request waits on this one signal:
    // hundreds of listeners are the design, not a leak.
    setMaxListeners(0, this.abort.signal);
    this.status = opts.onStatus ?? (() => undefined);
    this.hosts = new RunHosts(system.config.devices, opts.agents);
  }

  get signal(): AbortSignal {
    return this.abort.signal;
  }

  fail(error: Error): void {
    this.abort.abort(error);
  }

  /** The network, the kernel limits, the bus and the run's records. */
  async build(): Promise<void> {
    const { config } = this.system;
    const tmp = await mkdtemp(join(tmpdir(), `sledge-${this.runId}-`));
    this.teardown.add('temp dir', () => rm(tmp, { recursive: true, force: true }));
    this.network = await chooseNetwork(config);
    this.status(`network: ${this.network.mode} (${this.network.reason})`);
    const localDevices = this.hosts.localDevices;
    if (this.network.mode === 'tc' && localDevices.length > 0) {
      this.limits = raiseHostLimits(config.devices.length, join(tmp, 'host-limits.json'));
      this.teardown.add('host limits', () => this.limits!.restore());
      const portsPerBridge = Number(process.env.SLEDGE_BRIDGE_PORTS) || undefined;
      this.topology = await createTopology({ runId: this.runId, deviceIds: localDevices, ...(portsPerBridge ? { portsPerBridge } : {}) });
      this.teardown.add('network topology', () => this.topology!.destroy());
    }
    this.stage('network');
    this.bus = await openBus({
      ...this.opts,
      runId: this.runId,
      tmp,
      host: this.topology?.hostAddress ?? '127.0.0.1',
      devices: config.devices.length,
      slowestWallRateBps: slowestWallRate(this.system, this.strategy),
      logDir: this.files.logs,
      redisDir: this.files.redisDir,
      teardown: this.teardown,
      onRestart: (e) => this.restarted(e),
      onGiveUp: (line) => this.fail(new RunError(`${line}; finished turns are kept, continue with sledge resume ${this.files.dir}`)),
    });
    const busDownMs = config.emulation.busDownS * 1000;
    // Reconnects forever as far as the client goes: the bus deadline (BusWatch) decides when the run gives up.
    this.nc = await connect({ servers: this.bus.natsUrl, ...(this.bus.natsToken ? { token: this.bus.natsToken } : {}), name: `sledge-${this.runId}-coordinator`, maxReconnectAttempts: -1, reconnectTimeWait: 250, reconnectJitter: 100 });
    this.teardown.add('coordinator NATS connection', () => this.nc!.close());
    this.watch = new BusWatch(this.nc, busDownMs, this.status);
    this.store = await RunStore.open(this.bus.redisUrl, this.runId, { deadlineMs: busDownMs });
    this.teardown.add('redis connection', () => this.store!.close());
    if (this.opts.resume) await this.reconcile();
    this.teardown.add('agents', () => this.hosts.close());
    await this.hosts.open(this.nc, { runId: this.runId, mode: this.network.mode, ...(this.bus.natsToken ? { token: this.bus.natsToken } : {}), env: sharedEnv(this.actorEnv('server')), onLost: (e) => this.fail(e) });
    this.stage('bus');
  }

  private restarted(e: { server: string; attempt: number; ok: boolean; error?: string }): void {
    this.status(e.ok ? `${e.server} died: restarted on the same address (restart ${e.attempt})` : `${e.server} restart failed (${e.error}); trying again`);
    // devices behind a leaf node lose their messages without the coordinator's connection noticing
    if (e.server === 'nats-leaf') this.watch?.outage('the devices\' leaf node was restarted');
  }

  /** The finished turns of the run being resumed, once each in turns.csv and in the stream. */
  private async reconcile(): Promise<void> {
    const { config } = this.system;
    const r = await reconcileTurns(this.files, this.store!, planSeq(config.devices.map((d) => d.id), config.rounds));
    this.records.push(...r.records);
    const repaired = [r.addedToCsv ? `${r.addedToCsv} turn(s) restored to turns.csv` : '', r.addedToStream ? `${r.addedToStream} to the Redis stream` : ''].filter(Boolean);
    this.status(`resuming run ${this.runId}: ${r.records.length} of ${config.rounds * config.devices.length} turns finished${repaired.length ? ` (${repaired.join(', ')})` : ''}`);
  }

  /** The edge server and one process per device, placed and started a few at a time. */
  async start(): Promise<void> {
    const { config } = this.system;
    const pool = new ActorPool(this.nc!, this.subjects, {
      env: (actor) => this.actorEnv(actor),
      logFile: (actor) => this.files.log(actor),
      concurrency: START_CONCURRENCY,
      deadlineMs: config.emulation.controlTimeoutS * 1000,
      ...(this.opts.onStarting ? { onStarting: this.opts.onStarting } : {}),
      onUnexpectedExit: (_actor, how, log) => this.fail(new RunError(`${how}${this.turnsNote()}; see ${log}`)),
    });
    this.pool = pool;
    this.teardown.add('actor processes', () => pool.stop());
    await pool.listen();
    const local: Placement = new LocalPlacement(this.topology);
    const specs = [{ actor: 'server' as ActorName, placement: local }, ...config.devices.map((d) => ({ actor: deviceActor(d.id), placement: this.hosts.placement(d.id, local) }))];
    await pool.start(specs, this.signal);
    this.stage('actors');
    this.status(`${pool.children.size} actor processes ready in ${this.stages.actors} s`);
    if (config.devices.length >= SETTLE_FROM_DEVICES) {
      const waited = await settleHost({ signal: this.signal });
      this.stage('settle');
      this.status(`host quiet after ${waited.toFixed(1)} s`);
    }
  }

  private actorEnv(actor: ActorName): NodeJS.ProcessEnv {
    return {
      PATH: process.env.PATH,
      SLEDGE_NATS_URL: actor === 'server' ? this.bus!.natsUrl : this.bus!.deviceNatsUrl,
      SLEDGE_NATS_TOKEN: (actor === 'server' ? this.bus!.natsToken : this.bus!.deviceNatsToken) ?? '',
      SLEDGE_BUS_DOWN_S: String(this.system.config.emulation.busDownS),
      SLEDGE_RUN_ID: this.runId,
      SLEDGE_ACTOR: actor,
      SLEDGE_WORKLOAD: this.system.config.emulation.workload,
      SLEDGE_SEED: String(this.system.config.seed),
      SLEDGE_IMPAIRMENT: JSON.stringify(this.network!.impairments.wall),
    };
  }

  private turnsNote(): string {
    const { config } = this.system;
    return this.records.length < config.devices.length * config.rounds ? ` after ${this.records.length} finished turns` : '';
  }

  /** The round loop; resolves when every turn is recorded, rejects when the run is aborted. */
  async run(): Promise<void> {
    const links = new Map<string, Link>(this.system.config.devices.map((d) => [d.id, this.hosts.link(d.id, () => (this.topology ? this.topology.link(d.id) : new PacedLink(d.id)))]));
    const { impairments } = await this.settleScale(links);
    // a trace-following link steps along its trace during turns (docs/linktrace.md); the probe above ran on plain links
    const traced = this.system.linkTrace ? followTraces(this.system, links, this.teardown) : undefined;
    this.traceFacts = traced?.facts;
    const { config } = this.system;
    const turnsTotal = config.rounds * config.devices.length;
    // Built once: it runs git and both servers' --version.
    const manifest = this.manifest();
    // a resumed run keeps the manifest it started with: createdAt, the git commit it began on
    if (!this.opts.resume) this.files.writeJson('manifest.json', manifest);
    await this.store!.begin({ strategy: this.strategy.spec, turnsTotal, config, manifest, resumed: this.opts.resume !== undefined });
    this.crashes = new CrashSupervisor(this.pool!);
    const seqOf = planSeq(config.devices.map((d) => d.id), config.rounds);
    const coordinator = new Coordinator(this.nc!, this.subjects, this.system, this.strategy, traced?.links ?? links, {
      controlTimeoutMs: config.emulation.controlTimeoutS * 1000,
      impairments,
      done: new Set(this.records.map(turnKey)),
      retry: retryOnOutage(this.watch!, this.status),
      supervision: this.crashes,
      onError: (err) => this.fail(err),
      onTurnStart: (t, i) => this.opts.onProgress?.({ turnsDone: i, turnsTotal, round: t.round, device: t.device }),
      onTurn: async (record, done) => {
        this.records.push(record);
        this.files.appendTurn(record);
        await this.store!.turn(record, done, seqOf(record)!);
        this.opts.onProgress?.({ turnsDone: done, turnsTotal, round: record.round, device: record.device });
      },
    });
    await coordinator.run(this.signal);
    if (traced) writeFileSync(join(this.files.dir, 'linktrace.json'), `${JSON.stringify(traced.facts(), null, 2)}\n`);
    if (this.signal.aborted) throw this.signal.reason;
    this.stage('turns');
    this.rejected = await this.pool!.shutdown();
    this.stage('shutdown');
  }

  /** The floor, calibrated through the real actors and links, and the time scale it allows (launcher/scale-choice.ts). */
  private async settleScale(links: ReadonlyMap<string, Link>): Promise<ScaleSetup> {
    const controlTimeoutMs = this.system.config.emulation.controlTimeoutS * 1000;
    const measure = (probe: Probe) => calibrate({ nc: this.nc!, subjects: this.subjects, links, controlTimeoutMs, signal: this.signal, probe });
    this.scale = await calibrateAndSettle(this.system, this.strategy, this.network!.mode, measure);
    this.system = this.scale.system;
    for (const line of this.scale.lines) this.status(line);
    return this.scale;
  }

  private manifest() {
    return {
      ...buildManifest({
        runId: this.runId,
        config: this.system.config,
        strategy: this.strategy.spec,
        network: this.network!,
        servers: { natsServer: commandVersion('nats-server', ['--version']), redisServer: commandVersion('redis-server', ['--version']) },
      }),
      scale: {
        actors: this.system.config.devices.length + 1,
        startConcurrency: START_CONCURRENCY,
        bridges: this.topology?.bridges ?? [],
        hostLimits: this.limits?.changes ?? [],
        bus: this.bus?.limits ?? {},
      },
      fidelity: this.scale?.facts ?? null,
      ...(this.traceFacts ? { linktrace: (({ stepS, stepWallMs, mode }) => ({ stepS, stepWallMs, mode }))(this.traceFacts()) } : {}),
      ...this.hosts.manifest(),
    };
  }

  /** Undoes everything; returns what could not be undone, one line each. */
  async stop(): Promise<string[]> {
    this.pool?.expectExits();
    this.stageStart = performance.now();
    const failures = await this.teardown.run();
    this.stage('teardown');
    return failures;
  }

  summary(state: RunResult['status'], error?: Error): RunSummary {
    const { config } = this.system;
    const rejected = { ...this.rejected, ...(this.pool?.rejected ? { launcher: { 'ready/not-an-actor': this.pool.rejected } } : {}) };
    return summarizeRun({ runId: this.runId, strategy: this.strategy.spec, status: state, config, records: this.records, network: this.network?.mode ?? 'userspace', wallSeconds: (performance.now() - this.started) / 1000, stages: this.stages, rejected, error: error?.message, restarts: this.crashes?.restarts ?? [], scale: this.scale?.facts });
  }

  /** summary.json is written before the teardown; its time is added once it is known. */
  recordTeardown(): void {
    if (this.lastSummary) this.files.writeJson('summary.json', { ...this.lastSummary, stages: this.stages });
  }

  private lastSummary: RunSummary | undefined;

  async end(state: RunResult['status'], error?: Error): Promise<RunResult> {
    const summary = this.summary(state, error);
    this.lastSummary = summary;
    this.files.writeJson('summary.json', summary);
    await this.store?.end(state, summary).catch(() => undefined);
    return { runId: this.runId, dir: this.files.dir, status: state, ...(error ? { error } : {}), records: this.records, summary };
  }
}

/** What every actor of the run is told alike, wherever it runs. */
function sharedEnv(env: NodeJS.ProcessEnv): Record<string, string> {
  const keys = ['SLEDGE_WORKLOAD', 'SLEDGE_SEED', 'SLEDGE_IMPAIRMENT', 'SLEDGE_BUS_DOWN_S'] as const;
  return Object.fromEntries(keys.map((k) => [k, env[k] ?? '']));
}

/** The slowest rate any transfer of the run gets, in wall bit/s (rates × payloadScale / timeScale). */
function slowestWallRate(system: SystemModel, strategy: Strategy): number {
  const turns = [...planTurns(system, strategy)];
  let slowest = Infinity;
  for (const t of turns) slowest = Math.min(slowest, t.rateUpBps, t.rateDownBps);
  return (slowest * system.config.emulation.payloadScale) / timeScaleBound(system, strategy, turns);
}

/** Builds, starts, runs and stops one emulation; finished turns are kept on every path. */
export async function runEmulation(system: SystemModel, strategy: Strategy, opts: EmulationOptions): Promise<RunResult> {
  const emulation = new Emulation(system, strategy, opts);
  const onExternalAbort = () => emulation.fail(new RunError('interrupted'));
  opts.signal.addEventListener('abort', onExternalAbort, { once: true });
  if (opts.signal.aborted) onExternalAbort();
  try {
    await emulation.build();
    await emulation.start();
    await emulation.run();
    return await emulation.end('finished');
  } catch (err) {
    if (err instanceof UsageError) {
      // a missing nats-server, tc where tc cannot work: bad input (exit 2), not a run that failed
      for (const f of await emulation.stop()) opts.onStatus?.(`cleanup: ${f}`);
      if (emulation.madeDir) await rm(emulation.files.dir, { recursive: true, force: true });
      throw err;
    }
    const interrupted = opts.signal.aborted;
    const error = err instanceof Error ? err : new Error(String(err));
    return await emulation.end(interrupted ? 'interrupted' : 'failed', interrupted ? undefined : error);
  } finally {
    opts.signal.removeEventListener('abort', onExternalAbort);
    for (const f of await emulation.stop()) opts.onStatus?.(`cleanup: ${f}`);
    emulation.recordTeardown();
  }
}
