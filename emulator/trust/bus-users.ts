/**
 * Per-role NATS users of a run (docs/trust.md): the launcher (or an agent, for its leaf
 * node) writes them into the nats-server it owns, each with publish/subscribe allow-lists,
 * so that a bus client can do only what its role does. Subjects are those of
 * protocol/subjects.ts: a device publishes only on its own subjects towards the server and
 * the coordinator (which name it, so nobody else can speak as it) and the run's ready
 * subject, and reads only what is addressed to it and its own inbox; replies
 * (acks, control answers) go out through `allow_responses`, only to a message it received.
 */
import { createHash, randomBytes } from 'node:crypto';
import { Subjects, type ActorName } from '../protocol/subjects.js';

export interface NatsUser {
  user: string;
  password: string;
  publish: string[];
  subscribe: string[];
  /** May answer the requests it receives (one reply to each), whatever their reply subject. */
  responses: boolean;
}

/**
 * An actor's own inbox prefix: `_INBOX.` and 8 hex digits of its run and name. Its replies
 * and acks come there, and its user may subscribe there only. Same length for every actor,
 * so the transport's framing estimate (transport/frame.ts) holds.
 */
export function actorInboxPrefix(runId: string, actor: string): string {
  return `_INBOX.${createHash('sha256').update(`${runId}/${actor}`).digest('hex').slice(0, 8)}`;
}

const secret = (): string => randomBytes(18).toString('base64url');

export function actorBusUser(runId: string, actor: ActorName): NatsUser {
  const s = new Subjects(runId);
  const inbox = `${actorInboxPrefix(runId, actor)}.>`;
  if (actor === 'server') {
    // each device's data and requests on subjects of its own, which only that device may publish on
    const subscribe = [s.control(actor), s.dataFrom('device.*'), s.events(actor), inbox, s.toServerFrom('device.*')];
    return { user: actor, password: secret(), publish: [s.data('device.*'), s.events('device.*'), s.ready, s.coordinatorFrom(actor)], subscribe, responses: true };
  }
  return { user: actor, password: secret(), publish: [s.dataFrom(actor), s.toServerFrom(actor), s.ready, s.coordinatorFrom(actor)], subscribe: [s.control(actor), s.data(actor), s.events(actor), inbox], responses: true };
}

/** The launcher's coordinator (and its calibration, its watch): everything of the run, nothing else. */
export function coordinatorBusUser(runId: string): NatsUser {
  const s = new Subjects(runId);
  return { user: 'coordinator', password: secret(), publish: [s.all], subscribe: [s.all, '_INBOX.>'], responses: true };
}

/** A short-lived user that checks a leaf node reaches its upstream (launcher/leaf.ts): publishes to inboxes only. */
export function leafCheckBusUser(): NatsUser {
  return { user: 'leaf-check', password: secret(), publish: ['_INBOX.>'], subscribe: [], responses: false };
}

/**
 * How a user may answer what it received. Every chunk of a transfer carries the sender's one
 * reply inbox, and nats-server re-arms a reply subject's count on each delivery: with the
 * default (one answer) two chunks that arrive before their credits are sent make the second
 * credit a violation, and the transfer stalls. A turn's answer may also come long after its
 * request at a slow time scale, past the default two minutes. Answers stay limited to reply
 * subjects the user was sent (docs/trust.md).
 */
const RESPONSES = '{ max: 1000000, expires: "24h" }';

/** nats-server's `authorization { users = [...] }` for these users. */
export function usersConfig(users: readonly NatsUser[]): string {
  const list = (xs: readonly string[]) => `[${xs.map((x) => JSON.stringify(x)).join(', ')}]`;
  const lines = users.map((u) => {
    const sub = u.subscribe.length ? `subscribe: { allow: ${list(u.subscribe)} }` : 'subscribe: { deny: [">"] }';
    return `    { user: ${JSON.stringify(u.user)}, password: ${JSON.stringify(u.password)}, permissions: { publish: { allow: ${list(u.publish)} }, ${sub}${u.responses ? `, allow_responses: ${RESPONSES}` : ''} } }`;
  });
  return ['authorization {', '  users = [', ...lines, '  ]', '}'].join('\n');
}
