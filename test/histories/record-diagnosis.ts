// Records the histories of a diagnosing controller for the replay test: one
// whose retrain the diagnosis holds (a data-quality incident: the alert goes
// out, no retrain), and one whose concept drift, confirmed by the KPI, starts
// a retrain that carries the diagnosis. Windows from the seeded scenarios,
// written to the test stack's S3.
//
//   node --import tsx test/histories/record-diagnosis.ts
import { Client, Connection } from '@temporalio/client';
import { stringify } from 'yaml';
import { migrate } from '../../activities/postgres/migrate.ts';
import { loadPolicy } from '../../policies/loader.ts';
import { createClients } from '../../workers/clients.ts';
import { loadConfig } from '../../workers/config.ts';
import { createOrchestratorWorker, createTrainingWorker } from '../../workers/orchestrator.ts';
import { applyPolicies } from '../../workers/policy-sync.ts';
import { evaluateNowUpdate, statusQuery } from '../../workflows/messages.ts';
import { controllerWorkflowId } from '../../workflows/policy-controller.ts';
import type { ScenarioName } from '../support/diagnosis-scenarios.ts';
import { diagnosisWorld } from '../support/diagnosis-world.ts';
import { quietTemporalRuntime, uniqueName } from '../support/env.ts';
import { saveHistory, until } from './recording.ts';
import { startTestStack } from '../support/test-stack.ts';


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


async function diagnosing(world: ScenarioName, ctr: number) {
  const name = uniqueName('recorded-diagnosis');
  const document = await diagnosisWorld(clients.store, {
    name,
    world,
    prefix: `s3://${config.s3.bucket}/recorded/${name}/`,
    ctr,
  });
  const loaded = loadPolicy(stringify(document), `${name}.yaml`);
  if (!loaded.ok) throw new Error(JSON.stringify(loaded.issues));
  await applyPolicies(client, [loaded.policy], { taskQueue });
  return client.workflow.getHandle(controllerWorkflowId(name));
}

try {
  // Data quality: the retrain is held, evaluated twice (the second time the cause is known).
  const held = await diagnosing('data-quality', 0.05);
  await until(async () => ((await held.query(statusQuery)).lastDecision?.diagnosis ? true : undefined));
  await held.executeUpdate(evaluateNowUpdate, { args: [{ by: 'recorder' }] });
  await saveHistory(config, 'controller-diagnosis-held', held);
  await held.terminate('recorded');

  // Concept drift with a KPI drop: a retrain, carrying the diagnosis.
  const confirmed = await diagnosing('concept-drift-kpi-drop', 0.03);
  const retrainId = await until(async () => (await confirmed.query(statusQuery)).retrain?.workflowId);
  const retrain = client.workflow.getHandle(retrainId);
  await retrain.result();
  await until(async () => ((await confirmed.query(statusQuery)).retrain === null ? true : undefined));
  await saveHistory(config, 'retrain-diagnosed', retrain);
  await saveHistory(config, 'controller-diagnosis-retrain', confirmed);
  await confirmed.terminate('recorded');
} finally {
  orchestrator.worker.shutdown();
  training.worker.shutdown();
  await running;
  await connection.close();
  await clients.close();
  await stack.stop();
}
