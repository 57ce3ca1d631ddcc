// Records the histories of a diagnosing controller for the replay test: one
// whose retrain the diagnosis holds (a data-quality incident: the alert goes
// out, no retrain), and one whose concept drift, confirmed by the KPI, starts
// a retrain that carries the diagnosis. Windows from the seeded scenarios,
// written to the test stack's S3.
//
//   node --import tsx test/histories/record-diagnosis.ts
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Client, Connection, type WorkflowHandle } from '@temporalio/client';
import { stringify } from 'yaml';
import { migrate } from '../../activities/postgres/migrate.ts';
import { temporalCli } from '../../infra/stack/services/temporal.ts';
import { loadPolicy } from '../../policies/loader.ts';
import type { Table } from '../../stats/columns.ts';
import { createClients } from '../../workers/clients.ts';
import { loadConfig } from '../../workers/config.ts';
import { createOrchestratorWorker, createTrainingWorker } from '../../workers/orchestrator.ts';
import { applyPolicies } from '../../workers/policy-sync.ts';
import { evaluateNowUpdate, statusQuery } from '../../workflows/messages.ts';
import { controllerWorkflowId } from '../../workflows/policy-controller.ts';
import { type ScenarioName, scenario } from '../support/diagnosis-scenarios.ts';
import { quietTemporalRuntime, uniqueName } from '../support/env.ts';
import { startTestStack } from '../support/test-stack.ts';

const here = (file: string) => fileURLToPath(new URL(file, import.meta.url));
const PROJECT = here('../fixtures/training/project');

function records(table: Table): Record<string, number | string | null>[] {
  const names = Object.keys(table);
  const n = Math.max(...names.map((c) => table[c]!.values.length));
  return Array.from({ length: n }, (_, i) =>
    Object.fromEntries(
      names.map((c) => {
        const v = table[c]!.values[i];
        return [c, typeof v === 'number' ? (Number.isFinite(v) ? v : null) : (v ?? null)];
      }),
    ),
  );
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

async function save(name: string, handle: WorkflowHandle): Promise<void> {
  const shown = spawnSync(
    temporalCli(config),
    ['workflow', 'show', '--workflow-id', handle.workflowId, '--output', 'json', '--address', config.temporal.address],
    { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 },
  );
  if (shown.status !== 0) throw new Error(`temporal workflow show failed: ${shown.stderr}`);
  const history = JSON.parse(shown.stdout) as { events: unknown[] };
  writeFileSync(here(`./${name}.json`), `${JSON.stringify(history, null, 1)}\n`);
  console.log(`recorded ${name}.json (${history.events.length} events)`);
}

async function until<T>(probe: () => Promise<T | undefined>): Promise<T> {
  for (let i = 0; i < 600; i++) {
    const value = await probe();
    if (value !== undefined) return value;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error('timed out');
}

async function diagnosing(world: ScenarioName, ctr: number) {
  const name = uniqueName('recorded-diagnosis');
  const s = scenario(world);
  const prefix = `s3://${config.s3.bucket}/recorded/${name}/`;
  await clients.store.putJsonLines(`${prefix}reference.jsonl`, records(s.reference));
  await clients.store.putJsonLines(`${prefix}current.jsonl`, records(s.current));
  const loaded = loadPolicy(
    stringify({
      apiVersion: 'ctpilot/v1',
      kind: 'RetrainingPolicy',
      metadata: { name },
      model: { name: `${name}-model` },
      evaluate: { every: '1h' },
      metrics: {
        accuracy: { prometheus: { query: 'vector(0.7)' }, objective: { min: 0.75 } },
        ctr: {
          prometheus: { query: `vector(${ctr})` },
          objective: { change: { baseline: { value: 0.05 }, maxRelativeDrop: 0.1 } },
        },
      },
      triggers: { drop: { when: 'accuracy.breached', for: 1, action: 'retrain' } },
      guards: { cooldown: '1h' },
      training: {
        experiment: `${name}-training`,
        launcher: { mlflowProject: { uri: PROJECT, entryPoint: 'train' } },
        parameters: { quality: 0.95 },
        timeout: '5m',
        accept: [{ metric: 'val_accuracy', min: 0.9 }],
      },
      diagnosis: {
        reference: { uri: `${prefix}reference.jsonl` },
        current: { uri: `${prefix}current.jsonl` },
        columns: { features: [...s.roles.features], score: s.roles.score, label: s.roles.label, segment: 'segment' },
        kpi: 'ctr',
      },
    }),
    `${name}.yaml`,
  );
  if (!loaded.ok) throw new Error(JSON.stringify(loaded.issues));
  await applyPolicies(client, [loaded.policy], { taskQueue });
  return client.workflow.getHandle(controllerWorkflowId(name));
}

try {
  // Data quality: the retrain is held, evaluated twice (the second time the cause is known).
  const held = await diagnosing('data-quality', 0.05);
  await until(async () => ((await held.query(statusQuery)).lastDecision?.diagnosis ? true : undefined));
  await held.executeUpdate(evaluateNowUpdate, { args: [{ by: 'recorder' }] });
  await save('controller-diagnosis-held', held);
  await held.terminate('recorded');

  // Concept drift with a KPI drop: a retrain, carrying the diagnosis.
  const confirmed = await diagnosing('concept-drift-kpi-drop', 0.03);
  const retrainId = await until(async () => (await confirmed.query(statusQuery)).retrain?.workflowId);
  const retrain = client.workflow.getHandle(retrainId);
  await retrain.result();
  await until(async () => ((await confirmed.query(statusQuery)).retrain === null ? true : undefined));
  await save('retrain-diagnosed', retrain);
  await save('controller-diagnosis-retrain', confirmed);
  await confirmed.terminate('recorded');
} finally {
  orchestrator.worker.shutdown();
  training.worker.shutdown();
  await running;
  await connection.close();
  await clients.close();
  await stack.stop();
}
