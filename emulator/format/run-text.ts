import type { RunResult } from '../launcher/emulation.js';
import { num, pct, table } from './table.js';

/** The end of `sledge run`: predicted and measured side by side, then each phase's fidelity. */
export function formatRunResult(result: RunResult): string {
  const s = result.summary;
  const ratio = (m: number, p: number) => (p > 0 ? num(m / p, 4) : '–');
  const lines = [
    `run ${result.runId} ${result.status}: ${s.turnsDone}/${s.turnsPlanned} turns in ${num(s.wallSeconds, 3)} s wall, ${s.network} network, strategy ${s.strategy}`,
    `(emulated seconds = wall ÷ timeScale ${s.timeScale}; payloads × ${s.payloadScale})`,
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
    table(
      ['phase', 'median |m/p-1|', 'p95', 'worst', 'turns'],
      s.fidelity.map((f) => [f.phase, f.n ? pct(f.median) : '–', f.n ? pct(f.p95) : '–', f.n ? pct(f.worst) : '–', f.n]),
    ),
  ];
  const rejected = Object.entries(s.rejectedMessages).filter(([, n]) => n > 0);
  if (rejected.length) lines.push('', `rejected malformed messages: ${rejected.map(([a, n]) => `${a} ${n}`).join(', ')}`);
  lines.push('', `records: ${result.dir}/ (manifest.json, turns.csv, summary.json, report.html, logs/)`);
  return lines.join('\n');
}
