import { num, pct } from '../../format/table.js';
import type { RunSummary } from '../../records/run-summary.js';
import type { PhaseFidelity } from '../../records/fidelity.js';
import { verdictLine, type FidelityVerdict } from '../../records/fidelity-verdict.js';
import type { ScaleChange } from '../../launcher/scale-monitor.js';
import type { ReportInput, ReportRun } from '../inputs.js';
import { esc } from './escape.js';

/** The numbers a paper quotes: averages predicted and measured, reductions, fidelity per phase. */
type Cell = string | { html: string; cls?: string };

function table(head: string[][], rows: Cell[][]): string {
  const th = head.map((row) => `<tr>${row.join('')}</tr>`).join('\n');
  const td = rows.map((r) => `<tr>${r.map((c) => (typeof c === 'string' ? `<td>${c}</td>` : `<td${c.cls ? ` class="${c.cls}"` : ''}>${c.html}</td>`)).join('')}</tr>`).join('\n');
  return `<table>\n<thead>\n${th}\n</thead>\n<tbody>\n${td}\n</tbody>\n</table>`;
}

const ratio = (m: number, p: number) => (p > 0 ? num(m / p, 4) : '–');
const h = (text: string, span = 1, rows = 1) => `<th${span > 1 ? ` colspan="${span}"` : ''}${rows > 1 ? ` rowspan="${rows}"` : ''}>${esc(text)}</th>`;

export function averagesTable(runs: readonly ReportRun[]): string {
  const head = [
    [h('strategy', 1, 2), h('avg round delay (emulated s)', 3), h('avg server energy (J)', 3), h('turns', 1, 2)],
    [h('predicted'), h('measured'), h('meas./pred.'), h('predicted'), h('measured'), h('meas./pred.')],
  ];
  const rows = runs.map((r) => {
    const p = r.summary.predicted;
    const m = r.summary.measured;
    return [
      `<code>${esc(r.label)}</code>`,
      num(p.avgRoundDelay),
      num(m.avgRoundDelay),
      ratio(m.avgRoundDelay, p.avgRoundDelay),
      num(p.avgServerEnergy),
      num(m.avgServerEnergy),
      ratio(m.avgServerEnergy, p.avgServerEnergy),
      esc(`${r.summary.turnsDone}/${r.summary.turnsPlanned}`),
    ];
  });
  return table(head, rows);
}

/** (other − reference) / other: the paper's "x% lower than the benchmark"; negative means the reference did worse. */
export function reductionsTable(input: ReportInput): string {
  const ref = input.runs.find((r) => r.label === input.reference);
  if (!ref) return `<p class="warn">compare.json names the reference ${esc(input.reference)}, which is not one of its strategies: no reductions.</p>`;
  const others = input.runs.filter((r) => r !== ref);
  if (others.length === 0) return '<p class="note">Only one strategy: nothing to reduce against.</p>';
  const reduction = (mine: number, theirs: number): Cell => {
    if (!(theirs > 0)) return '–';
    const x = 1 - mine / theirs;
    return { html: pct(x), cls: x > 0 ? 'better' : x < 0 ? 'worse' : '' };
  };
  const head = [
    [h('against', 1, 2), h('delay reduction', 2), h('server energy reduction', 2)],
    [h('predicted'), h('measured'), h('predicted'), h('measured')],
  ];
  const rows = others.map((o) => [
    `<code>${esc(o.label)}</code>`,
    reduction(ref.summary.predicted.avgRoundDelay, o.summary.predicted.avgRoundDelay),
    reduction(ref.summary.measured.avgRoundDelay, o.summary.measured.avgRoundDelay),
    reduction(ref.summary.predicted.avgServerEnergy, o.summary.predicted.avgServerEnergy),
    reduction(ref.summary.measured.avgServerEnergy, o.summary.measured.avgServerEnergy),
  ]);
  return table(head, rows);
}

/** |measured/predicted − 1| per phase: the median and p95 for each run (and the worst for a single run). */
export function fidelityTable(runs: readonly ReportRun[]): string {
  const first = runs[0];
  if (!first) return '';
  return `${verdicts(runs)}\n${scaleChanges(runs)}${phaseTable(runs, first)}`;
}

/**
 * What the monitor did to each run's time scale (docs/fidelity.md, "Monitoring"): every
 * change and every slow-down it could not make, with its reason, as the end-of-run text
 * says them. A reader of the fidelity table must know its turns ran at more than one scale.
 */
