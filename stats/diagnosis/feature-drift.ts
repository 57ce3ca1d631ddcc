// Per-feature drift for the diagnosis: the column's drift test (Evidently's
// default choice unless overridden) plus an effect size that can be ranked
// across features and tests — the verdicts come from tests with different
// scales (p-values, distances), the ranking must not. Numeric: Wasserstein
// distance over the reference's standard deviation (1 when the reference is
// constant). Categorical: Jensen–Shannon distance of the category shares.

import { binCategories } from '../binning.ts';
import { type Column, presentCategories, presentNumbers, type Table } from '../columns.ts';
import { jensenShannon } from '../divergence.ts';
import { type ColumnTestChoice, columnDrift } from '../drift.ts';
import { getDriftTest } from '../registry.ts';
import { std, wasserstein } from '../wasserstein.ts';
import { num, pValue } from './format.ts';
import type { FeatureDrift } from './types.ts';

export type UnjudgedFeature = { readonly feature: string; readonly reason: string; readonly message: string };

export interface FeatureDriftList {
  /** Judged features, largest effect first. */
  readonly drift: readonly FeatureDrift[];
  readonly unjudged: readonly UnjudgedFeature[];
}

/**
 * Effect size of a shift, comparable across features.
 *
 * @example
 * const x = (...v) => ({ kind: 'numeric', values: Float64Array.from(v) });
 * driftEffect(x(0, 1, 2, 3), x(1, 2, 3, 4)); // 0.8944271909999159
 */
export function driftEffect(reference: Column, current: Column): number {
  if (reference.kind === 'numeric' && current.kind === 'numeric') {
    const r = presentNumbers(reference.values);
    const c = presentNumbers(current.values);
    const s = std(r);
    return wasserstein(r, c) / (s > 0 ? s : 1);
  }
  if (reference.kind === 'categorical' && current.kind === 'categorical') {
    const b = binCategories(presentCategories(reference.values), presentCategories(current.values), false);
    return jensenShannon(b.reference, b.current);
  }
  return Number.NaN;
}

/** One judged column as a FeatureDrift, or why it could not be judged. */
export function featureDrift(
  name: string,
  reference: Column | undefined,
  current: Column | undefined,
  choice: ColumnTestChoice = {},
  seed = 0,
): FeatureDrift | UnjudgedFeature {
  const d = columnDrift(name, reference, current, choice, seed);
  if (d.status === 'inconclusive') return { feature: name, reason: d.reason, message: d.message };
  const effect = driftEffect(reference!, current!);
  return {
    feature: name,
    test: d.test,
    // An infinite distance (a category the reference never had, for KL) stays JSON-safe.
    value: Number.isFinite(d.value) ? d.value : Number.MAX_VALUE,
    threshold: d.threshold,
    drifted: d.drifted,
    effect: Number.isFinite(effect) ? effect : 0,
  };
}

/**
 * Drift of every listed feature, ranked by effect (drifted or not).
 *
 * @example
 * const x = (...v) => ({ kind: 'numeric', values: Float64Array.from(v) });
 * const r = featureDrifts({ a: x(1, 2, 3, 4, 5, 6, 7), b: x(1, 2, 3, 4, 5, 6, 7) }, { a: x(11, 12, 13, 14, 15, 16, 17), b: x(1, 2, 3, 4, 5, 6, 7) }, ['a', 'b', 'c']);
 * r.drift.map((d) => d.feature); // ['a', 'b']
 * r.unjudged.map((u) => u.feature); // ['c']
 */
export function featureDrifts(
  reference: Table,
  current: Table,
  features: readonly string[],
  choices: Readonly<Record<string, ColumnTestChoice>> = {},
  seed = 0,
): FeatureDriftList {
  const drift: FeatureDrift[] = [];
  const unjudged: UnjudgedFeature[] = [];
  for (const f of features) {
    const r = featureDrift(f, reference[f], current[f], choices[f], seed);
    if ('test' in r) drift.push(r);
    else unjudged.push(r);
  }
  drift.sort((a, b) => b.effect - a.effect);
  return { drift, unjudged };
}

/** "age drifted: wasserstein 0.83 (threshold 0.1), effect 0.83" or "plan: chisquare p = 0.41, effect 0.01". */
export function driftWords(d: FeatureDrift): string {
  const v =
    getDriftTest(d.test).direction === 'p-value'
      ? pValue(d.value)
      : `${num(d.value)} (threshold ${num(d.threshold)})`;
  return `${d.feature}${d.drifted ? ' drifted' : ''}: ${d.test} ${v}, effect ${num(d.effect)}`;
}
