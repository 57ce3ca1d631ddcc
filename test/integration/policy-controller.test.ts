// The closed loop on the real stack: policies applied as controller
// workflows on the Temporal dev server, measured from the real Prometheus,
// decisions audited in PostgreSQL, retrains run as child workflows that train
// a real MLflow project on a training worker and register the challenger.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Client, Connection, WorkflowUpdateFailedError } from '@temporalio/client';
import type { Worker } from '@temporalio/worker';
import { stringify } from 'yaml';
import { fromKeyValues } from '../../activities/mlflow/schemas.ts';
import { migrate } from '../../activities/postgres/migrate.ts';
import { freePorts } from '../../infra/stack/ports.ts';
import { type LoadedPolicy, loadPolicy } from '../../policies/loader.ts';
import { type Clients, createClients } from '../../workers/clients.ts';
import { createOrchestratorWorker, createTrainingWorker } from '../../workers/orchestrator.ts';
import { applyPolicies, planSync } from '../../workers/policy-sync.ts';
import {
  alertSignal,
  applyPolicyUpdate,
  evaluateNowUpdate,
  pauseUpdate,
  policyQuery,
  type RetrainResult,
  resumeUpdate,
  statusQuery,
} from '../../workflows/messages.ts';
import { controllerWorkflowId } from '../../workflows/policy-controller.ts';
import { quietTemporalRuntime, testConfig, uniqueName } from '../support/env.ts';
import { startPrometheusServer } from '../support/prometheus-server.ts';
import { waitFor } from '../support/wait-for.ts';

const PROJECT = fileURLToPath(new URL('../fixtures/training/project', import.meta.url));
const by = { by: 'test' };

interface PolicyOptions {
  name: string;
  accuracy: string;
  endpoint?: string;
  parameters?: Record<string, number>;
  cooldown?: string;
}

function policyYaml(o: PolicyOptions): LoadedPolicy {
  const document = {
    apiVersion: 'ctpilot/v1',
    kind: 'RetrainingPolicy',
    metadata: { name: o.name, owner: 'tests' },
    model: { name: `${o.name}-model` },
    evaluate: { every: '1h' },
    metrics: {
      accuracy: {
        prometheus: { query: o.accuracy, ...(o.endpoint ? { endpoint: o.endpoint } : {}) },
        objective: { min: 0.9 },
      },
      drift_alert: {
        alert: { source: 'alertmanager', match: { alertname: 'FeatureDrift', model: `${o.name}-model` } },
      },
    },
    triggers: {
      'accuracy-drop': { when: 'accuracy.breached', for: 2, action: 'retrain' },
      'drift-page': { when: 'drift_alert.value == 1.0', action: 'alert' },
    },
    guards: { cooldown: o.cooldown ?? '1h' },
    training: {
      experiment: `${o.name}-training`,
      launcher: { mlflowProject: { uri: PROJECT, entryPoint: 'train' } },
      parameters: o.parameters ?? { quality: 0.95 },
      timeout: '5m',
      accept: [{ metric: 'val_accuracy', min: 0.9 }],
    },
  };
  const loaded = loadPolicy(stringify(document), `${o.name}.yaml`);
  if (!loaded.ok) throw new Error(JSON.stringify(loaded.issues, null, 2));
  return loaded.policy;
}

