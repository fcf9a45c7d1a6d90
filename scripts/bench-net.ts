/**
 * Network shaping benchmark: goodput ÷ configured rate through a shaped device link, and
 * topology setup/teardown times.
 *
 *   npx tsc -p tsconfig.json && node dist/scripts/bench-net.js [--quick] [--reps N]
 *
 * --quick skips cells whose transfer would take over 15 s (1 Mbit/s × 8 MiB is 67 s) and
 * runs each cell once; otherwise each cell is the median of --reps runs (default 3).
 * --concurrency N (default 8): the `tc ×N` column runs N transfers at once, each through
 * its own device's link and all through the one bridge, as a parallel-mode round does.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { connect } from '@nats-io/transport-node';
import { startNats } from '../emulator/servers/nats-server.js';
import { PayloadReceiver, sendPayload } from '../emulator/transport/transfer.js';
import { setRatesMany } from '../emulator/net/link.js';
import { timedTransfer, type Direction } from '../emulator/net/measure.js';
import { tcModeMissing, probeCapabilities } from '../emulator/net/probe.js';
import { headStartBytes } from '../emulator/net/shaper.js';
import { createTopology, type Topology } from '../emulator/net/topology.js';

export const RATES_BPS = [1e6, 5e6, 20e6, 100e6];
export const SIZES_BYTES = [64 * 1024, 1024 * 1024, 8 * 1024 * 1024];
export const DIRECTIONS: readonly Direction[] = ['up', 'down'];

/** Measures one cell: returns goodput ÷ configured rate (1.00 is exact). */
export type CellBench = (rateBps: number, bytes: number, direction: Direction) => Promise<number>;

const live = new Set<Topology>();

async function withTopology<T>(devices: number, fn: (t: Topology) => Promise<T>): Promise<T> {
  const t = await createTopology({
    runId: `bench-net-${process.pid}-${Date.now()}`,
    deviceIds: Array.from({ length: devices }, (_, i) => `d${i + 1}`),
  });
  live.add(t);
  try {
    return await fn(t);
  } finally {
    live.delete(t);
    await t.destroy();
  }
}

/**
 * tc mode: one transfer of `bytes` through a one-device topology shaped to `rateBps` both
 * ways, timed at the receiver from accept to last byte. Pass a topology to reuse one.
 * `padded` sends the shaper's head start on top, as the emulator's senders do, and counts
 * only `bytes` (the payload whose arrival the model predicts).
 */
export async function benchTcCell(rateBps: number, bytes: number, direction: Direction, topology?: Topology, padded = false): Promise<number> {
  const run = async (t: Topology): Promise<number> => {
    await t.link('d1').setRates(rateBps, rateBps);
    const sent = bytes + (padded ? headStartBytes(rateBps) : 0);
    const r = await timedTransfer({ topology: t, deviceId: 'd1', bytes: sent, direction });
    return (8 * bytes) / r.seconds / rateBps;
  };
  return topology ? run(topology) : withTopology(1, run);
}

/**
 * tc mode under concurrency: the same transfer through `n` devices' links at once (each
 * shaped to `rateBps`, all behind one bridge to the host), padded as the emulator sends.
 * Returns the worst device's goodput ratio: parallel mode needs every link to hold.
 */
export async function benchTcConcurrentCell(rateBps: number, bytes: number, direction: Direction, topology: Topology): Promise<number> {
  const ids = topology.devices.map((d) => d.deviceId);
  await setRatesMany(ids.map((id) => ({ link: topology.link(id), upBps: rateBps, downBps: rateBps })));
  const sent = bytes + headStartBytes(rateBps);
  const results = await Promise.all(ids.map((deviceId) => timedTransfer({ topology, deviceId, bytes: sent, direction })));
  return Math.min(...results.map((r) => (8 * bytes) / r.seconds / rateBps));
}

/**
 * userspace mode: the emulator's own paced transport (docs/architecture.md §2) between two NATS
 * connections through a real nats-server, timed from the sender's start to the receiver's
 * last chunk. Direction does not matter to userspace pacing; both are measured anyway.
 */
export async function withUserspaceBench<T>(fn: (cell: CellBench) => Promise<T>): Promise<T> {
  const root = await mkdtemp(join(tmpdir(), 'sledge-bench-net-'));
  const nats = await startNats({ dir: join(root, 'nats'), runId: 'benchnet' });
  const sender = await connect({ servers: nats.url, token: nats.token });
  const receiving = await connect({ servers: nats.url, token: nats.token });
  const subject = 'sledge.benchnet.data.server';
  const receiver = new PayloadReceiver(receiving, subject);
  await receiving.flush();
  let n = 0;
  try {
    return await fn(async (rateBps, bytes, direction) => {
      const tag = `bench/${direction}/${n++}`;
      const received = receiver.expect(tag, 600_000);
      const sent = await sendPayload(sender, { subject, tag, bytes, rateBps, timeoutMs: 600_000 });
      return (8 * bytes) / (((await received).completedAt - sent.startedAt) / 1000) / rateBps;
    });
  } finally {
    await receiver.close();
    await sender.close();
    await receiving.close();
    await nats.stop();
    await rm(root, { recursive: true, force: true });
  }
}

export interface GoodputRow {
  readonly rateBps: number;
  readonly bytes: number;
  /** column name → direction → ratio, or undefined where the cell was skipped */
  readonly cells: Record<string, Partial<Record<Direction, number>>>;
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? (s[(s.length - 1) / 2] as number) : ((s[s.length / 2 - 1] as number) + (s[s.length / 2] as number)) / 2;
};

