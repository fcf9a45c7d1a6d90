import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { setMaxListeners } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import type { LinktraceConfig } from '../../src/config.js';
import { planTurns } from '../../src/plan.js';
import type { Strategy } from '../../src/strategy/strategy.js';
import { SystemModel } from '../../src/system-model.js';
import { Coordinator } from '../coordinator/coordinator.js';
import { RunError, UsageError } from '../errors.js';
import { chooseNetwork, type NetworkChoice } from '../net/choose.js';
import type { Link, TcLink } from '../net/link.js';
import { PacedLink } from '../net/paced-link.js';
import { createTopology, type Topology } from '../net/topology.js';
import { deviceActor, Subjects, type ActorName } from '../protocol/subjects.js';
import { turnKey } from '../protocol/turn-key.js';
import { buildManifest, commandVersion, moduleFacts } from '../records/manifest.js';
import { RunFiles } from '../records/run-files.js';
import { keepTraces, type TraceRecords } from '../records/run-traces.js';
import { planSeq, reconcileTurns } from '../records/reconcile.js';
import { RunStore } from '../records/run-store.js';
import { summarizeRun, type RunSummary } from '../records/run-summary.js';
import type { TurnRecord } from '../records/turn-record.js';
import { Teardown } from '../teardown.js';
import { ActorPool } from './actor-pool.js';
import { calibrate, type Probe } from './calibrate.js';
import { calibrateTimeScale, impairmentsAt, payloadScaleBound, timeScaleBound, type ScaleFacts, type ScaleSetup } from './scale-choice.js';
import { ScaleMonitor, type ScaleChange } from './scale-monitor.js';
import { DEFAULT_MAX_TIME_SCALE } from '../../src/time-scale.js';
import { CrashSupervisor, type Restart } from './crash-supervisor.js';
import { openBus, type Bus } from './bus.js';
import { BusWatch } from './bus-watch.js';
import { retryOnOutage } from './turn-retry.js';
import { raiseHostLimits, type HostLimits } from './host-limits.js';
import { LocalPlacement, type Placement } from './placement.js';
import { newRunId } from './run-id.js';
import { RunHosts, type HostsOptions } from './run-hosts.js';
import { actorUser } from '../trust/run-user.js';
import { actorUids, type ActorUids } from '../trust/actor-uids.js';
import { markOwner } from '../trust/run-owner.js';
import type { ActorSettings } from './agent-fleet.js';
import { waitForQuietHost } from './quiet-host.js';
import { followTraces } from './trace-links.js';

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
/** Sequential mode: done turns the monitor judges together before it may change the time scale. */
const SEQUENTIAL_WINDOW = 5;
/** From this many devices on, the first turn waits for the host to be quiet (launcher/quiet-host.ts). */
const SETTLE_FROM_DEVICES = 50;

/** A run after `build`: its network, kernel limits, bus connections and records store. */
export interface BuiltRun {
  readonly network: NetworkChoice;
  /** tc mode with local devices only: the namespaces, veths and bridges. */
  readonly topology: Topology | undefined;
  /** tc mode with local devices only: the kernel limits raised for the run. */
  readonly limits: HostLimits | undefined;
  readonly bus: Bus;
  readonly nc: NatsConnection;
  readonly store: RunStore;
  readonly watch: BusWatch;
  /** Who the actors run as: each a uid of its own, never root (docs/trust.md); undefined when sledge is not root itself. */
  readonly runAs: ActorUids | undefined;
}

/** A run after `start`: its actor processes are up and have announced themselves. */
export interface StartedRun extends BuiltRun {
  readonly pool: ActorPool;
  readonly crashes: CrashSupervisor;
}

/** What summary.json says of the phases a run reached, filled in as each is reached. */
interface Reached {
  network: 'tc' | 'userspace';
  /** The system as it ran: an "auto" timeScale resolved before the first turn. */
  system: SystemModel;
  scale?: ScaleFacts;
  rejected: Record<string, Record<string, number>>;
  restarts: Restart[];
}

