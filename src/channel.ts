import { Rng } from './rng.js';
import { dbmToWatts, type Device, type Rates } from './system.js';

/** Per-round link rates of every device (docs/model.md §1.3). */
export interface Channel {
  rates(round: number, device: Device): Rates;
}

export interface ShannonParams {
  fading: 'none' | 'rayleigh';
  noiseDbmPerHz: number;
  refLossDb: number;
  pathLossExponent: number;
}

/**
 * r = B log2(1 + Ptx G / (N0 B)), G = 10^(-PL/10) |g|^2. Rayleigh block fading draws
 * |g|^2 ~ Exp(1) per device, round and direction from a stream keyed by the device id,
 * so every strategy (and every device-count) sees the same draws for the same device.
 */
export class ShannonChannel implements Channel {
  private readonly noiseWPerHz: number;

  constructor(
    private readonly params: ShannonParams,
    private readonly serverTxPowerDbm: number,
    private readonly seed: number,
  ) {
    this.noiseWPerHz = dbmToWatts(params.noiseDbmPerHz);
  }

  /** |g|^2 for one device, round and direction. */
  powerGain(round: number, deviceId: string, direction: 'up' | 'down'): number {
    if (this.params.fading === 'none') return 1;
    return Rng.of(this.seed, 'fading', round, deviceId, direction).exponential();
  }

  rate(bandwidthHz: number, txPowerDbm: number, distanceM: number, gain: number): number {
    const pathLossDb = this.params.refLossDb + 10 * this.params.pathLossExponent * Math.log10(distanceM);
    const g = 10 ** (-pathLossDb / 10) * gain;
    const snr = (dbmToWatts(txPowerDbm) * g) / (this.noiseWPerHz * bandwidthHz);
    return bandwidthHz * Math.log2(1 + snr);
  }

  rates(round: number, device: Device): Rates {
    const bandwidthHz = device.bandwidthHz ?? 0;
    const distanceM = device.distanceM ?? 0;
    return {
      upBps: this.rate(bandwidthHz, device.txPowerDbm, distanceM, this.powerGain(round, device.id, 'up')),
      downBps: this.rate(bandwidthHz, this.serverTxPowerDbm, distanceM, this.powerGain(round, device.id, 'down')),
    };
  }
}

export interface TraceSeries {
  upBps: number[];
  downBps: number[];
}
export type Trace = Record<string, TraceSeries>;

/** Measured or synthetic rates: round t uses index (t-1) mod length of each list. */
export class TraceChannel implements Channel {
  constructor(private readonly trace: Trace) {}

  rates(round: number, device: Device): Rates {
    const series = this.trace[device.id];
    if (!series) throw new Error(`trace has no device "${device.id}"`);
    return { upBps: cyclic(series.upBps, round), downBps: cyclic(series.downBps, round) };
  }
}

function cyclic(values: readonly number[], round: number): number {
  return values[(round - 1) % values.length] as number;
}

/**
 * Parses a trace CSV (header `round,device,upBps,downBps`, any column order). Rows of a
 * device are ordered by round; rounds must run 1..n without gaps so the cycle is the
 * one the file shows. Returns the trace or the list of problems, each naming its line.
 */
export function parseTraceCsv(text: string, source: string): { trace: Trace } | { errors: string[] } {
  const errors: string[] = [];
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  const header = (lines[0] ?? '').split(',').map((c) => c.trim());
  const col = (name: string) => header.indexOf(name);
  const idx = { round: col('round'), device: col('device'), upBps: col('upBps'), downBps: col('downBps') };
  for (const [name, i] of Object.entries(idx)) if (i < 0) errors.push(`${source}:1: missing column "${name}"`);
  if (errors.length) return { errors };

  const rows = new Map<string, Map<number, [number, number]>>();
  lines.slice(1).forEach((line, i) => {
    if (line.trim() === '') return;
    const where = `${source}:${i + 2}`;
    const cells = line.split(',').map((c) => c.trim());
    const round = Number(cells[idx.round]);
    const device = cells[idx.device] ?? '';
    const up = Number(cells[idx.upBps]);
    const down = Number(cells[idx.downBps]);
    if (!Number.isInteger(round) || round < 1) return void errors.push(`${where}: round must be an integer >= 1`);
    if (device === '') return void errors.push(`${where}: device is empty`);
    if (!(Number.isFinite(up) && up > 0)) return void errors.push(`${where}: upBps must be a number > 0`);
    if (!(Number.isFinite(down) && down > 0)) return void errors.push(`${where}: downBps must be a number > 0`);
    const byRound = rows.get(device) ?? new Map<number, [number, number]>();
    if (byRound.has(round)) return void errors.push(`${where}: round ${round} of device "${device}" appears twice`);
    byRound.set(round, [up, down]);
    rows.set(device, byRound);
  });

  const trace: Trace = {};
  for (const [device, byRound] of rows) {
    const series: TraceSeries = { upBps: [], downBps: [] };
    for (let r = 1; r <= byRound.size; r++) {
      const row = byRound.get(r);
      if (!row) {
        errors.push(`${source}: device "${device}" has no row for round ${r} (rounds must run 1..n)`);
        break;
      }
      series.upBps.push(row[0]);
      series.downBps.push(row[1]);
    }
    trace[device] = series;
  }
  if (rows.size === 0 && errors.length === 0) errors.push(`${source}: no rows`);
  return errors.length ? { errors } : { trace };
}
