// Records the workflow histories the replay test (test/unit/workflows/replay.test.ts)
// replays against the current code: representative runs of every workflow,
// captured on the real stack. Re-record only when a workflow change is meant
// to break compatibility (and then version the workflow instead, when
// running executions must survive it).
//
//   node --import tsx test/histories/record.ts
import { fileURLToPath } from 'node:url';
import { Client, Connection } from '@temporalio/client';
import { stringify } from 'yaml';
import { migrate } from '../../activities/postgres/migrate.ts';
import { loadPolicy, type LoadedPolicy } from '../../policies/loader.ts';
import { createClients } from '../../workers/clients.ts';
import { loadConfig } from '../../workers/config.ts';
import { createOrchestratorWorker, createTrainingWorker } from '../../workers/orchestrator.ts';
import { applyPolicies } from '../../workers/policy-sync.ts';
import { bootstrapChampion, startSimulator } from '../../examples/support-tickets/control.ts';
import {
  approveUpdate,
  evaluateNowUpdate,
  pauseUpdate,
  resumeUpdate,
  retrainProgressQuery,
  rollbackUpdate,
  statusQuery,
} from '../../workflows/messages.ts';
import { retrainWorkflow } from '../../workflows/retrain.ts';
import { controllerWorkflowId } from '../../workflows/policy-controller.ts';
import { stackCheckWorkflow } from '../../workflows/stack-check.ts';
import { quietTemporalRuntime, uniqueName } from '../support/env.ts';
import { saveHistory, until } from './recording.ts';
import { startTestStack } from '../support/test-stack.ts';

const here = (file: string) => fileURLToPath(new URL(file, import.meta.url));
const PROJECT = here('../fixtures/training/project');

function policy(name: string, accuracy: string, parameters: Record<string, number>): LoadedPolicy {
  const loaded = loadPolicy(
    stringify({
      apiVersion: 'ctpilot/v1',
      kind: 'RetrainingPolicy',
      metadata: { name },
      model: { name: `${name}-model` },
      evaluate: { every: '1h' },
      metrics: { accuracy: { prometheus: { query: accuracy }, objective: { min: 0.9 } } },
      triggers: { drop: { when: 'accuracy.breached', for: 1, action: 'retrain' } },
      guards: { cooldown: '1h' },
      training: {
        experiment: `${name}-training`,
        launcher: { mlflowProject: { uri: PROJECT, entryPoint: 'train' } },
        parameters,
        timeout: '5m',
        accept: [{ metric: 'val_accuracy', min: 0.9 }],
      },
    }),
    `${name}.yaml`,
  );
  if (!loaded.ok) throw new Error(JSON.stringify(loaded.issues));
  return loaded.policy;
}


