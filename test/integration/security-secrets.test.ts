// Secrets only by reference: a policy whose Prometheus headers and endpoint,
// training command environment, deploy hook (URL, header, signing secret)
// and notification webhook all use `${env:…}` secrets runs a whole loop on
// the real stack — evaluation, retrain, registration, automatic promotion,
// deploy hook, notifications. Then every place a value could land is read
// back and searched for each secret value: the controller's and the
// retrain's workflow histories (payloads decoded), every audit row, the
// MLflow run (params, tags, the kept training log), the registered version's
// tags, the worker's log file (workers/logger.ts) and the notification
// bodies. The training command even prints its secret, as a careless script
// would.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Client, Connection } from '@temporalio/client';
import { Runtime, type Worker } from '@temporalio/worker';
import { stringify } from 'yaml';
import { migrate } from '../../activities/postgres/migrate.ts';
import { TRAINING_LOG_ARTIFACT } from '../../activities/training/run-job.ts';
import { SIGNATURE_HEADER, verifySignature } from '../../activities/webhooks/signature.ts';
import { freePorts } from '../../infra/stack/ports.ts';
import { type LoadedPolicy, loadPolicy } from '../../policies/loader.ts';
import { type Clients, createClients } from '../../workers/clients.ts';
import { createLogger, temporalLogger } from '../../workers/logger.ts';
import { createOrchestratorWorker, createTrainingWorker } from '../../workers/orchestrator.ts';
import { applyPolicies } from '../../workers/policy-sync.ts';
import { evaluateNowUpdate, type RetrainResult, statusQuery } from '../../workflows/messages.ts';
import { controllerWorkflowId } from '../../workflows/policy-controller.ts';
import { testConfig, uniqueName } from '../support/env.ts';

const PROJECT = fileURLToPath(new URL('../fixtures/training/project', import.meta.url));

/** Each secret a distinct, greppable value; set in this process's environment, where the worker resolves references. */
const SECRETS = {
  CTPILOT_SEC_PROM_HEADER: `prom-header-${randomBytes(8).toString('hex')}`,
  CTPILOT_SEC_PROM_PATH: `prom-path-${randomBytes(8).toString('hex')}`,
  CTPILOT_SEC_TRAIN_ENV: `train-env-${randomBytes(8).toString('hex')}`,
  CTPILOT_SEC_HOOK_URL: `hook-url-${randomBytes(8).toString('hex')}`,
  CTPILOT_SEC_HOOK_HEADER: `hook-header-${randomBytes(8).toString('hex')}`,
  CTPILOT_SEC_HOOK_HMAC: `hook-hmac-${randomBytes(8).toString('hex')}`,
  CTPILOT_SEC_NOTIFY_HMAC: `notify-hmac-${randomBytes(8).toString('hex')}`,
} as const;
const ref = (name: keyof typeof SECRETS) => `\${env:${name}}`;

/** A history's events with every payload decoded to its JSON text, so a secret inside one shows. */
function decoded(value: unknown): unknown {
  if (value instanceof Uint8Array) return Buffer.from(value).toString('utf8');
  if (Array.isArray(value)) return value.map(decoded);
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, decoded(v)]));
  }
  return value;
}

/** Every secret value found in a text, by name (also base64-encoded, as payload bytes would be). */
function leaks(text: string): string[] {
  return Object.entries(SECRETS)
    .filter(([, v]) => text.includes(v) || text.includes(Buffer.from(v).toString('base64')))
    .map(([k]) => k);
}

