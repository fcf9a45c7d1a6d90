/** RFC 4180 cells: strategy specs carry commas (`card:weightDelay=0.5,energyScale=1`). */
export function csvLine(cells: readonly (string | number | boolean | undefined)[]): string {
  return cells.map((c) => (c === undefined ? '' : quote(String(c)))).join(',');
}

function quote(cell: string): string {
  return /[",\n\r]/.test(cell) ? `"${cell.replaceAll('"', '""')}"` : cell;
}
