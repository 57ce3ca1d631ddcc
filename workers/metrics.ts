// ctpilot's own Prometheus metrics (prom-client), beside the Temporal SDK's.
//
// They are recorded at the activity boundary (workers/metrics-interceptor.ts)
// from what every activity already receives and returns — the evaluation's
// policy, state, reason and decision; the audit entry's kind and outcome — so
// workflow code needs no change and replays stay deterministic. Every metric
// ctpilot exports is named in METRIC_NAMES: the Grafana dashboard and the
// alert rules are checked against that list.

import type { Client } from '@temporalio/client';
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import type { EvaluationInput, EvaluationResult } from '../activities/evaluation.ts';
import type { DeliveryResult } from '../activities/notify.ts';
import { durationMs } from '../policies/duration.ts';
import { describeDeliveries } from '../workflows/delivery.ts';

export const registry = new Registry();
collectDefaultMetrics({ register: registry, prefix: 'ctpilot_' });

/** Set by watchApprovals: refreshes the approval gauges (cached), awaited at scrape time. */
let refreshApprovals: (() => Promise<void>) | undefined;

const LAG_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800];
const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 1800, 7200];

export const metrics = {
  evaluations: new Counter({
    name: 'ctpilot_evaluations_total',
    help: 'Policy evaluations completed, by policy and why they ran (schedule, requested, alert).',
    labelNames: ['policy', 'reason'] as const,
    registers: [registry],
  }),
  decisions: new Counter({
    name: 'ctpilot_decisions_total',
    help: 'Decisions by policy and outcome (ok, inconclusive, alert, retrain, rollback, held, dryRun).',
    labelNames: ['policy', 'outcome'] as const,
    registers: [registry],
  }),
  actions: new Counter({
    name: 'ctpilot_actions_total',
    help: 'Actions decided, by policy, kind (retrain, alert, rollback, resolve) and status (act, held, dryRun).',
    labelNames: ['policy', 'kind', 'status'] as const,
    registers: [registry],
  }),
  evaluationFailures: new Counter({
    name: 'ctpilot_evaluation_failures_total',
    help: 'Evaluation activity attempts that failed (the audit history unreachable, most often).',
    labelNames: ['policy'] as const,
    registers: [registry],
  }),
  evaluationLag: new Histogram({
    name: 'ctpilot_policy_evaluation_lag_seconds',
    help: 'Scheduled evaluations: actual start minus the time the cadence scheduled them.',
    labelNames: ['policy'] as const,
    buckets: LAG_BUCKETS,
    registers: [registry],
  }),
  lastEvaluation: new Gauge({
    name: 'ctpilot_policy_last_evaluation_timestamp_seconds',
    help: 'When each policy was last evaluated (Unix time), as seen by this worker.',
    labelNames: ['policy'] as const,
    registers: [registry],
  }),
  evaluationInterval: new Gauge({
    name: 'ctpilot_policy_evaluation_interval_seconds',
    help: 'Each policy’s cadence (evaluate.every), for alerts on missed evaluations.',
    labelNames: ['policy'] as const,
    registers: [registry],
  }),
  retrains: new Counter({
    name: 'ctpilot_retrains_total',
    help: 'Retraining workflow steps by policy and outcome: started, failed, rejected (gates, shadow or approval), registered.',
    labelNames: ['policy', 'outcome'] as const,
    registers: [registry],
  }),
  promotions: new Counter({
    name: 'ctpilot_promotions_total',
    help: 'Promotion steps recorded in the audit history, by policy and outcome.',
    labelNames: ['policy', 'outcome'] as const,
    registers: [registry],
  }),
  approvals: new Counter({
    name: 'ctpilot_approval_decisions_total',
    help: 'Manual approval decisions recorded in the audit history, by policy and decision (approved, rejected, timeout).',
    labelNames: ['policy', 'decision'] as const,
    registers: [registry],
  }),
  rollbacks: new Counter({
    name: 'ctpilot_rollbacks_total',
    help: 'Rollback steps recorded in the audit history, by policy and outcome.',
    labelNames: ['policy', 'outcome'] as const,
    registers: [registry],
  }),
  notifications: new Counter({
    name: 'ctpilot_notifications_total',
    help: 'Notifications per receiver, by policy, receiver and outcome (delivered, failed, skipped: the receiver is not subscribed to the event).',
    labelNames: ['policy', 'receiver', 'outcome'] as const,
    registers: [registry],
  }),
  auditWrites: new Counter({
    name: 'ctpilot_audit_writes_total',
    help: 'Rows appended to the audit history, by kind.',
    labelNames: ['kind'] as const,
    registers: [registry],
  }),
  auditWriteFailures: new Counter({
    name: 'ctpilot_audit_write_failures_total',
    help: 'Audit appends that failed (recordAudit attempts, and evaluations whose audit append failed).',
    labelNames: ['activity'] as const,
    registers: [registry],
  }),
  activityDuration: new Histogram({
    name: 'ctpilot_activity_duration_seconds',
    help: 'Activity execution time on this worker, by activity type and result (ok, failed).',
    labelNames: ['activity', 'result'] as const,
    buckets: LATENCY_BUCKETS,
    registers: [registry],
  }),
  activityFailures: new Counter({
    name: 'ctpilot_activity_failures_total',
    help: 'Activity attempts that threw, by activity type.',
    labelNames: ['activity'] as const,
    registers: [registry],
  }),
  approvalsPending: new Gauge({
    name: 'ctpilot_approvals_pending',
    help: 'Retraining workflows waiting for a manual approval (from Temporal visibility).',
    registers: [registry],
    async collect() {
      await refreshApprovals?.();
    },
  }),
  approvalOldestAge: new Gauge({
    name: 'ctpilot_approval_oldest_pending_seconds',
    help: 'Age of the oldest retraining workflow waiting for approval, since its retrain started (0: none).',
    registers: [registry],
    async collect() {
      await refreshApprovals?.();
    },
  }),
} as const;

