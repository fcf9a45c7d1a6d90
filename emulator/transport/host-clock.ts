/**
 * The clock every process of a run shares. On one host `process.hrtime` reads
 * CLOCK_MONOTONIC, which network namespaces do not change, so a phase can end in another
 * process than the one it began in (the uplink ends when the server has the last byte,
 * not when the device hears so), and no message's trip back is counted in it.
 *
 * Across hosts (docs/architecture.md §10) monotonic clocks share nothing, so an actor on an agent's
 * host is told its host's offset to the launcher's clock (measured over NATS, NTP-style)
 * and reads the launcher's timeline: every timestamp on the wire (`sending.at`, a
 * gradient notice's `at`, an ack's `receivedAt`) is then on one timeline. A deliberate
 * skew (`sledge agent --clock-skew-ms`) shifts the host's own reading, to prove the
 * offset cancels it. `performance.now()` reads the same clock from a per-process origin;
 * fromHostMs converts.
 */
const envMs = (key: string): number => {
  const v = Number(typeof process === 'undefined' ? 0 : process.env[key]);
  return Number.isFinite(v) ? v : 0;
};
const SKEW_MS = envMs('SLEDGE_CLOCK_SKEW_MS');
const OFFSET_MS = envMs('SLEDGE_CLOCK_OFFSET_MS');

/** This host's own clock reading (skew included): what an agent answers clock probes with. */
export function localClockMs(skewMs = SKEW_MS): number {
  return Number(process.hrtime.bigint()) / 1e6 + skewMs;
}

/** The run's timeline: the launcher host's clock, wherever this process runs. */
export function hostNowMs(): number {
  return localClockMs() - OFFSET_MS;
}

/** This process's `performance.now()` reading of a host-clock instant. */
export function fromHostMs(hostMs: number): number {
  return hostMs - (hostNowMs() - performance.now());
}
