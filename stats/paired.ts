// Simple paired summaries for shadow mode: how often two models agree, and
// latency quantiles (linear interpolation, NumPy's default method).

import { quantileSorted } from './binning.ts';
import { StatsInputError } from './errors.ts';
import { sortFloat64 } from './sort.ts';

/**
 * Share of rows where the two predictions are equal.
 *
 * @example
 * agreementRate([1, 0, 1, 1], [1, 1, 1, 0]); // 0.5
 */
export function agreementRate(a: ArrayLike<unknown>, b: ArrayLike<unknown>): number {
  if (a.length !== b.length)
    throw new StatsInputError('type-mismatch', 'prediction vectors differ in length.');
  if (a.length === 0) throw new StatsInputError('empty-window', 'no paired predictions.');
  let same = 0;
  for (let i = 0; i < a.length; i++) if (a[i] === b[i]) same++;
  return same / a.length;
}

/**
 * Latency quantiles (NaNs ignored).
 *
 * @example
 * latencyQuantiles([12, 15, 11, 40, 13], [0.5, 0.95, 0.99]); // [13, 35, 39]
 */
export function latencyQuantiles(
  latencies: ArrayLike<number>,
  qs: readonly number[] = [0.5, 0.9, 0.95, 0.99],
): number[] {
  const s = sortFloat64(latencies);
  let n = s.length;
  while (n > 0 && Number.isNaN(s[n - 1]!)) n--;
  if (n === 0) throw new StatsInputError(latencies.length ? 'all-nan' : 'empty-window', 'no latencies.');
  const sorted = s.subarray(0, n);
  return qs.map((q) => quantileSorted(sorted, q));
}