/**
 * One emulation run (docs/architecture.md §3), as Mininet's Net: `build` makes the network
 * (kernel links or userspace pacing), the bus (NATS, Redis) and the records and returns a
 * BuiltRun; `start` brings up the server and one process per device and returns a
 * StartedRun; `run` is the coordinator's round loop; `stop` undoes everything in reverse
 * order, once, on every path (success, failure or signal).
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
  private readonly hosts: RunHosts;
  private readonly reached: Reached;
  /** Wall seconds per stage, for summary.json and bench:scale. */
  readonly stages: Record<string, number> = {};
  private stageStart = performance.now();

  private stage(name: string): void {
    const now = performance.now();
    this.stages[name] = Number(((now - this.stageStart) / 1000).toFixed(3));
    this.stageStart = now;
  }

  constructor(
    system: SystemModel,
    readonly strategy: Strategy,
    private readonly opts: EmulationOptions,
  ) {
    this.requested = system;
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
    this.reached = { network: 'userspace', system, rejected: {}, restarts: [] };
  }

  get signal(): AbortSignal {
    return this.abort.signal;
  }

  private get config() {
    return this.reached.system.config;
  }

  fail(error: Error): void {
    this.abort.abort(error);
  }

  /** The network, the kernel limits, the bus and the run's records. */
  async build(): Promise<BuiltRun> {
    const { config } = this;
    const runUser = actorUser();
    // the server is actor 0, the devices 1..N in the config's order (trust/actor-uids.ts)
    const runAs = runUser && actorUids(runUser, this.runId, config.devices.length + 1);
    const tmp = await mkdtemp(join(tmpdir(), `sledge-${this.runId}-`));
    this.teardown.add('temp dir', () => rm(tmp, { recursive: true, force: true }));
    markOwner(tmp); // sledge net clean: this run is live while this process is
    const network = await chooseNetwork(config);
    this.reached.network = network.mode;
    this.status(`network: ${network.mode} (${network.reason})`);
    const localDevices = this.hosts.localDevices;
    let limits: HostLimits | undefined;
    let topology: Topology | undefined;
    if (network.mode === 'tc' && localDevices.length > 0) {
      const raised = raiseHostLimits(config.devices.length, join(tmp, 'host-limits.json'));
      limits = raised;
      this.teardown.add('host limits', () => raised.restore());
      const portsPerBridge = Number(process.env.SLEDGE_BRIDGE_PORTS) || undefined;
      const made = await createTopology({ runId: this.runId, deviceIds: localDevices, ...(portsPerBridge ? { portsPerBridge } : {}) });
      topology = made;
      this.teardown.add('network topology', () => made.destroy());
    }
    this.stage('network');
    // the bus may restart before the watch on it exists; it tells the watch once there is one
    let watch: BusWatch | undefined;
    const bus = await openBus({
      ...this.opts,
      runId: this.runId,
      tmp,
      host: topology?.hostAddress ?? '127.0.0.1',
      devices: config.devices.length,
      localDevices,
      slowestWallRateBps: slowestWallRate(this.reached.system, this.strategy),
      logDir: this.files.logs,
      redisDir: this.files.redisDir,
      teardown: this.teardown,
      onRestart: (e) => this.restarted(e, watch),
      onGiveUp: (line) => this.fail(new RunError(`${line}; finished turns are kept, continue with sledge resume ${this.files.dir}`)),
    });
    const busDownMs = config.emulation.busDownS * 1000;
    // Reconnects forever as far as the client goes: the bus deadline (BusWatch) decides when the run gives up.
    const nc = await connect({ servers: bus.natsUrl, ...bus.credentials('coordinator'), name: `sledge-${this.runId}-coordinator`, maxReconnectAttempts: -1, reconnectTimeWait: 250, reconnectJitter: 100 });
    this.teardown.add('coordinator NATS connection', () => nc.close());
    watch = new BusWatch(nc, busDownMs, this.status);
    const store = await RunStore.open(bus.redisUrl, this.runId, { deadlineMs: busDownMs });
    this.teardown.add('redis connection', () => store.close());
    if (this.opts.resume) await this.reconcile(store);
    this.teardown.add('agents', () => this.hosts.close());
    const built: BuiltRun = { network, topology, limits, bus, nc, store, watch, runAs };
    await this.hosts.open(nc, { runId: this.runId, mode: network.mode, actors: this.actorSettings(built), onLost: (e) => this.fail(e) });
    this.stage('bus');
    return built;
  }

  private restarted(e: { server: string; attempt: number; ok: boolean; error?: string }, watch: BusWatch | undefined): void {
    this.status(e.ok ? `${e.server} died: restarted on the same address (restart ${e.attempt})` : `${e.server} restart failed (${e.error}); trying again`);
    // devices behind a leaf node lose their messages without the coordinator's connection noticing
    if (e.server === 'nats-leaf') watch?.outage('the devices\' leaf node was restarted');
  }

  /** The finished turns of the run being resumed, once each in turns.csv and in the stream. */
  private async reconcile(store: RunStore): Promise<void> {
    const { config } = this;
    const r = await reconcileTurns(this.files, store, planSeq(config.devices.map((d) => d.id), config.rounds));
    this.records.push(...r.records);
    const repaired = [r.addedToCsv ? `${r.addedToCsv} turn(s) restored to turns.csv` : '', r.addedToStream ? `${r.addedToStream} to the Redis stream` : ''].filter(Boolean);
    this.status(`resuming run ${this.runId}: ${r.records.length} of ${config.rounds * config.devices.length} turns finished${repaired.length ? ` (${repaired.join(', ')})` : ''}`);
  }

  /** The edge server and one process per device, placed and started a few at a time. */
  async start(built: BuiltRun): Promise<StartedRun> {
    const { config } = this;
    const pool = new ActorPool(built.nc, this.subjects, {
      env: (actor) => this.actorEnv(built, actor),
      logFile: (actor) => this.files.log(actor),
      concurrency: START_CONCURRENCY,
      deadlineMs: config.emulation.controlTimeoutS * 1000,
      ...(this.opts.onStarting ? { onStarting: this.opts.onStarting } : {}),
      onUnexpectedExit: (_actor, how, log) => this.fail(new RunError(`${how}${this.turnsNote()}; see ${log}`)),
    });
    // teardown: the pool's children are expected to exit from here on, then stopped
    this.teardown.add('actor processes', () => pool.stop());
    const crashes = new CrashSupervisor(pool);
    this.reached.restarts = crashes.restarts;
    this.actors = pool;
    await pool.listen();
    const runAs = built.runAs;
    const index = new Map<ActorName, number>(config.devices.map((d, i) => [deviceActor(d.id), i + 1]));
    const local: Placement = new LocalPlacement(built.topology, runAs && ((actor) => runAs.of(actor === 'server' ? 0 : (index.get(actor) ?? -1))));
    const specs = [{ actor: 'server' as ActorName, placement: local }, ...config.devices.map((d) => ({ actor: deviceActor(d.id), placement: this.hosts.placement(d.id, local) }))];
    await pool.start(specs, this.signal);
    this.stage('actors');
    this.status(`${pool.children.size} actor processes ready in ${this.stages.actors} s`);
    if (config.devices.length >= SETTLE_FROM_DEVICES) {
      const waited = await waitForQuietHost({ signal: this.signal });
      this.stage('settle');
      this.status(`host quiet after ${waited.toFixed(1)} s`);
    }
    return { ...built, pool, crashes };
  }

  /** The actor processes once `start` made them; until then, none to expect exits of and nothing rejected. */
  private actors: Pick<ActorPool, 'rejected' | 'expectExits'> = { rejected: 0, expectExits: () => undefined };

  /** What every actor of the run is told alike, wherever it runs; an agent builds its devices' environment from it (docs/trust.md). */
  private actorSettings(built: BuiltRun): ActorSettings {
    const { emulation, seed } = this.config;
    const { delayMs, jitterMs, lossPct } = built.network.impairments.wall;
    return { workload: emulation.workload, seed, busDownS: emulation.busDownS, impairment: { delayMs, jitterMs, lossPct } };
  }

  private actorEnv(built: BuiltRun, actor: ActorName): NodeJS.ProcessEnv {
    const auth = built.bus.credentials(actor);
    return {
      PATH: process.env.PATH,
      SLEDGE_NATS_URL: actor === 'server' ? built.bus.natsUrl : built.bus.deviceNatsUrl,
      // its own bus user (docs/trust.md), or for the edge server on the user's NATS the user's token
      ...('user' in auth ? { SLEDGE_NATS_USER: auth.user, SLEDGE_NATS_PASSWORD: auth.pass } : 'token' in auth ? { SLEDGE_NATS_TOKEN: auth.token } : {}),
      SLEDGE_BUS_DOWN_S: String(this.config.emulation.busDownS),
      SLEDGE_RUN_ID: this.runId,
      SLEDGE_ACTOR: actor,
      SLEDGE_WORKLOAD: this.config.emulation.workload,
      SLEDGE_SEED: String(this.config.seed),
      SLEDGE_IMPAIRMENT: JSON.stringify(built.network.impairments.wall),
    };
  }

  private turnsNote(): string {
    const { config } = this;
    return this.records.length < config.devices.length * config.rounds ? ` after ${this.records.length} finished turns` : '';
  }

  /** The round loop; resolves when every turn is recorded, rejects when the run is aborted. */
  async run(started: StartedRun): Promise<void> {
    // the links this host's kernel shapes, by device: a trace-following run steps these (docs/linktrace.md)
    const kernelLinks = new Map<string, TcLink>();
    const localLink = (id: string): Link => {
      if (!started.topology) return new PacedLink(id);
      const link = started.topology.link(id);
      kernelLinks.set(id, link);
      return link;
    };
    const links = new Map<string, Link>(this.config.devices.map((d) => [d.id, this.hosts.link(d.id, () => localLink(d.id))]));
    const scale = await this.chooseTimeScale(started, links);
    const { system } = scale;
    const { config } = system;
    // a trace-following link steps along its trace during turns (docs/linktrace.md); the probe above ran on plain links
    const traced = system.linkTrace ? followTraces(system, links, kernelLinks, this.teardown) : undefined;
    const turnsTotal = config.rounds * config.devices.length;
    // Built once: it runs git and both servers' --version.
    const manifest = this.manifest(started, scale, traced, config.channel.model === 'linktrace' ? this.keptTraces(config.channel) : undefined);
    // a resumed run keeps the manifest it started with: createdAt, the git commit it began on
    if (!this.opts.resume) this.files.writeJson('manifest.json', manifest);
    await started.store.begin({ strategy: this.strategy.spec, turnsTotal, config, manifest, resumed: this.opts.resume !== undefined });
    const seqOf = planSeq(config.devices.map((d) => d.id), config.rounds);
    const monitor = this.monitor(turnsTotal, scale);
    const coordinator: Coordinator = new Coordinator(started.nc, this.subjects, system, this.strategy, traced?.links ?? links, {
      controlTimeoutMs: config.emulation.controlTimeoutS * 1000,
      impairments: scale.impairments,
      done: new Set(this.records.map(turnKey)),
      retry: retryOnOutage(started.watch, this.status),
      supervision: started.crashes,
      onError: (err) => this.fail(err),
      onTurnStart: (t, i) => this.opts.onProgress?.({ turnsDone: i, turnsTotal, round: t.round, device: t.device }),
      onTurn: async (record, done) => {
        const load = loadavg()[0] ?? NaN;
        record.hostLoad1m = Number(load.toFixed(2));
        this.records.push(record);
        this.files.appendTurn(record);
        await started.store.turn(record, done, seqOf(record)!);
        this.opts.onProgress?.({ turnsDone: done, turnsTotal, round: record.round, device: record.device });
        const change = monitor?.observe(record, done, load);
        if (change) this.rescale(coordinator, change, manifest, scale);
      },
    });
    await coordinator.run(this.signal);
    if (traced) writeFileSync(join(this.files.dir, 'linktrace.json'), `${JSON.stringify(traced.facts(), null, 2)}\n`);
    if (this.signal.aborted) throw this.signal.reason;
    this.stage('turns');
    this.reached.rejected = await started.pool.shutdown();
    this.stage('shutdown');
  }

  /** Time scale changes made while the run ran (launcher/scale-monitor.ts). */
  readonly scaleChanges: ScaleChange[] = [];
  private storedManifest: ReturnType<Emulation['manifest']> | undefined;
  /** The system as the config asked for it ("auto" unresolved): the bus was sized for it. */
  private readonly requested: SystemModel;

  /** "auto" runs are watched and their scale adapted (docs/fidelity.md); a fixed scale is the config's choice and only reported. */
  private monitor(turnsTotal: number, scale: ScaleSetup): ScaleMonitor | undefined {
    const { facts, system } = scale;
    if (facts.timeScale.requested !== 'auto') return undefined;
    // trace-following links step on the wall clock of the scale they started with: a run on them keeps its scale (docs/fidelity.md)
    if (system.linkTrace) return undefined;
    const { config } = system;
    const emulated = [...planTurns(system, this.strategy)].reduce((sum, t) => sum + t.delay.total, 0);
    return new ScaleMonitor({
      base: facts.timeScale.chosen,
      target: facts.target,
      wallBudgetS: config.emulation.wallBudgetS,
      // the bus's write deadline was set for this (build)
      maxTimeScale: Math.min(DEFAULT_MAX_TIME_SCALE, timeScaleBound(this.requested, this.strategy)),
      emulatedLeftS: (done) => emulated * Math.max(0, 1 - done / turnsTotal),
      overheadPerTurnS: facts.floor.overheadPerTurnS,
      turnsTotal,
      window: config.mode === 'parallel' ? config.devices.length : SEQUENTIAL_WINDOW,
      resolution: facts.floor.resolution,
      iterations: config.training.iterations,
    });
  }

  /** The coordinator's next turns at the new scale; the change and its reason said and kept in manifest.json. */
  private rescale(coordinator: Coordinator, change: ScaleChange, manifest: ReturnType<Emulation['manifest']>, scale: ScaleSetup): void {
    this.scaleChanges.push(change);
    this.status(`after ${change.afterTurns} turns: ${change.from === change.to ? `timeScale stays ${change.to}` : `timeScale ${change.from} → ${change.to}`} (${change.reason})`);
    if (change.to !== change.from) {
      const system = new SystemModel({ ...coordinator.current.config, emulation: { ...coordinator.current.config.emulation, timeScale: change.to } });
      coordinator.rescale(system, impairmentsAt(system, scale.facts.floor).impairments);
    }
    // a resumed run keeps the manifest it started with, and the changes made before it was interrupted
    this.storedManifest ??= this.opts.resume ? (JSON.parse(readFileSync(join(this.files.dir, 'manifest.json'), 'utf8')) as typeof manifest) : manifest;
    const stored = this.storedManifest;
    const before = (stored.fidelity as { changes?: ScaleChange[] } | null)?.changes ?? [];
    this.files.writeJson('manifest.json', { ...stored, fidelity: stored.fidelity ? { ...stored.fidelity, changes: [...before, ...this.scaleChanges] } : null });
  }

  /** The floor, calibrated through the real actors and links, and the time scale it allows (launcher/scale-choice.ts). */
  private async chooseTimeScale(started: StartedRun, links: ReadonlyMap<string, Link>): Promise<ScaleSetup> {
    const controlTimeoutMs = this.config.emulation.controlTimeoutS * 1000;
    // parallel: the floor under the run's own concurrency, every device of a round in flight at once (docs/fidelity.md)
    const concurrency = this.config.mode === 'parallel' ? this.config.devices.length : 1;
    const measure = (probe: Probe) => calibrate({ nc: started.nc, subjects: this.subjects, links, controlTimeoutMs, signal: this.signal, probe, concurrency });
    const scale = await calibrateTimeScale(this.reached.system, this.strategy, started.network.mode, measure);
    this.reached.system = scale.system;
    this.reached.scale = scale.facts;
    for (const line of scale.lines) this.status(line);
    return scale;
  }

  /**
   * A linktrace run's trace files, copied into its directory before the manifest that
   * records them is written, so that it resumes wherever the directory goes
   * (records/run-traces.ts); a resumed run keeps the copies its manifest records, which
   * launcher/resume.ts checked before it started.
   */
  private keptTraces(channel: LinktraceConfig): TraceRecords | undefined {
    if (!this.opts.resume) return keepTraces(this.files.dir, channel);
    return (JSON.parse(readFileSync(join(this.files.dir, 'manifest.json'), 'utf8')) as { linktrace?: { traces?: TraceRecords } }).linktrace?.traces;
  }

  private manifest(started: StartedRun, scale: ScaleSetup, traced: ReturnType<typeof followTraces> | undefined, traces: TraceRecords | undefined) {
    const { config } = scale.system;
    return {
      ...buildManifest({
        runId: this.runId,
        config,
        strategy: this.strategy.spec,
        strategyModule: moduleFacts(this.strategy),
        network: started.network,
        servers: { natsServer: commandVersion('nats-server', ['--version']), redisServer: commandVersion('redis-server', ['--version']) },
      }),
      scale: {
        actors: config.devices.length + 1,
        startConcurrency: START_CONCURRENCY,
        bridges: started.topology?.bridges ?? [],
        hostLimits: started.limits?.changes ?? [],
        bus: started.bus.limits,
      },
      fidelity: scale.facts,
      ...(traced ? { linktrace: { ...(({ stepS, stepWallMs, mode }) => ({ stepS, stepWallMs, mode }))(traced.facts()), ...(traces ? { traces } : {}) } } : {}),
      ...this.hosts.manifest(),
    };
  }

  /** Undoes everything, once however often it is called; returns what could not be undone, one line each. */
  async stop(): Promise<string[]> {
    this.actors.expectExits();
    this.stageStart = performance.now();
    const failures = await this.teardown.run();
    this.stage('teardown');
    return failures;
  }

  summary(state: RunResult['status'], error?: Error): RunSummary {
    const { system, network, scale, restarts } = this.reached;
    const poolRejected = this.actors.rejected;
    const rejected = { ...this.reached.rejected, ...(poolRejected ? { launcher: { 'ready/not-an-actor': poolRejected } } : {}) };
    return summarizeRun({ runId: this.runId, strategy: this.strategy.spec, status: state, config: system.config, records: this.records, network, wallSeconds: (performance.now() - this.started) / 1000, stages: this.stages, rejected, error: error?.message, restarts, scale, scaleChanges: this.scaleChanges });
  }

  /** summary.json is written before the teardown; its time is added once it is known. */
  recordTeardown(): void {
    if (this.lastSummary) this.files.writeJson('summary.json', { ...this.lastSummary, stages: this.stages });
  }

  private lastSummary: RunSummary | undefined;

  async end(state: RunResult['status'], store: RunStore | undefined, error?: Error): Promise<RunResult> {
    const summary = this.summary(state, error);
    this.lastSummary = summary;
    this.files.writeJson('summary.json', summary);
    await store?.end(state, summary).catch(() => undefined);
    return { runId: this.runId, dir: this.files.dir, status: state, ...(error ? { error } : {}), records: this.records, summary };
  }
}


