// Faults in the services an evaluation reads, injected between evaluations
// of a live policy controller: Prometheus stopped, Prometheus behind a
// network that stalls, the S3 server holding the drift windows stopped, and
// PostgreSQL (the audit history) stopped for longer than the evaluation's
// retries. Prometheus, S3 and PostgreSQL are this file's own (a scratch stack on
// free ports), so they can be stopped without disturbing the shared test
// stack; Temporal and MLflow are the shared ones.
//
// Every policy here breaches on real data with `for: 2`: one breach before
// the fault, none counted during it, and the first breach after recovery
// retrains. So missing data never triggers a retrain, never breaks the
// controller, and does not stop the next real breach from acting.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Client, Connection, WorkflowUpdateFailedError } from '@temporalio/client';
import type { Worker } from '@temporalio/worker';
import { stringify } from 'yaml';
import { migrate } from '../../activities/postgres/migrate.ts';
import type { Decision } from '../../policies/decision.ts';
import { type LoadedPolicy, loadPolicy } from '../../policies/loader.ts';
import { type Clients, createClients } from '../../workers/clients.ts';
import { loadConfig } from '../../workers/config.ts';
import { createOrchestratorWorker } from '../../workers/orchestrator.ts';
import { applyPolicies } from '../../workers/policy-sync.ts';
import { evaluateNowUpdate, statusQuery } from '../../workflows/messages.ts';
import { controllerWorkflowId } from '../../workflows/policy-controller.ts';
import { quietTemporalRuntime, testConfig, uniqueName } from '../support/env.ts';
import { type FaultRow, printFaultTable } from '../support/fault-table.ts';
import { type ScratchStack, startScratchStack } from '../support/scratch-stack.ts';
import { type StallProxy, startStallProxy } from '../support/stall-proxy.ts';

const by = { by: 'fault test' };

function policy(name: string, metrics: Record<string, unknown>, when: string): LoadedPolicy {
  const loaded = loadPolicy(
    stringify({
      apiVersion: 'ctpilot/v1',
      kind: 'RetrainingPolicy',
      metadata: { name },
      model: { name: `${name}-model` },
      evaluate: { every: '1h' },
      metrics,
      triggers: { decay: { when, for: 2, action: 'retrain' } },
      training: {
        experiment: `${name}-training`,
        // No training worker serves this test's queue: a retrain that starts waits, and is terminated at the end.
        launcher: { command: { run: ['true'] } },
        timeout: '10m',
      },
    }),
    `${name}.yaml`,
  );
  if (!loaded.ok) throw new Error(JSON.stringify(loaded.issues));
  return loaded.policy;
}

/** A numeric column drawn around `mean` (deterministic: no seed needed). */
function csv(mean: number, rows = 400): string {
  const lines = ['x'];
  for (let i = 0; i < rows; i++) lines.push(String(mean + Math.sin(i * 12.9898) * 1.5));
  return `${lines.join('\n')}\n`;
}

