import type { Figure } from '../figures.js';
import type { ReportInput } from '../inputs.js';
import { esc } from './escape.js';
import { footerHtml, headerHtml } from './header.js';
import { linktraceTable } from './linktrace-table.js';
import { STYLE } from './style.js';
import { averagesTable, faultsTable, fidelityTable, reductionsTable, statusNotes } from './tables.js';

/** The whole page: header, summary tables, then one <figure id=…> per chart with its inline SVG. */
export function pageHtml(input: ReportInput, figures: { figure: Pick<Figure, 'id' | 'title' | 'caption'>; svg: string }[]): string {
  const compare = input.kind === 'compare';
  const title = `sledge report: ${input.runs[0]?.manifest.config.name ?? ''}${compare ? ' (comparison)' : ''}`;
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(title)}</title>
<style>${STYLE}</style>
</head>
<body>
${headerHtml(input)}
<section id="summary">
<h2>Summary</h2>
${statusNotes(input)}
<h3>Average per round, predicted and measured</h3>
${averagesTable(input.runs)}
${compare ? `<h3>Reduction by <code>${esc(input.reference)}</code> against each other strategy</h3>\n${reductionsTable(input)}\n<p class="note">Reduction = (other − ${esc(input.reference)}) / other, of the average per round; green: ${esc(input.reference)} is lower.</p>` : ''}
<h3>Fidelity per phase: |measured / predicted − 1| over the turns</h3>
${fidelityTable(input.runs)}
${faultsTable(input.runs)}
${linktraceTable(input.runs)}
</section>
<section id="charts">
<h2>Charts</h2>
${figures.map(({ figure, svg }) => figureHtml(figure, svg)).join('\n')}
</section>
${footerHtml()}
</body>
</html>
`;
}

function figureHtml(f: Pick<Figure, 'id' | 'title' | 'caption'>, svg: string): string {
  return `<figure id="${esc(f.id)}">
<div class="chart">${svg}</div>
<figcaption><b>${esc(f.title)}.</b> ${esc(f.caption)}</figcaption>
</figure>`;
}
