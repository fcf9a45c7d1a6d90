import { DELAY_KEYS, type PhaseDelays, type TransferPhase, type TurnEnergy } from '../../src/cost.js';
import type { TurnFault, TurnStatus } from '../../src/faults.js';

/**
 * One finished turn: the decision, the round's rates, and every phase and energy both
 * as the analytic model predicts it and as the emulator measured it, in emulated seconds
 * (wall ÷ timeScale). The two are kept apart by name; neither ever stands in for the other.
 */
export interface TurnRecord {
  round: number;
  device: string;
  /** How the turn ended (docs/model.md §1.7); a dropped turn has zeros on both sides. */
  status: TurnStatus;
  /** The scheduled fault that hit the turn, as `faultLabel` writes it; '' for none. */
  fault: string;
  /** Parallel mode: when the turn started, in emulated seconds after the round's first turn started (0 in sequential mode). */
  startOffset: number;
  cut: number;
  serverFreqHz: number;
  rateUpBps: number;
  rateDownBps: number;
  predicted: { delay: PhaseDelays; energy: TurnEnergy };
  measured: { delay: PhaseDelays; energy: TurnEnergy };
  /** Wall seconds of the turn as the coordinator saw it, control messages included. */
  coordinatorWallS: number;
  /** Wall seconds the server's GPU workload ran, as the server measured it. */
  serverBusyWallS: number;
  /** Host-clock ms the turn started, as the actors measured it (places a parallel turn in its round; not in the CSV). */
  startAt?: number;
  /** How many times the turn was run again because a bus outage interrupted it (docs/architecture.md §9); 0 normally. */
  retries: number;
  /** Wall seconds per emulated second this turn ran at: "auto" may change it between turns (docs/fidelity.md). */
  timeScale?: number;
  /** The host's 1-minute load average as the turn ended. */
  hostLoad1m?: number;
  /** Trace-following links (docs/linktrace.md): what the strategy expected (1.4 at the rates it saw) and the mean rate each transfer phase realised. */
  linktrace?: { expectedTotal: number; realisedBps: Record<TransferPhase, number> };
}

const TRANSFERS = ['adapterDown', 'uplink', 'downlink', 'adapterUp'] as const satisfies readonly TransferPhase[];

const ENERGY_KEYS = ['server', 'deviceCompute', 'deviceTransmit'] as const;

/** A fault in a CSV cell: `dropout`, `crash@uplink`, `outage@downlink+2s`. */
export function faultLabel(f: TurnFault | undefined): string {
  if (!f) return '';
  if (f.kind === 'dropout') return 'dropout';
  return f.kind === 'crash' ? `crash@${f.phase}` : `outage@${f.phase}+${f.seconds}s`;
}

const STATUSES: readonly string[] = ['done', 'dropped', 'crashed'];

export const CSV_COLUMNS = [
  'round',
  'device',
  'status',
  'fault',
  'start_offset',
  'cut',
  'serverFreqHz',
  'rateUpBps',
  'rateDownBps',
  ...DELAY_KEYS.map((k) => `predicted_${k}`),
  ...DELAY_KEYS.map((k) => `measured_${k}`),
  ...ENERGY_KEYS.map((k) => `predicted_energy_${k}`),
  ...ENERGY_KEYS.map((k) => `measured_energy_${k}`),
  'coordinator_wall_s',
  'server_busy_wall_s',
  'retries',
  'time_scale',
  'host_load_1m',
  'expected_total',
  'seen_up_bps',
  'seen_down_bps',
  ...TRANSFERS.map((k) => `realised_bps_${k}`),
];

export function csvRow(r: TurnRecord): string {
  const cells: (string | number)[] = [
    r.round,
    r.device,
    r.status,
    r.fault,
    r.startOffset,
    r.cut,
    r.serverFreqHz,
    r.rateUpBps,
    r.rateDownBps,
    ...DELAY_KEYS.map((k) => r.predicted.delay[k]),
    ...DELAY_KEYS.map((k) => r.measured.delay[k]),
    ...ENERGY_KEYS.map((k) => r.predicted.energy[k]),
    ...ENERGY_KEYS.map((k) => r.measured.energy[k]),
    r.coordinatorWallS,
    r.serverBusyWallS,
    r.retries,
    r.timeScale ?? '',
    r.hostLoad1m ?? '',
    r.linktrace?.expectedTotal ?? '',
    r.linktrace ? r.rateUpBps : '',
    r.linktrace ? r.rateDownBps : '',
    ...TRANSFERS.map((k) => r.linktrace?.realisedBps[k] ?? ''),
  ];
  return cells.join(',');
}

/** Reads turns.csv back into records (used by compare, report and tests). */
export function parseTurnsCsv(text: string): TurnRecord[] {
  const [header, ...lines] = text.trim().split('\n');
  const cols = (header ?? '').split(',');
  return lines
    .filter((l) => l !== '')
    .map((line) => {
      const cells = line.split(',');
      const get = (name: string) => cells[cols.indexOf(name)] ?? '';
      const n = (name: string) => Number(get(name));
      const delays = (side: string) => Object.fromEntries(DELAY_KEYS.map((k) => [k, n(`${side}_${k}`)])) as PhaseDelays;
      const energy = (side: string) => Object.fromEntries(ENERGY_KEYS.map((k) => [k, n(`${side}_energy_${k}`)])) as unknown as TurnEnergy;
      // runs recorded before faults and parallel mode have none of these columns
      const status = STATUSES.includes(get('status')) ? (get('status') as TurnStatus) : 'done';
      return {
        round: n('round'),
        device: get('device'),
        status,
        fault: get('fault'),
        startOffset: n('start_offset') || 0,
        cut: n('cut'),
        serverFreqHz: n('serverFreqHz'),
        rateUpBps: n('rateUpBps'),
        rateDownBps: n('rateDownBps'),
        predicted: { delay: delays('predicted'), energy: energy('predicted') },
        measured: { delay: delays('measured'), energy: energy('measured') },
        coordinatorWallS: n('coordinator_wall_s'),
        serverBusyWallS: n('server_busy_wall_s'),
        // a run written before the column existed had no retries
        retries: n('retries') || 0,
        // runs recorded before per-turn scales have neither column
        ...(get('time_scale') !== '' ? { timeScale: n('time_scale') } : {}),
        ...(get('host_load_1m') !== '' ? { hostLoad1m: n('host_load_1m') } : {}),
        ...(get('expected_total') !== ''
          ? { linktrace: { expectedTotal: n('expected_total'), realisedBps: Object.fromEntries(TRANSFERS.map((k) => [k, n(`realised_bps_${k}`)])) as Record<TransferPhase, number> } }
          : {}),
      };
    });
}
