// An insider against the audit history, on the test stack's real PostgreSQL:
// as the app role the workers use (ctpilot_worker, a member of ctpilot_app)
// and as the superuser who owns the database. Each attack must be detected
// by `ctpilot audit verify` (exit 1, naming the row or what is missing) and
// by an evidence pack exported afterwards — through the row signatures (a key
// the database never holds) and the anchors outside PostgreSQL: the heads in
// the controllers' Temporal histories and the signed checkpoints in S3.
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Client, Connection } from '@temporalio/client';
import type { Worker } from '@temporalio/worker';
import pg from 'pg';
import { stringify } from 'yaml';
import { type AuditRow, chainHash, contentOf } from '../../activities/audit/chain.ts';
import { migrate } from '../../activities/postgres/migrate.ts';
import { loadPolicy } from '../../policies/loader.ts';
import { type Clients, createClients } from '../../workers/clients.ts';
import { createOrchestratorWorker } from '../../workers/orchestrator.ts';
import { applyPolicies } from '../../workers/policy-sync.ts';
import { evaluateNowUpdate } from '../../workflows/messages.ts';
import { controllerWorkflowId } from '../../workflows/policy-controller.ts';
import { adminDatabaseUrl, quietTemporalRuntime, testConfig, uniqueName } from '../support/env.ts';
import { tempDirNow } from '../support/temp-dir.ts';
import { ctpilot } from '../unit/cli/helpers.ts';

interface Verified {
  ok: boolean;
  models: Array<{
    model: string;
    ok: boolean;
    problems: Array<{ kind: string; seq?: number; modelSeq: number; message: string }>;
  }>;
}

const env = () =>
  Object.fromEntries(Object.entries(process.env).filter(([, v]) => v !== undefined)) as Record<
    string,
    string
  >;

