// The orchestrator worker killed (SIGKILL) in the middle of a shadow
// comparison: the retrain resumes, scores only what was not yet scored, and
// reaches the verdict the kept scores support.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Client, Connection } from '@temporalio/client';
import { stringify } from 'yaml';
import { migrate } from '../../activities/postgres/migrate.ts';
import { pairedSamples } from '../../activities/shadow/evaluate.ts';
import { scoresPrefix } from '../../activities/shadow/replay.ts';
import { bootstrapChampion, type Simulator, startSimulator } from '../../examples/support-tickets/control.ts';
import { loadPolicy } from '../../policies/loader.ts';
import { shadowVerdict } from '../../policies/shadow-verdict.ts';
import { type Clients, createClients } from '../../workers/clients.ts';
import type { RetrainResult } from '../../workflows/messages.ts';
import { controllerWorkflowId } from '../../workflows/policy-controller.ts';
import { retrainWorkflow } from '../../workflows/retrain.ts';
import { testConfig, uniqueName } from '../support/env.ts';
import { startWorkerProcess, type WorkerProcess } from '../support/worker-process.ts';

describe('a shadow comparison survives a killed worker', () => {
  const config = testConfig();
  let clients: Clients;
  let connection: Connection;
  let client: Client;
  let simulator: Simulator;

  before(async () => {
    clients = createClients(config);
    await migrate(clients.pool);
    connection = await Connection.connect({ address: config.temporal.address });
    client = new Client({ connection, namespace: config.temporal.namespace });
  });

  after(async () => {
    await simulator?.stop();
    await connection.close();
    await clients.close();
  });

  it('resumes scoring without re-scoring what was scored, and the verdict matches the kept scores', async () => {
    const modelName = uniqueName('tickets');
    await bootstrapChampion({ modelName });
    simulator = await startSimulator({ modelName, rate: 20, labelDelaySeconds: 1, flushSeconds: 1 });
    const name = uniqueName('shadow-kill');
    const loaded = loadPolicy(
      stringify({
        apiVersion: 'ctpilot/v1',
        kind: 'RetrainingPolicy',
        metadata: { name },
        model: { name: modelName },
        evaluate: { every: '1h' },
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
          duration: '40s',
          maxDuration: '60s',
          minSamples: 100,
          requests: { uri: simulator.requestsPrefix! },
          labels: { uri: simulator.labelsPrefix! },
          endpoint: `${simulator.url}/versions/{{ version }}/invocations`,
          batchSize: 10,
          concurrency: 1,
          compare: [{ metric: 'agreement', mustBe: 'notWorse', margin: 0.5 }],
        },
      }),
      `${name}.yaml`,
    );
    assert.ok(loaded.ok, JSON.stringify(!loaded.ok && loaded.issues));
    const taskQueue = uniqueName('shadow-kill');
    let orchestrator: WorkerProcess = await startWorkerProcess('orchestrator', taskQueue);
    const training = await startWorkerProcess('training', taskQueue);
    try {
      const workflowId = `retrain:${name}:1`;
      const handle = await client.workflow.start(retrainWorkflow, {
        workflowId,
        taskQueue,
        args: [
          {
            policy: loaded.policy,
            trigger: 'drop',
            attempt: 1,
            controllerWorkflowId: controllerWorkflowId(name),
            decidedAt: new Date().toISOString(),
            evaluation: 1,
            explanation: 'fault test',
          },
        ],
      });
      // Let a few request objects be scored, then kill the worker that scores them.
      const before = new Map<string, number>();
      const deadline = Date.now() + 240_000;
      while (before.size < 3) {
        if (Date.now() > deadline) throw new Error('timed out waiting for shadow scores');
        for await (const object of clients.store.list(scoresPrefix(workflowId))) {
          before.set(object.key, object.lastModified?.getTime() ?? 0);
        }
        await new Promise((r) => setTimeout(r, 200));
      }
      await orchestrator.kill('SIGKILL');
      orchestrator = await startWorkerProcess('orchestrator', taskQueue);
      const result: RetrainResult = await handle.result();
      assert.equal(result.outcome, 'registered', result.summary);

      // What was scored before the kill was not scored again.
      const after = new Map<string, number>();
      for await (const object of clients.store.list(scoresPrefix(workflowId)))
        after.set(object.key, object.lastModified?.getTime() ?? 0);
      for (const [key, modified] of before) assert.equal(after.get(key), modified, `${key} was written once`);
      assert.ok(after.size > before.size, 'scoring went on after the restart');

      // Each request scored once, and the audited verdict is the one the kept scores give.
      const samples = await pairedSamples(clients.store, {
        workflowId,
        labelsUri: simulator.labelsPrefix!,
        fields: loaded.policy.spec.shadow!.fields,
      });
      assert.equal(new Set(samples.map((s) => s.id)).size, samples.length);
      const audited = (await clients.audit.rows({ workflowId })).find((r) => r.kind === 'shadow.verdict');
      assert.ok(audited);
      const recomputed = shadowVerdict(loaded.policy.spec.shadow!.compare, samples, 100);
      const details = audited.details as { verdict: string; samples: { scored: number } };
      assert.equal(details.verdict, recomputed.verdict);
      assert.equal(
        details.samples.scored,
        recomputed.samples.scored,
        'the verdict was reached on exactly the kept scores',
      );
    } finally {
      await orchestrator.kill('SIGTERM');
      await training.kill('SIGTERM');
    }
  });
});
