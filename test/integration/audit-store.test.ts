import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { AuditEntry } from '../../activities/audit/chain.ts';
import { AuditStore } from '../../activities/audit/store.ts';
import { migrate } from '../../activities/postgres/migrate.ts';
import { createPool, type Pool } from '../../activities/postgres/pool.ts';
import { uniqueName } from '../support/env.ts';
import { startPgliteServer } from '../support/pglite-server.ts';
import { type PostgresServer, postgresBinDir, startPostgresServer } from '../support/postgres-server.ts';

function entry(model: string, workflowId: string, step: string, extra: Partial<AuditEntry> = {}): AuditEntry {
  return {
    model,
    policy: `${model}-policy`,
    policyVersion: 'sha256:0f0f',
    workflowId,
    step,
    kind: 'evaluation',
    outcome: 'ok',
    recordedAt: '2026-11-21T10:00:00.000Z',
    inputs: { accuracy: { value: 0.91, min: 0.85, query: 'avg(acc)' } },
    ...extra,
  };
}

function auditSuite(label: string, connect: () => Promise<{ url: string; close?: () => Promise<void> }>) {
  describe(`audit history on ${label}`, () => {
    let pool: Pool;
    let store: AuditStore;
    let close: (() => Promise<void>) | undefined;

    before(async () => {
      const target = await connect();
      close = target.close;
      pool = createPool(target.url, { max: 10 });
      await migrate(pool);
      store = new AuditStore(pool);
    });

    after(async () => {
      await pool.end();
      await close?.();
    });

    it('chains rows per model and reads them back with their inputs', async () => {
      const model = uniqueName('model');
      const first = await store.append(entry(model, 'policy:a', 'eval:1'));
      const second = await store.append(
        entry(model, 'policy:a', 'eval:2', { outcome: 'retrain', mlflowRunId: 'run-9' }),
      );
      assert.equal(first.row.modelSeq, 1);
      assert.equal(second.row.modelSeq, 2);
      assert.equal(second.row.prevHash, first.row.hash);
      const rows = await store.rows({ model });
      assert.deepEqual(
        rows.map((r) => [r.step, r.outcome, r.mlflowRunId]),
        [
          ['eval:1', 'ok', undefined],
          ['eval:2', 'retrain', 'run-9'],
        ],
      );
      assert.deepEqual(rows[0]!.inputs, { accuracy: { value: 0.91, min: 0.85, query: 'avg(acc)' } });
      const [report] = await store.verify(model);
      assert.equal(report?.ok, true);
      assert.equal(report?.rows, 2);
    });

    it('a retried append of the same step writes nothing and returns the first row', async () => {
      const model = uniqueName('model');
      const once = await store.append(entry(model, 'retrain:x:1', 'create-run'));
      const again = await store.append(entry(model, 'retrain:x:1', 'create-run', { outcome: 'different' }));
      assert.equal(again.duplicate, true);
      assert.equal(again.row.hash, once.row.hash);
      assert.equal((await store.rows({ model })).length, 1);
    });

    it('concurrent appends from many workflows keep one unbroken chain', async () => {
      const model = uniqueName('model');
      await Promise.all(
        Array.from({ length: 40 }, (_, i) => store.append(entry(model, `wf-${i % 5}`, `step-${i}`))),
      );
      const rows = await store.rows({ model });
      assert.deepEqual(
        rows.map((r) => r.modelSeq),
        Array.from({ length: 40 }, (_, i) => i + 1),
      );
      const [report] = await store.verify(model);
      assert.equal(report?.ok, true, JSON.stringify(report?.problems));
    });

    it('refuses UPDATE, DELETE and TRUNCATE', async () => {
      const model = uniqueName('model');
      await store.append(entry(model, 'w', 's'));
      await assert.rejects(
        pool.query("UPDATE ctpilot.audit_log SET outcome = 'forged' WHERE model = $1", [model]),
        /append-only/,
      );
      await assert.rejects(
        pool.query('DELETE FROM ctpilot.audit_log WHERE model = $1', [model]),
        /append-only/,
      );
      await assert.rejects(pool.query('TRUNCATE ctpilot.audit_log'), /append-only/);
      assert.equal((await store.rows({ model })).length, 1);
    });

    it('an operator who bypasses the guard is found out by verify, which names the row', async () => {
      const model = uniqueName('model');
      for (let i = 1; i <= 5; i++) await store.append(entry(model, 'policy:t', `eval:${i}`));
      const rows = await store.rows({ model });
      const client = await pool.connect();
      try {
        // Only a superuser can do this; the chain is what makes it visible.
        await client.query('BEGIN');
        await client.query('ALTER TABLE ctpilot.audit_log DISABLE TRIGGER audit_log_no_update_or_delete');
        await client.query("UPDATE ctpilot.audit_log SET outcome = 'forged' WHERE seq = $1", [rows[1]!.seq]);
        await client.query('DELETE FROM ctpilot.audit_log WHERE seq = $1', [rows[3]!.seq]);
        await client.query('ALTER TABLE ctpilot.audit_log ENABLE TRIGGER audit_log_no_update_or_delete');
        await client.query('COMMIT');
      } finally {
        client.release();
      }
      const [report] = await store.verify(model);
      assert.equal(report?.ok, false);
      assert.deepEqual(
        report?.problems.map((p) => [p.kind, p.seq]),
        [
          ['altered', rows[1]!.seq],
          ['removed', rows[4]!.seq],
        ],
      );
    });

    it('filters by policy, workflow and time', async () => {
      const model = uniqueName('model');
      await store.append(entry(model, 'wf-early', 'a', { recordedAt: '2026-01-01T00:00:00Z' }));
      await store.append(entry(model, 'wf-late', 'b', { recordedAt: '2026-06-01T00:00:00Z' }));
      assert.deepEqual(
        (await store.rows({ model, since: new Date('2026-03-01T00:00:00Z') })).map((r) => r.workflowId),
        ['wf-late'],
      );
      assert.deepEqual(
        (await store.rows({ model, workflowId: 'wf-early' })).map((r) => r.step),
        ['a'],
      );
      assert.equal((await store.rows({ policy: `${model}-policy` })).length, 2);
    });
  });
}

