// Faults during a retrain: the orchestrator and the training worker killed
// (SIGKILL) at each step and started again, and a completed retrain reset to
// its beginning. Each time the retrain completes with exactly one MLflow
// training run, one registered version, every audit step once, and an audit
// chain that verifies.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Client, Connection } from '@temporalio/client';
import { stringify } from 'yaml';
import { fromKeyValues } from '../../activities/mlflow/schemas.ts';
import { migrate } from '../../activities/postgres/migrate.ts';
import { temporalCli } from '../../infra/stack/services/temporal.ts';
import { type LoadedPolicy, loadPolicy } from '../../policies/loader.ts';
import { type Clients, createClients } from '../../workers/clients.ts';
import type { RetrainResult } from '../../workflows/messages.ts';
import { retrainWorkflow } from '../../workflows/retrain.ts';
import { testConfig, uniqueName } from '../support/env.ts';
import { startWorkerProcess, type WorkerProcess } from '../support/worker-process.ts';

const PROJECT = fileURLToPath(new URL('../fixtures/training/project', import.meta.url));

function policyFor(name: string): LoadedPolicy {
  const loaded = loadPolicy(
    stringify({
      apiVersion: 'ctpilot/v1',
      kind: 'RetrainingPolicy',
      metadata: { name },
      model: { name: `${name}-model` },
      evaluate: { every: '1h' },
      metrics: { accuracy: { prometheus: { query: 'vector(0.5)' }, objective: { min: 0.9 } } },
      triggers: { drop: { when: 'accuracy.breached', action: 'retrain' } },
      training: {
        experiment: `${name}-training`,
        launcher: { mlflowProject: { uri: PROJECT, entryPoint: 'train' } },
        // Long enough to be killed in the middle of.
        parameters: { quality: 0.95, sleep: 12 },
        timeout: '10m',
        accept: [{ metric: 'val_accuracy', min: 0.9 }],
      },
    }),
    `${name}.yaml`,
  );
  if (!loaded.ok) throw new Error(JSON.stringify(loaded.issues));
  return loaded.policy;
}

const EXPECTED_STEPS = ['accepted', 'training-requested', 'training-ended', 'gates', 'challenger-registered'];

