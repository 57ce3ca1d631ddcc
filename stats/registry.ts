// The drift tests as data: one registration per test — name, the column kinds
// it accepts, its default threshold and its *direction*. A p-value test
// signals drift when p ≤ threshold; a distance signals drift when distance ≥
// threshold. (Evidently leaves the direction implicit and mixes < and ≤; we
// use ≤ / ≥ everywhere.) Lookups that fail list what exists.

import { andersonKsamp } from './anderson.ts';
import { binCategories, binNumericEvidently } from './binning.ts';
import { chiSquareCategories } from './chisquare.ts';
import type { ColumnKind } from './columns.ts';
import { cramerVonMises2samp } from './cramer-von-mises.ts';
import { hellinger, jensenShannon, klDivergence, totalVariation } from './divergence.ts';
import { StatsConfigError, StatsInputError } from './errors.ts';
import { fisherExact } from './fisher.ts';
import { hellingerNumericEvidently } from './hellinger-evidently.ts';
import { ks2samp } from './ks.ts';
import { mmdTest } from './mmd.ts';
import { psi, psiFromShares } from './psi.ts';
import { tTestInd } from './ttest.ts';
import { energyDistance, wassersteinNormed } from './wasserstein.ts';
import { zTestCategories } from './ztest.ts';

export type Direction = 'p-value' | 'distance';

/** Present (non-missing) values of one column, in the form its kind calls for. */
export type Sample = Float64Array | readonly string[];

export interface TestValue {
  /** The number compared with the threshold: a p-value or a distance. */
  value: number;
  /** The test statistic, when it differs from `value`. */
  statistic?: number;
}

export interface DriftTest {
  name: string;
  title: string;
  accepts: readonly ColumnKind[];
  defaultThreshold: number;
  direction: Direction;
  /** Smallest sample size (each side) for which the test is meaningful. */
  minSize: number;
  run(reference: Sample, current: Sample, kind: ColumnKind, seed: number): TestValue;
}

const num = (s: Sample) => s as Float64Array;
const cat = (s: Sample, kind: ColumnKind) =>
  kind === 'numeric' ? Array.from(s as Float64Array, String) : (s as string[]);

