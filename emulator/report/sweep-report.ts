import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { UsageError } from '../errors.js';
import type { ComparedRun } from '../experiment/comparison.js';
import { frontierChart, type FrontierRow } from './charts/frontier.js';
import { esc } from './html/escape.js';
import { STYLE } from './html/style.js';
import { renderSvg } from './vega-svg.js';

/** sweep.json as `sledge sweep` writes it. */
interface SweepFile {
  config: string;
  configName: string;
  seed: number;
  axes: string[];
  rows: { values: (number | string | boolean)[]; run: ComparedRun }[];
}

export function isSweepDir(dir: string): boolean {
  return existsSync(join(dir, 'sweep.json'));
}

/** The frontier's rows: each finished run twice, as predicted and as measured. */
export function frontierRows(file: SweepFile): FrontierRow[] {
  return file.rows
    .filter((r) => r.run.status === 'finished')
    .flatMap((r) => {
      const point = file.axes.map((a, i) => `${a}=${String(r.values[i])}`).join(' ') || 'the config';
      const family = r.run.strategy.split(':')[0] ?? r.run.strategy;
      return (['measured', 'predicted'] as const).map((source) => ({ family, strategy: r.run.strategy, point, source, energy: r.run[source].avgServerEnergy, delay: r.run[source].avgRoundDelay }));
    });
}

/**
 * `sledge report <sweep dir>`: one self-contained page with the delay-vs-energy frontier of
 * every strategy the sweep ran (docs/strategies.md), e.g. lyapunov over energyBudgetJ beside
 * CARD over weightDelay, and the table of its runs.
 */
export async function writeSweepReport(dirArg: string, out?: string): Promise<string> {
  const dir = resolve(dirArg);
  let file: SweepFile;
  try {
    file = JSON.parse(readFileSync(join(dir, 'sweep.json'), 'utf8')) as SweepFile;
    if (!Array.isArray(file.rows) || !Array.isArray(file.axes)) throw new Error('rows and axes missing');
  } catch (err) {
    throw new UsageError(`report ${dirArg}: sweep.json is not a sweep (${(err as Error).message})`);
  }
  const rows = frontierRows(file);
  if (rows.length === 0) throw new UsageError(`report ${dirArg}: the sweep has no finished run`);
  const families = [...new Set(rows.map((r) => r.family))];
  const svg = await renderSvg(frontierChart(rows, families));
  const table = file.rows
    .map((r) => `<tr><td><code>${esc(r.run.strategy)}</code></td><td>${esc(file.axes.map((a, i) => `${a}=${String(r.values[i])}`).join(' '))}</td><td>${esc(r.run.status)}</td>${[r.run.predicted.avgRoundDelay, r.run.measured.avgRoundDelay, r.run.predicted.avgServerEnergy, r.run.measured.avgServerEnergy].map((x) => `<td class="num">${Number(x.toPrecision(4))}</td>`).join('')}<td>${esc(r.run.run)}</td></tr>`)
    .join('\n');
  const html = `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(`sledge sweep report: ${file.configName}`)}</title>
<style>${STYLE}</style>
</head>
<body>
<h1>sledge sweep: ${esc(file.configName)}</h1>
<p>${esc(file.config)}, seed ${file.seed}; ${file.rows.length} runs${file.axes.length ? ` over ${esc(file.axes.join(', '))}` : ''}. Every run uses the same channel draws.</p>
<section id="charts">
<figure id="fig-frontier">
<div class="chart">${svg}</div>
<figcaption><b>Delay against server energy.</b> Each run of the sweep at its average server energy per round and its average round delay, one colour per strategy, its runs joined in order of energy (lyapunov over its energy budget, CARD over its weightDelay). Lower-left is better: where one strategy's line lies below another's, it is faster for the same energy. Solid: measured; dashed: predicted.</figcaption>
</figure>
</section>
<section id="runs">
<h2>Runs</h2>
<table><thead><tr><th>strategy</th><th>point</th><th>status</th><th>avg round delay (s), predicted</th><th>measured</th><th>avg server energy (J), predicted</th><th>measured</th><th>run</th></tr></thead>
<tbody>
${table}
</tbody></table>
</section>
</body>
</html>
`;
  const path = resolve(out ?? join(dir, 'report.html'));
  try {
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, html);
  } catch (err) {
    throw new UsageError(`report ${dirArg}: cannot write ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  return path;
}
