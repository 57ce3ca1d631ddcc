// Two-proportion z-test (pooled variance), Evidently's `z` stattest for binary
// categorical columns. The two-sided p-value is 2·(upper normal tail at |z|),
// computed directly rather than as 2·(1 − Φ(|z|)).

import { StatsInputError } from './errors.ts';
import { normCdf, normSf } from './special/erf.ts';

export interface ZTestResult {
  statistic: number;
  pValue: number;
}

/**
 * z-test of p1 = p2 from success counts.
 *
 * @example
 * twoProportionZTest(30, 100, 45, 100).pValue; // 0.02845973691631055
 */
export function twoProportionZTest(
  successes1: number,
  n1: number,
  successes2: number,
  n2: number,
  alternative: 'two-sided' | 'less' | 'greater' = 'two-sided',
): ZTestResult {
  if (n1 <= 0 || n2 <= 0) throw new StatsInputError('empty-window', 'both samples need at least one row.');
  const p1 = successes1 / n1;
  const p2 = successes2 / n2;
  const P = (p1 * n1 + p2 * n2) / (n1 + n2);
  const z = (p1 - p2) / Math.sqrt(P * (1 - P) * (1 / n1 + 1 / n2));
  if (Number.isNaN(z)) return { statistic: 0, pValue: 1 }; // both samples constant and equal
  const p =
    alternative === 'two-sided' ? 2 * normSf(Math.abs(z)) : alternative === 'less' ? normCdf(z) : normSf(z);
  return { statistic: z, pValue: Math.min(1, p) };
}

/**
 * Evidently's z stattest on two categorical samples: the first category in
 * sorted order is 0, every other category is 1; p = 1 when both samples hold
 * the same single category.
 *
 * @example
 * zTestCategories(['a', 'a', 'b', 'b'], ['b', 'b', 'b', 'a']).pValue; // 0.4652088184521418
 */
export function zTestCategories(reference: ArrayLike<string>, current: ArrayLike<string>): ZTestResult {
  const keys = [...new Set([...Array.from(reference), ...Array.from(current)])].sort();
  if (keys.length === 1) return { statistic: 0, pValue: 1 };
  const first = keys[0];
  let s1 = 0;
  let s2 = 0;
  for (let i = 0; i < reference.length; i++) if (reference[i] !== first) s1++;
  for (let i = 0; i < current.length; i++) if (current[i] !== first) s2++;
  return twoProportionZTest(s1, reference.length, s2, current.length);
}
