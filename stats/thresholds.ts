// Alert thresholds learned from the reference period: split it into chunks,
// compute the metric on each, and alert outside mean ± k·σ (NannyML's
// default, k = 3, σ the population standard deviation of the chunk values),
// clipped to the metric's natural range.

import { requireConfig, StatsInputError } from './errors.ts';

export interface Band {
  lower: number;
  upper: number;
  mean: number;
  std: number;
  chunks: number;
}

/**
 * Splits `n` rows into consecutive chunks of `size` (the last, partial chunk
 * is dropped, as NannyML does for thresholds) and returns [start, end) pairs.
 */
export function chunkBounds(n: number, size: number): [number, number][] {
  requireConfig(Number.isInteger(size) && size > 0, `chunk size must be a positive integer, got ${size}.`);
  const out: [number, number][] = [];
  for (let s = 0; s + size <= n; s += size) out.push([s, s + size]);
  return out;
}

/**
 * mean ± k·σ over per-chunk values.
 *
 * @example
 * stdBand([0.9, 0.92, 0.88, 0.9], 3); // { lower: 0.8575735931288071, upper: 0.942426406871193, mean: 0.9, std: 0.014142135623730963, chunks: 4 }
 */
export function stdBand(values: readonly number[], k = 3, range: [number, number] = [0, 1]): Band {
  const v = values.filter((x) => Number.isFinite(x));
  if (v.length < 2)
    throw new StatsInputError('too-small', 'thresholds need at least two reference chunks with a value.');
  requireConfig(k > 0, `k must be > 0, got ${k}.`);
  const mean = v.reduce((a, b) => a + b, 0) / v.length;
  const std = Math.sqrt(v.reduce((a, b) => a + (b - mean) ** 2, 0) / v.length);
  return {
    lower: Math.max(range[0], mean - k * std),
    upper: Math.min(range[1], mean + k * std),
    mean,
    std,
    chunks: v.length,
  };
}
