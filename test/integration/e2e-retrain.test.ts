// End to end on the real stack with the example model: a support-ticket
// classifier served by the simulator, watched through Prometheus. Drift is
// injected; accuracy falls below the policy's objective for the configured
// number of evaluations; exactly one retraining workflow trains the real
// scikit-learn project on the logged, labelled traffic; the new version is
// registered with the challenger alias; the audit chain verifies.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Client, Connection } from '@temporalio/client';
import type { Worker } from '@temporalio/worker';
import { stringify } from 'yaml';
import { fromKeyValues } from '../../activities/mlflow/schemas.ts';
import { migrate } from '../../activities/postgres/migrate.ts';
import { bootstrapChampion, type Simulator, startSimulator } from '../../examples/support-tickets/control.ts';
import { loadPolicy } from '../../policies/loader.ts';
import { type Clients, createClients } from '../../workers/clients.ts';
import { createOrchestratorWorker, createTrainingWorker } from '../../workers/orchestrator.ts';
import { applyPolicies } from '../../workers/policy-sync.ts';
import { type RetrainResult, statusQuery } from '../../workflows/messages.ts';
import { controllerWorkflowId } from '../../workflows/policy-controller.ts';
import { quietTemporalRuntime, testConfig, uniqueName } from '../support/env.ts';
import { waitFor } from '../support/wait-for.ts';

describe('drift → retrain → challenger, with the example model', () => {
  const config = testConfig();
  const taskQueue = uniqueName('e2e');
  const name = uniqueName('tickets');
  const modelName = `${name}-classifier`;
  let clients: Clients;
  let connection: Connection;
  let client: Client;
  let simulator: Simulator;
  const workers: Worker[] = [];
  let running: Promise<unknown>;

  before(async () => {
    quietTemporalRuntime();
    clients = createClients(config);
    await migrate(clients.pool);
    const champion = await bootstrapChampion({ modelName });
    assert.equal(champion.version, '1');
    simulator = await startSimulator({
      modelName,
      rate: 20,
      labelDelaySeconds: 1,
      scrapeInterval: '2s',
      flushSeconds: 1,
    });
    const orchestrator = await createOrchestratorWorker(config, clients, { taskQueue });
    const training = await createTrainingWorker(config, clients, { taskQueue });
    workers.push(orchestrator.worker, training.worker);
    running = Promise.all(workers.map((w) => w.run()));
    connection = await Connection.connect({ address: config.temporal.address });
    client = new Client({ connection, namespace: config.temporal.namespace });
  });

  after(async () => {
    await client.workflow
      .getHandle(controllerWorkflowId(name))
      .terminate('test finished')
      .catch(() => undefined);
    await simulator?.stop();
    for (const w of workers) w.shutdown();
    await running;
    await connection.close();
    await clients.close();
  });

  it('retrains exactly once on the drifted traffic and registers the challenger', async () => {
    // Accuracy over labelled tickets of the last 30 s, with the label count as its samples.
    const selector = `{model="{{ model.name }}"}`;
    const document = {
      apiVersion: 'ctpilot/v1',
      kind: 'RetrainingPolicy',
      metadata: { name, owner: 'e2e' },
      model: { name: modelName },
      evaluate: { every: '5s' },
      metrics: {
        accuracy: {
          prometheus: {
            query: `sum(increase(support_tickets_correct_predictions_total${selector}[30s])) / sum(increase(support_tickets_labels_total${selector}[30s]))`,
            samples: `sum(increase(support_tickets_labels_total${selector}[30s]))`,
          },
          objective: { min: 0.8 },
          minSamples: 50,
        },
      },
      triggers: { 'accuracy-drop': { when: 'accuracy.breached', for: 2, action: 'retrain' } },
      guards: { cooldown: '1h' },
      training: {
        experiment: `${name}-retraining`,
        launcher: { mlflowProject: { uri: './examples/support-tickets', entryPoint: 'train' } },
        // The last 40 s of labelled traffic: after the drift, the window the model must learn.
        parameters: { data_uri: simulator.logPrefix!, since: '40s', min_rows: 200 },
        timeout: '10m',
        accept: [{ metric: 'val_accuracy', min: 0.8 }],
      },
    };
    const loaded = loadPolicy(stringify(document), `${name}.yaml`);
    assert.ok(loaded.ok, JSON.stringify(!loaded.ok && loaded.issues));
    await applyPolicies(client, [loaded.policy], { taskQueue });
    const controller = client.workflow.getHandle(controllerWorkflowId(name));

    // Healthy first: the champion is accurate and the controller says so.
    await waitFor(
      'an ok decision on the healthy model',
      async () => ((await controller.query(statusQuery)).lastDecision?.outcome === 'ok' ? true : undefined),
      120_000,
    );

    await simulator.injectDrift(1);
    const status = await waitFor(
      'the retrain',
      async () => {
        const s = await controller.query(statusQuery);
        return (s.retrain ?? s.lastRetrain) ? s : undefined;
      },
      240_000,
    );
    const retrainId = status.retrain?.workflowId ?? status.lastRetrain!.workflowId;
    const result: RetrainResult = await client.workflow.getHandle(retrainId).result();
    assert.equal(result.outcome, 'registered', result.summary);

    // The decision that started it: accuracy below 0.8 on two consecutive evaluations.
    const started = (await clients.audit.rows({ model: modelName })).find(
      (r) => r.kind === 'retrain.started',
    );
    assert.ok(started);
    assert.match(JSON.stringify(started.details), /accuracy/);

    // Exactly one retraining workflow and one MLflow run, tagged.
    const retrains = [];
    for await (const w of client.workflow.list({
      query: `WorkflowType = 'retrainWorkflow' AND CtPolicy = '${name}'`,
    })) {
      retrains.push(w.workflowId);
    }
    assert.deepEqual(retrains, [retrainId]);
    const experiment = await clients.mlflow.getExperimentByName(`${name}-retraining`);
    const runs = await clients.mlflow.findRunsByTags([experiment!.experiment_id], { 'ctpilot.policy': name });
    assert.equal(runs.length, 1);
    const run = runs[0]!;
    assert.equal(fromKeyValues(run.data.tags)['ctpilot.workflow_id'], retrainId);
    assert.equal(run.info.status, 'FINISHED');
    const metrics = Object.fromEntries(run.data.metrics.map((m) => [m.key, m.value]));
    assert.ok((metrics.train_rows ?? 0) >= 200, `trained on ${metrics.train_rows} rows of logged traffic`);
    assert.ok((metrics.val_accuracy ?? 0) >= 0.8, `val_accuracy ${metrics.val_accuracy}`);

    // The version is registered from that run, loadable, and is the challenger; the champion did not move.
    const challenger = await clients.mlflow.getAlias(modelName, 'challenger');
    assert.equal(challenger?.version, result.version);
    assert.equal(challenger?.run_id, run.info.run_id);
    assert.equal((await clients.mlflow.getAlias(modelName, 'champion'))?.version, '1');
    const scored = await fetch(`${simulator.url}/aliases/challenger/invocations`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ dataframe_records: [{ text: 'my invoice was charged twice' }] }),
    });
    assert.equal(scored.status, 200, await scored.clone().text());

    const [report] = await clients.audit.verify(modelName);
    assert.equal(report?.ok, true, JSON.stringify(report?.problems));
  });
});
