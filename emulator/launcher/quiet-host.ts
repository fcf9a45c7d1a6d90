import { readFileSync } from 'node:fs';

/**
 * Waits until the host's CPUs are quiet before the first turn. A freshly started Node
 * process keeps working for about ten seconds after it is ready (measured: 200 idle
 * device processes use 1.3 CPU-seconds in their first 10 s, then 0.1 per 10 s); with
 * hundreds of devices the last ones started are still in that burst when the first turns
 * run, and the first turns' timings would show it (at 300 devices the first ten turns
 * came out 44% off against 11% in a 10-device run). Returns the seconds waited.
 */
const WINDOW_MS = 500;

function cpuTimes(): { idle: number; total: number } {
  const line = readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '';
  const fields = line.trim().split(/\s+/).slice(1).map(Number);
  const idle = (fields[3] ?? 0) + (fields[4] ?? 0);
  return { idle, total: fields.reduce((a, b) => a + b, 0) };
}

export async function waitForQuietHost(opts: { idleFraction?: number; maxMs?: number; signal?: AbortSignal } = {}): Promise<number> {
  const want = opts.idleFraction ?? 0.8;
  const maxMs = opts.maxMs ?? 15_000;
  const start = performance.now();
  let before = cpuTimes();
  while (performance.now() - start < maxMs && !opts.signal?.aborted) {
    await new Promise((r) => setTimeout(r, WINDOW_MS));
    const now = cpuTimes();
    const total = now.total - before.total;
    if (total > 0 && (now.idle - before.idle) / total >= want) break;
    before = now;
  }
  return (performance.now() - start) / 1000;
}
