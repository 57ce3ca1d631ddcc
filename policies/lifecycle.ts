// What the controller tells the evaluator's state about the world: a
// retrain finished, a version was promoted, a rollback happened. Pure state
// transitions, importable from workflow code (no Node built-ins, no libraries).

import { durationMs } from './duration.ts';
import type { Policy } from './schema/policy.ts';
import type { PolicyState } from './state.ts';

const iso = (ms: number) => new Date(ms).toISOString();

/** How a retrain ended; `registered`: the challenger is registered and the policy has no promotion step. */
export type RetrainOutcome = 'promoted' | 'registered' | 'rejected' | 'failed' | 'cancelled';

/**
 * The retraining child workflow ended (whatever the outcome): retrains may be
 * decided again (subject to cooldown and budget). A failure counts towards
 * the failure backoff; any other end resets it.
 */
export function retrainFinished(
  state: PolicyState,
  event: { at: string; outcome: RetrainOutcome },
): PolicyState {
  const failures =
    event.outcome === 'failed'
      ? { count: (state.failures?.count ?? 0) + 1, lastAt: event.at }
      : event.outcome === 'cancelled'
        ? (state.failures ?? null)
        : null;
  return { ...state, inFlight: null, failures };
}

/**
 * A version became champion. Starts the bake period (`promotion.bake`),
 * during which `promotion.rollback.when` is evaluated, and records the
 * previous version as the rollback target.
 */
export function promoted(
  policy: Policy,
  state: PolicyState,
  event: { at: string; version: string; previousVersion: string | null },
): PolicyState {
  const bake = policy.promotion ? durationMs(policy.promotion.bake) : 0;
  return {
    ...state,
    champion: {
      version: event.version,
      previousVersion: event.previousVersion,
      promotedAt: event.at,
      bakeUntil: bake > 0 ? iso(Date.parse(event.at) + bake) : null,
    },
  };
}

/**
 * The champion alias was moved back (automatically or by `ctpilot rollback`).
 * Ends the bake period. With the policy, the retrain triggers' persistence
 * starts over: what they counted was measured on the version that is gone.
 */
export function rolledBack(
  state: PolicyState,
  event: { at: string; toVersion: string },
  policy?: Policy,
): PolicyState {
  const triggers = { ...state.triggers };
  for (const [name, t] of Object.entries(policy?.triggers ?? {})) {
    const counted = triggers[name];
    if (t.action === 'retrain' && counted) triggers[name] = { ...counted, streak: 0, window: '' };
  }
  return {
    ...state,
    triggers,
    rollbackPending: null,
    champion: { version: event.toVersion, previousVersion: null, promotedAt: event.at, bakeUntil: null },
  };
}

/** The controller read the registry's current champion (at start, or after an out-of-band change). */
export function championObserved(state: PolicyState, version: string): PolicyState {
  if (state.champion?.version === version) return state;
  return {
    ...state,
    champion: {
      version,
      previousVersion: state.champion?.version ?? null,
      promotedAt: null,
      bakeUntil: null,
    },
  };
}

/** When the next evaluation is due: one cadence after the last, or now if there was none. */
export function nextEvaluationAt(policy: Policy, state: PolicyState, nowMs: number): string {
  if (state.lastEvaluatedAt === null) return iso(nowMs);
  return iso(Math.max(nowMs, Date.parse(state.lastEvaluatedAt) + durationMs(policy.evaluate.every)));
}
