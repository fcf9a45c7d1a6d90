/**
 * A link's capacity over time as a plain SVG (docs/linktrace.md): step lines per series,
 * optional shaded spans (the turns' transfers drawn on the trace). Hand-written rather
 * than vega: `sledge trace info --plot` must work without the report's machinery, and
 * a capacity series of a long trace is thousands of points.
 */
export interface CapacitySeries {
  label: string;
  color: string;
  /** [seconds, bit/s], each value held until the next point. */
  points: readonly (readonly [number, number])[];
}

export interface Span {
  start: number;
  end: number;
  color: string;
  title: string;
}

const W = 900;
const H = 260;
const M = { left: 60, right: 20, top: 28, bottom: 36 };

export function capacitySvg(title: string, series: readonly CapacitySeries[], spans: readonly Span[] = []): string {
  const all = series.flatMap((s) => s.points);
  const tMax = Math.max(1e-9, ...all.map((p) => p[0]), ...spans.map((s) => s.end));
  const yMax = niceMax(Math.max(1, ...all.map((p) => p[1])) / 1e6);
  const x = (t: number) => M.left + (t / tMax) * (W - M.left - M.right);
  const y = (bps: number) => H - M.bottom - (bps / 1e6 / yMax) * (H - M.top - M.bottom);
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="11">`,
    `<rect width="${W}" height="${H}" fill="white"/>`,
    `<text x="${M.left}" y="16" font-size="13">${esc(title)}</text>`,
  ];
  for (const s of spans) {
    parts.push(`<rect x="${f(x(s.start))}" y="${M.top}" width="${f(Math.max(0.5, x(s.end) - x(s.start)))}" height="${H - M.top - M.bottom}" fill="${s.color}" fill-opacity="0.18"><title>${esc(s.title)}</title></rect>`);
  }
  for (let i = 0; i <= 4; i++) {
    const v = (yMax * i) / 4;
    parts.push(`<line x1="${M.left}" x2="${W - M.right}" y1="${f(y(v * 1e6))}" y2="${f(y(v * 1e6))}" stroke="#ddd"/>`);
    parts.push(`<text x="${M.left - 6}" y="${f(y(v * 1e6) + 4)}" text-anchor="end">${trim(v)}</text>`);
  }
  for (let i = 0; i <= 6; i++) {
    const t = (tMax * i) / 6;
    parts.push(`<text x="${f(x(t))}" y="${H - M.bottom + 16}" text-anchor="middle">${trim(t)}</text>`);
  }
  parts.push(`<text x="${(M.left + W - M.right) / 2}" y="${H - 4}" text-anchor="middle">seconds</text>`);
  parts.push(`<text x="14" y="${(M.top + H - M.bottom) / 2}" transform="rotate(-90 14 ${(M.top + H - M.bottom) / 2})" text-anchor="middle">Mbit/s</text>`);
  series.forEach((s, k) => {
    let d = '';
    s.points.forEach(([t, v], i) => {
      const next = s.points[i + 1]?.[0] ?? tMax;
      d += `${i === 0 ? 'M' : 'L'}${f(x(t))},${f(y(v))}H${f(x(next))}`;
    });
    parts.push(`<path d="${d}" fill="none" stroke="${s.color}" stroke-width="1.2"/>`);
    parts.push(`<text x="${W - M.right - 4}" y="${M.top + 12 + 13 * k}" text-anchor="end" fill="${s.color}">${esc(s.label)}</text>`);
  });
  parts.push('</svg>');
  return parts.join('\n');
}

function niceMax(v: number): number {
  const p = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * p >= v) return m * p;
  return 10 * p;
}

function f(v: number): string {
  return v.toFixed(1);
}

function trim(v: number): string {
  return Number(v.toPrecision(3)).toString();
}

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}
