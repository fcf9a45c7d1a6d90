import { z } from 'zod';
import { PHASES, TRANSFER_PHASES, type Phase, type TransferPhase } from './cost.js';
import { formatPath, type Check } from './issues.js';

/** What went wrong, as the config schedules it (docs/model.md §1.7). */
export type Fault =
  | { kind: 'dropout'; device: string; rounds: number[] }
  | { kind: 'crash'; device: string; round: number; phase: Phase }
  | { kind: 'outage'; device: string; round: number; phase: TransferPhase; seconds: number };

/** The fault of one (round, device) turn: a turn has at most one. */
export type TurnFault =
  | { kind: 'dropout' }
  | { kind: 'crash'; phase: Phase }
  | { kind: 'outage'; phase: TransferPhase; seconds: number };

/** Every (round, device) has exactly one turn record, in one of these states. */
export type TurnStatus = 'done' | 'dropped' | 'crashed';
export const TURN_STATUSES = ['done', 'dropped', 'crashed'] as const satisfies readonly TurnStatus[];

const round = z.number().int().min(1);
const device = z.string().min(1);
const SCHEMAS = {
  dropout: z.strictObject({ kind: z.literal('dropout'), device, rounds: z.array(round).min(1) }),
  crash: z.strictObject({ kind: z.literal('crash'), device, round, phase: z.enum(PHASES) }),
  // any phase here, so that a compute phase gets the outage's own rule below rather than a bare enum
  outage: z.strictObject({ kind: z.literal('outage'), device, round, phase: z.enum(PHASES), seconds: z.number().gt(0) }),
};
const KINDS = Object.keys(SCHEMAS) as (keyof typeof SCHEMAS)[];

/**
 * Checks `faults` against the devices and rounds it refers to. `deviceIds` and `rounds`
 * are undefined when those parts of the config are themselves broken: their cross-checks
 * are skipped then, so one mistake is not reported twice.
 */
export function resolveFaults(raw: unknown, deviceIds: readonly string[] | undefined, rounds: number | undefined, check: Check, errors: string[]): Fault[] | undefined {
  if (raw === undefined) return [];
  if (!Array.isArray(raw)) {
    errors.push('faults: must be an array');
    return undefined;
  }
  const before = errors.length;
  const faults = raw.map((item, i) => parseFault(item, i, check, errors));
  const known = deviceIds && new Set(deviceIds);
  const taken = new Map<string, number>();
  faults.forEach((fault, i) => {
    if (!fault) return;
    if (known && !known.has(fault.device)) errors.push(`${formatPath(['faults', i, 'device'])}: no device "${fault.device}" in devices`);
    for (const [r, path] of turnsOf(fault, i)) {
      if (rounds !== undefined && r > rounds) errors.push(`${formatPath(path)}: must be <= ${rounds} (the config has ${rounds} rounds)`);
      const key = `${r}/${fault.device}`;
      const first = taken.get(key);
      if (first === undefined) taken.set(key, i);
      else errors.push(`${formatPath(path)}: round ${r} of device "${fault.device}" already has a fault (faults[${first}])`);
    }
  });
  return errors.length === before ? (faults as Fault[]) : undefined;
}

function parseFault(item: unknown, i: number, check: Check, errors: string[]): Fault | undefined {
  if (typeof item !== 'object' || item === null || Array.isArray(item)) {
    errors.push(`${formatPath(['faults', i])}: must be an object`);
    return undefined;
  }
  const kind = (item as { kind?: unknown }).kind;
  if (!KINDS.includes(kind as never)) {
    errors.push(`${formatPath(['faults', i, 'kind'])}: must be one of ${KINDS.map((k) => JSON.stringify(k)).join(', ')}`);
    return undefined;
  }
  const fault = check(SCHEMAS[kind as keyof typeof SCHEMAS], item, ['faults', i]);
  if (fault?.kind === 'outage' && !(TRANSFER_PHASES as readonly string[]).includes(fault.phase)) {
    errors.push(`${formatPath(['faults', i, 'phase'])}: an outage stops a link, so it must be a transfer phase: one of ${TRANSFER_PHASES.map((p) => JSON.stringify(p)).join(', ')}`);
    return undefined;
  }
  return fault as Fault | undefined;
}

/** The rounds a fault touches, each with the JSON path that names it. */
function turnsOf(fault: Fault, i: number): [number, PropertyKey[]][] {
  if (fault.kind === 'dropout') return fault.rounds.map((r, k) => [r, ['faults', i, 'rounds', k]]);
  return [[fault.round, ['faults', i, 'round']]];
}

/** The faults by turn, for the planner and the coordinator alike. */
export class FaultSchedule {
  private readonly byTurn = new Map<string, TurnFault>();

  constructor(faults: readonly Fault[]) {
    for (const f of faults) {
      if (f.kind === 'dropout') for (const r of f.rounds) this.byTurn.set(key(r, f.device), { kind: 'dropout' });
      else if (f.kind === 'crash') this.byTurn.set(key(f.round, f.device), { kind: 'crash', phase: f.phase });
      else this.byTurn.set(key(f.round, f.device), { kind: 'outage', phase: f.phase, seconds: f.seconds });
    }
  }

  at(round: number, deviceId: string): TurnFault | undefined {
    // asked once per turn and most configs have no faults: no key built for nothing
    return this.byTurn.size ? this.byTurn.get(key(round, deviceId)) : undefined;
  }

  get size(): number {
    return this.byTurn.size;
  }
}

function key(round: number, deviceId: string): string {
  return `${round}/${deviceId}`;
}
