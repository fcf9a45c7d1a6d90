import type { Msg, NatsConnection, Subscription } from '@nats-io/transport-node';
import { Mailbox } from '../actors/mailbox.js';
import { RunError } from '../errors.js';
import type { Direction, Link } from '../net/link.js';
import { crashingMsg, decode, encode, holdRequestMsg, type CrashingMsg, type HoldRequestMsg } from '../protocol/messages.js';
import { Subjects } from '../protocol/subjects.js';
import { turnKey } from '../protocol/turn-key.js';
import { fromHostMs } from '../transport/host-clock.js';

const DIRECTION: Record<HoldRequestMsg['phase'], Direction> = { adapterDown: 'down', downlink: 'down', uplink: 'up', adapterUp: 'up' };

/**
 * What actors tell the coordinator unasked, each on a subject of its own that names it
 * (docs/trust.md): a sender asking for its link to be held for an outage (tc mode: the
 * server for a device's downlink, a device for its own uplink), and a device's last report
 * before its scheduled crash (its own only). Anything else is refused. Holds are released
 * `wallS` after the phase started, early by what the hold itself took to apply, so that
 * the release lands on time.
 */
export class CoordinatorInbox {
  private readonly sub: Subscription;
  /** Last reports of crashing devices: the report and the process's exit race, either may come first. */
  private readonly lastWords = new Mailbox<CrashingMsg>();
  private readonly releases = new Set<Promise<void>>();

  constructor(
    nc: NatsConnection,
    subjects: Subjects,
    private readonly links: ReadonlyMap<string, Link>,
    private readonly onError: (err: Error) => void,
  ) {
    this.sub = nc.subscribe(subjects.toCoordinator, { callback: (err, msg) => (err ? this.onError(err) : this.onMessage(msg)) });
  }

  private onMessage(msg: Msg): void {
    const from = Subjects.sender(msg.subject);
    // a malformed or foreign message never stops the run: the sender learns why, nothing else happens
    const refuse = (why: string) => void (msg.reply && msg.respond(encode({ kind: 'error', message: `rejected: ${why}` })));
    const crash = decode(crashingMsg, msg.data);
    if (crash.ok) {
      if (from !== `device.${crash.value.turn.device}`) return refuse(`${from} may report only its own crash`);
      return this.lastWords.put(turnKey(crash.value.turn), crash.value);
    }
    const hold = decode(holdRequestMsg, msg.data);
    if (!hold.ok) return refuse(hold.reason);
    // the server sends on every device's downlink, a device on its own uplink only
    const holder = DIRECTION[hold.value.phase] === 'down' ? 'server' : `device.${hold.value.turn.device}`;
    if (from !== holder) return refuse(`${from} may not hold ${hold.value.turn.device}'s ${DIRECTION[hold.value.phase]}link`);
    void this.hold(hold.value).then(
      () => msg.respond(encode({ kind: 'ok' })),
      (err: Error) => msg.respond(encode({ kind: 'error', message: `hold of ${hold.value.turn.device}'s link: ${err.message}` })),
    );
  }

  private async hold(h: HoldRequestMsg): Promise<void> {
    const link = this.links.get(h.turn.device);
    if (!link?.hold || !link.release) throw new RunError('this link cannot be held in the kernel');
    const direction = DIRECTION[h.phase];
    const began = performance.now();
    await link.hold(direction, h.wallS);
    const applyMs = performance.now() - began;
    const releaseAt = fromHostMs(h.at) + h.wallS * 1000 - applyMs;
    const release = new Promise<void>((r) => setTimeout(r, Math.max(0, releaseAt - performance.now())))
      .then(() => link.release!(direction))
      .catch((err: Error) => this.onError(new RunError(`release of ${h.turn.device}'s link after its outage: ${err.message}`)))
      .finally(() => this.releases.delete(release));
    this.releases.add(release);
  }

  /** The report a device sent as it crashed; it was flushed before the kill, so it comes with or before the exit. */
  crashReport(round: number, device: string, timeoutMs: number): Promise<CrashingMsg> {
    return this.lastWords.take(turnKey({ round, device }), timeoutMs).catch(() => {
      throw new RunError(`device ${device} died in round ${round} without its crash report`);
    });
  }

  /** Waits for pending releases (so no link is left held), then stops listening. */
  async close(): Promise<void> {
    await Promise.all([...this.releases]);
    if (!this.sub.isClosed()) this.sub.unsubscribe();
    this.lastWords.close('the run ended');
  }
}