/** Every metric name ctpilot exports (histograms add _bucket, _sum and _count). */
export const METRIC_NAMES: readonly string[] = Object.values(metrics).map(
  (m) => (m as unknown as { name: string }).name,
);

/** An evaluation activity finished: count it, its decision and actions; record its lag. */
export function recordEvaluation(
  input: EvaluationInput,
  result: EvaluationResult,
  startedAtMs: number,
): void {
  const policy = input.policy.spec.metadata.name;
  const d = result.decision;
  metrics.evaluations.inc({ policy, reason: input.reason });
  metrics.decisions.inc({ policy, outcome: d.outcome });
  for (const a of d.actions) metrics.actions.inc({ policy, kind: a.kind, status: a.status });
  metrics.lastEvaluation.set({ policy }, Date.parse(d.at) / 1000);
  auditWritten('evaluation');
  const lag = evaluationLagMs(input, startedAtMs);
  if (lag !== undefined && Number.isFinite(lag)) metrics.evaluationLag.observe({ policy }, lag / 1000);
}

/**
 * Lag of a scheduled evaluation: when its activity started minus when the
 * cadence scheduled it (the previous evaluation plus `evaluate.every`). It
 * adds the timer's firing, the workflow task and the activity's wait for a
 * worker slot — what an operator sees as "evaluations are late". Requested
 * and alert-triggered evaluations, and the very first one, have no schedule.
 */
export function evaluationLagMs(input: EvaluationInput, startedAtMs: number): number | undefined {
  const every = durationMs(input.policy.spec.evaluate.every);
  metrics.evaluationInterval.set({ policy: input.policy.spec.metadata.name }, every / 1000);
  if (input.reason !== 'schedule' || input.state.lastEvaluatedAt === null) return undefined;
  const scheduled = Date.parse(input.state.lastEvaluatedAt) + every;
  return Math.max(0, startedAtMs - scheduled);
}

