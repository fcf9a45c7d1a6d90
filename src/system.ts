/** The edge server and the mobile devices as the cost model sees them (docs/model.md §1.2, 1.3). */
export interface Server {
  freqHz: { min: number; max: number };
  flopsPerCycle: number;
  kappa: number;
  staticPowerW: number;
  /** Only the shannon channel's downlink needs it. */
  txPowerDbm?: number | undefined;
}

export interface Device {
  id: string;
  freqHz: number;
  flopsPerCycle: number;
  kappa: number;
  memoryBytes: number;
  txPowerDbm: number;
  /** Only the shannon channel needs distance and bandwidth. */
  distanceM?: number | undefined;
  bandwidthHz?: number | undefined;
  /** The host it runs on under `sledge run --agents` (an agent's name or "local"); the model ignores it. */
  agent?: string | undefined;
}

/** A device's link rates in one round, bits per second. */
export interface Rates {
  upBps: number;
  downBps: number;
}

export function dbmToWatts(dbm: number): number {
  return 10 ** ((dbm - 30) / 10);
}
