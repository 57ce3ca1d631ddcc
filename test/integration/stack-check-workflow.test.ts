import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Client, Connection } from '@temporalio/client';
import { Worker } from '@temporalio/worker';
import { migrate } from '../../activities/postgres/migrate.ts';
import type { StackCheckRecord } from '../../activities/stack-check.ts';
import { type Clients, createClients } from '../../workers/clients.ts';
import { createOrchestratorWorker, WORKFLOWS_PATH } from '../../workers/orchestrator.ts';
import { ensureSearchAttributes } from '../../workers/search-attributes.ts';
import { stackCheckWorkflow } from '../../workflows/stack-check.ts';
import { quietTemporalRuntime, testConfig, uniqueName } from '../support/env.ts';

const POLICY = fileURLToPath(new URL('../fixtures/stack-check/policy.yaml', import.meta.url));

describe('stack-check workflow on the real Temporal server', () => {
  const config = testConfig();
  const taskQueue = uniqueName('stack-check');
  let clients: Clients;
  let connection: Connection;
  let client: Client;
  let worker: Worker;
  let running: Promise<void>;

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
    worker.shutdown();
    await running;
    await connection.close();
    await clients.close();
  });

  it('reaches every outside system and records the result once in PostgreSQL', async () => {
    const workflowId = uniqueName('stack-check');
    const handle = await client.workflow.start(stackCheckWorkflow, {
      workflowId,
      taskQueue,
      args: [{ policyFile: POLICY }],
    });
    const result: StackCheckRecord = await handle.result();
    assert.equal(result.workflowId, workflowId);
    assert.deepEqual(result.policy, { file: 'policy.yaml', name: 'stack-check-fixture' });
    assert.equal(result.mlflow.ok, true, result.mlflow.detail);
    assert.equal(result.prometheus.ok, true, result.prometheus.detail);
    assert.equal(result.objectStore.ok, true, result.objectStore.detail);

    const rows = await clients.pool.query(
      'SELECT policy_name, mlflow_ok, prometheus_ok, s3_ok, details FROM ctpilot.stack_checks WHERE workflow_id = $1',
      [workflowId],
    );
    assert.equal(rows.rows.length, 1);
    assert.equal(rows.rows[0].policy_name, 'stack-check-fixture');
    assert.deepEqual(rows.rows[0].details, JSON.parse(JSON.stringify(result)));
    assert.equal(await clients.store.exists(`stack-checks/${workflowId}.json`), true);

    // The history replays against the current code without nondeterminism.
    const history = await handle.fetchHistory();
    await Worker.runReplayHistory({ workflowsPath: WORKFLOWS_PATH }, history, workflowId);
  });

  it('recording the same run twice leaves one row (a retried activity is a no-op)', async () => {
    const { createStackCheckActivities } = await import('../../activities/stack-check.ts');
    const activities = createStackCheckActivities(clients);
    const record: StackCheckRecord = {
      workflowId: uniqueName('manual'),
      runId: 'run-1',
      checkedAt: new Date().toISOString(),
      mlflow: { ok: true, detail: 'x' },
      prometheus: { ok: true, detail: 'x' },
      objectStore: { ok: false, detail: 'x' },
    };
    await activities.recordStackCheck(record);
    await activities.recordStackCheck(record);
    const rows = await clients.pool.query(
      'SELECT count(*)::int AS n FROM ctpilot.stack_checks WHERE workflow_id = $1',
      [record.workflowId],
    );
    assert.equal(rows.rows[0].n, 1);
  });

  it('a missing or nameless policy file is reported, not fatal', async () => {
    const { createStackCheckActivities } = await import('../../activities/stack-check.ts');
    const activities = createStackCheckActivities(clients);
    const missing = await activities.readPolicyName('/nonexistent/policy.yaml');
    assert.equal(missing.name, undefined);
    assert.match(missing.error ?? '', /ENOENT/);
  });

  it('registers the search attributes idempotently', async () => {
    assert.deepEqual(await ensureSearchAttributes(connection, config.temporal.namespace), []);
    const listed = await connection.operatorService.listSearchAttributes({
      namespace: config.temporal.namespace,
    });
    for (const name of ['CtPolicy', 'CtModel', 'CtPhase', 'CtLastDecision', 'CtPolicyVersion']) {
      assert.ok(name in (listed.customAttributes ?? {}), `${name} is registered`);
    }
  });
});
