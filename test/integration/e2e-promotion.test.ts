// Shadow, approval, promotion, bake and rollback on the real stack with the
// example model: the simulator serves the champion, logs its traffic and
// labels to S3, scores any version for the shadow replay, and reloads on the
// signed deploy hook.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it, type TestContext } from 'node:test';
import { Client, Connection } from '@temporalio/client';
import type { Worker } from '@temporalio/worker';
import { stringify } from 'yaml';
import { fromKeyValues } from '../../activities/mlflow/schemas.ts';
import { migrate } from '../../activities/postgres/migrate.ts';
import { bootstrapChampion, type Simulator, startSimulator } from '../../examples/support-tickets/control.ts';
import { type LoadedPolicy, loadPolicy } from '../../policies/loader.ts';
import { type Clients, createClients } from '../../workers/clients.ts';
import { createOrchestratorWorker, createTrainingWorker } from '../../workers/orchestrator.ts';
import { applyPolicies } from '../../workers/policy-sync.ts';
import {
  approveUpdate,
  type RetrainResult,
  retrainProgressQuery,
  rollbackUpdate,
  statusQuery,
} from '../../workflows/messages.ts';
import { controllerWorkflowId } from '../../workflows/policy-controller.ts';
import { retrainWorkflow } from '../../workflows/retrain.ts';
import { quietTemporalRuntime, testConfig, uniqueName } from '../support/env.ts';
import { waitFor } from '../support/wait-for.ts';

const HOOK_SECRET_VARIABLE = 'CTPILOT_TEST_DEPLOY_HOOK_SECRET';
// One deploy-hook secret for every simulator of this file: the tests run two
// at a time, and the worker reads the secret from the environment at use.
const HOOK_SECRET = randomBytes(24).toString('hex');

