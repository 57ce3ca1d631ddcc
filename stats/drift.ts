// Column drift and the dataset drift report. Picks a test per column like
// Evidently's default (below), runs it on the present values, and turns every
// input problem into an *inconclusive* outcome carrying its reason — never a
// NaN passed on as a verdict. Many columns at once: optional multiple-testing
// correction of the p-value tests, then the dataset drifts when the share of
// drifted columns reaches `driftShare` (Evidently's default 0.5).
//
// Default test (Evidently 0.7 `_get_default_stattest`), with u = number of
// distinct values in reference ∪ current:
//   reference ≤ 1000 rows: numeric u > 5 → ks; otherwise (and categorical)
//                          u > 2 → chisquare, else z. Threshold p ≤ 0.05.
//   reference > 1000 rows: numeric u > 5 → wasserstein (normed) ≥ 0.1;
//                          otherwise (and categorical) → jensenshannon ≥ 0.1.

import { type Column, type ColumnKind, presentCategories, presentNumbers, type Table } from './columns.ts';
import { adjustPValues, type Correction } from './correction.ts';
import { type InconclusiveReason, requireConfig, StatsConfigError, StatsInputError } from './errors.ts';
import { type Direction, type DriftTest, getDriftTest, isDrift, type Sample } from './registry.ts';

export interface ColumnTestChoice {
  test?: string;
  threshold?: number;
}

export type ColumnDrift =
  | {
      status: 'judged';
      column: string;
      kind: ColumnKind;
      test: string;
      direction: Direction;
      threshold: number;
      /** The p-value or distance (for p-value tests: before any correction). */
      value: number;
      statistic?: number;
      /** The corrected p-value, when a correction was applied. */
      adjustedValue?: number;
      drifted: boolean;
    }
  | {
      status: 'inconclusive';
      column: string;
      kind?: ColumnKind;
      test?: string;
      reason: InconclusiveReason;
      message: string;
    };

/**
 * Distinct values of reference ∪ current, counted only up to `cap`: the
 * default selection asks "more than 5?" and "more than 2?", so stopping early
 * avoids hashing a million values per column.
 */
function countDistinct(a: Sample, b: Sample, cap: number): number {
  const s = new Set<number | string>();
  for (const x of [a, b]) {
    for (let i = 0; i < x.length; i++) {
      const v = x[i]!;
      s.add(v === 0 ? 0 : v);
      if (s.size >= cap) return s.size;
    }
  }
  return s.size;
}

/**
 * Evidently's default test for a column.
 *
 * @example
 * defaultTest('numeric', 500, 40).name; // 'ks'
 * defaultTest('numeric', 5000, 40).name; // 'wasserstein'
 * defaultTest('categorical', 500, 2).name; // 'z'
 * defaultTest('categorical', 5000, 7).name; // 'jensenshannon'
 */
export function defaultTest(kind: ColumnKind, referenceRows: number, distinct: number): DriftTest {
  if (referenceRows <= 1000) {
    if (kind === 'numeric' && distinct > 5) return getDriftTest('ks');
    return getDriftTest(distinct > 2 ? 'chisquare' : 'z');
  }
  if (kind === 'numeric' && distinct > 5) return getDriftTest('wasserstein');
  return getDriftTest('jensenshannon');
}

function present(c: Column): Sample {
  return c.kind === 'numeric' ? presentNumbers(c.values) : presentCategories(c.values);
}

/**
 * Judges one column. Never throws for bad data: empty windows, all-missing
 * columns, mismatched kinds and too-small windows come back inconclusive.
 * Throws StatsConfigError for an unknown test or one that does not accept the
 * column's kind.
 */
