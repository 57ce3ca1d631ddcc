// Inbound alerts end to end: a real Alertmanager (and direct posts in the
// Grafana and generic shapes) → the worker's alert endpoint → the matching
// policy controller, which evaluates at once.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Client, Connection } from '@temporalio/client';
import type { Worker } from '@temporalio/worker';
import { stringify } from 'yaml';
import { migrate } from '../../activities/postgres/migrate.ts';
import { signBody } from '../../activities/webhooks/signature.ts';
import { freePorts } from '../../infra/stack/ports.ts';
import { loadPolicy } from '../../policies/loader.ts';
import { createAlertReceiver, normaliseAlerts } from '../../workers/alert-receiver.ts';
import { type Clients, createClients } from '../../workers/clients.ts';
import { createOrchestratorWorker } from '../../workers/orchestrator.ts';
import { applyPolicies } from '../../workers/policy-sync.ts';
import { statusQuery } from '../../workflows/messages.ts';
import { controllerWorkflowId } from '../../workflows/policy-controller.ts';
import { alertmanagerBinary, startAlertmanager } from '../support/alertmanager.ts';
import { quietTemporalRuntime, testConfig, uniqueName } from '../support/env.ts';
import { waitFor } from '../support/wait-for.ts';

describe('normalising inbound alerts', () => {
  const now = new Date('2026-11-21T10:00:00Z');
  it('reads Alertmanager and Grafana bodies, and a generic one', () => {
    const am = normaliseAlerts(
      'alertmanager',
      {
        alerts: [
          { status: 'resolved', labels: { alertname: 'X', model: 'm' }, annotations: { summary: 's' } },
        ],
      },
      now,
    );
    assert.deepEqual(am, [
      {
        source: 'alertmanager',
        status: 'resolved',
        labels: { alertname: 'X', model: 'm' },
        receivedAt: now.toISOString(),
        summary: 's',
      },
    ]);
    const generic = normaliseAlerts('whylabs', { monitor: 'drift', model: 'm', severity: 3 }, now);
    assert.deepEqual(generic[0]?.labels, { monitor: 'drift', model: 'm' });
    assert.equal(generic[0]?.status, 'firing');
    assert.throws(() => normaliseAlerts('grafana', { status: 'firing' }, now), /has an "alerts" list/);
    assert.throws(() => normaliseAlerts('webhook', 'text', now), /JSON object/);
  });
});

