import type { Msg, NatsConnection } from '@nats-io/transport-node';
import { encode } from '../messages.js';
import type { ActorName, Subjects } from '../subjects.js';
import { PayloadReceiver, type SendOptions } from '../transport/transfer.js';
import type { WorkloadKind } from '../workload.js';
import type { Log } from './log.js';

export interface ActorDeps {
  nc: NatsConnection;
  subjects: Subjects;
  workload: WorkloadKind;
  log: Log;
  impairment?: SendOptions['impairment'];
}

/**
 * What the server and the devices share: a payload receiver on their data subject, a
 * count of rejected messages (a malformed message is dropped and counted, never fatal),
 * and the shutdown handshake.
 */
export abstract class Actor {
  protected readonly receiver: PayloadReceiver;
  private rejectedHere = 0;
  private resolveStopped!: () => void;
  /** Resolves once the coordinator has asked this actor to shut down. */
  readonly stopped = new Promise<void>((r) => (this.resolveStopped = r));

  constructor(
    readonly name: ActorName,
    protected readonly deps: ActorDeps,
  ) {
    this.receiver = new PayloadReceiver(deps.nc, deps.subjects.data(name));
  }

  get rejectedCount(): number {
    return this.rejectedHere + this.receiver.rejected;
  }

  protected reject(msg: Msg | undefined, where: string, reason: string): void {
    this.rejectedHere++;
    this.deps.log('warn', 'rejected message', { where, reason });
    if (msg?.reply) msg.respond(encode({ kind: 'error', message: `rejected: ${reason}` }));
  }

  protected acknowledgeShutdown(msg: Msg): void {
    msg.respond(encode({ kind: 'ok', rejected: this.rejectedCount }));
    this.resolveStopped();
  }

  abstract start(): void;

  async close(): Promise<void> {
    await this.receiver.close();
  }
}
