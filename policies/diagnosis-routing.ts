// From the diagnosis's cause to what ctpilot does: retrain, alert someone,
// or hold quietly. Pure: the diagnosis in, the routing out.
//
// Defaults: only concept drift retrains, and only when the business KPI
// confirms it (dropped) or none is declared; a KPI that holds or could not
// be measured turns it into an alert. Every other cause alerts and holds:
// broken data (data-eng), a suspect performance signal, drifted inputs, a
// shifted class mix and an unexplained breach are not fixed by retraining
// on the same window. A policy may override any cause's action and
// receivers — but whatever the overrides say, a diagnosis with an
// inconclusive stage or failed data quality never retrains (it alerts with
// the reason), nor does one whose declared KPI did not drop.

import type { Cause, Diagnosis, StageName, StageResult } from '../stats/diagnosis/types.ts';

export type RouteAction = 'retrain' | 'alert' | 'hold';

export interface Route {
  readonly action: RouteAction;
  readonly receivers?: readonly string[];
}

export type RoutedCause = Exclude<Cause, 'none'>;
export type RouteOverrides = Partial<Record<RoutedCause, Partial<Route>>>;

export interface Routing {
  readonly cause: Cause;
  readonly action: RouteAction | 'none';
  /** True unless the action is a retrain (and false for `none`: there was nothing to hold). */
  readonly holdRetrain: boolean;
  readonly receivers: readonly string[];
  /** One line: what, why, who. */
  readonly explanation: string;
}

export const DEFAULT_ROUTES: Readonly<Record<RoutedCause, Route>> = {
  evaluation: { action: 'alert', receivers: ['ml-eng'] },
  dataQuality: { action: 'alert', receivers: ['data-eng'] },
  covariateDrift: { action: 'alert', receivers: ['ml-eng'] },
  labelShift: { action: 'alert', receivers: ['ml-eng'] },
  conceptDrift: { action: 'retrain', receivers: ['ml-eng'] },
  unexplained: { action: 'alert', receivers: ['ml-eng'] },
};

const LABEL: Record<RoutedCause, string> = {
  evaluation: 'performance signal suspect',
  dataQuality: 'data quality',
  covariateDrift: 'covariate drift',
  labelShift: 'label shift',
  conceptDrift: 'concept drift',
  unexplained: 'unexplained breach',
};

/** Why the default does not retrain. */
const NO_RETRAIN: Record<RoutedCause, string> = {
  evaluation: 'not retraining',
  dataQuality: 'no retrain on broken data',
  covariateDrift: 'no retrain: the inputs moved, P(y|x) not shown to change',
  labelShift: 'no retrain: the class mix moved, P(x|y) holds (recalibrate to the new prior)',
  conceptDrift: 'not retraining',
  unexplained: 'no stage explains the breach: not retraining',
};

/** The stage whose summary tells a cause's story. */
const STAGE_OF: Record<RoutedCause, StageName | null> = {
  evaluation: 'validity',
  dataQuality: 'quality',
  covariateDrift: 'covariate',
  labelShift: 'labelShift',
  conceptDrift: 'concept',
  unexplained: null,
};

/** What stops a retrain whatever the route says: inconclusive stages, failed quality. */
function blockers(stages: readonly StageResult[]): string[] {
  const out: string[] = [];
  for (const s of stages) {
    if (s.verdict === 'inconclusive') out.push(`${s.stage} inconclusive (${s.summary})`);
    else if (s.stage === 'quality' && s.verdict === 'fail') out.push(`data quality fails (${s.summary})`);
  }
  return out;
}

const who = (receivers: readonly string[]) => (receivers.length ? receivers.join(', ') : 'no one');

/**
 * The action for a diagnosis: the cause's route (default or overridden),
 * with the no-retrain-on-doubt invariant applied last.
 *
 * @example
 * routeDiagnosis({ primaryCause: 'none', stages: [], summary: 'no cause' }).action; // 'none'
 */
export function routeDiagnosis(
  d: Pick<Diagnosis, 'primaryCause' | 'stages' | 'summary'> & Partial<Pick<Diagnosis, 'kpi'>>,
  overrides: RouteOverrides = {},
): Routing {
  const cause = d.primaryCause;
  if (cause === 'none') {
    return {
      cause,
      action: 'none',
      holdRetrain: false,
      receivers: [],
      explanation: `no action: ${d.summary}`,
    };
  }
  const base = DEFAULT_ROUTES[cause];
  const over = overrides[cause] ?? {};
  const action: RouteAction = over.action ?? base.action;
  const receivers = over.receivers ?? base.receivers ?? [];
  const overridden = over.action !== undefined && over.action !== base.action;
  const stage = STAGE_OF[cause];
  const detail = (stage && d.stages.find((s) => s.stage === stage)?.summary) || d.summary;
  const head = `${LABEL[cause]} — ${detail}`;

  if (action === 'hold') {
    return {
      cause,
      action,
      holdRetrain: true,
      receivers: [],
      explanation: `held: ${head}; no alert${overridden ? ' (hold by policy)' : ''}; ${NO_RETRAIN[cause]}`,
    };
  }
  if (action === 'alert') {
    return {
      cause,
      action,
      holdRetrain: true,
      receivers,
      explanation: `held: ${head}; alerting ${who(receivers)}; ${overridden ? 'alert by policy, not retraining' : NO_RETRAIN[cause]}`,
    };
  }
  // A retrain, unless something says not to.
  const blocked = blockers(d.stages);
  const kpi = d.kpi;
  const alert = (reason: string): Routing => ({
    cause,
    action: 'alert',
    holdRetrain: true,
    receivers,
    explanation: `held: ${head}; alerting ${who(receivers)}; ${reason}`,
  });
  if (blocked.length) return alert(`retrain blocked: ${blocked.join('; ')}`);
  if (kpi && kpi.dropped === 'unknown') {
    return alert(`${LABEL[cause]}, but ${kpi.metric} could not be measured: alerting, not retraining`);
  }
  if (kpi && kpi.dropped === false) {
    return alert(`${LABEL[cause]}, but ${kpi.metric} holds (${kpi.detail}): alerting, not retraining`);
  }
  const confirm = kpi ? `${kpi.metric} dropped (${kpi.detail})` : 'no business KPI declared';
  return {
    cause,
    action: 'retrain',
    holdRetrain: false,
    receivers,
    explanation: `retraining: ${head}; ${confirm}${overridden ? '; retrain by policy' : ''}; notifying ${who(receivers)}`,
  };
}
