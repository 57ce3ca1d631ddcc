// Pearson chi-square tests for categorical drift: goodness of fit of the
// current counts against the reference proportions (Evidently's default
// categorical test for small references), and the test of independence on a
// contingency table, with Yates' continuity correction when it has one degree
// of freedom (as SciPy's chi2_contingency does by default).

import { StatsInputError } from './errors.ts';
import { chi2Sf } from './special/gamma.ts';

export interface ChiSquareResult {
  statistic: number;
  pValue: number;
  dof: number;
}

/**
 * Goodness of fit: Σ (obs − exp)² / exp with k − 1 degrees of freedom
 * (SciPy `chisquare`). An expected count of zero with a non-zero observation
 * gives an infinite statistic and p = 0 (a category the reference never saw).
 *
 * @example
 * chiSquareGof([16, 18, 16, 14, 12, 12], [16, 16, 16, 16, 16, 8]).pValue; // 0.6233876277495822
 */
export function chiSquareGof(observed: ArrayLike<number>, expected: ArrayLike<number>): ChiSquareResult {
  const k = observed.length;
  if (k !== expected.length)
    throw new StatsInputError('type-mismatch', 'observed and expected differ in length.');
  let so = 0;
  let se = 0;
  for (let i = 0; i < k; i++) {
    const o = observed[i]!;
    const e = expected[i]!;
    if (!(o >= 0) || !(e >= 0) || !Number.isFinite(o) || !Number.isFinite(e))
      throw new StatsInputError(
        'invalid-input',
        `counts must be finite and non-negative; category ${i} has observed ${o}, expected ${e}.`,
      );
    so += o;
    se += e;
  }
  // As SciPy: the two totals must agree (relative tolerance 1e-8), or the test compares different things.
  if (Math.abs(so - se) > 1e-8 * Math.max(so, se))
    throw new StatsInputError(
      'invalid-input',
      `observed and expected totals differ (${so} vs ${se}); scale the expected counts to the observed total.`,
    );
  // A category absent from both (0/0) carries no information: left out, with its degree of freedom.
  let stat = 0;
  let cells = 0;
  for (let i = 0; i < k; i++) {
    const o = observed[i]!;
    const e = expected[i]!;
    if (o === 0 && e === 0) continue;
    cells++;
    const d = o - e;
    stat += e === 0 ? Number.POSITIVE_INFINITY : (d * d) / e; // seen, but never expected: p = 0
  }
  if (cells < 2)
    throw new StatsInputError('too-small', 'chi-square needs at least two categories with counts.');
  return {
    statistic: stat,
    pValue: stat === Number.POSITIVE_INFINITY ? 0 : chi2Sf(stat, cells - 1),
    dof: cells - 1,
  };
}

/**
 * Chi-square goodness of fit of current category counts against reference
 * proportions (Evidently's `chisquare` stattest): expected = reference count ×
 * n_current / n_reference, over the union of categories.
 *
 * @example
 * chiSquareCategories(['a', 'a', 'b', 'c'], ['a', 'b', 'b', 'b']).pValue; // 0.06392786120670757
 */
export function chiSquareCategories(
  reference: ArrayLike<string>,
  current: ArrayLike<string>,
): ChiSquareResult {
  const { keys, ref, cur } = categoryCounts(reference, current);
  const k = current.length / reference.length;
  return chiSquareGof(
    keys.map((key) => cur.get(key) ?? 0),
    keys.map((key) => (ref.get(key) ?? 0) * k),
  );
}

/** Category counts of two samples over the union of their categories (reference order first). */
export function categoryCounts(reference: ArrayLike<string>, current: ArrayLike<string>) {
  const ref = new Map<string, number>();
  const cur = new Map<string, number>();
  for (let i = 0; i < reference.length; i++) ref.set(reference[i]!, (ref.get(reference[i]!) ?? 0) + 1);
  for (let i = 0; i < current.length; i++) cur.set(current[i]!, (cur.get(current[i]!) ?? 0) + 1);
  const keys = [...new Set([...ref.keys(), ...cur.keys()])];
  return { keys, ref, cur };
}

/**
 * Test of independence on an r×c table of counts (SciPy `chi2_contingency`),
 * with Yates' correction when dof = 1 and `correction` is true (default).
 *
 * @example
 * chiSquareContingency([[12, 5], [7, 15]]).pValue; // 0.03762001663483994
 */
export function chiSquareContingency(table: number[][], correction = true): ChiSquareResult {
  const r = table.length;
  const c = table[0]?.length ?? 0;
  if (r < 2 || c < 2) throw new StatsInputError('too-small', 'a contingency table needs at least 2×2 cells.');
  table.forEach((row, i) => {
    if (row.length !== c)
      throw new StatsInputError(
        'invalid-input',
        `row ${i} of the contingency table has ${row.length} cells, not ${c}.`,
      );
    row.forEach((v, j) => {
      if (!(v >= 0) || !Number.isFinite(v))
        throw new StatsInputError(
          'invalid-input',
          `cell [${i}][${j}] of the contingency table is ${v}; counts must be finite and non-negative.`,
        );
    });
  });
  const rows = table.map((row) => row.reduce((s, v) => s + v, 0));
  const cols = Array.from({ length: c }, (_, j) => table.reduce((s, row) => s + row[j]!, 0));
  const total = rows.reduce((s, v) => s + v, 0);
  if (rows.some((v) => v === 0) || cols.some((v) => v === 0)) {
    throw new StatsInputError('too-small', 'a contingency table row or column sums to zero.');
  }
  const dof = (r - 1) * (c - 1);
  let stat = 0;
  for (let i = 0; i < r; i++) {
    for (let j = 0; j < c; j++) {
      const e = (rows[i]! * cols[j]!) / total;
      let d = table[i]![j]! - e;
      if (dof === 1 && correction) {
        // Shrink |O − E| by ½, but never past zero.
        const ad = Math.abs(d);
        d = Math.sign(d) * (ad - Math.min(0.5, ad));
      }
      stat += (d * d) / e;
    }
  }
  return { statistic: stat, pValue: chi2Sf(stat, dof), dof };
}
