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
  private readonly turns = new Map<string, PrepareMsg>();
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
    if (c.kind === 'prepare') {
      if (this.turns.has(key)) return this.reject(msg, 'control', `already prepared: ${key}`);
      this.turns.set(key, c);
      if (this.turns.size > MAX_PREPARED) this.forgetOldestTurn();
      msg.respond(encode({ kind: 'ok' }));
      void this.serveTurn(c).catch((err) => this.deps.log('error', 'turn failed', { turn: c.turn, error: (err as Error).message }));
      return;
    }
    const turn = this.turns.get(key);
    if (!turn) return this.reject(msg, 'control', `no prepared turn ${key}`);
    msg.respond(encode({ kind: 'sending', at: hostNowMs() }));
    void this.send(turn, tags.adaptersDown(turn.turn), turn.adapterBytes).catch((err) =>
      this.deps.log('error', 'adapter send failed', { turn: turn.turn, error: (err as Error).message }),
    );
  }

  /** A flood of prepares for turns that never come cannot grow the hub: the oldest unfinished one is given up. */
  private forgetOldestTurn(): void {
    const [key, turn] = this.turns.entries().next().value as [string, PrepareMsg];
    this.turns.delete(key);
    for (let i = 1; i <= turn.iterations; i++) this.receiver.cancel(tags.smashed(turn.turn, i), 'turn given up');
    this.receiver.cancel(tags.adaptersUp(turn.turn), 'turn given up');
    this.deps.log('warn', 'gave up an unfinished prepared turn', { turn: key });
  }

  private send(turn: PrepareMsg, tag: string, bytes: number) {
    const subject = this.deps.subjects.data(deviceActor(turn.turn.device));
    const opts: SendOptions = { subject, tag, bytes: bytes + turn.padBytes, rateBps: turn.downRateBps, timeoutMs: PAYLOAD_WAIT_MS, ackTimeoutMs: PAYLOAD_WAIT_MS };
    if (this.deps.impairment) opts.impairment = this.deps.impairment;
    return sendPayload(this.deps.nc, opts);
  }

  private async serveTurn(turn: PrepareMsg): Promise<void> {
    const { nc, subjects, workload } = this.deps;
    for (let i = 1; i <= turn.iterations; i++) {
      await this.receiver.expect(tags.smashed(turn.turn, i), PAYLOAD_WAIT_MS);
      const busyWallS = await runWorkload(workload, turn.computeWallS);
      nc.publish(subjects.events(deviceActor(turn.turn.device)), encode({ kind: 'gradient', turn: turn.turn, iteration: i, busyWallS, at: hostNowMs() }));
      await this.send(turn, tags.gradient(turn.turn, i), turn.smashedBytes);
    }
    await this.receiver.expect(tags.adaptersUp(turn.turn), PAYLOAD_WAIT_MS);
    for (let block = 1; block <= turn.cut; block++) this.adapterVersion[block] = turnKey(turn.turn);
    this.turns.delete(turnKey(turn.turn));
  }
}

function turnKey(t: { round: number; device: string }): string {
  return `${t.round}/${t.device}`;
}
