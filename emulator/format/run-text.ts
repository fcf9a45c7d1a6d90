import type { RunResult } from '../launcher/emulation.js';
import type { PhaseFidelity } from '../records/fidelity.js';
import type { RunSummary } from '../records/run-summary.js';
import { num, pct, table } from './table.js';

/** The end of `sledge run`: predicted and measured side by side, then each phase's fidelity. */
export function formatRunResult(result: RunResult): string {
  const s = result.summary;
  const ratio = (m: number, p: number) => (p > 0 ? num(m / p, 4) : '–');
  const lines = [
    `run ${result.runId} ${result.status}: ${s.turnsDone}/${s.turnsPlanned} turns in ${num(s.wallSeconds, 3)} s wall, ${s.network} network, strategy ${s.strategy}`,
    `(emulated seconds = wall ÷ timeScale ${s.timeScale}${s.timeScaleRequested === 'auto' ? ', chosen by auto' : ''}; payloads × ${s.payloadScale})`,
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
    table(['phase', 'median |m/p-1|', 'p95', 'worst', 'turns'], s.fidelity.map(fidelityRow)),
  ];
  if (s.fidelity.some((f) => f.belowResolution)) lines.push(resolutionNote(s));
  const rejected = Object.entries(s.rejectedMessages).filter(([, n]) => n > 0);
  if (rejected.length) lines.push('', `rejected malformed messages: ${rejected.map(([a, n]) => `${a} ${n}`).join(', ')}`);
  lines.push('', `records: ${result.dir}/ (manifest.json, turns.csv, summary.json, report.html, logs/)`);
  return lines.join('\n');
}

/** A phase below the emulator's resolution shows its absolute error (emulated ms, marked *), not a percentage that measures the floor. */
function fidelityRow(f: PhaseFidelity): (string | number)[] {
  if (!f.n) return [f.phase, '–', '–', '–', 0];
  if (f.belowResolution) return [`${f.phase} *`, `±${num(f.medianAbsMs, 3)} ms`, `±${num(f.p95AbsMs, 3)} ms`, pct(f.worst), f.n];
  return [f.phase, pct(f.median), pct(f.p95), pct(f.worst), f.n];
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
