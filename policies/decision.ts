// What one evaluation decided, and why. A decision is plain JSON: it is the
// evaluation activity's result (visible in the Temporal UI), the audit row's
// payload, and what `ctpilot history` prints. Every action carries a complete
// explanation in words; the structured fields beside it are for machines.

import type { Cause, StageName, StageVerdict } from '../stats/diagnosis/types.ts';
import type { MetricVerdict } from './classify.ts';

export type ActionKind = 'retrain' | 'rollback' | 'alert' | 'resolve';

/**
 * `act`: the controller must do it. `held`: a guard or requirement held it
 * back (see `heldBy`). `dryRun`: the policy or trigger is in dry-run mode;
 * nothing is done, the explanation says what would have happened.
 */
export type ActionStatus = 'act' | 'held' | 'dryRun';

export type GuardName =
  | 'require'
  | 'inFlight'
  | 'sameEvaluation'
  | 'maintenance'
  | 'cooldown'
  | 'budget'
  | 'noPreviousChampion'
  | 'rollbackPending'
  | 'rollingBack'
  | 'failureBackoff'
  | 'diagnosis';

export interface Hold {
  readonly guard: GuardName;
  /** In words: "cooldown 24h: last retrain at …, next allowed at …". */
  readonly detail: string;
  /** When the guard stops holding, if known. */
  readonly until?: string;
}

export interface Action {
  readonly kind: ActionKind;
  readonly status: ActionStatus;
  /**
   * Where the action comes from: a trigger name, `promotion.rollback` (the
   * bake-period rollback condition) or `metric:<name>` (a metric without
   * usable data for `inconclusiveLimit` evaluations).
   */
  readonly origin: string;
  readonly severity: 'critical' | 'warning' | 'info';
  /** Complete, human-readable: condition, persistence, evidence (values, thresholds, queries), requirements, guards. */
  readonly explanation: string;
  readonly heldBy: readonly Hold[];
  /** Receivers (from the policy's `notify`) to tell. */
  readonly notify: readonly string[];
  /** Metrics whose verdicts are the evidence. */
  readonly evidence: readonly string[];
}

export interface TriggerVerdict {
  readonly trigger: string;
  readonly action: 'retrain' | 'alert' | 'rollback';
  /** The condition this evaluation: true, false, or undetermined (missing data it depends on). */
  readonly condition: 'true' | 'false' | 'undetermined';
  /** Undetermined: why (e.g. "precision is inconclusive: no data"). */
  readonly why?: string;
  /** Persistence after this evaluation, in words: "2 of 3 consecutive", "3 of the last 5 (3 needed)". */
  readonly persistence: string;
  /** Persistence is met this evaluation. */
  readonly met: boolean;
}

export type Outcome = 'rollback' | 'retrain' | 'alert' | 'held' | 'dryRun' | 'ok' | 'inconclusive';

export interface Decision {
  readonly policy: string;
  readonly policyHash: string;
  /** Sequence number of this evaluation for the policy (1, 2, …). */
  readonly evaluation: number;
  readonly at: string;
  /**
   * The headline: the strongest action taken (rollback > retrain > alert),
   * else `held` or `dryRun` if an action was held back or only simulated,
   * else `inconclusive` if some trigger could not be decided, else `ok`.
   */
  readonly outcome: Outcome;
  /** One line for lists and memos. */
  readonly summary: string;
  readonly metrics: readonly MetricVerdict[];
  readonly triggers: readonly TriggerVerdict[];
  readonly actions: readonly Action[];
  /** Problems with the input that did not stop the evaluation (unknown metric names, duplicates). */
  readonly warnings: readonly string[];
  /** The diagnosis run before acting (policies with a `diagnosis` section, when a trigger was due). */
  readonly diagnosis?: DiagnosisBrief;
}

export type { MetricVerdict };

/**
 * What the diagnosis found, as the decision carries it: the cause, the
 * features, the action it routed to, and each stage's verdict in a line. The
 * full evidence (per-feature tests, performance, segments) is in the audit row.
 */
export interface DiagnosisBrief {
  readonly cause: Cause;
  readonly features: readonly string[];
  /** One line: the cause, the features, the key numbers. */
  readonly summary: string;
  readonly action: 'retrain' | 'alert' | 'hold' | 'none';
  /** In words: "held: data quality — income 45.0 % missing …; alerting data-eng; no retrain on broken data". */
  readonly explanation: string;
  readonly receivers: readonly string[];
  readonly stages: ReadonlyArray<{
    readonly stage: StageName;
    readonly verdict: StageVerdict;
    readonly summary: string;
  }>;
  /** The sample of hard cases written for review, when one was. */
  readonly samplesUri?: string;
}