describe('policy controller and retraining on the real stack', () => {
  const config = testConfig();
  const taskQueue = uniqueName('controller-test');
  let clients: Clients;
  let connection: Connection;
  let client: Client;
  const workers: Worker[] = [];
  const running: Promise<void>[] = [];

  before(async () => {
    quietTemporalRuntime();
    clients = createClients(config);
    await migrate(clients.pool);
    const orchestrator = await createOrchestratorWorker(config, clients, { taskQueue });
    const training = await createTrainingWorker(config, clients, { taskQueue });
    workers.push(orchestrator.worker, training.worker);
    for (const w of workers) running.push(w.run());
    connection = await Connection.connect({ address: config.temporal.address });
    client = new Client({ connection, namespace: config.temporal.namespace });
  });

  after(async () => {
    // Stop every controller this file started, then the workers.
    for await (const execution of client.workflow.list({
      query: `TaskQueue = '${taskQueue}' AND ExecutionStatus = 'Running'`,
    })) {
      await client.workflow.getHandle(execution.workflowId).terminate('test finished');
    }
    for (const w of workers) w.shutdown();
    await Promise.all(running);
    await connection.close();
    await clients.close();
  });

  const controller = (name: string) => client.workflow.getHandle(controllerWorkflowId(name));
  it('applies idempotently, decides from Prometheus, retrains exactly once, and audits every step', async () => {
    const name = uniqueName('loop');
    const healthy = policyYaml({ name, accuracy: 'vector(0.95)' });
    assert.deepEqual(
      (await planSync(client, [healthy])).map((c) => c.kind).filter((k) => k !== 'remove'),
      ['create'],
    );
    const first = await applyPolicies(client, [healthy], { taskQueue });
    assert.equal(first.find((c) => c.policy === name)?.kind, 'create');
    const again = await applyPolicies(client, [healthy], { taskQueue });
    assert.equal(again.find((c) => c.policy === name)?.kind, 'unchanged');

    // The controller evaluates as soon as it starts.
    const ok = await waitFor(
      'the first evaluation',
      async () => (await controller(name).query(statusQuery)).lastDecision ?? undefined,
    );
    assert.equal(
      ok.outcome,
      'ok',
      JSON.stringify({ summary: ok.summary, triggers: ok.triggers, metrics: ok.metrics }, null, 1),
    );
    assert.equal(ok.metrics.find((m) => m.metric === 'accuracy')?.value, 0.95);

    // The model decays: a new policy version (the query stands for the metric falling).
    const decayed = policyYaml({ name, accuracy: 'vector(0.5)' });
    const update = await applyPolicies(client, [decayed], { taskQueue });
    assert.equal(update.find((c) => c.policy === name)?.kind, 'update');

    const once = await controller(name).executeUpdate(evaluateNowUpdate, { args: [by] });
    assert.equal(
      once.actions.filter((a) => a.kind === 'retrain' && a.status === 'act').length,
      0,
      'for: 2 needs two',
    );
    const twice = await controller(name).executeUpdate(evaluateNowUpdate, { args: [by] });
    const retrainAction = twice.actions.find((a) => a.kind === 'retrain');
    assert.equal(retrainAction?.status, 'act', twice.summary);
    assert.match(retrainAction?.explanation ?? '', /accuracy/);

    const status = await controller(name).query(statusQuery);
    assert.ok(status.retrain, 'a retrain is running');
    const retrain = client.workflow.getHandle(status.retrain.workflowId);
    const result: RetrainResult = await retrain.result();
    assert.equal(result.outcome, 'registered', result.summary);

    // Exactly one MLflow run for the attempt, with the tags that tie it to the policy.
    const experiment = await clients.mlflow.getExperimentByName(`${name}-training`);
    assert.ok(experiment);
    const runs = await clients.mlflow.findRunsByTags([experiment.experiment_id], { 'ctpilot.policy': name });
    assert.equal(runs.length, 1);
    const tags = fromKeyValues(runs[0]!.data.tags);
    assert.equal(tags['ctpilot.workflow_id'], status.retrain.workflowId);
    assert.equal(tags['ctpilot.trigger'], 'accuracy-drop');
    assert.equal(tags['ctpilot.policy_version'], decayed.hash);
    assert.equal(runs[0]!.info.status, 'FINISHED');

    const challenger = await clients.mlflow.getAlias(`${name}-model`, 'challenger');
    assert.equal(challenger?.version, result.version);
    assert.equal(challenger?.run_id, runs[0]!.info.run_id);

    // The controller heard the result; the next breach is held by the cooldown, not retrained.
    const after = await waitFor('the retrain result to reach the controller', async () => {
      const s = await controller(name).query(statusQuery);
      return s.retrain === null && s.lastRetrain ? s : undefined;
    });
    assert.equal(after.lastRetrain?.outcome, 'registered');
    // Persistence starts over after a retrain: two more breaches meet it again.
    await controller(name).executeUpdate(evaluateNowUpdate, { args: [by] });
    const held = await controller(name).executeUpdate(evaluateNowUpdate, { args: [by] });
    const heldRetrain = held.actions.find((a) => a.kind === 'retrain');
    assert.equal(heldRetrain?.status, 'held');
    assert.ok(
      heldRetrain?.heldBy.some((h) => h.guard === 'cooldown'),
      JSON.stringify(heldRetrain?.heldBy),
    );
    assert.equal(
      (await clients.mlflow.findRunsByTags([experiment.experiment_id], { 'ctpilot.policy': name })).length,
      1,
    );

    // The audit chain verifies and tells the story in order.
    const [report] = await clients.audit.verify(`${name}-model`);
    assert.equal(report?.ok, true, JSON.stringify(report?.problems));
    const kinds = (await clients.audit.rows({ model: `${name}-model` })).map((r) => r.kind);
    for (const kind of [
      'evaluation',
      'retrain.started',
      'retrain.accepted',
      'training.requested',
      'training.ended',
      'gates',
      'challenger.registered',
    ]) {
      assert.ok(kinds.includes(kind), `audit has ${kind}: ${kinds.join(', ')}`);
    }
    assert.ok(kinds.indexOf('retrain.started') < kinds.indexOf('challenger.registered'));
  });

  it('a failing training job leaves the registry untouched and the failure audited', async () => {
    const name = uniqueName('failing');
    const policy = policyYaml({ name, accuracy: 'vector(0.2)', parameters: { fail: 2 } });
    await applyPolicies(client, [policy], { taskQueue });
    await waitFor(
      'the first evaluation',
      async () => (await controller(name).query(statusQuery)).lastDecision ?? undefined,
    );
    const decision = await controller(name).executeUpdate(evaluateNowUpdate, { args: [by] });
    assert.equal(decision.actions.find((a) => a.kind === 'retrain')?.status, 'act');
    const status = await controller(name).query(statusQuery);
    const retrain = client.workflow.getHandle(status.retrain!.workflowId);
    await assert.rejects(retrain.result(), (e: Error) =>
      /training ended FAILED/.test(String((e.cause as Error | undefined)?.message)),
    );
    assert.equal(await clients.mlflow.getRegisteredModel(`${name}-model`), undefined, 'nothing registered');
    const failure = (await clients.audit.rows({ model: `${name}-model` })).find(
      (r) => r.kind === 'retrain.failed',
    );
    assert.ok(failure);
    assert.match(JSON.stringify(failure.details), /training ended FAILED/);
    const after = await waitFor('the failure to reach the controller', async () => {
      const s = await controller(name).query(statusQuery);
      return s.lastRetrain ? s : undefined;
    });
    assert.equal(after.lastRetrain?.outcome, 'failed');
  });

  it('Prometheus unreachable: the decision is inconclusive, audited, and never a retrain', async () => {
    const name = uniqueName('blind');
    const [dead] = await freePorts(1);
    const policy = policyYaml({ name, accuracy: 'vector(0.1)', endpoint: `http://127.0.0.1:${dead}` });
    await applyPolicies(client, [policy], { taskQueue });
    await waitFor(
      'the first evaluation',
      async () => (await controller(name).query(statusQuery)).lastDecision ?? undefined,
    );
    const outcomes: string[] = [];
    for (let i = 0; i < 3; i++) {
      const decision = await controller(name).executeUpdate(evaluateNowUpdate, { args: [by] });
      outcomes.push(decision.outcome);
      assert.ok(!decision.actions.some((a) => a.kind === 'retrain' && a.status === 'act'));
      const accuracy = decision.metrics.find((m) => m.metric === 'accuracy');
      assert.match(JSON.stringify(accuracy), /cannot reach Prometheus|ECONNREFUSED|network/);
    }
    // Inconclusive, until the metric has been unusable for its inconclusiveLimit: then someone is told.
    assert.equal(outcomes[0], 'inconclusive');
    assert.ok(
      outcomes.every((o) => o === 'inconclusive' || o === 'alert'),
      outcomes.join(', '),
    );
    const rows = await clients.audit.rows({ model: `${name}-model` });
    assert.equal(rows.filter((r) => r.kind === 'evaluation').length, 4, 'every evaluation audited');
    assert.equal((await controller(name).query(statusQuery)).retrain, null);
  });

  it('Prometheus stopped mid-run: inconclusive while it is down, decisions again when it is back', async () => {
    const prometheus = await startPrometheusServer();
    try {
      const name = uniqueName('outage');
      await applyPolicies(
        client,
        [policyYaml({ name, accuracy: 'vector(0.95)', endpoint: prometheus.url })],
        { taskQueue },
      );
      const first = await waitFor(
        'the first evaluation',
        async () => (await controller(name).query(statusQuery)).lastDecision ?? undefined,
      );
      assert.equal(first.metrics.find((m) => m.metric === 'accuracy')?.value, 0.95);
      await prometheus.stop();
      const down = await controller(name).executeUpdate(evaluateNowUpdate, { args: [by] });
      assert.equal(down.outcome, 'inconclusive', down.summary);
      assert.ok(!down.actions.some((a) => a.kind === 'retrain'));
      await prometheus.start();
      const back = await controller(name).executeUpdate(evaluateNowUpdate, { args: [by] });
      assert.equal(back.metrics.find((m) => m.metric === 'accuracy')?.value, 0.95, back.summary);
      const outcomes = (await clients.audit.rows({ model: `${name}-model` }))
        .filter((r) => r.kind === 'evaluation')
        .map((r) => r.outcome);
      assert.equal(outcomes.length, 3, 'each evaluation audited, the one in the outage too');
      assert.equal(outcomes[1], 'inconclusive');
    } finally {
      await prometheus.remove();
    }
  });

  it('an evaluation over Prometheus is one local activity; unchanged search attributes and memo are not written again', async () => {
    const name = uniqueName('cost');
    const policy = policyYaml({ name, accuracy: 'vector(0.95)' });
    await applyPolicies(client, [policy], { taskQueue });
    const handle = controller(name);
    await waitFor(
      'the first decision',
      async () => (await handle.query(statusQuery)).lastDecision ?? undefined,
    );
    const before = (await handle.fetchHistory()).events?.length ?? 0;
    for (let i = 0; i < 3; i++) await handle.executeUpdate(evaluateNowUpdate, { args: [by] });
    const events = ((await handle.fetchHistory()).events ?? []).slice(before);
    const count = (which: (e: (typeof events)[number]) => unknown) => events.filter(which).length;
    assert.equal(
      count((e) => e.markerRecordedEventAttributes?.markerName === 'core_local_activity'),
      3,
    );
    assert.equal(
      count((e) => e.activityTaskScheduledEventAttributes),
      0,
      'no activity task',
    );
    assert.equal(
      count((e) => e.upsertWorkflowSearchAttributesEventAttributes),
      0,
      'same decision, same attributes',
    );
    assert.equal(
      count((e) => e.workflowPropertiesModifiedEventAttributes),
      0,
      'memo unchanged',
    );
    // The per-evaluation line is still there, in the current details; the whole policy answers a query.
    assert.equal((await handle.query(statusQuery)).evaluations >= 4, true);
    assert.equal((await handle.query(policyQuery)).hash, policy.hash);
  });

  it('pause, resume and apply are refused when they make no sense, with the reason', async () => {
    const name = uniqueName('ops');
    const policy = policyYaml({ name, accuracy: 'vector(0.95)' });
    await applyPolicies(client, [policy], { taskQueue });
    const handle = controller(name);
    await handle.executeUpdate(pauseUpdate, { args: [{ by: 'alice', reason: 'incident 42' }] });
    await assert.rejects(handle.executeUpdate(evaluateNowUpdate, { args: [by] }), (e: unknown) => {
      assert.ok(e instanceof WorkflowUpdateFailedError);
      assert.match(String(e.cause?.message), /paused \(by alice\); resume it first/);
      return true;
    });
    const refusal = (pattern: RegExp) => (e: Error) =>
      pattern.test(String((e.cause as Error | undefined)?.message));
    await assert.rejects(
      handle.executeUpdate(pauseUpdate, { args: [{ by: 'bob' }] }),
      refusal(/already paused by alice/),
    );
    assert.equal((await handle.query(statusQuery)).phase, 'paused');
    await handle.executeUpdate(resumeUpdate, { args: [{ by: 'alice' }] });
    await assert.rejects(
      handle.executeUpdate(resumeUpdate, { args: [{ by: 'alice' }] }),
      refusal(/not paused/),
    );
    const operatorRows = (await clients.audit.rows({ model: `${name}-model` })).filter((r) =>
      r.kind.startsWith('policy.'),
    );
    assert.deepEqual(
      operatorRows.map((r) => [r.kind, (r.details as { by: string }).by]),
      [
        ['policy.paused', 'alice'],
        ['policy.resumed', 'alice'],
      ],
      'pause and resume are in the audit history',
    );

    const other = policyYaml({ name: uniqueName('other'), accuracy: 'vector(1)' });
    await assert.rejects(
      handle.executeUpdate(applyPolicyUpdate, { args: [other] }),
      refusal(/belongs to its own controller/),
    );
    const broken = {
      ...policy,
      hash: `sha256:${'0'.repeat(64)}`,
      spec: { ...policy.spec, evaluate: { ...policy.spec.evaluate, every: 'often' } },
    } as LoadedPolicy;
    await assert.rejects(
      handle.executeUpdate(applyPolicyUpdate, { args: [broken] }),
      refusal(/the policy is invalid/),
    );
    assert.equal(
      (await handle.query(statusQuery)).policyHash,
      policy.hash,
      'the refused versions changed nothing',
    );
  });

  it('an inbound alert makes the controller evaluate at once, and the alert metric sees it', async () => {
    const name = uniqueName('alerted');
    await applyPolicies(client, [policyYaml({ name, accuracy: 'vector(0.95)' })], { taskQueue });
    const first = await waitFor(
      'the first evaluation',
      async () => (await controller(name).query(statusQuery)).lastDecision ?? undefined,
    );
    await controller(name).signal(alertSignal, [
      {
        source: 'alertmanager',
        status: 'firing',
        labels: { alertname: 'FeatureDrift', model: `${name}-model` },
        receivedAt: new Date().toISOString(),
      },
    ]);
    const next = await waitFor('an evaluation caused by the alert', async () => {
      const d = (await controller(name).query(statusQuery)).lastDecision;
      return d && d.evaluation > first.evaluation ? d : undefined;
    });
    assert.equal(next.metrics.find((m) => m.metric === 'drift_alert')?.value, 1);
    assert.equal(next.actions.find((a) => a.origin === 'drift-page')?.status, 'act');
  });
});