describe('the alert endpoint on the real stack', {
  skip: alertmanagerBinary() ? false : 'Alertmanager not installed',
}, () => {
  const config = testConfig();
  const taskQueue = uniqueName('alerts-test');
  const token = 'receiver-token';
  let clients: Clients;
  let connection: Connection;
  let client: Client;
  let worker: Worker;
  let running: Promise<void>;
  let receiver: Awaited<ReturnType<typeof createAlertReceiver>>;
  const policy = uniqueName('alerted');

  before(async () => {
    quietTemporalRuntime();
    clients = createClients(config);
    await migrate(clients.pool);
    ({ worker } = await createOrchestratorWorker(config, clients, { taskQueue }));
    running = worker.run();
    connection = await Connection.connect({ address: config.temporal.address });
    client = new Client({ connection, namespace: config.temporal.namespace });
    const [port] = await freePorts(1);
    receiver = await createAlertReceiver({ client, port: port!, token, hmacSecret: 'receiver-hmac' });
    const document = {
      apiVersion: 'ctpilot/v1',
      kind: 'RetrainingPolicy',
      metadata: { name: policy },
      model: { name: `${policy}-model` },
      evaluate: { every: '1h' },
      metrics: {
        drift: {
          alert: { source: 'alertmanager', match: { alertname: 'FeatureDrift', model: '{{ model.name }}' } },
        },
        monitor: {
          alert: { source: 'whylabs', match: { monitor: 'input-drift', model: '{{ model.name }}' } },
        },
      },
      triggers: {
        page: { when: 'drift.value == 1.0', action: 'alert' },
        monitor: { when: 'monitor.value == 1.0', action: 'alert' },
      },
    };
    const loaded = loadPolicy(stringify(document), `${policy}.yaml`);
    assert.ok(loaded.ok, JSON.stringify(!loaded.ok && loaded.issues));
    await applyPolicies(client, [loaded.policy], { taskQueue });
    // Routing reads the matchers the first evaluation publishes.
    await waitFor('the first evaluation', async () =>
      (await handle().query(statusQuery)).evaluations >= 1 ? true : undefined,
    );
  });

  after(async () => {
    await receiver.close();
    await handle().terminate('test finished');
    worker.shutdown();
    await running;
    await connection.close();
    await clients.close();
  });

  const handle = () => client.workflow.getHandle(controllerWorkflowId(policy));
  const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
    fetch(`${receiver.url}${path}`, {
      method: 'POST',
      body: typeof body === 'string' ? body : JSON.stringify(body),
      headers: { 'Content-Type': 'application/json', ...headers },
    });

  it('refuses senders without the token or a valid signature, and bad bodies', async () => {
    const alert = { alerts: [{ labels: { alertname: 'FeatureDrift', model: `${policy}-model` } }] };
    assert.equal((await post('/alerts/alertmanager', alert)).status, 401);
    assert.equal((await post('/alerts/alertmanager', alert, { Authorization: 'Bearer wrong' })).status, 401);
    const stale = signBody('receiver-hmac', JSON.stringify(alert), new Date(Date.now() - 3600_000));
    const refused = await post('/alerts/alertmanager', alert, { 'X-Ctpilot-Signature': stale });
    assert.equal(refused.status, 401);
    assert.match(((await refused.json()) as { error: string }).error, /tolerance/);
    assert.equal(
      (await post('/alerts/alertmanager', '{not json', { Authorization: `Bearer ${token}` })).status,
      400,
    );
    assert.equal((await post('/alerts/pagerduty', alert, { Authorization: `Bearer ${token}` })).status, 404);
    assert.equal(
      (await handle().query(statusQuery)).recentAlerts.length,
      0,
      'nothing refused reached the controller',
    );
  });

  it('a real Alertmanager delivers to the endpoint and the controller evaluates at once', async () => {
    const before = (await handle().query(statusQuery)).evaluations;
    const alertmanager = await startAlertmanager(`${receiver.url}/alerts/alertmanager`, token);
    try {
      const fire = await fetch(`${alertmanager.url}/api/v2/alerts`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify([
          { labels: { alertname: 'FeatureDrift', model: `${policy}-model`, ctpilot_policy: policy } },
        ]),
      });
      assert.equal(fire.status, 200);
      const decision = await waitFor('the evaluation the alert asked for', async () => {
        const s = await handle().query(statusQuery);
        return s.evaluations > before && s.lastDecision ? s.lastDecision : undefined;
      });
      assert.equal(decision.metrics.find((m) => m.metric === 'drift')?.value, 1);
      assert.equal(decision.actions.find((a) => a.origin === 'page')?.status, 'act');
    } finally {
      await alertmanager.stop();
    }
  });

  it('routes a signed generic alert to the controllers that match, and no others', async () => {
    const body = JSON.stringify({ monitor: 'input-drift', model: `${policy}-model` });
    const answer = await post('/alerts/whylabs', body, {
      'X-Ctpilot-Signature': signBody('receiver-hmac', body),
    });
    assert.equal(answer.status, 200);
    const routed = (await answer.json()) as { routed: Array<{ workflowId: string }> };
    assert.deepEqual(
      routed.routed.map((r) => r.workflowId),
      [controllerWorkflowId(policy)],
    );
    const unmatched = await post(
      '/alerts/whylabs',
      { monitor: 'input-drift', model: 'someone-else' },
      { Authorization: `Bearer ${token}` },
    );
    assert.deepEqual(((await unmatched.json()) as { routed: unknown[] }).routed, []);
  });
});
