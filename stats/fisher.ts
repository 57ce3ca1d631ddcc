// Fisher's exact test on a 2×2 table, two-sided as SciPy defines it: the sum
// of the probabilities of every table (same margins) no more likely than the
// observed one. Hypergeometric probabilities are formed in logs and the two
// tails summed directly, so tiny p-values keep their digits.

import { StatsInputError } from './errors.ts';
import { lgamma } from './special/gamma.ts';

export interface FisherResult {
  oddsRatio: number;
  pValue: number;
}

// Tables whose probability is within this factor of the observed one count as
// "as extreme" (R and SciPy use a relative tolerance too; 1e-7 absorbs the
// rounding of log-gamma sums without merging genuinely different tables).
const REL_TOL = 1 + 1e-7;

function lchoose(n: number, k: number): number {
  return lgamma(n + 1) - lgamma(k + 1) - lgamma(n - k + 1);
}

/**
 * Fisher's exact test for [[a, b], [c, d]].
 *
 * @example
 * fisherExact([[8, 2], [1, 5]]).pValue; // 0.03496503496503495
 * fisherExact([[8, 2], [1, 5]], 'greater').pValue; // 0.024475524475524465
 */
export function fisherExact(
  table: [[number, number], [number, number]],
  alternative: 'two-sided' | 'less' | 'greater' = 'two-sided',
): FisherResult {
  const [[a, b], [c, d]] = table;
  if ([a, b, c, d].some((v) => !(Number.isInteger(v) && v >= 0))) {
    throw new StatsInputError('type-mismatch', 'Fisher exact needs non-negative integer counts.');
  }
  const oddsRatio = b * c === 0 ? (a * d === 0 ? Number.NaN : Number.POSITIVE_INFINITY) : (a * d) / (b * c);
  const n1 = a + b; // first row total
  const n2 = c + d;
  const n = a + c; // first column total
  if (n1 === 0 || n2 === 0 || n === 0 || n === n1 + n2) return { oddsRatio, pValue: 1 };
  const N = n1 + n2;
  const lo = Math.max(0, n - n2);
  const hi = Math.min(n, n1);
  const logDen = lchoose(N, n);
  const logPmf = (x: number) => lchoose(n1, x) + lchoose(n2, n - x) - logDen;
  const pmf = (x: number) => Math.exp(logPmf(x));
  const sum = (from: number, to: number) => {
    let s = 0;
    for (let x = from; x <= to; x++) s += pmf(x);
    return s;
  };
  let p: number;
  if (alternative === 'less') p = sum(lo, a);
  else if (alternative === 'greater') p = sum(a, hi);
  else {
    const pObs = logPmf(a);
    const limit = pObs + Math.log(REL_TOL);
    p = 0;
    for (let x = lo; x <= hi; x++) {
      const lp = logPmf(x);
      if (lp <= limit) p += Math.exp(lp);
    }
  }
  return { oddsRatio, pValue: Math.min(1, p) };
}
