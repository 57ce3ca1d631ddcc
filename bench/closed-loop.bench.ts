// The closed loop's own costs, on the real stack (started here on free ports):
//
//   1. breach → MLflow training run created: an evaluation that finds the
//      breach (evaluate-now, so the cadence does not count) until the run
//      exists in MLflow — the orchestration overhead a policy adds to its cadence;
//   2. drift injected into the example's traffic → run created: the whole
//      path (labels, Prometheus scrape, cadence, persistence) as a user sees it;
//   3. the controller's cost per evaluation: history events and bytes, and
//      the evaluation activity's duration — how many policies one worker holds.
//
//   node --import tsx bench/closed-loop.bench.ts [rounds]
import { Client, Connection } from '@temporalio/client';
import { stringify } from 'yaml';
import { migrate } from '../activities/postgres/migrate.ts';
import { bootstrapChampion, startSimulator } from '../examples/support-tickets/control.ts';
import { type LoadedPolicy, loadPolicy } from '../policies/loader.ts';
import { quietTemporalRuntime, uniqueName } from '../test/support/env.ts';
import { startTestStack } from '../test/support/test-stack.ts';
import { createClients } from '../workers/clients.ts';
import { loadConfig } from '../workers/config.ts';
import { createOrchestratorWorker, createTrainingWorker } from '../workers/orchestrator.ts';
import { applyPolicies } from '../workers/policy-sync.ts';
import { evaluateNowUpdate, statusQuery } from '../workflows/messages.ts';
import { controllerWorkflowId } from '../workflows/policy-controller.ts';

const rounds = Number(process.argv[2] ?? 5);
const PROJECT = new URL('../test/fixtures/training/project', import.meta.url).pathname;

function policy(name: string, extra: Record<string, unknown> = {}): LoadedPolicy {
  const loaded = loadPolicy(
    stringify({
      apiVersion: 'ctpilot/v1',
      kind: 'RetrainingPolicy',
      metadata: { name },
      model: { name: `${name}-model` },
      evaluate: { every: '1h' },
      metrics: { accuracy: { prometheus: { query: 'vector(0.5)' }, objective: { min: 0.9 } } },
      triggers: { drop: { when: 'accuracy.breached', for: 1, action: 'retrain' } },
      training: {
        experiment: `${name}-training`,
        launcher: { mlflowProject: { uri: PROJECT, entryPoint: 'train' } },
        parameters: { quality: 0.95 },
        timeout: '10m',
      },
      ...extra,
    }),
    `${name}.yaml`,
  );
  if (!loaded.ok) throw new Error(JSON.stringify(loaded.issues));
  return loaded.policy;
}

const quantile = (xs: number[], q: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))]!;
};
const fmt = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

const stack = await startTestStack();
Object.assign(process.env, stack.env);
quietTemporalRuntime();
const config = loadConfig();
const clients = createClients(config);
await migrate(clients.pool);
const taskQueue = uniqueName('bench');
const orchestrator = await createOrchestratorWorker(config, clients, { taskQueue });
const training = await createTrainingWorker(config, clients, { taskQueue });
const running = Promise.all([orchestrator.worker.run(), training.worker.run()]);
const connection = await Connection.connect({ address: config.temporal.address });
const client = new Client({ connection, namespace: config.temporal.namespace });

async function runCreated(name: string, since: number): Promise<number> {
  for (;;) {
    const experiment = await clients.mlflow.getExperimentByName(`${name}-training`);
    if (experiment) {
      const [run] = await clients.mlflow.findRunsByTags([experiment.experiment_id], {
        'ctpilot.policy': name,
      });
      if (run) return Date.now() - since;
    }
    await new Promise((r) => setTimeout(r, 20));
  }
}