/**
 * A notification went out (or did not): counted per receiver, and each
 * failed delivery is a warning with the receiver and the reason — on the
 * terminal and in the worker's log — since nothing else would say so.
 */
export function recordNotification(
  input: { notification: { policy: string; event: string; name: string } },
  results: readonly DeliveryResult[],
  warn: (message: string, fields: Record<string, unknown>) => void,
): void {
  const { policy, event, name } = input.notification;
  for (const r of results) {
    const outcome = r.delivered ? 'delivered' : r.skipped ? 'skipped' : 'failed';
    metrics.notifications.inc({ policy, receiver: r.receiver, outcome });
  }
  for (const r of describeDeliveries(results).failed) {
    warn(`notification not delivered to receiver ${r.receiver}: ${r.error ?? `HTTP ${r.status}`}`, {
      policy,
      receiver: r.receiver,
      event,
      trigger: name,
      error: r.error,
      status: r.status,
      attempts: r.attempts,
    });
  }
}

export function auditWritten(kind: string): void {
  metrics.auditWrites.inc({ kind });
}

/**
 * A workflow step reached the audit history: retrains, promotions and
 * rollbacks are counted from the step's kind (`retrain.started`,
 * `retrain.failed`, `gates` rejected, `challenger.registered`,
 * `challenger.rejected` (shadow or approval), `approval`, `promotion*`,
 * `rollback*`), so new steps of those kinds are counted without a change here.
 */
export function recordAuditStep(entry: { policy: string; kind: string; outcome: string }): void {
  auditWritten(entry.kind);
  const { policy, kind, outcome } = entry;
  if (kind === 'retrain.started') metrics.retrains.inc({ policy, outcome: 'started' });
  else if (kind === 'retrain.failed') metrics.retrains.inc({ policy, outcome: 'failed' });
  else if (kind === 'gates' && outcome === 'rejected') metrics.retrains.inc({ policy, outcome: 'rejected' });
  else if (kind === 'challenger.registered') metrics.retrains.inc({ policy, outcome: 'registered' });
  else if (kind === 'challenger.rejected') metrics.retrains.inc({ policy, outcome: 'rejected' });
  else if (kind === 'approval') metrics.approvals.inc({ policy, decision: outcome });
  else if (kind.startsWith('promotion') || kind === 'promoted') metrics.promotions.inc({ policy, outcome });
  else if (kind.startsWith('rollback')) metrics.rollbacks.inc({ policy, outcome });
}

/** How often Temporal visibility is asked about pending approvals, at most (scrapes in between reuse the answer). */
const APPROVAL_REFRESH_MS = 30_000;

/**
 * Pending approvals from Temporal visibility, refreshed at scrape time: the
 * same answer from every worker, so alerts take max() over instances.
 * Only processes that hold a Temporal client (the orchestrator) register it.
 */
export function watchApprovals(client: Client, onError?: (error: Error) => void): void {
  let fetchedAt = 0;
  let pending: Promise<void> | undefined;
  const refresh = async () => {
    const query =
      "WorkflowType = 'retrainWorkflow' AND ExecutionStatus = 'Running' AND CtPhase = 'awaiting-approval'";
    let count = 0;
    let oldest = Number.POSITIVE_INFINITY;
    for await (const w of client.workflow.list({ query, pageSize: 100 })) {
      count++;
      oldest = Math.min(oldest, w.startTime.getTime());
    }
    metrics.approvalsPending.set(count);
    metrics.approvalOldestAge.set(count === 0 ? 0 : (Date.now() - oldest) / 1000);
  };
  refreshApprovals = async () => {
    if (Date.now() - fetchedAt < APPROVAL_REFRESH_MS) return;
    pending ??= refresh()
      .catch((e: Error) => onError?.(e))
      .finally(() => {
        fetchedAt = Date.now();
        pending = undefined;
      });
    await pending;
  };
}
