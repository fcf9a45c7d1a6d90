import { readFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { planSeq, reconcileTurns } from '../emulator/records/reconcile.js';
import { RunFiles } from '../emulator/records/run-files.js';
import { RunStore } from '../emulator/records/run-store.js';
import { parseTurnsCsv, type TurnRecord } from '../emulator/records/turn-record.js';
import { startRedis, type EmbeddedRedis } from '../emulator/servers/redis-server.js';
import { tempDir } from './helpers/emulation.js';

const DEVICES = ['d1', 'd2'];
const seqOf = planSeq(DEVICES, 3);
const zero = { adapterDown: 0, deviceForward: 0, uplink: 0, server: 0, serverWait: 0, downlink: 0, deviceBackward: 0, adapterUp: 0, total: 1 };
const energy = { server: 1, deviceCompute: 2, deviceTransmit: 3 };
const turn = (round: number, device: string): TurnRecord =>
  ({ round, device, cut: 2, serverFreqHz: 1e9, rateUpBps: 1e6, rateDownBps: 2e6, predicted: { delay: zero, energy }, measured: { delay: zero, energy }, coordinatorWallS: 0.5, serverBusyWallS: 0.1, retries: 0 }) as TurnRecord;
const keys = (rs: readonly TurnRecord[]) => rs.map((r) => `${r.round}/${r.device}`);

/** Reconciling turns.csv with the Redis stream before a resume (docs/architecture.md §9), against a real redis-server. */
describe('reconcileTurns', () => {
  let dir: string;
  let redis: EmbeddedRedis;

  beforeAll(async () => {
    dir = await tempDir('reconcile');
    redis = await startRedis({ dir: join(dir, 'redis-sledge-test'), runId: 'test-reconcile' });
  });

  afterAll(async () => {
    await redis?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  async function setUp(name: string, csv: TurnRecord[], stream: TurnRecord[]) {
    const files = new RunFiles(join(dir, name));
    for (const r of csv) files.appendTurn(r);
    const store = await RunStore.open(redis.url, name);
    stream.forEach((r, i) => void store.turn(r, i + 1, seqOf(r)!));
    await store.records(); // the writes above are pipelined before this read
    return { files, store };
  }

  it('a kill -9 between the CSV append and the XADD: the stream gets the missing turn, nothing is doubled', async () => {
    const all = [turn(1, 'd1'), turn(1, 'd2'), turn(2, 'd1')];
    const { files, store } = await setUp('stream-behind', all, all.slice(0, 2));
    const r = await reconcileTurns(files, store, seqOf);
    expect(keys(r.records)).toEqual(['1/d1', '1/d2', '2/d1']);
    expect([r.addedToCsv, r.addedToStream]).toEqual([0, 1]);
    expect(keys((await store.records()).map((e) => e.record))).toEqual(['1/d1', '1/d2', '2/d1']);
    expect(keys(parseTurnsCsv(readFileSync(files.turnsPath, 'utf8')))).toEqual(['1/d1', '1/d2', '2/d1']);
    await store.close();
  });

  it('a CSV that lost its tail and holds a row twice: rewritten as the union, each turn once, in plan order', async () => {
    const { files, store } = await setUp('csv-behind', [turn(1, 'd1'), turn(1, 'd1')], [turn(1, 'd1'), turn(1, 'd2'), turn(2, 'd1')]);
    const r = await reconcileTurns(files, store, seqOf);
    expect([r.addedToCsv, r.addedToStream]).toEqual([2, 0]);
    expect(keys(parseTurnsCsv(readFileSync(files.turnsPath, 'utf8')))).toEqual(['1/d1', '1/d2', '2/d1']);
    expect(keys((await store.records()).map((e) => e.record))).toEqual(['1/d1', '1/d2', '2/d1']);
    await store.close();
  });

  it('writing a recorded turn again (a retried write, a resume) leaves one stream entry', async () => {
    const { store } = await setUp('twice', [], [turn(1, 'd1')]);
    await store.turn(turn(1, 'd1'), 1, 1);
    expect(await store.records()).toHaveLength(1);
    await store.close();
  });
});