function scaleChanges(runs: readonly ReportRun[]): string {
  const items = runs.flatMap((r) => {
    const changes = (r.summary as unknown as { scaleChanges?: unknown }).scaleChanges;
    if (!Array.isArray(changes)) return [];
    const who = runs.length > 1 ? `<code>${esc(r.label)}</code>: ` : '';
    return (changes as ScaleChange[]).map(
      (c) => `<li>${who}after ${c.afterTurns} turns: ${c.from === c.to ? `timeScale held at ${c.to}` : `timeScale ${c.from} → ${c.to}`} <span class="note">(${esc(c.reason)})</span></li>`,
    );
  });
  return items.length ? `<p>Time scale changes while the run ran:</p>\n<ul class="scale-changes">\n${items.join('\n')}\n</ul>\n` : '';
}

/** Each run's verdict (docs/fidelity.md), the line the end-of-run text starts with; runs recorded before it have none. */
function verdicts(runs: readonly ReportRun[]): string {
  const lines = runs.flatMap((r) => {
    const v = (r.summary as unknown as { fidelity?: unknown }).fidelity;
    if (!v || Array.isArray(v) || typeof v !== 'object') return [];
    const verdict = v as FidelityVerdict;
    const who = runs.length > 1 ? `<code>${esc(r.label)}</code>: ` : '';
    return [`<p class="${verdict.met ? 'fidelity-met' : 'fidelity-missed'}"><strong>${who}${esc(verdictLine(verdict))}</strong></p>`];
  });
  return lines.join('\n');
}

function phaseTable(runs: readonly ReportRun[], first: ReportRun): string {
  const phases = byPhase(first.summary).map((f) => f.phase);
  const of = (r: ReportRun, phase: string) => byPhase(r.summary).find((f) => f.phase === phase);
  if (runs.length === 1) {
    const head = [[h('phase'), h('median'), h('p95'), h('worst'), h('turns')]];
    const rows = byPhase(first.summary).map((f) => [esc(f.phase), f.n ? pct(f.median) : '–', f.n ? pct(f.p95) : '–', f.n ? pct(f.worst) : '–', String(f.n)]);
    return table(head, rows);
  }
  const head = [[h('phase'), ...runs.map((r) => `<th><code>${esc(r.label)}</code></th>`)]];
  const rows = phases.map((phase) => [
    esc(phase),
    ...runs.map((r) => {
      const f = of(r, phase);
      return f && f.n ? `${pct(f.median)} <span class="note">(p95 ${pct(f.p95)})</span>` : '–';
    }),
  ]);
  return table(head, rows);
}

/** What a reader must know before trusting the averages: a comparison cut short, runs that left no records, runs that did not finish. */
export function statusNotes(input: ReportInput): string {
  const notes = [
    ...(input.status ? [`<p class="warn">The comparison ended ${esc(input.status)}: it covers the runs below only.</p>`] : []),
    ...input.missing.map((m) => `<p class="warn">No records for <code>${esc(m.strategy)}</code> (${esc(m.run)}): ${esc(m.reason)}.</p>`),
  ];
  return [...notes, ...runNotes(input.runs)].join('\n');
}

function runNotes(runs: readonly ReportRun[]): string[] {
  return runs
    .filter((r) => r.summary.status !== 'finished')
    .map((r) => `<p class="warn">Run <code>${esc(r.manifest.runId)}</code> (${esc(r.label)}) ${esc(r.summary.status)}${r.summary.error ? `: ${esc(r.summary.error)}` : ''} — ${r.summary.turnsDone} of ${r.summary.turnsPlanned} turns; its averages cover the finished turns only.</p>`);
}

/** Every turn a scheduled fault hit (docs/model.md §1.7), marked by its status; '' when there are none. */
export function faultsTable(runs: readonly ReportRun[]): string {
  const hit = runs.flatMap((r) => r.turns.filter((t) => t.fault).map((t) => ({ run: r.label, t })));
  if (hit.length === 0) return '';
  const head = [[...(runs.length > 1 ? [h('strategy')] : []), h('round'), h('device'), h('fault'), h('status'), h('predicted total (s)'), h('measured total (s)')]];
  const rows = hit.map(({ run, t }) => [
    ...(runs.length > 1 ? [`<code>${esc(run)}</code>`] : []),
    String(t.round),
    esc(t.device),
    `<code>${esc(t.fault)}</code>`,
    { html: esc(t.status), cls: t.status === 'done' ? '' : 'worse' },
    num(t.predicted.delay.total),
    num(t.measured.delay.total),
  ]);
  return `<h3>Faulted turns</h3>\n${table(head, rows)}\n<p class="note">Scheduled faults: a dropped turn took no part (zeros); a crashed one is measured up to the crash, its adapters discarded and its device restarted; an outage is in its phase's time. Fidelity above counts completed turns only.</p>`;
}

/** The per-phase table of a summary: `fidelityByPhase`, or `fidelity` in runs recorded before the verdict took its name. */
export function byPhase(s: RunSummary): PhaseFidelity[] {
  const legacy = (s as unknown as { fidelity: unknown }).fidelity;
  return s.fidelityByPhase ?? (Array.isArray(legacy) ? (legacy as PhaseFidelity[]) : []);
}
