// Population stability index: Σ (r_i − c_i) · ln(r_i / c_i) over shared bins.
// Empty bins are replaced by Evidently's epsilon (see binning.ts) so the log
// stays finite. Bins: Evidently's pooled Sturges bins (for parity with its
// `psi` stattest) or reference quantiles (the usual credit-risk practice).

import { binCategories, binNumericEvidently, binQuantiles } from './binning.ts';

/** PSI of two share vectors (already free of zeros). */
export function psiFromShares(reference: ArrayLike<number>, current: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < reference.length; i++) {
    const r = reference[i]!;
    const c = current[i]!;
    s += (r - c) * Math.log(r / c);
  }
  return s;
}

/**
 * PSI of a numeric column. `bins: 'sturges'` reproduces Evidently;
 * `bins: 'quantiles'` uses `k` reference-quantile bins.
 *
 * @example
 * psi([1, 2, 3, 4, 5, 6, 7, 8], [2, 3, 4, 5, 6, 7, 8, 9]); // 1.7812985278080273
 */
export function psi(
  reference: ArrayLike<number>,
  current: ArrayLike<number>,
  options: { bins?: 'sturges' | 'quantiles'; k?: number } = {},
): number {
  const b =
    (options.bins ?? 'sturges') === 'sturges'
      ? binNumericEvidently(reference, current)
      : binQuantiles(reference, current, options.k ?? 10);
  return psiFromShares(b.reference, b.current);
}

/** PSI of a categorical column, one bin per category. */
export function psiCategories(reference: ArrayLike<string>, current: ArrayLike<string>): number {
  const b = binCategories(reference, current);
  return psiFromShares(b.reference, b.current);
}
