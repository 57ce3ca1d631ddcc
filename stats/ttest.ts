// Two-sample t-tests on means: Student's (pooled variance — Evidently's
// `t_test` stattest, SciPy's ttest_ind default) and Welch's (unequal
// variances). Two-sided p = 2·Pr(T > |t|), the tail computed directly.

import { StatsInputError } from './errors.ts';
import { studentTSf } from './special/beta.ts';

export interface TTestResult {
  statistic: number;
  pValue: number;
  df: number;
}

function meanVar(x: ArrayLike<number>): [number, number] {
  let m = 0;
  for (let i = 0; i < x.length; i++) m += x[i]!;
  m /= x.length;
  let s = 0;
  for (let i = 0; i < x.length; i++) s += (x[i]! - m) ** 2;
  return [m, s / (x.length - 1)];
}

/**
 * @example
 * tTestInd([1, 2, 3, 4, 5], [3, 4, 5, 6, 7, 8]).pValue; // 0.04246981961944644
 * tTestInd([1, 2, 3, 4, 5], [3, 4, 5, 6, 7, 8], { equalVar: false }).pValue; // 0.039803082024136245
 */
export function tTestInd(
  a: ArrayLike<number>,
  b: ArrayLike<number>,
  options: { equalVar?: boolean } = {},
): TTestResult {
  const n1 = a.length;
  const n2 = b.length;
  if (n1 < 2 || n2 < 2)
    throw new StatsInputError('too-small', 'a t-test needs at least two values per sample.');
  const [m1, v1] = meanVar(a);
  const [m2, v2] = meanVar(b);
  let df: number;
  let denom: number;
  if (options.equalVar ?? true) {
    df = n1 + n2 - 2;
    const svar = ((n1 - 1) * v1 + (n2 - 1) * v2) / df;
    denom = Math.sqrt(svar * (1 / n1 + 1 / n2));
  } else {
    const vn1 = v1 / n1;
    const vn2 = v2 / n2;
    df = (vn1 + vn2) ** 2 / (vn1 ** 2 / (n1 - 1) + vn2 ** 2 / (n2 - 1));
    denom = Math.sqrt(vn1 + vn2);
  }
  const t = (m1 - m2) / denom;
  if (Number.isNaN(t))
    throw new StatsInputError('constant', 'both samples are constant: the t statistic is undefined.');
  return { statistic: t, pValue: Math.min(1, 2 * studentTSf(Math.abs(t), df)), df };
}
