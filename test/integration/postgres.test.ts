import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  MigrationChangedError,
  migrate,
  readMigrations,
  toMigration,
} from '../../activities/postgres/migrate.ts';
import { createPool, inTransaction, type Pool } from '../../activities/postgres/pool.ts';
import { uniqueName } from '../support/env.ts';
import { startPgliteServer } from '../support/pglite-server.ts';
import { type PostgresServer, postgresBinDir, startPostgresServer } from '../support/postgres-server.ts';

/** The same checks on each PostgreSQL ctpilot supports: PGlite (the default) and a real server. */
function migrationSuite(label: string, connect: () => Promise<{ url: string; close?: () => Promise<void> }>) {
  describe(`migrations on ${label}`, () => {
    let url = '';
    let close: (() => Promise<void>) | undefined;
    const pools: Pool[] = [];
    const pool = () => {
      const p = createPool(url, { max: 4 });
      pools.push(p);
      return p;
    };

    before(async () => {
      ({ url, close } = await connect());
    });

    after(async () => {
      await Promise.all(pools.map((p) => p.end()));
      await close?.();
    });

    it("applies ctpilot's migrations once; a second start finds nothing to do", async () => {
      const first = await migrate(pool());
      const again = await migrate(pool());
      assert.deepEqual(again, []);
      const recorded = await pool().query<{ version: string }>(
        'SELECT version FROM ctpilot.schema_migrations ORDER BY 1',
      );
      const versions = readMigrations().map((m) => m.version);
      assert.deepEqual(
        recorded.rows.map((r) => r.version),
        versions,
      );
      assert.ok(first.every((v) => versions.includes(v)));
      await pool().query('SELECT workflow_id, details FROM ctpilot.stack_checks LIMIT 1');
    });

    it('concurrent starts apply each migration exactly once', async () => {
      const schema = uniqueName('migrate_test').replace('-', '_');
      const migrations = [
        toMigration(
          '0001',
          'create',
          `CREATE TABLE ${schema}.events (id serial PRIMARY KEY, note text NOT NULL)`,
        ),
        toMigration('0002', 'seed', `INSERT INTO ${schema}.events (note) VALUES ('seeded once')`),
      ];
      const results = await Promise.all(
        Array.from({ length: 6 }, () => migrate(pool(), { migrations, schema })),
      );
      assert.equal(results.filter((r) => r.length > 0).length, 1, 'exactly one start applied them');
      assert.deepEqual(
        results.find((r) => r.length > 0),
        ['0001', '0002'],
      );
      const rows = await pool().query(`SELECT note FROM ${schema}.events`);
      assert.deepEqual(rows.rows, [{ note: 'seeded once' }]);
    });

    it('a migration edited after it was applied is refused, and nothing else is applied', async () => {
      const schema = uniqueName('migrate_test').replace('-', '_');
      const original = toMigration('0001', 'create', `CREATE TABLE ${schema}.t (id int)`);
      await migrate(pool(), { migrations: [original], schema });
      const edited = toMigration('0001', 'create', `CREATE TABLE ${schema}.t (id bigint)`);
      const next = toMigration('0002', 'more', `CREATE TABLE ${schema}.u (id int)`);
      await assert.rejects(migrate(pool(), { migrations: [edited, next], schema }), MigrationChangedError);
      const exists = await pool().query('SELECT to_regclass($1) AS t', [`${schema}.u`]);
      assert.equal(exists.rows[0].t, null);
    });

    it('a failing migration rolls back whole', async () => {
      const schema = uniqueName('migrate_test').replace('-', '_');
      const good = toMigration('0001', 'good', `CREATE TABLE ${schema}.ok (id int)`);
      const bad = toMigration('0002', 'bad', 'CREATE TABLE no_such_schema_xyz.t (id int)');
      await assert.rejects(migrate(pool(), { migrations: [good, bad], schema }));
      const exists = await pool().query('SELECT to_regclass($1) AS t', [`${schema}.ok`]);
      assert.equal(exists.rows[0].t, null, 'the first migration of the failed batch was rolled back too');
    });

    it('inTransaction commits on success and rolls back on error', async () => {
      const p = pool();
      const table = uniqueName('tx_test').replace('-', '_');
      await p.query(`CREATE TABLE ${table} (v int)`);
      await inTransaction(p, (c) => c.query(`INSERT INTO ${table} VALUES (1)`));
      await assert.rejects(
        inTransaction(p, async (c) => {
          await c.query(`INSERT INTO ${table} VALUES (2)`);
          throw new Error('abort');
        }),
        /abort/,
      );
      const rows = await p.query(`SELECT v FROM ${table}`);
      assert.deepEqual(rows.rows, [{ v: 1 }]);
    });
  });
}

migrationSuite('PGlite (the fallback without PostgreSQL)', startPgliteServer);

describe('PostgreSQL server', {
  skip: postgresBinDir() ? false : 'PostgreSQL not installed: apt-get install postgresql',
}, () => {
  let server: PostgresServer | undefined;
  migrationSuite('PostgreSQL from Debian', async () => {
    server = await startPostgresServer();
    return { url: server.url, close: () => server!.stop() };
  });
});
