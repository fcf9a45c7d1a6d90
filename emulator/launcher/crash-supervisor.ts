import type { Supervision } from '../coordinator/turn.js';
import { RunError } from '../errors.js';
import { deviceActor } from '../protocol/subjects.js';
import type { ActorPool } from './actor-pool.js';

/** A device process that died on schedule and was started again. */
export interface Restart {
  device: string;
  round: number;
  oldPid: number | undefined;
  newPid: number | undefined;
}

/**
 * Scheduled crashes, on the launcher's side (docs/model.md §1.7): the device's process is
 * marked as doomed, so its SIGKILL is reported to the coordinator instead of failing the
 * run, and afterwards it is started again with the same placement (in tc mode: in its
 * own namespace, behind the same shaped link), to rejoin for its next turn.
 */
export class CrashSupervisor implements Supervision {
  readonly restarts: Restart[] = [];

  constructor(private readonly pool: ActorPool) {}

  expectCrash(deviceId: string): { pid: number | undefined; exited: Promise<string> } {
    return this.pool.expectExit(deviceActor(deviceId));
  }

  async restart(deviceId: string, round: number, signal: AbortSignal): Promise<void> {
    const actor = deviceActor(deviceId);
    const placement = this.pool.placementOf(actor);
    if (!placement) throw new RunError(`${actor}: no placement to restart it with`);
    const oldPid = this.pool.children.get(actor)?.pid;
    await this.pool.startOne({ actor, placement }, signal);
    this.restarts.push({ device: deviceId, round, oldPid, newPid: this.pool.children.get(actor)?.pid });
  }
}
