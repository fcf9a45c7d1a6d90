/**
 * Waiting to a deadline with sub-millisecond error: timers in Node fire up to a few ms
 * late, so a timer covers the bulk and `setImmediate` turns (which still let socket I/O,
 * e.g. acks, through) cover the last stretch. Times are `performance.now()` ms.
 */
const SPIN_MS = 2;

export async function waitUntil(deadlineMs: number, signal?: AbortSignal): Promise<void> {
  const bulk = deadlineMs - performance.now() - SPIN_MS;
  if (bulk > 0) await sleep(bulk, signal);
  while (performance.now() < deadlineMs && !signal?.aborted) await new Promise<void>((r) => setImmediate(r));
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}
