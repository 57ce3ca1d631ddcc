// Wasserstein-1 (earth mover's) distance between two empirical distributions,
// ∫|F₁ − F₂|, and its normed form (divided by the reference's standard
// deviation, floored at 0.001) that Evidently uses with a 0.1 threshold. Also
// the energy distance, √2·(∫(F₁ − F₂)²)^½ (SciPy's convention). One merge
// walk over the two sorted samples; the sort (radix) dominates.

import { StatsInputError } from './errors.ts';
import { sortFloat64 } from './sort.ts';

function sortedFinite(x: ArrayLike<number>, which: string): Float64Array {
  const s = sortFloat64(x);
  let n = s.length;
  while (n > 0 && Number.isNaN(s[n - 1]!)) n--;
  if (n === 0)
    throw new StatsInputError(x.length ? 'all-nan' : 'empty-window', `The ${which} sample is empty.`);
  return n === s.length ? s : s.subarray(0, n);
}

/** ∫|F_u − F_v|^p over the pooled support, Neumaier-summed. */
export function cdfDistanceSorted(u: Float64Array, v: Float64Array, p: 1 | 2): number {
  const nu = u.length;
  const nv = v.length;
  let i = 0;
  let j = 0;
  let sum = 0;
  let comp = 0;
  let prev = Math.min(u[0]!, v[0]!);
  while (i < nu || j < nv) {
    const a = i < nu ? u[i]! : Number.POSITIVE_INFINITY;
    const b = j < nv ? v[j]! : Number.POSITIVE_INFINITY;
    const x = Math.min(a, b);
    if (x > prev) {
      const d = Math.abs(i / nu - j / nv);
      const term = (p === 1 ? d : d * d) * (x - prev);
      if (Number.isFinite(term) && Number.isFinite(sum)) {
        const t = sum + term;
        comp += Math.abs(sum) >= Math.abs(term) ? sum - t + term : term - t + sum;
        sum = t;
      } else {
        // An infinite value: ±∞ as NumPy's sum gives it (∞ where the CDFs
        // differ over an unbounded stretch, NaN for 0 · ∞ as SciPy), without
        // compensating ∞ − ∞ into NaN.
        sum += term;
        comp = 0;
      }
      prev = x;
    }
    while (i < nu && u[i]! <= x) i++;
    while (j < nv && v[j]! <= x) j++;
  }
  return Number.isFinite(sum) ? sum + comp : sum;
}

/** Weights of each value (SciPy's `u_weights`, `v_weights`): non-negative, not all zero, one per value. */
export interface SampleWeights {
  readonly reference?: ArrayLike<number>;
  readonly current?: ArrayLike<number>;
}

/** Values sorted with their weights, NaN values (and their weights) left out; cumulative weight shares. */
function weightedSorted(
  x: ArrayLike<number>,
  w: ArrayLike<number>,
  which: string,
): { values: Float64Array; cdf: Float64Array } {
  if (w.length !== x.length)
    throw new StatsInputError(
      'invalid-input',
      `the ${which} weights number ${w.length}, the values ${x.length}.`,
    );
  const idx: number[] = [];
  for (let i = 0; i < x.length; i++) {
    const wi = w[i]!;
    if (!(wi >= 0) || !Number.isFinite(wi))
      throw new StatsInputError(
        'invalid-input',
        `${which} weight ${i} is ${wi}; weights must be finite and non-negative.`,
      );
    if (!Number.isNaN(x[i]!)) idx.push(i);
  }
  if (idx.length === 0)
    throw new StatsInputError(x.length ? 'all-nan' : 'empty-window', `The ${which} sample is empty.`);
  idx.sort((a, b) => x[a]! - x[b]!);
  const values = Float64Array.from(idx, (i) => x[i]!);
  const cdf = new Float64Array(idx.length);
  let s = 0;
  for (let k = 0; k < idx.length; k++) {
    s += w[idx[k]!]!;
    cdf[k] = s;
  }
  if (s === 0) throw new StatsInputError('invalid-input', `every ${which} weight is 0.`);
  for (let k = 0; k < cdf.length; k++) cdf[k]! /= s;
  return { values, cdf };
}

/** ∫|F_u − F_v|^p with weighted empirical CDFs (each value's weight share). */
function weightedCdfDistance(
  u: { values: Float64Array; cdf: Float64Array },
  v: { values: Float64Array; cdf: Float64Array },
  p: 1 | 2,
): number {
  // The pooled support, as SciPy: every value of both samples, sorted.
  const all = Float64Array.from([...u.values, ...v.values]).sort();
  let i = 0;
  let j = 0;
  let sum = 0;
  for (let k = 0; k + 1 < all.length; k++) {
    const x = all[k]!;
    while (i < u.values.length && u.values[i]! <= x) i++;
    while (j < v.values.length && v.values[j]! <= x) j++;
    const width = all[k + 1]! - x;
    if (width === 0) continue;
    const d = Math.abs((i ? u.cdf[i - 1]! : 0) - (j ? v.cdf[j - 1]! : 0));
    sum += (p === 1 ? d : d * d) * width;
  }
  return sum;
}

/**
 * Wasserstein-1 distance (SciPy `wasserstein_distance`), NaNs omitted;
 * optionally with a weight per value (`u_weights`, `v_weights`).
 *
 * @example
 * wasserstein([0, 1, 3], [5, 6, 8]); // 5
 * wasserstein([0, 1], [0, 1], { reference: [3, 1], current: [1, 3] }); // 0.5
 */
export function wasserstein(
  reference: ArrayLike<number>,
  current: ArrayLike<number>,
  weights?: SampleWeights,
): number {
  return cdfDistance(reference, current, weights, 1);
}

/** ∫|F_u − F_v|^p, weighted when weights are given (a side without weights weighs each value 1). */
function cdfDistance(
  reference: ArrayLike<number>,
  current: ArrayLike<number>,
  weights: SampleWeights | undefined,
  p: 1 | 2,
): number {
  if (!weights?.reference && !weights?.current)
    return cdfDistanceSorted(sortedFinite(reference, 'reference'), sortedFinite(current, 'current'), p);
  const ones = (n: number) => new Float64Array(n).fill(1);
  return weightedCdfDistance(
    weightedSorted(reference, weights.reference ?? ones(reference.length), 'reference'),
    weightedSorted(current, weights.current ?? ones(current.length), 'current'),
    p,
  );
}

/** Population standard deviation (NumPy `std`, ddof 0), two-pass. */
export function std(x: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < x.length; i++) m += x[i]!;
  m /= x.length;
  let s = 0;
  for (let i = 0; i < x.length; i++) s += (x[i]! - m) ** 2;
  return Math.sqrt(s / x.length);
}

/**
 * Wasserstein distance divided by max(std(reference), 0.001) (Evidently's `wasserstein`).
 *
 * @example
 * wassersteinNormed([0, 1, 2, 3], [1, 2, 3, 4]); // 0.8944271909999159
 */
export function wassersteinNormed(reference: ArrayLike<number>, current: ArrayLike<number>): number {
  const r = sortedFinite(reference, 'reference');
  const c = sortedFinite(current, 'current');
  return cdfDistanceSorted(r, c, 1) / Math.max(std(r), 0.001);
}

/**
 * Energy distance (SciPy `energy_distance`): √2 · √∫(F₁ − F₂)².
 *
 * @example
 * energyDistance([0], [2]); // 2
 */
export function energyDistance(
  reference: ArrayLike<number>,
  current: ArrayLike<number>,
  weights?: SampleWeights,
): number {
  return Math.SQRT2 * Math.sqrt(cdfDistance(reference, current, weights, 2));
}
