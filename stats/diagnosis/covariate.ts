// Stage 3 — have the inputs drifted? Each feature's drift test, ranked by
// an effect size comparable across features (feature-drift.ts); optionally
// the score's distribution, and the features jointly (multivariate MMD,
// numeric features, p ≤ 0.05). Drift of the inputs alone is not a reason to
// retrain — the model may still be right on them (the concept stage asks) —
// but it names where the world moved.

import type { Table } from '../columns.ts';
import { StatsInputError } from '../errors.ts';
import { DEFAULT_THRESHOLDS } from './defaults.ts';
import {
  driftWords,
  type FeatureDriftList,
  featureDrift,
  featureDrifts,
  type UnjudgedFeature,
} from './feature-drift.ts';
import { finiteOrNull, names, num, pValue } from './format.ts';
import { multivariateMmd } from './mmd-multivariate.ts';
import type { CovariateThresholds, DiagnosisRoles, FeatureDrift, StageResult } from './types.ts';

/** Significance of the joint MMD test. */
export const MULTIVARIATE_ALPHA = 0.05;

export type MultivariateEvidence =
  | {
      readonly judged: true;
      readonly pValue: number;
      readonly statistic: number;
      readonly drifted: boolean;
      readonly features: readonly string[];
      readonly rows: { readonly reference: number; readonly current: number };
    }
  | { readonly judged: false; readonly reason: string };

export type CovariateEvidence = {
  readonly drift: readonly FeatureDrift[];
  readonly unjudged: readonly UnjudgedFeature[];
  readonly score: FeatureDrift | UnjudgedFeature | null;
  readonly multivariate: MultivariateEvidence | null;
};

export interface CovariateOptions {
  readonly seed?: number;
  /** The per-feature drift, when already computed (diagnose computes it once). */
  readonly drift?: FeatureDriftList;
}

/**
 * Whether the inputs moved: fail when any feature (or the score, or the
 * features jointly) drifted; inconclusive when no feature could be judged.
 *
 * @example
 * const x = (...v) => ({ kind: 'numeric', values: Float64Array.from(v) });
 * const r = covariateStage({ a: x(1, 2, 3, 4, 5, 6, 7) }, { a: x(11, 12, 13, 14, 15, 16, 17) }, { features: ['a'], score: 's', label: 'y' });
 * r.verdict; // 'fail'
 * r.features; // ['a']
 */
export function covariateStage(
  reference: Table,
  current: Table,
  roles: DiagnosisRoles,
  thresholds: CovariateThresholds = DEFAULT_THRESHOLDS.covariate,
  options: CovariateOptions = {},
): StageResult & { readonly evidence: CovariateEvidence } {
  const seed = options.seed ?? 0;
  const list =
    options.drift ?? featureDrifts(reference, current, roles.features, thresholds.columns ?? {}, seed);
  const score = thresholds.score
    ? featureDrift(
        roles.score,
        reference[roles.score],
        current[roles.score],
        thresholds.columns?.[roles.score],
        seed,
      )
    : null;
  let multivariate: MultivariateEvidence | null = null;
  if (thresholds.multivariate) {
    try {
      const r = multivariateMmd(reference, current, roles.features, { seed });
      multivariate = {
        judged: true,
        pValue: r.pValue,
        statistic: finiteOrNull(r.statistic) ?? 0,
        drifted: r.pValue <= MULTIVARIATE_ALPHA,
        features: r.features,
        rows: r.rows,
      };
    } catch (e) {
      if (!(e instanceof StatsInputError)) throw e;
      multivariate = { judged: false, reason: e.message };
    }
  }
  const drifted = list.drift.filter((d) => d.drifted);
  const scoreDrifted = score !== null && 'test' in score && score.drifted;
  const jointDrifted = multivariate?.judged === true && multivariate.drifted;
  const evidence: CovariateEvidence = { drift: list.drift, unjudged: list.unjudged, score, multivariate };
  const parts: string[] = [];
  if (drifted.length) parts.push(`${drifted.map(driftWords).join('; ')}`);
  if (scoreDrifted) {
    const w = driftWords(score as FeatureDrift);
    parts.push(roles.score === 'score' ? w : `score ${w}`);
  }
  if (jointDrifted && multivariate?.judged)
    parts.push(`features jointly (MMD ${pValue(multivariate.pValue)})`);
  if (parts.length) {
    return {
      stage: 'covariate',
      verdict: 'fail',
      summary: parts.join('; '),
      // Joint drift without a marginal one: blame the features that moved most.
      features: drifted.length
        ? drifted.map((d) => d.feature)
        : jointDrifted
          ? list.drift.slice(0, 3).map((d) => d.feature)
          : [],
      evidence,
    };
  }
  if (list.drift.length === 0) {
    const why = list.unjudged[0]?.message ?? 'no features declared';
    return {
      stage: 'covariate',
      verdict: 'inconclusive',
      summary: `no feature could be judged (${why})`,
      features: [],
      evidence,
    };
  }
  const top = list.drift[0]!;
  const skipped = list.unjudged.length ? `; not judged: ${names(list.unjudged.map((u) => u.feature))}` : '';
  return {
    stage: 'covariate',
    verdict: 'pass',
    summary: `no drift in ${list.drift.length} features (largest effect ${top.feature} ${num(top.effect)})${skipped}`,
    features: [],
    evidence,
  };
}
