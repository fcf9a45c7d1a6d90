import { num } from '../../format/table.js';
import type { ReportRun } from '../inputs.js';
import { linktraceRoundRows } from '../linktrace-rows.js';
import { esc } from './escape.js';

/** Linktrace runs (docs/linktrace.md): expected vs integrated vs measured round delay, per strategy and round; '' for other runs. */
export function linktraceTable(runs: readonly ReportRun[]): string {
  const rows = linktraceRoundRows(runs);
  if (rows.length === 0) return '';
  const ratio = (a: number, b: number) => (b > 0 && Number.isFinite(a) ? num(a / b, 4) : '–');
  const body = rows
    .map((r) => `<tr><td><code>${esc(r.strategy)}</code></td><td>${r.round}</td><td>${num(r.expected)}</td><td>${num(r.integrated)}</td><td>${num(r.measured)}</td><td>${ratio(r.expected, r.integrated)}</td><td>${ratio(r.measured, r.integrated)}</td></tr>`)
    .join('\n');
  return `<h3>Round delay on the traces: expected, integrated, measured (emulated s)</h3>
<table id="linktrace-rounds">
<thead>
<tr><th>strategy</th><th>round</th><th>expected</th><th>integrated</th><th>measured</th><th>exp./integ.</th><th>meas./integ.</th></tr>
</thead>
<tbody>
${body}
</tbody>
</table>
<p class="note">Expected: what the strategy believed at the rates it saw at each turn's start. Integrated: what the traces allowed (the model's phases walked through the trace; the run's "predicted"). Measured: what the emulated links took.</p>`;
}
