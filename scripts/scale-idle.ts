/**
 * `npm run bench:scale -- idle [N,N,...] [windowS]`: N idle actors (no launcher, no turns,
 * userspace) against the run's kind of nats-server (docs/scale.md). Per N: wall seconds
 * until all were ready (16 starting at a time, as the launcher does), start-up CPU per
 * actor, then after a 20 s settle the CPU the idle actors and nats-server use over the
 * window, from /proc/<pid>/stat, extrapolated to cores per 1,000 actors. The load
 * average is printed with each row: on a shared box it moves every figure.
 */
import { num, table } from '../emulator/format/table.js';
import { cpuSeconds, loadAverage, startIdleActors } from './idle-actors.js';

const SETTLE_S = 20;
const START_CONCURRENCY = 16;

export async function runIdleBench(sizes: number[], windowS: number): Promise<void> {
  const rows: string[][] = [];
  for (const n of sizes) {
    const loadBefore = loadAverage();
    const a = await startIdleActors(n, START_CONCURRENCY, { stderr: 'ignore' });
    const pids = a.children.map((c) => c.pid!);
    const startCpu = pids.reduce((s, p) => s + cpuSeconds(p), 0) / n;
    await new Promise((r) => setTimeout(r, SETTLE_S * 1000));
    const natsPid = a.nats.pid;
    const before = pids.map(cpuSeconds);
    const natsBefore = natsPid ? cpuSeconds(natsPid) : NaN;
    await new Promise((r) => setTimeout(r, windowS * 1000));
    const used = pids.map((p, i) => cpuSeconds(p) - (before[i] ?? 0));
    const natsUsed = natsPid ? cpuSeconds(natsPid) - natsBefore : NaN;
    const total = used.reduce((s, x) => s + x, 0);
    const busy = used.filter((x) => x > 0).length;
    rows.push([
      String(n),
      num(a.readyMs / 1000, 3),
      num(startCpu, 3),
      num(total, 3),
      `${busy}/${n}`,
      num(((total / n) * 1000) / windowS, 3),
      num(natsUsed / windowS, 3),
      loadBefore,
      loadAverage(),
    ]);
    await a.stop();
    console.error(`idle N=${n} done`);
  }
  console.log(`\nidle actors: userspace, ${START_CONCURRENCY} starting at a time, ${SETTLE_S} s settle, ${windowS} s window`);
  console.log(table(['actors', 'ready s', 'start CPU-s/actor', 'idle CPU-s (all)', 'actors that woke', 'idle cores per 1,000 actors', 'nats-server cores', 'load before', 'load after'], rows));
}
