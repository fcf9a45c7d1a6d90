import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { UsageError } from '../errors.js';
import { figuresOf } from './figures.js';
import { pageHtml } from './html/page.js';
import { loadReportInput } from './inputs.js';
import { linktraceFigures, type DrawnFigure } from './linktrace-figures.js';
import { renderSvg } from './vega-svg.js';
import { isSweepDir, writeSweepReport } from './sweep-report.js';

/** `sledge report`: reads a run or comparison directory, writes one self-contained HTML file, returns its path. */
export async function writeReport(dir: string, out?: string): Promise<string> {
  if (isSweepDir(dir)) return writeSweepReport(dir, out);
  const input = loadReportInput(dir);
  const figures: DrawnFigure[] = [];
  for (const figure of figuresOf(input)) figures.push({ figure, svg: await renderSvg(figure.spec) });
  // a linktrace run's capacity charts are plain SVG (thousands of trace points), drawn without vega
  figures.push(...linktraceFigures(input));
  const path = resolve(out ?? join(input.dir, 'report.html'));
  try {
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, pageHtml(input, figures));
  } catch (err) {
    throw new UsageError(`report ${dir}: cannot write ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  return path;
}
