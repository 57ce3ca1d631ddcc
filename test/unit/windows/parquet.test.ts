// Parquet files written by pyarrow (test/fixtures/windows/generate_fixtures.py),
// read back through hyparquet: every codec pyarrow offers, types mapped to
// kinds, declared kinds winning, row groups skipped by timestamp statistics.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { readWindow, type WindowResult } from '../../../activities/windows/index.ts';

const dir = fileURLToPath(new URL('../../fixtures/windows/', import.meta.url));
const expected = JSON.parse(readFileSync(`${dir}typed.expected.json`, 'utf8')) as {
  rows: number;
  columns: Record<string, (number | string | boolean | null)[]>;
};
const uri = (codec: string) => `file://${dir}typed-${codec}.parquet`;

function columns(r: WindowResult) {
  assert.equal(r.outcome, 'columns', r.outcome === 'error' ? r.message : r.outcome);
  return (r as Extract<WindowResult, { outcome: 'columns' }>).columns;
}

/** pyarrow's values as the drift tests see them: numbers with NaN for missing, strings with null. */
const numeric = (name: string) =>
  expected.columns[name]!.map((v) => (v === null || v === 'NaN' ? Number.NaN : Number(v)));
const categorical = (name: string) =>
  expected.columns[name]!.map((v) => (v === null || v === '' ? null : String(v)));

describe('Parquet windows (pyarrow-written fixtures)', () => {
  for (const codec of ['snappy', 'zstd', 'gzip', 'brotli', 'lz4', 'none']) {
    it(`${codec}: every column round-trips with its kind from the Parquet type`, async () => {
      const r = await readWindow(
        { uri: uri(codec) },
        {},
        { columns: ['amount', 'count', 'country', 'flag', 'score', 'price', 'day', 'code'] },
      );
      const c = columns(r);
      for (const name of ['amount', 'count', 'score', 'price', 'day', 'code']) {
        assert.equal(c[name]!.kind, 'numeric', name);
        assert.deepEqual(Array.from(c[name]!.values as Float64Array), numeric(name), name);
      }
      for (const name of ['country', 'flag']) {
        assert.equal(c[name]!.kind, 'categorical', name);
        assert.deepEqual(c[name]!.values, categorical(name), name);
      }
      assert.equal(c.amount!.missing, 2, 'a null and a NaN');
      assert.equal(c.country!.missing, 2, 'a null and an empty string (missing, as in columnsFromRecords)');
      assert.equal(r.meta.rowsRead, expected.rows);
      assert.deepEqual(r.meta.schema.amount, { kind: 'numeric', from: 'source' });
      assert.equal(r.meta.available.ts, 'TIMESTAMP');
      assert.equal(r.meta.available.price, 'DECIMAL');
      assert.deepEqual(r.problems, []);
    });
  }

  it('a declared kind wins over the Parquet type: integer codes as categories', async () => {
    const c = columns(
      await readWindow({ uri: uri('snappy'), types: { code: 'categorical' } }, {}, { columns: ['code'] }),
    );
    assert.equal(c.code!.kind, 'categorical');
    assert.deepEqual(c.code!.values, categorical('code'));
  });

  it('a declared numeric kind over strings counts each non-number as invalid, with examples', async () => {
    const r = await readWindow(
      { uri: uri('snappy'), types: { country: 'numeric' } },
      {},
      { columns: ['country'] },
    );
    const c = columns(r);
    assert.equal(c.country!.invalid, 10);
    const p = r.problems.find((x) => x.code === 'type-mismatch');
    assert.equal(p?.count, 10);
    assert.equal(p?.examples[0]?.at, `${uri('snappy')} row 1`);
    assert.equal(p?.examples[0]?.detail, '"fr"');
    assert.match(p?.message ?? '', /10 values of `country` are not numeric/);
  });

  it('a timestamp column selects rows in [from, to) and skips row groups outside it', async () => {
    // Rows are 6 h apart from 2025-01-01T00:00Z; row groups hold 5 rows each.
    const r = await readWindow(
      { uri: uri('snappy'), timestampColumn: 'ts', from: '2025-01-02T12:00:00Z', to: '2025-01-03T06:00:00Z' },
      {},
      { columns: ['amount'] },
    );
    const c = columns(r);
    assert.deepEqual(Array.from(c.amount!.values as Float64Array), numeric('amount').slice(6, 9));
    assert.equal(r.meta.rowsRead, 3);
    // The first row group (rows 0-4, up to 2025-01-02T00:00) was never read: only the second's outsiders count.
    assert.equal(r.meta.rowsOutsideWindow, 2);
    assert.deepEqual(r.meta.observed, { from: '2025-01-02T12:00:00.000Z', to: '2025-01-03T00:00:00.000Z' });
  });

  it('a column the file does not have is an error listing the columns it has', async () => {
    const r = await readWindow({ uri: uri('snappy') }, {}, { columns: ['amout'] });
    assert.equal(r.outcome, 'error');
    if (r.outcome === 'error') {
      assert.equal(
        r.message,
        `${uri('snappy')} has no column \`amout\`; columns found: amount, count, country, flag, score, price, day, code, ts`,
      );
    }
  });

  it('a file that is not Parquet is an error naming it', async () => {
    const r = await readWindow(
      { uri: `file://${dir}typed.expected.json`, format: 'parquet' },
      {},
      { columns: ['x'] },
    );
    assert.equal(r.outcome, 'error');
    if (r.outcome === 'error')
      assert.match(r.message, /^cannot read Parquet file:\/\/.*typed\.expected\.json: not a Parquet file\?/);
  });
});
