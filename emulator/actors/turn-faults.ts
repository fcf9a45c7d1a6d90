import type { NatsConnection } from '@nats-io/transport-node';
import { RunError } from '../errors.js';
import { decode, encode, replyMsg, type OutageSpec, type PhaseWall } from '../protocol/messages.js';
import { deviceActor, type ActorName, type Subjects } from '../protocol/subjects.js';
import { hostNowMs } from '../transport/host-clock.js';
import type { TurnRef } from './tags.js';

/**
 * A scheduled crash (docs/model.md §1.7): the phases completed so far go to the coordinator
 * (flushed, so they are on the wire before the process is gone), then the process
 * SIGKILLs itself. It is the kernel's SIGKILL, uncatchable: no shutdown handler runs, the
 * NATS connection is torn down by the kernel, and the launcher sees the child die by
 * signal. Dying here rather than on a signal from the launcher puts the death exactly at
 * the phase start, with no NATS trip during which the device would already be sending.
 */
export async function crashNow(nc: NatsConnection, subjects: Subjects, turn: TurnRef, phase: string, phasesMs: Record<string, number>, startAt: number): Promise<never> {
  const phases = Object.fromEntries(Object.entries(phasesMs).map(([k, v]) => [k, v / 1000])) as PhaseWall;
  // the crashing device is the turn's own
  nc.publish(subjects.coordinatorFrom(deviceActor(turn.device)), encode({ kind: 'crashing', turn, phase, pid: process.pid, phases, startAt }));
  await nc.flush();
  process.kill(process.pid, 'SIGKILL');
  return new Promise<never>(() => undefined);
}

/**
 * The start of a transfer an outage hits, seen by its sender. With the kernel shaping
 * (tc), the coordinator holds the link and answers once it is held, so no byte of this
 * transfer leaves before; it releases it `wallS` after `phaseStart`. With userspace
 * pacing the sender's token bucket holds the chunks for what is left of `wallS`.
 * Returns the pacer's hold (ms) and the extra bytes to send. `from` is the sender, whose
 * own subject the request goes on (docs/trust.md).
 */
export async function startOutage(nc: NatsConnection, subjects: Subjects, from: ActorName, turn: TurnRef, outage: OutageSpec, phaseStart: number, timeoutMs: number): Promise<{ holdMs: number; padBytes: number }> {
  const at = hostNowMs() - (performance.now() - phaseStart);
  if (outage.by === 'pacer') return { holdMs: Math.max(0, outage.wallS * 1000 - (performance.now() - phaseStart)), padBytes: 0 };
  const msg = await nc.request(subjects.coordinatorFrom(from), encode({ kind: 'hold', turn, phase: outage.phase, wallS: outage.wallS, at }), { timeout: timeoutMs });
  const reply = decode(replyMsg, msg.data);
  if (!reply.ok || reply.value.kind !== 'ok') throw new RunError(`the coordinator did not hold the link for the ${outage.phase} outage`);
  return { holdMs: 0, padBytes: outage.padBytes };
}
