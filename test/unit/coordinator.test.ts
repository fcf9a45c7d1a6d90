/**
 * The coordinator's Turn and Rounds (docs/architecture.md §4) over a fake NATS: what the
 * server and the devices are asked, in what order, how a turn's state moves, and the
 * record made of the measurements they answer with.
 */
import { describe, expect, it } from 'vitest';
import { planRounds, type PlannedRound } from '../../src/plan.js';
import { SystemModel } from '../../src/system-model.js';
import { ControlChannel } from '../../emulator/coordinator/control.js';
import { CoordinatorInbox } from '../../emulator/coordinator/inbox.js';
import { ParallelRounds, SequentialRounds } from '../../emulator/coordinator/rounds.js';
import { Turn, type Supervision, type TurnContext } from '../../emulator/coordinator/turn.js';
import type { Link } from '../../emulator/net/link.js';
import { PacedLink } from '../../emulator/net/paced-link.js';
import { encode } from '../../emulator/protocol/messages.js';
import { Subjects } from '../../emulator/protocol/subjects.js';
import type { TurnRecord } from '../../emulator/records/turn-record.js';
import { FakeNats } from '../helpers/fake-nats.js';
import { mustParse, smallModelConfig } from './helpers.js';

const TIME_SCALE = 2;
const subjects = new Subjects('unit');
const never = new AbortController().signal;

/** Wall phases a device "measured": every phase 0.01 s, total their sum. */
const WALL = { adapterDown: 0.01, serverWait: 0, deviceForward: 0.01, uplink: 0.01, server: 0.01, downlink: 0.01, deviceBackward: 0.01, adapterUp: 0.01, total: 0.07 };

function setup(mode: 'sequential' | 'parallel', extra: Record<string, unknown> = {}, supervision?: Supervision) {
  const system = new SystemModel(mustParse(smallModelConfig(['a', 'b'], { mode, rounds: 2, emulation: { timeScale: TIME_SCALE }, ...extra })));
  const nats = new FakeNats();
  const links = new Map<string, Link>(system.config.devices.map((d) => [d.id, new PacedLink(d.id)]));
  const inbox = new CoordinatorInbox(nats.nc, subjects, links, (err) => {
    throw err;
  });
  const ctx: TurnContext = { system, devices: new Map(system.config.devices.map((d) => [d.id, d])), links, control: new ControlChannel(nats.nc, subjects, 1000), inbox, supervision };
  nats.answer(subjects.control('server'), (body) => (body.kind === 'average' ? { kind: 'averaged', round: body.round, contributions: 2, bytes: 0 } : { kind: 'ok' }));
  for (const d of system.config.devices)
    nats.answer(subjects.control(`device.${d.id}`), (body) => ({ kind: 'report', turn: body.turn, phases: WALL, serverBusyWallS: 0.01, rejected: 0, startAt: d.id === 'a' ? 1000 : 1010 }));
  const rounds = [...planRounds(system, system.strategy())];
  return { system, nats, links, ctx, rounds };
}

/** The requests made, as `actor:kind`. */
const asked = (nats: FakeNats) => nats.requests.map((r) => `${r.subject.split('.ctl.')[1]}:${r.body.kind}`);

