// Diagnose before acting, on the real stack: windows in S3, metrics from
// Prometheus, the controller on the Temporal dev server, training in MLflow,
// notifications to a webhook. A data-quality incident alerts the data
// owners and creates no MLflow run; concept drift that the KPI confirms
// creates exactly one retrain, whose audit rows carry the diagnosis.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Client, Connection } from '@temporalio/client';
import type { Worker } from '@temporalio/worker';
import { stringify } from 'yaml';
import { migrate } from '../../activities/postgres/migrate.ts';
import { freePorts } from '../../infra/stack/ports.ts';
import { type LoadedPolicy, loadPolicy } from '../../policies/loader.ts';
import { type Clients, createClients } from '../../workers/clients.ts';
import { createOrchestratorWorker, createTrainingWorker } from '../../workers/orchestrator.ts';
import { applyPolicies } from '../../workers/policy-sync.ts';
import { evaluateNowUpdate, type RetrainResult, statusQuery } from '../../workflows/messages.ts';
import { controllerWorkflowId } from '../../workflows/policy-controller.ts';
import type { ScenarioName } from '../support/diagnosis-scenarios.ts';
import { diagnosisWorld } from '../support/diagnosis-world.ts';
import { quietTemporalRuntime, testConfig, uniqueName } from '../support/env.ts';
import { waitFor } from '../support/wait-for.ts';
import { ctpilot } from '../unit/cli/helpers.ts';

