import type { Topology } from '../net/topology.js';
import type { ActorName } from '../protocol/subjects.js';
import { spawnManaged, type ManagedChild } from '../servers/child.js';
import type { RunUser } from '../trust/run-user.js';
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
    /** Who the actors run as (docs/trust.md); undefined when sledge itself is not root. */
    private readonly user?: RunUser,
  ) {}

  spawn(actor: ActorName, env: NodeJS.ProcessEnv, logFile: string): ManagedChild {
    const cmd = actorCommand(actor, this.user);
    const device = actor.startsWith('device.') ? actor.slice('device.'.length) : undefined;
    const argv = this.topology && device !== undefined ? this.topology.execArgv(device, cmd) : cmd;
    return spawnManaged(actor, argv[0]!, argv.slice(1), logFile, { env, lifeline: true });
  }
}
