import { DELAY_KEYS, type PhaseDelays, type TurnEnergy } from '../../src/cost.js';

/**
 * One finished turn: the decision, the round's rates, and every phase and energy both
 * as the analytic model predicts it and as the emulator measured it, in emulated seconds
 * (wall ÷ timeScale). The two are kept apart by name; neither ever stands in for the other.
 */
export interface TurnRecord {
  round: number;
  device: string;
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
  /** How many times the turn was run again because a bus outage interrupted it (DESIGN.md 4.7); 0 normally. */
  retries: number;
}

const ENERGY_KEYS = ['server', 'deviceCompute', 'deviceTransmit'] as const;

export const CSV_COLUMNS = [
  'round',
  'device',
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
];

export function csvRow(r: TurnRecord): string {
  const cells: (string | number)[] = [
    r.round,
    r.device,
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
      return {
        round: n('round'),
        device: get('device'),
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
      };
    });
}