/** Runs every cell of every column (each column one network mode). */
export async function benchGoodput(
  columns: Record<string, CellBench>,
  options: { quick?: boolean; reps?: number; maxSeconds?: number } = {},
): Promise<GoodputRow[]> {
  const reps = options.quick ? 1 : Math.max(1, options.reps ?? 3);
  const maxSeconds = options.quick ? (options.maxSeconds ?? 15) : Infinity;
  const rows: GoodputRow[] = [];
  for (const rateBps of RATES_BPS) {
    for (const bytes of SIZES_BYTES) {
      const row: GoodputRow = { rateBps, bytes, cells: {} };
      rows.push(row);
      if ((8 * bytes) / rateBps > maxSeconds) continue;
      for (const [name, bench] of Object.entries(columns)) {
        const cell: Partial<Record<Direction, number>> = (row.cells[name] = {});
        for (const direction of DIRECTIONS) {
          const runs: number[] = [];
          for (let i = 0; i < reps; i++) runs.push(await bench(rateBps, bytes, direction));
          cell[direction] = median(runs);
        }
      }
    }
  }
  return rows;
}

const fmtRate = (bps: number): string => `${bps / 1e6} Mbit/s`;
const fmtSize = (b: number): string => (b >= 1024 * 1024 ? `${b / 1024 / 1024} MiB` : `${b / 1024} KiB`);

/** The plain goodput table, one "<column> up" and "<column> down" pair per column. */
export function formatGoodputTable(rows: readonly GoodputRow[], columns: readonly string[]): string {
  const header = ['rate', 'size', ...columns.flatMap((c) => [`${c} up`, `${c} down`])];
  const body = rows.map((r) => [
    fmtRate(r.rateBps),
    fmtSize(r.bytes),
    ...columns.flatMap((c) => DIRECTIONS.map((d) => (r.cells[c]?.[d] === undefined ? 'skip' : (r.cells[c]?.[d] as number).toFixed(4)))),
  ]);
  return formatTable(header, body);
}

export function formatTable(header: readonly string[], body: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]): string => cells.map((c, i) => (i < 2 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join('  ');
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...body.map(line)].join('\n');
}

export interface LifecycleTiming {
  readonly devices: number;
  readonly setupMs: number;
  readonly setRatesManyMs: number;
  readonly teardownMs: number;
}

/** Setup, one setRatesMany over all links, and teardown of an n-device topology. */
export async function benchLifecycle(devices: number): Promise<LifecycleTiming> {
  const t0 = performance.now();
  const t = await createTopology({
    runId: `bench-net-life-${process.pid}-${devices}`,
    deviceIds: Array.from({ length: devices }, (_, i) => `d${i + 1}`),
  });
  live.add(t);
  const t1 = performance.now();
  let t2 = t1;
  try {
    await setRatesMany(t.devices.map((d, i) => ({ link: t.link(d.deviceId), upBps: 1e6 + i * 1e5, downBps: 2e6 + i * 1e5 })));
    t2 = performance.now();
  } finally {
    live.delete(t);
    const report = await t.destroy();
    if (report.errors.length > 0) console.error(report.errors.join('\n'));
  }
  const t3 = performance.now();
  return { devices, setupMs: t1 - t0, setRatesManyMs: t2 - t1, teardownMs: t3 - t2 };
}

async function main(argv: string[]): Promise<void> {
  const quick = argv.includes('--quick');
  const repsAt = argv.indexOf('--reps');
  const reps = repsAt >= 0 ? Number(argv[repsAt + 1]) : 3;
  const nAt = argv.indexOf('--concurrency');
  const n = nAt >= 0 ? Number(argv[nAt + 1]) : 8;
  const concurrent = `tc ×${n}`;
  const missing = tcModeMissing(await probeCapabilities());
  if (missing.length > 0) {
    console.error(`tc mode is not possible here (missing ${missing.join(', ')}); nothing to measure`);
    process.exitCode = 2;
    return;
  }
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      void Promise.all([...live].map((t) => t.destroy())).finally(() => process.exit(130));
    });
  }
  const timings = [];
  for (const n of [10, 100]) timings.push(await benchLifecycle(n));
  console.log('topology lifecycle (ms)');
  console.log(
    formatTable(
      ['devices', '', 'setup', 'setRatesMany', 'teardown'],
      timings.map((t) => [String(t.devices), '', t.setupMs.toFixed(0), t.setRatesManyMs.toFixed(0), t.teardownMs.toFixed(0)]),
    ),
  );
  console.log();
  const rows = await withTopology(1, (t) =>
    withTopology(n, (many) =>
      withUserspaceBench((userspace) =>
        benchGoodput(
          {
            tc: (rate, bytes, direction) => benchTcCell(rate, bytes, direction, t),
            'tc padded': (rate, bytes, direction) => benchTcCell(rate, bytes, direction, t, true),
            [concurrent]: (rate, bytes, direction) => benchTcConcurrentCell(rate, bytes, direction, many),
            userspace,
          },
          { quick, reps },
        ),
      ),
    ),
  );
  console.log(
    `goodput ÷ configured rate (tc: Node TCP through the shaped veth, accept → last byte; tc padded: the same with the shaper head start sent on top, payload bytes counted, as the emulator sends; ${concurrent}: ${n} padded transfers at once through ${n} links and one bridge, the worst link; userspace: the paced NATS transport, send → last chunk; ${quick ? 'quick: 1 run, cells > 15 s skipped' : `median of ${reps}`})`,
  );
  console.log(formatGoodputTable(rows, ['tc', 'tc padded', concurrent, 'userspace']));
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main(process.argv.slice(2)).catch((e: unknown) => {
    console.error(e instanceof Error ? e.message : String(e));
    process.exitCode = 1;
  });
}
