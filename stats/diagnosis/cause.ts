// The primary cause of a diagnosis, from the stage verdicts. The rule, in
// order (the first that applies wins):
//   1. quality fails → dataQuality: broken data explains everything after it,
//      and nothing computed on it can be trusted.
//   2. validity fails → the performance signal is suspect and concept drift
//      cannot be confirmed: labelShift if the label shift fails and explains
//      the covariate drift (see 3), else covariateDrift if the inputs drifted,
//      else evaluation.
//   3. label shift fails, explains the covariate drift (or there is none),
//      and concept does not fail → labelShift. The concept stage was then
//      judged with the calibration corrected to the current class mix, so a
//      concept failure means drift beyond what the label shift explains.
//   4. concept fails → conceptDrift, blaming the worst segment's column, else
//      the drifted features.
//   5. covariate fails → covariateDrift, blaming the drifted features by effect.
//   6. the performance metric breached → unexplained; otherwise none.

import type { LabelShiftExplanation } from './label-shift.ts';
import type { Cause, FeatureDrift, StageResult } from './types.ts';

export interface CauseInput {
  readonly validity: StageResult;
  readonly quality: StageResult;
  readonly covariate: StageResult;
  readonly labelShift: StageResult;
  readonly concept: StageResult;
  /** The features by effect, from the covariate stage. */
  readonly drift: readonly FeatureDrift[];
  readonly explanation: LabelShiftExplanation | null;
  readonly breached: boolean;
  readonly label: string;
}

export interface CauseChoice {
  readonly cause: Cause;
  readonly features: readonly string[];
  /** Which rule of the header decided (1–6). */
  readonly rule: number;
}

/**
 * Whether a failed label-shift stage accounts for the covariate stage's
 * verdict: there is no covariate drift, or it disappears against the
 * reference re-weighted to the current class mix.
 */
export function labelShiftExplains(
  covariate: StageResult,
  explanation: LabelShiftExplanation | null,
): boolean {
  return covariate.verdict !== 'fail' || explanation?.explained === true;
}

/**
 * Applies the rule above.
 *
 * @example
 * const s = (stage, verdict, features = []) => ({ stage, verdict, summary: '', features, evidence: {} });
 * const c = chooseCause({ validity: s('validity', 'pass'), quality: s('quality', 'fail', ['income']), covariate: s('covariate', 'fail', ['age']), labelShift: s('labelShift', 'pass'), concept: s('concept', 'pass'), drift: [], explanation: null, breached: true, label: 'y' });
 * c.cause; // 'dataQuality'
 * c.features; // ['income']
 */
export function chooseCause(x: CauseInput): CauseChoice {
  const drifted = x.drift.filter((d) => d.drifted).map((d) => d.feature);
  const covariateFeatures = drifted.length ? drifted : x.covariate.features;
  const explains = x.labelShift.verdict === 'fail' && labelShiftExplains(x.covariate, x.explanation);
  const labelFeatures = [x.label, ...(x.explanation?.hadDrift ? drifted : [])];
  if (x.quality.verdict === 'fail') return { cause: 'dataQuality', features: x.quality.features, rule: 1 };
  if (x.validity.verdict === 'fail') {
    if (explains) return { cause: 'labelShift', features: labelFeatures, rule: 2 };
    if (x.covariate.verdict === 'fail')
      return { cause: 'covariateDrift', features: covariateFeatures, rule: 2 };
    return { cause: 'evaluation', features: x.validity.features, rule: 2 };
  }
  if (explains && x.concept.verdict !== 'fail')
    return { cause: 'labelShift', features: labelFeatures, rule: 3 };
  if (x.concept.verdict === 'fail') {
    return {
      cause: 'conceptDrift',
      features: x.concept.features.length ? x.concept.features : drifted,
      rule: 4,
    };
  }
  if (x.covariate.verdict === 'fail')
    return { cause: 'covariateDrift', features: covariateFeatures, rule: 5 };
  return { cause: x.breached ? 'unexplained' : 'none', features: [], rule: 6 };
}
