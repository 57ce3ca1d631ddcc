// The backtest loop: the real evaluator carried over simulated time. Each
// step takes the measurements for its instant, runs `evaluate` with the state
// the previous step left, and keeps a compact record. Persistence, cooldown,
// budget and maintenance windows all read the `now` passed to the evaluator,
// so they behave as they would have at that time.
//
// Nothing acts. What the controller would have done between evaluations is
// simulated in the state alone: a retrain decided at T is taken to finish
// `retrainTakesMs` later (default: at once), a rollback likewise — so a
// retrain in flight holds later ones back only as long as one would have run.

import type { Decision, DiagnosisBrief } from '../../policies/decision.ts';
import { evaluate, wantsDiagnosis } from '../../policies/evaluate.ts';
import { retrainFinished } from '../../policies/lifecycle.ts';
import type { LoadedPolicy } from '../../policies/loader.ts';
import type { Measurement } from '../../policies/measurement.ts';
import { initialState, type PolicyState } from '../../policies/state.ts';
import type { StepRecord } from './types.ts';

export interface ReplayOptions {
  /** How long a simulated retrain runs before another may start (default 0: it finishes at once). */
  readonly retrainTakesMs?: number;
  /** Called after each step (for a progress bar). */
  readonly onStep?: (done: number, total: number) => void;
  /** Runs the policy's diagnosis at a step where a retrain or alert would go out (as the controller does). */
  readonly diagnoseAt?: (decision: Decision, atMs: number) => Promise<DiagnosisBrief>;
}

/** The measurements for one evaluation instant. */
export type MeasureAt = (atMs: number) => Promise<readonly Measurement[]> | readonly Measurement[];

/** The compact record of one decision. */
export function recordOf(decision: Decision): StepRecord {
  return {
    at: decision.at,
    outcome: decision.outcome,
    summary: decision.summary,
    metrics: decision.metrics.map((v) => ({
      metric: v.metric,
      phase: v.phase,
      ...(v.value !== undefined ? { value: v.value } : {}),
      ...(v.lower !== undefined ? { lower: v.lower } : {}),
      ...(v.upper !== undefined ? { upper: v.upper } : {}),
      ...(v.baseline !== undefined ? { baseline: v.baseline } : {}),
      reason: v.reason,
    })),
    holding: decision.triggers.filter((t) => t.condition === 'true').map((t) => t.trigger),
    actions: decision.actions.map((a) => ({
      kind: a.kind,
      status: a.status,
      origin: a.origin,
      heldBy: a.heldBy.map((h) => h.guard),
      explanation: a.explanation,
    })),
    ...(decision.diagnosis
      ? {
          diagnosis: {
            cause: decision.diagnosis.cause,
            features: decision.diagnosis.features,
            action: decision.diagnosis.action,
            explanation: decision.diagnosis.explanation,
          },
        }
      : {}),
  };
}

/** What the world did between two evaluations, in the state only: simulated retrains and rollbacks end. */
function settle(state: PolicyState, atMs: number, retrainTakesMs: number): PolicyState {
  let s = state;
  if (s.inFlight && Date.parse(s.inFlight.decidedAt) + retrainTakesMs <= atMs) {
    s = retrainFinished(s, { at: new Date(atMs).toISOString(), outcome: 'registered' });
  }
  if (s.rollbackPending && Date.parse(s.rollbackPending.decidedAt) + retrainTakesMs <= atMs) {
    s = { ...s, rollbackPending: null };
  }
  return s;
}

export async function replay(
  policy: Pick<LoadedPolicy, 'spec' | 'hash'>,
  instants: readonly number[],
  measureAt: MeasureAt,
  options: ReplayOptions = {},
): Promise<StepRecord[]> {
  const retrainTakesMs = options.retrainTakesMs ?? 0;
  let state: PolicyState = initialState();
  const records: StepRecord[] = [];
  for (const [i, atMs] of instants.entries()) {
    state = settle(state, atMs, retrainTakesMs);
    const measurements = await measureAt(atMs);
    let { decision, nextState } = evaluate(policy, state, measurements, atMs);
    if (options.diagnoseAt && policy.spec.diagnosis && wantsDiagnosis(decision)) {
      const brief = await options.diagnoseAt(decision, atMs);
      ({ decision, nextState } = evaluate(policy, state, measurements, atMs, { diagnosis: brief }));
    }
    records.push(recordOf(decision));
    // A retrain taken "at once" finishes before the next evaluation, whatever the step.
    state = retrainTakesMs === 0 ? settle(nextState, atMs, 0) : nextState;
    options.onStep?.(i + 1, instants.length);
  }
  return records;
}