// Two tests at a time: each serves its own model and simulator, and most of
// a test is waiting (shadow windows, bake periods, label delays).
describe('shadow, approval, promotion, bake and rollback with the example model', { concurrency: 2 }, () => {
  const config = testConfig();
  const taskQueue = uniqueName('promotion');
  let clients: Clients;
  let connection: Connection;
  let client: Client;
  const workers: Worker[] = [];
  let running: Promise<unknown>;
  const simulators: Simulator[] = [];

  before(async () => {
    process.env[HOOK_SECRET_VARIABLE] = HOOK_SECRET;
    quietTemporalRuntime();
    clients = createClients(config);
    await migrate(clients.pool);
    const orchestrator = await createOrchestratorWorker(config, clients, { taskQueue });
    const training = await createTrainingWorker(config, clients, { taskQueue });
    workers.push(orchestrator.worker, training.worker);
    running = Promise.all(workers.map((w) => w.run()));
    connection = await Connection.connect({ address: config.temporal.address });
    client = new Client({ connection, namespace: config.temporal.namespace });
  });

  after(async () => {
    for await (const w of client.workflow.list({
      query: `TaskQueue = '${taskQueue}' AND ExecutionStatus = 'Running'`,
    })) {
      await client.workflow.getHandle(w.workflowId).terminate('test finished');
    }
    for (const s of simulators) await s.stop();
    for (const w of workers) w.shutdown();
    await running;
    await connection.close();
    await clients.close();
  });

  /**
   * A champion served by its own simulator. Both end with the test that asked for them (its simulator,
   * its controllers and retrains): traffic and cadences left running would only load the others.
   */
  async function servedModel(t: TestContext): Promise<{ modelName: string; simulator: Simulator }> {
    const modelName = uniqueName('tickets');
    t.after(async () => {
      for await (const w of client.workflow.list({
        query: `CtModel = '${modelName}' AND ExecutionStatus = 'Running'`,
      }))
        await client.workflow.getHandle(w.workflowId).terminate('test finished');
      const i = simulators.findIndex((s) => s.modelName === modelName);
      if (i >= 0) await simulators.splice(i, 1)[0]!.stop();
    });
    await bootstrapChampion({ modelName });
    const simulator = await startSimulator({
      modelName,
      rate: 20,
      labelDelaySeconds: 1,
      scrapeInterval: '2s',
      flushSeconds: 1,
      hookSecret: HOOK_SECRET,
    });
    simulators.push(simulator);
    return { modelName, simulator };
  }

  /** A policy for the served model; sections override the defaults. */
  function policyFor(
    name: string,
    modelName: string,
    simulator: Simulator,
    sections: Record<string, unknown>,
  ): LoadedPolicy {
    const selector = `{model="{{ model.name }}",model_version="{{ version }}"}`;
    const document = {
      apiVersion: 'ctpilot/v1',
      kind: 'RetrainingPolicy',
      metadata: { name },
      model: { name: modelName },
      evaluate: { every: '5s' },
      metrics: {
        // Per served version, so the bake watches the new champion alone.
        accuracy: {
          prometheus: {
            query: `sum(increase(support_tickets_correct_predictions_total${selector}[20s])) / sum(increase(support_tickets_labels_total${selector}[20s]))`,
            samples: `sum(increase(support_tickets_labels_total${selector}[20s]))`,
          },
          objective: { min: 0.8 },
          minSamples: 30,
        },
      },
      triggers: { 'accuracy-drop': { when: 'accuracy.breached', for: 2, action: 'retrain' } },
      guards: { cooldown: '1h' },
      training: {
        experiment: `${name}-retraining`,
        launcher: { mlflowProject: { uri: './examples/support-tickets', entryPoint: 'train' } },
        parameters: { data_uri: simulator.logPrefix!, since: '40s', min_rows: 200 },
        timeout: '10m',
        accept: [{ metric: 'val_accuracy', min: 0.3 }],
      },
      shadow: {
        mode: 'replay',
        duration: '15s',
        maxDuration: '45s',
        minSamples: 100,
        requests: { uri: simulator.requestsPrefix! },
        labels: { uri: simulator.labelsPrefix! },
        endpoint: `${simulator.url}/versions/{{ version }}/invocations`,
        compare: [{ metric: 'accuracy', mustBe: 'notWorse', margin: 0.02, confidence: 0.95 }],
      },
      promotion: {
        approval: 'auto',
        bake: '40s',
        rollback: { when: 'accuracy.breached', for: 2 },
        deployHook: { url: `${simulator.url}/admin/reload`, secret: `\${env:${HOOK_SECRET_VARIABLE}}` },
      },
      ...sections,
    };
    const loaded = loadPolicy(stringify(document), `${name}.yaml`);
    if (!loaded.ok) throw new Error(JSON.stringify(loaded.issues, null, 2));
    return loaded.policy;
  }

  /** A retrain started directly (no controller): the candidate flow without the metric trigger. */
  async function retrainDirectly(policy: LoadedPolicy) {
    return client.workflow.start(retrainWorkflow, {
      workflowId: `retrain:${policy.spec.metadata.name}:1`,
      taskQueue,
      args: [
        {
          policy,
          trigger: 'test',
          attempt: 1,
          controllerWorkflowId: controllerWorkflowId(policy.spec.metadata.name),
          decidedAt: new Date().toISOString(),
          evaluation: 1,
          explanation: 'started by the test',
        },
      ],
    });
  }

  it('drift → retrain → shadow passes → auto-promoted → served → bake passes; ctpilot rollback puts the previous version back', async (t) => {
    const { modelName, simulator } = await servedModel(t);
    const name = uniqueName('promote');
    await applyPolicies(client, [policyFor(name, modelName, simulator, {})], { taskQueue });
    const controller = client.workflow.getHandle(controllerWorkflowId(name));
    await waitFor('a healthy decision', async () =>
      (await controller.query(statusQuery)).lastDecision?.outcome === 'ok' ? true : undefined,
    );

    await simulator.injectDrift(1);
    const retrainId = await waitFor(
      'the retrain',
      async () => (await controller.query(statusQuery)).retrain?.workflowId,
    );
    const result: RetrainResult = await client.workflow.getHandle(retrainId).result();
    assert.equal(result.outcome, 'promoted', result.summary);
    assert.equal(result.previousVersion, '1');
    assert.equal((await clients.mlflow.getAlias(modelName, 'champion'))?.version, result.version);
    assert.equal(
      await clients.mlflow.getAlias(modelName, 'challenger'),
      undefined,
      'the challenger alias is gone',
    );
    const promotedVersion = await clients.mlflow.getModelVersion(modelName, result.version!);
    assert.equal(fromKeyValues(promotedVersion.tags)['ctpilot.previous_champion'], '1');

    // The example's server reloaded on the signed hook and now answers with the new version.
    assert.equal((await simulator.state()).model.version, result.version);
    const scored = await simulator.score(['I was charged twice for my order']);
    assert.equal(scored.version, result.version);

    // The shadow report: on S3 and on the challenger's MLflow run.
    assert.ok(result.reportUri?.startsWith('s3://'), result.reportUri);
    const report = await clients.store.getText(result.reportUri!);
    assert.match(report, /Verdict: pass/);
    assert.match(report, /data-chart="accuracy"/);
    const runArtifacts = await clients.mlflow.downloadArtifact(
      { artifact_uri: (await clients.mlflow.getRun(result.runId!)).info.artifact_uri },
      'ctpilot/shadow-report.html',
    );
    assert.match(runArtifacts, /Shadow comparison/);

    // The bake period passes on a healthy champion.
    const baked = await waitFor('the bake period to end', async () => {
      const s = await controller.query(statusQuery);
      const until = s.state.champion?.bakeUntil;
      return until && Date.parse(until) < Date.now() - 6000 ? s : undefined;
    });
    assert.equal(baked.state.champion?.version, result.version);
    const afterBake = await clients.audit.rows({ model: modelName });
    assert.ok(!afterBake.some((r) => r.kind === 'rollback'), 'no rollback during a healthy bake');

    // The audit history tells the whole story and verifies.
    const kinds = afterBake.map((r) => r.kind);
    for (const kind of [
      'retrain.started',
      'training.ended',
      'gates',
      'challenger.registered',
      'shadow.verdict',
      'promotion',
    ]) {
      assert.ok(kinds.includes(kind), `${kind} in ${kinds.join(', ')}`);
    }
    const [report1] = await clients.audit.verify(modelName);
    assert.equal(report1?.ok, true, JSON.stringify(report1?.problems));

    // `ctpilot rollback`: the operator puts the previous version back, with a reason.
    const manual = await controller.executeUpdate(rollbackUpdate, {
      args: [{ by: 'alice', reason: 'drill' }],
    });
    assert.deepEqual([manual.fromVersion, manual.toVersion], [result.version, '1']);
    assert.equal((await clients.mlflow.getAlias(modelName, 'champion'))?.version, '1');
    await waitFor(
      'the simulator to serve version 1 again',
      async () => ((await simulator.state()).model.version === '1' ? true : undefined),
      30_000,
    );
    const rows = await clients.audit.rows({ model: modelName });
    assert.ok(rows.some((r) => r.kind === 'rollback' && JSON.stringify(r.details).includes('alice')));
  });

  it('a champion that degrades during its bake is rolled back automatically, within one evaluation of the breach', async (t) => {
    const { modelName, simulator } = await servedModel(t);
    const name = uniqueName('bake');
    // Retrained on drifted traffic only (the last 40 s), the new champion is good at drift 1 and poor at drift 0.
    await simulator.injectDrift(1);
    await new Promise((r) => setTimeout(r, 45_000));
    const policy = policyFor(name, modelName, simulator, {});
    // The controller watches (the bake) but does not retrain by itself here: the test starts the retrain.
    const watchOnly = { triggers: { watch: { when: 'accuracy.breached', for: 1000, action: 'alert' } } };
    await applyPolicies(client, [policyFor(name, modelName, simulator, watchOnly)], { taskQueue });
    const controller = client.workflow.getHandle(controllerWorkflowId(name));
    await waitFor(
      'the first evaluation',
      async () => (await controller.query(statusQuery)).lastDecision ?? undefined,
    );
    const retrain = await retrainDirectly(policy);
    const result: RetrainResult = await retrain.result();
    assert.equal(result.outcome, 'promoted', result.summary);
    await waitFor(
      'the controller to start the bake',
      async () => ((await controller.query(statusQuery)).state.champion?.bakeUntil ? true : undefined),
      30_000,
    );

    // The world changes back: the new champion's accuracy collapses during the bake.
    await simulator.injectDrift(0);
    const rolled = await waitFor('the automatic rollback', async () =>
      (await clients.audit.rows({ model: modelName })).find((r) => r.kind === 'rollback'),
    );
    assert.equal((await clients.mlflow.getAlias(modelName, 'champion'))?.version, '1');
    const decisions = (await clients.audit.rows({ model: modelName })).filter(
      (r) => r.kind === 'evaluation' && r.outcome === 'rollback',
    );
    assert.ok(decisions.length >= 1);
    // Step keys are `<kind>:<evaluation number>:<time>`: the rollback ran in the evaluation that decided it.
    assert.equal(rolled.step.split(':')[1], decisions[0]!.step.split(':')[1]);
    assert.equal(
      fromKeyValues((await clients.mlflow.getModelVersion(modelName, result.version!)).tags)[
        'ctpilot.decision'
      ],
      'rolled-back',
    );
    await waitFor(
      'the simulator to serve version 1 again',
      async () => ((await simulator.state()).model.version === '1' ? true : undefined),
      30_000,
    );
  });

  it('a deliberately worse challenger is rejected with the reason; the champion does not change', async (t) => {
    const { modelName, simulator } = await servedModel(t);
    const name = uniqueName('worse');
    const policy = policyFor(name, modelName, simulator, {});
    const worse = {
      ...policy,
      spec: {
        ...policy.spec,
        training: {
          ...policy.spec.training!,
          parameters: { data_uri: 'synthetic', degrade: 0.6, min_rows: 200 },
        },
      },
    } as LoadedPolicy;
    const result: RetrainResult = await (await retrainDirectly(worse)).result();
    assert.equal(result.outcome, 'rejected', result.summary);
    assert.match(result.summary, /shadow fail.*accuracy/);
    assert.equal((await clients.mlflow.getAlias(modelName, 'champion'))?.version, '1');
    const version = await clients.mlflow.getModelVersion(modelName, result.version!);
    assert.equal(fromKeyValues(version.tags)['ctpilot.decision'], 'rejected');
    assert.match(fromKeyValues(version.tags)['ctpilot.reason'] ?? '', /accuracy/);
    assert.equal((await simulator.state()).model.version, '1');
  });

  it('manual approval: waits, then `approve` promotes; another run times out and follows onTimeout', async (t) => {
    const { modelName, simulator } = await servedModel(t);
    const name = uniqueName('manual');
    const base = policyFor(name, modelName, simulator, {});
    const manual = (timeout: string) =>
      ({
        ...base,
        spec: {
          ...base.spec,
          training: { ...base.spec.training!, parameters: { data_uri: 'synthetic', min_rows: 200 } },
          // The approval is what is tested here: no shadow in front of it.
          shadow: undefined,
          promotion: {
            ...base.spec.promotion!,
            approval: 'manual',
            approvalTimeout: timeout,
            onTimeout: 'reject',
          },
        },
      }) as LoadedPolicy;

    const handle = await retrainDirectly(manual('10m'));
    const waiting = await waitFor('the approval request', async () => {
      const p = await handle.query(retrainProgressQuery);
      return p.phase === 'awaiting-approval' ? p : undefined;
    });
    await assert.rejects(
      handle.executeUpdate(approveUpdate, { args: [{ by: 'bob', version: '99' }] }),
      (e: Error) => /not the one awaiting approval/.test(String((e.cause as Error | undefined)?.message)),
    );
    const decision = await handle.executeUpdate(approveUpdate, {
      args: [{ by: 'bob', reason: 'looks good', version: waiting.version }],
    });
    assert.equal(decision.decision, 'approved');
    await assert.rejects(handle.executeUpdate(approveUpdate, { args: [{ by: 'carol' }] }), (e: Error) =>
      /already approved by bob|not found|completed/i.test(
        String((e.cause as Error | undefined)?.message ?? e.message),
      ),
    );
    const result: RetrainResult = await handle.result();
    assert.equal(result.outcome, 'promoted');
    assert.equal((await clients.mlflow.getAlias(modelName, 'champion'))?.version, result.version);
    const approval = (await clients.audit.rows({ workflowId: handle.workflowId })).find(
      (r) => r.kind === 'approval',
    );
    assert.match(JSON.stringify(approval?.details), /bob/);

    const timedOut = await client.workflow.start(retrainWorkflow, {
      workflowId: `retrain:${name}:2`,
      taskQueue,
      args: [
        {
          policy: manual('5s'),
          trigger: 'test',
          attempt: 2,
          controllerWorkflowId: controllerWorkflowId(name),
          decidedAt: new Date().toISOString(),
          evaluation: 2,
          explanation: 'started by the test',
        },
      ],
    });
    const second: RetrainResult = await timedOut.result();
    assert.equal(second.outcome, 'rejected');
    assert.match(second.summary, /no approval within 5s/);
    assert.equal(
      (await clients.mlflow.getAlias(modelName, 'champion'))?.version,
      result.version,
      'the champion stayed',
    );
  });

  it('a scoring endpoint that fails is retried, then inconclusive — never a promotion', async (t) => {
    const { modelName, simulator } = await servedModel(t);
    const name = uniqueName('broken-endpoint');
    const policy = policyFor(name, modelName, simulator, {});
    const broken = {
      ...policy,
      spec: {
        ...policy.spec,
        training: { ...policy.spec.training!, parameters: { data_uri: 'synthetic', min_rows: 200 } },
        shadow: {
          ...policy.spec.shadow!,
          endpoint: `${simulator.url}/versions/999/invocations`,
          duration: '5s',
          maxDuration: '15s',
        },
      },
    } as LoadedPolicy;
    const result: RetrainResult = await (await retrainDirectly(broken)).result();
    assert.equal(result.outcome, 'rejected');
    assert.match(result.summary, /shadow inconclusive/);
    assert.equal((await clients.mlflow.getAlias(modelName, 'champion'))?.version, '1');
    const verdict = (await clients.audit.rows({ model: modelName })).find((r) => r.kind === 'shadow.verdict');
    assert.equal(verdict?.outcome, 'inconclusive');
    assert.ok(
      ((verdict?.details as { samples?: { failed?: number } } | undefined)?.samples?.failed ?? 0) > 0,
      'the failures were counted',
    );
  });
});
