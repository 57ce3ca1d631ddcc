// One evaluation of a policy, as one activity: plan the measurements, take
// them through the providers, run the pure evaluator, and record the decision
// in the audit history. One activity rather than one per metric keeps the
// controller's history small (a worker holds more policies); its result — the
// measurements with their queries, the decision with its explanation, the
// next state — is what the Temporal UI shows for the evaluation.
//
// Retried after a crash, it measures again at the same instant and the audit
// append finds the row it wrote (step key = evaluation number + instant).

import type { Decision } from '../policies/decision.ts';
import { evaluate, wantsDiagnosis } from '../policies/evaluate.ts';
import { championObserved } from '../policies/lifecycle.ts';
import type { LoadedPolicy } from '../policies/loader.ts';
import type { Measurement } from '../policies/measurement.ts';
import { planMeasurements } from '../policies/requests.ts';
import type { PolicyState } from '../policies/state.ts';
import type { AuditStore } from './audit/store.ts';
import { type DiagnosisDeps, runDiagnosis } from './diagnosis.ts';
import { collectMeasurements, type ProviderDeps } from './metrics/index.ts';
import type { ReceivedAlert } from './metrics/provider.ts';

export interface EvaluationInput {
  readonly policy: LoadedPolicy;
  readonly state: PolicyState;
  /** The evaluation instant (workflow time): queries run "at" it. */
  readonly at: string;
  readonly alerts: readonly ReceivedAlert[];
  readonly workflowId: string;
  readonly workflowRun: string;
  /** Why now: the cadence, an operator's request, an inbound alert. */
  readonly reason: 'schedule' | 'requested' | 'alert';
}

export interface EvaluationResult {
  readonly decision: Decision;
  readonly nextState: PolicyState;
  readonly audit: { readonly modelSeq: number; readonly hash: string };
  /** The inbound alerts this policy listens for (rendered), for the alert receiver to route by. */
  readonly alertMatchers: ReadonlyArray<{
    readonly source: string;
    readonly match: Readonly<Record<string, string>>;
  }>;
}

/** The model a policy (or one instance of a fleet template) watches. */
export function modelOf(policy: LoadedPolicy): string {
  return policy.instance?.model ?? policy.spec.model.name ?? policy.spec.metadata.name;
}

/** What a measurement contributes to the audit row: enough to explain, nothing secret. */
function evidence(m: Measurement) {
  return { metric: m.metric, provider: m.provider, outcome: m.outcome, source: m.source, dataAt: m.dataAt };
}

/** How often the registry's champion alias is read again per model. */
const CHAMPION_RECHECK_MS = 5 * 60_000;
const championSeen = new Map<string, { at: number }>();

export function createEvaluationActivities(deps: ProviderDeps & DiagnosisDeps & { audit: AuditStore }) {
  return {
    async evaluatePolicy(input: EvaluationInput): Promise<EvaluationResult> {
      const policy = input.policy;
      // The serving version, read from the registry each time: a promotion or a
      // rollback made outside ctpilot is noticed at the next evaluation. If
      // MLflow cannot be reached, the version last seen stands.
      let state = input.state;
      const model = modelOf(policy);
      const seen = championSeen.get(model);
      // ctpilot's own promotions and rollbacks reach the state directly; the
      // registry read is for changes made elsewhere, so once a few minutes per
      // model is enough — it keeps a thousand policies from asking MLflow
      // every evaluation.
      if (!state.champion || !seen || Date.now() - seen.at > CHAMPION_RECHECK_MS) {
        try {
          const serving = await deps.mlflow.getAlias(model, policy.spec.model.aliases.champion);
          championSeen.set(model, { at: Date.now() });
          if (serving) state = championObserved(state, serving.version);
        } catch {}
      }
      const champion = state.champion?.version;
      const requests = planMeasurements(policy, input.at, champion ? { version: champion } : {});
      const measurements = await collectMeasurements(
        requests,
        {
          model: modelOf(policy),
          aliases: policy.spec.model.aliases,
          experiment: policy.spec.training?.experiment,
          alerts: input.alerts,
        },
        deps,
      );
      let { decision, nextState } = evaluate(policy, state, measurements, input.at);
      // Diagnose before acting: when a trigger's retrain or alert is due, the
      // staged triage decides whether the retrain goes ahead, and whom to tell.
      let diagnosis: unknown;
      if (policy.spec.diagnosis && wantsDiagnosis(decision)) {
        const run = await runDiagnosis(policy, input.at, decision.metrics, deps, {
          model,
          seed: decision.evaluation,
        });
        diagnosis = run.ok ? run.diagnosis : { error: run.error };
        ({ decision, nextState } = evaluate(policy, state, measurements, input.at, { diagnosis: run.brief }));
      }
      const { row } = await deps.audit.append({
        model: modelOf(policy),
        policy: policy.spec.metadata.name,
        policyVersion: policy.hash,
        workflowId: input.workflowId,
        workflowRun: input.workflowRun,
        step: `evaluation:${decision.evaluation}:${input.at}`,
        kind: 'evaluation',
        outcome: decision.outcome,
        recordedAt: input.at,
        inputs: {
          reason: input.reason,
          every: policy.spec.evaluate.every,
          measurements: measurements.map(evidence),
        },
        details: {
          summary: decision.summary,
          metrics: decision.metrics,
          triggers: decision.triggers,
          actions: decision.actions,
          warnings: decision.warnings,
          ...(decision.diagnosis ? { diagnosis: { ...decision.diagnosis, evidence: diagnosis } } : {}),
        },
      });
      const alertMatchers = requests.flatMap((r) =>
        r.provider === 'alert' ? [{ source: r.source, match: r.match }] : [],
      );
      // The measurements are in the decision (each metric's value, query and
      // inputs) and in full in the audit row: not repeated in the history.
      return {
        decision,
        nextState,
        audit: { modelSeq: row.modelSeq, hash: row.hash },
        alertMatchers,
      };
    },
  };
}