export function columnDrift(
  name: string,
  reference: Column | undefined,
  current: Column | undefined,
  choice: ColumnTestChoice = {},
  seed = 0,
): ColumnDrift {
  if (!reference || !current) {
    return {
      status: 'inconclusive',
      column: name,
      reason: 'type-mismatch',
      message: `Column '${name}' is missing from the ${reference ? 'current' : 'reference'} window.`,
    };
  }
  if (reference.kind !== current.kind) {
    return {
      status: 'inconclusive',
      column: name,
      reason: 'type-mismatch',
      message: `Column '${name}' is ${reference.kind} in the reference but ${current.kind} in the current window.`,
    };
  }
  const kind = reference.kind;
  const chosen = choice.test ? getDriftTest(choice.test) : undefined;
  if (chosen && !chosen.accepts.includes(kind)) {
    throw new StatsConfigError(
      `Test '${chosen.name}' does not accept ${kind} columns (column '${name}'). It accepts: ${chosen.accepts.join(', ')}.`,
    );
  }
  for (const [which, col] of [
    ['reference', reference],
    ['current', current],
  ] as const) {
    if (col.values.length === 0) {
      return {
        status: 'inconclusive',
        column: name,
        kind,
        test: chosen?.name,
        reason: 'empty-window',
        message: `The ${which} window of '${name}' has no rows.`,
      };
    }
  }
  const r = present(reference);
  const c = present(current);
  for (const [which, s] of [
    ['reference', r],
    ['current', c],
  ] as const) {
    if (s.length === 0) {
      return {
        status: 'inconclusive',
        column: name,
        kind,
        test: chosen?.name,
        reason: 'all-nan',
        message: `Every value of '${name}' in the ${which} window is missing.`,
      };
    }
  }
  const test = chosen ?? defaultTest(kind, r.length, countDistinct(r, c, 6));
  const threshold = choice.threshold ?? test.defaultThreshold;
  if (Math.min(r.length, c.length) < test.minSize) {
    return {
      status: 'inconclusive',
      column: name,
      kind,
      test: test.name,
      reason: 'too-small',
      message: `'${test.name}' needs at least ${test.minSize} values per window; '${name}' has ${r.length} and ${c.length}.`,
    };
  }
  try {
    const res = test.run(r, c, kind, seed);
    if (
      !Number.isFinite(res.value) &&
      !(test.direction === 'distance' && res.value === Number.POSITIVE_INFINITY)
    ) {
      return {
        status: 'inconclusive',
        column: name,
        kind,
        test: test.name,
        reason: 'not-finite',
        message: `'${test.name}' gave ${res.value} on '${name}'.`,
      };
    }
    return {
      status: 'judged',
      column: name,
      kind,
      test: test.name,
      direction: test.direction,
      threshold,
      value: res.value,
      ...(res.statistic !== undefined ? { statistic: res.statistic } : {}),
      drifted: isDrift(test.direction, res.value, threshold),
    };
  } catch (e) {
    if (e instanceof StatsInputError) {
      return {
        status: 'inconclusive',
        column: name,
        kind,
        test: test.name,
        reason: e.reason,
        message: `${name}: ${e.message}`,
      };
    }
    throw e;
  }
}

export interface DriftReportOptions {
  /** Per-column test and threshold; others get the default test. */
  columns?: Record<string, ColumnTestChoice>;
  /** Only these columns (default: every column of either window). */
  include?: readonly string[];
  correction?: Correction;
  /** Dataset drift when drifted / judged ≥ driftShare (default 0.5). */
  driftShare?: number;
  seed?: number;
}

export interface DriftReport {
  columns: ColumnDrift[];
  judged: number;
  drifted: number;
  inconclusive: number;
  share: number;
  datasetDrift: boolean;
  correction: Correction;
}

/**
 * Runs column drift over two tables and summarises the dataset.
 *
 * @example
 * const ref = { x: { kind: 'numeric', values: Float64Array.from([1, 2, 3, 4, 5, 6, 7]) } };
 * const cur = { x: { kind: 'numeric', values: Float64Array.from([11, 12, 13, 14, 15, 16, 17]) } };
 * const r = driftReport(ref, cur);
 * r.columns[0].test; // 'ks'
 * r.datasetDrift; // true
 */
export function driftReport(reference: Table, current: Table, options: DriftReportOptions = {}): DriftReport {
  const driftShare = options.driftShare ?? 0.5;
  requireConfig(driftShare > 0 && driftShare <= 1, `driftShare must be in (0, 1], got ${driftShare}.`);
  const correction = options.correction ?? 'none';
  const names = options.include ?? [...new Set([...Object.keys(reference), ...Object.keys(current)])];
  const columns = names.map((n) =>
    columnDrift(n, reference[n], current[n], options.columns?.[n], options.seed ?? 0),
  );
  if (correction !== 'none') {
    const pIdx = columns.flatMap((c, i) => (c.status === 'judged' && c.direction === 'p-value' ? [i] : []));
    const adjusted = adjustPValues(
      pIdx.map((i) => (columns[i] as Extract<ColumnDrift, { status: 'judged' }>).value),
      correction,
    );
    pIdx.forEach((i, k) => {
      const c = columns[i] as Extract<ColumnDrift, { status: 'judged' }>;
      c.adjustedValue = adjusted[k]!;
      c.drifted = isDrift('p-value', c.adjustedValue, c.threshold);
    });
  }
  const judged = columns.filter((c) => c.status === 'judged').length;
  const drifted = columns.filter((c) => c.status === 'judged' && c.drifted).length;
  const share = judged === 0 ? 0 : drifted / judged;
  return {
    columns,
    judged,
    drifted,
    inconclusive: columns.length - judged,
    share,
    datasetDrift: judged > 0 && share >= driftShare,
    correction,
  };
}
