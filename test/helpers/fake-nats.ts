import type { Msg, NatsConnection } from '@nats-io/transport-node';

type Callback = (err: Error | null, msg: Msg) => void;
type Answer = (body: any) => unknown | Promise<unknown>;

/**
 * Just enough of a NatsConnection for unit tests of code that talks over NATS (a
 * PayloadReceiver, the coordinator's turns and rounds): subscription callbacks are called
 * directly, synchronously; what is published is recorded; requests are answered by the
 * handler registered for their subject and recorded in the order they were made.
 */
export class FakeNats {
  /** The latest subscription's callback. */
  callback: Callback | undefined;
  readonly published: { subject: string; data: Uint8Array }[] = [];
  /** Every request, decoded, in order. */
  readonly requests: { subject: string; body: any }[] = [];
  private readonly subs = new Map<string, Callback>();
  private readonly answers = new Map<string, Answer>();
  private closed = false;

  get nc(): NatsConnection {
    const self = this;
    return {
      subscribe(subject: string, opts: { callback: Callback }) {
        self.callback = opts.callback;
        self.subs.set(subject, opts.callback);
        return { isClosed: () => self.closed, unsubscribe: () => void (self.closed = true) };
      },
      publish(subject: string, data: Uint8Array) {
        self.published.push({ subject, data });
      },
      async request(subject: string, data: Uint8Array) {
        const body = JSON.parse(new TextDecoder().decode(data));
        self.requests.push({ subject, body });
        const answer = self.answers.get(subject);
        if (!answer) throw new Error(`503 no responders on ${subject}`);
        return { data: new TextEncoder().encode(JSON.stringify(await answer(body))) } as unknown as Msg;
      },
      async flush() {},
      isClosed: () => false,
    } as unknown as NatsConnection;
  }

  /** Answers requests on `subject` with what `answer` returns (an object, encoded as JSON). */
  answer(subject: string, answer: Answer): void {
    this.answers.set(subject, answer);
  }

  deliver(data: Uint8Array, reply: string | undefined = 'reply.inbox'): void {
    this.callback?.(null, { data, reply } as unknown as Msg);
  }

  /** Delivers a message on `subject` to the subscriber whose subject (with NATS's `*` and `>`) matches it. */
  deliverTo(subject: string, data: Uint8Array, reply?: string): void {
    const responses: Uint8Array[] = [];
    for (const [pattern, callback] of this.subs) {
      if (matches(pattern, subject)) callback(null, { subject, data, reply, respond: (d: Uint8Array) => (responses.push(d), true) } as unknown as Msg);
    }
    this.responses.push(...responses.map((d) => JSON.parse(new TextDecoder().decode(d))));
  }

  /** What subscribers answered to deliverTo, decoded, in order. */
  readonly responses: any[] = [];

  fail(err: Error): void {
    this.closed = true;
    this.callback?.(err, {} as Msg);
  }
}

function matches(pattern: string, subject: string): boolean {
  const p = pattern.split('.');
  const s = subject.split('.');
  for (let i = 0; i < p.length; i++) {
    if (p[i] === '>') return s.length > i;
    if (i >= s.length || (p[i] !== '*' && p[i] !== s[i])) return false;
  }
  return p.length === s.length;
}
