// Binomial coefficients as doubles, the way Cephes (SciPy's `special.binom`)
// forms them: an exact-ish product for k < 20, log-gamma beyond. The KS
// one-sided exact path subtracts products of these, so using the same
// construction keeps our rounding close to SciPy's.

import { lgamma } from './gamma.ts';

/**
 * C(n, k) for integers 0 ≤ k ≤ n; Infinity when it exceeds the double range.
 *
 * @example
 * binom(10, 3); // 120
 * binom(60, 30); // 118264581564861420
 */
export function binom(n: number, k: number): number {
  if (k < 0 || k > n) return 0;
  let kx = k;
  if (kx > n / 2 && n > 0) kx = n - kx;
  if (kx < 20) {
    let num = 1;
    let den = 1;
    for (let i = 1; i < 1 + kx; i++) {
      num *= i + n - kx;
      den *= i;
      if (Math.abs(num) > 1e50) {
        num /= den;
        den = 1;
      }
    }
    return num / den;
  }
  return Math.exp(lgamma(n + 1) - lgamma(kx + 1) - lgamma(n - kx + 1));
}
