import Table from 'cli-table3';

/** A plain, borderless table: readable in a terminal and in a pasted log. */
export function table(head: string[], rows: (string | number)[][], align?: ('left' | 'right')[]): string {
  const t = new Table({
    head,
    chars: {
      top: '', 'top-mid': '', 'top-left': '', 'top-right': '',
      bottom: '', 'bottom-mid': '', 'bottom-left': '', 'bottom-right': '',
      left: '', 'left-mid': '', mid: '', 'mid-mid': '',
      right: '', 'right-mid': '', middle: '  ',
    },
    style: { head: [], border: [], 'padding-left': 0, 'padding-right': 0 },
    colAligns: align ?? head.map((_, i) => (i === 0 ? 'left' : 'right')),
  });
  for (const row of rows) t.push(row.map(String));
  return t.toString();
}

/** Numbers as a researcher reads them: 4 significant digits, no exponent for ordinary sizes. */
export function num(x: number, digits = 4): string {
  if (!Number.isFinite(x)) return String(x);
  if (x !== 0 && (Math.abs(x) >= 1e6 || Math.abs(x) < 1e-3)) return x.toExponential(digits - 1);
  return Number(x.toPrecision(digits)).toString();
}

export function pct(x: number): string {
  return `${(x * 100).toFixed(1)}%`;
}
