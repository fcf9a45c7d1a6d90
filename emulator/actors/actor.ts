import type { Msg, NatsConnection } from '@nats-io/transport-node';
import { encode, type TurnMsg } from '../protocol/messages.js';
import { Subjects, type ActorName } from '../protocol/subjects.js';
import { DEFAULT_CHUNK_BYTES, PayloadReceiver, type ReceiverOptions, type SendOptions } from '../transport/transfer.js';
import { chunkWireOverhead } from '../transport/frame.js';
import type { WorkloadKind } from './workload.js';
import type { Log } from './log.js';
import { uplinkDevice } from './tags.js';

type TurnImpairment = Pick<TurnMsg, 'delayWallMs' | 'jitterWallMs'>;
type TurnAhead = Pick<TurnMsg, 'aheadWallMs' | 'crashAt' | 'outage'>;

/**
 * Wall ms the transfer of `phase` (iteration `i`) leaves ahead of the phase's start
 * (docs/fidelity.md, "Sending ahead"): the floor the latency cannot absorb, at most
 * `roomMs` (the timed phase it is taken from), and never where a scheduled fault acts
 * (the fault is timed from the phase's start).
 */
export function aheadOf(turn: TurnAhead, phase: 'adapterDown' | 'uplink' | 'downlink' | 'adapterUp', i: number, roomMs = Infinity): number {
  if (i === 1 && (turn.crashAt === phase || turn.outage?.phase === phase)) return 0;
  const payload = phase === 'adapterDown' || phase === 'adapterUp' ? 'adapters' : 'smashed';
  return Math.max(0, Math.min(turn.aheadWallMs?.[payload] ?? 0, roomMs));
}

/** Starts `send` now, its failure held for whoever awaits it (never an unhandled rejection meanwhile). */
export function started<T>(send: Promise<T>): Promise<T> {
  send.catch(() => undefined);
  return send;
}

export interface ActorDeps {
  nc: NatsConnection;
  subjects: Subjects;
  workload: WorkloadKind;
  log: Log;
  /** The userspace delay/jitter/loss of one transfer, its draws keyed by the transfer (tags.drawKey), never a shared sequence. */
  impairmentFor?: (tag: string) => NonNullable<SendOptions['impairment']>;
}

/**
 * What the server and the devices share: a payload receiver on their data subject, a
 * count of rejected messages (a malformed message is dropped and counted, never fatal),
 * and the shutdown handshake.
 */
export abstract class Actor {
  protected readonly receiver: PayloadReceiver;
  private rejectedHere = 0;
  private readonly rejectedBy = new Map<string, number>();
  private resolveStopped!: () => void;
  /** Resolves once the coordinator has asked this actor to shut down. */
  readonly stopped = new Promise<void>((r) => (this.resolveStopped = r));

  constructor(
    readonly name: ActorName,
    protected readonly deps: ActorDeps,
    receiving: Pick<ReceiverOptions, 'keep'> = {},
  ) {
    // A device has one turn in flight; the server one per device of a round (parallel
    // mode) and a margin. Bounded either way, so a flood of lying frames cannot grow it.
    const limits = name === 'server' ? { maxPartial: 1088, maxUnclaimed: 1024 } : { maxPartial: 8, maxUnclaimed: 16 };
    // The server hears each device on that device's own data subject and takes from it only
    // that device's transfers; a device hears only the server, the one sender of its subject (docs/trust.md).
    const serving = name === 'server' ? { from: (subject: string, tag: string) => Subjects.sender(subject) === `device.${uplinkDevice(tag)}` } : {};
    this.receiver = new PayloadReceiver(deps.nc, name === 'server' ? deps.subjects.dataFrom('device.*') : deps.subjects.data(name), {
      ...limits,
      ...serving,
      ...receiving,
      onError: (err) => deps.log('error', 'data subscription failed', { error: err.message }),
    });
  }

  get rejectedCount(): number {
    return this.rejectedHere + this.receiver.rejected;
  }

