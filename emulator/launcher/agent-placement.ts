import { appendFileSync } from 'node:fs';
import type { NatsConnection } from '@nats-io/transport-node';
import { agentControl, fromBytes, type AgentReply, type AgentRequest } from '../agent/protocol.js';
import type { ActorName } from '../protocol/subjects.js';
import type { RequestSigner } from '../trust/signed.js';
import type { ChildExit, ManagedChild } from '../servers/child.js';
import type { Placement } from './placement.js';

/** How long a stopped actor on an agent gets before the launcher stops waiting for it. */
const STOP_TIMEOUT_MS = 5000;

/**
 * Actors that run on an agent's host (docs/architecture.md §10): spawning, stopping and rate changes
 * are requests to the agent; an exit arrives as the agent's report, or as the agent's
 * disappearance (`vanished`), so the ActorPool supervises them as it does local children.
 */
export class AgentPlacement implements Placement {
  private readonly children = new Map<string, RemoteChild>();

  constructor(
    readonly name: string,
    private readonly nc: NatsConnection,
    /** Every request is signed (docs/trust.md): agents obey only launchers whose key they trust. */
    private readonly signer: RequestSigner,
    readonly runId: string,
    /** Where the agent keeps the run's actor logs, for the local log's pointer. */
    private readonly logDir: string,
  ) {}

  request(body: AgentRequest, timeout = 10_000): Promise<AgentReply> {
    return agentRequest(this.nc, this.signer, this.name, body, timeout);
  }

  spawn(actor: ActorName, _env: NodeJS.ProcessEnv, logFile: string): ManagedChild {
    // The agent builds the environment itself: its leaf server's URL and its clock offset are its own.
    appendFileSync(logFile, `runs on agent ${this.name}; its log is ${this.name}:${this.logDir}/${actor}.log\n`);
    const child = new RemoteChild(actor, this);
    this.children.set(actor, child);
    void this.request({ kind: 'spawn', runId: this.runId, actor }).then((r) => {
      if (r.kind === 'ok') child.pid = r.pid;
      else child.exit({ code: null, signal: null, spawnError: new Error(r.kind === 'error' ? r.message : 'unexpected reply') });
    });
    return child;
  }

  /** The agent reported that an actor exited. */
  exited(actor: string, exit: ChildExit): void {
    this.children.get(actor)?.exit(exit);
  }

  /** The agent is gone: so is every actor it ran. */
  vanished(): void {
    for (const c of this.children.values()) c.exit({ code: null, signal: 'SIGKILL' });
  }
}

/** One signed request to an agent; a timeout or a missing agent is an error reply, never a throw. */
export function agentRequest(nc: NatsConnection, signer: RequestSigner, agent: string, body: AgentRequest, timeout = 10_000): Promise<AgentReply> {
  return nc.request(agentControl(agent), signer.sign(agent, body), { timeout }).then(
    (m) => fromBytes<AgentReply>(m.data),
    (err: Error) => ({ kind: 'error' as const, message: `agent ${agent} did not answer ${body.kind}: ${err.message}` }),
  );
}

class RemoteChild implements ManagedChild {
  pid: number | undefined;
  readonly exited: Promise<ChildExit>;
  private done = false;
  private resolveExit!: (e: ChildExit) => void;
  private stopping: Promise<void> | undefined;

  constructor(
    readonly name: string,
    private readonly placement: AgentPlacement,
  ) {
    this.exited = new Promise((resolve) => (this.resolveExit = resolve));
  }

  exit(e: ChildExit): void {
    if (this.done) return;
    this.done = true;
    this.resolveExit(e);
  }

  hasExited(): boolean {
    return this.done;
  }

  stop(): Promise<void> {
    this.stopping ??= (async () => {
      if (this.done) return;
      await this.placement.request({ kind: 'stop', runId: this.placement.runId, actor: this.name }, STOP_TIMEOUT_MS);
      // Stopped, or the agent cannot say: either way nothing more will come from it.
      this.exit({ code: null, signal: 'SIGTERM' });
    })();
    return this.stopping;
  }
}