const TESTS: DriftTest[] = [
  {
    name: 'ks',
    title: 'Kolmogorov–Smirnov p-value',
    accepts: ['numeric'],
    defaultThreshold: 0.05,
    direction: 'p-value',
    minSize: 1,
    run: (r, c) => {
      const res = ks2samp(num(r), num(c));
      return { value: res.pValue, statistic: res.statistic };
    },
  },
  {
    name: 'chisquare',
    title: 'chi-square p-value',
    accepts: ['categorical', 'numeric'],
    defaultThreshold: 0.05,
    direction: 'p-value',
    minSize: 1,
    run: (r, c, kind) => {
      const res = chiSquareCategories(cat(r, kind), cat(c, kind));
      return { value: res.pValue, statistic: res.statistic };
    },
  },
  {
    name: 'z',
    title: 'two-proportion z-test p-value',
    accepts: ['categorical', 'numeric'],
    defaultThreshold: 0.05,
    direction: 'p-value',
    minSize: 1,
    run: (r, c, kind) => {
      const res = zTestCategories(cat(r, kind), cat(c, kind));
      return { value: res.pValue, statistic: res.statistic };
    },
  },
  {
    name: 'fisher_exact',
    title: "Fisher's exact test p-value (binary columns)",
    accepts: ['categorical', 'numeric'],
    defaultThreshold: 0.1,
    direction: 'p-value',
    minSize: 1,
    run: (r, c, kind) => {
      const rs = cat(r, kind);
      const cs = cat(c, kind);
      const keys = [...new Set([...rs, ...cs])].sort();
      if (keys.length > 2) throw new StatsInputError('type-mismatch', 'Fisher exact needs a binary column.');
      const one = keys[1];
      const r1 = rs.filter((v) => v === one).length;
      const c1 = cs.filter((v) => v === one).length;
      const res = fisherExact([
        [c1, cs.length - c1],
        [r1, rs.length - r1],
      ]);
      return { value: res.pValue, statistic: res.oddsRatio };
    },
  },
  {
    name: 'psi',
    title: 'population stability index (pooled Sturges bins)',
    accepts: ['numeric', 'categorical'],
    defaultThreshold: 0.1,
    direction: 'distance',
    minSize: 1,
    run: (r, c, kind) =>
      kind === 'numeric'
        ? { value: psi(num(r), num(c)) }
        : { value: psiFromSharesOf(binCategories(cat(r, kind), cat(c, kind))) },
  },
  {
    name: 'psi_quantile',
    title: 'population stability index (reference decile bins)',
    accepts: ['numeric'],
    defaultThreshold: 0.1,
    direction: 'distance',
    minSize: 10,
    run: (r, c) => ({ value: psi(num(r), num(c), { bins: 'quantiles', k: 10 }) }),
  },
  {
    name: 'jensenshannon',
    title: 'Jensen–Shannon distance',
    accepts: ['numeric', 'categorical'],
    defaultThreshold: 0.1,
    direction: 'distance',
    minSize: 1,
    run: (r, c, kind) => {
      const b =
        kind === 'numeric'
          ? binNumericEvidently(num(r), num(c), false)
          : binCategories(cat(r, kind), cat(c, kind), false);
      return { value: jensenShannon(b.reference, b.current) };
    },
  },
  {
    name: 'kl_div',
    title: 'Kullback–Leibler divergence',
    accepts: ['numeric', 'categorical'],
    defaultThreshold: 0.1,
    direction: 'distance',
    minSize: 1,
    run: (r, c, kind) => {
      const b =
        kind === 'numeric' ? binNumericEvidently(num(r), num(c)) : binCategories(cat(r, kind), cat(c, kind));
      return { value: klDivergence(b.reference, b.current) };
    },
  },
  {
    name: 'hellinger',
    title: 'Hellinger distance',
    accepts: ['numeric', 'categorical'],
    defaultThreshold: 0.1,
    direction: 'distance',
    minSize: 1,
    run: (r, c, kind) => {
      if (kind === 'numeric') return { value: hellingerNumericEvidently(num(r), num(c)) };
      const b = binCategories(cat(r, kind), cat(c, kind), false);
      return { value: hellinger(b.reference, b.current) };
    },
  },
  {
    name: 'tvd',
    title: 'total variation distance',
    accepts: ['categorical'],
    defaultThreshold: 0.1,
    direction: 'distance',
    minSize: 1,
    run: (r, c, kind) => {
      const b = binCategories(cat(r, kind), cat(c, kind), false);
      return { value: totalVariation(b.reference, b.current) };
    },
  },
  {
    name: 'wasserstein',
    title: 'Wasserstein distance (normed by reference std)',
    accepts: ['numeric'],
    defaultThreshold: 0.1,
    direction: 'distance',
    minSize: 1,
    run: (r, c) => ({ value: wassersteinNormed(num(r), num(c)) }),
  },
  {
    name: 'ed',
    title: 'energy distance',
    accepts: ['numeric'],
    defaultThreshold: 0.1,
    direction: 'distance',
    minSize: 1,
    run: (r, c) => ({ value: energyDistance(num(r), num(c)) }),
  },
  {
    name: 'anderson',
    title: 'Anderson–Darling k-sample p-value',
    accepts: ['numeric'],
    defaultThreshold: 0.1,
    direction: 'p-value',
    minSize: 2,
    run: (r, c) => {
      const res = andersonKsamp([num(r), num(c)]);
      return { value: res.pValue, statistic: res.statistic };
    },
  },
  {
    name: 'cramer_von_mises',
    title: 'Cramér–von Mises p-value',
    accepts: ['numeric'],
    defaultThreshold: 0.1,
    direction: 'p-value',
    minSize: 2,
    run: (r, c) => {
      const res = cramerVonMises2samp(num(r), num(c));
      return { value: res.pValue, statistic: res.statistic };
    },
  },
  {
    name: 't_test',
    title: "Student's t-test p-value (difference in means)",
    accepts: ['numeric'],
    defaultThreshold: 0.05,
    direction: 'p-value',
    minSize: 2,
    run: (r, c) => {
      const res = tTestInd(num(r), num(c));
      return { value: res.pValue, statistic: res.statistic };
    },
  },
  {
    name: 'mmd',
    title: 'maximum mean discrepancy (RBF) permutation p-value',
    accepts: ['numeric'],
    defaultThreshold: 0.05,
    direction: 'p-value',
    minSize: 2,
    run: (r, c, _kind, seed) => {
      const res = mmdTest(num(r), num(c), { seed });
      return { value: res.pValue, statistic: res.statistic };
    },
  },
];

function psiFromSharesOf(b: { reference: Float64Array; current: Float64Array }): number {
  return psiFromShares(b.reference, b.current);
}

const BY_NAME = new Map(TESTS.map((t) => [t.name, t]));

/** Every registered test, in registration order. */
export const DRIFT_TESTS: readonly DriftTest[] = TESTS;

/** The names of all registered tests. */
export const DRIFT_TEST_NAMES: readonly string[] = TESTS.map((t) => t.name);

/**
 * Looks a test up by name; an unknown name throws a StatsConfigError listing
 * the available ones.
 *
 * @example
 * getDriftTest('ks').direction; // 'p-value'
 * getDriftTest('wasserstein').defaultThreshold; // 0.1
 */
export function getDriftTest(name: string): DriftTest {
  const t = BY_NAME.get(name);
  if (!t)
    throw new StatsConfigError(
      `No test named '${name}'. Available: ${DRIFT_TEST_NAMES.join(', ')}.`,
      DRIFT_TEST_NAMES,
    );
  return t;
}

/**
 * The verdict rule: p-value tests drift when value ≤ threshold, distances when value ≥ threshold.
 *
 * @example
 * isDrift('p-value', 0.01, 0.05); // true
 * isDrift('distance', 0.01, 0.1); // false
 */
export function isDrift(direction: Direction, value: number, threshold: number): boolean {
  return direction === 'p-value' ? value <= threshold : value >= threshold;
}
