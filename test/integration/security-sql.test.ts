// Least-privilege SQL on a real PostgreSQL server (Debian's, started here on
// a free port): the schema is migrated by its owner; the worker connects as
// a login role that is only a member of ctpilot_app (migration 0002). As
// that role it can start (a worker migrates at every start: with nothing
// pending that must need no DDL right), append to and read the audit
// history and record stack checks — and it cannot change or remove a row,
// disable the append-only trigger, alter or drop a table, create objects,
// or rewrite the migration ledger.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type pg from 'pg';
import { AuditStore } from '../../activities/audit/store.ts';
import { migrate } from '../../activities/postgres/migrate.ts';
import { createPool } from '../../activities/postgres/pool.ts';
import { type PostgresServer, postgresBinDir, startPostgresServer } from '../support/postgres-server.ts';

const WORKER_ROLE = 'ctpilot_worker_test';
const PASSWORD = 'least-privilege-test';

describe('the worker as a least-privilege role', {
  skip: postgresBinDir() ? false : 'PostgreSQL not installed',
}, () => {
  let server: PostgresServer;
  let owner: pg.Pool;
  let worker: pg.Pool;

  before(async () => {
    server = await startPostgresServer();
    owner = createPool(server.url);
    await migrate(owner);
    await owner.query(`CREATE ROLE ${WORKER_ROLE} LOGIN PASSWORD '${PASSWORD}' IN ROLE ctpilot_app`);
    const url = new URL(server.url);
    url.username = WORKER_ROLE;
    url.password = PASSWORD;
    worker = createPool(url.toString());
  });

  after(async () => {
    await worker?.end();
    await owner?.end();
    await server?.stop();
  });

  it('starts: migrating with nothing pending needs no DDL right', async () => {
    assert.deepEqual(await migrate(worker), []);
  });

  it('appends to, reads and verifies the audit history', async () => {
    const audit = new AuditStore(worker);
    for (const step of ['a', 'b', 'a']) {
      await audit.append({
        model: 'least-privilege',
        policy: 'p',
        workflowId: 'policy:p',
        step,
        kind: 'evaluation',
        outcome: 'ok',
        recordedAt: new Date().toISOString(),
      });
    }
    const [report] = await audit.verify('least-privilege');
    assert.equal(report?.ok, true);
    assert.equal((await audit.rows({ model: 'least-privilege' })).length, 2);
  });

  it('a statement that runs past the pool statement timeout is ended by the server', async () => {
    assert.equal((await worker.query('SHOW statement_timeout')).rows[0].statement_timeout, '1min');
    const short = createPool(server.url, { statementTimeoutMs: 200 });
    try {
      await assert.rejects(short.query('SELECT pg_sleep(2)'), /canceling statement due to statement timeout/);
    } finally {
      await short.end();
    }
  });

  it('records a stack check', async () => {
    await worker.query(
      `INSERT INTO ctpilot.stack_checks (workflow_id, run_id, checked_at, mlflow_ok, prometheus_ok, s3_ok, details)
       VALUES ('w', 'r', now(), true, true, true, '{}') ON CONFLICT (workflow_id, run_id) DO NOTHING`,
    );
  });

  for (const [what, sql] of [
    ['change an audit row', "UPDATE ctpilot.audit_log SET outcome = 'forged'"],
    ['remove an audit row', 'DELETE FROM ctpilot.audit_log'],
    ['empty the audit history', 'TRUNCATE ctpilot.audit_log'],
    [
      'disable the append-only trigger',
      'ALTER TABLE ctpilot.audit_log DISABLE TRIGGER audit_log_no_update_or_delete',
    ],
    ['drop the audit history', 'DROP TABLE ctpilot.audit_log'],
    ['create a table in the schema', 'CREATE TABLE ctpilot.intruder (x int)'],
    ['create a table in public', 'CREATE TABLE public.intruder (x int)'],
    ['rewrite the migration ledger', "DELETE FROM ctpilot.schema_migrations WHERE version = '0002'"],
    [
      'forge a migration',
      "INSERT INTO ctpilot.schema_migrations (version, name, checksum) VALUES ('9999', 'x', 'x')",
    ],
    ['change a stack check', 'UPDATE ctpilot.stack_checks SET s3_ok = false'],
    ['read the password hashes', 'SELECT rolpassword FROM pg_authid'],
  ] as const) {
    it(`cannot ${what}`, async () => {
      await assert.rejects(worker.query(sql), /permission denied|must be owner|append-only/);
    });
  }

  it('cannot grant itself more: PostgreSQL only warns, and nothing changes', async () => {
    await worker.query(`GRANT UPDATE, DELETE ON ctpilot.audit_log TO ${WORKER_ROLE}`);
    await assert.rejects(
      worker.query("UPDATE ctpilot.audit_log SET outcome = 'forged'"),
      /permission denied/,
    );
  });
});
