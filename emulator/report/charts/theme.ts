import type { Config } from 'vega-lite';

/**
 * One look for every chart: a white background so that charts print, and legends under
 * the plot so the long strategy specs get the full width. The font is the generic
 * family, written on every text element; the page's CSS picks the actual system font
 * (no web fonts: the report opens offline).
 */
export const THEME: Config = {
  font: 'sans-serif',
  background: 'white',
  padding: 8,
  view: { stroke: '#d0d0d0' },
  axis: { labelFontSize: 11, titleFontSize: 12, titleFontWeight: 'normal', gridColor: '#ececec' },
  legend: { orient: 'bottom', direction: 'horizontal', labelFontSize: 11, titleFontSize: 11, labelLimit: 600, columns: 4 },
  header: { labelFontSize: 12, labelLimit: 600 },
  title: { fontSize: 13, fontWeight: 'normal', anchor: 'start' },
  // Marks are described by the caption and the tables; per-mark aria labels would copy every value into the page.
  aria: false,
};

/** Measured solid, predicted dashed, on every chart that shows both. */
export const SOURCE_DASH = { domain: ['measured', 'predicted'], range: [[1, 0], [6, 4]] };

/** Seven phases need seven distinguishable colours in a fixed order. */
export const PHASE_SCHEME = 'tableau10';
