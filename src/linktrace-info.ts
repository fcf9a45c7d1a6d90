import { windowCapacities, type LinkTrace } from './linktrace.js';

/** What `sledge trace info` reports of a trace (docs/linktrace.md). */
export interface TraceInfo {
  periodS: number;
  opportunities: number;
  meanBps: number;
  /** Over the period's whole 1 s windows. */
  minBps: number;
  maxBps: number;
  /** Share of the 1 s windows whose capacity is below 1 Mbit/s. */
  fractionBelow1Mbps: number;
}

export function traceInfo(trace: LinkTrace): TraceInfo {
  const windows = windowCapacities(trace, 1);
  return {
    periodS: trace.periodMs / 1000,
    opportunities: trace.lines,
    meanBps: trace.meanBps(),
    minBps: Math.min(...windows),
    maxBps: Math.max(...windows),
    fractionBelow1Mbps: windows.filter((w) => w < 1e6).length / windows.length,
  };
}