describe('Turn', () => {
  it('goes prepared → started → done; the server is told before the device; the record is in emulated seconds', async () => {
    const { nats, ctx, rounds, links } = setup('sequential');
    const planned = rounds[0]!.turns[0]!;
    await links.get('a')!.setRates(1e6, 4e6);
    const turn = await Turn.prepare(ctx, planned, never);
    expect(turn.state).toBe('prepared');
    expect(asked(nats)).toEqual(['server:prepare']);
    turn.start(never);
    expect(turn.state).toBe('started');
    const record = await turn.end(never);
    expect(turn.state).toBe('done');
    expect(asked(nats)).toEqual(['server:prepare', 'device.a:turn']);
    expect(record.measured.delay.total).toBeCloseTo(WALL.total / TIME_SCALE, 12);
    expect(record.predicted.delay).toEqual(planned.delay);
    expect(record.status).toBe('done');
    // the paced link's rates travel with the messages
    expect(nats.requests[0]!.body.downRateBps).toBe(4e6);
    expect(nats.requests[1]!.body.upRateBps).toBe(1e6);
  });

  it('a dropped turn asks nobody anything and records zeros', async () => {
    const { nats, ctx, rounds } = setup('sequential', { faults: [{ kind: 'dropout', device: 'b', rounds: [1] }] });
    const planned = rounds[0]!.turns[1]!;
    const turn = await Turn.prepare(ctx, planned, never);
    expect(turn.state).toBe('dropped');
    turn.start(never);
    const record = await turn.end(never);
    expect(nats.requests).toEqual([]);
    expect(record.status).toBe('dropped');
    expect(record.measured.delay.total).toBe(0);
    expect(record.measured.energy).toEqual({ server: 0, deviceCompute: 0, deviceTransmit: 0 });
  });

  it('a crashed turn ends on the process exit, takes the last report and has the server discard it', async () => {
    const exits: string[] = [];
    const supervision: Supervision = {
      expectCrash: (id) => (exits.push(id), { pid: 42, exited: Promise.resolve('signal SIGKILL') }),
      restart: async () => undefined,
    };
    const { nats, ctx, rounds, links } = setup('sequential', { faults: [{ kind: 'crash', device: 'a', round: 1, phase: 'downlink' }] }, supervision);
    // the dying device never answers its turn
    nats.answer(subjects.control('device.a'), () => new Promise(() => undefined));
    const planned = rounds[0]!.turns[0]!;
    await links.get('a')!.setRates(1e6, 4e6);
    const turn = await Turn.prepare(ctx, planned, never);
    expect(exits).toEqual(['a']);
    turn.start(never);
    // another device cannot report a's crash: only a's own subject is heard for it (docs/trust.md)
    nats.deliverTo(subjects.coordinatorFrom('device.b'), encode({ kind: 'crashing', turn: { round: 1, device: 'a' }, phase: 'downlink', pid: 43, phases: WALL, startAt: 7 }), 'r');
    nats.deliverTo(subjects.coordinatorFrom('device.a'), encode({ kind: 'crashing', turn: { round: 1, device: 'a' }, phase: 'downlink', pid: 42, phases: WALL, startAt: 5 }));
    const record = await turn.end(never);
    expect(turn.state).toBe('crashed');
    expect(record.status).toBe('crashed');
    expect(record.startAt).toBe(5);
    expect(nats.responses).toEqual([{ kind: 'error', message: 'rejected: device.b may report only its own crash' }]);
    expect(asked(nats)).toEqual(['server:prepare', 'device.a:turn', 'server:discard']);
  });

  it('a crash with nothing to supervise it fails the turn, naming the device', async () => {
    const { ctx, rounds } = setup('sequential', { faults: [{ kind: 'crash', device: 'a', round: 1, phase: 'downlink' }] });
    await ctx.links.get('a')!.setRates(1e6, 4e6);
    await expect(Turn.prepare(ctx, rounds[0]!.turns[0]!, never)).rejects.toThrow(/device a: a crash is scheduled in round 1/);
  });
});

describe('CoordinatorInbox', () => {
  it('holds a link only for the sender of that direction: the server a device\'s downlink, a device its own uplink', async () => {
    const nats = new FakeNats();
    const held: string[] = [];
    const link = { hold: async (d: string) => void held.push(`a:${d}`), release: async () => undefined } as unknown as Link;
    const inbox = new CoordinatorInbox(nats.nc, subjects, new Map([['a', link]]), (e) => { throw e; });
    const hold = (phase: string) => encode({ kind: 'hold', turn: { round: 1, device: 'a' }, phase, wallS: 0, at: 1 });
    nats.deliverTo(subjects.coordinatorFrom('device.b'), hold('uplink'), 'r'); // another device
    nats.deliverTo(subjects.coordinatorFrom('device.a'), hold('downlink'), 'r'); // the server's direction
    nats.deliverTo(subjects.coordinatorFrom('server'), hold('uplink'), 'r'); // the device's direction
    nats.deliverTo(subjects.coordinatorFrom('device.a'), hold('uplink'), 'r');
    nats.deliverTo(subjects.coordinatorFrom('server'), hold('downlink'), 'r');
    await new Promise((r) => setTimeout(r, 20));
    expect(held).toEqual(['a:up', 'a:down']);
    expect(nats.responses.filter((r) => r.kind === 'error').map((r) => r.message)).toEqual([
      "rejected: device.b may not hold a's uplink",
      "rejected: device.a may not hold a's downlink",
      "rejected: server may not hold a's uplink",
    ]);
    await inbox.close();
  });
});

