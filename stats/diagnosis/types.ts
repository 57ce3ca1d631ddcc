// The shapes of a diagnosis: the staged triage that runs before ctpilot acts
// on a breach. Is the evaluation valid, is the data broken, have the inputs
// drifted, has the label distribution shifted, has the concept changed, did
// the business KPI move? Each stage gives a verdict with its evidence; the
// diagnosis names the primary cause and the features that explain it.
//
// Pure data: the stages (stats/diagnosis/) compute it from two tables, the
// policy layer routes its cause to an action, the audit history keeps it.

import type { Table } from '../columns.ts';
import type { MetricName } from '../metrics.ts';
import type { QualityOptions } from '../quality.ts';

export const STAGES = ['validity', 'quality', 'covariate', 'labelShift', 'concept', 'business'] as const;
export type StageName = (typeof STAGES)[number];

export type StageVerdict = 'pass' | 'fail' | 'inconclusive';

/**
 * What the diagnosis blames. `evaluation`: the performance signal itself is
 * suspect (too few, too late or too lopsided labels). `unexplained`: a
 * breach no stage accounts for. `none`: nothing failed and nothing breached.
 */
export const CAUSES = [
  'evaluation',
  'dataQuality',
  'covariateDrift',
  'labelShift',
  'conceptDrift',
  'unexplained',
  'none',
] as const;
export type Cause = (typeof CAUSES)[number];

/** Which columns play which part. The label may be missing (null/NaN) on rows not yet labelled. */
export interface DiagnosisRoles {
  readonly features: readonly string[];
  /** The model's score: P(class 1) for a binary classifier, in [0, 1]. */
  readonly score: string;
  /** The predicted class (0/1); default: score ≥ threshold. */
  readonly prediction?: string;
  /** The true class (0/1), missing where not yet known. */
  readonly label: string;
  /** A column to break the performance gap down by (the segment that lost the most). */
  readonly segment?: string;
  /** A column holding each row's label arrival time lag in seconds (for the freshness check). */
  readonly labelLag?: string;
  /** Decision threshold on the score (default 0.5). */
  readonly threshold?: number;
}

export interface ValidityThresholds {
  /** Fewest labelled current rows behind the performance metric (default 200). */
  readonly minLabelled: number;
  /** Smallest share of current rows labelled (default 0.1). */
  readonly minLabelShare: number;
  /** Largest median label lag in seconds, when `labelLag` is given (default: not checked). */
  readonly maxLabelLagSeconds?: number;
}

export interface CovariateThresholds {
  /** Per-feature test and threshold (stats/drift.ts); default: Evidently's automatic choice. */
  readonly columns?: Readonly<Record<string, { readonly test?: string; readonly threshold?: number }>>;
  /** Also test the score distribution (default true). */
  readonly score: boolean;
  /** Also run the MMD test over the features jointly (default false). */
  readonly multivariate: boolean;
}

export interface LabelShiftThresholds {
  /** Significance of the label-distribution test (default 0.05). */
  readonly alpha: number;
}

export interface ConceptThresholds {
  /** The performance metric compared (default accuracy). */
  readonly metric: MetricName;
  /** Confidence of the one-sided test that realized < estimated (default 0.95). */
  readonly confidence: number;
  /** Smallest gap, estimated − realized, that counts (default 0.02). */
  readonly minGap: number;
}

export interface DiagnosisThresholds {
  readonly validity: ValidityThresholds;
  readonly quality: QualityOptions;
  readonly covariate: CovariateThresholds;
  readonly labelShift: LabelShiftThresholds;
  readonly concept: ConceptThresholds;
}

/** Any threshold may be overridden; the rest keep their defaults. */
export type DiagnosisOverrides = {
  readonly [K in keyof DiagnosisThresholds]?: Partial<DiagnosisThresholds[K]>;
};

/**
 * The business KPI as the policy measured it: its value, its baseline, and
 * whether it dropped significantly (the policy's objective on the KPI
 * metric). `unknown`: it could not be measured — never a confirmation.
 */
export interface KpiReading {
  readonly metric: string;
  readonly value: number | null;
  readonly baseline: number | null;
  readonly dropped: boolean | 'unknown';
  /** In words, from the policy's objective: "ctr 0.031 vs 0.042 (−26 %, limit −10 %)". */
  readonly detail: string;
}

/** An annotation around the window (Grafana, SQL or a file): a campaign, a release, an outage. */
export interface ExternalEvent {
  readonly at: string;
  readonly text: string;
  readonly tags?: readonly string[];
}

export interface DiagnosisInput {
  /** Labelled reference window. */
  readonly reference: Table;
  /** Current window; labels may be partly missing. */
  readonly current: Table;
  readonly roles: DiagnosisRoles;
  readonly thresholds?: DiagnosisOverrides;
  /** Type violations counted while reading the current window, per column (for the schema check). */
  readonly violations?: Readonly<Record<string, number>>;
  /** Whether the policy's performance metric breached (what set the diagnosis off); default: judged from the labels. */
  readonly breached?: boolean;
  readonly kpi?: KpiReading;
  readonly events?: readonly ExternalEvent[];
  /** When the diagnosis is made (ISO): events are placed relative to it. */
  readonly at?: string;
  /** Seed for the resampling tests (label-shift adjustment, MMD). */
  readonly seed?: number;
}

export interface StageResult {
  readonly stage: StageName;
  readonly verdict: StageVerdict;
  /** One line in words: "income 45 % missing (reference 0 %)". */
  readonly summary: string;
  /** Columns this stage blames, most to least. */
  readonly features: readonly string[];
  /** The numbers behind the verdict (JSON-safe: no typed arrays, no NaN). */
  readonly evidence: Readonly<Record<string, unknown>>;
}

export interface FeatureDrift {
  readonly feature: string;
  readonly test: string;
  /** p-value or distance, as the test reports it. */
  readonly value: number;
  readonly threshold: number;
  readonly drifted: boolean;
  /** Comparable across features and tests: normalised Wasserstein (numeric) or Jensen–Shannon distance (categorical). */
  readonly effect: number;
}

export interface PerformanceComparison {
  readonly metric: MetricName;
  /** On the labelled current rows. */
  readonly realized: number | null;
  /** CBPE from the scores (calibrated on the reference), on the same rows. */
  readonly estimated: number | null;
  /** The estimate's interval at the concept stage's confidence. */
  readonly lower: number | null;
  readonly upper: number | null;
  /** On the reference (labelled). */
  readonly reference: number | null;
  readonly labelled: number;
}

export interface SegmentGap {
  readonly segment: string;
  readonly value: string;
  readonly rows: number;
  readonly realized: number;
  readonly estimated: number;
  readonly gap: number;
}

export interface Diagnosis {
  readonly stages: readonly StageResult[];
  readonly primaryCause: Cause;
  /** The features that explain the primary cause, most to least. */
  readonly features: readonly string[];
  /** One line: the cause, the features, the key numbers. */
  readonly summary: string;
  /** Every finding of every stage, in words. */
  readonly findings: readonly string[];
  readonly drift: readonly FeatureDrift[];
  readonly performance: PerformanceComparison;
  readonly worstSegment?: SegmentGap;
  readonly kpi?: KpiReading;
  readonly events: readonly ExternalEvent[];
  readonly rows: { readonly reference: number; readonly current: number };
}