describe('diagnose before acting, on the real stack', () => {
  const config = testConfig();
  const taskQueue = uniqueName('diagnosis');
  let clients: Clients;
  let connection: Connection;
  let client: Client;
  const workers: Worker[] = [];
  const running: Promise<void>[] = [];
  let sink: Server;
  let sinkUrl = '';
  const received: { path: string; body: { alerts?: { labels: Record<string, string> }[] } }[] = [];

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
    // The receivers' end: records every notification by path.
    sink = createServer((req, res) => {
      let raw = '';
      req.on('data', (c) => {
        raw += c;
      });
      req.on('end', () => {
        received.push({ path: req.url ?? '', body: JSON.parse(raw) });
        res.writeHead(200).end();
      });
    });
    const [port] = await freePorts(1);
    await new Promise<void>((resolve) => sink.listen(port, '127.0.0.1', resolve));
    sinkUrl = `http://127.0.0.1:${port}`;
  });

  after(async () => {
    for await (const w of client.workflow.list({
      query: `TaskQueue = '${taskQueue}' AND ExecutionStatus = 'Running'`,
    })) {
      await client.workflow.getHandle(w.workflowId).terminate('test finished');
    }
    for (const w of workers) w.shutdown();
    await Promise.all(running);
    await connection.close();
    await clients.close();
    sink.close();
  });

  /** The scenario's windows in S3 and a policy over them; the KPI (ctr) as Prometheus reports it. */
  async function setUp(
    name: string,
    world: ScenarioName,
    ctr: number,
    extra: Record<string, unknown> = {},
  ): Promise<LoadedPolicy> {
    const document = await diagnosisWorld(clients.store, {
      name,
      world,
      prefix: `s3://${config.s3.bucket}/diagnosis-test/${name}/`,
      ctr,
      diagnosis: {
        routes: { dataQuality: { receivers: ['data-owners'] } },
        samples: { to: `s3://${config.s3.bucket}/diagnosis-test/${name}/hard-cases/`, size: 20 },
        ...extra,
      },
      notify: {
        'data-owners': { webhook: { url: `${sinkUrl}/data-owners` }, on: ['alert'] },
        'ml-eng': { webhook: { url: `${sinkUrl}/ml-eng` } },
      },
    });
    const text = stringify(document);
    const loaded = loadPolicy(text, `${name}.yaml`);
    if (!loaded.ok) throw new Error(JSON.stringify(loaded.issues, null, 2));
    texts.set(name, text);
    return loaded.policy;
  }
  const texts = new Map<string, string>();

  const controller = (name: string) => client.workflow.getHandle(controllerWorkflowId(name));
  const runsOf = async (name: string) => {
    const experiment = await clients.mlflow.getExperimentByName(`${name}-training`);
    return experiment
      ? clients.mlflow.findRunsByTags([experiment.experiment_id], { 'ctpilot.policy': name })
      : [];
  };

  it('a data-quality incident alerts the data owners, holds the retrain, and creates no MLflow run', async () => {
    const name = uniqueName('dq');
    const policy = await setUp(name, 'data-quality', 0.05);
    await applyPolicies(client, [policy], { taskQueue });
    const decision = await waitFor('the first diagnosed decision', async () => {
      const d = (await controller(name).query(statusQuery)).lastDecision;
      return d?.diagnosis ? d : undefined;
    });
    assert.equal(decision.diagnosis?.cause, 'dataQuality', decision.diagnosis?.summary);
    assert.equal(decision.diagnosis?.features[0], 'income');
    const retrain = decision.actions.find((a) => a.kind === 'retrain')!;
    assert.equal(retrain.status, 'held');
    assert.deepEqual(
      retrain.heldBy.map((h) => h.guard),
      ['diagnosis'],
    );
    assert.match(retrain.explanation, /income .*missing.*no retrain on broken data/);
    // The data owners hear it, with the cause and the feature as labels.
    const alert = await waitFor('the data owners’ notification', async () =>
      received.find((r) => r.path === '/data-owners' && r.body.alerts?.[0]?.labels.model === `${name}-model`),
    );
    assert.equal(alert.body.alerts?.[0]?.labels.cause, 'dataQuality');
    assert.equal(alert.body.alerts?.[0]?.labels.feature, 'income');
    assert.ok(
      !received.some((r) => r.path === '/ml-eng' && r.body.alerts?.[0]?.labels.model === `${name}-model`),
    );
    // The hard cases are in S3 for people to review.
    assert.ok(decision.diagnosis?.samplesUri, 'a sample of hard cases was written');
    const cases = (await clients.store.getText(decision.diagnosis!.samplesUri!)).trim().split('\n');
    assert.ok(cases.length > 0);
    // The evaluation's audit row holds the whole diagnosis with its evidence.
    const row = (await clients.audit.rows({ model: `${name}-model` })).find(
      (r) => r.kind === 'evaluation' && JSON.stringify(r.details).includes('dataQuality'),
    );
    assert.ok(row, 'an evaluation row with the diagnosis');
    const evidence = (row.details as { diagnosis?: { evidence?: { stages?: unknown[] } } }).diagnosis
      ?.evidence;
    assert.equal(evidence?.stages?.length, 6);
    // A second evaluation: still held, the data owners are not told again.
    await controller(name).executeUpdate(evaluateNowUpdate, { args: [{ by: 'test' }] });
    assert.equal(
      received.filter(
        (r) => r.path === '/data-owners' && r.body.alerts?.[0]?.labels.model === `${name}-model`,
      ).length,
      1,
    );
    assert.deepEqual(await runsOf(name), [], 'no MLflow run');
  });

  it('concept drift with a KPI drop: exactly one retrain, its audit rows carrying the diagnosis', async () => {
    const name = uniqueName('concept');
    const policy = await setUp(name, 'concept-drift-kpi-drop', 0.03);
    await applyPolicies(client, [policy], { taskQueue });
    const status = await waitFor('the retrain', async () => {
      const s = await controller(name).query(statusQuery);
      return s.retrain ? s : undefined;
    });
    assert.equal(
      status.lastDecision?.diagnosis?.cause,
      'conceptDrift',
      status.lastDecision?.diagnosis?.summary,
    );
    assert.equal(status.lastDecision?.diagnosis?.action, 'retrain');
    const result: RetrainResult = await client.workflow.getHandle(status.retrain!.workflowId).result();
    assert.equal(result.outcome, 'registered', result.summary);
    assert.equal((await runsOf(name)).length, 1, 'exactly one MLflow run');
    const rows = await clients.audit.rows({ model: `${name}-model` });
    for (const kind of ['retrain.started', 'retrain.accepted']) {
      const row = rows.find((r) => r.kind === kind);
      assert.match(JSON.stringify(row?.details), /"cause":"conceptDrift"/, `${kind} carries the diagnosis`);
    }
    // The cooldown holds the next breach; the KPI-confirmed concept drift does not retrain twice.
    await controller(name).executeUpdate(evaluateNowUpdate, { args: [{ by: 'test' }] });
    assert.equal((await runsOf(name)).length, 1);
    const [report] = await clients.audit.verify(`${name}-model`);
    assert.equal(report?.ok, true, JSON.stringify(report?.problems));
  });

  it('ctpilot diagnose runs the stages now, without acting, and writes the report', async () => {
    const name = uniqueName('cli');
    // Annotations beside the windows: a campaign two days ago, and one outside the lookback.
    const events = `s3://${config.s3.bucket}/diagnosis-test/${name}/events.jsonl`;
    const ago = (days: number) => new Date(Date.now() - days * 86_400_000).toISOString();
    await clients.store.putJsonLines(events, [
      { at: ago(2), text: 'campaign young-applicants started' },
      { at: ago(30), text: 'an old release' },
    ]);
    await setUp(name, 'covariate-drift', 0.05, { events: { window: { uri: events }, lookback: '14d' } });
    const dir = mkdtempSync(join(tmpdir(), 'ctpilot-diagnose-'));
    try {
      const file = join(dir, `${name}.yaml`);
      writeFileSync(file, texts.get(name)!);
      const report = join(dir, 'diagnosis.html');
      const text = await ctpilot(['diagnose', file, '--report', report], {
        env: { ...process.env } as Record<string, string>,
      });
      assert.equal(text.code, 0, text.stderr + text.stdout);
      assert.match(text.stdout, /cause\s+covariateDrift \(age/);
      assert.match(text.stdout, /action\s+alert: held: covariate drift/);
      for (const stage of ['validity', 'quality', 'covariate', 'labelShift', 'concept', 'business'])
        assert.match(text.stdout, new RegExp(`\\b${stage}\\b`));
      assert.match(readFileSync(report, 'utf8'), /covariate drift/i);
      const json = await ctpilot(['diagnose', file, '--json'], {
        env: { ...process.env } as Record<string, string>,
      });
      const parsed = JSON.parse(json.stdout) as {
        diagnosis: {
          primaryCause: string;
          features: string[];
          events: { text: string }[];
          findings: string[];
        };
      };
      assert.equal(parsed.diagnosis.primaryCause, 'covariateDrift');
      assert.equal(parsed.diagnosis.features[0], 'age');
      assert.deepEqual(
        parsed.diagnosis.events.map((e) => e.text),
        ['campaign young-applicants started'],
      );
      assert.ok(
        parsed.diagnosis.findings.includes(
          'event: campaign young-applicants started 2 days before the diagnosis',
        ),
        parsed.diagnosis.findings.join('\n'),
      );
      assert.match(text.stdout, /event .*campaign young-applicants started/);
      // Nothing acted on: no controller, no audit row, no MLflow run for this policy.
      assert.deepEqual(await clients.audit.rows({ model: `${name}-model` }), []);
      assert.deepEqual(await runsOf(name), []);
      // A window that cannot be read: the diagnosis could not run, exit 1, with the reason.
      writeFileSync(file, texts.get(name)!.replace(/current\.jsonl/, 'missing.jsonl'));
      const broken = await ctpilot(['diagnose', file], { env: { ...process.env } as Record<string, string> });
      assert.equal(broken.code, 1);
      assert.match(broken.stdout, /could not run: the current window/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('events from Grafana’s annotations API: the span, the tags and the token are sent; a refusal is a finding, not a failure', async () => {
    // Grafana cannot be installed here (no package in the registries this
    // machine reaches): a server answering its documented annotations API
    // (GET /api/annotations?from&to&tags, bearer token) stands in for it.
    const seen: URL[] = [];
    let auth = '';
    const grafana = createServer((req, res) => {
      seen.push(new URL(req.url ?? '/', 'http://grafana'));
      auth = String(req.headers.authorization ?? '');
      if (auth !== 'Bearer glsa_test') return res.writeHead(401).end('{}');
      res.writeHead(200, { 'content-type': 'application/json' }).end(
        JSON.stringify([
          {
            time: Date.now() - 3 * 86_400_000,
            text: 'release 4.2 of the scoring service',
            tags: ['release'],
          },
        ]),
      );
    });
    const [port] = await freePorts(1);
    await new Promise<void>((resolve) => grafana.listen(port, '127.0.0.1', resolve));
    try {
      const name = uniqueName('grafana');
      process.env.CTPILOT_TEST_GRAFANA_TOKEN = 'glsa_test';
      const events = (token: string) => ({
        events: {
          grafana: {
            url: `http://127.0.0.1:${port}`,
            headers: { Authorization: `Bearer \${env:${token}}` },
            tags: ['release'],
          },
          lookback: '7d',
        },
      });
      await setUp(name, 'covariate-drift', 0.05, events('CTPILOT_TEST_GRAFANA_TOKEN'));
      const dir = mkdtempSync(join(tmpdir(), 'ctpilot-diagnose-'));
      try {
        const file = join(dir, `${name}.yaml`);
        writeFileSync(file, texts.get(name)!);
        const env = { ...process.env } as Record<string, string>;
        const ok = JSON.parse((await ctpilot(['diagnose', file, '--json'], { env })).stdout) as {
          diagnosis: { events: { text: string; tags?: string[] }[] };
        };
        assert.deepEqual(
          ok.diagnosis.events.map((e) => ({ text: e.text, tags: e.tags })),
          [{ text: 'release 4.2 of the scoring service', tags: ['release'] }],
        );
        const q = seen.at(-1)!;
        assert.equal(q.pathname, '/api/annotations');
        assert.deepEqual(q.searchParams.getAll('tags'), ['release']);
        assert.equal(Number(q.searchParams.get('to')) - Number(q.searchParams.get('from')), 7 * 86_400_000);
        // A wrong token: the diagnosis still runs and says the events could not be read.
        process.env.CTPILOT_TEST_GRAFANA_WRONG = 'nope';
        await setUp(name, 'covariate-drift', 0.05, events('CTPILOT_TEST_GRAFANA_WRONG'));
        writeFileSync(file, texts.get(name)!);
        const refused = await ctpilot(['diagnose', file, '--json'], {
          env: { ...process.env } as Record<string, string>,
        });
        assert.equal(refused.code, 0);
        const r = JSON.parse(refused.stdout) as { diagnosis: { events: unknown[]; findings: string[] } };
        assert.deepEqual(r.diagnosis.events, []);
        assert.ok(r.diagnosis.findings.some((f) => /events could not be read: Grafana answered 401/.test(f)));
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    } finally {
      grafana.close();
    }
  });
});
