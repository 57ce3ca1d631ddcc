// Orchestrator-side training activities: the MLflow run that *is* the training
// request, launching training on an external platform by webhook, following
// the run's status, and closing a run that timed out.
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import axios from 'axios';
import type { MlflowClient } from '../mlflow/client.ts';
import { fromKeyValues, type Metric, type RunStatus } from '../mlflow/schemas.ts';
import { resolveRecord, workerSecretResolver } from '../secrets.ts';
import { SIGNATURE_HEADER, signBody } from '../webhooks/signature.ts';
import type { ParameterValue } from './run-job.ts';

/** Tags every training run carries; the workflow id tag is how a retry finds the run again. */
export const RUN_TAGS = {
  policy: 'ctpilot.policy',
  policyVersion: 'ctpilot.policy_version',
  model: 'ctpilot.model',
  trigger: 'ctpilot.trigger',
  workflowId: 'ctpilot.workflow_id',
  attempt: 'ctpilot.attempt',
} as const;

export interface TrainingRunRequest {
  readonly experiment: string;
  readonly policy: string;
  readonly policyVersion: string;
  readonly model: string;
  readonly trigger: string;
  readonly workflowId: string;
  readonly attempt: number;
  readonly parameters: Readonly<Record<string, ParameterValue>>;
}

export interface TrainingRunRef {
  readonly runId: string;
  readonly experimentId: string;
  readonly artifactUri: string;
  /** False when an earlier attempt had created it (found by its tags). */
  readonly created: boolean;
}

export interface FinishedRun {
  readonly runId: string;
  readonly status: RunStatus;
  /** Latest value of each metric logged on the run (MLflow's ±MAX_VALUE for infinities kept as is). */
  readonly metrics: Readonly<Record<string, number>>;
  readonly artifactUri: string;
  /** MLflow 3: ids of the models the run logged, the last one first. */
  readonly modelIds: readonly string[];
}

export interface WebhookLauncher {
  readonly url: string;
  /** A secret reference, resolved here. */
  readonly secret?: string;
  readonly headers?: Readonly<Record<string, string>>;
}

const TERMINAL: readonly RunStatus[] = ['FINISHED', 'FAILED', 'KILLED'];

