// SQL windows on the PostgreSQL ctpilot supports: the local PGlite (behind
// pglite-socket) and Debian's PostgreSQL. The query is the policy's text,
// its values bound as parameters, read through a server-side cursor in a
// read-only transaction; every failure is an `error` outcome naming why.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createPool, type Pool } from '../../activities/postgres/pool.ts';
import { readWindow, type WindowResult } from '../../activities/windows/index.ts';
import { loadPolicyOrThrow, planMeasurements } from '../../policies/index.ts';
import { createSecretResolver } from '../../policies/secrets.ts';
import { CategorySummary, NumericSummary } from '../../stats/index.ts';
import { uniqueName } from '../support/env.ts';
import { startPgliteServer } from '../support/pglite-server.ts';
import { type PostgresServer, postgresBinDir, startPostgresServer } from '../support/postgres-server.ts';

const N = 2000;
const START = Date.UTC(2025, 0, 1);

/** The table's rows as the test computes them (see the INSERT below). */
function row(i: number) {
  return {
    at: START + i * 60_000,
    amount: i % 97 === 0 ? Number.NaN : i * 0.5,
    qty: i % 7,
    price: Math.round((i / 4) * 100) / 100,
    country: i % 50 === 0 ? null : ['fr', 'de', 'it'][i % 3]!,
    vip: i % 2 === 0 ? 'true' : 'false',
  };
}

function expectOutcome<O extends WindowResult['outcome']>(
  r: WindowResult,
  outcome: O,
): Extract<WindowResult, { outcome: O }> {
  const detail = r.outcome === 'error' ? r.message : r.outcome === 'empty' ? r.reason : r.outcome;
  assert.equal(r.outcome, outcome, detail);
  return r as Extract<WindowResult, { outcome: O }>;
}

