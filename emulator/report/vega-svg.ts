import { View, parse, version as vegaVersion } from 'vega';
import { compile, version as vegaLiteVersion, type TopLevelSpec } from 'vega-lite';

export const CHART_LIBRARIES = `Vega-Lite ${vegaLiteVersion}, Vega ${vegaVersion}`;

/**
 * Vega-Lite → Vega → SVG text, headless: the 'none' renderer builds the scenegraph
 * without a canvas or a DOM, and toSVG serialises it. Nothing is fetched (every spec
 * carries its data inline).
 */
export async function renderSvg(spec: TopLevelSpec): Promise<string> {
  const view = new View(parse(compile(spec).spec), { renderer: 'none' });
  try {
    // inline in HTML the namespace declarations are implied; dropping them leaves the
    // page without a single http:// string, which makes "nothing remote" easy to check
    return (await view.toSVG()).replace(/^<svg([^>]*?) xmlns="[^"]*"/, '<svg$1').replace(/^<svg([^>]*?) xmlns:xlink="[^"]*"/, '<svg$1');
  } finally {
    view.finalize();
  }
}
