// Faults in the services a retrain depends on, injected while it trains: on a
// scratch stack of this file's own (Temporal, PostgreSQL, S3, MLflow on free
// ports in their own home) so services can be stopped, killed and restarted
// without disturbing the shared test stack. The workers run in child
// processes against it; their MLflow traffic goes through a loopback proxy
// that can stall (a network that stops answering).
//
// After each fault the retrain must end — registered, or failed cleanly —
// with exactly one MLflow training run for the attempt, registry aliases that
// match the outcome, every audit step exactly once and a chain that verifies,
// and both worker processes still alive.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Client, Connection, WorkflowFailedError } from '@temporalio/client';
import { stringify } from 'yaml';
import { migrate } from '../../activities/postgres/migrate.ts';
import type { ServiceName } from '../../infra/stack/service.ts';
import { type LoadedPolicy, loadPolicy } from '../../policies/loader.ts';
import { type Clients, createClients } from '../../workers/clients.ts';
import type { RetrainResult } from '../../workflows/messages.ts';
import { retrainWorkflow } from '../../workflows/retrain.ts';
import { uniqueName } from '../support/env.ts';
import { type FaultRow, printFaultTable, retriedActivities } from '../support/fault-table.ts';
import { type ScratchStack, startScratchStack } from '../support/scratch-stack.ts';
import { type StallProxy, startStallProxy } from '../support/stall-proxy.ts';
import { startWorkerProcess, type WorkerProcess } from '../support/worker-process.ts';

const PROJECT = fileURLToPath(new URL('../fixtures/training/project', import.meta.url));
const SERVICES: ServiceName[] = ['postgres', 's3', 'temporal', 'mlflow'];
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A policy whose training is a plain command (one Python start, not two as with `mlflow run`). */
function policyFor(name: string, python: string): LoadedPolicy {
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
        // Training is short: a fault injected while it runs outlasts it, so
        // the steps after it (audit, run status, gates, registration) meet
        // the fault too, not only the training script's own MLflow client.
        launcher: {
          command: { run: [python, 'train.py', '--quality', '0.95', '--sleep', '2'], cwd: PROJECT },
        },
        timeout: '10m',
        accept: [{ metric: 'val_accuracy', min: 0.9 }],
      },
    }),
    `${name}.yaml`,
  );
  if (!loaded.ok) throw new Error(JSON.stringify(loaded.issues));
  return loaded.policy;
}

const REGISTERED_STEPS = [
  'accepted',
  'training-requested',
  'training-ended',
  'gates',
  'challenger-registered',
];

