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

/**
 * Wasserstein-1 distance (SciPy `wasserstein_distance`), NaNs omitted.
 *
 * @example
 * wasserstein([0, 1, 3], [5, 6, 8]); // 5
 */
export function wasserstein(reference: ArrayLike<number>, current: ArrayLike<number>): number {
  return cdfDistanceSorted(sortedFinite(reference, 'reference'), sortedFinite(current, 'current'), 1);
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
export function energyDistance(reference: ArrayLike<number>, current: ArrayLike<number>): number {
  const d = cdfDistanceSorted(sortedFinite(reference, 'reference'), sortedFinite(current, 'current'), 2);
  return Math.SQRT2 * Math.sqrt(d);
}
