// Every activity passes through here on the worker: its duration and failure
// are recorded, and the activities that carry ctpilot's story — an
// evaluation and its decision, an audit step — feed the domain metrics
// (workers/metrics.ts). Activity log lines also get the policy they concern.
// An interceptor rather than code in each activity: activities stay about
// the outside system they talk to, and new activities are measured for free.

import type { ActivityInterceptorsFactory } from '@temporalio/worker';
import type { EvaluationInput, EvaluationResult } from '../activities/evaluation.ts';
import type { DeliveryResult } from '../activities/notify.ts';
import { metrics, recordAuditStep, recordEvaluation, recordNotification } from './metrics.ts';

/** The policy an activity's input concerns, when it names one (a loaded policy, or a policy name). */
function policyOf(args: readonly unknown[]): string | undefined {
  const first = args[0] as { policy?: unknown } | undefined;
  const p = first?.policy;
  if (typeof p === 'string') return p;
  const name = (p as { spec?: { metadata?: { name?: unknown } } } | undefined)?.spec?.metadata?.name;
  return typeof name === 'string' ? name : undefined;
}

/** Recording a metric must never fail the activity it measures: a problem is logged and the result goes on. */
function safely(ctx: Parameters<ActivityInterceptorsFactory>[0], record: () => void): void {
  try {
    record();
  } catch (error) {
    ctx.log.warn('could not record metrics for this activity', { error: (error as Error).message });
  }
}

export const metricsInterceptor: ActivityInterceptorsFactory = (ctx) => {
  let policy: string | undefined;
  return {
    inbound: {
      async execute(input, next) {
        const activity = ctx.info.activityType;
        policy = policyOf(input.args);
        const startedAt = Date.now();
        const t0 = performance.now();
        try {
          const result = await next(input);
          safely(ctx, () => {
            metrics.activityDuration.observe({ activity, result: 'ok' }, (performance.now() - t0) / 1000);
            if (activity === 'evaluatePolicy') {
              // Lag is the first attempt's: a retry's start says more about the retry policy than the schedule.
              recordEvaluation(
                input.args[0] as EvaluationInput,
                result as EvaluationResult,
                ctx.info.attempt === 1 ? startedAt : Number.NaN,
              );
            } else if (activity === 'recordAudit') {
              recordAuditStep(input.args[0] as { policy: string; kind: string; outcome: string });
            } else if (activity === 'sendNotification') {
              recordNotification(
                input.args[0] as Parameters<typeof recordNotification>[0],
                result as DeliveryResult[],
                (message, fields) => ctx.log.warn(message, fields),
              );
            }
          });
          return result;
        } catch (error) {
          safely(ctx, () => {
            metrics.activityDuration.observe({ activity, result: 'failed' }, (performance.now() - t0) / 1000);
            metrics.activityFailures.inc({ activity });
            if (activity === 'recordAudit') metrics.auditWriteFailures.inc({ activity });
            if (activity === 'evaluatePolicy') {
              // Measurements never fail an evaluation and the evaluator is pure: what fails is its audit append.
              metrics.evaluationFailures.inc({ policy: policy ?? 'unknown' });
              metrics.auditWriteFailures.inc({ activity });
            }
          });
          throw error;
        }
      },
    },
    outbound: {
      getLogAttributes(input, next) {
        return next(policy ? { ...input, policy } : input);
      },
    },
  };
};
