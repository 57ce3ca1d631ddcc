// Manual approval, rejection and rollback through the ctpilot command on the
// real stack, written against the message contract (workflows/messages.ts:
// approve/reject updates on the retraining workflow waiting in phase
// awaiting-approval, rollback update on the controller): three real retrains
// of the fixture MLflow project — approved, approved then rolled back,
// rejected — and the evidence pack that tells all of it.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Client, Connection } from '@temporalio/client';
import type { Worker } from '@temporalio/worker';
import { stringify } from 'yaml';
import type { EvidencePack } from '../../activities/evidence/pack.ts';
import { migrate } from '../../activities/postgres/migrate.ts';
import { type Clients, createClients } from '../../workers/clients.ts';
import { createOrchestratorWorker, createTrainingWorker } from '../../workers/orchestrator.ts';
import { quietTemporalRuntime, testConfig, uniqueName } from '../support/env.ts';
import { waitFor } from '../support/wait-for.ts';
import { ctpilot } from '../unit/cli/helpers.ts';

const PROJECT = fileURLToPath(new URL('../fixtures/training/project', import.meta.url));

interface StatusJson {
  status: {
    retrain: { workflowId: string } | null;
    lastRetrain: { workflowId: string; outcome: string; version?: string } | null;
  };
  retrain: { workflowId: string; progress: { phase: string; version?: string } | null } | null;
  champion: { version: string | null } | null;
}