describe('an evaluation meets Prometheus, S3 and PostgreSQL outages and a stalled network', () => {
  const shared = testConfig();
  let stack: ScratchStack;
  let proxy: StallProxy;
  let clients: Clients;
  let connection: Connection;
  let client: Client;
  let worker: Worker;
  let running: Promise<void>;
  const taskQueue = uniqueName('fault-eval');
  const rows: FaultRow[] = [];

  before(async () => {
    quietTemporalRuntime();
    stack = await startScratchStack(['prometheus', 's3', 'postgres']);
    const prometheus = new URL(stack.config.prometheus.url);
    proxy = await startStallProxy({ host: prometheus.hostname, port: Number(prometheus.port) });
    const config = loadConfig(stack.env);
    clients = createClients(config);
    await migrate(clients.pool);
    ({ worker } = await createOrchestratorWorker(config, clients, { taskQueue }));
    running = worker.run();
    connection = await Connection.connect({ address: shared.temporal.address });
    client = new Client({ connection, namespace: shared.temporal.namespace });
  });

  after(async () => {
    printFaultTable('services during an evaluation', rows);
    for await (const execution of client.workflow.list({
      query: `TaskQueue = '${taskQueue}' AND ExecutionStatus = 'Running'`,
    })) {
      await client.workflow.getHandle(execution.workflowId).terminate('fault test finished');
    }
    // The retrains started after recovery run on the same queue (children inherit it).
    worker?.shutdown();
    await running;
    await connection?.close();
    await clients?.close();
    await proxy?.close();
    await stack?.remove();
  });

  const controller = (name: string) => client.workflow.getHandle(controllerWorkflowId(name));
  const retrains = (d: Decision) =>
    d.actions.filter((a) => a.kind === 'retrain' && a.status === 'act').length;

  async function firstDecision(name: string): Promise<Decision> {
    const deadline = Date.now() + 120_000;
    for (;;) {
      const status = await controller(name).query(statusQuery);
      if (status.lastDecision) return status.lastDecision;
      if (Date.now() > deadline) throw new Error('no first evaluation within 120 s');
      await new Promise((r) => setTimeout(r, 250));
    }
  }

  /**
   * Applies the policy, checks the first (healthy) evaluation breaches once
   * without acting, injects the fault, evaluates during it, recovers, and
   * checks that the next evaluation retrains. Returns the decision made
   * during the fault, for the scenario's own checks.
   */
  async function scenario(
    fault: string,
    loaded: LoadedPolicy,
    metric: string,
    inject: () => Promise<void>,
    during: () => Promise<string>,
    recover: () => Promise<void>,
  ): Promise<void> {
    const began = Date.now();
    const name = loaded.spec.metadata.name;
    await applyPolicies(client, [loaded], { taskQueue });
    const first = await firstDecision(name);
    assert.equal(first.metrics.find((m) => m.metric === metric)?.phase, 'breach', first.summary);
    assert.equal(retrains(first), 0, 'for: 2 — one breach does not act');

    await inject();
    let seen: string;
    try {
      seen = await during();
    } finally {
      await recover();
    }
    const status = await controller(name).query(statusQuery);
    assert.equal(status.retrain, null, 'no retrain started during the fault');

    const back = await controller(name).executeUpdate(evaluateNowUpdate, { args: [by] });
    assert.equal(back.metrics.find((m) => m.metric === metric)?.phase, 'breach', back.summary);
    assert.equal(retrains(back), 1, `the first breach after recovery retrains: ${back.summary}`);
    const [report] = await clients.audit.verify(`${name}-model`);
    assert.equal(report?.ok, true, JSON.stringify(report?.problems));
    const evaluations = (await clients.audit.rows({ model: `${name}-model` })).filter(
      (r) => r.kind === 'evaluation',
    );
    assert.equal(
      new Set(evaluations.map((r) => r.step)).size,
      evaluations.length,
      'no evaluation audited twice',
    );
    rows.push({
      fault,
      during: 'controller evaluation',
      outcome: `${seen}; no retrain during the fault; retrain at the first breach after; chain ok (${evaluations.length} evaluations audited)`,
      seconds: (Date.now() - began) / 1000,
    });
  }

  /** Evaluates during the fault: the metric is not a breach, and nothing retrains. */
  async function evaluateDuring(name: string, metric: string, expected: RegExp): Promise<string> {
    const decision = await controller(name).executeUpdate(evaluateNowUpdate, { args: [by] });
    const measured = decision.metrics.find((m) => m.metric === metric);
    assert.ok(measured?.phase === 'error' || measured?.phase === 'inconclusive', JSON.stringify(measured));
    assert.match(JSON.stringify(measured), expected);
    assert.equal(retrains(decision), 0, decision.summary);
    return `${metric} ${measured?.phase}, decision ${decision.outcome}`;
  }

  it('Prometheus stopped, restarted', async () => {
    const name = uniqueName('prom-down');
    const metrics = {
      accuracy: {
        prometheus: { query: 'vector(0.5)', endpoint: stack.config.prometheus.url },
        objective: { min: 0.9 },
      },
    };
    await scenario(
      'Prometheus stopped, restarted after one evaluation',
      policy(name, metrics, 'accuracy.breached'),
      'accuracy',
      () => stack.stop('prometheus'),
      () => evaluateDuring(name, 'accuracy', /cannot reach Prometheus|ECONNREFUSED|network/),
      () => stack.start('prometheus'),
    );
  });

  it('the network to Prometheus stalls, then heals', async () => {
    const name = uniqueName('prom-stall');
    const metrics = {
      accuracy: { prometheus: { query: 'vector(0.5)', endpoint: proxy.url }, objective: { min: 0.9 } },
    };
    const held = proxy.stalledConnections;
    await scenario(
      'network to Prometheus stalls (proxy holds every byte)',
      policy(name, metrics, 'accuracy.breached'),
      'accuracy',
      async () => proxy.stall(),
      async () => {
        const seen = await evaluateDuring(name, 'accuracy', /timeout|within/);
        assert.ok(proxy.stalledConnections > held, 'the query went into the stall');
        return `${seen} (client timeout)`;
      },
      async () => proxy.heal(),
    );
  });

  it('the S3 server holding the drift windows stopped, restarted', async () => {
    const name = uniqueName('s3-down');
    const prefix = `s3://${stack.config.s3.bucket}/fault/${name}`;
    await clients.store.put(`${prefix}/reference.csv`, csv(0), 'text/csv');
    await clients.store.put(`${prefix}/current.csv`, csv(3), 'text/csv');
    const metrics = {
      x_drift: {
        drift: {
          feature: 'x',
          reference: { uri: `${prefix}/reference.csv` },
          current: { uri: `${prefix}/current.csv` },
          test: 'ks',
        },
      },
    };
    await scenario(
      'S3 server (drift windows) stopped, restarted after one evaluation',
      policy(name, metrics, 'x_drift.drifted'),
      'x_drift',
      () => stack.stop('s3'),
      () => evaluateDuring(name, 'x_drift', /cannot read|ECONNREFUSED|connect/i),
      () => stack.start('s3'),
    );
  });

  it('PostgreSQL (the audit history) stopped for longer than the evaluation retries', async () => {
    const name = uniqueName('pg-down');
    const metrics = {
      accuracy: {
        prometheus: { query: 'vector(0.5)', endpoint: stack.config.prometheus.url },
        objective: { min: 0.9 },
      },
    };
    await scenario(
      'PostgreSQL stopped through every retry of an evaluation, restarted',
      policy(name, metrics, 'accuracy.breached'),
      'accuracy',
      () => stack.stop('postgres'),
      async () => {
        // A decision that cannot be audited is not made: the evaluation fails, the controller carries on.
        await assert.rejects(
          controller(name).executeUpdate(evaluateNowUpdate, { args: [by] }),
          (error: unknown) => {
            assert.ok(error instanceof WorkflowUpdateFailedError);
            assert.match(String(error.cause?.message), /evaluation failed/);
            return true;
          },
        );
        const status = await controller(name).query(statusQuery);
        assert.match(status.lastError ?? '', /.+/);
        return 'evaluation failed after its retries (not audited, not acted on)';
      },
      () => stack.start('postgres'),
    );
  });
});
