// The policy controller: one long-running workflow per policy
// (`policy:<name>`). On the policy's cadence — or at once when an operator
// asks or a matching alert arrives — it evaluates the policy (one activity:
// measure, decide, audit), then acts on the decision: notifications for
// alerts, a retraining child workflow for a retrain. It carries its small
// state through continue-as-new.
import {
  ApplicationFailure,
  allHandlersFinished,
  condition,
  continueAsNew,
  log,
  ParentClosePolicy,
  patched,
  proxyActivities,
  proxyLocalActivities,
  setCurrentDetails,
  setHandler,
  startChild,
  upsertMemo,
  upsertSearchAttributes,
  WorkflowIdReusePolicy,
  workflowInfo,
} from '@temporalio/workflow';
import type { Activities } from '../activities/index.ts';
import type { ReceivedAlert } from '../activities/metrics/provider.ts';
import type { Action, Decision } from '../policies/decision.ts';
import { nextEvaluationAt, promoted, retrainFinished, rolledBack } from '../policies/lifecycle.ts';
import { LIMITS } from '../policies/limits.ts';
import type { LoadedPolicy } from '../policies/loader.ts';
import { initialState, type PolicyState } from '../policies/state.ts';
import { type DeliveryFailure, describeDeliveries, firstFailure } from './delivery.ts';
import { controllerWorkflowId } from './ids.ts';
import {
  type ApplyResult,
  alertSignal,
  applyPolicyUpdate,
  type ControllerMemo,
  type ControllerPhase,
  type ControllerStatus,
  evaluateNowUpdate,
  type OperatorRequest,
  pauseUpdate,
  policyQuery,
  type RetrainResult,
  type RollbackRequest,
  type RollbackResult,
  type RunningRetrain,
  resumeUpdate,
  retrainFinishedSignal,
  rollbackUpdate,
  statusQuery,
} from './messages.ts';
import { retrainWorkflow } from './retrain.ts';
import { NON_RETRYABLE_ERRORS } from './retry.ts';
import { CtLastDecision, CtModel, CtPhase, CtPolicy, CtPolicyVersion } from './search-attributes.ts';
import { said } from './summary.ts';
import { workflowNowIso, workflowNowMs } from './workflow-time.ts';

const { evaluatePolicy } = proxyActivities<Activities>({
  startToCloseTimeout: '5 minutes',
  // An evaluation that cannot complete (the audit store is down) is retried a
  // few times, then skipped: the next cadence tries again.
  retry: { maximumAttempts: 4, initialInterval: '2 seconds', backoffCoefficient: 2 },
});
// Evaluations that only query Prometheus, MLflow or received alerts take well
// under a second: run in the controller's workflow task as a local activity,
// one workflow task and about half the history events per evaluation, which
// is what bounds how many policies one Temporal server holds. Data windows
// (drift, estimated performance) may take minutes: a regular activity.
const local = proxyLocalActivities<Activities>({
  startToCloseTimeout: '2 minutes',
  retry: { maximumAttempts: 4, initialInterval: '2 seconds', backoffCoefficient: 2 },
});
// A diagnosis reads its windows too. (No patch: a policy recorded before the
// diagnosis existed has none, so its executions take the same branch.)
function readsDataWindows(policy: LoadedPolicy): boolean {
  return (
    policy.spec.diagnosis !== undefined ||
    Object.values(policy.spec.metrics).some((metric) => metric.drift || metric.estimate || metric.quality)
  );
}
const {
  sendNotification,
  recordAudit: auditActivity,
  nextRetrainAttempt,
  rollbackChampion,
  validatePolicy,
  retrainState,
} = proxyActivities<Activities>({
  startToCloseTimeout: '1 minute',
  retry: { maximumAttempts: 5, initialInterval: '1 second', nonRetryableErrorTypes: NON_RETRYABLE_ERRORS },
});