describe('ctpilot approve, reject and rollback on the real stack', () => {
  const config = testConfig();
  const taskQueue = uniqueName('cli-approval');
  const env = { ...(process.env as Record<string, string>), CTPILOT_TASK_QUEUE: taskQueue, USER: 'alice' };
  const dir = mkdtempSync(join(tmpdir(), 'ctpilot-cli-approval-'));
  const name = uniqueName('appr');
  const model = `${name}-model`;
  let clients: Clients;
  let connection: Connection;
  let client: Client;
  const workers: Worker[] = [];
  const running: Promise<void>[] = [];
  let start: string;
  const versions: string[] = [];

  const status = async () => {
    const r = await ctpilot(['status', name, '--json'], { env });
    assert.equal(r.code, 0, `ctpilot status: ${r.stdout}${r.stderr}`);
    return JSON.parse(r.stdout) as StatusJson;
  };
  const awaitingApproval = () =>
    waitFor('a retrain awaiting approval', async () => {
      const s = await status();
      return s.retrain?.progress?.phase === 'awaiting-approval' ? s.retrain : undefined;
    });
  const finished = (workflowId: string) =>
    waitFor(`${workflowId} to finish`, async () => {
      const s = await status();
      return s.status.retrain === null && s.status.lastRetrain?.workflowId === workflowId
        ? s.status.lastRetrain
        : undefined;
    });

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
    start = new Date(Date.now() - 1000).toISOString();
    writeFileSync(
      join(dir, `${name}.yaml`),
      stringify({
        apiVersion: 'ctpilot/v1',
        kind: 'RetrainingPolicy',
        metadata: { name },
        model: { name: model },
        evaluate: { every: '1h' },
        // The model is decayed from the start: every evaluation decides a retrain.
        metrics: { accuracy: { prometheus: { query: 'vector(0.5)' }, objective: { min: 0.9 } } },
        triggers: { 'accuracy-drop': { when: 'accuracy.breached', action: 'retrain' } },
        training: {
          experiment: `${name}-training`,
          launcher: { mlflowProject: { uri: PROJECT, entryPoint: 'train' } },
          parameters: { quality: 0.95 },
          timeout: '5m',
          accept: [{ metric: 'val_accuracy', min: 0.9 }],
        },
        promotion: { approval: 'manual', approvalTimeout: '1h', bake: '0s' },
      }),
    );
    const applied = await ctpilot(['apply', dir], { env });
    assert.equal(applied.code, 0, applied.stderr);
  });

  after(async () => {
    for await (const e of client.workflow.list({
      query: `TaskQueue = '${taskQueue}' AND ExecutionStatus = 'Running'`,
    }))
      await client.workflow.getHandle(e.workflowId).terminate('test finished');
    for (const w of workers) w.shutdown();
    await Promise.all(running);
    await connection.close();
    await clients.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('rollback with no earlier champion to go back to is refused (exit 1), never a usage error', async () => {
    const r = await ctpilot(['rollback', name, '--reason', 'nothing to go back to', '--json'], { env });
    assert.equal(r.code, 1, r.stderr);
    assert.ok((JSON.parse(r.stdout) as { refused: string }).refused);
  });

  it('approve promotes the challenger the retrain waits on; the champion alias follows', async () => {
    const waiting = await awaitingApproval();
    const text = await ctpilot(['status', name], { env });
    assert.match(
      text.stdout,
      new RegExp(`waiting for a decision: ctpilot approve ${name} .* \\(until \\S+, then reject\\)`),
    );
    const r = await ctpilot(['approve', name, '--reason', 'first model', '--json'], { env });
    assert.equal(r.code, 0, r.stderr);
    const decision = JSON.parse(r.stdout) as {
      decision: string;
      by: string;
      version: string;
      retrain: string;
    };
    assert.deepEqual(
      [decision.decision, decision.by, decision.retrain],
      ['approved', 'alice', waiting.workflowId],
    );
    assert.equal(decision.version, waiting.progress?.version);
    const result = await finished(waiting.workflowId);
    assert.equal(result.outcome, 'promoted');
    versions.push(decision.version);
    assert.equal((await status()).champion?.version, decision.version);
    const again = await ctpilot(['approve', name], { env });
    assert.equal(again.code, 1, 'nothing waits any more');
  });

  it('a decision about another version is refused as stale; then approve, and rollback puts the previous champion back', async () => {
    assert.equal((await ctpilot(['evaluate', name], { env })).code, 0);
    const waiting = await awaitingApproval();
    const stale = await ctpilot(['approve', name, '--challenger', versions[0]!, '--json'], { env });
    assert.equal(stale.code, 1);
    assert.ok((JSON.parse(stale.stdout) as { refused: string }).refused);
    const r = await ctpilot(['approve', name, '--by', 'bob', '--json'], { env });
    assert.equal(r.code, 0, r.stderr);
    versions.push((JSON.parse(r.stdout) as { version: string }).version);
    assert.equal((await finished(waiting.workflowId)).outcome, 'promoted');
    assert.equal((await status()).champion?.version, versions[1]);

    const noReason = await ctpilot(['rollback', name], { env });
    assert.equal(noReason.code, 2);
    const rollback = await ctpilot(['rollback', name, '--reason', 'complaints from risk ops', '--json'], {
      env,
    });
    assert.equal(rollback.code, 0, rollback.stderr);
    const rolled = JSON.parse(rollback.stdout) as {
      fromVersion: string;
      toVersion: string;
      by: string;
      reason: string;
    };
    assert.deepEqual(
      [rolled.fromVersion, rolled.toVersion, rolled.by, rolled.reason],
      [versions[1], versions[0], 'alice', 'complaints from risk ops'],
    );
    assert.equal((await status()).champion?.version, versions[0]);
  });

  it('reject turns the challenger down with a reason; the champion stays', async () => {
    assert.equal((await ctpilot(['evaluate', name], { env })).code, 0);
    const waiting = await awaitingApproval();
    const r = await ctpilot(['reject', name, '--reason', 'trained on the outage week', '--json'], { env });
    assert.equal(r.code, 0, r.stderr);
    assert.equal((JSON.parse(r.stdout) as { decision: string }).decision, 'rejected');
    assert.equal((await finished(waiting.workflowId)).outcome, 'rejected');
    assert.equal((await status()).champion?.version, versions[0]);
  });

  it('the evidence pack lists every approval (who, when), promotion and the rollback', async () => {
    const out = join(dir, 'pack');
    const r = await ctpilot(['audit', 'export', '--model', model, '--from', start, '--out', out], { env });
    assert.equal(r.code, 0, r.stderr);
    const pack = JSON.parse(readFileSync(join(out, 'evidence.json'), 'utf8')) as EvidencePack;
    assert.equal(pack.verification.ok, true);
    assert.equal(pack.retrains.length, 3);
    assert.deepEqual(
      pack.retrains.map((x) => [x.approval?.outcome, x.approval?.by]),
      [
        ['approved', 'alice'],
        ['approved', 'bob'],
        ['rejected', 'alice'],
      ],
    );
    assert.deepEqual(
      pack.retrains.map((x) => x.promotion?.outcome ?? null),
      ['promoted', 'promoted', null],
    );
    assert.deepEqual(
      pack.rollbacks.map((x) => [x.by, x.reason, x.fromVersion, x.toVersion]),
      [['alice', 'complaints from risk ops', versions[1], versions[0]]],
    );
    assert.equal(pack.summary.approvals, 3);
    assert.equal(pack.summary.promotions, 2);
    assert.equal(pack.summary.rollbacks, 1);
  });
});