try {
  // 1. breach → run created, orchestration only.
  const latencies: number[] = [];
  for (let i = 0; i < rounds; i++) {
    const name = uniqueName('bench-breach');
    // A healthy version first, so the controller is up and has evaluated once.
    await applyPolicies(
      client,
      [
        policy(name, {
          metrics: { accuracy: { prometheus: { query: 'vector(0.95)' }, objective: { min: 0.9 } } },
        }),
      ],
      { taskQueue },
    );
    const handle = client.workflow.getHandle(controllerWorkflowId(name));
    while (!(await handle.query(statusQuery)).lastDecision) await new Promise((r) => setTimeout(r, 50));
    await applyPolicies(client, [policy(name)], { taskQueue });
    const t0 = Date.now();
    await handle.executeUpdate(evaluateNowUpdate, { args: [{ by: 'bench' }] });
    latencies.push(await runCreated(name, t0));
    await handle.terminate('bench');
  }
  console.log(
    `breach → MLflow run created (evaluate-now, ${rounds} rounds): median ${fmt(quantile(latencies, 0.5))}, max ${fmt(Math.max(...latencies))}`,
  );

  // 3. cost per evaluation.
  const name = uniqueName('bench-cost');
  await applyPolicies(
    client,
    [
      policy(name, {
        metrics: { accuracy: { prometheus: { query: 'vector(0.95)' }, objective: { min: 0.9 } } },
      }),
    ],
    { taskQueue },
  );
  const handle = client.workflow.getHandle(controllerWorkflowId(name));
  while (!(await handle.query(statusQuery)).lastDecision) await new Promise((r) => setTimeout(r, 50));
  const before = await handle.fetchHistory();
  const evaluations = 20;
  const times: number[] = [];
  for (let i = 0; i < evaluations; i++) {
    const t = Date.now();
    await handle.executeUpdate(evaluateNowUpdate, { args: [{ by: 'bench' }] });
    times.push(Date.now() - t);
  }
  const after = await handle.fetchHistory();
  const events = (after.events?.length ?? 0) - (before.events?.length ?? 0);
  const bytes = JSON.stringify(after).length - JSON.stringify(before).length;
  const count = (h: typeof after, which: (e: NonNullable<typeof after.events>[number]) => unknown) =>
    (h.events ?? []).filter(which).length;
  const activities =
    count(after, (e) => e.activityTaskScheduledEventAttributes) -
    count(before, (e) => e.activityTaskScheduledEventAttributes);
  // Evaluations over Prometheus run as local activities: a marker each.
  const local =
    count(after, (e) => e.markerRecordedEventAttributes?.markerName === 'core_local_activity') -
    count(before, (e) => e.markerRecordedEventAttributes?.markerName === 'core_local_activity');
  const tasks =
    count(after, (e) => e.workflowTaskCompletedEventAttributes) -
    count(before, (e) => e.workflowTaskCompletedEventAttributes);
  console.log(
    `controller cost per evaluation (${evaluations} evaluations, 1 Prometheus metric): ${(events / evaluations).toFixed(1)} history events, ` +
      `${(tasks / evaluations).toFixed(1)} workflow tasks, ${(activities / evaluations).toFixed(1)} activities + ${(local / evaluations).toFixed(1)} local, ` +
      `~${Math.round(bytes / evaluations / 1024)} KiB of history (JSON), ` +
      `evaluate-now round trip median ${quantile(times, 0.5)} ms`,
  );
  console.log(
    `  at a 5-minute cadence: ${Math.round((events / evaluations) * 288)} events/day per policy; Temporal suggests continue-as-new well before its 51,200-event limit`,
  );
  await handle.terminate('bench');

  // 2. drift injected → run created, the whole path.
  const modelName = uniqueName('bench-tickets');
  await bootstrapChampion({ modelName });
  const simulator = await startSimulator({
    modelName,
    rate: 20,
    labelDelaySeconds: 1,
    scrapeInterval: '2s',
    flushSeconds: 1,
  });
  try {
    const e2e = uniqueName('bench-e2e');
    const selector = `{model="${modelName}"}`;
    await applyPolicies(
      client,
      [
        policy(e2e, {
          model: { name: modelName },
          evaluate: { every: '5s' },
          metrics: {
            accuracy: {
              prometheus: {
                query: `sum(increase(support_tickets_correct_predictions_total${selector}[30s])) / sum(increase(support_tickets_labels_total${selector}[30s]))`,
              },
              objective: { min: 0.8 },
            },
          },
          triggers: { drop: { when: 'accuracy.breached', for: 2, action: 'retrain' } },
        }),
      ],
      { taskQueue },
    );
    const controller = client.workflow.getHandle(controllerWorkflowId(e2e));
    while ((await controller.query(statusQuery)).lastDecision?.outcome !== 'ok')
      await new Promise((r) => setTimeout(r, 200));
    const t0 = Date.now();
    await simulator.injectDrift(1);
    const total = await runCreated(e2e, t0);
    console.log(
      `drift injected → MLflow run created (example traffic 20 req/s, labels after 1 s, scrape 2 s, accuracy over 30 s, cadence 5 s, for: 2): ${fmt(total)}`,
    );
    await controller.terminate('bench');
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
