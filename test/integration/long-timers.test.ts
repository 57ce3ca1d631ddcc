// Workflow logic whose timers run for hours and days — an hourly cadence, a
// 24h cooldown, a retrain budget over 3 days, the failure backoff, a 72h
// approval timeout — at the durations a real policy uses, on Temporal's
// time-skipping test server. The workers run the real workflow code and the
// real activities against the test stack's Prometheus, MLflow and PostgreSQL;
// only Temporal's clock is fast-forwarded.
import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { Client } from '@temporalio/client';
import type { Worker } from '@temporalio/worker';
import { stringify } from 'yaml';
import type { AuditRow } from '../../activities/audit/chain.ts';
import { fromKeyValues } from '../../activities/mlflow/schemas.ts';
import { migrate } from '../../activities/postgres/migrate.ts';
import { durationMs } from '../../policies/duration.ts';
import { type LoadedPolicy, loadPolicy } from '../../policies/loader.ts';
import { type Clients, createClients } from '../../workers/clients.ts';
import { createOrchestratorWorker, createTrainingWorker } from '../../workers/orchestrator.ts';
import { type RetrainResult, statusQuery } from '../../workflows/messages.ts';
import { controllerWorkflowId, policyControllerWorkflow } from '../../workflows/policy-controller.ts';
import { retrainWorkflow } from '../../workflows/retrain.ts';
import { quietTemporalRuntime, testConfig, uniqueName } from '../support/env.ts';
import { startTimeSkipping, type TimeSkippingStack } from '../support/time-skipping.ts';
import { waitFor } from '../support/wait-for.ts';

const PROJECT = fileURLToPath(new URL('../fixtures/training/project', import.meta.url));
const HOUR = 3_600_000;
const MINUTE = 60_000;

function policy(name: string, sections: Record<string, unknown>): LoadedPolicy {
  const document = {
    apiVersion: 'ctpilot/v1',
    kind: 'RetrainingPolicy',
    metadata: { name, owner: 'tests' },
    model: { name: `${name}-model` },
    evaluate: { every: '1h' },
    // The model has decayed and stays decayed: every evaluation breaches.
    metrics: { accuracy: { prometheus: { query: 'vector(0.5)' }, objective: { min: 0.9 } } },
    triggers: { 'accuracy-drop': { when: 'accuracy.breached', for: 2, action: 'retrain' } },
    training: {
      experiment: `${name}-training`,
      launcher: { mlflowProject: { uri: PROJECT, entryPoint: 'train' } },
      parameters: { quality: 0.95 },
      timeout: '5m',
      accept: [{ metric: 'val_accuracy', min: 0.9 }],
    },
    ...sections,
  };
  const loaded = loadPolicy(stringify(document), `${name}.yaml`);
  if (!loaded.ok) throw new Error(JSON.stringify(loaded.issues, null, 2));
  return loaded.policy;
}