describe('secrets stay references: nothing resolved reaches histories, audit, MLflow or logs', () => {
  const config = testConfig();
  const taskQueue = uniqueName('secrets');
  const home = mkdtempSync(join(tmpdir(), 'ctpilot-secrets-'));
  let clients: Clients;
  let connection: Connection;
  let client: Client;
  let hooks: Server;
  let hookUrl: string;
  const received: Array<{ path: string; body: string; verified: boolean }> = [];
  const workers: Worker[] = [];
  let running: Promise<unknown>;
  let logger: ReturnType<typeof createLogger>;

  before(async () => {
    Object.assign(process.env, SECRETS);
    // The worker's own logger (redaction and scrubbing included), writing to <home>/logs/worker.log.
    logger = createLogger(home, 'worker', { ...process.env, CTPILOT_LOG_LEVEL: 'fatal' });
    Runtime.install({ logger: temporalLogger(logger), shutdownSignals: [] });
    hooks = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        const secret = req.url?.startsWith('/deploy')
          ? SECRETS.CTPILOT_SEC_HOOK_HMAC
          : SECRETS.CTPILOT_SEC_NOTIFY_HMAC;
        const header = req.headers[SIGNATURE_HEADER.toLowerCase()] as string | undefined;
        received.push({ path: req.url ?? '', body, verified: verifySignature(secret, body, header).ok });
        res.writeHead(200).end('{}');
      });
    });
    await new Promise<void>((r) => hooks.listen(0, '127.0.0.1', r));
    const address = hooks.address();
    hookUrl = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
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
    for (const w of workers) w.shutdown();
    await running;
    await connection.close();
    await clients.close();
    await new Promise((r) => hooks.close(r));
    rmSync(home, { recursive: true, force: true });
  });

  async function policyFor(name: string): Promise<LoadedPolicy> {
    const [dead] = await freePorts(1);
    const python = join(config.venvBin, 'python');
    const loaded = loadPolicy(
      stringify({
        apiVersion: 'ctpilot/v1',
        kind: 'RetrainingPolicy',
        metadata: { name },
        model: { name: `${name}-model` },
        evaluate: { every: '1h' },
        metrics: {
          accuracy: {
            prometheus: {
              query: 'vector(0.5)',
              endpoint: config.prometheus.url,
              headers: { 'X-Scope-OrgID': ref('CTPILOT_SEC_PROM_HEADER') },
            },
            objective: { min: 0.9 },
          },
          // A second Prometheus whose address holds a secret, and does not answer: its error is explained everywhere.
          elsewhere: {
            prometheus: { query: 'up', endpoint: `http://127.0.0.1:${dead}/${ref('CTPILOT_SEC_PROM_PATH')}` },
          },
        },
        triggers: { drop: { when: 'accuracy.breached', action: 'retrain' } },
        guards: { cooldown: '1h' },
        training: {
          experiment: `${name}-training`,
          launcher: {
            command: {
              // A careless training script that prints its token before training.
              run: [
                python,
                '-c',
                "import os, runpy, sys; print('token is', os.environ['API_TOKEN'], flush=True); sys.argv = ['train.py', '--quality', '0.95']; runpy.run_path('train.py', run_name='__main__')",
              ],
              cwd: PROJECT,
              env: { API_TOKEN: ref('CTPILOT_SEC_TRAIN_ENV') },
            },
          },
          timeout: '5m',
          accept: [{ metric: 'val_accuracy', min: 0.9 }],
        },
        promotion: {
          approval: 'auto',
          deployHook: {
            url: `${hookUrl}/deploy/${ref('CTPILOT_SEC_HOOK_URL')}`,
            secret: ref('CTPILOT_SEC_HOOK_HMAC'),
            headers: { Authorization: `Bearer ${ref('CTPILOT_SEC_HOOK_HEADER')}` },
          },
        },
        notify: {
          team: {
            webhook: {
              url: `${hookUrl}/notify/${ref('CTPILOT_SEC_HOOK_URL')}`,
              secret: ref('CTPILOT_SEC_NOTIFY_HMAC'),
            },
          },
        },
      }),
      `${name}.yaml`,
    );
    if (!loaded.ok) throw new Error(JSON.stringify(loaded.issues, null, 2));
    return loaded.policy;
  }

  it('a whole loop with secrets in every place a policy allows them leaves no value behind', async () => {
    const name = uniqueName('secrets');
    const policy = await policyFor(name);
    assert.deepEqual(leaks(JSON.stringify(policy)), [], 'the loaded policy holds references only');
    await applyPolicies(client, [policy], { taskQueue });
    const controller = client.workflow.getHandle(controllerWorkflowId(name));
    const decision = await controller.executeUpdate(evaluateNowUpdate, { args: [{ by: 'test' }] });
    assert.ok(
      decision.actions.some((a) => a.kind === 'retrain' && a.status === 'act'),
      decision.summary,
    );
    const status = await controller.query(statusQuery);
    const retrainId = status.retrain?.workflowId ?? status.lastRetrain?.workflowId;
    assert.ok(retrainId);
    const result: RetrainResult = await client.workflow.getHandle(retrainId).result();
    assert.equal(result.outcome, 'promoted', result.summary);

    // The secrets were used: the hook and the notification arrived signed, the training saw its token.
    assert.ok(
      received.some((r) => r.path.startsWith('/deploy/') && r.verified),
      'deploy hook called, signed',
    );
    assert.ok(
      received.some((r) => r.path.startsWith('/notify/') && r.verified),
      'notification sent, signed',
    );
    assert.ok(
      received.every((r) => r.path.endsWith(SECRETS.CTPILOT_SEC_HOOK_URL)),
      'URLs were resolved',
    );
    const runId = result.runId!;
    const log = await clients.mlflow.downloadArtifact(
      await clients.mlflow.getRun(runId).then((r) => r.info),
      TRAINING_LOG_ARTIFACT,
    );
    assert.match(log, /token is/, 'the training command ran and printed');

    const found: Record<string, string[]> = {};
    const check = (where: string, text: string) => {
      const names = leaks(text);
      if (names.length > 0) found[where] = names;
    };
    check('controller history', JSON.stringify(decoded(await controller.fetchHistory())));
    check(
      'retrain history',
      JSON.stringify(decoded(await client.workflow.getHandle(retrainId).fetchHistory())),
    );
    check('audit rows', JSON.stringify(await clients.audit.rows({ model: `${name}-model` })));
    const run = await clients.mlflow.getRun(runId);
    check('MLflow run params and tags', JSON.stringify(run.data));
    check('MLflow training log artifact', log);
    const { versions } = await clients.mlflow.searchModelVersions({ filter: `name = '${name}-model'` });
    check('registered version tags', JSON.stringify(versions));
    check('notification and hook bodies', JSON.stringify(received.map((r) => r.body)));
    logger.flush();
    await new Promise((r) => setTimeout(r, 500));
    check('worker log', readFileSync(join(home, 'logs', 'worker.log'), 'utf8'));
    assert.deepEqual(found, {}, 'no secret value anywhere');
  });
});
