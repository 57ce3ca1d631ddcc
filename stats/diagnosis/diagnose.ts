// The staged triage that runs before ctpilot acts on a breach: validity,
// quality, covariate drift, label shift, concept drift, business KPI — in
// the order of STAGES — and the primary cause they point to.
//
// Choosing the cause (cause.ts, first rule that applies):
//   1. quality fails → dataQuality (the quality stage's columns);
//   2. validity fails → the performance signal is suspect, concept cannot be
//      confirmed: labelShift if the label shift fails and explains the
//      covariate drift, else covariateDrift if the inputs drifted, else
//      evaluation;
//   3. label shift fails, explains the covariate drift (or there is none),
//      and concept does not fail → labelShift;
//   4. concept fails → conceptDrift (the worst segment's column, else the
//      drifted features);
//   5. covariate fails → covariateDrift (drifted features, largest effect first);
//   6. otherwise unexplained if the metric breached, else none.
//
// Label shift and concept: a label shift changes P(y | score) as well, so
// judging concept against the reference's calibration would call every
// label shift a concept drift. When the label-shift stage fails and the
// shift explains the covariate drift (the features stop drifting against
// the reference resampled to the current class mix), the concept stage is
// judged with its calibration corrected to the current class mix (exact
// under P(x | y) unchanged); a concept failure then is drift beyond the
// label shift. When the shift does not explain the covariate drift (the
// class mix moved *because* the inputs did), the correction would count the
// move twice, and concept is judged uncorrected.
//
// `breached`, when the caller does not say: the realized metric is below
// the reference's by at least concept.minGap. Everything here is pure and
// seeded: the same input gives the same diagnosis.

import { businessStage } from './business.ts';
import { chooseCause, labelShiftExplains } from './cause.ts';
import { conceptStage } from './concept.ts';
import { covariateStage } from './covariate.ts';
import { resolveThresholds } from './defaults.ts';
import { driftWords, featureDrifts } from './feature-drift.ts';
import { names, num } from './format.ts';
import { explainByLabelShift, labelShiftStage } from './label-shift.ts';
import { qualityStage } from './quality-stage.ts';
import { rowCount } from './rows.ts';
import type {
  Cause,
  Diagnosis,
  DiagnosisInput,
  ExternalEvent,
  FeatureDrift,
  PerformanceComparison,
  StageResult,
} from './types.ts';
import { validityStage } from './validity.ts';

const CAUSE_WORDS: Record<Cause, string> = {
  evaluation: 'evaluation suspect',
  dataQuality: 'data quality',
  covariateDrift: 'covariate drift',
  labelShift: 'label shift',
  conceptDrift: 'concept drift',
  unexplained: 'unexplained breach',
  none: 'no cause',
};

function performanceWords(p: PerformanceComparison): string {
  if (p.realized === null) return `${p.metric} not measured (${p.labelled} labelled rows)`;
  return `${p.metric} ${num(p.realized)} realized vs ${num(p.estimated)} estimated, reference ${num(p.reference)}`;
}

/**
 * Runs the six stages on a reference and a current window and names the
 * primary cause, so the policy can route it (policies/diagnosis-routing.ts)
 * instead of retraining on every breach.
 */