export function latestMetrics(metrics: readonly Metric[]): Record<string, number> {
  const latest = new Map<string, Metric>();
  for (const metric of metrics) {
    const seen = latest.get(metric.key);
    if (
      !seen ||
      metric.step > seen.step ||
      (metric.step === seen.step && metric.timestamp >= seen.timestamp)
    ) {
      latest.set(metric.key, metric);
    }
  }
  return Object.fromEntries([...latest].map(([key, m]) => [key, m.value]));
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export function createTrainingRunActivities({ mlflow }: { mlflow: MlflowClient }) {
  return {
    /**
     * The MLflow run for this retrain attempt: found by its workflow-id tag
     * when an earlier attempt created it, created otherwise (status SCHEDULED
     * until a launcher picks it up).
     */
    async ensureTrainingRun(request: TrainingRunRequest): Promise<TrainingRunRef> {
      const experimentId = await mlflow.ensureExperiment(request.experiment);
      const found = await mlflow.findRunsByTags([experimentId], {
        [RUN_TAGS.workflowId]: request.workflowId,
      });
      const existing = found[0];
      if (existing) {
        return {
          runId: existing.info.run_id,
          experimentId,
          artifactUri: existing.info.artifact_uri ?? '',
          created: false,
        };
      }
      const run = await mlflow.createRun({
        experimentId,
        runName: `${request.policy}-retrain-${request.attempt}`,
        tags: {
          [RUN_TAGS.policy]: request.policy,
          [RUN_TAGS.policyVersion]: request.policyVersion,
          [RUN_TAGS.model]: request.model,
          [RUN_TAGS.trigger]: request.trigger,
          [RUN_TAGS.workflowId]: request.workflowId,
          [RUN_TAGS.attempt]: String(request.attempt),
          'mlflow.source.name': 'ctpilot',
        },
      });
      await mlflow.logBatch(run.info.run_id, {
        params: Object.fromEntries(Object.entries(request.parameters).map(([k, v]) => [k, String(v)])),
      });
      await mlflow.updateRun(run.info.run_id, { status: 'SCHEDULED' });
      return {
        runId: run.info.run_id,
        experimentId,
        artifactUri: run.info.artifact_uri ?? '',
        created: true,
      };
    },

    /**
     * Asks an external platform to train for this run (POST, signed). The run
     * id is the idempotency key: a platform receiving it twice must not start
     * twice. The platform reports progress to the MLflow run itself.
     */
    async launchWebhookTraining(input: {
      webhook: WebhookLauncher;
      run: TrainingRunRef;
      request: TrainingRunRequest;
    }): Promise<{ status: number }> {
      const resolver = workerSecretResolver();
      const body = JSON.stringify({
        runId: input.run.runId,
        experimentId: input.run.experimentId,
        trackingUri: mlflow.trackingUri,
        policy: input.request.policy,
        model: input.request.model,
        attempt: input.request.attempt,
        trigger: input.request.trigger,
        parameters: input.request.parameters,
      });
      const headers: Record<string, string> = {
        'Content-Type': 'application/json',
        'Idempotency-Key': input.run.runId,
        ...(await resolveRecord(resolver, input.webhook.headers)),
      };
      if (input.webhook.secret) {
        headers[SIGNATURE_HEADER] = signBody((await resolver.resolve(input.webhook.secret)).reveal(), body);
      }
      const url = (await resolver.interpolate(input.webhook.url)).reveal();
      const response = await axios.post(url, body, { headers, timeout: 30_000, validateStatus: () => true });
      if (response.status >= 200 && response.status < 300) return { status: response.status };
      const message = `training webhook answered HTTP ${response.status}`;
      // 4xx: the platform refused this request; retrying sends the same thing again.
      if (response.status >= 400 && response.status < 500 && response.status !== 429) {
        throw ApplicationFailure.nonRetryable(message, 'TrainingWebhookRejected');
      }
      throw new Error(message);
    },

    /** Follows the run until FINISHED, FAILED or KILLED, heartbeating its status. */
    async awaitTrainingRun(input: { runId: string; pollMs?: number }): Promise<FinishedRun> {
      const context = Context.current();
      for (;;) {
        const run = await mlflow.getRun(input.runId);
        if (TERMINAL.includes(run.info.status)) {
          return {
            runId: input.runId,
            status: run.info.status,
            metrics: latestMetrics(run.data.metrics),
            artifactUri: run.info.artifact_uri ?? '',
            modelIds: run.outputs.model_outputs.map((o) => o.model_id).reverse(),
          };
        }
        context.heartbeat({ status: run.info.status });
        // Cancellation (delivered with a heartbeat) rejects `cancelled` and ends the wait.
        await Promise.race([sleep(input.pollMs ?? 2000), context.cancelled]);
      }
    },

    async tagRun(input: { runId: string; tags: Readonly<Record<string, string>> }): Promise<void> {
      for (const [key, value] of Object.entries(input.tags)) await mlflow.setRunTag(input.runId, key, value);
    },

    /** Marks a run that ran out of time (or whose retrain was abandoned) KILLED, with the reason as a tag. */
    async killTrainingRun(input: { runId: string; reason: string }): Promise<void> {
      const run = await mlflow.getRun(input.runId);
      await mlflow.setRunTag(input.runId, 'ctpilot.killed_reason', input.reason);
      if (!TERMINAL.includes(run.info.status))
        await mlflow.updateRun(input.runId, { status: 'KILLED', endTime: Date.now() });
    },

    /**
     * The attempt number for a new retrain of this policy: above every attempt
     * recorded on its MLflow runs and the controller's own count, so a
     * controller started afresh never reuses a retrain workflow id.
     */
    async nextRetrainAttempt(input: {
      policy: string;
      experiment: string;
      atLeast: number;
    }): Promise<number> {
      const experiment = await mlflow.getExperimentByName(input.experiment);
      if (!experiment) return input.atLeast;
      const runs = await mlflow.findRunsByTags([experiment.experiment_id], {
        [RUN_TAGS.policy]: input.policy,
      });
      const highest = Math.max(
        0,
        ...runs.map((r) => Number(fromKeyValues(r.data.tags)[RUN_TAGS.attempt]) || 0),
      );
      return Math.max(input.atLeast, highest + 1);
    },

    /** A run's latest metrics and tags (gates compare with the champion's training run). */
    async readRun(input: {
      runId: string;
    }): Promise<{ metrics: Record<string, number>; tags: Record<string, string>; status: RunStatus }> {
      const run = await mlflow.getRun(input.runId);
      return {
        metrics: latestMetrics(run.data.metrics),
        tags: fromKeyValues(run.data.tags),
        status: run.info.status,
      };
    },
  };
}
