// Training activities against the real MLflow server, run in Temporal's
// activity test environment (it supplies the activity context: heartbeats,
// cancellation). Workflow-level tests cover them on a real worker.
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { MockActivityEnvironment } from '@temporalio/testing';
import { MlflowClient } from '../../activities/mlflow/client.ts';
import { fromKeyValues } from '../../activities/mlflow/schemas.ts';
import { createRegistryActivities } from '../../activities/registry.ts';
import { createTrainingWorkerActivities, TRAINING_LOG_ARTIFACT } from '../../activities/training/run-job.ts';
import {
  createTrainingRunActivities,
  RUN_TAGS,
  type TrainingRunRequest,
} from '../../activities/training/training-runs.ts';
import { verifySignature } from '../../activities/webhooks/signature.ts';
import { freePorts } from '../../infra/stack/ports.ts';
import { testConfig, uniqueName } from '../support/env.ts';

const PROJECT = fileURLToPath(new URL('../fixtures/training/project', import.meta.url));

describe('training activities against the real MLflow server', () => {
  const config = testConfig();
  const mlflow = new MlflowClient({ trackingUri: config.mlflow.trackingUri });
  const runs = createTrainingRunActivities({ mlflow });
  const jobs = createTrainingWorkerActivities({ config, mlflow });
  const registry = createRegistryActivities({ mlflow });
  /** Runs an activity in Temporal's activity test environment, keeping its types. */
  const act = <A extends unknown[], R>(fn: (...args: A) => Promise<R>, ...args: A): Promise<R> =>
    new MockActivityEnvironment().run(fn, ...args) as Promise<R>;
  const experiment = uniqueName('training-test');

  const request = (workflowId: string, extra: Partial<TrainingRunRequest> = {}): TrainingRunRequest => ({
    experiment,
    policy: 'tickets',
    policyVersion: 'sha256:abc',
    model: 'tickets-model',
    trigger: 'accuracy-breach',
    workflowId,
    attempt: 1,
    parameters: { quality: 0.91 },
    ...extra,
  });

  it('creates the training run once, tagged and SCHEDULED, and finds it again on retry', async () => {
    const workflowId = uniqueName('retrain:tickets');
    const first = await act(runs.ensureTrainingRun, request(workflowId));
    const again = await act(runs.ensureTrainingRun, request(workflowId));
    assert.equal(first.created, true);
    assert.equal(again.created, false);
    assert.equal(again.runId, first.runId);
    const run = await mlflow.getRun(first.runId);
    assert.equal(run.info.status, 'SCHEDULED');
    const tags = fromKeyValues(run.data.tags);
    assert.equal(tags[RUN_TAGS.workflowId], workflowId);
    assert.equal(tags[RUN_TAGS.policyVersion], 'sha256:abc');
    assert.equal(tags[RUN_TAGS.trigger], 'accuracy-breach');
    assert.equal(fromKeyValues(run.data.params).quality, '0.91');
  });

  it('runs an MLflow project into the existing run, keeps its log, and never trains twice', async () => {
    const run = await act(runs.ensureTrainingRun, request(uniqueName('retrain:tickets')));
    const launcher = { mlflowProject: { uri: PROJECT, entryPoint: 'train', envManager: 'local' as const } };
    const result = await act(jobs.runTrainingJob, {
      runId: run.runId,
      launcher,
      parameters: { quality: 0.93 },
    });
    assert.equal(result.status, 'FINISHED', result.logTail);
    assert.equal(result.exitCode, 0);
    assert.equal(result.logArtifact, TRAINING_LOG_ARTIFACT);
    const finished = await act(runs.awaitTrainingRun, { runId: run.runId });
    assert.equal(finished.metrics.val_accuracy, 0.93);
    assert.equal(finished.metrics.loss, 1 / 3, 'the latest step of a metric');
    const log = await mlflow.downloadArtifact({ artifact_uri: run.artifactUri }, TRAINING_LOG_ARTIFACT);
    assert.match(log, new RegExp(`training for run ${run.runId}`));

    const retry = await act(jobs.runTrainingJob, {
      runId: run.runId,
      launcher,
      parameters: { quality: 0.93 },
    });
    assert.equal(retry.alreadyFinished, true);
    const pids = (await mlflow.getRun(run.runId)).data.params.filter((p) => p.key === 'pid');
    assert.equal(pids.length, 1, 'training ran once');
  });

  it('a failing project leaves the run FAILED with the reason in the log tail', async () => {
    const run = await act(runs.ensureTrainingRun, request(uniqueName('retrain:tickets')));
    const result = await act(jobs.runTrainingJob, {
      runId: run.runId,
      launcher: { mlflowProject: { uri: PROJECT, entryPoint: 'train', envManager: 'local' } },
      parameters: { fail: 2 },
    });
    assert.equal(result.status, 'FAILED');
    assert.notEqual(result.exitCode, 0);
    assert.match(result.logTail, /training failed on purpose/);
  });

  it('runs a command with MLFLOW_RUN_ID set and closes the run by its exit code', async () => {
    const run = await act(runs.ensureTrainingRun, request(uniqueName('retrain:tickets')));
    const script = [
      'import os, mlflow',
      'c = mlflow.MlflowClient()',
      "c.log_metric(os.environ['MLFLOW_RUN_ID'], 'val_accuracy', float(os.environ['CTPILOT_PARAM_QUALITY']))",
      "print('token', os.environ['TRAINING_TOKEN'] == 's3cret')",
    ].join('\n');
    process.env.CTPILOT_TEST_TRAINING_TOKEN = 's3cret';
    const result = await act(jobs.runTrainingJob, {
      runId: run.runId,
      launcher: {
        command: {
          run: ['python', '-c', script],
          // biome-ignore lint/suspicious/noTemplateCurlyInString: a secret reference, resolved by the activity
          env: { TRAINING_TOKEN: '${env:CTPILOT_TEST_TRAINING_TOKEN}' },
        },
      },
      parameters: { quality: 0.88 },
    });
    assert.equal(result.status, 'FINISHED', result.logTail);
    assert.match(
      result.logTail,
      /token True/,
      'the secret reference was resolved in the job, not passed as text',
    );
    const { metrics } = await act(runs.readRun, { runId: run.runId });
    assert.equal(metrics.val_accuracy, 0.88);
  });

  it('cancelling the activity kills the job and marks the run KILLED', async () => {
    const run = await act(runs.ensureTrainingRun, request(uniqueName('retrain:tickets')));
    const activity = new MockActivityEnvironment();
    setTimeout(() => activity.cancel(), 1500);
    await assert.rejects(
      activity.run(jobs.runTrainingJob, {
        runId: run.runId,
        launcher: { command: { run: ['sleep', '120'] } },
        parameters: {},
      }),
      /cancelled/,
    );
    assert.equal((await mlflow.getRun(run.runId)).info.status, 'KILLED');
  });

  describe('webhook launcher (an external platform)', () => {
    let platform: Server;
    let url = '';
    const received: Array<{
      verified: boolean;
      body: { runId: string; parameters: Record<string, unknown> };
    }> = [];

    before(async () => {
      // A stand-in for Kubeflow/SageMaker: verifies the signature, then
      // "trains" by reporting to the MLflow run, as a real platform would.
      platform = createServer((req, res) => {
        let raw = '';
        req.on('data', (chunk) => {
          raw += chunk;
        });
        req.on('end', async () => {
          const verified = verifySignature(
            'platform-secret',
            raw,
            req.headers['x-ctpilot-signature'] as string,
          ).ok;
          const body = JSON.parse(raw);
          received.push({ verified, body });
          res.writeHead(verified ? 202 : 401).end();
          if (verified) {
            await mlflow.logBatch(body.runId, { metrics: [{ key: 'val_accuracy', value: 0.95 }] });
            await mlflow.updateRun(body.runId, { status: 'FINISHED', endTime: Date.now() });
          }
        });
      });
      const [port] = await freePorts(1);
      await new Promise<void>((resolve) => platform.listen(port, '127.0.0.1', resolve));
      url = `http://127.0.0.1:${port}/train`;
      process.env.CTPILOT_TEST_PLATFORM_SECRET = 'platform-secret';
    });
    after(() => platform.close());

    it('posts a signed request and follows the run the platform finishes', async () => {
      const req = request(uniqueName('retrain:tickets'));
      const run = await act(runs.ensureTrainingRun, req);
      await act(runs.launchWebhookTraining, {
        // biome-ignore lint/suspicious/noTemplateCurlyInString: a secret reference, resolved by the activity
        webhook: { url, secret: '${env:CTPILOT_TEST_PLATFORM_SECRET}' },
        run,
        request: req,
      });
      const finished = await act(runs.awaitTrainingRun, { runId: run.runId, pollMs: 100 });
      assert.equal(finished.status, 'FINISHED');
      assert.equal(finished.metrics.val_accuracy, 0.95);
      assert.equal(received.at(-1)?.verified, true);
      assert.equal(received.at(-1)?.body.runId, run.runId);
    });

    it('a platform that refuses (4xx) fails without retrying', async () => {
      const req = request(uniqueName('retrain:tickets'));
      const run = await act(runs.ensureTrainingRun, req);
      await assert.rejects(
        act(runs.launchWebhookTraining, {
          webhook: { url },
          run,
          request: req,
          trackingUri: config.mlflow.trackingUri,
        }),
        (error: unknown) =>
          (error as { nonRetryable?: boolean }).nonRetryable === true && /HTTP 401/.test(String(error)),
      );
    });
  });

  /** What registerCandidate gets for the model of a training run. */
  const candidate = (model: string, run: { runId: string; artifactUri: string }) => ({
    model,
    runId: run.runId,
    artifactUri: run.artifactUri,
    modelPath: 'model',
    alias: 'challenger',
    tags: { 'ctpilot.decision': 'accepted' },
  });

  it('registers the candidate once per run, READY, tagged, with the challenger alias', async () => {
    const model = uniqueName('tickets-model');
    const run = await act(runs.ensureTrainingRun, request(uniqueName('retrain:tickets'), { model }));
    const input = candidate(model, run);
    const first = await act(registry.registerCandidate, input);
    const second = await act(registry.registerCandidate, input);
    assert.equal(first.created, true);
    assert.equal(second.created, false);
    assert.equal(second.version, first.version);
    assert.deepEqual(second.aliases, ['challenger']);
    assert.equal(second.tags['ctpilot.decision'], 'accepted');
    assert.equal(
      (await act(registry.versionByAlias, { model, alias: 'challenger' }))?.version,
      first.version,
    );
    assert.equal(await act(registry.versionByAlias, { model, alias: 'champion' }), undefined);
  });

  it('attempts racing on one run (an earlier one held up in the network) agree on its lowest version and delete the rest', async () => {
    const model = uniqueName('tickets-model');
    const run = await act(runs.ensureTrainingRun, request(uniqueName('retrain:tickets'), { model }));
    const input = candidate(model, run);
    // Two attempts at once: both may look before either registers.
    const [a, b] = await Promise.all([
      act(registry.registerCandidate, input),
      act(registry.registerCandidate, input),
    ]);
    assert.equal(a.version, b.version);
    const left = async () =>
      (await mlflow.searchModelVersions({ filter: `name = '${model}'` })).versions.map((v) => v.version);
    assert.deepEqual(await left(), [a.version]);

    // A held-up request that lands after the candidate was chosen: a higher version of the same run.
    await mlflow.createModelVersion({
      name: model,
      source: `${run.artifactUri}/model`,
      runId: run.runId,
      tags: {},
    });
    const again = await act(registry.registerCandidate, input);
    assert.equal(again.version, a.version);
    assert.equal(again.created, false);
    assert.deepEqual(await left(), [a.version], 'the later duplicate is deleted');
    assert.equal((await act(registry.versionByAlias, { model, alias: 'challenger' }))?.version, a.version);
  });
});
