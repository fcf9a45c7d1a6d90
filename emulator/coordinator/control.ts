import type { NatsConnection } from '@nats-io/transport-node';
import { RunError } from '../errors.js';
import { decode, encode, replyMsg, type ReplyMsg } from '../protocol/messages.js';
import type { ActorName, Subjects } from '../protocol/subjects.js';

/**
 * The coordinator's control channel (docs/architecture.md §2): request/reply to the server
 * and the devices on their control subjects, each with a timeout and abandoned at once
 * when the run is aborted. A reply is validated here, so callers see only a well-formed
 * answer or a RunError naming the actor.
 */
export class ControlChannel {
  constructor(
    private readonly nc: NatsConnection,
    private readonly subjects: Subjects,
    /** The timeout of a control request that does not wait for a turn. */
    readonly timeoutMs: number,
  ) {}

  /** Asks the server something short (prepare, discard, average). */
  server(body: unknown, signal: AbortSignal): Promise<ReplyMsg> {
    return this.request('server', body, this.timeoutMs, signal);
  }

  async request(actor: ActorName, body: unknown, timeoutMs: number, signal: AbortSignal): Promise<ReplyMsg> {
    const subject = this.subjects.control(actor);
    let onAbort = () => undefined as void;
    const aborted = new Promise<never>((_, reject) => {
      onAbort = () => reject(signal.reason instanceof Error ? signal.reason : new RunError('run aborted'));
      if (signal.aborted) onAbort();
      else signal.addEventListener('abort', onAbort, { once: true });
    });
    let msg;
    try {
      msg = await Promise.race([this.nc.request(subject, encode(body), { timeout: timeoutMs }), aborted]);
    } catch (err) {
      if (signal.aborted) throw signal.reason instanceof Error ? signal.reason : err;
      const timedOut = /timeout/i.test((err as Error).message) || /timeout/i.test(String((err as { code?: string }).code));
      throw new RunError(`${actor}: ${timedOut ? `no answer within ${timeoutMs} ms` : (err as Error).message}`);
    } finally {
      signal.removeEventListener('abort', onAbort);
    }
    const reply = decode(replyMsg, msg.data);
    if (!reply.ok) throw new RunError(`${actor}: malformed reply (${reply.reason})`);
    if (reply.value.kind === 'error') throw new RunError(reply.value.message);
    return reply.value;
  }
}