describe('long timers on the time-skipping server, with the real workflows and activities', () => {
  const taskQueue = uniqueName('long-timers');
  let stack: TimeSkippingStack;
  let client: Client;
  let clients: Clients;
  const workers: Worker[] = [];
  const running: Promise<void>[] = [];

  before(async () => {
    quietTemporalRuntime();
    stack = await startTimeSkipping(testConfig());
    client = stack.env.client;
    clients = createClients(stack.config);
    await migrate(clients.pool);
    const orchestrator = await createOrchestratorWorker(stack.config, clients, { taskQueue });
    const training = await createTrainingWorker(stack.config, clients, { taskQueue });
    workers.push(orchestrator.worker, training.worker);
    for (const w of workers) running.push(w.run());
  });

  after(async () => {
    for (const w of workers) w.shutdown();
    await Promise.all(running);
    await clients.close();
    await stack.env.teardown();
  });

  // Each test's controllers stop when it ends: skipped time is shared by every workflow on the server.
  const controllers: string[] = [];
  afterEach(async () => {
    for (const id of controllers.splice(0)) await client.workflow.getHandle(id).terminate('test finished');
  });
  const startController = async (p: LoadedPolicy) => {
    const handle = await client.workflow.start(policyControllerWorkflow, {
      workflowId: controllerWorkflowId(p.spec.metadata.name),
      taskQueue,
      args: [{ policy: p }],
    });
    controllers.push(handle.workflowId);
    return handle;
  };
  const status = (p: LoadedPolicy) =>
    client.workflow.getHandle(controllerWorkflowId(p.spec.metadata.name)).query(statusQuery);
  const rowsOf = async (p: LoadedPolicy, kind: string): Promise<AuditRow[]> =>
    (await clients.audit.rows({ model: `${p.spec.metadata.name}-model` })).filter((r) => r.kind === kind);
  /** Waits until the `n`-th retrain has started, ended, and the controller has heard it. */
  const retrainsEnded = (p: LoadedPolicy, n: number) =>
    waitFor(`retrain ${n} of ${p.spec.metadata.name} to end`, async () => {
      const s = await status(p);
      const started = await rowsOf(p, 'retrain.started');
      return started.length >= n && s.retrain === null && s.state.inFlight === null ? s : undefined;
    });
  const at = (row: AuditRow) => Date.parse(row.recordedAt);
  /** Skips the server's clock to `target` (ms): what a wait for a real result would also have let pass. */
  const skipTo = async (target: number) => {
    const now = await stack.env.currentTimeMs();
    if (target > now) await stack.env.sleep(target - now);
  };

  it('an hourly cadence with for: 2, a 24h cooldown and a budget of 2 retrains per 3d, over four simulated days', async () => {
    const p = policy(uniqueName('cooldown'), {
      guards: { cooldown: '24h', budget: { retrains: 2, per: '3d' } },
    });
    await startController(p);
    await waitFor('the first evaluation', async () =>
      (await status(p)).evaluations >= 1 ? true : undefined,
    );

    // Second breach an hour later: the first retrain.
    await stack.env.sleep(HOUR);
    await retrainsEnded(p, 1);

    // A day of hourly breaches: every retrain held by the cooldown, then one after it.
    const first = at((await rowsOf(p, 'retrain.started'))[0]!);
    await skipTo(first + 23 * HOUR);
    assert.equal((await rowsOf(p, 'retrain.started')).length, 1, 'held by the cooldown');
    const held = (await status(p)).lastDecision?.actions.find((a) => a.kind === 'retrain');
    assert.equal(held?.status, 'held');
    assert.ok(
      held?.heldBy.some((h) => h.guard === 'cooldown'),
      JSON.stringify(held?.heldBy),
    );
    await skipTo(first + 25.5 * HOUR);
    await retrainsEnded(p, 2);

    // The cooldown ends again a day later, but two retrains in 3 days use the budget up.
    await skipTo(first + 71 * HOUR);
    assert.equal((await rowsOf(p, 'retrain.started')).length, 2, 'held by the budget');
    const budget = (await status(p)).lastDecision?.actions.find((a) => a.kind === 'retrain');
    assert.equal(budget?.status, 'held');
    assert.deepEqual(
      budget?.heldBy.map((h) => h.guard),
      ['budget'],
      'the cooldown is over; only the budget holds',
    );
    await skipTo(first + 73.5 * HOUR);
    await retrainsEnded(p, 3);

    const started = (await rowsOf(p, 'retrain.started')).map(at);
    assert.equal(started.length, 3);
    const [, second, third] = started as [number, number, number];
    // Each wait ends at the first hourly evaluation after the guard lets go.
    assert.ok(
      second - first >= 24 * HOUR && second - first <= 25 * HOUR,
      `cooldown gap ${(second - first) / HOUR}h`,
    );
    assert.ok(
      third - first >= 72 * HOUR && third - first <= 73 * HOUR,
      `budget gap ${(third - first) / HOUR}h`,
    );
    // One evaluation an hour, each in the audit history, in workflow time.
    const evaluations = (await rowsOf(p, 'evaluation')).map(at);
    const gaps = evaluations.slice(1).map((t, i) => t - evaluations[i]!);
    assert.ok(evaluations.length >= 75, `${evaluations.length} evaluations`);
    assert.ok(
      gaps.every((g) => g <= HOUR + MINUTE),
      `no gap longer than the cadence: ${Math.max(...gaps) / MINUTE} min`,
    );
    const runs = await clients.mlflow.findRunsByTags(
      [(await clients.mlflow.getExperimentByName(`${p.spec.metadata.name}-training`))!.experiment_id],
      { 'ctpilot.policy': p.spec.metadata.name },
    );
    assert.equal(runs.length, 3, 'one MLflow run per retrain');
    const [report] = await clients.audit.verify(`${p.spec.metadata.name}-model`);
    assert.equal(report?.ok, true, JSON.stringify(report?.problems));
  });

  it('retrains that keep failing back off 10m, 20m, 40m, without a cooldown', async () => {
    const name = uniqueName('backoff');
    const p = policy(name, {
      evaluate: { every: '5m' },
      triggers: { 'accuracy-drop': { when: 'accuracy.breached', for: 1, action: 'retrain' } },
      training: {
        experiment: `${name}-training`,
        launcher: { mlflowProject: { uri: PROJECT, entryPoint: 'train' } },
        parameters: { fail: 2 },
        timeout: '5m',
        accept: [{ metric: 'val_accuracy', min: 0.9 }],
      },
    });
    await startController(p);
    await retrainsEnded(p, 1);
    for (const [n, hold] of [
      [2, 10],
      [3, 20],
      [4, 40],
    ] as const) {
      // Every evaluation until the hold ends is held, by the backoff alone …
      const failure = at((await rowsOf(p, 'retrain.failed')).at(-1)!);
      await skipTo(failure + (hold - 1) * MINUTE);
      const story = async () =>
        (await clients.audit.rows({ model: `${name}-model` }))
          .filter((r) => r.kind.startsWith('retrain.'))
          .map((r) => `${r.recordedAt} ${r.kind} ${r.outcome}`)
          .join('\n');
      assert.equal(
        (await rowsOf(p, 'retrain.started')).length,
        n - 1,
        `held before ${hold} min:\n${await story()}`,
      );
      const held = (await status(p)).lastDecision?.actions.find((a) => a.kind === 'retrain');
      assert.deepEqual(
        held?.heldBy.map((h) => h.guard),
        ['failureBackoff'],
        JSON.stringify(held?.heldBy),
      );
      // … and the first evaluation after it (they come every 5 minutes) retrains.
      await skipTo(failure + (hold + 6) * MINUTE);
      await retrainsEnded(p, n);
    }
    // Each hold counts from the failure (written by the retrain, in workflow time) to the next start.
    const started = (await rowsOf(p, 'retrain.started')).map(at);
    const failed = await rowsOf(p, 'retrain.failed');
    assert.equal(failed.length, 4, failed.map((r) => r.step).join(', '));
    assert.match(JSON.stringify(failed[0]!.details), /training ended FAILED/);
    for (const [i, hold] of [10, 20, 40].entries()) {
      const gap = started[i + 1]! - at(failed[i]!);
      assert.ok(gap >= hold * MINUTE && gap <= (hold + 6) * MINUTE, `hold ${i + 1}: ${gap / MINUTE} min`);
    }
    assert.equal((await status(p)).lastRetrain?.outcome, 'failed');
    assert.equal(await clients.mlflow.getRegisteredModel(`${name}-model`), undefined, 'nothing registered');
  });

  it('a manual approval nobody gives times out after 72h and follows onTimeout: reject', async () => {
    const name = uniqueName('approval');
    const p = policy(name, {
      promotion: { approval: 'manual', approvalTimeout: '72h', onTimeout: 'reject', bake: '0s' },
    });
    // Waiting on the result skips time: the 72h pass as soon as nothing else runs.
    const result: RetrainResult = await client.workflow.execute(retrainWorkflow, {
      workflowId: `retrain:${name}:1`,
      taskQueue,
      args: [
        {
          policy: p,
          trigger: 'test',
          attempt: 1,
          controllerWorkflowId: controllerWorkflowId(name),
          decidedAt: new Date().toISOString(),
          evaluation: 1,
          explanation: 'started by the test',
        },
      ],
    });
    assert.equal(result.outcome, 'rejected', result.summary);
    assert.match(result.summary, /no approval within 72h/);
    assert.equal(await clients.mlflow.getAlias(`${name}-model`, 'champion'), undefined, 'nothing promoted');
    const version = await clients.mlflow.getModelVersion(`${name}-model`, result.version!);
    assert.equal(fromKeyValues(version.tags)['ctpilot.decision'], 'rejected');
    const rows = await clients.audit.rows({ model: `${name}-model` });
    const registered = rows.find((r) => r.kind === 'challenger.registered');
    const rejected = rows.find((r) => r.kind === 'challenger.rejected');
    assert.ok(registered && rejected, rows.map((r) => r.kind).join(', '));
    const waited = at(rejected) - at(registered);
    assert.ok(
      waited >= durationMs('72h') && waited < durationMs('72h') + HOUR,
      `waited ${waited / HOUR}h in workflow time`,
    );
  });
});
