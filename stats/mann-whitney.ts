// Mann–Whitney U test (Wilcoxon rank-sum), as SciPy's `mannwhitneyu`
// computes it: U₁ = R₁ − n₁(n₁+1)/2 from midranks; the p-value exact (the
// null distribution of U counted as the coefficients of the Gaussian binomial
// [n₁+n₂ choose n₁]_q) or asymptotic (normal, tie-corrected variance, an
// optional continuity correction). 'auto' takes the exact distribution when a
// sample has at most 8 values and there are no ties, as SciPy does. NaNs are
// omitted. The test Kayenta runs for canary verdicts; the rank test for
// shadow latencies and continuous scores.

import { StatsInputError } from './errors.ts';
import { normSf } from './special/erf.ts';

export type MannWhitneyAlternative = 'two-sided' | 'less' | 'greater';
export type MannWhitneyMethod = 'auto' | 'exact' | 'asymptotic';

export interface MannWhitneyOptions {
  readonly alternative?: MannWhitneyAlternative;
  readonly method?: MannWhitneyMethod;
  /** Continuity correction of the asymptotic p-value (default true, as SciPy). */
  readonly useContinuity?: boolean;
}

export interface MannWhitneyResult {
  /** U₁: the statistic of the first sample. */
  readonly statistic: number;
  readonly pValue: number;
  readonly method: 'exact' | 'asymptotic';
}

/** Midranks of the pooled values and the sizes of tied groups. */
function ranked(x: Float64Array, y: Float64Array): { r1: number; ties: number[] } {
  const n1 = x.length;
  const z = new Float64Array(n1 + y.length);
  z.set(x);
  z.set(y, n1);
  const order = Array.from({ length: z.length }, (_, i) => i).sort((a, b) => z[a]! - z[b]!);
  let r1 = 0;
  const ties: number[] = [];
  let i = 0;
  while (i < order.length) {
    let j = i;
    while (j + 1 < order.length && z[order[j + 1]!] === z[order[i]!]) j++;
    const rank = (i + j) / 2 + 1;
    for (let t = i; t <= j; t++) if (order[t]! < n1) r1 += rank;
    if (j > i) ties.push(j - i + 1);
    i = j + 1;
  }
  return { r1, ties };
}

/**
 * The null distribution's counts: the number of arrangements with U = u, for
 * u = 0 … n₁n₂ — the coefficients of Π_{i=1}^{n₁} (1 − q^{n₂+i}) / (1 − q^i).
 * Exact in doubles while C(n₁+n₂, n₁) < 2^53.
 */
function uCounts(n1: number, n2: number): Float64Array {
  const size = n1 * n2 + 1;
  const c = new Float64Array(size);
  c[0] = 1;
  for (let i = 1; i <= n1; i++) {
    // × (1 − q^{n₂+i}), highest powers first so each coefficient is read before it changes.
    for (let u = size - 1; u >= n2 + i; u--) c[u]! -= c[u - n2 - i]!;
    // ÷ (1 − q^i): a running sum with stride i.
    for (let u = i; u < size; u++) c[u]! += c[u - i]!;
  }
  return c;
}

/** P(U ≥ k) under the null, summing the smaller tail (the distribution is symmetric about n₁n₂/2). */
function exactSf(k: number, n1: number, n2: number): number {
  const counts = uCounts(n1, n2);
  let total = 0;
  for (const v of counts) total += v;
  const mn = n1 * n2;
  // P(U ≥ k) = P(U ≤ mn − k).
  const upper = Math.min(mn, mn - k);
  let s = 0;
  for (let u = 0; u <= upper; u++) s += counts[u]!;
  return s / total;
}

/**
 * @example
 * mannWhitneyU([1, 2, 3, 4], [5, 6, 7]).pValue; // 0.05714285714285714
 * mannWhitneyU([1, 2, 3, 4], [5, 6, 7]).statistic; // 0
 */
export function mannWhitneyU(
  x: ArrayLike<number>,
  y: ArrayLike<number>,
  options: MannWhitneyOptions = {},
): MannWhitneyResult {
  const alternative = options.alternative ?? 'two-sided';
  const a = Float64Array.from(x).filter((v) => !Number.isNaN(v));
  const b = Float64Array.from(y).filter((v) => !Number.isNaN(v));
  const n1 = a.length;
  const n2 = b.length;
  if (n1 === 0 || n2 === 0)
    throw new StatsInputError('empty-window', 'Mann–Whitney needs at least one value in each sample.');
  const { r1, ties } = ranked(a, b);
  const u1 = r1 - (n1 * (n1 + 1)) / 2;
  const u2 = n1 * n2 - u1;
  const [u, factor] =
    alternative === 'greater' ? [u1, 1] : alternative === 'less' ? [u2, 1] : [Math.max(u1, u2), 2];
  const method =
    (options.method ?? 'auto') === 'auto'
      ? (n1 > 8 && n2 > 8) || ties.length > 0
        ? 'asymptotic'
        : 'exact'
      : (options.method as 'exact' | 'asymptotic');
  let p: number;
  if (method === 'exact') {
    // As SciPy: the exact distribution is not corrected for ties (U is truncated to an integer).
    p = exactSf(Math.trunc(u), n1, n2);
  } else {
    const n = n1 + n2;
    const tieTerm = ties.reduce((s, t) => s + t ** 3 - t, 0);
    const sd = Math.sqrt(((n1 * n2) / 12) * (n + 1 - tieTerm / (n * (n - 1))));
    const z = (u - (n1 * n2) / 2 - (options.useContinuity === false ? 0 : 0.5)) / sd;
    p = normSf(z);
  }
  return { statistic: u1, pValue: Math.min(1, Math.max(0, p * factor)), method };
}
