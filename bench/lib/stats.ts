/** Figures of a set of measurements, shared by the benchmarks. */

/** The value below which `fraction` (0..1) of `sorted` (ascending) lies; NaN for none. */
export function percentileOfSorted(sorted: readonly number[], fraction: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(fraction * sorted.length))] as number;
}

/** As percentileOfSorted, for values in any order. */
export function percentile(values: readonly number[], fraction: number): number {
  return percentileOfSorted([...values].sort((a, b) => a - b), fraction);
}

/** The middle value (the mean of the two middle ones for an even count); NaN for none. */
export function median(values: readonly number[]): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1 ? (sorted[middle] as number) : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}
