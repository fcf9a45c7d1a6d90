import { mkdirSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { NatsConnection } from '@nats-io/transport-node';
import { actorCommand } from '../launcher/actor-command.js';
import { checkLeaf } from '../launcher/leaf.js';
import { cleanNet } from '../net/clean.js';
import { agentRunPrefix } from '../net/names.js';
import { createTopology, type Topology } from '../net/topology.js';
import { spawnManaged, type ManagedChild } from '../servers/child.js';
import { startNats } from '../servers/nats-server.js';
import { Teardown } from '../teardown.js';
import type { RunUser } from '../trust/run-user.js';
import { actorUids, type ActorUids } from '../trust/actor-uids.js';
import { markOwner } from '../trust/run-owner.js';
import { actorBusUser, leafCheckBusUser, type NatsUser } from '../trust/bus-users.js';
import { deviceActor } from '../protocol/subjects.js';
import { agentExits, toBytes, type ExitReport, type OpenRun, type OutageRequest } from './protocol.js';

export type { RunUser };

/** The actors' PATH: system directories only, not whatever the agent was started with. */
const SAFE_PATH = '/usr/local/bin:/usr/bin:/bin';

export interface AgentRunOptions {
  name: string;
  nc: NatsConnection;
  /** The upstream's leafnode URL the run's leaf node connects to. */
  leafUrl: string;
  clockSkewMs: number;
  /** The agent's own 0700 log directory; each run logs in <logRoot>/<runId>/. */
  logRoot: string;
  /** The run user: the devices run each as a uid of its own, in its group (docs/trust.md). */
  runUser?: RunUser;
}

/**
 * One run's devices on this host (docs/architecture.md §10): their namespaces behind this agent's own
 * bridge (tc mode), a leaf nats-server on the bridge address with the run's credentials
 * through which they reach the bus, and the processes themselves. Everything is undone in
 * reverse order by `close`, whichever way the run ends.
 */
export class AgentRun {
  readonly prefix: string;
  readonly logDir: string;
  private readonly teardown = new Teardown();
  private readonly children = new Map<string, ManagedChild>();
  /** Each device's number in this agent's block of uids (trust/actor-uids.ts): 1..n in the order `open` named them. */
  private readonly devices: ReadonlyMap<string, number>;
  /** Who the devices run as; undefined when the agent is not root. */
  private readonly uids: ActorUids | undefined;
  private topology: Topology | undefined;
  private natsUrl = '';
  /** Each device's user on this run's leaf node, made here: nothing of the user's bus reaches them. */
  private readonly users = new Map<string, NatsUser>();
  private closing: Promise<string[]> | undefined;
  lastPing = Date.now();
  /** What an earlier agent of this name left of the run here and `open` removed, for the agent's log. */
  leftovers: string[] = [];

  constructor(
    readonly spec: OpenRun,
    private readonly o: AgentRunOptions,
  ) {
    // Its own names: on one machine (the tests) the launcher's prefix is taken already.
    this.prefix = agentRunPrefix(spec.runId, o.name);
    this.logDir = join(o.logRoot, spec.runId);
    this.devices = new Map(spec.devices.map((d, i) => [d, i + 1]));
    // the agent's own block, keyed like its names: another agent's or the launcher's on this host is another
    this.uids = o.runUser && actorUids(o.runUser, `${spec.runId}@${o.name}`, spec.devices.length + 1);
  }

  hasDevice(device: string): boolean {
    return this.devices.has(device);
  }

  /** Once spawned, an actor is never spawned again in this run, even after it exited: a crashed device is the run's failure to report, not a slot to refill. */
  spawned(actor: string): boolean {
    return this.children.has(actor);
  }

  async open(): Promise<void> {
    const { spec } = this;
    mkdirSync(this.logDir, { recursive: true, mode: 0o700 });
    await this.removeLeftovers();
    // `sledge-<runId>@<name>-…`: `sledge net clean` finds it (and its leaf server) by the agent's prefix.
    const tmp = await mkdtemp(join(tmpdir(), `sledge-${spec.runId}@${this.o.name}-`));
    this.teardown.add('temp dir', () => rm(tmp, { recursive: true, force: true }));
    markOwner(tmp); // sledge net clean spares the run while this agent lives
    if (spec.mode === 'tc') {
      this.topology = await createTopology({ runId: spec.runId, prefix: this.prefix, deviceIds: spec.devices });
      this.teardown.add('network topology', async () => {
        const r = await this.topology!.destroy();
        if (r.errors.length) throw new Error(r.errors.join('; '));
      });
    }
    // the devices' own users on this leaf (docs/trust.md), made here: the launcher sends no credential
    for (const d of spec.devices) this.users.set(d, actorBusUser(spec.runId, deviceActor(d)));
    const check = leafCheckBusUser();
    const leaf = await startNats({
      users: [check, ...this.users.values()],
      dir: join(tmp, 'nats'),
      host: this.topology?.hostAddress ?? '127.0.0.1',
      runId: spec.runId,
      name: `sledge-${spec.runId}-${this.o.name}`,
      clients: spec.devices.length + 2,
      logFile: join(this.logDir, 'nats-leaf.log'),
      leafRemote: this.o.leafUrl,
    });
    this.teardown.add('leaf nats-server', () => leaf.stop());
    // As the launcher checks its own: a leaf that cannot join the bus is one line, before any actor starts.
    await checkLeaf(this.o.nc, { url: leaf.url, auth: { user: check.user, pass: check.password }, logFile: join(this.logDir, 'nats-leaf.log') }, this.o.leafUrl);
    this.natsUrl = leaf.url;
  }

  /**
   * An agent killed mid-run leaves the run's namespaces, bridge and leaf server behind, all
   * named by this same prefix; `sledge resume` reopens the run with the same id, and those
   * names would collide (and the stale leaf would still hold the run's bus). They are ours to
   * remove: the prefix is derived from this run and this agent's name only.
   */
  private async removeLeftovers(): Promise<void> {
    try {
      const r = await cleanNet({ runPrefix: this.prefix });
      const removed = [...r.namespaces.map((n) => `namespace ${n}`), ...r.links.map((l) => `link ${l}`), ...r.processes.map((p) => `pid ${p}`), ...r.dirs];
      this.leftovers = [...removed, ...r.errors.map((e) => `not removed: ${e}`)];
    } catch (err) {
      // without `ip` (userspace hosts) there are no namespaces to collide with
      this.leftovers = [`not checked: ${err instanceof Error ? err.message : String(err)}`];
    }
  }

  spawn(actor: string): number | undefined {
    const device = actor.slice('device.'.length);
    const cmd = actorCommand(actor, this.uids?.of(this.devices.get(device) ?? -1));
    const argv = this.topology ? this.topology.execArgv(device, cmd) : cmd;
    const { spec } = this;
    // Built here from typed, checked fields (agent/protocol.ts), never copied from a request:
    // a NODE_OPTIONS or LD_PRELOAD has no way in.
    const env: NodeJS.ProcessEnv = {
      PATH: SAFE_PATH,
      SLEDGE_NATS_URL: this.natsUrl,
      SLEDGE_NATS_USER: this.users.get(device)!.user,
      SLEDGE_NATS_PASSWORD: this.users.get(device)!.password,
      SLEDGE_RUN_ID: spec.runId,
      SLEDGE_ACTOR: actor,
      SLEDGE_WORKLOAD: spec.workload,
      SLEDGE_SEED: String(spec.seed),
      SLEDGE_BUS_DOWN_S: String(spec.busDownS),
      ...(spec.impairment ? { SLEDGE_IMPAIRMENT: JSON.stringify({ delayMs: spec.impairment.delayMs, jitterMs: spec.impairment.jitterMs, lossPct: spec.impairment.lossPct }) } : {}),
      SLEDGE_CLOCK_SKEW_MS: String(this.o.clockSkewMs),
      SLEDGE_CLOCK_OFFSET_MS: String(spec.offsetMs),
    };
    const child = spawnManaged(actor, argv[0]!, argv.slice(1), join(this.logDir, `${actor}.log`), { env, lifeline: true });
    this.children.set(actor, child);
    void child.exited.then(({ code, signal, spawnError }) => {
      if (this.closing || this.children.get(actor) !== child) return;
      const report: ExitReport = { actor, code: spawnError ? 127 : code, signal };
      if (!this.o.nc.isClosed()) this.o.nc.publish(agentExits(this.spec.runId, this.o.name), toBytes(report));
    });
    return child.pid;
  }

  async stop(actor: string): Promise<void> {
    await this.children.get(actor)?.stop();
  }

  async setRates(device: string, upBps: number, downBps: number): Promise<void> {
    if (this.topology) await this.topology.link(device).setRates(upBps, downBps);
  }

  /** The kernel holds an outage here, where the device's veth pair is, as a local run's TcLink does. */
  async outage(req: OutageRequest): Promise<void> {
    if (!this.topology) throw new Error(`run ${this.spec.runId}: outages need tc links, this run is in userspace mode`);
    const link = this.topology.link(req.device);
    if (req.op === 'prepare') await link.prepareOutages();
    else if (req.op === 'hold') await link.hold(req.direction!, req.wallS!);
    else await link.release(req.direction!);
  }

  /** Idempotent; resolves with what could not be undone. */
  close(): Promise<string[]> {
    this.closing ??= (async () => {
      await Promise.all([...this.children.values()].map((c) => c.stop()));
      return this.teardown.run();
    })();
    return this.closing;
  }
}