/** The slowest rate any transfer of the run gets, in wall bit/s (rates × payloadScale / timeScale). */
function slowestWallRate(system: SystemModel, strategy: Strategy): number {
  const turns = [...planTurns(system, strategy)];
  let slowest = Infinity;
  for (const t of turns) slowest = Math.min(slowest, t.rateUpBps, t.rateDownBps);
  return (slowest * payloadScaleBound(system, strategy, turns)) / timeScaleBound(system, strategy, turns);
}

/** Builds, starts, runs and stops one emulation; finished turns are kept on every path. */
export async function runEmulation(system: SystemModel, strategy: Strategy, opts: EmulationOptions): Promise<RunResult> {
  const emulation = new Emulation(system, strategy, opts);
  const onExternalAbort = () => emulation.fail(new RunError('interrupted'));
  opts.signal.addEventListener('abort', onExternalAbort, { once: true });
  if (opts.signal.aborted) onExternalAbort();
  let built: BuiltRun | undefined;
  let usage: UsageError | undefined;
  try {
    built = await emulation.build();
    await emulation.run(await emulation.start(built));
    return await emulation.end('finished', built.store);
  } catch (err) {
    // a missing nats-server, tc where tc cannot work: bad input (exit 2), not a run that failed
    if (err instanceof UsageError) usage = err;
    else {
      const interrupted = opts.signal.aborted;
      const error = err instanceof Error ? err : new Error(String(err));
      return await emulation.end(interrupted ? 'interrupted' : 'failed', built?.store, interrupted ? undefined : error);
    }
  } finally {
    opts.signal.removeEventListener('abort', onExternalAbort);
    for (const f of await emulation.stop()) opts.onStatus?.(`cleanup: ${f}`);
    if (usage && emulation.madeDir) await rm(emulation.files.dir, { recursive: true, force: true });
    else emulation.recordTeardown();
  }
  throw usage;
}
