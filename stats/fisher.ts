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
 * The hypergeometric terms relative to the mode's (weight 1), by the ratio of
 * neighbouring terms, out to where they underflow: each weight carries a few
 * roundings per step from the mode instead of the absolute error of log-gamma
 * at N (which grows with N: 5e-8 relative at N = 2·10⁷), and the band of
 * non-negligible terms is only O(√N) wide. Undefined when the band would not
 * fit in memory.
 */
function relativeWeights(
  n1: number,
  n2: number,
  n: number,
  lo: number,
  hi: number,
): { from: number; w: Float64Array; total: number } | undefined {
  const mode = Math.min(hi, Math.max(lo, Math.floor(((n + 1) * (n1 + 1)) / (n1 + n2 + 2))));
  const up: number[] = [];
  const down: number[] = [];
  const LIMIT = 50_000_000;
  // Going up: w(x+1) = w(x) · (n1 − x)(n − x) / ((x + 1)(n2 − n + x + 1)).
  for (let x = mode, w = 1; x < hi; x++) {
    w *= ((n1 - x) * (n - x)) / ((x + 1) * (n2 - n + x + 1));
    if (w === 0) break;
    up.push(w);
    if (up.length > LIMIT) return undefined;
  }
  // Going down: w(x−1) = w(x) · x(n2 − n + x) / ((n1 − x + 1)(n − x + 1)).
  for (let x = mode, w = 1; x > lo; x--) {
    w *= (x * (n2 - n + x)) / ((n1 - x + 1) * (n - x + 1));
    if (w === 0) break;
    down.push(w);
    if (down.length > LIMIT) return undefined;
  }
  const w = new Float64Array(down.length + 1 + up.length);
  for (let i = 0; i < down.length; i++) w[down.length - 1 - i] = down[i]!;
  w[down.length] = 1;
  w.set(up, down.length + 1);
  let total = 0;
  // Smallest first, so the large terms are not added to a sum that has already lost the small ones.
  const order = Array.from(w.keys()).sort((i, j) => w[i]! - w[j]!);
  for (const i of order) total += w[i]!;
  return { from: mode - down.length, w, total };
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
  const weights = relativeWeights(n1, n2, n, lo, hi);
  if (weights && a >= weights.from && a < weights.from + weights.w.length) {
    const { from, w, total } = weights;
    const at = (x: number) => w[x - from]!;
    let s = 0;
    if (alternative === 'less') for (let x = from; x <= a; x++) s += at(x);
    else if (alternative === 'greater') for (let x = a; x < from + w.length; x++) s += at(x);
    else {
      const limit = at(a) * REL_TOL;
      for (let x = from; x < from + w.length; x++) if (at(x) <= limit) s += at(x);
    }
    return { oddsRatio, pValue: Math.min(1, s / total) };
  }
  // The observed table is so unlikely that its probability underflows beside
  // the mode's: logs of the hypergeometric terms keep what digits there are.
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
