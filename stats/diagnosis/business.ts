// Stage 6 — did the business KPI move? The policy measures its KPI and says
// whether it dropped significantly; the diagnosis only reads that reading.
// It is the confirmation a retrain for concept drift waits for: a model
// that got worse on its own metric while the KPI holds may not be worth a
// retrain. No KPI declared is a pass (nothing to contradict); a KPI that
// could not be measured is inconclusive, never a confirmation.

import { num } from './format.ts';
import type { KpiReading, StageResult } from './types.ts';

export type BusinessEvidence =
  | { readonly declared: false }
  | {
      readonly declared: true;
      readonly metric: string;
      readonly value: number | null;
      readonly baseline: number | null;
      readonly dropped: boolean | 'unknown';
      readonly detail: string;
    };

/**
 * The KPI reading as a stage: fail when it dropped, pass when it held or
 * none is declared, inconclusive when it could not be measured.
 *
 * @example
 * businessStage(undefined).summary; // 'no business KPI declared'
 * businessStage({ metric: 'ctr', value: 0.031, baseline: 0.042, dropped: true, detail: 'ctr 0.031 vs 0.042 (−26 %)' }).verdict; // 'fail'
 */
export function businessStage(
  kpi: KpiReading | undefined,
): StageResult & { readonly evidence: BusinessEvidence } {
  if (!kpi) {
    return {
      stage: 'business',
      verdict: 'pass',
      summary: 'no business KPI declared',
      features: [],
      evidence: { declared: false },
    };
  }
  const finite = (x: number | null) => (x !== null && Number.isFinite(x) ? x : null);
  const evidence: BusinessEvidence = {
    declared: true,
    metric: kpi.metric,
    value: finite(kpi.value),
    baseline: finite(kpi.baseline),
    dropped: kpi.dropped,
    detail: kpi.detail,
  };
  const detail = kpi.detail || `${kpi.metric} ${num(evidence.value)} vs ${num(evidence.baseline)}`;
  if (kpi.dropped === 'unknown') {
    return {
      stage: 'business',
      verdict: 'inconclusive',
      summary: `KPI ${kpi.metric} could not be measured (${detail})`,
      features: [],
      evidence,
    };
  }
  return {
    stage: 'business',
    verdict: kpi.dropped ? 'fail' : 'pass',
    summary: kpi.dropped ? `KPI ${kpi.metric} dropped: ${detail}` : `KPI ${kpi.metric} holds: ${detail}`,
    features: [],
    evidence,
  };
}