auditSuite('PGlite (the fallback without PostgreSQL)', startPgliteServer);

describe('audit history on a PostgreSQL server', {
  skip: postgresBinDir() ? false : 'PostgreSQL not installed',
}, () => {
  let server: PostgresServer;
  auditSuite('PostgreSQL from Debian', async () => {
    server = await startPostgresServer();
    return { url: server.url, close: () => server.stop() };
  });

  it('the application role may append and read, never update or delete', async () => {
    const local = await startPostgresServer();
    const pool = createPool(local.url);
    try {
      await migrate(pool);
      const client = await pool.connect();
      try {
        await client.query('SET ROLE ctpilot_app');
        await client.query(
          `INSERT INTO ctpilot.audit_log (model, model_seq, recorded_at, policy, workflow_id, step, kind, outcome, content, prev_hash, hash)
           VALUES ('m', 1, now(), 'p', 'w', 's', 'k', 'o', '{}', repeat('0', 64), repeat('1', 64))`,
        );
        assert.equal((await client.query('SELECT count(*)::int AS n FROM ctpilot.audit_log')).rows[0].n, 1);
        await assert.rejects(client.query("UPDATE ctpilot.audit_log SET outcome = 'x'"), /permission denied/);
        await assert.rejects(client.query('DELETE FROM ctpilot.audit_log'), /permission denied/);
        await assert.rejects(client.query('TRUNCATE ctpilot.audit_log'), /permission denied/);
      } finally {
        client.release();
      }
    } finally {
      await pool.end();
      await local.stop();
    }
  });
});
