import type { Msg } from '@nats-io/transport-node';
import { decode, encode, serverControlMsg, type PrepareMsg } from '../protocol/messages.js';
import { deviceActor } from '../protocol/subjects.js';
import { hostNowMs } from '../transport/host-clock.js';
import { sendPayload, type SendOptions } from '../transport/transfer.js';
import { runWorkload } from './workload.js';
import { Actor, type ActorDeps } from './actor.js';
import { tags } from './tags.js';

/** A turn may wait this long for its next payload; the coordinator's turn timeout is the real bound. */
const PAYLOAD_WAIT_MS = 24 * 3600 * 1000;
/** Turns prepared and not finished, at most: parallel mode prepares one per device of a round. */
const MAX_PREPARED = 2048;

/**
 * The edge server (DESIGN.md 4.1): the adapter hub and the GPU. For each turn it sends
 * the device the newest adapters of blocks 1..cut, and per iteration receives the
 * smashed data, "computes" at the decided frequency (a timed workload: a lower
 * frequency is a longer phase), announces the gradient and sends it; then it takes the
 * device's updated adapters back.
 */
export class ServerActor extends Actor {
  /** The prepared turn of each (round, device), and what abandons it when the coordinator runs it again after a bus outage. */
  private readonly turns = new Map<string, { prepare: PrepareMsg; abort: AbortController }>();
  /** Which turn last updated each block's adapters: the hub's state, 1-based. */
  readonly adapterVersion: string[] = [];

  constructor(deps: ActorDeps) {
    super('server', deps);
  }

  start(): void {
    this.deps.nc.subscribe(this.deps.subjects.control('server'), {
      callback: (err, msg) => (err ? this.reject(undefined, 'control', `subscription error: ${err.message}`) : this.onControl(msg)),
    });
  }

  private onControl(msg: Msg): void {
    const m = decode(serverControlMsg, msg.data);
    if (!m.ok) return this.reject(msg, 'control', m.reason);
    const c = m.value;
    if (c.kind === 'shutdown') return this.acknowledgeShutdown(msg);
    const key = turnKey(c.turn);
    if (c.kind === 'prepare') return this.prepare(msg, key, c);
    const entry = this.turns.get(key);
    if (!entry || (entry.prepare.turn.attempt ?? 0) !== (c.turn.attempt ?? 0)) return this.reject(msg, 'control', `no prepared turn ${key}`);
    const turn = entry.prepare;
    msg.respond(encode({ kind: 'sending', at: hostNowMs() }));
    void this.send(turn, tags.adaptersDown(turn.turn), turn.adapterBytes, entry.abort.signal).catch((err) =>
      this.deps.log('error', 'adapter send failed', { turn: turn.turn, error: (err as Error).message }),
    );
  }

  /**
   * A prepare for a (round, device) already prepared is refused, unless it is a later
   * attempt (the coordinator re-runs a turn a bus outage interrupted): that one abandons
   * the earlier, so the same turn is served once at a time.
   */
  private prepare(msg: Msg, key: string, c: PrepareMsg): void {
    const earlier = this.turns.get(key);
    if (earlier && (c.turn.attempt ?? 0) <= (earlier.prepare.turn.attempt ?? 0)) return this.reject(msg, 'control', `already prepared: ${key}`);
    if (earlier) this.giveUp(key, 'turn run again');
    const entry = { prepare: c, abort: new AbortController() };
    this.turns.set(key, entry);
    if (this.turns.size > MAX_PREPARED) this.giveUp(this.turns.keys().next().value as string, 'turn given up');
    msg.respond(encode({ kind: 'ok' }));
    void this.serveTurn(c, entry.abort.signal)
      .catch((err) => this.deps.log(entry.abort.signal.aborted ? 'info' : 'error', entry.abort.signal.aborted ? 'turn abandoned' : 'turn failed', { turn: c.turn, error: (err as Error).message }))
      .finally(() => {
        if (this.turns.get(key) === entry) this.turns.delete(key);
      });
  }

  /** Stops serving an unfinished turn: its waits fail and its sends stop. A flood of prepares for turns that never come cannot grow the hub either. */
  private giveUp(key: string, why: string): void {
    const entry = this.turns.get(key);
    if (!entry) return;
    this.turns.delete(key);
    entry.abort.abort();
    const turn = entry.prepare;
    for (let i = 1; i <= turn.iterations; i++) this.receiver.cancel(tags.smashed(turn.turn, i), why);
    this.receiver.cancel(tags.adaptersUp(turn.turn), why);
    this.deps.log('warn', 'gave up an unfinished prepared turn', { turn: key, why });
  }

  private send(turn: PrepareMsg, tag: string, bytes: number, signal: AbortSignal) {
    const subject = this.deps.subjects.data(deviceActor(turn.turn.device));
    const opts: SendOptions = { subject, tag, bytes: bytes + turn.padBytes, rateBps: turn.downRateBps, timeoutMs: PAYLOAD_WAIT_MS, ackTimeoutMs: PAYLOAD_WAIT_MS, signal };
    if (this.deps.impairmentFor) opts.impairment = this.deps.impairmentFor(tag);
    return sendPayload(this.deps.nc, opts);
  }

  private async serveTurn(turn: PrepareMsg, signal: AbortSignal): Promise<void> {
    const { nc, subjects, workload } = this.deps;
    for (let i = 1; i <= turn.iterations; i++) {
      await this.receiver.expect(tags.smashed(turn.turn, i), PAYLOAD_WAIT_MS);
      const busyWallS = await runWorkload(workload, turn.computeWallS);
      if (signal.aborted) return;
      nc.publish(subjects.events(deviceActor(turn.turn.device)), encode({ kind: 'gradient', turn: turn.turn, iteration: i, busyWallS, at: hostNowMs() }));
      await this.send(turn, tags.gradient(turn.turn, i), turn.smashedBytes, signal);
    }
    await this.receiver.expect(tags.adaptersUp(turn.turn), PAYLOAD_WAIT_MS);
    for (let block = 1; block <= turn.cut; block++) this.adapterVersion[block] = turnKey(turn.turn);
  }
}

function turnKey(t: { round: number; device: string }): string {
  return `${t.round}/${t.device}`;
}
