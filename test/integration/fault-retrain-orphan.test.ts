// A retrain that ends without telling its controller: terminated by an
// operator (`temporal workflow terminate`), or failed by an error its own
// failure path could not handle (an activity of `fail()` out of retries).
// The controller only learns a retrain ended from the retrainFinished signal,
// so its in-flight guard stays set and every later retrain is held —
// "a retrain is already running" — for ever.
// The controller now asks how its retrain ended after 10 minutes without
// news, and at once when an operator asks for an evaluation.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Client, Connection } from '@temporalio/client';
import type { Worker } from '@temporalio/worker';
import { stringify } from 'yaml';
import { migrate } from '../../activities/postgres/migrate.ts';
import { loadPolicy } from '../../policies/loader.ts';
import { type Clients, createClients } from '../../workers/clients.ts';
import { createOrchestratorWorker } from '../../workers/orchestrator.ts';
import { applyPolicies } from '../../workers/policy-sync.ts';
import { evaluateNowUpdate, statusQuery } from '../../workflows/messages.ts';
import { controllerWorkflowId } from '../../workflows/policy-controller.ts';
import { quietTemporalRuntime, testConfig, uniqueName } from '../support/env.ts';

describe('a retrain that ends without its finish signal', () => {
  const config = testConfig();
  const taskQueue = uniqueName('orphan');
  let clients: Clients;
  let connection: Connection;
  let client: Client;
  let worker: Worker;
  let running: Promise<void>;

  before(async () => {
    quietTemporalRuntime();
    clients = createClients(config);
    await migrate(clients.pool);
    // No training worker: the retrain waits in training until it is terminated.
    ({ worker } = await createOrchestratorWorker(config, clients, { taskQueue }));
    running = worker.run();
    connection = await Connection.connect({ address: config.temporal.address });
    client = new Client({ connection, namespace: config.temporal.namespace });
  });

  after(async () => {
    for await (const w of client.workflow.list({
      query: `TaskQueue = '${taskQueue}' AND ExecutionStatus = 'Running'`,
    })) {
      await client.workflow.getHandle(w.workflowId).terminate('test finished');
    }
    worker.shutdown();
    await running;
    await connection.close();
    await clients.close();
  });

  it('the controller releases its in-flight guard when the retrain ends without a signal', async () => {
    const name = uniqueName('orphan');
    const loaded = loadPolicy(
      stringify({
        apiVersion: 'ctpilot/v1',
        kind: 'RetrainingPolicy',
        metadata: { name },
        model: { name: `${name}-model` },
        evaluate: { every: '1h' },
        metrics: { accuracy: { prometheus: { query: 'vector(0.5)' }, objective: { min: 0.9 } } },
        triggers: { drop: { when: 'accuracy.breached', for: 2, action: 'retrain' } },
        training: {
          experiment: `${name}-training`,
          launcher: { command: { run: ['true'] } },
          timeout: '10m',
        },
      }),
      `${name}.yaml`,
    );
    assert.ok(loaded.ok);
    await applyPolicies(client, [loaded.policy], { taskQueue });
    const controller = client.workflow.getHandle(controllerWorkflowId(name));
    // for: 2 — two breaches (the first may be the controller's own first evaluation).
    let first = await controller.executeUpdate(evaluateNowUpdate, { args: [{ by: 'test' }] });
    if (!first.actions.some((a) => a.kind === 'retrain' && a.status === 'act'))
      first = await controller.executeUpdate(evaluateNowUpdate, { args: [{ by: 'test' }] });
    assert.ok(
      first.actions.some((a) => a.kind === 'retrain' && a.status === 'act'),
      first.summary,
    );
    const retrain = (await controller.query(statusQuery)).retrain;
    assert.ok(retrain);

    await client.workflow.getHandle(retrain.workflowId).terminate('an operator stops a stuck retrain');

    // Two more breaches: the retrain is gone, so one must act again (no cooldown here).
    const deadline = Date.now() + 60_000;
    let held = '';
    for (;;) {
      await controller.executeUpdate(evaluateNowUpdate, { args: [{ by: 'test' }] });
      const decision = await controller.executeUpdate(evaluateNowUpdate, { args: [{ by: 'test' }] });
      const action = decision.actions.find((a) => a.kind === 'retrain');
      if (action?.status === 'act') break;
      held = JSON.stringify(action?.heldBy);
      if (Date.now() > deadline) assert.fail(`the retrain stays held: ${held}`);
    }
    const closed = (await clients.audit.rows({ model: `${name}-model` })).filter(
      (row) => row.kind === 'retrain.closed',
    );
    assert.equal(closed.length, 1, 'how the retrain ended is in the audit history, once');
    assert.equal(closed[0]!.outcome, 'cancelled');
  });
});
