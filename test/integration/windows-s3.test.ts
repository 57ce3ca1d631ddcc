// Data windows in the real S3-compatible server: each format round-trips
// typed columns, Parquet is read by range requests (only the needed column
// chunks and row groups), folders and dated key patterns select the objects
// of the window, and every bad case is the documented outcome.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { parquetWriteBuffer } from 'hyparquet-writer';
import { ObjectNotFoundError, ObjectStore } from '../../activities/s3/client.ts';
import { readWindow, type WindowResult } from '../../activities/windows/index.ts';
import { CategorySummary, NumericSummary } from '../../stats/index.ts';
import { testConfig, uniqueName } from '../support/env.ts';

const config = testConfig();
const store = new ObjectStore({ ...config.s3 });
const bucket = config.s3.bucket;
const prefix = `${uniqueName('windows')}/`;
const s3 = (key: string) => `s3://${bucket}/${prefix}${key}`;
const deps = { store };

function expectOutcome<O extends WindowResult['outcome']>(
  r: WindowResult,
  outcome: O,
): Extract<WindowResult, { outcome: O }> {
  const detail = r.outcome === 'error' ? r.message : r.outcome === 'empty' ? r.reason : r.outcome;
  assert.equal(r.outcome, outcome, detail);
  return r as Extract<WindowResult, { outcome: O }>;
}
const numbers = (v: ArrayLike<unknown>) => Array.from(v as Float64Array);

after(() => store.destroy());

describe('the object store reads whole objects as streams and byte ranges', () => {
  it('head gives the size; openRead streams it whole or a range; a missing object is ObjectNotFoundError', async () => {
    const bytes = Uint8Array.from({ length: 10_000 }, (_, i) => i % 251);
    await store.put(`${prefix}bytes.bin`, bytes);
    const head = await store.head(`${prefix}bytes.bin`);
    assert.equal(head.size, 10_000);
    const collect = async (body: AsyncIterable<Uint8Array>) => {
      const parts: Uint8Array[] = [];
      for await (const p of body) parts.push(p);
      return new Uint8Array(Buffer.concat(parts));
    };
    const whole = await store.openRead(`${prefix}bytes.bin`);
    assert.deepEqual(await collect(whole.body), bytes);
    const part = await store.openRead(`${prefix}bytes.bin`, { start: 9_990, end: 10_000 });
    assert.equal(part.size, 10);
    assert.deepEqual(await collect(part.body), bytes.subarray(9_990));
    const none = await store.openRead(`${prefix}bytes.bin`, { start: 5, end: 5 });
    assert.equal((await collect(none.body)).byteLength, 0);
    await assert.rejects(store.head(`${prefix}absent.bin`), ObjectNotFoundError);
    await assert.rejects(store.openRead(`${prefix}absent.bin`), ObjectNotFoundError);
    await assert.rejects(store.openRead(`${prefix}bytes.bin`, { start: 5, end: 4 }), RangeError);
  });
});

