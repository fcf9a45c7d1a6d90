import type { PlannedTurn } from '../../src/plan.js';
import { RunError } from '../errors.js';
import type { ReplyMsg } from '../protocol/messages.js';
import type { TurnRecord } from '../records/turn-record.js';
import type { Coordinator } from './coordinator.js';
import type { turnMessages } from './turn-messages.js';
import { turnRecord } from './turn-outcome.js';

/**
 * The launcher's side of a scheduled crash (emulator/launcher/faults.ts): it watches the
 * device's process, which is expected to die, and starts it again where it ran.
 */
export interface Supervision {
  /** The device's current process is about to die on purpose: resolves with how it exited. */
  expectCrash(deviceId: string): { pid: number | undefined; exited: Promise<string> };
  /** Starts the device again; resolves once the new process has announced itself. */
  restart(deviceId: string, round: number, signal: AbortSignal): Promise<void>;
}

export interface PreparedTurn {
  msgs: ReturnType<typeof turnMessages>;
  /** performance.now() when the server was told. */
  at: number;
  doomed: ReturnType<Supervision['expectCrash']> | undefined;
}

export function expectCrash(c: Coordinator, planned: PlannedTurn): PreparedTurn['doomed'] {
  if (!c.options.supervision) throw new RunError(`device ${planned.device}: a crash is scheduled in round ${planned.round} but nothing supervises the processes`);
  return c.options.supervision.expectCrash(planned.device);
}

/**
 * A turn that ends in its device's scheduled crash: the coordinator learns of it from
 * process supervision (the child's exit), not from a timeout; the phases up to the crash
 * come from the device's last report. The server then forgets the turn, so its adapters
 * never reach the hub. The restart comes after the turn (or the round): it is not part
 * of any turn's time.
 */
export async function crashedTurn(c: Coordinator, planned: PlannedTurn, reply: Promise<ReplyMsg>, doomed: NonNullable<PreparedTurn['doomed']>, at: number, signal: AbortSignal): Promise<TurnRecord> {
  const survived = reply.then(
    () => {
      throw new RunError(`device ${planned.device} finished round ${planned.round} although a crash was scheduled`);
    },
    (err: Error) => {
      throw err;
    },
  );
  survived.catch(() => undefined); // the request to a dead process fails later; the exit decides
  const how = await Promise.race([doomed.exited, survived]);
  if (how !== 'signal SIGKILL') throw new RunError(`device ${planned.device} (pid ${doomed.pid}) exited with ${how}, not the scheduled SIGKILL`);
  const words = await c.inbox.crashReport(planned.round, planned.device, c.options.controlTimeoutMs);
  await c.request('server', { kind: 'discard', turn: { round: planned.round, device: planned.device } }, c.options.controlTimeoutMs, signal);
  const record = turnRecord(c.system, c.devices.get(planned.device)!, planned, { phases: words.phases, serverBusyWallS: words.phases.server, coordinatorWallS: (performance.now() - at) / 1000 });
  return Object.assign(record, { startAt: words.startAt });
}

/** Restarts the devices whose turns crashed, before their next turn. */
export async function restartCrashed(c: Coordinator, records: readonly TurnRecord[], signal: AbortSignal): Promise<void> {
  for (const r of records) if (r.status === 'crashed') await c.options.supervision!.restart(r.device, r.round, signal);
}