/** Everything the controller carries from one run to the next (continue-as-new). */
export interface ControllerInput {
  readonly policy: LoadedPolicy;
  readonly state?: PolicyState;
  readonly paused?: ControllerStatus['paused'];
  readonly alerts?: readonly ReceivedAlert[];
  readonly retrain?: RunningRetrain | null;
  readonly lastRetrain?: RetrainResult | null;
  readonly attempts?: number;
  readonly lastDecision?: Decision | null;
  /** An inbound alert that arrived just before the hand-over: the new run evaluates at once. */
  readonly wake?: 'alert' | null;
  readonly lastDeliveryFailure?: DeliveryFailure | null;
}

/** An audit append, summarised in the Temporal UI by its kind, outcome and summary. */
function recordAudit(entry: Parameters<Activities['recordAudit']>[0]): ReturnType<Activities['recordAudit']> {
  const details = (entry.details ?? {}) as { summary?: unknown };
  const about = typeof details.summary === 'string' ? ` — ${details.summary}` : '';
  return auditActivity.executeWithOptions(said(`audit ${entry.kind}: ${entry.outcome}${about}`), [entry]);
}

/** How long a retrain may run before the controller checks on it (and between checks). */
const RETRAIN_CHECK_AFTER_MS = 10 * 60_000;

/** An activity failure's own message is "Activity task failed": the cause says what happened. */
function describeError(error: unknown): string {
  const cause = (error as { cause?: { message?: string } }).cause;
  const message = (error as Error).message;
  return cause?.message ? `${message}: ${cause.message}` : message;
}

/** Inbound alerts kept for the alert provider: the latest per label set, at most this many. */
const MAX_ALERTS = 200;

export { controllerWorkflowId };

export function modelOfPolicy(policy: LoadedPolicy): string {
  return policy.instance?.model ?? policy.spec.model.name ?? policy.spec.metadata.name;
}

/**
 * A policy over the bounds (policies/limits.ts) that reached a controller
 * without `apply` (started through the API): it fails alone, at once, with
 * the reason — it is never evaluated, so it cannot stall the worker.
 */
function refuseOutOfBounds(policy: LoadedPolicy): void {
  const metrics = Object.keys(policy.spec.metrics).length;
  const triggers = Object.keys(policy.spec.triggers).length;
  if (metrics > LIMITS.metrics || triggers > LIMITS.triggers)
    throw ApplicationFailure.nonRetryable(
      `policy ${policy.spec.metadata.name} has ${metrics} metrics and ${triggers} triggers; a policy may have at most ${LIMITS.metrics} and ${LIMITS.triggers} (docs/policies.md, "Limits"): validate it with \`ctpilot validate\` and apply it with \`ctpilot apply\``,
      'PolicyOutOfBounds',
    );
}

