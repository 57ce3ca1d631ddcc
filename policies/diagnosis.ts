// A policy's `diagnosis` section turned into what the pure diagnosis and its
// routing take — thresholds, routes with the policy's receivers, the KPI as
// the evaluator measured it — and the diagnosis turned into the brief a
// decision carries. Pure: no windows are read here (activities/diagnosis.ts).

import type { Diagnosis, DiagnosisOverrides, KpiReading } from '../stats/diagnosis/types.ts';
import type { MetricVerdict } from './classify.ts';
import type { DiagnosisBrief } from './decision.ts';
import type { RouteOverrides, Routing } from './diagnosis-routing.ts';
import { fmt } from './number-format.ts';
import type { DiagnosisSpec } from './schema/diagnosis.ts';
import type { Policy } from './schema/policy.ts';

const ROUTED = [
  'evaluation',
  'dataQuality',
  'covariateDrift',
  'labelShift',
  'conceptDrift',
  'unexplained',
] as const;

/** The section's threshold overrides in the stages' terms (unset ones keep the stages' defaults). */
export function diagnosisOverrides(spec: DiagnosisSpec): DiagnosisOverrides {
  const t = spec.thresholds ?? {};
  const defined = <T extends object>(o: T) =>
    Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
  const { maxLabelLag, ...validity } = t.validity ?? {};
  return {
    validity: defined({
      ...validity,
      ...(maxLabelLag !== undefined ? { maxLabelLagSeconds: maxLabelLag } : {}),
    }),
    quality: defined(t.quality ?? {}),
    covariate: defined(t.covariate ?? {}),
    labelShift: defined(t.labelShift ?? {}),
    concept: defined(t.concept ?? {}),
  };
}

/**
 * Routes with receivers from the policy: a cause's own `receivers`, else every
 * receiver of the policy that takes alerts. (The routing's defaults name
 * roles, such as data-eng, that a policy need not have.)
 */
export function routeOverrides(policy: Policy): RouteOverrides {
  const alerting = Object.entries(policy.notify)
    .filter(([, r]) => r.on === undefined || r.on.includes('alert'))
    .map(([name]) => name);
  const routes = policy.diagnosis?.routes ?? {};
  return Object.fromEntries(
    ROUTED.map((cause) => {
      const r = routes[cause] ?? {};
      return [cause, { ...(r.action ? { action: r.action } : {}), receivers: r.receivers ?? alerting }];
    }),
  );
}

/** The KPI as this evaluation measured it: a breach of its objective is a significant drop. */
export function kpiReading(policy: Policy, verdicts: readonly MetricVerdict[]): KpiReading | undefined {
  const name = policy.diagnosis?.kpi;
  if (!name) return undefined;
  const v = verdicts.find((m) => m.metric === name);
  const value = v?.value ?? null;
  const baseline = v?.baseline ?? null;
  const dropped = !v?.decided ? 'unknown' : v.phase === 'breach';
  const numbers =
    value === null
      ? 'not measured'
      : `${fmt(value)}${baseline !== null ? ` vs baseline ${fmt(baseline)}` : ''}`;
  return {
    metric: name,
    value,
    baseline,
    dropped,
    detail: `${name} ${numbers}${v ? `: ${v.reason}` : ''}`,
  };
}

/** What the decision carries of a diagnosis: the cause, the action, a line per stage. */
export function briefOf(d: Diagnosis, routing: Routing, samplesUri?: string): DiagnosisBrief {
  return {
    cause: d.primaryCause,
    features: d.features,
    summary: d.summary,
    action: routing.action,
    explanation: routing.explanation,
    receivers: routing.receivers,
    stages: d.stages.map((s) => ({ stage: s.stage, verdict: s.verdict, summary: s.summary })),
    ...(samplesUri ? { samplesUri } : {}),
  };
}
