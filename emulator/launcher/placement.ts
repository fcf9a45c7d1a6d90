import type { Topology } from '../net/topology.js';
import type { ActorName } from '../protocol/subjects.js';
import { spawnManaged, type ManagedChild } from '../servers/child.js';
import type { ActorIdentity } from '../trust/run-user.js';
import { actorCommand } from './actor-command.js';

/**
 * Where an actor process runs. The launcher asks a placement to start an actor with its
 * environment and log file; the local one spawns it on this host (inside the device's
 * namespace in tc mode). An agent on another host is the other kind (docs/architecture.md §10).
 */
export interface Placement {
  /** 'local', or the agent's name. */
  readonly name: string;
  spawn(actor: ActorName, env: NodeJS.ProcessEnv, logFile: string): ManagedChild;
}

export class LocalPlacement implements Placement {
  readonly name = 'local';

  constructor(
    private readonly topology?: Topology,
    /** Who each actor runs as (docs/trust.md); absent when sledge itself is not root. */
    private readonly identity?: (actor: ActorName) => ActorIdentity,
  ) {}

  spawn(actor: ActorName, env: NodeJS.ProcessEnv, logFile: string): ManagedChild {
    const cmd = actorCommand(actor, this.identity?.(actor));
    const device = actor.startsWith('device.') ? actor.slice('device.'.length) : undefined;
    const argv = this.topology && device !== undefined ? this.topology.execArgv(device, cmd) : cmd;
    return spawnManaged(actor, argv[0]!, argv.slice(1), logFile, { env, lifeline: true });
  }
}