const stack = await startTestStack();
Object.assign(process.env, stack.env);
quietTemporalRuntime();
const config = loadConfig();
const clients = createClients(config);
await migrate(clients.pool);
const taskQueue = uniqueName('record');
const orchestrator = await createOrchestratorWorker(config, clients, { taskQueue });
const training = await createTrainingWorker(config, clients, { taskQueue });
const running = Promise.all([orchestrator.worker.run(), training.worker.run()]);
const connection = await Connection.connect({ address: config.temporal.address });
const client = new Client({ connection, namespace: config.temporal.namespace });
try {
  await saveHistory(config, 'stack-check', await client.workflow.start(stackCheckWorkflow, { workflowId: uniqueName('stack-check'), taskQueue, args: [{}] }).then(async (h) => (await h.result(), h)));

  // A controller's life: healthy, decays, retrains (success), held by cooldown, paused and resumed.
  const name = uniqueName('recorded');
  await applyPolicies(client, [policy(name, 'vector(0.95)', { quality: 0.95 })], { taskQueue });
  const controller = client.workflow.getHandle(controllerWorkflowId(name));
  await until(async () => (await controller.query(statusQuery)).lastDecision ?? undefined);
  await applyPolicies(client, [policy(name, 'vector(0.5)', { quality: 0.95 })], { taskQueue });
  await controller.executeUpdate(evaluateNowUpdate, { args: [{ by: 'recorder' }] });
  const retrainId = (await controller.query(statusQuery)).retrain!.workflowId;
  const retrain = client.workflow.getHandle(retrainId);
  await retrain.result();
  await until(async () => ((await controller.query(statusQuery)).retrain === null ? true : undefined));
  await controller.executeUpdate(evaluateNowUpdate, { args: [{ by: 'recorder' }] });
  await controller.executeUpdate(pauseUpdate, { args: [{ by: 'recorder', reason: 'recording' }] });
  await controller.executeUpdate(resumeUpdate, { args: [{ by: 'recorder' }] });
  await saveHistory(config, 'retrain-registered', retrain);
  await saveHistory(config, 'controller-lifecycle', controller);
  await controller.terminate('recorded');

  // A retrain whose training fails.
  const failing = uniqueName('recorded-failing');
  await applyPolicies(client, [policy(failing, 'vector(0.1)', { fail: 2 })], { taskQueue });
  const failingController = client.workflow.getHandle(controllerWorkflowId(failing));
  const failedId = await until(async () => (await failingController.query(statusQuery)).retrain?.workflowId);
  const failed = client.workflow.getHandle(failedId);
  await failed.result().catch(() => undefined);
  await saveHistory(config, 'retrain-failed', failed);
  await failingController.terminate('recorded');

  // Shadow, manual approval, promotion, the bake and a manual rollback, with the example model.
  const modelName = uniqueName('recorded-tickets');
  await bootstrapChampion({ modelName });
  const simulator = await startSimulator({ modelName, rate: 20, labelDelaySeconds: 1, flushSeconds: 1 });
  try {
    process.env.CTPILOT_RECORD_HOOK_SECRET = simulator.hookSecret;
    const promoting = uniqueName('recorded-promotion');
    const loaded = loadPolicy(
      stringify({
        apiVersion: 'ctpilot/v1',
        kind: 'RetrainingPolicy',
        metadata: { name: promoting },
        model: { name: modelName },
        evaluate: { every: '1h' },
        metrics: { accuracy: { prometheus: { query: 'vector(0.95)' }, objective: { min: 0.9 } } },
        triggers: { watch: { when: 'accuracy.breached', for: 1000, action: 'alert' } },
        training: {
          experiment: `${promoting}-retraining`,
          launcher: { mlflowProject: { uri: './examples/support-tickets', entryPoint: 'train' } },
          parameters: { data_uri: 'synthetic', min_rows: 200 },
          timeout: '10m',
        },
        shadow: {
          mode: 'replay',
          duration: '5s',
          maxDuration: '30s',
          minSamples: 30,
          requests: { uri: simulator.requestsPrefix! },
          labels: { uri: simulator.labelsPrefix! },
          endpoint: `${simulator.url}/versions/{{ version }}/invocations`,
          compare: [{ metric: 'agreement', margin: 0.5 }],
        },
        promotion: {
          approval: 'manual',
          approvalTimeout: '10m',
          bake: '1h',
          rollback: { when: 'accuracy.breached', for: 2 },
          deployHook: { url: `${simulator.url}/admin/reload`, secret: '${env:CTPILOT_RECORD_HOOK_SECRET}' },
        },
      }),
      `${promoting}.yaml`,
    );
    if (!loaded.ok) throw new Error(JSON.stringify(loaded.issues));
    await applyPolicies(client, [loaded.policy], { taskQueue });
    const watching = client.workflow.getHandle(controllerWorkflowId(promoting));
    await until(async () => (await watching.query(statusQuery)).lastDecision ?? undefined);
    const promotion = await client.workflow.start(retrainWorkflow, {
      workflowId: `retrain:${promoting}:1`,
      taskQueue,
      args: [
        {
          policy: loaded.policy,
          trigger: 'recorder',
          attempt: 1,
          controllerWorkflowId: controllerWorkflowId(promoting),
          decidedAt: new Date().toISOString(),
          evaluation: 1,
          explanation: 'recorded',
        },
      ],
    });
    await until(async () => ((await promotion.query(retrainProgressQuery)).phase === 'awaiting-approval' ? true : undefined));
    await promotion.executeUpdate(approveUpdate, { args: [{ by: 'recorder', reason: 'recording' }] });
    await promotion.result();
    await until(async () => ((await watching.query(statusQuery)).state.champion?.bakeUntil ? true : undefined));
    await watching.executeUpdate(evaluateNowUpdate, { args: [{ by: 'recorder' }] });
    await watching.executeUpdate(rollbackUpdate, { args: [{ by: 'recorder', reason: 'recording a rollback' }] });
    await saveHistory(config, 'retrain-promoted', promotion);
    await saveHistory(config, 'controller-promotion', watching);
    await watching.terminate('recorded');
  } finally {
    await simulator.stop();
  }
} finally {
  orchestrator.worker.shutdown();
  training.worker.shutdown();
  await running;
  await connection.close();
  await clients.close();
  await stack.stop();
}
