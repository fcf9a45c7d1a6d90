import { fixedTimeScale } from '../../src/resolution.js';
import type { PlannedRound, PlannedTurn } from '../../src/plan.js';
import { setRatesMany, TcLink } from '../net/link.js';
import { averagedMsg, decode, encode } from '../protocol/messages.js';
import type { TurnRecord } from '../records/turn-record.js';
import type { Coordinator } from './coordinator.js';
import { restartCrashed } from './crashed-turn.js';

/**
 * One round of parallel mode (docs/model.md §1.6): every taking-part device's link set at
 * once, the server told of every turn, then every device started together; the round
 * ends when the last device has returned its adapters (or crashed). The server then
 * averages the adapters the round returned (FedAvg) before the next round starts, and
 * crashed devices are restarted. Each turn's start is placed on the round's timeline
 * (startOffset, emulated seconds after the first start), so a finish time is
 * startOffset + total, the quantity the model's schedule predicts as total.
 */
export async function runParallelRound(c: Coordinator, round: PlannedRound, signal: AbortSignal): Promise<TurnRecord[]> {
  const taking = round.turns.filter((t) => t.status !== 'dropped');
  await setRates(c, taking);
  const prepared = await Promise.all(taking.map((t) => c.prepareTurn(t, signal)));
  const byDevice = new Map<string, Promise<TurnRecord>>(taking.map((t, i) => [t.device, c.runTurn(t, signal, 0, prepared[i])]));
  // every turn settles before the round is judged, so that a failure leaves nothing running behind it
  const settled = await Promise.allSettled(round.turns.map((t) => byDevice.get(t.device) ?? c.runTurn(t, signal)));
  const failed = settled.find((s) => s.status === 'rejected');
  if (failed) throw failed.reason;
  const records = settled.map((s) => (s as PromiseFulfilledResult<TurnRecord>).value);
  placeOnTimeline(records, fixedTimeScale(c.system.config.emulation));
  await average(c, round.round, signal);
  await restartCrashed(c, records, signal);
  return records;
}

async function setRates(c: Coordinator, turns: readonly PlannedTurn[]): Promise<void> {
  const changes = turns.map((t) => ({ link: c.links.get(t.device)!, upBps: c.wallRate(t.rateUpBps), downBps: c.wallRate(t.rateDownBps) }));
  const kernel = changes.filter((x): x is typeof x & { link: TcLink } => x.link instanceof TcLink);
  // one tc batch for all host sides rather than a process per device
  await setRatesMany(kernel);
  await Promise.all(changes.filter((x) => !(x.link instanceof TcLink)).map((x) => x.link.setRates(x.upBps, x.downBps)));
}

function placeOnTimeline(records: TurnRecord[], timeScale: number): void {
  const starts = records.flatMap((r) => (r.startAt === undefined ? [] : [r.startAt]));
  const first = Math.min(...starts);
  for (const r of records) if (r.startAt !== undefined) r.startOffset = (r.startAt - first) / 1000 / timeScale;
}

async function average(c: Coordinator, round: number, signal: AbortSignal): Promise<void> {
  const reply = await c.request('server', { kind: 'average', round }, c.options.controlTimeoutMs, signal);
  const m = decode(averagedMsg, encode(reply));
  if (!m.ok || m.value.round !== round) throw new Error(`server: unexpected reply to the round ${round} average`);
}
