// ctpilot's own observability on the real stack: a worker with the
// /metrics endpoint runs a policy controller; the endpoint serves ctpilot's
// metrics (evaluations, decisions, lag, activity latencies) and the Temporal
// SDK's together, and the stack's Prometheus scrapes it.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Client, Connection } from '@temporalio/client';
import type { Worker } from '@temporalio/worker';
import { pino } from 'pino';
import { stringify } from 'yaml';
import { migrate } from '../../activities/postgres/migrate.ts';
import { PrometheusClient } from '../../activities/prometheus/client.ts';
import { freePorts } from '../../infra/stack/ports.ts';
import { loadPolicy } from '../../policies/loader.ts';
import { type Clients, createClients } from '../../workers/clients.ts';
import { loadConfig } from '../../workers/config.ts';
import { watchApprovals } from '../../workers/metrics.ts';
import { type Observability, startObservability } from '../../workers/observability.ts';
import { createOrchestratorWorker } from '../../workers/orchestrator.ts';
import { applyPolicies } from '../../workers/policy-sync.ts';
import { testConfig, uniqueName } from '../support/env.ts';
import { waitFor } from '../support/wait-for.ts';
import { TEMPORAL_SDK_METRICS } from './observability-sdk-metrics.ts';

/** The value of one sample in a Prometheus text exposition, or undefined. */
function sample(text: string, name: string, labels: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${name}{`) && l.includes(labels));
  return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(' ') + 1));
}

describe('worker metrics on the real stack', () => {
  const base = testConfig();
  const taskQueue = uniqueName('observability');
  const policy = uniqueName('observed');
  let clients: Clients;
  let observability: Observability;
  let worker: Worker;
  let running: Promise<void>;
  let connection: Connection;
  let client: Client;

  before(async () => {
    const [port] = await freePorts(1);
    const config = loadConfig({ ...process.env, CTPILOT_WORKER_METRICS_PORT: String(port) });
    clients = createClients(config);
    await migrate(clients.pool);
    observability = await startObservability(config, pino({ level: 'silent' }), {
      role: 'test',
      healthy: () => true,
    });
    ({ worker } = await createOrchestratorWorker(config, clients, { taskQueue }));
    running = worker.run();
    connection = await Connection.connect({ address: config.temporal.address });
    client = new Client({ connection, namespace: config.temporal.namespace });
    watchApprovals(client);
    await applyPolicies(client, [policyVersion('v1')], { taskQueue });
  });

  /** The test's policy; a new version (another label) is validated in a regular activity. */
  function policyVersion(label: string) {
    const loaded = loadPolicy(
      stringify({
        apiVersion: 'ctpilot/v1',
        kind: 'RetrainingPolicy',
        metadata: { name: policy, labels: { version: label } },
        model: { name: policy },
        evaluate: { every: '2s' },
        metrics: { quality: { prometheus: { query: 'vector(0.5)' }, objective: { min: 0.9 } } },
        triggers: { low: { when: 'quality.breached', action: 'alert' } },
      }),
      `${policy}.yaml`,
    );
    if (!loaded.ok) throw new Error(JSON.stringify(loaded.issues));
    return loaded.policy;
  }

  after(async () => {
    await client?.workflow
      .getHandle(`policy:${policy}`)
      .terminate('test finished')
      .catch(() => {});
    worker?.shutdown();
    await running;
    await observability?.close();
    await connection?.close();
    await clients?.close();
  });

  it('serves ctpilot’s metrics and the Temporal SDK’s from one endpoint', async () => {
    assert.ok(observability.metricsUrl);
    const url = observability.metricsUrl as string;
    const text = await waitFor('three evaluations', async () => {
      const body = await (await fetch(url)).text();
      return (sample(body, 'ctpilot_evaluations_total', `policy="${policy}"`) ?? 0) >= 3 ? body : undefined;
    });
    assert.ok((sample(text, 'ctpilot_evaluations_total', `policy="${policy}",reason="schedule"`) ?? 0) >= 3);
    assert.ok((sample(text, 'ctpilot_decisions_total', `policy="${policy}",outcome="alert"`) ?? 0) >= 1);
    assert.ok(
      (sample(text, 'ctpilot_actions_total', `policy="${policy}",kind="alert",status="act"`) ?? 0) >= 1,
    );
    // Lag: every scheduled evaluation after the first is observed; a 2-second cadence on an idle stack is seconds late at most.
    const lagCount = sample(text, 'ctpilot_policy_evaluation_lag_seconds_count', `policy="${policy}"`) ?? 0;
    assert.ok(lagCount >= 2, text);
    const lagSum = sample(text, 'ctpilot_policy_evaluation_lag_seconds_sum', `policy="${policy}"`) ?? 0;
    assert.ok(lagSum / lagCount < 30, `mean lag ${lagSum / lagCount} s`);
    assert.equal(sample(text, 'ctpilot_policy_evaluation_interval_seconds', `policy="${policy}"`), 2);
    assert.ok(
      (sample(text, 'ctpilot_activity_duration_seconds_count', 'activity="evaluatePolicy",result="ok"') ??
        0) >= 3,
    );
    assert.ok((sample(text, 'ctpilot_audit_writes_total', 'kind="evaluation"') ?? 0) >= 3);
    assert.match(text, /^ctpilot_approvals_pending 0$/m);
    // The SDK's own, from the same scrape — including every one the dashboard uses.
    // Evaluations over Prometheus are local activities: a new policy version is
    // validated in a regular one, which the activity latency metrics need.
    await applyPolicies(client, [policyVersion('v2')], { taskQueue });
    const sdk = await waitFor('the SDK metrics', async () => {
      const body = await (await fetch(url)).text();
      return TEMPORAL_SDK_METRICS.every((m) => new RegExp(`^${m}[{ ]`, 'm').test(body)) ? body : undefined;
    }).catch(() => text);
    assert.match(sdk, /^temporal_\w+/m);
    for (const metric of TEMPORAL_SDK_METRICS)
      assert.match(sdk, new RegExp(`^${metric}[{ ]`, 'm'), `${metric} is not served by the worker`);
    const health = await fetch(url.replace('/metrics', '/healthz'));
    assert.equal(health.status, 200);
  });

  it('is scraped by the stack’s Prometheus', async () => {
    const target = new URL(observability.metricsUrl as string).host;
    writeFileSync(
      join(base.home, 'prometheus', 'targets', `${taskQueue}.json`),
      JSON.stringify([{ targets: [target], labels: { job: 'ctpilot-worker', instance: taskQueue } }]),
    );
    const prometheus = new PrometheusClient({ url: base.prometheus.url });
    const value = await waitFor(
      'Prometheus to scrape the worker',
      async () => {
        const r = await prometheus.query(
          `ctpilot_evaluations_total{policy="${policy}",instance="${taskQueue}"}`,
        );
        return r.kind === 'vector' && r.samples.length > 0 ? r.samples[0]?.value : undefined;
      },
      120_000,
    );
    assert.ok(value >= 1);
  });
});
