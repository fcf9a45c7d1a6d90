import type { Msg, NatsConnection } from '@nats-io/transport-node';

/**
 * Just enough of a NatsConnection for a PayloadReceiver: its subscription callback is
 * called directly, synchronously, and what it publishes (acks) is recorded.
 */
export class FakeNats {
  callback: ((err: Error | null, msg: Msg) => void) | undefined;
  readonly published: { subject: string; data: Uint8Array }[] = [];
  private closed = false;

  get nc(): NatsConnection {
    const self = this;
    return {
      subscribe(_subject: string, opts: { callback: (err: Error | null, msg: Msg) => void }) {
        self.callback = opts.callback;
        return { isClosed: () => self.closed, unsubscribe: () => void (self.closed = true) };
      },
      publish(subject: string, data: Uint8Array) {
        self.published.push({ subject, data });
      },
      isClosed: () => false,
    } as unknown as NatsConnection;
  }

  deliver(data: Uint8Array, reply: string | undefined = 'reply.inbox'): void {
    this.callback?.(null, { data, reply } as unknown as Msg);
  }

  fail(err: Error): void {
    this.closed = true;
    this.callback?.(err, {} as Msg);
  }
}
