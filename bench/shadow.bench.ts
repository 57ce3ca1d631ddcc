// Shadow mode's speed on the real stack (started here on free ports), against
// the example's scoring endpoint:
//
//   1. replay throughput: logged requests scored per second, by batch size and
//      calls in flight (the policy's shadow.batchSize and shadow.concurrency);
//   2. verdict → alias change: from the audited shadow verdict to the audited
//      promotion (champion alias moved, deploy hook answered).
//
//   node --import tsx bench/shadow.bench.ts [requests]
import { Client, Connection } from '@temporalio/client';
import { MockActivityEnvironment } from '@temporalio/testing';
import { stringify } from 'yaml';
import { migrate } from '../activities/postgres/migrate.ts';
import { createReplayActivities } from '../activities/shadow/replay.ts';
import { bootstrapChampion, startSimulator } from '../examples/support-tickets/control.ts';
import { loadPolicy } from '../policies/loader.ts';
import { quietTemporalRuntime, uniqueName } from '../test/support/env.ts';
import { startTestStack } from '../test/support/test-stack.ts';
import { createClients } from '../workers/clients.ts';
import { loadConfig } from '../workers/config.ts';
import { createOrchestratorWorker, createTrainingWorker } from '../workers/orchestrator.ts';
import type { RetrainResult } from '../workflows/messages.ts';
import { controllerWorkflowId } from '../workflows/policy-controller.ts';
import { retrainWorkflow } from '../workflows/retrain.ts';

const total = Number(process.argv[2] ?? 2000);
const WORDS = [
  'invoice',
  'charged',
  'twice',
  'password',
  'reset',
  'login',
  'parcel',
  'late',
  'refund',
  'crash',
  'app',
  'account',
  'address',
  'tracking',
];

const stack = await startTestStack();
Object.assign(process.env, stack.env);
quietTemporalRuntime();
const config = loadConfig();
const clients = createClients(config);
await migrate(clients.pool);
const modelName = uniqueName('bench-tickets');
await bootstrapChampion({ modelName });
// No traffic of its own: the bench writes the logged requests it replays.
const simulator = await startSimulator({ modelName, rate: 0 });
const fields = {
  id: 'id',
  inputs: 'inputs',
  prediction: 'prediction',
  version: 'model_version',
  latency: 'latency_ms',
  timestamp: 'ts',
  label: 'label',
};

try {
  // 1. throughput
  const from = new Date().toISOString();
  const prefix = `s3://${config.s3.bucket}/bench/${uniqueName('requests')}/`;
  const perObject = 500;
  for (let o = 0; o < total / perObject; o++) {
    await clients.store.putJsonLines(
      `${prefix}${String(o).padStart(4, '0')}.jsonl`,
      Array.from({ length: perObject }, (_, i) => ({
        id: `r${o}-${i}`,
        ts: Date.now() / 1000,
        inputs: {
          text: Array.from({ length: 8 }, (_, k) => WORDS[(o * 31 + i * 7 + k * 3) % WORDS.length]).join(' '),
        },
        prediction: 'billing',
        model_version: '1',
        latency_ms: 3,
      })),
    );
  }
  const { replayShadowRequests } = createReplayActivities(clients);
  console.log(
    `shadow replay against the example's endpoint (${total} logged requests, ${total / perObject} objects):`,
  );
  for (const [batchSize, concurrency] of [
    [1, 1],
    [1, 4],
    [50, 1],
    [50, 4],
  ] as const) {
    const started = performance.now();
    const progress = (await new MockActivityEnvironment().run(replayShadowRequests, {
      workflowId: uniqueName('bench-replay'),
      requestsUri: prefix,
      endpoint: `${simulator.url}/versions/1/invocations`,
      fields,
      batchSize,
      concurrency,
      from,
    })) as Awaited<ReturnType<typeof replayShadowRequests>>;
    const seconds = (performance.now() - started) / 1000;
    console.log(
      `  batch ${String(batchSize).padStart(2)}, ${concurrency} in flight: ${Math.round(progress.requestsScored / seconds)} requests/s (${progress.requestsScored} scored, ${progress.requestsFailed} failed, ${seconds.toFixed(1)} s)`,
    );
  }

  // 2. verdict → alias change
  const taskQueue = uniqueName('bench-shadow');
  const orchestrator = await createOrchestratorWorker(config, clients, { taskQueue });
  const training = await createTrainingWorker(config, clients, { taskQueue });
  const running = Promise.all([orchestrator.worker.run(), training.worker.run()]);
  const connection = await Connection.connect({ address: config.temporal.address });
  const client = new Client({ connection, namespace: config.temporal.namespace });
  await simulator.setRate(20);
  try {
    const name = uniqueName('bench-promote');
    process.env.CTPILOT_BENCH_HOOK_SECRET = simulator.hookSecret;
    const loaded = loadPolicy(
      stringify({
        apiVersion: 'ctpilot/v1',
        kind: 'RetrainingPolicy',
        metadata: { name },
        model: { name: modelName },
        metrics: { accuracy: { prometheus: { query: 'vector(0.5)' }, objective: { min: 0.9 } } },
        triggers: { drop: { when: 'accuracy.breached', action: 'retrain' } },
        training: {
          experiment: `${name}-retraining`,
          launcher: { mlflowProject: { uri: './examples/support-tickets', entryPoint: 'train' } },
          parameters: { data_uri: 'synthetic', min_rows: 200 },
          timeout: '10m',
        },
        shadow: {
          mode: 'replay',
          duration: '10s',
          maxDuration: '30s',
          minSamples: 50,
          requests: { uri: simulator.requestsPrefix! },
          endpoint: `${simulator.url}/versions/{{ version }}/invocations`,
          compare: [{ metric: 'agreement', margin: 0.5 }],
        },
        promotion: {
          approval: 'auto',
          bake: '0s',
          // biome-ignore lint/suspicious/noTemplateCurlyInString: the policy's own ${env:…} reference, resolved by ctpilot
          deployHook: { url: `${simulator.url}/admin/reload`, secret: '${env:CTPILOT_BENCH_HOOK_SECRET}' },
        },
      }),
      `${name}.yaml`,
    );
    if (!loaded.ok) throw new Error(JSON.stringify(loaded.issues));
    const handle = await client.workflow.start(retrainWorkflow, {
      workflowId: `retrain:${name}:1`,
      taskQueue,
      args: [
        {
          policy: loaded.policy,
          trigger: 'bench',
          attempt: 1,
          controllerWorkflowId: controllerWorkflowId(name),
          decidedAt: new Date().toISOString(),
          evaluation: 1,
          explanation: 'bench',
        },
      ],
    });
    const result: RetrainResult = await handle.result();
    const rows = await clients.audit.rows({ workflowId: handle.workflowId });
    const at = (kind: string) => Date.parse(rows.find((r) => r.kind === kind)!.recordedAt);
    console.log(
      `verdict → champion alias moved and deploy hook answered: ${((at('promotion') - at('shadow.verdict')) / 1000).toFixed(2)} s (outcome ${result.outcome})`,
    );
  } finally {
    orchestrator.worker.shutdown();
    training.worker.shutdown();
    await running;
    await connection.close();
  }
} finally {
  await simulator.stop();
  await clients.close();
  await stack.stop();
}
