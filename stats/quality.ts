// Data-quality checks that should alert before any drift test runs, because
// a broken pipeline looks like drift: missing-value rate, values outside the
// reference range, categories never seen in the reference, schema/type
// mismatches, and constant columns. Each finding carries its value, the
// threshold and whether it alerts — the shape of a drift outcome, so the
// policy evaluator treats both alike.

import { type Column, presentCategories, type Table } from './columns.ts';
import { requireConfig } from './errors.ts';

export const QUALITY_CHECKS = ['missing-rate', 'out-of-range', 'new-category', 'schema', 'constant'] as const;
export type QualityCheck = (typeof QUALITY_CHECKS)[number];

export interface QualityFinding {
  column: string;
  check: QualityCheck;
  value: number;
  threshold: number;
  alert: boolean;
  message: string;
}

export interface QualityOptions {
  /** Alert when the current missing rate exceeds this (default 0.05) … */
  maxMissingRate?: number;
  /** … or exceeds the reference's rate by more than this (default 0.02). */
  maxMissingIncrease?: number;
  /** Share of current values outside [min, max] of the reference (or `ranges`) that alerts (default 0.01). */
  maxOutOfRangeRate?: number;
  ranges?: Record<string, [number, number]>;
  /** Share of current values in categories absent from the reference that alerts (default 0.01). */
  maxNewCategoryRate?: number;
  /** Type violations counted while building the columns (columnsFromRecords' violationCount). */
  violations?: Record<string, number>;
}

/** The thresholds `qualityChecks` uses when an option is not given. */
export const DEFAULT_QUALITY_OPTIONS = {
  maxMissingRate: 0.05,
  maxMissingIncrease: 0.02,
  maxOutOfRangeRate: 0.01,
  maxNewCategoryRate: 0.01,
} as const satisfies QualityOptions;

function missingRate(c: Column): number {
  if (c.values.length === 0) return 0;
  let m = 0;
  if (c.kind === 'numeric') {
    for (let i = 0; i < c.values.length; i++) if (!Number.isFinite(c.values[i]!)) m++;
  } else {
    for (const v of c.values) if (v === null) m++;
  }
  return m / c.values.length;
}

/**
 * Runs every check on every column of the current window.
 *
 * @example
 * const ref = { x: { kind: 'numeric', values: Float64Array.from([1, 2, 3, 4]) } };
 * const cur = { x: { kind: 'numeric', values: Float64Array.from([2, 3, 9, Number.NaN]) } };
 * qualityChecks(ref, cur).filter((f) => f.alert).map((f) => f.check); // ['missing-rate', 'out-of-range']
 */
export function qualityChecks(
  reference: Table,
  current: Table,
  options: QualityOptions = {},
): QualityFinding[] {
  const maxMissing = options.maxMissingRate ?? DEFAULT_QUALITY_OPTIONS.maxMissingRate;
  const maxIncrease = options.maxMissingIncrease ?? DEFAULT_QUALITY_OPTIONS.maxMissingIncrease;
  const maxOut = options.maxOutOfRangeRate ?? DEFAULT_QUALITY_OPTIONS.maxOutOfRangeRate;
  const maxNew = options.maxNewCategoryRate ?? DEFAULT_QUALITY_OPTIONS.maxNewCategoryRate;
  for (const [k, v] of Object.entries({ maxMissing, maxIncrease, maxOut, maxNew })) {
    requireConfig(v >= 0 && v <= 1, `${k} must be in [0, 1], got ${v}.`);
  }
  const out: QualityFinding[] = [];
  const names = [...new Set([...Object.keys(reference), ...Object.keys(current)])];
  for (const name of names) {
    const ref = reference[name];
    const cur = current[name];
    if (!ref || !cur) {
      out.push({
        column: name,
        check: 'schema',
        value: 1,
        threshold: 0,
        alert: true,
        message: `Column '${name}' is missing from the ${ref ? 'current' : 'reference'} window.`,
      });
      continue;
    }
    const violations = options.violations?.[name] ?? 0;
    const kindMismatch = ref.kind !== cur.kind;
    if (kindMismatch || violations > 0) {
      out.push({
        column: name,
        check: 'schema',
        value: kindMismatch ? 1 : violations / Math.max(cur.values.length, 1),
        threshold: 0,
        alert: true,
        message: kindMismatch
          ? `Column '${name}' is ${ref.kind} in the reference but ${cur.kind} in the current window.`
          : `${violations} value(s) of '${name}' did not fit its type.`,
      });
      if (kindMismatch) continue;
    }
    const mr = missingRate(cur);
    const mrRef = missingRate(ref);
    out.push({
      column: name,
      check: 'missing-rate',
      value: mr,
      threshold: maxMissing,
      alert: mr > maxMissing || mr - mrRef > maxIncrease,
      message: `${(mr * 100).toFixed(2)}% missing (reference ${(mrRef * 100).toFixed(2)}%).`,
    });
    if (cur.kind === 'numeric' && ref.kind === 'numeric') {
      let lo = Number.POSITIVE_INFINITY;
      let hi = Number.NEGATIVE_INFINITY;
      const range = options.ranges?.[name];
      if (range) [lo, hi] = range;
      else {
        for (const v of ref.values) {
          if (!Number.isFinite(v)) continue;
          if (v < lo) lo = v;
          if (v > hi) hi = v;
        }
      }
      let present = 0;
      let outside = 0;
      const distinct = new Set<number>();
      for (const v of cur.values) {
        if (!Number.isFinite(v)) continue;
        present++;
        if (v < lo || v > hi) outside++;
        if (distinct.size < 2) distinct.add(v);
      }
      const rate = present ? outside / present : 0;
      out.push({
        column: name,
        check: 'out-of-range',
        value: rate,
        threshold: maxOut,
        alert: rate > maxOut,
        message: `${outside} of ${present} values outside [${lo}, ${hi}].`,
      });
      out.push(constantFinding(name, present, distinct.size));
    } else if (cur.kind === 'categorical' && ref.kind === 'categorical') {
      const known = new Set(presentCategories(ref.values));
      const curPresent = presentCategories(cur.values);
      const unseen = new Map<string, number>();
      for (const v of curPresent) if (!known.has(v)) unseen.set(v, (unseen.get(v) ?? 0) + 1);
      const n = [...unseen.values()].reduce((a, b) => a + b, 0);
      const rate = curPresent.length ? n / curPresent.length : 0;
      out.push({
        column: name,
        check: 'new-category',
        value: rate,
        threshold: maxNew,
        alert: rate > maxNew,
        message: unseen.size
          ? `New categories: ${[...unseen.keys()].slice(0, 10).join(', ')}.`
          : 'No new categories.',
      });
      out.push(constantFinding(name, curPresent.length, new Set(curPresent).size));
    }
  }
  return out;
}

function constantFinding(column: string, present: number, distinct: number): QualityFinding {
  const constant = present > 1 && distinct === 1;
  return {
    column,
    check: 'constant',
    value: constant ? 1 : 0,
    threshold: 0,
    alert: constant,
    message: constant ? `'${column}' holds a single value in the current window.` : 'Not constant.',
  };
}