describe('a retrain survives outages of PostgreSQL, MLflow, S3 and Temporal, and a stalled network', () => {
  let stack: ScratchStack;
  let proxy: StallProxy;
  let clients: Clients;
  let connection: Connection;
  let client: Client;
  const taskQueue = uniqueName('fault-svc');
  const workers: Partial<Record<'orchestrator' | 'training', WorkerProcess>> = {};
  const rows: FaultRow[] = [];

  before(async () => {
    stack = await startScratchStack(SERVICES);
    const mlflow = new URL(stack.config.mlflow.trackingUri);
    proxy = await startStallProxy({ host: mlflow.hostname, port: Number(mlflow.port) });
    clients = createClients(stack.config);
    await migrate(clients.pool);
    // The workers reach MLflow through the proxy (the test's own client does not).
    const workerEnv = { ...stack.env, MLFLOW_TRACKING_URI: proxy.url };
    workers.orchestrator = await startWorkerProcess('orchestrator', taskQueue, workerEnv);
    workers.training = await startWorkerProcess('training', taskQueue, workerEnv);
    connection = await Connection.connect({ address: stack.config.temporal.address });
    client = new Client({ connection, namespace: stack.config.temporal.namespace });
  });

  after(async () => {
    printFaultTable('services during a retrain', rows);
    for (const w of Object.values(workers)) await w?.kill('SIGTERM');
    await connection?.close();
    await clients?.close();
    await proxy?.close();
    await stack?.remove();
  });

  async function steps(workflowId: string): Promise<string[]> {
    return (await clients.audit.rows({ workflowId })).map((r) => r.step);
  }

  async function until(what: string, probe: () => Promise<boolean>, timeoutMs = 180_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      try {
        if (await probe()) return;
      } catch {
        // A probe may hit the service that is down; try again.
      }
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await sleep(250);
    }
  }

  /** The retrain's result; a Temporal restart in between only delays it. */
  async function outcomeOf(workflowId: string): Promise<{ result?: RetrainResult; failure?: string }> {
    const deadline = Date.now() + 300_000;
    for (;;) {
      try {
        return { result: await client.workflow.getHandle(workflowId).result() };
      } catch (error) {
        if (error instanceof WorkflowFailedError) return { failure: String(error.cause?.message) };
        if (Date.now() > deadline) throw error;
        await sleep(1000);
      }
    }
  }

  /** The invariants every fault must leave intact; returns what held, for the table. */
  async function assertClean(
    policy: LoadedPolicy,
    workflowId: string,
    outcome: { result?: RetrainResult; failure?: string },
  ): Promise<string> {
    const name = policy.spec.metadata.name;
    const model = `${name}-model`;
    const experiment = await clients.mlflow.getExperimentByName(`${name}-training`);
    assert.ok(experiment, 'the training experiment exists');
    const runs = await clients.mlflow.findRunsByTags([experiment.experiment_id], {
      'ctpilot.workflow_id': workflowId,
    });
    assert.equal(runs.length, 1, 'exactly one MLflow training run for the attempt');
    const { versions } = await clients.mlflow.searchModelVersions({ filter: `name = '${model}'` });
    const challenger = await clients.mlflow.getAlias(model, 'challenger');
    const champion = await clients.mlflow.getAlias(model, 'champion');
    assert.equal(champion, undefined, 'nothing was promoted');
    const recorded = await steps(workflowId);
    assert.equal(new Set(recorded).size, recorded.length, `no step audited twice: ${recorded.join(', ')}`);
    const [report] = await clients.audit.verify(model);
    assert.equal(report?.ok, true, JSON.stringify(report?.problems));
    if (outcome.result) {
      assert.equal(outcome.result.outcome, 'registered', outcome.result.summary);
      assert.equal(runs[0]!.info.status, 'FINISHED');
      assert.deepEqual(
        versions.map((v) => v.run_id),
        [runs[0]!.info.run_id],
        'one registered version, from that run',
      );
      assert.equal(challenger?.version, outcome.result.version, 'the challenger alias is that version');
      assert.deepEqual([...recorded].sort(), [...REGISTERED_STEPS].sort(), 'every step audited once');
      const ended = (await clients.audit.rows({ workflowId })).find((r) => r.step === 'training-ended');
      const log = (ended?.details as { logArtifact?: string } | undefined)?.logArtifact
        ? 'training log kept'
        : 'training log not kept (warned)';
      return `registered; 1 run, 1 version = challenger, 5/5 steps once, chain ok; ${log}`;
    }
    // A clean failure: the registry as it was, the failure audited.
    assert.equal(versions.length, 0, 'no version left behind');
    assert.equal(challenger, undefined);
    assert.ok(
      recorded.some((s) => !REGISTERED_STEPS.includes(s)),
      'the failure step is audited',
    );
    return `failed cleanly (${outcome.failure}); 1 run, no version, chain ok`;
  }

  function assertWorkersAlive(): void {
    for (const [role, w] of Object.entries(workers)) {
      assert.equal(w?.child.exitCode, null, `the ${role} worker is still running`);
      assert.equal(w?.child.signalCode, null, `the ${role} worker is still running`);
    }
  }

  async function trainingUnderWay(policy: LoadedPolicy, workflowId: string): Promise<void> {
    await until('the training request', async () => (await steps(workflowId)).includes('training-requested'));
    // The command has started once the run is RUNNING (train.py's start_run).
    await until('training to be running', async () => {
      const experiment = await clients.mlflow.getExperimentByName(`${policy.spec.metadata.name}-training`);
      const [run] = await clients.mlflow.findRunsByTags([experiment!.experiment_id], {
        'ctpilot.workflow_id': workflowId,
      });
      return run?.info.status === 'RUNNING';
    });
  }

  const scenarios: Array<{
    fault: string;
    inject: () => Promise<void>;
    recover: () => Promise<void>;
    /** How long the fault lasts. */
    outageMs: number;
    /** When it hits: while training (default), or right after the gates, as the candidate is registered. */
    when?: 'training' | 'registering';
  }> = [
    {
      fault: 'PostgreSQL stopped, restarted 10 s later',
      inject: () => stack.stop('postgres'),
      recover: () => stack.start('postgres'),
      outageMs: 10_000,
    },
    {
      fault: 'MLflow stopped, restarted 8 s later',
      inject: () => stack.stop('mlflow'),
      recover: () => stack.start('mlflow'),
      outageMs: 8000,
      // While training, the training script's own MLflow client rides out the outage;
      // at registration it is ctpilot's activities that meet it.
      when: 'registering',
    },
    {
      fault: 'S3 server stopped, restarted 10 s later',
      inject: () => stack.stop('s3'),
      recover: () => stack.start('s3'),
      outageMs: 10_000,
    },
    {
      fault: 'Temporal dev server SIGKILLed, restarted on its SQLite file 3 s later',
      inject: () => stack.kill('temporal'),
      recover: () => stack.start('temporal'),
      outageMs: 3000,
    },
    {
      fault: 'Temporal dev server SIGKILLed, restarted on its SQLite file 3 s later',
      inject: () => stack.kill('temporal'),
      recover: () => stack.start('temporal'),
      outageMs: 3000,
      when: 'registering',
    },
    {
      fault: 'network to MLflow stalls (proxy holds every byte) for 25 s',
      inject: async () => proxy.stall(),
      recover: async () => proxy.heal(),
      outageMs: 25_000,
      when: 'registering',
    },
  ];

  for (const scenario of scenarios) {
    const when = scenario.when ?? 'training';
    it(`${scenario.fault} while ${when}`, async () => {
      const began = Date.now();
      const policy = policyFor(uniqueName('fault'), join(stack.config.venvBin, 'python'));
      const workflowId = `retrain:${policy.spec.metadata.name}:1`;
      await client.workflow.start(retrainWorkflow, {
        workflowId,
        taskQueue,
        args: [
          {
            policy,
            trigger: 'drop',
            attempt: 1,
            // No controller: the finish signal goes nowhere, which the workflow tolerates.
            controllerWorkflowId: `policy:${policy.spec.metadata.name}`,
            decidedAt: new Date().toISOString(),
            evaluation: 1,
            explanation: 'fault test',
          },
        ],
      });
      if (when === 'training') await trainingUnderWay(policy, workflowId);
      else await until('the gates', async () => (await steps(workflowId)).includes('gates'));
      await scenario.inject();
      await sleep(scenario.outageMs);
      await scenario.recover();
      const outcome = await outcomeOf(workflowId);
      const checks = await assertClean(policy, workflowId, outcome);
      assertWorkersAlive();
      const retried = await retriedActivities(client.workflow.getHandle(workflowId));
      rows.push({
        fault: scenario.fault,
        during: `retrain: ${when}`,
        outcome: `${checks}; ${retried}`,
        seconds: (Date.now() - began) / 1000,
      });
    });
  }
});
