// One retraining attempt (`retrain:<policy>:<attempt>`): the training request
// as an MLflow run, training through the policy's launcher, the offline
// acceptance gates, and the candidate registered with the `challenger`
// alias. Every step is audited; a failure leaves the registry as it was and
// says why — in the audit history, in the result, and to the controller.
//
// Safe to retry and to reset: every activity finds what an earlier attempt
// did (the run by its tag, the version by its run id, the audit row by its
// step) instead of doing it twice.
import {
  ActivityFailure,
  ApplicationFailure,
  getExternalWorkflowHandle,
  log,
  proxyActivities,
  setCurrentDetails,
  setHandler,
  TimeoutFailure,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { Activities, TrainingWorkerActivities } from '../activities/index.ts';
import type { FinishedRun, TrainingRunRef } from '../activities/training/training-runs.ts';
import { checkAcceptance } from '../policies/acceptance.ts';
import type { DiagnosisBrief } from '../policies/decision.ts';
import { durationMs } from '../policies/duration.ts';
import type { LoadedPolicy } from '../policies/loader.ts';
import { renderText } from '../policies/template.ts';
import { templateValues } from '../policies/template-values.ts';
import { type CandidateOutcome, judgeAndPromote } from './candidate.ts';
import { firstFailure } from './delivery.ts';
import {
  type RetrainPhase,
  type RetrainProgress,
  type RetrainResult,
  retrainFinishedSignal,
  retrainProgressQuery,
} from './messages.ts';
import { NON_RETRYABLE_ERRORS } from './retry.ts';
import { CtPhase } from './search-attributes.ts';
import { said } from './summary.ts';
import { workflowNowIso } from './workflow-time.ts';

export interface RetrainInput {
  readonly policy: LoadedPolicy;
  readonly trigger: string;
  readonly attempt: number;
  readonly controllerWorkflowId: string;
  readonly decidedAt: string;
  readonly evaluation: number;
  readonly explanation: string;
  /** The diagnosis that confirmed this retrain, when the policy has one. */
  readonly diagnosis?: DiagnosisBrief;
}

// Each step is a short call to MLflow or PostgreSQL: a worker that dies in the
// middle of one is noticed after a minute and the step runs again elsewhere
// (every step is idempotent).
const steps = proxyActivities<Activities>({
  startToCloseTimeout: '1 minute',
  retry: {
    initialInterval: '2 seconds',
    backoffCoefficient: 2,
    maximumInterval: '1 minute',
    maximumAttempts: 10,
    nonRetryableErrorTypes: NON_RETRYABLE_ERRORS,
  },
});
// Registration waits for the version to be READY, which takes longer on a
// busy registry; it heartbeats while it waits.
const registration = proxyActivities<Activities>({
  startToCloseTimeout: '6 minutes',
  heartbeatTimeout: '20 seconds',
  retry: {
    initialInterval: '2 seconds',
    backoffCoefficient: 2,
    maximumInterval: '1 minute',
    maximumAttempts: 10,
    nonRetryableErrorTypes: NON_RETRYABLE_ERRORS,
  },
});

/** Task queue of the training workers: the orchestrator's, with `-training` appended. */
export function trainingTaskQueue(orchestratorQueue: string): string {
  return `${orchestratorQueue}-training`;
}

const modelOf = (policy: LoadedPolicy) =>
  policy.instance?.model ?? policy.spec.model.name ?? policy.spec.metadata.name;

function isTimeout(error: unknown): boolean {
  return error instanceof ActivityFailure && error.cause instanceof TimeoutFailure;
}

export async function retrainWorkflow(input: RetrainInput): Promise<RetrainResult> {
  const info = workflowInfo();
  const policy = input.policy;
  const training = policy.spec.training;
  const model = modelOf(policy);
  const progress: {
    phase: RetrainPhase;
    runId?: string;
    version?: string;
    shadow?: RetrainProgress['shadow'];
    approval?: RetrainProgress['approval'];
    lastDeliveryFailure?: RetrainProgress['lastDeliveryFailure'];
    steps: RetrainProgress['steps'][number][];
  } = {
    phase: 'starting',
    steps: [],
  };
  setHandler(retrainProgressQuery, () => ({ ...progress, steps: [...progress.steps] }));

  // The current details (Temporal UI, User Metadata): where the retrain is
  // now, and at the end what became of it and why.
  const details = (text: string) =>
    setCurrentDetails(
      `**retrain ${input.attempt} of ${policy.spec.metadata.name}** (trigger ${input.trigger}): ${text}`,
    );
  const phase = (next: RetrainPhase) => {
    progress.phase = next;
    upsertSearchAttributes([{ key: CtPhase, value: next }]);
    details(next);
  };

  /** Audits one step and keeps it in the progress the query shows. */
  const record = async (
    step: string,
    kind: string,
    outcome: string,
    detail: string,
    extra: Record<string, unknown> = {},
  ) => {
    const at = workflowNowIso();
    progress.steps.push({ step, at, outcome, detail });
    await steps.recordAudit.executeWithOptions(said(`audit ${kind}: ${outcome} — ${detail}`), [
      {
        model,
        policy: policy.spec.metadata.name,
        policyVersion: policy.hash,
        workflowId: info.workflowId,
        workflowRun: info.runId,
        mlflowRunId: progress.runId,
        step,
        kind,
        outcome,
        recordedAt: at,
        inputs: { trigger: input.trigger, attempt: input.attempt },
        details: { detail, ...extra },
      },
    ]);
  };

  const finish = async (
    outcome: RetrainResult['outcome'],
    summary: string,
    extra: Pick<RetrainResult, 'previousVersion' | 'reportUri'> = {},
  ): Promise<RetrainResult> => {
    // Outcome and reason first: the Temporal UI shows the start of the result on the workflow's page.
    const result: RetrainResult = {
      outcome,
      summary,
      workflowId: info.workflowId,
      attempt: input.attempt,
      runId: progress.runId,
      version: progress.version,
      ...extra,
      at: workflowNowIso(),
    };
    details(`${outcome} — ${summary}`);
    try {
      await getExternalWorkflowHandle(input.controllerWorkflowId).signal(retrainFinishedSignal, result);
    } catch (error) {
      // The controller may have been stopped (policy pruned): the result stands on its own.
      log.warn('could not tell the controller', { error: (error as Error).message });
    }
    return result;
  };

  const fail = async (step: string, summary: string, extra: Record<string, unknown> = {}): Promise<never> => {
    phase('failed');
    if (progress.runId) {
      // Leave the registry as it was: a version registered from this run and not yet aliased is removed.
      const { discarded } = await steps.discardCandidate.executeWithOptions(
        said(`discard any version registered from run ${progress.runId}`),
        [{ model, runId: progress.runId }],
      );
      if (discarded.length > 0) extra = { ...extra, discardedVersions: discarded };
      await steps.tagRun.executeWithOptions(said(`tag run ${progress.runId} failed: ${summary}`), [
        {
          runId: progress.runId,
          tags: { 'ctpilot.decision': 'failed', 'ctpilot.reason': summary.slice(0, 5000) },
        },
      ]);
    }
    await record(step, 'retrain.failed', 'failed', summary, extra);
    await finish('failed', summary);
    throw ApplicationFailure.nonRetryable(summary, 'RetrainFailed', extra);
  };

  if (!training) return fail('no-training', 'the policy has no training section');

  await record('accepted', 'retrain.accepted', 'started', input.explanation, {
    controller: input.controllerWorkflowId,
    evaluation: input.evaluation,
    decidedAt: input.decidedAt,
    ...(input.diagnosis ? { diagnosis: input.diagnosis } : {}),
  });

  // ---- the training request: an MLflow run -----------------------------------
  const values: Record<string, string> = {
    ...templateValues(
      policy.spec,
      Object.fromEntries(Object.entries(policy.instance?.tags ?? {}).map(([k, v]) => [`model.tags.${k}`, v])),
    ),
    'model.name': model,
    trigger: input.trigger,
    attempt: String(input.attempt),
  };
  const parameters = Object.fromEntries(
    Object.entries(training.parameters).map(([k, v]) => [
      k,
      typeof v === 'string' ? renderText(v, values) : v,
    ]),
  );
  const request = {
    experiment: renderText(training.experiment, values),
    policy: policy.spec.metadata.name,
    policyVersion: policy.hash,
    model,
    trigger: input.trigger,
    workflowId: info.workflowId,
    attempt: input.attempt,
    parameters,
  };
  let run: TrainingRunRef;
  try {
    run = await steps.ensureTrainingRun.executeWithOptions(
      said(
        `MLflow run for ${info.workflowId} in experiment ${request.experiment} (found by tag, or created)`,
      ),
      [request],
    );
  } catch (error) {
    return fail('training-request', `could not create the training run: ${(error as Error).message}`);
  }
  progress.runId = run.runId;
  await record(
    'training-requested',
    'training.requested',
    run.created ? 'created' : 'found',
    `MLflow run ${run.runId}`,
    {
      experimentId: run.experimentId,
      parameters,
    },
  );

  // ---- training ----------------------------------------------------------------
  phase('training');
  const timeoutMs = durationMs(training.timeout);
  const launcher = training.launcher;
  let finished: FinishedRun;
  try {
    if (launcher.webhook) {
      await steps.launchWebhookTraining.executeWithOptions(
        said(`training: webhook to the training platform for run ${run.runId}`),
        [{ webhook: launcher.webhook, run, request }],
      );
    } else {
      const jobs = proxyActivities<TrainingWorkerActivities>({
        taskQueue: trainingTaskQueue(info.taskQueue),
        // The whole job must end within the policy's timeout; a dead training
        // worker is noticed by its missing heartbeats (it sends one every 5 s),
        // and the next attempt adopts the still-running job rather than
        // starting another.
        scheduleToCloseTimeout: timeoutMs,
        startToCloseTimeout: timeoutMs,
        heartbeatTimeout: '20 seconds',
        retry: { initialInterval: '5 seconds', maximumInterval: '1 minute' },
      });
      const job = await jobs.runTrainingJob.executeWithOptions(
        said(
          launcher.mlflowProject
            ? `training: mlflow run ${launcher.mlflowProject.uri} -e ${launcher.mlflowProject.entryPoint} --run-id ${run.runId}`
            : `training: command for run ${run.runId}`,
        ),
        [{ runId: run.runId, launcher, parameters }],
      );
      await record(
        'training-ended',
        'training.ended',
        job.status.toLowerCase(),
        `exit code ${job.exitCode}`,
        {
          adopted: job.adopted,
          alreadyFinished: job.alreadyFinished,
          logArtifact: job.logArtifact,
          logTail: job.logTail.slice(-4000),
        },
      );
    }
    const follow = proxyActivities<Activities>({
      scheduleToCloseTimeout: timeoutMs,
      startToCloseTimeout: timeoutMs,
      heartbeatTimeout: '20 seconds',
      retry: { initialInterval: '2 seconds', maximumInterval: '30 seconds' },
    });
    finished = await follow.awaitTrainingRun.executeWithOptions(
      said(`wait for MLflow run ${run.runId} to end`),
      [{ runId: run.runId }],
    );
  } catch (error) {
    if (isTimeout(error)) {
      await steps.killTrainingRun({ runId: run.runId, reason: `no result within ${training.timeout}` });
      return fail(
        'training-timeout',
        `training did not finish within ${training.timeout}; the run was marked KILLED`,
      );
    }
    return fail('training-error', `training could not be run: ${(error as Error).message}`);
  }
  if (finished.status !== 'FINISHED') {
    return fail('training-failed', `training ended ${finished.status}`, { metrics: finished.metrics });
  }

  // ---- offline acceptance gates ------------------------------------------------
  phase('gates');
  const champion = await steps.versionByAlias.executeWithOptions(
    said(`the ${policy.spec.model.aliases.champion} of ${model}, for the gates`),
    [{ model, alias: policy.spec.model.aliases.champion }],
  );
  const championMetrics = champion?.runId
    ? (
        await steps.readRun.executeWithOptions(said(`metrics of the champion's run ${champion.runId}`), [
          { runId: champion.runId },
        ])
      ).metrics
    : undefined;
  const verdict = checkAcceptance(training.accept, finished.metrics, championMetrics);
  await record('gates', 'gates', verdict.accepted ? 'accepted' : 'rejected', verdict.summary, {
    gates: verdict.gates,
    candidateMetrics: finished.metrics,
    champion: champion
      ? { version: champion.version, runId: champion.runId, metrics: championMetrics }
      : null,
  });
  if (!verdict.accepted) {
    phase('rejected');
    await steps.tagRun.executeWithOptions(said(`tag run ${run.runId} rejected: ${verdict.summary}`), [
      {
        runId: run.runId,
        tags: { 'ctpilot.decision': 'rejected', 'ctpilot.reason': verdict.summary.slice(0, 5000) },
      },
    ]);
    return finish('rejected', verdict.summary);
  }

  // ---- the candidate: a registered version with the challenger alias ------------
  phase('registering');
  let registered: Awaited<ReturnType<Activities['registerCandidate']>>;
  try {
    registered = await registration.registerCandidate.executeWithOptions(
      said(
        `register run ${run.runId} as a version of ${model}, alias ${policy.spec.model.aliases.challenger}`,
      ),
      [
        {
          model,
          runId: run.runId,
          artifactUri: finished.artifactUri,
          modelPath: training.modelPath,
          // Results recorded before modelIds existed have none (histories replay them as they were).
          modelId: finished.modelIds?.[0],
          alias: policy.spec.model.aliases.challenger,
          tags: {
            'ctpilot.policy': policy.spec.metadata.name,
            'ctpilot.policy_version': policy.hash,
            'ctpilot.workflow_id': info.workflowId,
            'ctpilot.trigger': input.trigger,
            'ctpilot.decision': 'accepted',
            'ctpilot.gates': verdict.summary.slice(0, 5000),
          },
        },
      ],
    );
  } catch (error) {
    return fail('registration', `the candidate could not be registered: ${(error as Error).message}`);
  }
  progress.version = registered.version;
  phase('registered');
  await record(
    'challenger-registered',
    'challenger.registered',
    'registered',
    `version ${registered.version} of ${model} is the ${policy.spec.model.aliases.challenger}`,
    { version: registered.version, created: registered.created },
  );

  // ---- shadow, approval, promotion (candidate.ts) ----------------------------
  let outcome: CandidateOutcome;
  try {
    outcome = await judgeAndPromote({
      policy,
      model,
      version: registered.version,
      runId: run.runId,
      championVersion: champion?.version ?? null,
      values,
      progress,
      phase,
      record,
      notify: async (event, summary, description) => {
        if (Object.keys(policy.spec.notify).length === 0) return;
        const at = workflowNowIso();
        const name = `retrain-${input.attempt}`;
        const results = await steps.sendNotification.executeWithOptions(said(`notify ${event}: ${summary}`), [
          {
            receivers: policy.spec.notify,
            notification: {
              event,
              policy: policy.spec.metadata.name,
              model,
              name,
              severity: event === 'failure' ? 'critical' : 'info',
              status: 'firing',
              summary,
              description,
              startsAt: at,
            },
          },
        ]);
        progress.lastDeliveryFailure =
          firstFailure(results, { at, event, name }) ?? progress.lastDeliveryFailure;
      },
    });
  } catch (error) {
    return fail(
      'after-registration',
      `the challenger could not be judged or promoted: ${(error as Error).message}`,
    );
  }
  return finish(outcome.outcome, outcome.summary, {
    ...(outcome.previousVersion !== undefined ? { previousVersion: outcome.previousVersion } : {}),
    ...(outcome.reportUri ? { reportUri: outcome.reportUri } : {}),
  });
}