describe('data windows in S3', () => {
  const records = Array.from({ length: 500 }, (_, i) => ({
    amount: i % 41 === 0 ? null : i * 1.25,
    country: ['fr', 'de', 'it', 'es'][i % 4],
    vip: i % 3 === 0,
    ts: new Date(Date.UTC(2025, 0, 1) + i * 60_000).toISOString(),
  }));
  const amounts = records.map((r) => (r.amount === null ? Number.NaN : r.amount));

  before(async () => {
    await store.putJsonLines(`${prefix}w.jsonl`, records);
    const csv = [
      'amount,country,vip,ts',
      ...records.map((r) => `${r.amount ?? ''},"${r.country}",${r.vip},${r.ts}`),
    ].join('\n');
    await store.put(`${prefix}w.csv`, csv);
    await store.put(`${prefix}w.csv.gz`, gzipSync(csv));
  });

  for (const key of ['w.jsonl', 'w.csv', 'w.csv.gz']) {
    it(`${key}: typed columns round-trip`, async () => {
      const r = expectOutcome(
        await readWindow({ uri: s3(key) }, deps, { columns: ['amount', 'country', 'vip'] }),
        'columns',
      );
      assert.equal(r.columns.amount!.kind, 'numeric');
      assert.deepEqual(numbers(r.columns.amount!.values), amounts);
      assert.equal(r.columns.amount!.missing, 13);
      assert.deepEqual(
        r.columns.country!.values,
        records.map((x) => x.country),
      );
      assert.deepEqual(
        r.columns.vip!.values,
        records.map((x) => String(x.vip)),
      );
      assert.equal(r.meta.rowsRead, 500);
      assert.equal(r.meta.objects[0]!.uri, s3(key));
    });
  }

  it('Parquet written by pyarrow round-trips from S3', async () => {
    const dir = fileURLToPath(new URL('../fixtures/windows/', import.meta.url));
    await store.put(`${prefix}typed.parquet`, readFileSync(`${dir}typed-zstd.parquet`));
    const expected = JSON.parse(readFileSync(`${dir}typed.expected.json`, 'utf8'));
    const r = expectOutcome(
      await readWindow({ uri: s3('typed.parquet') }, deps, { columns: ['amount', 'country'] }),
      'columns',
    );
    assert.deepEqual(
      numbers(r.columns.amount!.values),
      expected.columns.amount.map((v: number | string | null) =>
        v === null || v === 'NaN' ? Number.NaN : v,
      ),
    );
    assert.deepEqual(
      r.columns.country!.values,
      expected.columns.country.map((v: string | null) => (v === '' ? null : v)),
    );
  });

  describe('Parquet by range requests', () => {
    const n = 200_000;
    const t0 = Date.UTC(2025, 0, 1);
    before(async () => {
      const buffer = parquetWriteBuffer({
        columnData: [
          {
            name: 'ts',
            data: Array.from({ length: n }, (_, i) => new Date(t0 + i * 1000)),
            type: 'TIMESTAMP',
          },
          {
            name: 'amount',
            data: Float64Array.from({ length: n }, (_, i) => Math.sin(i) * 100),
            type: 'DOUBLE',
          },
          {
            name: 'note',
            data: Array.from({ length: n }, (_, i) => `free text ${i} ${'x'.repeat(i % 50)}`),
            type: 'STRING',
          },
        ],
        rowGroupSize: 50_000,
      });
      await store.put(`${prefix}big.parquet`, new Uint8Array(buffer));
    });

    it('fetches only the column chunks of the needed columns', async () => {
      const size = (await store.head(`${prefix}big.parquet`)).size;
      const one = expectOutcome(
        await readWindow({ uri: s3('big.parquet') }, deps, { columns: ['amount'] }),
        'columns',
      );
      const two = expectOutcome(
        await readWindow({ uri: s3('big.parquet') }, deps, { columns: ['amount', 'note'] }),
        'columns',
      );
      assert.equal(one.columns.amount!.values.length, n);
      assert.equal((one.columns.amount!.values as Float64Array)[12_345], Math.sin(12_345) * 100);
      assert.ok(one.meta.bytesRead < two.meta.bytesRead, `${one.meta.bytesRead} < ${two.meta.bytesRead}`);
      assert.ok(one.meta.bytesRead < size, `${one.meta.bytesRead} < ${size}`);
    });

    it('skips the row groups a timestamp window excludes, by their statistics', async () => {
      const all = expectOutcome(
        await readWindow({ uri: s3('big.parquet') }, deps, { columns: ['amount'] }),
        'columns',
      );
      const hour = expectOutcome(
        await readWindow(
          {
            uri: s3('big.parquet'),
            timestampColumn: 'ts',
            from: '2025-01-01T15:00:00Z',
            to: '2025-01-01T16:00:00Z',
          },
          deps,
          { columns: ['amount'] },
        ),
        'columns',
      );
      assert.equal(hour.meta.rowsRead, 3600);
      assert.equal(
        hour.meta.rowsOutsideWindow,
        50_000 - 3600,
        'only the one row group holding the hour was decoded',
      );
      assert.ok(hour.meta.bytesRead < all.meta.bytesRead);
      assert.deepEqual(numbers(hour.columns.amount!.values).slice(0, 2), [
        Math.sin(54_000) * 100,
        Math.sin(54_001) * 100,
      ]);
    });
  });

  describe('folders and dated key patterns', () => {
    before(async () => {
      for (const day of ['2025-03-01', '2025-03-02', '2025-03-03']) {
        for (const part of [0, 1]) {
          await store.putJsonLines(`${prefix}events/dt=${day}/part-${part}.jsonl`, [{ day, part }]);
        }
        await store.put(`${prefix}events/dt=${day}/_SUCCESS`, '');
      }
      await store.put(`${prefix}events/dt=2025-03-02/extra.parquet.crc`, 'checksum');
    });

    it('a folder reads every data object below it, in key order', async () => {
      const r = expectOutcome(
        await readWindow({ uri: s3('events/') }, deps, { columns: ['day', 'part'] }),
        'columns',
      );
      assert.equal(r.meta.objectCount, 6);
      assert.deepEqual(r.columns.day!.values, [
        '2025-03-01',
        '2025-03-01',
        '2025-03-02',
        '2025-03-02',
        '2025-03-03',
        '2025-03-03',
      ]);
      assert.equal(
        r.problems.find((p) => p.code === 'skipped-object')?.examples[0]?.at,
        s3('events/dt=2025-03-02/extra.parquet.crc'),
      );
    });

    it('a dated pattern reads only the objects whose period overlaps the window', async () => {
      const r = expectOutcome(
        await readWindow(
          { uri: s3('events/dt=%F/*.jsonl'), from: '2025-03-02T00:00:00Z', to: '2025-03-03T00:00:00Z' },
          deps,
          { columns: ['day'] },
        ),
        'columns',
      );
      assert.deepEqual(
        r.meta.objects.map((o) => o.uri),
        [s3('events/dt=2025-03-02/part-0.jsonl'), s3('events/dt=2025-03-02/part-1.jsonl')],
      );
    });

    it('a pattern with no object in the window is an empty window that says why', async () => {
      const r = expectOutcome(
        await readWindow(
          { uri: s3('events/dt=%F/*.jsonl'), from: '2025-04-01T00:00:00Z', to: '2025-04-02T00:00:00Z' },
          deps,
          { columns: ['day'] },
        ),
        'empty',
      );
      assert.equal(
        r.reason,
        `no objects under ${s3('events/dt=')} matching ${prefix}events/dt=%F/*.jsonl in the window [2025-04-01T00:00:00.000Z, 2025-04-02T00:00:00.000Z)`,
      );
    });
  });

  it('a missing object is an error naming it; an empty prefix is an empty window; a missing bucket is an error', async () => {
    const missing = expectOutcome(
      await readWindow({ uri: s3('absent.jsonl') }, deps, { columns: ['x'] }),
      'error',
    );
    assert.equal(missing.message, `no object at ${s3('absent.jsonl')}`);
    const empty = expectOutcome(await readWindow({ uri: s3('nothing/') }, deps, { columns: ['x'] }), 'empty');
    assert.equal(empty.reason, `no objects under ${s3('nothing/')}`);
    const bucketless = expectOutcome(
      await readWindow({ uri: `s3://${uniqueName('no-such-bucket')}/data/` }, deps, { columns: ['x'] }),
      'error',
    );
    assert.match(bucketless.message, /^cannot list s3:\/\/no-such-bucket-[0-9a-f]+\/data\/: /);
  });

  it('malformed rows and wrong types in an S3 object are counted with their lines', async () => {
    await store.put(`${prefix}messy.jsonl`, '{"amount": 1}\n{"amount": "12 EUR"}\n{oops}\n{"amount": 4}\n');
    const r = expectOutcome(
      await readWindow({ uri: s3('messy.jsonl') }, deps, { columns: ['amount'] }),
      'columns',
    );
    assert.deepEqual(numbers(r.columns.amount!.values), [1, Number.NaN, 4]);
    assert.deepEqual(
      r.problems.map((p) => [p.code, p.examples[0]?.at, p.examples[0]?.detail]),
      [
        ['type-mismatch', `${s3('messy.jsonl')} line 2`, '"12 EUR"'],
        ['unparseable-row', `${s3('messy.jsonl')} line 3`, r.problems[1]!.examples[0]!.detail],
      ],
    );
  });

  it('a window larger than the budget streams into summaries equal to summarising it whole', async () => {
    const rows = Array.from({ length: 30_000 }, (_, i) => ({ x: Math.cos(i) * 1000, c: `k${i % 17}` }));
    await store.putJsonLines(`${prefix}large.jsonl`, rows);
    const whole = expectOutcome(
      await readWindow({ uri: s3('large.jsonl') }, deps, { columns: ['x', 'c'] }),
      'columns',
    );
    const r = expectOutcome(
      await readWindow({ uri: s3('large.jsonl') }, deps, { columns: ['x', 'c'], budget: { maxRows: 1000 } }),
      'summaries',
    );
    assert.deepEqual(
      r.summaries.x!.summary.toJSON(),
      new NumericSummary().addAll(whole.columns.x!.values as Float64Array).toJSON(),
    );
    assert.deepEqual(
      r.summaries.c!.summary.toJSON(),
      new CategorySummary().addAll(whole.columns.c!.values as (string | null)[]).toJSON(),
    );
    assert.equal(r.meta.rowsRead, 30_000);
  });
});
