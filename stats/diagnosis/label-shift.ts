// Stage 4 — has the label distribution shifted? The positive rate of the
// labelled current rows against the reference's, by the two-proportion
// z-test (pooled; equivalent to the 2×2 chi-square without continuity
// correction). Under label shift P(x | y) stays put while P(y) moves, so the
// features drift too — through the class mix alone. `explainByLabelShift`
// tests that: it resamples the reference to the current class mix (class
// weights q(y)/p(y)) and re-tests the features; if what drifted no longer
// does, and nothing new drifts, the label shift explains the drift. (The
// score is re-tested with the features when given; the joint MMD of the
// covariate stage is not.)

import type { Table } from '../columns.ts';
import type { ColumnTestChoice } from '../drift.ts';
import { Rng } from '../random.ts';
import { twoProportionZTest } from '../ztest.ts';
import { DEFAULT_THRESHOLDS } from './defaults.ts';
import { type FeatureDriftList, featureDrift } from './feature-drift.ts';
import { finiteOrNull, names, num, pct, pValue } from './format.ts';
import { labelsOf, takeRows, usableRows } from './rows.ts';
import type { DiagnosisRoles, FeatureDrift, LabelShiftThresholds, StageResult } from './types.ts';

/** Fewest labelled rows per window for the label-distribution test. */
export const MIN_LABELS_FOR_SHIFT = 30;

export type LabelShiftEvidence = {
  readonly labelled: number;
  readonly referenceLabelled: number;
  readonly rate: number | null;
  readonly referenceRate: number | null;
  readonly z: number | null;
  readonly pValue: number | null;
  /** q(y)/p(y): the weight of each class in the reference that gives the current mix. */
  readonly weights: { readonly 0: number; readonly 1: number } | null;
};

interface Counts {
  readonly n: number;
  readonly positives: number;
}

function counts(table: Table, label: string): Counts | null {
  const l = labelsOf(table[label]);
  if (!l) return null;
  let n = 0;
  let positives = 0;
  for (const y of l.values) {
    if (Number.isNaN(y)) continue;
    n++;
    positives += y;
  }
  return { n, positives };
}

/** Class weights q(y)/p(y); null when the reference lacks a class the current window has. */
export function classWeights(referenceRate: number, rate: number): { 0: number; 1: number } | null {
  const w1 = rate / referenceRate;
  const w0 = (1 - rate) / (1 - referenceRate);
  if (!Number.isFinite(w0) || !Number.isFinite(w1)) return null;
  return { 0: w0, 1: w1 };
}

/**
 * Whether the class mix moved: fail when the labelled current rows' positive
 * rate differs from the reference's at p < alpha; inconclusive with fewer
 * than 30 labelled rows on either side or no label column.
 *
 * @example
 * const y = (k, n) => ({ kind: 'numeric', values: Float64Array.from({ length: n }, (_, i) => (i < k ? 1 : 0)) });
 * const r = labelShiftStage({ y: y(30, 100) }, { y: y(60, 100) }, { features: [], score: 's', label: 'y' });
 * r.verdict; // 'fail'
 * r.evidence.weights; // { 0: 0.5714285714285715, 1: 2 }
 */
export function labelShiftStage(
  reference: Table,
  current: Table,
  roles: DiagnosisRoles,
  thresholds: LabelShiftThresholds = DEFAULT_THRESHOLDS.labelShift,
): StageResult & { readonly evidence: LabelShiftEvidence } {
  const ref = counts(reference, roles.label);
  const cur = counts(current, roles.label);
  const empty: LabelShiftEvidence = {
    labelled: cur?.n ?? 0,
    referenceLabelled: ref?.n ?? 0,
    rate: cur?.n ? cur.positives / cur.n : null,
    referenceRate: ref?.n ? ref.positives / ref.n : null,
    z: null,
    pValue: null,
    weights: null,
  };
  if (!ref || !cur) {
    return {
      stage: 'labelShift',
      verdict: 'inconclusive',
      summary: `no label column '${roles.label}'`,
      features: [],
      evidence: empty,
    };
  }
  if (cur.n < MIN_LABELS_FOR_SHIFT || ref.n < MIN_LABELS_FOR_SHIFT) {
    return {
      stage: 'labelShift',
      verdict: 'inconclusive',
      summary: `too few labels to compare the class mix (${cur.n} current, ${ref.n} reference; need ${MIN_LABELS_FOR_SHIFT} each)`,
      features: [],
      evidence: empty,
    };
  }
  const rate = cur.positives / cur.n;
  const referenceRate = ref.positives / ref.n;
  const t = twoProportionZTest(cur.positives, cur.n, ref.positives, ref.n);
  const fail = t.pValue < thresholds.alpha;
  const words = `positive rate ${pct(rate)} vs reference ${pct(referenceRate)} (z = ${num(t.statistic)}, ${pValue(t.pValue)}, ${cur.n} labelled)`;
  return {
    stage: 'labelShift',
    verdict: fail ? 'fail' : 'pass',
    summary: fail ? words : `class mix stable: ${words}`,
    features: fail ? [roles.label] : [],
    evidence: {
      ...empty,
      rate,
      referenceRate,
      z: finiteOrNull(t.statistic),
      pValue: t.pValue,
      weights: classWeights(referenceRate, rate),
    },
  };
}

