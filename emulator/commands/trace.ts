import { readFileSync, writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { windowCapacities } from '../../src/linktrace.js';
import { traceInfo } from '../../src/linktrace-info.js';
import { LINK_TRACE_FORMATS, parseLinkTrace, type LinkTraceFormat } from '../../src/linktrace-parse.js';
import { UsageError } from '../errors.js';
import { num, pct } from '../format/table.js';
import { capacitySvg } from '../report/charts/capacity-svg.js';

interface InfoOptions {
  format?: string;
  plot?: string;
  json?: boolean;
}

/** `sledge trace info FILE`: what a capacity trace holds (docs/linktrace.md). */
export function registerTrace(program: Command): void {
  const trace = program.command('trace').description('capacity traces for channel.model "linktrace"');
  trace
    .command('info')
    .description('format, period, mean/min/max rate over 1 s windows, time below 1 Mbit/s; --plot writes an SVG of capacity over time')
    .argument('<file>', 'a Mahimahi trace or a seconds,bps CSV')
    .option('--format <format>', `${LINK_TRACE_FORMATS.join(' or ')} (default: from the file's first line)`)
    .option('--plot <svg>', 'write capacity over time (1 s and 100 ms windows) to this SVG file')
    .option('--json', 'print one JSON document')
    .action((file: string, opts: InfoOptions) => {
      let text: string;
      try {
        text = readFileSync(file, 'utf8');
      } catch (err) {
        throw new UsageError(`${file}: cannot read: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
      }
      if (opts.format !== undefined && !(LINK_TRACE_FORMATS as readonly string[]).includes(opts.format)) {
        throw new UsageError(`--format: must be one of ${LINK_TRACE_FORMATS.join(', ')}`);
      }
      const format = (opts.format as LinkTraceFormat | undefined) ?? (/^\uFEFF?\s*seconds\s*,/.test(text) ? 'rates' : 'mahimahi');
      const parsed = parseLinkTrace(text, format, file);
      if ('error' in parsed) throw new UsageError(parsed.error);
      const info = traceInfo(parsed.trace);
      if (opts.plot) {
        const points = (s: number) => windowCapacities(parsed.trace, s).map((v, i) => [i * s, v] as const);
        writeFileSync(opts.plot, capacitySvg(`${file} (${format}, period ${num(info.periodS)} s)`, [
          { label: '100 ms windows', color: '#9ecae1', points: points(0.1) },
          { label: '1 s windows', color: '#08519c', points: points(1) },
        ]));
      }
      if (opts.json) {
        process.stdout.write(`${JSON.stringify({ file, format, ...info })}\n`);
        return;
      }
      process.stdout.write(
        [
          `${file}: ${format}, period ${num(info.periodS)} s, ${info.opportunities} opportunities of 1500 B a period`,
          `rate over 1 s windows: mean ${num(info.meanBps / 1e6)} Mbit/s, min ${num(info.minBps / 1e6)}, max ${num(info.maxBps / 1e6)}`,
          `time below 1 Mbit/s: ${pct(info.fractionBelow1Mbps)} of the 1 s windows`,
          ...(opts.plot ? [`plot: ${opts.plot}`] : []),
        ].join('\n') + '\n',
      );
    });
}