describe('tampering with the audit history is detected', () => {
  const config = testConfig();
  const taskQueue = uniqueName('tamper');
  const scratch = tempDirNow('ctpilot-tamper');
  let clients: Clients;
  let connection: Connection;
  let client: Client;
  let worker: Worker;
  let running: Promise<void>;
  let owner: pg.Pool;
  let app: pg.Pool;

  before(async () => {
    quietTemporalRuntime();
    // Every append checkpointed, so each test has a checkpoint at its head.
    clients = createClients({ ...config, audit: { ...config.audit, checkpointEveryMs: 0 } }, undefined, {
      checkpoints: true,
    });
    await migrate(clients.pool);
    ({ worker } = await createOrchestratorWorker(config, clients, { taskQueue }));
    running = worker.run();
    connection = await Connection.connect({ address: config.temporal.address });
    client = new Client({ connection, namespace: config.temporal.namespace });
    owner = new pg.Pool({ connectionString: adminDatabaseUrl(), max: 2 });
    app = new pg.Pool({ connectionString: config.postgres.url, max: 2 });
  });

  after(async () => {
    for await (const w of client.workflow.list({
      query: `TaskQueue = '${taskQueue}' AND ExecutionStatus = 'Running'`,
    }))
      await client.workflow.getHandle(w.workflowId).terminate('test finished');
    worker.shutdown();
    await running;
    await connection.close();
    await clients.close();
    await owner.end();
    await app.end();
    scratch.remove();
  });

  /** A controller that has evaluated six times: six signed rows, anchored in Temporal and in S3. */
  async function chainOf(prefix: string): Promise<{ model: string; rows: AuditRow[] }> {
    const name = uniqueName(prefix);
    const loaded = loadPolicy(
      stringify({
        apiVersion: 'ctpilot/v1',
        kind: 'RetrainingPolicy',
        metadata: { name },
        model: { name: `${name}-model` },
        evaluate: { every: '1h' },
        metrics: { accuracy: { prometheus: { query: 'vector(0.95)' }, objective: { min: 0.9 } } },
        triggers: { drop: { when: 'accuracy.breached', action: 'alert' } },
      }),
      `${name}.yaml`,
    );
    if (!loaded.ok) throw new Error(JSON.stringify(loaded.issues));
    await applyPolicies(client, [loaded.policy], { taskQueue });
    const handle = client.workflow.getHandle(controllerWorkflowId(name));
    for (let i = 0; i < 5; i++) await handle.executeUpdate(evaluateNowUpdate, { args: [{ by: 'test' }] });
    await clients.checkpointer!.flush();
    const model = `${name}-model`;
    const rows = await clients.audit.rows({ model });
    assert.ok(rows.length >= 5, `${rows.length} rows`);
    assert.ok(
      rows.every((r) => r.signature),
      'rows are signed',
    );
    const clean = await verify(model);
    assert.equal(clean.code, 0, clean.stdout + clean.stderr);
    return { model, rows };
  }

  async function verify(
    model: string,
  ): Promise<{ code: number; stdout: string; stderr: string; json: Verified }> {
    const r = await ctpilot(['audit', 'verify', '--model', model, '--json'], { env: env() });
    return { ...r, json: JSON.parse(r.stdout || '{}') as Verified };
  }

  /** An evidence pack exported now: its verdict and its problems. */
  async function exportPack(
    model: string,
  ): Promise<{ code: number; ok: boolean; problems: string[]; dir: string }> {
    const dir = join(scratch.path, uniqueName('pack'));
    const r = await ctpilot(
      ['audit', 'export', '--model', model, '--from', '1h', '--out', dir, '--by', 'auditor', '--json'],
      {
        env: env(),
      },
    );
    const out = JSON.parse(r.stdout || '{}') as {
      verification?: { ok: boolean; problems: Array<{ message: string }> };
    };
    return {
      code: r.code,
      ok: out.verification?.ok ?? false,
      problems: (out.verification?.problems ?? []).map((p) => p.message),
      dir,
    };
  }

  /** Runs SQL as the owner with the append-only triggers off, as a superuser can. */
  async function asSuperuser(fn: (db: pg.PoolClient) => Promise<void>): Promise<void> {
    const db = await owner.connect();
    try {
      await db.query('BEGIN');
      await db.query('ALTER TABLE ctpilot.audit_log DISABLE TRIGGER USER');
      await fn(db);
      await db.query('ALTER TABLE ctpilot.audit_log ENABLE TRIGGER USER');
      await db.query('COMMIT');
    } finally {
      db.release();
    }
  }

  async function detected(model: string, pattern: RegExp): Promise<void> {
    const v = await verify(model);
    assert.equal(v.code, 1, v.stdout);
    const messages = v.json.models.flatMap((m) => m.problems.map((p) => `${p.kind}: ${p.message}`));
    assert.ok(
      messages.some((m) => pattern.test(m)),
      messages.join('\n'),
    );
    const pack = await exportPack(model);
    assert.equal(pack.code, 1);
    assert.equal(pack.ok, false);
    const bare = new RegExp(pattern.source.replace(/^[a-z-]+: /, ''));
    assert.ok(
      pack.problems.some((m) => bare.test(m)),
      pack.problems.join('\n'),
    );
  }

  it('1. recorded_at backdated by 30 days: refused to the app role; as superuser, detected', async () => {
    const { model, rows } = await chainOf('backdated');
    await assert.rejects(
      app.query(
        "UPDATE ctpilot.audit_log SET recorded_at = recorded_at - interval '30 days' WHERE seq = $1",
        [rows[2]!.seq],
      ),
      /permission denied/,
    );
    await asSuperuser((db) =>
      db
        .query("UPDATE ctpilot.audit_log SET recorded_at = recorded_at - interval '30 days' WHERE seq = $1", [
          rows[2]!.seq,
        ])
        .then(() => {}),
    );
    await detected(model, new RegExp(`altered: row seq ${rows[2]!.seq} .*column\\(s\\) recordedAt differ`));
  });

  it('2. the two newest rows deleted: the chain ends before the heads Temporal and the checkpoint recorded', async () => {
    const { model, rows } = await chainOf('truncated');
    await assert.rejects(
      app.query('DELETE FROM ctpilot.audit_log WHERE model = $1', [model]),
      /permission denied/,
    );
    await asSuperuser((db) =>
      db
        .query('DELETE FROM ctpilot.audit_log WHERE seq = ANY($1)', [rows.slice(-2).map((r) => r.seq)])
        .then(() => {}),
    );
    const n = rows.length;
    await detected(
      model,
      new RegExp(`removed: the chain of model .* ends at position ${n - 2}, but .* recorded position ${n}`),
    );
  });

  it('3. a whole chain deleted while its controller runs: the chain is gone; an unknown model is a usage error', async () => {
    const { model } = await chainOf('deleted');
    await asSuperuser((db) =>
      db.query('DELETE FROM ctpilot.audit_log WHERE model = $1', [model]).then(() => {}),
    );
    await detected(model, /removed: the chain of model .* is gone/);
    const unknown = await ctpilot(['audit', 'verify', '--model', 'no-such-model-anywhere'], { env: env() });
    assert.equal(unknown.code, 2);
    assert.match(
      unknown.stderr,
      /no audit chain, controller, checkpoint or registered version knows model "no-such-model-anywhere"/,
    );
  });

  it('4. a full rewrite by a superuser — a forged approval, every later hash recomputed, seq renumbered — no longer verifies', async () => {
    const { model, rows } = await chainOf('rewritten');
    const forged = {
      ...rows[3]!,
      step: 'approval:forged',
      kind: 'approval.approved',
      outcome: 'approved',
      details: { by: 'mallory-never-approved' },
    };
    const rewritten = [...rows.slice(0, 3), forged, ...rows.slice(3)];
    await asSuperuser(async (db) => {
      const next = Number((await db.query("SELECT nextval('ctpilot.audit_log_seq_seq') AS n")).rows[0].n);
      const seqs = [...rows.map((r) => r.seq), next];
      await db.query('DELETE FROM ctpilot.audit_log WHERE model = $1', [model]);
      let prev = rows[2]!.hash;
      for (const [i, r] of rewritten.entries()) {
        const modelSeq = i + 1;
        const content = contentOf(r, modelSeq);
        const hash = i < 3 ? r.hash : chainHash(prev, content);
        await db.query(
          `INSERT INTO ctpilot.audit_log (seq, model, model_seq, recorded_at, policy, policy_version, workflow_id, workflow_run,
             mlflow_run_id, step, kind, outcome, content, prev_hash, hash, signature, key_id)
           VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16,$17)`,
          [
            seqs[i],
            r.model,
            modelSeq,
            r.recordedAt,
            r.policy,
            r.policyVersion ?? null,
            r.workflowId,
            r.workflowRun ?? null,
            r.mlflowRunId ?? null,
            r.step,
            r.kind,
            r.outcome,
            i < 3 ? r.content : content,
            i < 3 ? r.prevHash : prev,
            hash,
            // The old signatures are all a forger has: they sign other hashes.
            rows[Math.min(i, rows.length - 1)]!.signature ?? null,
            rows[0]!.keyId ?? null,
          ],
        );
        prev = hash;
      }
    });
    await detected(model, /altered: row seq \d+ \(position 4 .*signature does not verify with key/);
  });

  it('5. a forged append by the app role (a well-hashed approval for a workflow that never ran) is detected', async () => {
    const { model, rows } = await chainOf('forged');
    const last = rows.at(-1)!;
    const entry = {
      model,
      policy: last.policy,
      policyVersion: last.policyVersion,
      workflowId: `retrain:${last.policy}:99`,
      step: 'approval',
      kind: 'approval.approved',
      outcome: 'approved',
      recordedAt: new Date().toISOString(),
      details: { by: 'mallory' },
    };
    const position = rows.length + 1;
    const content = contentOf(entry, position);
    const hash = chainHash(last.hash, content);
    await app.query(
      `INSERT INTO ctpilot.audit_log (model, model_seq, recorded_at, policy, policy_version, workflow_id, step, kind, outcome, content, prev_hash, hash)
       VALUES ($1, $9, $2, $3, $4, $5, 'approval', 'approval.approved', 'approved', $6, $7, $8)`,
      [
        model,
        entry.recordedAt,
        entry.policy,
        entry.policyVersion,
        entry.workflowId,
        content,
        last.hash,
        hash,
        position,
      ],
    );
    const v = await verify(model);
    assert.equal(v.code, 1);
    const kinds = v.json.models[0]!.problems.map((p) => `${p.kind}: ${p.message}`);
    assert.ok(
      kinds.some((k) =>
        new RegExp(`^unsigned: row seq \\d+ \\(position ${position} .*written without the key`).test(k),
      ),
      kinds.join('\n'),
    );
    assert.ok(
      kinds.some((k) =>
        new RegExp(
          `^unknown-workflow: .*names workflow retrain:${last.policy}:99, which Temporal has no record of`,
        ).test(k),
      ),
      kinds.join('\n'),
    );
    const pack = await exportPack(model);
    assert.equal(pack.code, 1);
    assert.ok(pack.problems.some((p) => /written without the key/.test(p)));
  });

  it('6. sessions do not leak: a superuser session that turns the triggers off changes no other session; the worker is no superuser', async () => {
    const a = await owner.connect();
    const b = await owner.connect();
    try {
      await a.query('SET session_replication_role = replica');
      await a.query('SET ROLE ctpilot_app');
      assert.equal(
        (await b.query('SHOW session_replication_role')).rows[0].session_replication_role,
        'origin',
      );
      assert.equal((await b.query('SELECT current_user AS u')).rows[0].u, 'postgres');
      await assert.rejects(
        b.query("UPDATE ctpilot.audit_log SET outcome = 'x' WHERE false OR true"),
        /append-only/,
      );
    } finally {
      await a.query('RESET ROLE').catch(() => {});
      a.release();
      b.release();
    }
    const worker = await app.connect();
    try {
      const me = (
        await worker.query('SELECT current_user AS u, rolsuper FROM pg_roles WHERE rolname = current_user')
      ).rows[0];
      assert.equal(me.rolsuper, false, `${me.u} is a superuser`);
      await assert.rejects(worker.query('SET session_replication_role = replica'), /permission denied/);
    } finally {
      worker.release();
    }
  });

  it('an evidence pack verifies offline with the published key, and not once edited by hand', async () => {
    const { model } = await chainOf('offline');
    const pack = await exportPack(model);
    assert.equal(pack.code, 0, pack.problems.join('\n'));
    const publicKey = join(config.home, 'audit-signing-key.pub.pem');
    const ok = await ctpilot(['audit', 'verify', '--pack', pack.dir, '--public-key', publicKey], { env: {} });
    assert.equal(ok.code, 0, ok.stdout);
    assert.match(ok.stdout, /verifies/);
    // The summary edited: the manifest no longer matches.
    const evidence = join(pack.dir, 'evidence.json');
    writeFileSync(
      evidence,
      readFileSync(evidence, 'utf8').replace('"generatedBy": "auditor"', '"generatedBy": "mallory"'),
    );
    const edited = await ctpilot(['audit', 'verify', '--pack', pack.dir, '--public-key', publicKey], {
      env: {},
    });
    assert.equal(edited.code, 1);
    assert.match(edited.stdout, /evidence\.json does not match the SHA-256 in the manifest/);
    // And the manifest rewritten to match: its signature fails.
    const manifestFile = join(pack.dir, 'manifest.json');
    const manifest = JSON.parse(readFileSync(manifestFile, 'utf8')) as {
      files: { name: string; sha256: string }[];
    };
    const { createHash } = await import('node:crypto');
    for (const f of manifest.files)
      if (f.name === 'evidence.json')
        f.sha256 = createHash('sha256').update(readFileSync(evidence)).digest('hex');
    writeFileSync(manifestFile, `${JSON.stringify(manifest, null, 2)}\n`);
    const resigned = await ctpilot(['audit', 'verify', '--pack', pack.dir, '--public-key', publicKey], {
      env: {},
    });
    assert.equal(resigned.code, 1);
    assert.match(resigned.stdout, /the manifest's signature does not verify/);
  });
});
