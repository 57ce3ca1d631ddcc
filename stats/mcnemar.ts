// McNemar's test on paired correctness (champion vs challenger on the same
// rows): only the discordant pairs matter — b = champion right / challenger
// wrong, c = the reverse. Exact: two-sided binomial test of b against
// Binomial(b + c, ½). Mid-p: the exact p-value minus the probability of the
// observed table, less conservative (Fagerland et al. 2013 recommend it).
// Tails are summed directly from the pmf.

import { StatsInputError } from './errors.ts';
import { binomPmf } from './special/binom-pmf.ts';

export interface McNemarResult {
  b: number;
  c: number;
  pValue: number;
  midP: number;
}

/**
 * P(X ≤ k) for X ~ Binomial(n, ½), k ≤ n/2: the mass at k (to full relative
 * precision) times the sum of the ratios of the terms below it,
 * pmf(i − 1)/pmf(i) = i/(n − i + 1), until they stop counting. Summing
 * log-gamma terms instead loses 1e-8 relative at n = 10⁸, and takes n steps.
 */
function lowerTail(k: number, n: number): { tail: number; atK: number } {
  const atK = binomPmf(k, n, 0.5);
  let sum = 1;
  let term = 1;
  for (let i = k; i > 0; i--) {
    term *= i / (n - i + 1);
    sum += term;
    if (term < sum * 1e-17) break;
  }
  return { tail: atK * sum, atK };
}

/**
 * From discordant counts.
 *
 * @example
 * mcnemar(10, 3); // { b: 10, c: 3, pValue: 0.09228515625, midP: 0.05737304687500001 }
 */
export function mcnemar(b: number, c: number): McNemarResult {
  if (!(Number.isInteger(b) && Number.isInteger(c) && b >= 0 && c >= 0)) {
    throw new StatsInputError('type-mismatch', 'McNemar needs non-negative integer counts.');
  }
  const n = b + c;
  if (n === 0) return { b, c, pValue: 1, midP: 1 };
  const k = Math.min(b, c);
  const { tail, atK: pObs } = lowerTail(k, n);
  const pValue = Math.min(1, 2 * tail);
  // Mid-p = 2·[P(X ≤ k) − ½·P(X = k)] (Fagerland et al.), capped at 1.
  const midP = Math.min(1, 2 * tail - pObs);
  return { b, c, pValue, midP };
}

/** From paired correctness vectors (true = correct). */
export function mcnemarPaired(
  championCorrect: readonly boolean[],
  challengerCorrect: readonly boolean[],
): McNemarResult {
  if (championCorrect.length !== challengerCorrect.length) {
    throw new StatsInputError('type-mismatch', 'paired vectors differ in length.');
  }
  if (championCorrect.length === 0) throw new StatsInputError('empty-window', 'no paired rows.');
  let b = 0;
  let c = 0;
  for (let i = 0; i < championCorrect.length; i++) {
    if (championCorrect[i] && !challengerCorrect[i]) b++;
    else if (!championCorrect[i] && challengerCorrect[i]) c++;
  }
  return mcnemar(b, c);
}
