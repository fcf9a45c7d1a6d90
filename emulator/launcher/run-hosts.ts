import type { NatsConnection } from '@nats-io/transport-node';
import { LOCAL, type AgentFacts } from '../agent/protocol.js';
import { RunError } from '../errors.js';
import type { Link } from '../net/link.js';
import type { RequestSigner } from '../trust/signed.js';
import { AgentFleet, shapingRefusal, type ActorSettings } from './agent-fleet.js';
import { deviceHosts } from './device-hosts.js';
import type { Placement } from './placement.js';

export interface HostsOptions {
  /** `--agents` as given (may hold `local`), and the facts of the agents among them. */
  names: readonly string[];
  facts: readonly AgentFacts[];
  /** Device → host as a manifest recorded it (`sledge resume`): a resumed device stays where it ran. */
  placement?: Readonly<Record<string, string>>;
  /** Signs every request to an agent with the launcher's key (docs/trust.md). */
  signer: RequestSigner;
}

/**
 * Where each device of a run runs (docs/architecture.md §10): on the launcher's host or on an agent.
 * The emulation asks it for each device's placement and link; without agents every
 * device is local and this is a pass-through.
 */
export class RunHosts {
  readonly hostOf: Map<string, string>;
  private fleet: AgentFleet | undefined;
  private mode: 'tc' | 'userspace' = 'userspace';

  constructor(
    devices: readonly { id: string; agent?: string | undefined }[],
    private readonly agents: HostsOptions | undefined,
  ) {
    const recorded = agents?.placement;
    this.hostOf = recorded ? new Map(devices.map((d) => [d.id, recorded[d.id] ?? LOCAL])) : deviceHosts(devices, agents?.names ?? []);
  }

  get localDevices(): string[] {
    return [...this.hostOf].filter(([, h]) => h === LOCAL).map(([d]) => d);
  }

  /** Has every agent prepare its share of the run; `close` undoes it. */
  async open(nc: NatsConnection, run: { runId: string; mode: 'tc' | 'userspace'; actors: ActorSettings; onLost: (e: RunError) => void }): Promise<void> {
    const facts = (this.agents?.facts ?? []).filter((a) => [...this.hostOf.values()].includes(a.name));
    if (facts.length === 0) return;
    this.mode = run.mode;
    const refusal = facts.map((a) => shapingRefusal(a, run.mode)).find((r) => r !== undefined);
    if (refusal) throw new RunError(refusal);
    const devices = new Map<string, string[]>();
    for (const [d, h] of this.hostOf) if (h !== LOCAL) devices.set(h, [...(devices.get(h) ?? []), d]);
    this.fleet = new AgentFleet(nc, facts, { ...run, devices, signer: this.agents!.signer });
    await this.fleet.open();
  }

  async close(): Promise<string[]> {
    return (await this.fleet?.close()) ?? [];
  }

  placement(deviceId: string, local: Placement): Placement {
    const host = this.hostOf.get(deviceId);
    return host === undefined || host === LOCAL || !this.fleet ? local : this.fleet.placementOf(host);
  }

  /** Userspace links pace in the senders wherever they run; tc links are shaped on the device's host. */
  link(deviceId: string, local: () => Link): Link {
    const host = this.hostOf.get(deviceId);
    return host === undefined || host === LOCAL || !this.fleet || this.mode !== 'tc' ? local() : this.fleet.link(deviceId, host);
  }

  /** For the manifest: where each device ran, each agent's host and clock offset. */
  manifest(): { placement: Record<string, string>; agents: Record<string, unknown> } | Record<string, never> {
    if (!this.fleet) return {};
    const agents: Record<string, unknown> = {};
    for (const a of this.fleet.agents) agents[a.name] = { ...a, clock: this.fleet.offsets[a.name], namePrefix: this.fleet.prefixes[a.name] };
    return { placement: Object.fromEntries(this.hostOf), agents };
  }
}
