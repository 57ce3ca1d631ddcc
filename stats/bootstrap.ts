// Paired bootstrap confidence intervals for a metric difference
// (challenger − champion) on the same rows: resample row indices with
// replacement (seeded mulberry32, see random.ts), recompute both metrics on
// the resample, and take percentile bounds of the differences. Resampling
// rows, not each model separately, keeps the pairing.

import { quantileSorted } from './binning.ts';
import { requireConfig, StatsInputError } from './errors.ts';
import { Rng } from './random.ts';

export interface BootstrapResult {
  estimate: number;
  lower: number;
  upper: number;
  confidence: number;
  resamples: number;
  /** Resamples where a metric was undefined (NaN), left out of the bounds. */
  undefinedResamples: number;
}

/**
 * @example
 * const champ = [1, 0, 1, 1, 0, 1, 0, 1, 1, 1];
 * const chall = [1, 1, 1, 1, 0, 1, 1, 1, 1, 1];
 * const mean = (idx, v) => idx.reduce((s, i) => s + v[i], 0) / idx.length;
 * const r = pairedBootstrap(10, (idx) => mean(idx, chall), (idx) => mean(idx, champ), { seed: 1, resamples: 2000 });
 * r.estimate; // 0.2
 * r.lower; // 0
 * r.upper; // 0.5
 */
export function pairedBootstrap(
  n: number,
  challenger: (rows: number[]) => number,
  champion: (rows: number[]) => number,
  options: { seed?: number; resamples?: number; confidence?: number } = {},
): BootstrapResult {
  if (n <= 0) throw new StatsInputError('empty-window', 'no paired rows to resample.');
  const B = options.resamples ?? 1000;
  const confidence = options.confidence ?? 0.95;
  requireConfig(confidence > 0 && confidence < 1, `confidence must be in (0, 1), got ${confidence}.`);
  requireConfig(Number.isInteger(B) && B >= 10, `resamples must be an integer ≥ 10, got ${B}.`);
  const all = Array.from({ length: n }, (_, i) => i);
  const estimate = challenger(all) - champion(all);
  const rng = new Rng(options.seed ?? 0);
  const diffs: number[] = [];
  let undef = 0;
  const idx = new Array<number>(n);
  for (let b = 0; b < B; b++) {
    for (let i = 0; i < n; i++) idx[i] = rng.nextBelow(n);
    const d = challenger(idx) - champion(idx);
    if (Number.isFinite(d)) diffs.push(d);
    else undef++;
  }
  if (diffs.length < 2)
    throw new StatsInputError('too-small', 'the metric is undefined on almost every resample.');
  diffs.sort((a, b) => a - b);
  const alpha = (1 - confidence) / 2;
  return {
    estimate,
    lower: quantileSorted(diffs, alpha),
    upper: quantileSorted(diffs, 1 - alpha),
    confidence,
    resamples: B,
    undefinedResamples: undef,
  };
}
