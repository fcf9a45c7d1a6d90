import type { NatsConnection, Subscription } from '@nats-io/transport-node';
import { listAgents } from '../agent/list.js';
import { agentExits, fromBytes, LOCAL, type AgentFacts, type ExitReport } from '../agent/protocol.js';
import { RunError, UsageError } from '../errors.js';
import { sledgeVersion } from '../records/manifest.js';
import { AgentLink } from './agent-link.js';
import { AgentPlacement } from './agent-placement.js';
import { measureOffset, type ClockOffset } from './clock-offset.js';
import type { RequestSigner } from '../trust/signed.js';

/**
 * Pings a second apart, each given two seconds to be answered; this many unanswered in a row
 * and the agent counts as gone. An agent on a loaded host (opening namespaces, spawning its
 * devices) can be slow to answer for a few seconds without being gone; 5 misses stay well
 * inside the agent's own 15 s watchdog, so a launcher notices a dead agent first.
 */
const PING_EVERY_MS = 1000;
const PING_ANSWER_MS = 2000;
const PINGS_MISSED = 5;

/**
 * The agents named by `--agents` (not `local`), checked before anything of the run is
 * built: a missing one or one of another version is bad input (exit 2, one line).
 */
export async function findAgents(natsUrl: string, names: readonly string[], mode?: 'tc' | 'userspace'): Promise<AgentFacts[]> {
  const wanted = names.filter((n) => n !== LOCAL);
  if (wanted.length === 0) return [];
  const found = new Map((await listAgents(natsUrl)).map((a) => [a.name, a]));
  const version = sledgeVersion();
  return wanted.map((name) => {
    const a = found.get(name);
    if (!a) throw new UsageError(`agent ${name} is not on the bus at ${new URL(natsUrl).host} (sledge agent list shows the agents there)`);
    if (a.version !== version) throw new UsageError(`agent ${name} runs sledge ${a.version}, this launcher ${version}: run the same version on every host`);
    const refusal = shapingRefusal(a, mode);
    if (refusal) throw new UsageError(refusal);
    return a;
  });
}

/**
 * Why this agent cannot host a run in `mode`, if it cannot: checked when `--agents` is read
 * (the config says tc) and again once `auto` has chosen the mode.
 */
export function shapingRefusal(agent: AgentFacts, mode: 'tc' | 'userspace' | undefined): string | undefined {
  return mode === 'tc' && agent.network !== 'tc' ? `agent ${agent.name} cannot shape links (${agent.networkReason}) but the run is in tc mode` : undefined;
}

/** What every actor of a run is told alike: typed fields the agent turns into an environment itself. */
export interface ActorSettings {
  workload: 'sleep' | 'spin';
  seed: number;
  busDownS: number;
  impairment?: { delayMs: number; jitterMs: number; lossPct: number };
}

export interface FleetRun {
  runId: string;
  mode: 'tc' | 'userspace';
  actors: ActorSettings;
  signer: RequestSigner;
  /** The devices of each agent, in config order. */
  devices: Map<string, string[]>;
  /** An agent stopped answering: the run cannot go on. */
  onLost: (error: RunError) => void;
}

/** One run's agents on the launcher's side: clock offsets, placements, links, heartbeat. */
export class AgentFleet {
  readonly placements = new Map<string, AgentPlacement>();
  readonly offsets: Record<string, ClockOffset> = {};
  readonly prefixes: Record<string, string> = {};
  private readonly links = new Map<string, AgentLink>();
  private readonly subs: Subscription[] = [];
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly nc: NatsConnection,
    readonly agents: readonly AgentFacts[],
    private readonly run: FleetRun,
  ) {}

  /** Measures each agent's clock, then has it prepare the run (namespaces, bridge, leaf node). */
  async open(): Promise<void> {
    // From the first agent's answer on: opening the next agent's part (its namespaces, its
    // leaf) may take longer than the first one's heartbeat timeout.
    this.timer = setInterval(() => void this.ping(), PING_EVERY_MS);
    for (const a of this.agents) {
      const offset = await measureOffset(this.nc, this.run.signer, a.name).catch((err: Error) => {
        throw new UsageError(err.message);
      });
      this.offsets[a.name] = offset;
      const placement = new AgentPlacement(a.name, this.nc, this.run.signer, this.run.runId, '');
      const reply = await placement.request({ kind: 'open', runId: this.run.runId, mode: this.run.mode, devices: this.run.devices.get(a.name) ?? [], offsetMs: offset.offsetMs, ...this.run.actors }, 60_000);
      // a refusal the agent names (its leaf cannot join the bus) is bad input, said before any actor starts
      if (reply.kind === 'error' && reply.refusal) throw new UsageError(`agent ${a.name}: ${reply.message}`);
      if (reply.kind !== 'ok') throw new RunError(`agent ${a.name} could not prepare the run: ${reply.kind === 'error' ? reply.message : reply.kind}`);
      const ready = new AgentPlacement(a.name, this.nc, this.run.signer, this.run.runId, reply.logDir ?? '?');
      this.placements.set(a.name, ready);
      this.prefixes[a.name] = reply.prefix ?? '';
      this.subs.push(this.nc.subscribe(agentExits(this.run.runId, a.name), { callback: (_e, m) => this.onExit(ready, m.data) }));
    }
  }

  private onExit(placement: AgentPlacement, data: Uint8Array): void {
    try {
      const r = fromBytes<ExitReport>(data);
      placement.exited(r.actor, { code: r.code, signal: r.signal as NodeJS.Signals | null });
    } catch {
      // not a report
    }
  }

  private readonly missed = new Map<string, number>();
  private async ping(): Promise<void> {
    await Promise.all(
      [...this.placements.values()].map(async (p) => {
        const reply = await p.request({ kind: 'ping', runId: this.run.runId }, PING_ANSWER_MS);
        const missed = reply.kind === 'ok' ? 0 : (this.missed.get(p.name) ?? 0) + 1;
        this.missed.set(p.name, missed);
        if (missed !== PINGS_MISSED) return;
        this.run.onLost(new RunError(`agent ${p.name} vanished: no answer to ${PINGS_MISSED} heartbeats (${reply.kind === 'error' ? reply.message : ''})`));
        p.vanished();
      }),
    );
  }

  placementOf(agent: string): AgentPlacement {
    return this.placements.get(agent)!;
  }

  link(deviceId: string, agent: string): AgentLink {
    let link = this.links.get(deviceId);
    if (!link) this.links.set(deviceId, (link = new AgentLink(deviceId, this.placementOf(agent))));
    return link;
  }

  /** Every agent tears the run down; returns what could not be, one line each. */
  async close(): Promise<string[]> {
    clearInterval(this.timer);
    for (const s of this.subs) s.unsubscribe();
    const failures: string[] = [];
    await Promise.all(
      [...this.placements.values()].map(async (p) => {
        const reply = await p.request({ kind: 'close', runId: this.run.runId }, 30_000);
        if (reply.kind === 'error') failures.push(reply.message);
      }),
    );
    return failures;
  }
}
