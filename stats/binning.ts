// Turning two samples into two distributions over shared bins, for the
// divergence measures (PSI, Jensen–Shannon, KL). Two schemes:
//   * Evidently's: equal-width bins over the *pooled* sample, as many as
//     Sturges' rule gives (NumPy `histogram_bin_edges(..., 'sturges')`), when
//     the reference has more than 20 distinct values; one bin per category
//     otherwise. Empty bins are replaced by a small epsilon (below).
//   * Quantile bins from the reference alone (deciles by default), the usual
//     PSI practice: every bin holds ~1/k of the reference.

import { sortFloat64 } from './sort.ts';

export interface Binned {
  reference: Float64Array;
  current: Float64Array;
  /** Bin edges for numeric binning (k+1 values), or the categories. */
  edges?: Float64Array;
  categories?: string[];
}

/** Count of distinct non-NaN values (−0 and +0 are one value). */
export function countUnique(x: ArrayLike<number>): number {
  const s = new Set<number>();
  for (let i = 0; i < x.length; i++) if (!Number.isNaN(x[i]!)) s.add(x[i]! === 0 ? 0 : x[i]!);
  return s.size;
}

/** NumPy's Sturges edges over `x`: ⌈ptp / (ptp/(log2 n + 1))⌉ equal bins from min to max. */
export function sturgesEdges(x: ArrayLike<number>): Float64Array {
  let lo = Number.POSITIVE_INFINITY;
  let hi = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < x.length; i++) {
    const v = x[i]!;
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  if (lo === hi) {
    lo -= 0.5;
    hi += 0.5;
  }
  const width = (hi - lo) / (Math.log2(x.length) + 1);
  const bins = width ? Math.ceil((hi - lo) / width) : 1;
  return linspace(lo, hi, bins + 1);
}

/** NumPy's linspace with endpoint: start + i·step, the last value exactly `stop`. */
export function linspace(start: number, stop: number, num: number): Float64Array {
  const out = new Float64Array(num);
  const step = (stop - start) / (num - 1);
  for (let i = 0; i < num; i++) out[i] = i * step + start;
  out[num - 1] = stop;
  return out;
}

/**
 * Histogram counts over `edges`: bin i holds edges[i] ≤ x < edges[i+1], the
 * last bin is closed on the right; values outside are dropped (NumPy semantics).
 */
export function histogram(x: ArrayLike<number>, edges: Float64Array): Float64Array {
  const k = edges.length - 1;
  const counts = new Float64Array(k);
  const first = edges[0]!;
  const last = edges[k]!;
  for (let i = 0; i < x.length; i++) {
    const v = x[i]!;
    if (!(v >= first && v <= last)) continue;
    // Binary search: the last edge ≤ v.
    let lo = 0;
    let hi = k;
    while (hi - lo > 1) {
      const mid = (lo + hi) >> 1;
      if (edges[mid]! <= v) lo = mid;
      else hi = mid;
    }
    counts[lo]!++;
  }
  return counts;
}

/**
 * Evidently's empty-bin rule: zeros become min(non-zero)/10⁶ when the
 * smallest non-zero share is ≤ 1e-4, else 1e-4. Without it log(p/q) is ±∞.
 */
export function fillZeroes(p: Float64Array): Float64Array {
  let min = Number.POSITIVE_INFINITY;
  for (const v of p) if (v !== 0 && v < min) min = v;
  if (min === Number.POSITIVE_INFINITY) return p;
  const eps = min <= 0.0001 ? min / 1e6 : 0.0001;
  for (let i = 0; i < p.length; i++) if (p[i] === 0) p[i] = eps;
  return p;
}

/** Evidently's `get_binned_data` for a numeric column. */
export function binNumericEvidently(
  reference: ArrayLike<number>,
  current: ArrayLike<number>,
  fillEmpty = true,
): Binned {
  if (countUnique(reference) > 20) {
    const pooled = new Float64Array(reference.length + current.length);
    pooled.set(Array.from(reference));
    pooled.set(Array.from(current), reference.length);
    const edges = sturgesEdges(pooled);
    const r = histogram(reference, edges).map((c) => c / reference.length);
    const c = histogram(current, edges).map((v) => v / current.length);
    return { reference: fillEmpty ? fillZeroes(r) : r, current: fillEmpty ? fillZeroes(c) : c, edges };
  }
  const key = (v: number) => String(v === 0 ? 0 : v);
  const b = binCategories(Array.from(reference, key), Array.from(current, key), fillEmpty);
  return b;
}

/** Category shares over the union of categories (Evidently's categorical branch). */
export function binCategories(
  reference: ArrayLike<string>,
  current: ArrayLike<string>,
  fillEmpty = true,
): Binned {
  const ref = new Map<string, number>();
  const cur = new Map<string, number>();
  for (let i = 0; i < reference.length; i++) ref.set(reference[i]!, (ref.get(reference[i]!) ?? 0) + 1);
  for (let i = 0; i < current.length; i++) cur.set(current[i]!, (cur.get(current[i]!) ?? 0) + 1);
  const categories = [...new Set([...ref.keys(), ...cur.keys()])];
  const r = Float64Array.from(categories, (k) => (ref.get(k) ?? 0) / reference.length);
  const c = Float64Array.from(categories, (k) => (cur.get(k) ?? 0) / current.length);
  return { reference: fillEmpty ? fillZeroes(r) : r, current: fillEmpty ? fillZeroes(c) : c, categories };
}

/**
 * Quantile bins from the reference: k bins whose inner edges are the
 * reference's j/k quantiles (linear interpolation, NumPy's default), outer
 * edges ±∞ so every current value lands in a bin. Duplicate edges (heavy
 * ties) are merged. Empty bins get the same epsilon rule as Evidently's.
 */
export function binQuantiles(reference: ArrayLike<number>, current: ArrayLike<number>, k = 10): Binned {
  const s = sortFloat64(reference);
  const inner: number[] = [];
  for (let j = 1; j < k; j++) {
    const q = quantileSorted(s, j / k);
    if (inner.length === 0 || q > inner[inner.length - 1]!) inner.push(q);
  }
  const edges = Float64Array.from([Number.NEGATIVE_INFINITY, ...inner, Number.POSITIVE_INFINITY]);
  const r = histogram(reference, edges).map((c) => c / reference.length);
  const c = histogram(current, edges).map((v) => v / current.length);
  return { reference: fillZeroes(r), current: fillZeroes(c), edges };
}

/** The q-quantile of sorted data, linear interpolation between order statistics (NumPy 'linear'). */
export function quantileSorted(sorted: ArrayLike<number>, q: number): number {
  const n = sorted.length;
  if (n === 0) return Number.NaN;
  const pos = (n - 1) * q;
  const i = Math.floor(pos);
  const frac = pos - i;
  const lo = sorted[i]!;
  if (frac === 0 || i + 1 >= n) return lo;
  const hi = sorted[i + 1]!;
  return lo + (hi - lo) * frac;
}
