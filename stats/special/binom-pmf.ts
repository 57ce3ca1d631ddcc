// The binomial probability mass with full relative precision at any n, by
// Loader's saddle-point form (C. Loader, "Fast and accurate computation of
// binomial probabilities", 2000; what R's dbinom and SciPy's Boost use in
// spirit): Stirling remainders and the deviance bd0, never a difference of
// log-gamma values, whose absolute rounding grows with n (1e-8 relative at
// n = 10⁸).

import { lgamma, stirlingCorrection } from './gamma.ts';

const LN_2PI = Math.log(2 * Math.PI);

/** ln n! − ln(√(2πn)·(n/e)ⁿ), the Stirling remainder. */
function stirlerr(n: number): number {
  if (n >= 15) return stirlingCorrection(n);
  return lgamma(n + 1) - (n + 0.5) * Math.log(n) + n - LN_2PI / 2;
}

/** x·ln(x/m) + m − x, without the cancellation when x is near m. */
function bd0(x: number, m: number): number {
  if (Math.abs(x - m) < 0.1 * (x + m)) {
    let v = (x - m) / (x + m);
    const s0 = (x - m) * v;
    let s = s0;
    let ej = 2 * x * v;
    v *= v;
    for (let j = 1; j < 1000; j++) {
      ej *= v;
      const s1 = s + ej / (2 * j + 1);
      if (s1 === s) return s1;
      s = s1;
    }
    return s;
  }
  return x * Math.log(x / m) + m - x;
}

/**
 * P(X = x) for X ~ Binomial(n, p), integers 0 ≤ x ≤ n.
 *
 * @example
 * binomPmf(3, 10, 0.5); // 0.1171875
 */
export function binomPmf(x: number, n: number, p: number): number {
  const q = 1 - p;
  if (x < 0 || x > n) return 0;
  if (x === 0) return n === 0 ? 1 : Math.exp(n * Math.log1p(-p));
  if (x === n) return Math.exp(n * Math.log(p));
  const lc = stirlerr(n) - stirlerr(x) - stirlerr(n - x) - bd0(x, n * p) - bd0(n - x, n * q);
  const lf = LN_2PI + Math.log(x) + Math.log1p(-x / n);
  return Math.exp(lc - 0.5 * lf);
}
