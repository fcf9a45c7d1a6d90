/**
 * Light CSS, inline: system fonts (nothing to fetch), readable on screen, and a print
 * layout that keeps a figure or a table on one page.
 */
export const STYLE = `
:root { color-scheme: light; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", Helvetica, Arial, sans-serif;
  color: #1d1d1f; background: #fff; max-width: 1180px; margin: 0 auto; padding: 24px 32px 48px; }
h1 { font-size: 22px; margin: 0 0 4px; }
h2 { font-size: 17px; margin: 32px 0 8px; padding-bottom: 4px; border-bottom: 1px solid #e3e3e3; }
h3 { font-size: 14px; margin: 20px 0 6px; }
p.lead { margin: 0 0 16px; color: #555; }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: 3px 18px; margin: 0; }
dl.facts dt { color: #666; }
dl.facts dd { margin: 0; }
code { font: 12.5px ui-monospace, "DejaVu Sans Mono", Menlo, Consolas, monospace; overflow-wrap: anywhere; }
table { border-collapse: collapse; margin: 6px 0 12px; font-variant-numeric: tabular-nums; }
th, td { padding: 4px 10px; border-bottom: 1px solid #e6e6e6; text-align: right; vertical-align: top; }
th { font-weight: 600; background: #f6f6f6; }
th:first-child, td:first-child { text-align: left; }
td.better { color: #176b2c; }
td.worse { color: #a4261b; }
p.note { color: #555; font-size: 13px; margin: 4px 0; }
p.warn { color: #8a4b00; background: #fff4e0; padding: 6px 10px; border-radius: 4px; }
figure { margin: 20px 0 28px; }
figure > div.chart { overflow-x: auto; }
figure svg { max-width: 100%; height: auto; display: block; }
figure svg text { font-family: system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", Helvetica, Arial, sans-serif; }
figcaption { color: #444; font-size: 13px; margin-top: 6px; max-width: 900px; }
figcaption b { color: #1d1d1f; }
footer { margin-top: 40px; color: #777; font-size: 12px; }
@media print {
  body { max-width: none; padding: 0; font-size: 12px; }
  figure, table { break-inside: avoid; }
  h2 { break-after: avoid; }
}
`;
