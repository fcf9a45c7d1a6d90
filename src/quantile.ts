/** Linear interpolation between order statistics (type 7, as numpy and R default); NaN for no data. */
export function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return NaN;
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return (sorted[lo] as number) + ((sorted[hi] as number) - (sorted[lo] as number)) * (pos - lo);
}

/** Median, 95th percentile and median absolute deviation of unsorted samples. */
export function spread(samples: readonly number[]): { median: number; p95: number; mad: number } {
  const sorted = [...samples].sort((a, b) => a - b);
  const median = quantile(sorted, 0.5);
  const deviations = sorted.map((x) => Math.abs(x - median)).sort((a, b) => a - b);
  return { median, p95: quantile(sorted, 0.95), mad: quantile(deviations, 0.5) };
}
