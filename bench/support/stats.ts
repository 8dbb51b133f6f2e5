/**
 * @module bench/support/stats
 * The summary statistics the benchmarks report: medians of interleaved rounds (this shared
 * machine's speed drifts by tens of percent from one minute to the next) and latency percentiles.
 */

/** The median of `values` (the upper one of an even count); NaN when empty. */
export function median(values: readonly number[]): number {
  if (values.length === 0) return NaN;
  return [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
}

/** The `q`-quantile (0–1) of values already sorted ascending, nearest rank; NaN when empty. */
export function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}