describe('Rounds', () => {
  async function play(rounds: SequentialRounds | ParallelRounds, round: PlannedRound) {
    const started: string[] = [];
    const records: TurnRecord[] = [];
    await rounds.run(round, never, { started: (ts) => started.push(...ts.map((t) => t.device)), recorded: async (r) => void records.push(r) });
    return { started, records };
  }

  it('sequential: each turn set, prepared and played before the next; records in config order', async () => {
    const { nats, ctx, rounds, links, system } = setup('sequential');
    const { started, records } = await play(new SequentialRounds(ctx), rounds[0]!);
    expect(started).toEqual(['a', 'b']);
    expect(records.map((r) => r.device)).toEqual(['a', 'b']);
    expect(asked(nats)).toEqual(['server:prepare', 'device.a:turn', 'server:prepare', 'device.b:turn']);
    // rates × payloadScale / timeScale
    const t = rounds[0]!.turns[0]!;
    expect((links.get('a') as PacedLink).rates.upBps).toBeCloseTo((t.rateUpBps * system.config.emulation.payloadScale) / TIME_SCALE, 9);
  });

  it('sequential: a retry gets every attempt and its number', async () => {
    const { ctx, rounds } = setup('sequential');
    const attempts: number[] = [];
    const retry = async (attempt: (s: AbortSignal, n: number) => Promise<TurnRecord>, signal: AbortSignal) => {
      await attempt(signal, 0).then(() => attempts.push(0));
      return attempt(signal, 1).then((r) => (attempts.push(1), r));
    };
    const { records } = await play(new SequentialRounds(ctx, retry), rounds[0]!);
    expect(attempts).toEqual([0, 1, 0, 1]);
    expect(records.map((r) => r.retries)).toEqual([1, 1]);
  });

  it('parallel: every turn prepared before any starts, then the average, then the records on one timeline', async () => {
    const { nats, ctx, rounds } = setup('parallel');
    const { started, records } = await play(new ParallelRounds(ctx), rounds[0]!);
    expect(started).toEqual(['a', 'b']);
    expect(asked(nats)).toEqual(['server:prepare', 'server:prepare', 'device.a:turn', 'device.b:turn', 'server:average']);
    expect(nats.requests.at(-1)!.body).toEqual({ kind: 'average', round: 1 });
    expect(nats.requests[0]!.body.fedAvg).toBe(true);
    // b started 10 wall ms after a: 0.005 emulated seconds at time scale 2
    expect(records.map((r) => r.startOffset)).toEqual([0, 0.01 / TIME_SCALE]);
  });

  it('parallel: a failed turn fails the round only after every turn has ended', async () => {
    const { nats, ctx, rounds } = setup('parallel');
    let bEnded = false;
    nats.answer(subjects.control('device.a'), async () => ({ kind: 'error', message: 'device a: broken' }));
    nats.answer(subjects.control('device.b'), async (body) => {
      await new Promise((r) => setImmediate(r));
      bEnded = true;
      return { kind: 'report', turn: body.turn, phases: WALL, serverBusyWallS: 0.01, rejected: 0 };
    });
    await expect(play(new ParallelRounds(ctx), rounds[0]!)).rejects.toThrow('device a: broken');
    expect(bEnded).toBe(true);
    expect(asked(nats)).not.toContain('server:average');
  });
});
