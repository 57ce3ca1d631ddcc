// ctpilot audit export on the real stack: a model whose policy changed, whose
// accuracy fell, which was retrained (a real MLflow project run, gates, a
// registered challenger) and then held back by the cooldown — exported as an
// evidence pack to a directory and to S3, read back and checked section by section;
// then one audit row is tampered with and the pack says so.
// Approvals, promotions and rollbacks in a pack: cli-approval.test.ts.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Client, Connection } from '@temporalio/client';
import type { Worker } from '@temporalio/worker';
import pg from 'pg';
import { stringify } from 'yaml';
import { findBrowser } from '../../activities/evidence/files.ts';
import type { EvidencePack } from '../../activities/evidence/pack.ts';
import { migrate } from '../../activities/postgres/migrate.ts';
import { type Clients, createClients } from '../../workers/clients.ts';
import { createOrchestratorWorker, createTrainingWorker } from '../../workers/orchestrator.ts';
import { adminDatabaseUrl, quietTemporalRuntime, testConfig, uniqueName } from '../support/env.ts';
import { waitFor } from '../support/wait-for.ts';
import { ctpilot } from '../unit/cli/helpers.ts';

const PROJECT = fileURLToPath(new URL('../fixtures/training/project', import.meta.url));

function writePolicy(dir: string, name: string, accuracy: string): string {
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${name}.yaml`);
  writeFileSync(
    file,
    stringify({
      apiVersion: 'ctpilot/v1',
      kind: 'RetrainingPolicy',
      metadata: { name },
      model: { name: `${name}-model` },
      evaluate: { every: '1h' },
      metrics: { accuracy: { prometheus: { query: accuracy }, objective: { min: 0.9 } } },
      triggers: { 'accuracy-drop': { when: 'accuracy.breached', action: 'retrain' } },
      guards: { cooldown: '1h' },
      training: {
        experiment: `${name}-training`,
        launcher: { mlflowProject: { uri: PROJECT, entryPoint: 'train' } },
        parameters: { quality: 0.95 },
        timeout: '5m',
        accept: [{ metric: 'val_accuracy', min: 0.9 }],
      },
    }),
  );
  return file;
}

interface ExportJson {
  location: string;
  files: string[];
  verification: { ok: boolean; problems: Array<{ kind: string; seq: number }> };
  summary: EvidencePack['summary'];
  coverage: EvidencePack['coverage'];
}

describe('ctpilot audit export on the real stack', () => {
  const config = testConfig();
  const taskQueue = uniqueName('cli-export');
  const env = { ...(process.env as Record<string, string>), CTPILOT_TASK_QUEUE: taskQueue, USER: 'auditor' };
  const dir = mkdtempSync(join(tmpdir(), 'ctpilot-cli-export-'));
  const name = uniqueName('ev');
  const model = `${name}-model`;
  const v1 = join(dir, 'v1');
  const v2 = join(dir, 'v2');
  let clients: Clients;
  let connection: Connection;
  let client: Client;
  const workers: Worker[] = [];
  const running: Promise<void>[] = [];
  let start: string;
  let retrainId: string;
  let version: string;

  const read = (d: string) => JSON.parse(readFileSync(join(d, 'evidence.json'), 'utf8')) as EvidencePack;
  const exportTo = async (out: string, ...extra: string[]) => {
    const r = await ctpilot(
      ['audit', 'export', '--model', model, '--from', start, '--out', out, '--json', ...extra],
      {
        env,
      },
    );
    return { ...r, json: r.stdout ? (JSON.parse(r.stdout) as ExportJson) : undefined };
  };

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

    // A healthy model, then a new policy version under which its accuracy has fallen.
    assert.equal((await ctpilot(['apply', writePolicy(v1, name, 'vector(0.95)')], { env })).code, 0);
    await waitFor('the first evaluation', async () => {
      const r = await ctpilot(['history', name, '--json'], { env });
      return r.code === 0 && (JSON.parse(r.stdout) as { decisions: unknown[] }).decisions.length > 0
        ? true
        : undefined;
    });
    assert.equal((await ctpilot(['apply', writePolicy(v2, name, 'vector(0.5)')], { env })).code, 0);
    const breach = await ctpilot(['evaluate', name, '--json'], { env });
    assert.equal(breach.code, 0, breach.stderr);
    assert.equal(
      (JSON.parse(breach.stdout) as { decision: { outcome: string } }).decision.outcome,
      'retrain',
    );
    const finished = await waitFor('the retrain to finish', async () => {
      const r = await ctpilot(['status', name, '--json'], { env });
      assert.equal(r.code, 0, `ctpilot status: ${r.stdout}${r.stderr}`);
      const s = JSON.parse(r.stdout) as {
        status: {
          retrain: unknown;
          lastRetrain: { workflowId: string; outcome: string; version?: string } | null;
        };
      };
      return s.status.retrain === null && s.status.lastRetrain ? s.status.lastRetrain : undefined;
    });
    assert.equal(finished.outcome, 'registered');
    retrainId = finished.workflowId;
    version = finished.version!;
    // The model still breaches: the next retrain is held back by the cooldown.
    const held = await ctpilot(['evaluate', name, '--json'], { env });
    assert.equal((JSON.parse(held.stdout) as { decision: { outcome: string } }).decision.outcome, 'held');
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

  it('writes a pack that lists every step: versions, coverage, the breach and its actions, the retrain, the verified chain', async () => {
    const out = join(dir, 'pack');
    const r = await exportTo(out, '--policies', `${v1},${v2}`);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.json!.verification.ok, true);
    assert.deepEqual(
      r.json!.files.map((f) => f.slice(out.length + 1)),
      [
        'evidence.json',
        'index.html',
        'audit-rows.jsonl',
        'public-keys.json',
        'checkpoints.json',
        'manifest.json',
        'manifest.sig.json',
      ],
    );
    const pack = read(out);
    assert.equal(pack.model, model);
    assert.equal(pack.generatedBy, 'auditor');

    // Two policy versions, each with the cadence from its file (the running one also from its controller).
    assert.equal(pack.policyVersions.length, 2);
    assert.ok(pack.policyVersions.every((p) => p.policy === name && p.cadence?.every === '1h'));
    assert.equal(pack.policyVersions[0]!.evaluationsInPeriod, 1);
    assert.equal(pack.policyVersions[1]!.evaluationsInPeriod, 2);

    // Every evaluation, no gap: the period started just before the first and lasts a few minutes of a 1h cadence.
    const evaluations = (await clients.audit.rows({ model })).filter((row) => row.kind === 'evaluation');
    assert.equal(pack.coverage.evaluations, evaluations.length);
    assert.deepEqual(pack.coverage.byReason, { schedule: 1, requested: 2 });
    assert.deepEqual(pack.coverage.gaps, []);
    assert.equal(pack.coverage.unassessed, 0);

    // The breach: retrain acted on, then held by the cooldown; the retrain it started is named.
    assert.equal(pack.episodes.length, 1);
    const [acted, held] = pack.episodes[0]!.evaluations;
    assert.deepEqual(pack.episodes[0]!.metrics, ['accuracy']);
    assert.deepEqual(
      acted!.actions.map((a) => [a.kind, a.status]),
      [['retrain', 'act']],
    );
    assert.equal(acted!.retrainWorkflowId, retrainId);
    assert.ok(held!.actions[0]!.heldBy.some((h) => h.guard === 'cooldown'));

    // The retrain, step by step, with its MLflow run, gates and registered version.
    assert.equal(pack.retrains.length, 1);
    const retrain = pack.retrains[0]!;
    assert.equal(retrain.workflowId, retrainId);
    assert.equal(retrain.trigger, 'accuracy-drop');
    assert.ok(retrain.mlflowRunId);
    assert.equal(retrain.gates?.outcome, 'accepted');
    assert.equal(retrain.version, version);
    assert.deepEqual(retrain.result, { kind: 'challenger.registered', outcome: 'registered' });
    for (const kind of [
      'retrain.started',
      'retrain.accepted',
      'training.requested',
      'training.ended',
      'gates',
    ])
      assert.ok(
        retrain.steps.some((s) => s.kind === kind),
        `${kind} in ${retrain.steps.map((s) => s.kind)}`,
      );
    assert.match(retrain.links.run ?? '', new RegExp(`#/experiments/\\d+/runs/${retrain.mlflowRunId}$`));
    assert.match(retrain.links.version ?? '', new RegExp(`#/models/${model}/versions/${version}$`));
    assert.equal(pack.summary.retrains, 1);
    assert.equal(pack.verification.ok, true);
    assert.equal(pack.verification.rowsInChain, (await clients.audit.rows({ model })).length);

    // The HTML says the same; the manifest's sums match the files; every row re-hashes from the pack alone.
    const html = readFileSync(join(out, 'index.html'), 'utf8');
    assert.match(html, /✓ Audit chain verified/);
    assert.ok(html.includes(retrain.mlflowRunId!));
    assert.ok(html.includes(retrainId));
    const manifest = JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8')) as {
      files: Array<{ name: string; sha256: string }>;
    };
    for (const f of manifest.files)
      assert.equal(
        createHash('sha256')
          .update(readFileSync(join(out, f.name)))
          .digest('hex'),
        f.sha256,
        f.name,
      );
    const rows = readFileSync(join(out, 'audit-rows.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    assert.equal(rows.length, pack.timeline.length);
    for (const row of rows)
      assert.equal(createHash('sha256').update(`${row.prevHash}\n${row.content}`).digest('hex'), row.hash);

    const again = await exportTo(out);
    assert.equal(again.code, 2, 'never over an earlier pack');
    assert.match(again.stderr, /is not empty[\s\S]*fix: give --out a new directory/);
  });

  // An unknown cadence (rows written before evaluations recorded theirs, no
  // policy file): test/unit/activities/evidence-pack.test.ts.
  it('without the old policy file, the cadence of each version is read from its own evaluation rows; a period starting earlier shows the gap before monitoring', async () => {
    const out = join(dir, 'pack-no-files');
    const r = await exportTo(out);
    assert.equal(r.code, 0, r.stderr);
    const pack = read(out);
    const [old, current] = pack.policyVersions;
    assert.deepEqual(
      [old!.cadence, current!.cadence],
      [
        { every: '1h', ms: 3_600_000, source: 'recorded' },
        { every: '1h', ms: 3_600_000, source: 'recorded' },
      ],
    );
    assert.ok(!pack.notes.some((n) => n.includes('is unknown')), pack.notes.join('\n'));
    assert.deepEqual([r.json!.coverage.ok, r.json!.coverage.gaps], [true, []], 'covered throughout');
    assert.equal(pack.coverage.unassessed, 0);

    const early = join(dir, 'pack-early');
    const e = await ctpilot(
      [
        'audit',
        'export',
        '--model',
        model,
        '--from',
        new Date(Date.parse(start) - 3 * 3_600_000).toISOString(),
        '--out',
        early,
        '--policies',
        v1,
      ],
      { env },
    );
    assert.equal(e.code, 0, e.stderr);
    assert.match(e.stdout, /1 coverage gap\(s\)/);
    const gap = read(early).coverage.gaps[0]!;
    assert.equal(gap.where, 'start');
    assert.match(gap.text, /there is none earlier/);
  });

  it('writes the pack to an S3 prefix, never over another', async () => {
    const prefix = `s3://${config.s3.bucket}/evidence/${name}`;
    const r = await exportTo(prefix);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.json!.location, prefix);
    for (const file of [
      'evidence.json',
      'index.html',
      'audit-rows.jsonl',
      'public-keys.json',
      'checkpoints.json',
      'manifest.json',
      'manifest.sig.json',
    ])
      assert.ok((await clients.store.head(`${prefix}/${file}`)).size > 0, file);
    const pack = JSON.parse(await clients.store.getText(`${prefix}/evidence.json`)) as EvidencePack;
    assert.equal(pack.retrains.length, 1);
    const again = await exportTo(prefix);
    assert.equal(again.code, 2);
    assert.match(again.stderr, /manifest\.json exists/);
  });

  it('prints the summary to PDF with headless Chromium', async (t) => {
    if (!(await findBrowser(process.env))) {
      t.skip('no Chromium on this machine (the bootstrap installs it when run as root)');
      return;
    }
    const out = join(dir, 'pack-pdf');
    const r = await exportTo(out, '--pdf');
    assert.equal(r.code, 0, r.stderr);
    assert.ok(existsSync(join(out, 'evidence.pdf')));
    assert.equal(readFileSync(join(out, 'evidence.pdf')).subarray(0, 5).toString(), '%PDF-');
  });

  it('one tampered audit row: the pack is written, says the chain is broken at that row, and export exits 1', async () => {
    const rows = await clients.audit.rows({ model });
    const target = rows.find((row) => row.kind === 'gates')!;
    // An insider with the owner's credentials (the worker's role cannot do this).
    const owner = new pg.Pool({ connectionString: adminDatabaseUrl(), max: 1 });
    const db = await owner.connect();
    try {
      await db.query('BEGIN');
      await db.query('ALTER TABLE ctpilot.audit_log DISABLE TRIGGER audit_log_no_update_or_delete');
      await db.query("UPDATE ctpilot.audit_log SET outcome = 'forged' WHERE seq = $1", [target.seq]);
      await db.query('ALTER TABLE ctpilot.audit_log ENABLE TRIGGER audit_log_no_update_or_delete');
      await db.query('COMMIT');
    } finally {
      db.release();
      await owner.end();
    }
    const out = join(dir, 'pack-tampered');
    const r = await exportTo(out);
    assert.equal(r.code, 1);
    assert.equal(r.json!.verification.ok, false);
    assert.deepEqual(
      r.json!.verification.problems.map((p) => [p.kind, p.seq]),
      [['altered', target.seq]],
    );
    const pack = read(out);
    assert.match(pack.verification.statement, /does NOT verify/);
    assert.deepEqual(pack.timeline.find((row) => row.seq === target.seq)?.integrity, ['altered']);
    assert.deepEqual(pack.retrains[0]!.gates?.integrity, ['altered']);
    assert.match(readFileSync(join(out, 'index.html'), 'utf8'), /AUDIT CHAIN BROKEN/);
    const text = await ctpilot(
      ['audit', 'export', '--model', model, '--from', start, '--out', join(dir, 'pack-text')],
      {
        env,
      },
    );
    assert.equal(text.code, 1);
    assert.match(text.stdout, new RegExp(`✗ audit chain broken: altered at seq ${target.seq}`));
  });
});
