/**
 * The clock every process of a run shares: all actors run on one host, and
 * `process.hrtime` reads CLOCK_MONOTONIC, which network namespaces do not change. A
 * phase can therefore end in another process than the one it began in (the uplink ends
 * when the server has the last byte, not when the device hears so), and no message's
 * trip back is counted in it. `performance.now()` reads the same clock from a
 * per-process origin; fromHostMs converts.
 */
export function hostNowMs(): number {
  return Number(process.hrtime.bigint()) / 1e6;
}

/** This process's `performance.now()` reading of a host-clock instant. */
export function fromHostMs(hostMs: number): number {
  return hostMs - (hostNowMs() - performance.now());
}
