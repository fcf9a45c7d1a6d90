import { CHART_LIBRARIES } from '../vega-svg.js';
import type { ReportInput, ReportRun } from '../inputs.js';
import { esc } from './escape.js';

/** Where the numbers come from: config, runs, network, scales, seed, code and date (from manifest.json). */
export function headerHtml(input: ReportInput): string {
  const first = input.runs[0] as ReportRun;
  const m = first.manifest;
  const c = m.config;
  const distinct = (f: (r: ReportRun) => string) => [...new Set(input.runs.map(f))].join('; ');
  const facts: [string, string][] = [
    ['config', `${esc(c.name)}${input.configPath ? ` (<code>${esc(input.configPath)}</code>)` : ''}`],
    ['model', esc(`${c.model.preset ?? 'custom'}: ${c.model.layers} blocks, hidden ${c.model.hidden}`)],
    ['devices × rounds', esc(`${c.devices.length} × ${c.rounds} (${c.mode})`)],
    [input.runs.length > 1 ? 'strategies' : 'strategy', input.runs.map((r) => `<code>${esc(r.label)}</code>`).join(', ')],
    [input.runs.length > 1 ? 'run ids' : 'run id', input.runs.map((r) => `<code>${esc(r.manifest.runId)}</code>`).join(', ')],
    ['network', esc(distinct((r) => `${r.manifest.network}${r.manifest.networkReason ? ` (${r.manifest.networkReason})` : ''}`))],
    ['time scale', esc(`${distinct(timeScaleText)} wall s per emulated s (times below are emulated)`)],
    ['emulator floor', esc(distinct(floorText))],
    ['payload scale', esc(`${c.emulation.payloadScale} of the modelled bytes on the wire`)],
    ['seed', esc(m.seed)],
    ['git commit', esc(distinct((r) => (r.manifest.git ? `${r.manifest.git.commit.slice(0, 12)}${r.manifest.git.dirty ? ' (uncommitted changes)' : ''}` : 'unknown')))],
    ['date', esc(distinct((r) => r.manifest.createdAt))],
    ['versions', esc(`sledge ${m.versions.sledge}, Node ${m.versions.node}`)],
    ['host', esc(`${m.host.hostname}, ${m.host.platform} ${m.host.kernel}, ${m.host.cpus} × ${m.host.cpuModel}`)],
  ];
  const title = input.kind === 'compare' ? `Comparison: ${c.name}` : `Run: ${c.name}`;
  const lead =
    input.kind === 'compare'
      ? `${input.runs.length} strategies on the same seed and channel draws; reductions are of <code>${esc(input.reference)}</code> against each other strategy.`
      : `One emulation run, predicted by the analytic model and measured by the emulator.`;
  return `<header>
<h1>${esc(title)}</h1>
<p class="lead">${lead}</p>
<dl class="facts">
${facts.map(([k, v]) => `<dt>${esc(k)}</dt><dd>${v}</dd>`).join('\n')}
</dl>
</header>`;
}

export function footerHtml(): string {
  return `<footer>Written by <code>sledge report</code> on ${esc(new Date().toISOString())}. Charts: ${esc(CHART_LIBRARIES)}, rendered to inline SVG; the page loads nothing from the network.</footer>`;
}

function timeScaleText(r: ReportRun): string {
  const s = r.summary;
  return s.timeScaleRequested === 'auto' ? `${s.timeScale} (chosen by auto)` : String(s.timeScale ?? r.manifest.config.emulation.timeScale);
}

/** Older runs have no calibrated floor. */
function floorText(r: ReportRun): string {
  const f = r.summary.floor?.transfer;
  return f ? `median ${f.medianMs.toFixed(3)} ms, p95 ${f.p95Ms.toFixed(3)} ms wall per transfer (calibrated at run start)` : 'not calibrated';
}
