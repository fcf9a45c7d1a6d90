import { existsSync, readFileSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { PACKET_BITS, type LinkTrace } from '../../src/linktrace.js';
import { deviceLinks, type LinkSpec } from '../../src/linktrace-channel.js';
import { parseLinkTrace, type LinkTraceFormat } from '../../src/linktrace-parse.js';
import { num } from '../format/table.js';
import { readTraceCopy, traceRecordsOf } from '../records/run-traces.js';
import { capacitySvg, type Span } from './charts/capacity-svg.js';
import type { ReportInput, ReportRun } from './inputs.js';
import { chartedDevices, GAP_K, isLinktraceRun, turnSpans } from './linktrace-rows.js';
import { PER_DEVICE_MAX } from './rows.js';

/** A figure the report draws itself (plain SVG, not vega): id, caption and the SVG or a note. */
export interface DrawnFigure {
  figure: { id: string; title: string; caption: string };
  svg: string;
}

/** Points per capacity series: enough to show a fade, few enough for a small page. */
const MAX_POINTS = 600;
const SPAN_COLORS = ['#fd8d3c', '#74c476'];

/**
 * Per charted device (linktrace-rows.ts chartedDevices), the trace's uplink and downlink
 * capacity over the run's clock (its trace at t + offsetS), with each of its turns shaded
 * where the linktrace plan placed it. Drawn for the reference run (the only run of a
 * single-run report). The trace files are read again: from the run directory's copies
 * when the manifest records them (records/run-traces.ts, checked by their sha256), else by
 * the paths the config wrote, relative to the config file, which is looked for beside
 * compare.json's config, then in the working directory and its configs/ (runs made before
 * runs kept their traces).
 */
export function linktraceFigures(input: ReportInput): DrawnFigure[] {
  const run = input.runs.find((r) => r.label === input.reference) ?? input.runs[0];
  if (!run || !isLinktraceRun(run)) return [];
  const channel = run.manifest.config.channel as unknown as { model: string; format?: LinkTraceFormat; links?: Record<string, LinkSpec> };
  if (channel.model !== 'linktrace' || !channel.links) return [];
  const bases = [...(input.configPath ? [dirname(resolve(input.configPath))] : []), process.cwd(), join(process.cwd(), 'configs')];
  const kept = traceRecordsOf((run.manifest as { linktrace?: { traces?: unknown } }).linktrace?.traces, []);
  const keptText = (path: string): string | undefined => {
    const record = kept.ok && Object.hasOwn(kept.records, path) ? kept.records[path] : undefined;
    const copy = record && readTraceCopy(run.dir, record);
    return copy?.ok ? copy.text : undefined;
  };
  const configText = (path: string): string | undefined => {
    const file = (isAbsolute(path) ? [path] : bases.map((b) => join(b, path))).find((p) => existsSync(p));
    return file ? readFileSync(file, 'utf8') : undefined;
  };
  const traces = new Map<string, LinkTrace>();
  const unread: string[] = [];
  for (const spec of Object.values(channel.links)) {
    for (const path of [spec.up, spec.down]) {
      if (traces.has(path) || unread.includes(path)) continue;
      const text = keptText(path) ?? configText(path);
      const parsed = text !== undefined ? parseLinkTrace(text, channel.format ?? 'mahimahi', path) : undefined;
      if (parsed && 'trace' in parsed) traces.set(path, parsed.trace);
      else unread.push(path);
    }
  }
  const spans = turnSpans(run);
  const devices = chartedDevices(run, spans);
  const many = run.manifest.config.devices.length > PER_DEVICE_MAX;
  const id = 'fig-linktrace';
  const title = 'Trace capacity and the turns on it';
  const caption = `${many ? `The ${GAP_K} devices (of ${run.manifest.config.devices.length}) whose expected and integrated turns differ most` : 'Each device'}${input.kind === 'compare' ? ` of ${run.label}` : ''}: its link's capacity over the run's clock (uplink and downlink trace at t + offsetS, in windows), and each of its turns shaded where the trace integration places it (hover: round, expected, integrated and measured turn delay). A fade inside a shaded turn is what the strategy did not expect.`;
  if (unread.length) {
    return [{ figure: { id, title, caption }, svg: `<p class="warn">Trace file${unread.length > 1 ? 's' : ''} ${unread.map((p) => `"${p}"`).join(', ')} not in the run's traces/ and not found by the config's paths (relative to the config file; run the report from the config's directory): no capacity charts.</p>` }];
  }
  const links = deviceLinks(run.manifest.config.devices, channel.links, traces);
  const end = Math.max(1e-9, ...spans.map((s) => s.end));
  const step = Math.max(0.1, end / MAX_POINTS);
  const series = (trace: LinkTrace, offsetS: number) => {
    const points: [number, number][] = [];
    for (let t = 0; t < end; t += step) points.push([t, (PACKET_BITS * trace.count((t + offsetS) * 1000, (t + offsetS + step) * 1000)) / step]);
    return points;
  };
  const svgs = devices.map((device) => {
    const link = links.get(device);
    if (!link) return '';
    const own: Span[] = spans
      .filter((s) => s.device === device)
      .map((s, i) => ({ start: s.start, end: s.end, color: SPAN_COLORS[i % 2] as string, title: `${device} round ${s.round}: expected ${num(s.expected)} s, integrated ${num(s.integrated)} s, measured ${num(s.measured)} s` }));
    return capacitySvg(`${device} (offset ${num(link.offsetS)} s, ${num(step)} s windows)`, [
      { label: 'uplink', color: '#08519c', points: series(link.up, link.offsetS) },
      { label: 'downlink', color: '#9ecae1', points: series(link.down, link.offsetS) },
    ], own);
  });
  return [{ figure: { id, title, caption }, svg: svgs.join('\n') }];
}
