import type { Channel } from './channel.js';
import { PACKET_BYTES, type LinkTrace } from './linktrace.js';
import type { Device, Rates } from './system.js';

/** What the strategy is told at a turn's start (docs/linktrace.md): the past window or the long-run mean. */
export type Estimator = { kind: 'window'; seconds: number } | { kind: 'mean' };

export type Direction = 'up' | 'down';

/** One device's link: its two traces and its offset o_k into them. */
export interface DeviceLink {
  up: LinkTrace;
  down: LinkTrace;
  /** o_k in seconds: the device's link at run time t is its trace at t + o_k. */
  offsetS: number;
}

export interface LinkSpec {
  up: string;
  down: string;
  offsetS: number;
  staggerS: number;
}

/**
 * Each device's offset: a device listed by id takes its own offsetS; the others take
 * `default` with offsetS + k*staggerS, k the device's 0-based place in the device list.
 */
export function deviceLinks(devices: readonly Device[], links: Record<string, LinkSpec>, traces: ReadonlyMap<string, LinkTrace>): Map<string, DeviceLink> {
  const out = new Map<string, DeviceLink>();
  devices.forEach((d, k) => {
    const own = links[d.id];
    const spec = own ?? links.default;
    if (!spec) throw new Error(`channel.links: no link for device "${d.id}" and no "default"`);
    const offsetS = own ? own.offsetS : spec.offsetS + k * spec.staggerS;
    out.set(d.id, { up: traces.get(spec.up)!, down: traces.get(spec.down)!, offsetS });
  });
  return out;
}

/**
 * The trace-following channel: the rates a strategy sees at a run time, and how long a
 * transfer that starts at a run time takes on the device's link. Pure; O(1) a query (LinkTrace).
 */
export class LinkTraceChannel implements Channel {
  constructor(
    readonly links: ReadonlyMap<string, DeviceLink>,
    readonly estimator: Estimator,
    /** d, the one-way latency of every transfer, seconds. */
    readonly latencyS: number,
  ) {}

  link(deviceId: string): DeviceLink {
    const link = this.links.get(deviceId);
    if (!link) throw new Error(`linktrace: no link for device "${deviceId}"`);
    return link;
  }

  /** The rates the estimator gives at run time tS (seconds). */
  seen(deviceId: string, tS: number): Rates {
    const link = this.link(deviceId);
    if (this.estimator.kind === 'mean') return { upBps: link.up.meanBps(), downBps: link.down.meanBps() };
    const traceMs = 1000 * (tS + link.offsetS);
    const { seconds } = this.estimator;
    return { upBps: link.up.windowBps(traceMs, seconds), downBps: link.down.windowBps(traceMs, seconds) };
  }

  /**
   * Time on air c (seconds) of `bytes` modelled bytes starting at run time tS: to the
   * ceil(B/1500)-th opportunity at or after tS. Latency is the caller's (it adds d once).
   */
  airTime(deviceId: string, direction: Direction, tS: number, bytes: number): number {
    return airTime(this.link(deviceId), direction, tS, bytes);
  }

  /** Per-round rates for code that asks per round (not the planner): the long-run means. */
  rates(_round: number, device: Device): Rates {
    const link = this.link(device.id);
    return { upBps: link.up.meanBps(), downBps: link.down.meanBps() };
  }
}

/** LinkTraceChannel.airTime on a device's link already looked up (a turn's walk looks it up once). */
export function airTime(link: DeviceLink, direction: Direction, tS: number, bytes: number): number {
  const packets = Math.ceil(bytes / PACKET_BYTES);
  if (packets <= 0) return 0;
  const trace = direction === 'up' ? link.up : link.down;
  const startMs = 1000 * (tS + link.offsetS);
  return (trace.kthAtOrAfter(startMs, packets) - startMs) / 1000;
}
