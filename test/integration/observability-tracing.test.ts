// OpenTelemetry tracing through Temporal's interceptors, on the real stack:
// with OTEL_EXPORTER_OTLP_ENDPOINT set, a worker running a policy controller
// exports workflow and activity spans over OTLP/HTTP. No OpenTelemetry
// collector installs from the allowed registries, so the receiving end is a
// minimal OTLP/HTTP endpoint in this test that keeps what it is sent.
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { Client, Connection } from '@temporalio/client';
import type { Worker } from '@temporalio/worker';
import { pino } from 'pino';
import { stringify } from 'yaml';
import { migrate } from '../../activities/postgres/migrate.ts';
import { loadPolicy } from '../../policies/loader.ts';
import { type Clients, createClients } from '../../workers/clients.ts';
import { loadConfig } from '../../workers/config.ts';
import { type Observability, startObservability } from '../../workers/observability.ts';
import { createOrchestratorWorker } from '../../workers/orchestrator.ts';
import { applyPolicies } from '../../workers/policy-sync.ts';
import { currentTracing, startTracing } from '../../workers/tracing.ts';
import { testConfig, uniqueName } from '../support/env.ts';

interface OtlpSpan {
  name: string;
  traceId: string;
  attributes?: Array<{ key: string; value: { stringValue?: string } }>;
}

describe('OpenTelemetry tracing', () => {
  testConfig();
  const taskQueue = uniqueName('tracing');
  const policy = uniqueName('traced');
  const spans: OtlpSpan[] = [];
  const resources: string[] = [];
  let receiver: Server;
  let clients: Clients;
  let observability: Observability;
  let worker: Worker;
  let running: Promise<void>;
  let connection: Connection;
  let client: Client;

  before(async () => {
    receiver = createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        if (req.url === '/v1/traces') {
          const data = JSON.parse(body) as {
            resourceSpans: Array<{
              resource: { attributes: Array<{ key: string; value: { stringValue?: string } }> };
              scopeSpans: Array<{ spans: OtlpSpan[] }>;
            }>;
          };
          for (const rs of data.resourceSpans) {
            resources.push(...rs.resource.attributes.map((a) => `${a.key}=${a.value.stringValue}`));
            for (const ss of rs.scopeSpans) spans.push(...ss.spans);
          }
        }
        res.writeHead(200, { 'Content-Type': 'application/json' }).end('{}');
      });
    });
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', () => r()));
    const port = (receiver.address() as { port: number }).port;
    assert.equal(startTracing({}, 'test'), undefined, 'tracing is off unless configured');
    process.env.OTEL_EXPORTER_OTLP_ENDPOINT = `http://127.0.0.1:${port}`;
    process.env.OTEL_SERVICE_NAME = 'ctpilot-test';
    const config = loadConfig({ ...process.env, CTPILOT_WORKER_METRICS_PORT: '0' });
    clients = createClients(config);
    await migrate(clients.pool);
    observability = await startObservability(config, pino({ level: 'silent' }), { role: 'test' });
    assert.equal(observability.tracesTo, `http://127.0.0.1:${port}`);
    ({ worker } = await createOrchestratorWorker(config, clients, { taskQueue }));
    running = worker.run();
    connection = await Connection.connect({ address: config.temporal.address });
    client = new Client({ connection, namespace: config.temporal.namespace });
    const loaded = loadPolicy(
      stringify({
        apiVersion: 'ctpilot/v1',
        kind: 'RetrainingPolicy',
        metadata: { name: policy },
        model: { name: policy },
        evaluate: { every: '2s' },
        metrics: { quality: { prometheus: { query: 'vector(0.95)' }, objective: { min: 0.9 } } },
        triggers: { low: { when: 'quality.breached', action: 'alert' } },
      }),
      `${policy}.yaml`,
    );
    if (!loaded.ok) throw new Error(JSON.stringify(loaded.issues));
    await applyPolicies(client, [loaded.policy], { taskQueue });
  });

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
    receiver?.close();
  });

  it('exports the workflow’s and the activity’s spans of a policy controller, in one trace', async () => {
    const deadline = Date.now() + 90_000;
    const names = () => new Set(spans.map((s) => s.name));
    // Workflow-side spans (the update handlers, scheduling the activity) and the activity's own.
    const seen = () =>
      names().has('RunActivity:evaluatePolicy') && names().has('StartActivity:evaluatePolicy');
    while (!seen()) {
      if (Date.now() > deadline) throw new Error(`spans seen: ${[...names()].join(', ') || 'none'}`);
      await currentTracing()?.flush();
      await new Promise((r) => setTimeout(r, 1000));
    }
    assert.ok(names().has('HandleUpdate:applyPolicy'), [...names()].join(', '));
    // The activity's span continues the trace the workflow scheduled it in (context through Temporal headers).
    const scheduled = new Set(
      spans.filter((s) => s.name === 'StartActivity:evaluatePolicy').map((s) => s.traceId),
    );
    assert.ok(
      spans.some((s) => s.name === 'RunActivity:evaluatePolicy' && scheduled.has(s.traceId)),
      JSON.stringify(spans.map((s) => [s.name, s.traceId])),
    );
    assert.ok(resources.includes('service.name=ctpilot-test'));
    assert.ok(resources.includes('ctpilot.role=test'));
  });
});
