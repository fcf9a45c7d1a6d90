import type { RunResult } from '../launcher/emulation.js';
import type { PhaseFidelity } from '../records/fidelity.js';
import type { RunSummary } from '../records/run-summary.js';
import { num, pct, table } from './table.js';
import { verdictLine } from '../records/fidelity-verdict.js';

/** The end of `sledge run`: predicted and measured side by side, then each phase's fidelity. */
/** Turns by status, and the devices restarted after their crash: shown only when faults were scheduled. */
function faultLines(result: RunResult): string[] {
  const s = result.summary;
  const kinds = new Map<string, number>();
  for (const r of result.records) if (r.fault) kinds.set(r.fault.split('@')[0]!, (kinds.get(r.fault.split('@')[0]!) ?? 0) + 1);
  if (kinds.size === 0) return [];
  const byStatus = s.predicted.turnsByStatus;
  const m = s.measured.turnsByStatus;
  return [
    '',
    `faults hit ${[...kinds].map(([k, n]) => `${n} turn${n === 1 ? '' : 's'} with ${k}`).join(', ')}`,
    table(
      ['turns', 'done', 'dropped', 'crashed'],
      [
        ['scheduled', byStatus.done, byStatus.dropped, byStatus.crashed],
        ['recorded', m.done, m.dropped, m.crashed],
      ],
    ),
    ...s.restarts.map((r) => `restarted after its crash: ${r.device} in round ${r.round} (pid ${r.oldPid ?? '?'} → ${r.newPid ?? '?'})`),
  ];
}

export function formatRunResult(result: RunResult): string {
  const s = result.summary;
  const ratio = (m: number, p: number) => (p > 0 ? num(m / p, 4) : '–');
  const lines = [
    ...(s.fidelity ? [verdictLine(s.fidelity)] : []),
    `run ${result.runId} ${result.status}: ${s.turnsDone}/${s.turnsPlanned} turns in ${num(s.wallSeconds, 3)} s wall, ${s.network} network, strategy ${s.strategy}`,
    `(emulated seconds = wall ÷ timeScale ${scaleText(s)}${s.timeScaleRequested === 'auto' ? ', chosen by auto' : ''}; payloads × ${s.payloadScale})`,
    ...floorLine(s),
    '',
    table(
      ['', 'predicted', 'measured', 'measured/predicted'],
      [
        ['avg round delay (s)', num(s.predicted.avgRoundDelay), num(s.measured.avgRoundDelay), ratio(s.measured.avgRoundDelay, s.predicted.avgRoundDelay)],
        ['avg server energy (J)', num(s.predicted.avgServerEnergy), num(s.measured.avgServerEnergy), ratio(s.measured.avgServerEnergy, s.predicted.avgServerEnergy)],
        ['avg device energy (J)', num(s.predicted.avgDeviceEnergy), num(s.measured.avgDeviceEnergy), ratio(s.measured.avgDeviceEnergy, s.predicted.avgDeviceEnergy)],
      ],
    ),
    '',
    table(['phase', 'median |m/p-1|', 'p95', 'worst', 'turns', 'median |m-p| (s)', 'p95 |m-p| (s)'], s.fidelityByPhase.map(fidelityRow)),
  ];
  if (s.fidelityByPhase.some((f) => f.belowResolution)) lines.push(resolutionNote(s));
  lines.push(...faultLines(result));
  const changes = (s.scaleChanges ?? []).filter((c) => c.to !== c.from);
  if (changes.length) lines.push('', `time scale changed ${changes.length} time${changes.length === 1 ? '' : 's'} while the run ran:`, ...changes.map((c) => `  after ${c.afterTurns} turns: ${c.from} → ${c.to} (${c.reason})`));
  // the monitor wanted to slow down and could not: a miss it could not remedy is said, with what held it (docs/fidelity.md)
  const held = (s.scaleChanges ?? []).filter((c) => c.to === c.from);
  if (held.length) lines.push('', 'time scale held while the run ran:', ...held.map((c) => `  after ${c.afterTurns} turns: stays ${c.to} (${c.reason})`));
  const rejected = Object.entries(s.rejectedMessages).filter(([, n]) => n > 0);
  if (rejected.length) lines.push('', `rejected malformed messages: ${rejected.map(([a, n]) => `${a} ${n}`).join(', ')}`);
  lines.push('', `records: ${result.dir}/ (manifest.json, turns.csv, summary.json, report.html, logs/)`);
  return lines.join('\n');
}

/** A phase below the emulator's resolution shows its absolute error (emulated ms, marked *), not a percentage that measures the floor. */
function fidelityRow(f: PhaseFidelity): (string | number)[] {
  const abs = [num(f.absMedian ?? NaN, 3), num(f.absP95 ?? NaN, 3)];
  if (!f.n) return [f.phase, '–', '–', '–', 0, ...abs];
  if (f.belowResolution) return [`${f.phase} *`, `±${num(f.absMedian * 1000, 3)} ms`, `±${num(f.absP95 * 1000, 3)} ms`, pct(f.worst), f.n, ...abs];
  return [f.phase, pct(f.median), pct(f.p95), pct(f.worst), f.n, ...abs];
}

function floorLine(s: RunSummary): string[] {
  if (!s.floor) return [];
  const { transfer } = s.floor;
  return [`(emulator floor per transfer: median ${num(transfer.medianMs, 3)} ms, p95 ${num(transfer.p95Ms, 3)} ms wall, calibrated at start; target ${pct(s.fidelityTarget)} per phase)`];
}

function resolutionNote(s: RunSummary): string {
  const floorMs = s.floor?.transfer.medianMs ?? NaN;
  const emulated = typeof s.timeScale === 'number' ? ` = ${num(floorMs / s.timeScale, 3)} ms emulated` : '';
  return `* below the emulator's resolution: predicted shorter than its floor (${num(floorMs, 3)} ms wall${emulated}); median and p95 are |measured − predicted| in emulated ms`;
}

/** The run's time scale, or the range it moved in when "auto" adapted it to the host's load. */
function scaleText(s: RunSummary): string {
  const r = s.fidelity?.timeScale;
  return r && Number.isFinite(r.min) && r.min !== r.max ? `${r.min}–${r.max} (per turn in turns.csv)` : String(s.timeScale);
}