export type RetestedFeature = {
  readonly feature: string;
  readonly before: FeatureDrift;
  /** Against the label-adjusted reference; null when it could not be judged there. */
  readonly after: FeatureDrift | null;
};

export type LabelShiftExplanation = {
  /** The drift (if any) disappears against the reference resampled to the current class mix. */
  readonly explained: boolean;
  readonly hadDrift: boolean;
  readonly stillDrifted: readonly string[];
  readonly newlyDrifted: readonly string[];
  readonly retested: readonly RetestedFeature[];
  readonly weights: { readonly 0: number; readonly 1: number };
  /** Rows of the resampled reference. */
  readonly rows: number;
  readonly summary: string;
};

export interface ExplainOptions {
  readonly seed?: number;
  readonly columns?: Readonly<Record<string, ColumnTestChoice>>;
  /** The score's drift from the covariate stage, re-tested with the features when given. */
  readonly score?: FeatureDrift | null;
}

/**
 * Does the label shift account for the covariate drift? Resamples the
 * labelled reference rows to the current positive rate (stratified, with
 * replacement, seeded) and re-runs each feature's test — the same test and
 * threshold as before. Null when the labels do not allow it (no label
 * column, no labelled current rows, or a class missing from the reference).
 */
export function explainByLabelShift(
  reference: Table,
  current: Table,
  roles: DiagnosisRoles,
  drift: FeatureDriftList,
  options: ExplainOptions = {},
): LabelShiftExplanation | null {
  const refLabels = labelsOf(reference[roles.label]);
  const cur = counts(current, roles.label);
  if (!refLabels || !cur || cur.n === 0) return null;
  const rows = usableRows(refLabels.values);
  const byClass: [number[], number[]] = [[], []];
  for (const i of rows) byClass[refLabels.values[i]!]!.push(i);
  const rate = cur.positives / cur.n;
  const N = rows.length;
  const n1 = Math.round(N * rate);
  const n0 = N - n1;
  if ((n1 > 0 && byClass[1].length === 0) || (n0 > 0 && byClass[0].length === 0)) return null;
  const weights = classWeights(byClass[1].length / N, rate);
  if (!weights) return null;
  const rng = new Rng(options.seed ?? 0);
  const picked: number[] = [];
  for (const [k, count] of [
    [0, n0],
    [1, n1],
  ] as const) {
    const pool = byClass[k];
    for (let j = 0; j < count; j++) picked.push(pool[rng.nextBelow(pool.length)]!);
  }
  const adjusted = takeRows(reference, picked);
  const before = [...drift.drift, ...(options.score ? [options.score] : [])];
  const retested: RetestedFeature[] = before.map((b) => {
    const a = featureDrift(
      b.feature,
      adjusted[b.feature],
      current[b.feature],
      { test: b.test, threshold: b.threshold },
      options.seed ?? 0,
    );
    return { feature: b.feature, before: b, after: 'test' in a ? a : null };
  });
  const stillDrifted = retested.filter((r) => r.before.drifted && r.after?.drifted !== false);
  const newlyDrifted = retested.filter((r) => !r.before.drifted && r.after?.drifted === true);
  const hadDrift = before.some((b) => b.drifted);
  const explained = stillDrifted.length === 0 && newlyDrifted.length === 0;
  const moved = retested.filter((r) => r.before.drifted).map((r) => r.feature);
  const summary = !hadDrift
    ? newlyDrifted.length
      ? `re-weighting the reference to the current class mix makes ${names(newlyDrifted.map((r) => r.feature))} drift: not a pure label shift`
      : 'no covariate drift to explain'
    : explained
      ? `the label shift explains the drift of ${names(moved)} (none drifts against the reference re-weighted to the current class mix)`
      : stillDrifted.length
        ? `the label shift does not explain the drift of ${names(stillDrifted.map((r) => r.feature))} (${stillDrifted
            .map(
              (r) => `${r.feature} effect ${num(r.before.effect)} → ${r.after ? num(r.after.effect) : '—'}`,
            )
            .join(', ')})`
        : `re-weighting the reference to the current class mix makes ${names(newlyDrifted.map((r) => r.feature))} drift: not a pure label shift`;
  return {
    explained,
    hadDrift,
    stillDrifted: stillDrifted.map((r) => r.feature),
    newlyDrifted: newlyDrifted.map((r) => r.feature),
    retested,
    weights,
    rows: picked.length,
    summary,
  };
}