export function diagnose(input: DiagnosisInput): Diagnosis {
  const t = resolveThresholds(input.thresholds);
  const { reference, current, roles } = input;
  const seed = input.seed ?? 0;
  const validity = validityStage(reference, current, roles, t.validity);
  const quality = qualityStage(reference, current, roles, t.quality, input.violations);
  const list = featureDrifts(reference, current, roles.features, t.covariate.columns ?? {}, seed);
  const covariate = covariateStage(reference, current, roles, t.covariate, { seed, drift: list });
  const labelShift = labelShiftStage(reference, current, roles, t.labelShift);
  const score = covariate.evidence.score;
  const explanation =
    labelShift.verdict === 'fail'
      ? explainByLabelShift(reference, current, roles, list, {
          seed,
          columns: t.covariate.columns ?? {},
          score: score && 'test' in score ? score : null,
        })
      : null;
  const ls = labelShift.evidence;
  const correct =
    labelShift.verdict === 'fail' &&
    labelShiftExplains(covariate, explanation) &&
    ls.rate !== null &&
    ls.referenceRate !== null;
  const concept = conceptStage(reference, current, roles, t.concept, {
    minLabelled: t.validity.minLabelled,
    ...(correct ? { priorShift: { referenceRate: ls.referenceRate!, rate: ls.rate! } } : {}),
  });
  const business = businessStage(input.kpi);
  const stages: StageResult[] = [validity, quality, covariate, labelShift, concept, business];
  const performance = concept.evidence.performance;
  const breached =
    input.breached ??
    (performance.realized !== null &&
      performance.reference !== null &&
      performance.reference - performance.realized >= t.concept.minGap);
  const choice = chooseCause({
    validity,
    quality,
    covariate,
    labelShift,
    concept,
    drift: list.drift,
    explanation,
    breached,
    label: roles.label,
  });
  const causeLine: Record<Cause, () => string> = {
    dataQuality: () => quality.summary,
    evaluation: () => validity.summary,
    covariateDrift: () => {
      const top = list.drift.find((d) => d.drifted);
      return `${top ? driftWords(top) : covariate.summary}; ${performanceWords(performance)}`;
    },
    labelShift: () => `${labelShift.summary}${explanation ? `; ${explanation.summary}` : ''}`,
    conceptDrift: () => concept.summary,
    unexplained: () => `${performanceWords(performance)}; no stage accounts for it`,
    none: () => {
      const open = stages.filter((s) => s.verdict === 'inconclusive').map((s) => s.stage);
      const state = open.length ? `no stage fails (${names(open)} inconclusive)` : 'every stage passes';
      return `${state}; ${performanceWords(performance)}`;
    },
  };
  const featureText = choice.features.length ? ` (${names(choice.features)})` : '';
  const summary = `${CAUSE_WORDS[choice.cause]}${featureText}: ${causeLine[choice.cause]()}`;
  const findings = [
    ...stages.map((s) => `${s.stage} ${s.verdict}: ${s.summary}`),
    ...quality.evidence.alerts.slice(1).map((a) => `quality: ${a.text}`),
    ...list.drift.filter((d: FeatureDrift) => d.drifted).map((d) => `drift: ${driftWords(d)}`),
    ...list.unjudged.map((u) => `drift not judged: ${u.message}`),
    ...(explanation ? [`label shift and drift: ${explanation.summary}`] : []),
    ...(concept.evidence.worstSegment
      ? [
          `worst segment ${concept.evidence.worstSegment.segment}=${concept.evidence.worstSegment.value}: ${performance.metric} ${num(concept.evidence.worstSegment.realized)} realized vs ${num(concept.evidence.worstSegment.estimated)} estimated on ${concept.evidence.worstSegment.rows} rows`,
        ]
      : []),
    ...eventFindings(input.events ?? [], input.at),
    `cause: ${choice.cause} (rule ${choice.rule})${featureText}`,
  ];
  return {
    stages,
    primaryCause: choice.cause,
    features: choice.features,
    summary,
    findings,
    drift: list.drift,
    performance,
    ...(concept.evidence.worstSegment ? { worstSegment: concept.evidence.worstSegment } : {}),
    ...(input.kpi ? { kpi: input.kpi } : {}),
    events: [...(input.events ?? [])].sort(
      (a, b) => Date.parse(a.at) - Date.parse(b.at) || a.at.localeCompare(b.at),
    ),
    rows: { reference: rowCount(reference), current: rowCount(current) },
  };
}

/** "event: campaign young-applicants (campaign) 2 days before the diagnosis". */
function eventFindings(events: readonly ExternalEvent[], at: string | undefined): string[] {
  const atMs = at ? Date.parse(at) : Number.NaN;
  return [...events]
    .sort((a, b) => Date.parse(a.at) - Date.parse(b.at))
    .map((e) => {
      const ms = atMs - Date.parse(e.at);
      const when = Number.isFinite(ms)
        ? ms >= 86_400_000
          ? `${Math.round(ms / 86_400_000)} day${Math.round(ms / 86_400_000) === 1 ? '' : 's'} before the diagnosis`
          : ms >= 0
            ? `${Math.max(1, Math.round(ms / 3_600_000))} h before the diagnosis`
            : 'after the diagnosis time'
        : e.at;
      return `event: ${e.text}${e.tags?.length ? ` (${e.tags.join(', ')})` : ''} ${when}`;
    });
}