describe('a retrain survives killed workers and resets', () => {
  const config = testConfig();
  let clients: Clients;
  let connection: Connection;
  let client: Client;

  before(async () => {
    clients = createClients(config);
    await migrate(clients.pool);
    connection = await Connection.connect({ address: config.temporal.address });
    client = new Client({ connection, namespace: config.temporal.namespace });
  });

  after(async () => {
    await connection.close();
    await clients.close();
  });

  async function steps(workflowId: string): Promise<string[]> {
    return (await clients.audit.rows({ workflowId })).map((r) => r.step);
  }

  async function until(what: string, probe: () => Promise<boolean>, timeoutMs = 180_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!(await probe())) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  /** Exactly one training run, one version, each step once, the chain intact. */
  async function assertClean(policy: LoadedPolicy, workflowId: string, result: RetrainResult): Promise<void> {
    assert.equal(result.outcome, 'registered', result.summary);
    const model = `${policy.spec.metadata.name}-model`;
    const experiment = await clients.mlflow.getExperimentByName(`${policy.spec.metadata.name}-training`);
    const runs = await clients.mlflow.findRunsByTags([experiment!.experiment_id], {
      'ctpilot.workflow_id': workflowId,
    });
    assert.equal(runs.length, 1, 'one MLflow training run');
    assert.equal(runs[0]!.info.status, 'FINISHED');
    // The project logs its pid as a param; MLflow refuses a second, different value: one training ran.
    assert.equal(fromKeyValues(runs[0]!.data.params).pid !== undefined, true);
    const { versions } = await clients.mlflow.searchModelVersions({ filter: `name = '${model}'` });
    assert.deepEqual(
      versions.map((v) => v.run_id),
      [runs[0]!.info.run_id],
      'one registered version',
    );
    assert.equal((await clients.mlflow.getAlias(model, 'challenger'))?.version, result.version);
    const recorded = await steps(workflowId);
    assert.deepEqual([...recorded].sort(), [...EXPECTED_STEPS].sort(), 'every step audited once');
    const [report] = await clients.audit.verify(model);
    assert.equal(report?.ok, true, JSON.stringify(report?.problems));
  }

  const scenarios: Array<{
    title: string;
    when: 'after-request' | 'while-training' | 'after-gates';
    kill: Array<'orchestrator' | 'training'>;
  }> = [
    {
      title: 'the orchestrator killed right after the training run is requested',
      when: 'after-request',
      kill: ['orchestrator'],
    },
    { title: 'the training worker killed while training', when: 'while-training', kill: ['training'] },
    {
      title: 'both workers killed while training',
      when: 'while-training',
      kill: ['orchestrator', 'training'],
    },
    { title: 'the orchestrator killed after the gates', when: 'after-gates', kill: ['orchestrator'] },
  ];

  for (const scenario of scenarios) {
    it(`completes cleanly with ${scenario.title}`, async () => {
      const taskQueue = uniqueName('fault');
      const policy = policyFor(uniqueName('fault'));
      const workers: Record<string, WorkerProcess> = {
        orchestrator: await startWorkerProcess('orchestrator', taskQueue),
        training: await startWorkerProcess('training', `${taskQueue}`),
      };
      try {
        const workflowId = `retrain:${policy.spec.metadata.name}:1`;
        const handle = await client.workflow.start(retrainWorkflow, {
          workflowId,
          taskQueue,
          args: [
            {
              policy,
              trigger: 'drop',
              attempt: 1,
              controllerWorkflowId: controllerless(policy),
              decidedAt: new Date().toISOString(),
              evaluation: 1,
              explanation: 'fault test',
            },
          ],
        });
        if (scenario.when === 'after-request') {
          await until('the training request', async () =>
            (await steps(workflowId)).includes('training-requested'),
          );
        } else if (scenario.when === 'after-gates') {
          await until('the gates', async () => (await steps(workflowId)).includes('gates'));
        } else {
          await until('training to be under way', async () => {
            const experiment = await clients.mlflow.getExperimentByName(
              `${policy.spec.metadata.name}-training`,
            );
            if (!experiment) return false;
            const [run] = await clients.mlflow.findRunsByTags([experiment.experiment_id], {
              'ctpilot.workflow_id': workflowId,
            });
            return run?.data.metrics.some((m) => m.key === 'loss') === true;
          });
        }
        for (const role of scenario.kill) await workers[role]!.kill('SIGKILL');
        for (const role of scenario.kill)
          workers[role] = await startWorkerProcess(role as 'orchestrator' | 'training', taskQueue);
        const result: RetrainResult = await handle.result();
        await assertClean(policy, workflowId, result);
      } finally {
        for (const w of Object.values(workers)) await w.kill('SIGTERM');
      }
    });
  }

  it('a completed retrain reset to its start re-runs without a second run, version or audit row', async () => {
    const taskQueue = uniqueName('reset');
    const policy = policyFor(uniqueName('reset'));
    const orchestrator = await startWorkerProcess('orchestrator', taskQueue);
    const training = await startWorkerProcess('training', taskQueue);
    try {
      const workflowId = `retrain:${policy.spec.metadata.name}:1`;
      const handle = await client.workflow.start(retrainWorkflow, {
        workflowId,
        taskQueue,
        args: [
          {
            policy,
            trigger: 'drop',
            attempt: 1,
            controllerWorkflowId: controllerless(policy),
            decidedAt: new Date().toISOString(),
            evaluation: 1,
            explanation: 'reset test',
          },
        ],
      });
      const first: RetrainResult = await handle.result();
      const reset = spawnSync(
        temporalCli(config),
        [
          'workflow',
          'reset',
          '--workflow-id',
          workflowId,
          '--type',
          'FirstWorkflowTask',
          '--reason',
          'test reset',
          '--address',
          config.temporal.address,
        ],
        { encoding: 'utf8' },
      );
      assert.equal(reset.status, 0, reset.stderr);
      const again: RetrainResult = await client.workflow.getHandle(workflowId).result();
      assert.equal(again.version, first.version, 'the same version, found again');
      await assertClean(policy, workflowId, again);
    } finally {
      await orchestrator.kill('SIGTERM');
      await training.kill('SIGTERM');
    }
  });
});

/** These retrains run without a controller: the finish signal goes nowhere, which the workflow tolerates. */
function controllerless(policy: LoadedPolicy): string {
  return `policy:${policy.spec.metadata.name}`;
}
