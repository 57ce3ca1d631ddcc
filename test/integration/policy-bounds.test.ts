// One oversized policy next to a normal one: the oversized is refused by
// `ctpilot apply` (a 10,000-metric file by its size, a 1,500-metric one by
// the metric bound), and when started through the API without `apply` its
// controller fails alone with the reason — while the normal policy keeps its
// cadence throughout. Before the bounds, a 10,000-metric policy validated,
// wrote a 5.8 MB audit row, took the worker from 390 MB to 1.26 GB and held
// every other policy for minutes.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Client, Connection, WorkflowFailedError } from '@temporalio/client';
import type { Worker } from '@temporalio/worker';
import { stringify } from 'yaml';
import { migrate } from '../../activities/postgres/migrate.ts';
import { type LoadedPolicy, loadPolicy } from '../../policies/loader.ts';
import { type Clients, createClients } from '../../workers/clients.ts';
import { createOrchestratorWorker } from '../../workers/orchestrator.ts';
import { applyPolicies } from '../../workers/policy-sync.ts';
import { statusQuery } from '../../workflows/messages.ts';
import { controllerWorkflowId, policyControllerWorkflow } from '../../workflows/policy-controller.ts';
import { quietTemporalRuntime, testConfig, uniqueName } from '../support/env.ts';
import { tempDirNow } from '../support/temp-dir.ts';
import { ctpilot } from '../unit/cli/helpers.ts';

function policyText(name: string, metricCount: number, every: string): string {
  const metrics: Record<string, unknown> = {};
  for (let i = 0; i < metricCount; i++)
    metrics[`m${i}`] = {
      prometheus: { query: `avg(model_accuracy{shard="${i}", model="${name}-model"}) or vector(0.95)` },
      objective: { min: 0.9 },
    };
  return stringify({
    apiVersion: 'ctpilot/v1',
    kind: 'RetrainingPolicy',
    metadata: { name },
    model: { name: `${name}-model` },
    evaluate: { every },
    metrics,
    triggers: { t: { when: 'm0.breached', action: 'alert' } },
  });
}

describe('bounds: one oversized policy never stalls the others', () => {
  const config = testConfig();
  const taskQueue = uniqueName('bounds');
  const dir = tempDirNow('ctpilot-bounds');
  let clients: Clients;
  let connection: Connection;
  let client: Client;
  let worker: Worker;
  let running: Promise<void>;
  const env = { ...(process.env as Record<string, string>), CTPILOT_TASK_QUEUE: taskQueue };

  before(async () => {
    quietTemporalRuntime();
    clients = createClients(config);
    await migrate(clients.pool);
    ({ worker } = await createOrchestratorWorker(config, clients, { taskQueue }));
    running = worker.run();
    connection = await Connection.connect({ address: config.temporal.address });
    client = new Client({ connection, namespace: config.temporal.namespace });
  });

  after(async () => {
    for await (const w of client.workflow.list({
      query: `TaskQueue = '${taskQueue}' AND ExecutionStatus = 'Running'`,
    }))
      await client.workflow.getHandle(w.workflowId).terminate('test finished');
    worker.shutdown();
    await running;
    await connection.close();
    await clients.close();
    dir.remove();
  });

  it('refuses the oversized at apply and fails it alone when started directly; the normal one keeps its cadence', async () => {
    const normal = uniqueName('normal');
    const normalFile = join(dir.path, 'normal.yaml');
    writeFileSync(normalFile, policyText(normal, 2, '2s'));
    const applied = await ctpilot(['apply', normalFile], { env });
    assert.equal(applied.code, 0, applied.stdout + applied.stderr);
    const evaluations = async () =>
      (await client.workflow.getHandle(controllerWorkflowId(normal)).query(statusQuery)).evaluations;
    for (let i = 0; i < 60 && (await evaluations()) < 2; i++) await new Promise((r) => setTimeout(r, 250));
    assert.ok((await evaluations()) >= 2, 'the normal policy evaluates');

    // 10,000 metrics: 1 MB, refused by its size before anything is parsed.
    const huge = join(dir.path, 'huge.yaml');
    writeFileSync(huge, policyText(uniqueName('huge'), 10_000, '5s'));
    const refusedHuge = await ctpilot(['apply', huge], { env });
    assert.equal(refusedHuge.code, 1);
    assert.match(refusedHuge.stdout, /policies are limited to 262144 bytes .*\[too-large\]/);
    // 1,500 metrics in a smaller file: refused by the metric bound, at the metrics key.
    const wide = join(dir.path, 'wide.yaml');
    writeFileSync(wide, policyText(uniqueName('wide'), 1_500, '5s').replace(/or vector\(0\.95\)/g, ''));
    const refusedWide = await ctpilot(['apply', wide], { env });
    assert.equal(refusedWide.code, 1);
    assert.match(
      refusedWide.stdout,
      /the policy has 1500 metrics; a policy may have at most 200 .*\[too-many\]/,
    );

    // Through the API, without apply: the controller fails alone, at once, saying why.
    const normalLoaded = loadPolicy(policyText('x', 2, '5s'), 'x.yaml');
    if (!normalLoaded.ok) throw new Error('fixture');
    const bypass = uniqueName('bypass');
    const oversized: LoadedPolicy = {
      ...normalLoaded.policy,
      spec: {
        ...normalLoaded.policy.spec,
        metadata: { ...normalLoaded.policy.spec.metadata, name: bypass },
        metrics: Object.fromEntries(
          Array.from({ length: 10_000 }, (_, i) => [`m${i}`, normalLoaded.policy.spec.metrics.m0!]),
        ),
      },
    };
    const handle = await client.workflow.start(policyControllerWorkflow, {
      workflowId: controllerWorkflowId(bypass),
      taskQueue,
      args: [{ policy: oversized }],
    });
    await assert.rejects(handle.result(), (error: unknown) => {
      assert.ok(error instanceof WorkflowFailedError);
      assert.match(
        String(error.cause?.message),
        /has 10000 metrics and 1 triggers; a policy may have at most 200 and 100/,
      );
      return true;
    });

    // The normal policy went on evaluating at its 2 s cadence meanwhile.
    const afterwards = await evaluations();
    for (let i = 0; i < 40 && (await evaluations()) < afterwards + 2; i++)
      await new Promise((r) => setTimeout(r, 250));
    assert.ok((await evaluations()) >= afterwards + 2, 'still on its cadence');
    await applyPolicies(client, [], { taskQueue });
  });
});
