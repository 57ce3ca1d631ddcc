// The messages ctpilot's workflows accept, with their input and result types:
// the contract between the workflows, the CLI and the inbound-alert receiver.
// Kinds are in the names (…Update, …Signal, …Query).
//
// Updates rather than signals where the caller waits for an answer (apply,
// pause, resume, evaluate now) and where a bad request must be refused
// before it is recorded (the validators).
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { ReceivedAlert } from '../activities/metrics/provider.ts';
import type { Decision } from '../policies/decision.ts';
import type { RetrainOutcome } from '../policies/lifecycle.ts';
import type { LoadedPolicy } from '../policies/loader.ts';
import type { PolicyState } from '../policies/state.ts';
import type { DeliveryFailure } from './delivery.ts';
import { POLICY_QUERY, PROGRESS_QUERY, STATUS_QUERY } from './ids.ts';

export type ControllerPhase = 'waiting' | 'evaluating' | 'paused';

export interface RunningRetrain {
  readonly workflowId: string;
  readonly attempt: number;
  readonly trigger: string;
  readonly startedAt: string;
}

export interface ControllerStatus {
  readonly policy: string;
  readonly model: string;
  readonly policyHash: string;
  readonly phase: ControllerPhase;
  readonly paused: { readonly by: string; readonly reason: string; readonly at: string } | null;
  readonly nextEvaluationAt: string | null;
  readonly evaluations: number;
  readonly lastDecision: Decision | null;
  readonly lastError: string | null;
  /** The last notification the controller could not deliver to a receiver (absent in older runs). */
  readonly lastDeliveryFailure?: DeliveryFailure | null;
  readonly retrain: RunningRetrain | null;
  readonly lastRetrain: RetrainResult | null;
  readonly recentAlerts: readonly ReceivedAlert[];
  /** The evaluator's state: trigger counters, guards' ledger, champion, bake period. */
  readonly state: PolicyState;
}

export interface ApplyResult {
  readonly changed: boolean;
  readonly previousHash: string;
  readonly hash: string;
}

export interface OperatorRequest {
  /** Who asks (a user name, `ctpilot`); recorded in the audit history. */
  readonly by: string;
  readonly reason?: string;
}

export interface RetrainResult {
  readonly workflowId: string;
  readonly attempt: number;
  readonly outcome: RetrainOutcome;
  /** In words: why it ended this way. */
  readonly summary: string;
  readonly runId?: string;
  readonly version?: string;
  /** Promoted: the champion it replaced (the rollback target during the bake period). */
  readonly previousVersion?: string | null;
  /** The shadow report, when there was a shadow comparison. */
  readonly reportUri?: string;
  readonly at: string;
}

/** Apply a new version of the policy; refused whole (by the validator) when the policy is invalid or not this one. */
export const applyPolicyUpdate = defineUpdate<ApplyResult, [LoadedPolicy]>('applyPolicy');
export const pauseUpdate = defineUpdate<ControllerStatus, [OperatorRequest]>('pause');
export const resumeUpdate = defineUpdate<ControllerStatus, [OperatorRequest]>('resume');
/** Evaluate at once (not waiting for the cadence); answers with the decision. */
export const evaluateNowUpdate = defineUpdate<Decision, [OperatorRequest]>('evaluateNow');

/** Inbound alerts for this policy (from the worker's alert endpoint); the controller evaluates at once. */
export const alertSignal = defineSignal<[ReceivedAlert[]]>('alert');
/** Sent by a retraining workflow when it ends, whatever the outcome. */
export const retrainFinishedSignal = defineSignal<[RetrainResult]>('retrainFinished');

export const statusQuery = defineQuery<ControllerStatus>(STATUS_QUERY);
/** The policy the controller runs now, in full (its history holds it too, but maybe far back). */
export const policyQuery = defineQuery<LoadedPolicy>(POLICY_QUERY);

/** The retraining workflow's progress, for `ctpilot status` and the memo. */
export interface RetrainProgress {
  readonly phase: RetrainPhase;
  readonly runId?: string;
  readonly version?: string;
  /** While in shadow: what has been scored and the interim verdict. */
  readonly shadow?: {
    readonly startedAt: string;
    readonly scored: number;
    readonly failed: number;
    readonly labelled: number;
    readonly interim: string;
    readonly reportUri?: string;
  };
  /** While awaiting approval: until when, and what a timeout means. */
  readonly approval?: {
    readonly requestedAt: string;
    readonly timeoutAt: string;
    readonly onTimeout: string;
    readonly decision?: ApprovalDecision;
  };
  /** The last notification this retrain could not deliver (an approval request, a promotion). */
  readonly lastDeliveryFailure?: DeliveryFailure;
  readonly steps: ReadonlyArray<{
    readonly step: string;
    readonly at: string;
    readonly outcome: string;
    readonly detail: string;
  }>;
}

export type RetrainPhase =
  | 'starting'
  | 'training'
  | 'gates'
  | 'registering'
  | 'registered'
  | 'shadow'
  | 'awaiting-approval'
  | 'promoting'
  | 'promoted'
  | 'rejected'
  | 'failed';

export const retrainProgressQuery = defineQuery<RetrainProgress>(PROGRESS_QUERY);

/** Memo keys shared with the alert receiver and the CLI. */
export interface ControllerMemo {
  readonly summary: string;
  readonly alertMatchers: ReadonlyArray<{
    readonly source: string;
    readonly match: Readonly<Record<string, string>>;
  }>;
  /** The policy's metadata labels (`ctpilot list -l`). */
  readonly labels?: Readonly<Record<string, string>>;
  readonly aliases?: { readonly champion: string; readonly challenger: string };
  /** The policy's cadence (`evaluate.every`). */
  readonly every?: string;
}

// ---- approval, promotion and rollback (the retraining workflow and the controller) ----

export interface ApprovalRequest {
  /** Who decides; recorded in the audit history. */
  readonly by: string;
  readonly reason?: string;
  /** The challenger version being decided on; a decision about another (stale) version is refused. */
  readonly version?: string;
}

export interface ApprovalDecision {
  readonly decision: 'approved' | 'rejected';
  readonly by: string;
  readonly reason: string;
  readonly version: string;
  readonly at: string;
}

/** Manual approval of the challenger a retraining workflow is waiting on (`ctpilot approve`). */
export const approveUpdate = defineUpdate<ApprovalDecision, [ApprovalRequest]>('approve');
/** Manual rejection of that challenger (`ctpilot reject`). */
export const rejectUpdate = defineUpdate<ApprovalDecision, [ApprovalRequest]>('reject');

export interface RollbackRequest {
  readonly by: string;
  readonly reason: string;
  /** The version to put back; default: the champion before the last promotion. */
  readonly toVersion?: string;
}

export interface RollbackResult {
  readonly fromVersion: string;
  readonly toVersion: string;
  readonly at: string;
  readonly by: string;
  readonly reason: string;
}

/** Points the champion alias back (`ctpilot rollback`), on the policy's controller. */
export const rollbackUpdate = defineUpdate<RollbackResult, [RollbackRequest]>('rollback');