  /** Rejections by `where/reason` (control, event) and `data/reason` (payload frames). */
  rejections(): Record<string, number> {
    const out: Record<string, number> = Object.fromEntries(this.rejectedBy);
    for (const [reason, n] of Object.entries(this.receiver.rejections())) out[`data/${reason}`] = n;
    return out;
  }

  /**
   * Drops a malformed or unexpected message: counted by a short reason, logged for the
   * first few and then sparsely, so that a flood of hostile messages cannot fill the disk.
   */
  protected reject(msg: Msg | undefined, where: string, reason: string): void {
    this.rejectedHere++;
    const key = `${where}/${rejectionKind(reason)}`;
    // Finitely many keys: a few places × the categories of rejectionKind().
    this.rejectedBy.set(key, (this.rejectedBy.get(key) ?? 0) + 1);
    if (this.rejectedHere <= 20 || this.rejectedHere % 1000 === 0) this.deps.log('warn', 'rejected message', { where, reason: reason.slice(0, 200), total: this.rejectedHere });
    if (msg?.reply) msg.respond(encode({ kind: 'error', message: `rejected: ${reason.slice(0, 200)}` }));
  }

  /** Answers `status`: what keeps this process awake, so a test can see that an idle actor arms no timer. */
  protected answerStatus(msg: Msg): void {
    const resources: Record<string, number> = {};
    for (const r of process.getActiveResourcesInfo()) resources[r] = (resources[r] ?? 0) + 1;
    const { partial, sweeperArmed } = this.receiver.stats();
    msg.respond(encode({ kind: 'status', pid: process.pid, resources, partial, sweeperArmed }));
  }

  protected acknowledgeShutdown(msg: Msg): void {
    msg.respond(encode({ kind: 'ok', rejected: this.rejectedCount, rejections: this.rejections() }));
    this.resolveStopped();
  }

  /** The transfer's seeded jitter and loss with this turn's wall latency and jitter (they travel with the turn). */
  protected turnImpairment(tag: string, turn: TurnImpairment, payload: 'adapters' | 'smashed'): SendOptions['impairment'] {
    const base = this.deps.impairmentFor?.(tag);
    if (!base) return undefined;
    return { ...base, delayMs: turn.delayWallMs?.[payload] ?? base.delayMs, jitterMs: turn.jitterWallMs ?? base.jitterMs };
  }

  /**
   * A transfer's bytes with the tc head start added (docs/architecture.md §6), less what the
   * chunks' framing already puts on the shaped link: both reach the wire before the last
   * payload byte, and only the payload is modelled.
   */
  protected padded(bytes: number, padBytes: number, subject: string, tag: string): number {
    if (padBytes <= 0) return bytes;
    const chunks = Math.max(1, Math.ceil(bytes / DEFAULT_CHUNK_BYTES));
    const framing = chunks * chunkWireOverhead(subject, tag, Math.min(bytes, DEFAULT_CHUNK_BYTES));
    return bytes + Math.max(0, padBytes - framing);
  }

  abstract start(): void;

  async close(): Promise<void> {
    await this.receiver.close();
  }
}

/** A reason's category: the codec's own words ("not JSON", "too large"), else what a field failed on. */
function rejectionKind(reason: string): string {
  if (reason === 'not JSON' || reason === 'too large') return reason.replace(' ', '-');
  if (reason.startsWith('subscription error')) return 'subscription-error';
  if (reason.startsWith('no prepared turn')) return 'unknown-turn';
  if (reason.startsWith('busy')) return 'busy';
  if (reason.startsWith('turn for another device')) return 'other-device';
  if (reason.startsWith('already prepared')) return 'duplicate-turn';
  if (reason.includes('unknown key')) return 'unknown-key';
  if (/more than \d+ items/.test(reason)) return 'too-many-items';
  if (reason.includes('kind: expected')) return 'unknown-kind';
  return 'invalid';
}