export async function policyControllerWorkflow(input: ControllerInput): Promise<void> {
  refuseOutOfBounds(input.policy);
  const info = workflowInfo();
  let policy = input.policy;
  let state = input.state ?? initialState();
  let paused = input.paused ?? null;
  let alerts: ReceivedAlert[] = [...(input.alerts ?? [])];
  let retrain = input.retrain ?? null;
  let lastRetrain = input.lastRetrain ?? null;
  let attempts = input.attempts ?? 0;
  let lastDecision = input.lastDecision ?? null;
  let lastError: string | null = null;
  let lastDeliveryFailure = input.lastDeliveryFailure ?? null;
  let lastRetrainCheck: number | null = null;
  let phase: ControllerPhase = paused ? 'paused' : 'waiting';
  let alertMatchers: ControllerMemo['alertMatchers'] = [];
  // Reasons to evaluate before the cadence says so.
  let wakeReason: 'requested' | 'alert' | null = input.wake ?? null;
  // Set by `resume`: the paused wait ends when the pause does. Executions
  // from before this fix waited for an evaluate or an alert instead, which
  // left a resumed policy unmonitored (replayed as they were).
  let resumeEndsWait = false;
  let evaluationsDone = 0;
  const model = () => modelOfPolicy(policy);
  const due = () => nextEvaluationAt(policy.spec, state, workflowNowMs());

  const status = (): ControllerStatus => ({
    policy: policy.spec.metadata.name,
    model: model(),
    policyHash: policy.hash,
    phase,
    paused,
    nextEvaluationAt: paused ? null : due(),
    evaluations: state.evaluations,
    lastDecision,
    lastError,
    lastDeliveryFailure,
    retrain,
    lastRetrain,
    recentAlerts: alerts.slice(-20),
    state,
  });

  // What was last written to the search attributes and memo: each write is a
  // history event and a visibility update on the server, which at 1,000
  // policies was the server's first bottleneck. The memo holds what changes
  // rarely; the per-evaluation line is in the current details (no event).
  let publishedAttributes = new Map<string, string>();
  let publishedMemo = '';
  const publish = () => {
    const attributes = [
      { key: CtPolicy, value: policy.spec.metadata.name },
      { key: CtModel, value: model() },
      { key: CtPhase, value: retrain ? 'retraining' : phase },
      { key: CtPolicyVersion, value: policy.hash },
      ...(lastDecision ? [{ key: CtLastDecision, value: lastDecision.outcome }] : []),
    ];
    const heading = [
      `${policy.spec.metadata.name} → model ${model()}`,
      paused ? `paused by ${paused.by}${paused.reason ? ` (${paused.reason})` : ''}` : null,
      retrain ? `retraining: ${retrain.workflowId} (trigger ${retrain.trigger})` : null,
      // Decisions from before the diagnosis carry none: the memo is as it was for them.
      lastDecision?.diagnosis ? `diagnosis: ${lastDecision.diagnosis.explanation}` : null,
    ].filter(Boolean);
    const summary = [
      ...heading,
      paused ? null : `next evaluation ${due()}`,
      lastDecision
        ? `last decision #${lastDecision.evaluation} ${lastDecision.outcome}: ${lastDecision.summary}`
        : 'not evaluated yet',
      lastError ? `last error: ${lastError}` : null,
    ]
      .filter(Boolean)
      .join('\n');
    setCurrentDetails(summary);
    const onChange = patched('publish-on-change');
    const changed = onChange
      ? attributes.filter((a) => publishedAttributes.get(a.key.name) !== a.value)
      : attributes;
    if (changed.length > 0) upsertSearchAttributes(changed);
    publishedAttributes = new Map(attributes.map((a) => [a.key.name, a.value]));
    const memo = {
      summary: onChange ? heading.join('\n') : summary,
      alertMatchers,
      labels: policy.spec.metadata.labels,
      aliases: policy.spec.model.aliases,
      every: policy.spec.evaluate.every,
    } satisfies ControllerMemo;
    const memoText = JSON.stringify(memo);
    if (!onChange || memoText !== publishedMemo) upsertMemo(memo);
    publishedMemo = memoText;
  };

  // ---- messages -------------------------------------------------------------

  setHandler(statusQuery, status);
  setHandler(policyQuery, () => policy);

  setHandler(
    applyPolicyUpdate,
    async (next: LoadedPolicy): Promise<ApplyResult> => {
      const previousHash = policy.hash;
      if (next.hash === previousHash) return { changed: false, previousHash, hash: next.hash };
      // The full check (schema, conditions, PromQL) runs in an activity: the
      // policy loader is too heavy to bundle into every controller (memory per
      // cached workflow). An invalid version fails the update and changes
      // nothing. (Executions from before validated in the validator.)
      if (patched('validate-policy-in-activity')) {
        const problems = await validatePolicy({ spec: next.spec, file: next.file });
        if (problems.length > 0)
          throw ApplicationFailure.nonRetryable(
            `the policy is invalid: ${problems.join('; ')}`,
            'InvalidPolicy',
          );
      }
      policy = next;
      publish();
      return { changed: true, previousHash, hash: next.hash };
    },
    {
      validator: (next: LoadedPolicy) => {
        if (next?.spec?.metadata?.name !== policy.spec.metadata.name) {
          throw new Error(
            `this controller runs policy ${policy.spec.metadata.name}; a policy named ${String(next?.spec?.metadata?.name)} belongs to its own controller`,
          );
        }
        if (typeof next.hash !== 'string' || !next.hash.startsWith('sha256:'))
          throw new Error('the policy has no version hash');
      },
    },
  );

  setHandler(
    pauseUpdate,
    async (request: OperatorRequest): Promise<ControllerStatus> => {
      paused = { by: request.by, reason: request.reason ?? '', at: workflowNowIso() };
      phase = 'paused';
      publish();
      await auditOperator('pause', request, paused.at);
      return status();
    },
    {
      validator: (request: OperatorRequest) => {
        if (!request?.by) throw new Error('say who pauses the policy (by)');
        if (paused) throw new Error(`already paused by ${paused.by} at ${paused.at}`);
      },
    },
  );

  setHandler(
    resumeUpdate,
    async (request: OperatorRequest): Promise<ControllerStatus> => {
      paused = null;
      phase = 'waiting';
      resumeEndsWait = patched('resume-ends-paused-wait');
      publish();
      await auditOperator('resume', request, workflowNowIso());
      return status();
    },
    {
      validator: (request: OperatorRequest) => {
        if (!request?.by) throw new Error('say who resumes the policy (by)');
        if (!paused) throw new Error('the policy is not paused');
      },
    },
  );

  setHandler(
    rollbackUpdate,
    async (request: RollbackRequest): Promise<RollbackResult> => {
      const at = workflowNowIso();
      const result = await rollBack({
        by: request.by,
        reason: request.reason,
        ...(request.toVersion ? { toVersion: request.toVersion } : {}),
        step: `manual-rollback:${at}`,
        at,
      });
      await notifyEvent(
        'rollback',
        `${model()} rolled back to version ${result.toVersion} by ${request.by}`,
        request.reason,
      );
      return result;
    },
    {
      validator: (request: RollbackRequest) => {
        if (!request?.by) throw new Error('say who rolls back (by)');
        if (!request.reason) throw new Error('give the reason for the rollback (reason)');
        if (!request.toVersion && !state.champion?.previousVersion) {
          throw new Error(
            `no previous champion is known for ${model()}; name the version to roll back to (--to VERSION)`,
          );
        }
        if (request.toVersion && request.toVersion === state.champion?.version) {
          throw new Error(`version ${request.toVersion} is already the champion`);
        }
      },
    },
  );

  setHandler(
    evaluateNowUpdate,
    async (_request: OperatorRequest): Promise<Decision> => {
      const before = evaluationsDone;
      wakeReason = 'requested';
      await condition(() => evaluationsDone > before);
      if (!lastDecision || lastError)
        throw ApplicationFailure.nonRetryable(`evaluation failed: ${lastError}`);
      return lastDecision;
    },
    {
      validator: (request: OperatorRequest) => {
        if (!request?.by) throw new Error('say who asks for the evaluation (by)');
        if (paused) throw new Error(`the policy is paused (by ${paused.by}); resume it first`);
      },
    },
  );

  setHandler(alertSignal, (received: ReceivedAlert[]) => {
    alerts = [...alerts, ...received].slice(-MAX_ALERTS);
    if (!paused) wakeReason ??= 'alert';
  });

  setHandler(retrainFinishedSignal, (result: RetrainResult) => {
    if (retrain && result.workflowId !== retrain.workflowId) {
      log.warn('finish signal from a retrain this controller is not waiting for', { result });
    }
    retrainEnded(result);
  });

  function retrainEnded(result: RetrainResult): void {
    lastRetrain = result;
    retrain = null;
    state = retrainFinished(state, { at: result.at, outcome: result.outcome });
    if (result.outcome === 'promoted' && result.version) {
      // The bake period starts: the rollback condition is watched on the new champion.
      state = promoted(policy.spec, state, {
        at: result.at,
        version: result.version,
        previousVersion: result.previousVersion ?? null,
      });
    }
    publish();
  }

  // ---- acting on a decision ---------------------------------------------------

  const auditBase = () => ({
    model: model(),
    policy: policy.spec.metadata.name,
    policyVersion: policy.hash,
    workflowId: info.workflowId,
    workflowRun: info.runId,
  });

  /**
   * Pauses and resumes are audited (they explain gaps in the monitoring
   * record); executions that paused before this was added replay without it.
   */
  async function auditOperator(
    action: 'pause' | 'resume',
    request: OperatorRequest,
    at: string,
  ): Promise<void> {
    if (!patched('audit-pause-resume')) return;
    await recordAudit({
      ...auditBase(),
      step: `${action}:${at}`,
      kind: `policy.${action}d`,
      outcome: action === 'pause' ? 'paused' : 'resumed',
      recordedAt: at,
      details: { by: request.by, reason: request.reason ?? '' },
    });
  }

  async function notifyEvent(
    event: 'rollback' | 'promotion' | 'failure',
    summary: string,
    description: string,
  ): Promise<void> {
    if (Object.keys(policy.spec.notify).length === 0) return;
    const at = workflowNowIso();
    const results = await sendNotification.executeWithOptions(said(`notify ${event}: ${summary}`), [
      {
        receivers: policy.spec.notify,
        notification: {
          event,
          policy: policy.spec.metadata.name,
          model: model(),
          name: event,
          severity: event === 'failure' ? 'critical' : 'warning',
          status: 'firing',
          summary,
          description,
          startsAt: at,
        },
      },
    ]);
    lastDeliveryFailure = firstFailure(results, { at, event, name: event }) ?? lastDeliveryFailure;
  }

  async function notify(decision: Decision, action: Action): Promise<void> {
    const receivers = Object.fromEntries(
      action.notify.flatMap((name) => (policy.spec.notify[name] ? [[name, policy.spec.notify[name]]] : [])),
    );
    if (Object.keys(receivers).length === 0) return;
    const event = action.kind === 'resolve' || action.kind === 'alert' ? 'alert' : action.kind;
    const results = await sendNotification.executeWithOptions(
      said(`notify ${Object.keys(receivers).join(', ')}: ${action.kind} ${action.origin}`),
      [
        {
          receivers,
          notification: {
            event,
            policy: policy.spec.metadata.name,
            model: model(),
            name: action.origin,
            severity: action.severity,
            status: action.kind === 'resolve' ? 'resolved' : 'firing',
            summary: decision.summary,
            description: action.explanation,
            startsAt: decision.at,
            // The diagnosis's cause and feature as labels, for Alertmanager to route and group by.
            labels: {
              evaluation: String(decision.evaluation),
              ...(decision.diagnosis
                ? {
                    cause: decision.diagnosis.cause,
                    ...(decision.diagnosis.features[0] ? { feature: decision.diagnosis.features[0] } : {}),
                  }
                : {}),
            },
          },
        },
      ],
    );
    const delivery = describeDeliveries(results);
    lastDeliveryFailure =
      firstFailure(results, { at: decision.at, event, name: action.origin }) ?? lastDeliveryFailure;
    await recordAudit({
      ...auditBase(),
      step: `notify:${decision.evaluation}:${decision.at}:${action.origin}:${action.kind}`,
      kind: 'notification',
      outcome: delivery.ok ? 'delivered' : 'failed',
      recordedAt: decision.at,
      details: {
        summary: `${action.kind} ${action.origin}: ${delivery.summary}`,
        action: action.kind,
        origin: action.origin,
        results,
      },
    });
  }

  async function startRetrain(decision: Decision, action: Action): Promise<void> {
    const training = policy.spec.training;
    if (!training)
      throw new Error(`trigger ${action.origin} asks for a retrain, but the policy has no training section`);
    const attempt = await nextRetrainAttempt({
      policy: policy.spec.metadata.name,
      experiment: training.experiment,
      atLeast: attempts + 1,
    });
    attempts = attempt;
    const workflowId = `retrain:${policy.spec.metadata.name}:${attempt}`;
    await startChild(retrainWorkflow, {
      workflowId,
      args: [
        {
          policy,
          trigger: action.origin,
          attempt,
          controllerWorkflowId: info.workflowId,
          decidedAt: decision.at,
          evaluation: decision.evaluation,
          explanation: action.explanation,
          ...(decision.diagnosis ? { diagnosis: decision.diagnosis } : {}),
        },
      ],
      // The controller continues-as-new while a retrain runs: the child must outlive this run.
      parentClosePolicy: ParentClosePolicy.ABANDON,
      workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
      staticSummary: `retrain ${attempt} of ${policy.spec.metadata.name} (trigger ${action.origin})`,
      staticDetails: action.explanation,
      searchAttributes: { CtPolicy: [policy.spec.metadata.name], CtModel: [model()], CtPhase: ['starting'] },
    });
    retrain = { workflowId, attempt, trigger: action.origin, startedAt: decision.at };
    await recordAudit({
      ...auditBase(),
      step: `retrain-started:${decision.evaluation}:${decision.at}`,
      kind: 'retrain.started',
      outcome: 'started',
      recordedAt: decision.at,
      details: {
        retrainWorkflowId: workflowId,
        attempt,
        trigger: action.origin,
        explanation: action.explanation,
        // What confirmed the retrain (decisions from before the diagnosis have none).
        ...(decision.diagnosis ? { diagnosis: decision.diagnosis } : {}),
      },
    });
  }

  /** Moves the champion alias back, calls the deploy hook, audits it; used by the bake watch and by `ctpilot rollback`. */
  async function rollBack(request: {
    by: string;
    reason: string;
    toVersion?: string;
    step: string;
    at: string;
  }): Promise<RollbackResult> {
    const move = await rollbackChampion.executeWithOptions(
      said(
        `roll ${model()} back${request.toVersion ? ` to version ${request.toVersion}` : state.champion?.previousVersion ? ` to version ${state.champion.previousVersion}` : ''}: ${request.reason}`,
      ),
      [
        {
          model: model(),
          championAlias: policy.spec.model.aliases.champion,
          ...(request.toVersion
            ? { toVersion: request.toVersion }
            : state.champion?.previousVersion
              ? { toVersion: state.champion.previousVersion }
              : {}),
          ...(state.champion?.version ? { fromVersion: state.champion.version } : {}),
          ...(policy.spec.promotion?.deployHook ? { deployHook: policy.spec.promotion.deployHook } : {}),
          reason: request.reason,
        },
      ],
    );
    state = rolledBack(state, { at: request.at, toVersion: move.toVersion }, policy.spec);
    const result: RollbackResult = {
      fromVersion: move.fromVersion ?? '',
      toVersion: move.toVersion,
      at: request.at,
      by: request.by,
      reason: request.reason,
    };
    await recordAudit({
      ...auditBase(),
      step: request.step,
      kind: 'rollback',
      outcome: move.deploy.ok ? 'rolled-back' : 'rolled-back-hook-failed',
      recordedAt: request.at,
      details: {
        summary: `${model()} v${result.fromVersion || '?'} → v${result.toVersion} by ${request.by}: ${request.reason}${move.deploy.ok ? '' : ` (deploy hook failed: ${move.deploy.error ?? 'unknown error'})`}`,
        ...result,
        deploy: move.deploy,
      },
    });
    publish();
    return result;
  }

  async function act(decision: Decision): Promise<void> {
    for (const action of decision.actions) {
      if (action.status !== 'act') continue;
      if (action.kind === 'rollback') {
        try {
          await rollBack({
            by: 'ctpilot (bake watch)',
            reason: action.explanation,
            step: `rollback:${decision.evaluation}:${decision.at}`,
            at: decision.at,
          });
        } catch (error) {
          lastError = `rollback failed: ${describeError(error)}`;
        }
      }
      if (action.kind === 'retrain') {
        try {
          await startRetrain(decision, action);
        } catch (error) {
          // Not started: release the in-flight guard so a later evaluation can decide again.
          lastError = `could not start the retrain: ${describeError(error)}`;
          state = retrainFinished(state, { at: decision.at, outcome: 'failed' });
          await recordAudit({
            ...auditBase(),
            step: `retrain-not-started:${decision.evaluation}:${decision.at}`,
            kind: 'retrain.failed',
            outcome: 'failed',
            recordedAt: decision.at,
            details: { trigger: action.origin, error: lastError },
          });
        }
      }
      // Rollback is carried out by the promotion flow (the retrain workflow's bake watch).
      await notify(decision, action);
    }
  }

  /**
   * A retrain that closed without its finish signal (terminated by an
   * operator, or its failure path failed) would hold every later retrain as
   * "already running": after a while without news, ask how it ended. An
   * operator asking for an evaluation is told at once (they may just have
   * terminated it).
   */
  async function checkOnRetrain(now: boolean): Promise<void> {
    if (!retrain || !patched('watch-retrain')) return;
    // Counted from the retrain's start or the last check, whichever is later
    // (a check of an earlier retrain is older than this one's start).
    const since = Math.max(Date.parse(retrain.startedAt), lastRetrainCheck ?? 0);
    if (!now && workflowNowMs() - since < RETRAIN_CHECK_AFTER_MS) return;
    lastRetrainCheck = workflowNowMs();
    const seen = await retrainState({ workflowId: retrain.workflowId, attempt: retrain.attempt });
    if (seen.running || !seen.result || !retrain) return;
    retrainEnded(seen.result);
    await recordAudit({
      ...auditBase(),
      step: `retrain-closed:${seen.result.workflowId}`,
      kind: 'retrain.closed',
      outcome: seen.result.outcome,
      recordedAt: workflowNowIso(),
      details: { ...seen.result },
    });
  }

  async function evaluateOnce(reason: 'schedule' | 'requested' | 'alert'): Promise<void> {
    phase = 'evaluating';
    const at = workflowNowIso();
    try {
      await checkOnRetrain(reason === 'requested');
      const evaluate =
        !readsDataWindows(policy) && patched('local-evaluation') ? local.evaluatePolicy : evaluatePolicy;
      const result = await evaluate.executeWithOptions(
        said(`evaluate #${state.evaluations + 1} (${reason})`),
        [
          {
            policy,
            state,
            at,
            alerts,
            workflowId: info.workflowId,
            workflowRun: info.runId,
            reason,
          },
        ],
      );
      state = result.nextState;
      lastDecision = result.decision;
      alertMatchers = result.alertMatchers;
      lastError = null;
      await act(result.decision);
    } catch (error) {
      // Measurements never fail an evaluation (they are inconclusive); this is
      // the evaluation itself failing, e.g. the audit history unreachable.
      lastError = describeError(error);
      log.error('evaluation failed; the next one is at the cadence', { error: lastError });
      // Move the cadence on so a failing evaluation is not retried in a tight loop.
      state = { ...state, lastEvaluatedAt: at };
    } finally {
      evaluationsDone++;
      phase = paused ? 'paused' : 'waiting';
      publish();
    }
  }

  // ---- the loop -------------------------------------------------------------

  publish();
  for (;;) {
    if (workflowInfo().continueAsNewSuggested) {
      // The hand-over waits for every handler to finish, but an operator's
      // `evaluate` handler waits for an evaluation: run it first, or both
      // wait for each other for ever. (Older executions replay as they were.)
      const drain = patched('evaluate-before-continue-as-new');
      await condition(() => allHandlersFinished() || (drain && wakeReason === 'requested'));
      if (allHandlersFinished()) {
        await continueAsNew<typeof policyControllerWorkflow>({
          policy,
          state,
          paused,
          alerts,
          retrain,
          lastRetrain,
          attempts,
          lastDecision,
          lastDeliveryFailure,
          ...(drain && wakeReason === 'alert' && !paused ? { wake: 'alert' as const } : {}),
        });
      }
    }
    const waitMs = paused ? undefined : Math.max(0, Date.parse(due()) - workflowNowMs());
    // Paused, the loop has no timer: it waits for a requested evaluation, a
    // hand-over, or the end of the pause.
    const woken =
      waitMs === undefined
        ? await condition(
            () =>
              wakeReason !== null ||
              workflowInfo().continueAsNewSuggested ||
              (resumeEndsWait && paused === null),
          ).then(() => true)
        : await condition(() => wakeReason !== null || workflowInfo().continueAsNewSuggested, waitMs);
    if (paused) {
      // An alert while paused is kept (for the next evaluation) but does not evaluate.
      if (wakeReason === 'alert') wakeReason = null;
      if (wakeReason === null) continue;
    }
    const reason = woken && wakeReason ? wakeReason : 'schedule';
    wakeReason = null;
    if (!woken || reason !== 'schedule') await evaluateOnce(reason);
  }
}