function sqlSuite(
  label: string,
  connect: () => Promise<{ url: string; close?: () => Promise<void> }>,
  enforcesTimeouts: boolean,
) {
  describe(`SQL windows on ${label}`, () => {
    let url = '';
    let close: (() => Promise<void>) | undefined;
    let pool: Pool;
    let other: Pool;
    const schema = uniqueName('windows').replace('-', '_');
    const table = `${schema}.events`;
    const deps = () => ({ pool });

    before(async () => {
      ({ url, close } = await connect());
      pool = createPool(url, { max: 2 });
      other = createPool(url, { max: 1 });
      await pool.query(`CREATE SCHEMA ${schema}`);
      await pool.query(`CREATE TABLE ${table} (
        id int PRIMARY KEY, at timestamptz NOT NULL, amount float8, qty int4, big int8,
        price numeric(10, 2), country text, vip boolean, day date)`);
      await pool.query(`INSERT INTO ${table}
        SELECT i, timestamptz '2025-01-01 00:00:00+00' + i * interval '1 minute',
               CASE WHEN i % 97 = 0 THEN 'NaN'::float8 ELSE i * 0.5 END, i % 7, i::int8 * 1000000000,
               round(i / 4.0, 2), CASE WHEN i % 50 = 0 THEN NULL ELSE (ARRAY['fr', 'de', 'it'])[1 + i % 3] END,
               i % 2 = 0, date '2025-01-01' + (i % 30)
        FROM generate_series(1, ${N}) AS i`);
    });

    after(async () => {
      await pool.query(`DROP SCHEMA ${schema} CASCADE`).catch(() => {});
      await pool.end();
      await other.end();
      await close?.();
    });

    const windowQuery = () =>
      `SELECT id, at, amount, qty, big, price, country, vip FROM ${table} WHERE at >= $1 AND at < $2 ORDER BY id`;
    const window = { from: '2025-01-01T00:10:00.000Z', to: '2025-01-01T20:00:00.000Z' };
    const inWindow = Array.from({ length: 1190 }, (_, k) => row(k + 10));

    it('a query with window parameters gives typed columns, kinds from the column types', async () => {
      const r = expectOutcome(
        await readWindow(
          { sql: windowQuery(), params: [window.from, window.to], ...window, timestampColumn: 'at' },
          deps(),
          { columns: ['amount', 'qty', 'price', 'country', 'vip', 'big'] },
        ),
        'columns',
      );
      const c = r.columns;
      assert.deepEqual(
        Array.from(c.amount!.values as Float64Array),
        inWindow.map((x) => x.amount),
      );
      assert.deepEqual(
        Array.from(c.qty!.values as Float64Array),
        inWindow.map((x) => x.qty),
      );
      assert.deepEqual(
        Array.from(c.price!.values as Float64Array),
        inWindow.map((x) => x.price),
      );
      assert.deepEqual(
        c.country!.values,
        inWindow.map((x) => x.country),
      );
      assert.deepEqual(
        c.vip!.values,
        inWindow.map((x) => x.vip),
      );
      assert.equal((c.big!.values as Float64Array)[0], 10 * 1e9, 'int8 as a number');
      assert.equal(
        c.amount!.missing,
        inWindow.filter((x) => Number.isNaN(x.amount)).length,
        "'NaN'::float8 is missing",
      );
      assert.equal(c.country!.missing, inWindow.filter((x) => x.country === null).length);
      assert.equal(r.meta.rowsRead, 1190);
      assert.deepEqual(r.meta.observed, { from: '2025-01-01T00:10:00.000Z', to: '2025-01-01T19:59:00.000Z' });
      assert.deepEqual(r.meta.available, {
        id: 'int4',
        at: 'timestamptz',
        amount: 'float8',
        qty: 'int4',
        big: 'int8',
        price: 'numeric',
        country: 'text',
        vip: 'bool',
      });
      assert.deepEqual(r.meta.schema.vip, { kind: 'categorical', from: 'source' });
      assert.equal(r.meta.query, windowQuery());
      assert.deepEqual(r.meta.params, [window.from, window.to]);
      assert.deepEqual(r.problems, []);
    });

    it('small FETCH batches give the same window (rows cross batch boundaries)', async () => {
      const read = (fetchRows?: number) =>
        readWindow({ sql: windowQuery(), params: [window.from, window.to] }, deps(), {
          columns: ['amount', 'country'],
          ...(fetchRows ? { fetchRows } : {}),
        });
      const whole = expectOutcome(await read(), 'columns');
      const batched = expectOutcome(await read(7), 'columns');
      assert.deepEqual(batched.columns.amount!.values, whole.columns.amount!.values);
      assert.deepEqual(batched.columns.country!.values, whole.columns.country!.values);
    });

    it("accepts exactly what a policy says: planMeasurements' rendered window reads as is", async () => {
      const policy = loadPolicyOrThrow(
        `apiVersion: ctpilot/v1
kind: RetrainingPolicy
metadata: { name: sql-window }
model: { name: m }
metrics:
  amount_drift:
    drift:
      feature: amount
      reference: { sql: "select amount from ${table} where at < $1", params: ["2025-01-01T05:00:00Z"] }
      current:
        sql: "select amount from ${table} where at >= $1 and at < $2"
        params: ["{{ window.from }}", "{{ window.to }}"]
        lookback: 1h
triggers:
  drifted: { when: amount_drift.drifted, action: alert }
`,
        'sql-window.yaml',
      );
      const [request] = planMeasurements(policy, '2025-01-01T10:00:00Z');
      assert.ok(request?.provider === 'drift');
      const current = expectOutcome(
        await readWindow(request.current, deps(), { columns: [request.feature] }),
        'columns',
      );
      assert.equal(current.meta.rowsRead, 60, 'one hour of rows, one a minute');
      assert.deepEqual(current.meta.params, ['2025-01-01T09:00:00.000Z', '2025-01-01T10:00:00.000Z']);
      const reference = expectOutcome(
        await readWindow(request.reference, deps(), { columns: ['amount'] }),
        'columns',
      );
      assert.equal(reference.meta.rowsRead, 299);
    });

    it('a parameter is a value, never SQL: an injection attempt matches no row and changes nothing', async () => {
      const evil = `fr'; DROP TABLE ${table}; --`;
      const r = expectOutcome(
        await readWindow({ sql: `SELECT amount FROM ${table} WHERE country = $1`, params: [evil] }, deps(), {
          columns: ['amount'],
        }),
        'empty',
      );
      assert.equal(r.reason, 'the window query returned no rows');
      assert.equal((await pool.query(`SELECT count(*)::int AS n FROM ${table}`)).rows[0].n, N);
    });

    it('the read is read-only: a query that would write is an error and writes nothing', async () => {
      const r = expectOutcome(
        await readWindow({ sql: `SELECT nextval('${schema}.seq') AS x` }, deps(), { columns: ['x'] }),
        'error',
      );
      assert.match(r.message, /^the window query failed \[(42P01|25006)\]/);
      const del = expectOutcome(
        await readWindow({ sql: `DELETE FROM ${table} RETURNING amount` }, deps(), { columns: ['amount'] }),
        'error',
      );
      assert.match(del.message, /^the window query failed \[42601\]: syntax error/);
      await pool.query(`CREATE SEQUENCE IF NOT EXISTS ${schema}.seq`);
      const seq = expectOutcome(
        await readWindow({ sql: `SELECT nextval('${schema}.seq') AS x` }, deps(), { columns: ['x'] }),
        'error',
      );
      assert.match(seq.message, /\[25006\]: cannot execute nextval\(\) in a read-only transaction/);
      assert.equal((await pool.query(`SELECT count(*)::int AS n FROM ${table}`)).rows[0].n, N);
    });

    it("a failing query names PostgreSQL's error and where it is in the policy's query", async () => {
      const r = expectOutcome(
        await readWindow({ sql: `SELECT amout\nFROM ${table}` }, deps(), { columns: ['amount'] }),
        'error',
      );
      assert.match(
        r.message,
        /^the window query failed \[42703\]: column "amout" does not exist at character 8 \(line 1: "SELECT amout"\)/,
      );
      // The failed read ended its transaction: another connection is not kept waiting (PGlite serialises them).
      assert.equal((await other.query('SELECT 1 AS one')).rows[0].one, 1);
    });

    it('a statement timeout ends a slow query as an error', {
      skip: enforcesTimeouts
        ? false
        : 'PGlite does not enforce statement_timeout (no timer signals in its WASM build)',
    }, async () => {
      const r = await readWindow({ sql: 'SELECT pg_sleep(2) AS slept, 1 AS x' }, deps(), {
        columns: ['x'],
        statementTimeoutMs: 50,
      });
      assert.equal(r.outcome, 'error', r.outcome);
      if (r.outcome === 'error')
        assert.match(r.message, /\[57014\]: canceling statement due to statement timeout/);
    });

    it('a needed column the query does not return is an error listing what it returns', async () => {
      const r = expectOutcome(
        await readWindow({ sql: `SELECT id, qty FROM ${table}` }, deps(), { columns: ['amount'] }),
        'error',
      );
      assert.equal(r.message, 'the window query returns no column `amount`; it returns: id, qty');
    });

    it('placeholders in the SQL text are refused: values go in params', async () => {
      const r = expectOutcome(
        await readWindow({ sql: "SELECT amount FROM t WHERE at >= '{{ window.from }}'" }, deps(), {
          columns: ['amount'],
        }),
        'error',
      );
      assert.match(r.message, /put values in params and refer to them as \$1/);
    });

    it('a declared kind wins over the column type, and a value that does not fit is counted, not coerced', async () => {
      const r = expectOutcome(
        await readWindow(
          {
            sql: `SELECT qty, country FROM ${table} ORDER BY id LIMIT 100`,
            types: { qty: 'categorical', country: 'numeric' },
          },
          deps(),
          { columns: ['qty', 'country'] },
        ),
        'columns',
      );
      assert.deepEqual(r.columns.qty!.values.slice(0, 3), ['1', '2', '3']);
      assert.equal(r.columns.country!.invalid, 98);
      assert.equal(r.problems[0]?.examples[0]?.at, 'query row 1');
      assert.equal(r.problems[0]?.examples[0]?.detail, '"de"');
    });

    it('over the budget, summaries equal summarising the whole window in memory', async () => {
      const q = { sql: `SELECT amount, country FROM ${table} ORDER BY id` };
      const whole = expectOutcome(await readWindow(q, deps(), { columns: ['amount', 'country'] }), 'columns');
      const r = expectOutcome(
        await readWindow(q, deps(), {
          columns: ['amount', 'country'],
          budget: { maxRows: 150 },
          fetchRows: 100,
        }),
        'summaries',
      );
      assert.deepEqual(
        r.summaries.amount!.summary.toJSON(),
        new NumericSummary().addAll(whole.columns.amount!.values as Float64Array).toJSON(),
      );
      assert.deepEqual(
        r.summaries.country!.summary.toJSON(),
        new CategorySummary().addAll(whole.columns.country!.values as (string | null)[]).toJSON(),
      );
    });

    it('a connection given by secret reference is resolved, and never printed', async () => {
      const secrets = createSecretResolver({
        env: (name) => (name === 'WINDOW_DB' ? url : undefined),
        readFile: async () => '',
      });
      const r = expectOutcome(
        await readWindow(
          // biome-ignore lint/suspicious/noTemplateCurlyInString: a secret reference, as a policy writes it
          { sql: `SELECT qty FROM ${table} LIMIT 5`, connection: '${env:WINDOW_DB}' },
          { secrets },
          {
            columns: ['qty'],
          },
        ),
        'columns',
      );
      assert.equal(r.columns.qty!.values.length, 5);
      assert.ok(!JSON.stringify(r.meta).includes(url));
      const bad = expectOutcome(
        await readWindow(
          { sql: 'SELECT 1 AS x', connection: 'postgresql://reader:hunter2@127.0.0.1:1/none' },
          {},
          { columns: ['x'] },
        ),
        'error',
      );
      assert.match(bad.message, /^cannot connect to postgresql:\/\/reader:\*\*\*@127\.0\.0\.1:1\/none: /);
      assert.ok(!bad.message.includes('hunter2'));
    });
  });
}

sqlSuite('PGlite (the fallback without PostgreSQL)', startPgliteServer, false);

describe('SQL windows on a PostgreSQL server', {
  skip: postgresBinDir() ? false : 'PostgreSQL not installed',
}, () => {
  let server: PostgresServer;
  sqlSuite(
    'PostgreSQL from Debian',
    async () => {
      server = await startPostgresServer();
      return { url: server.url, close: () => server.stop() };
    },
    true,
  );
});
