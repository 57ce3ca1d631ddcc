// Every outcome a window read can have, on local files: bad rows are counted
// with their lines, bad sources are errors that name them, empty windows are
// `empty` with the reason — and nothing throws.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { readWindow, type WindowResult } from '../../../activities/windows/index.ts';
import { scratch } from './helpers.ts';

const numbers = (values: ArrayLike<unknown>) => Array.from(values as Float64Array);

const files = scratch();

function expectOutcome<O extends WindowResult['outcome']>(
  r: WindowResult,
  outcome: O,
): Extract<WindowResult, { outcome: O }> {
  const detail = r.outcome === 'error' ? r.message : r.outcome === 'empty' ? r.reason : r.outcome;
  assert.equal(r.outcome, outcome, detail);
  return r as Extract<WindowResult, { outcome: O }>;
}

describe('window outcomes', () => {
  it('JSON Lines: bad lines are left out and reported with their line numbers; blank and CRLF lines are fine', async () => {
    const uri = files.write('bad.jsonl', '{"x":1}\r\n\r\n{"x":2,}\n[1,2]\n"text"\n{"x":3}\n{"x":');
    const r = expectOutcome(await readWindow({ uri }, {}, { columns: ['x'] }), 'columns');
    assert.deepEqual(Array.from(r.columns.x!.values as Float64Array), [1, 3]);
    assert.equal(r.meta.rowsRejected, 4);
    const p = r.problems.find((x) => x.code === 'unparseable-row')!;
    assert.equal(p.count, 4);
    assert.deepEqual(
      p.examples.map((e) => e.at),
      [`${uri} line 3`, `${uri} line 4`, `${uri} line 5`, `${uri} line 7`],
    );
    assert.equal(p.examples[1]!.detail, 'expected a JSON object, got array');
    assert.match(p.message, /^4 rows could not be parsed and were left out \(first: .* line 3: /);
  });

  it('CSV: a record with the wrong number of fields is left out with its line; type problems name the data row', async () => {
    const uri = files.write('bad.csv', 'x,y\n1,a\n"two\nlines",b\n3\n4,c,extra\n5,d\n');
    const r = expectOutcome(
      await readWindow({ uri, types: { x: 'numeric' } }, {}, { columns: ['x', 'y'] }),
      'columns',
    );
    assert.deepEqual(numbers(r.columns.x!.values), [1, Number.NaN, 5]);
    const rejected = r.problems.find((p) => p.code === 'unparseable-row')!;
    assert.deepEqual(
      rejected.examples.map((e) => e.at),
      [`${uri} line 5`, `${uri} line 6`],
    );
    assert.equal(rejected.examples[0]!.detail, 'Invalid Record Length: expect 2, got 1');
    const mismatch = r.problems.find((p) => p.code === 'type-mismatch')!;
    assert.deepEqual(mismatch.examples, [{ at: `${uri} row 2`, detail: '"two\\nlines"' }]);
  });

  it('a file with no readable row at all is an error, not an empty window', async () => {
    const uri = files.write('binary.jsonl', 'PAR1\u0000\u0001garbage\nmore garbage\n');
    const r = expectOutcome(await readWindow({ uri }, {}, { columns: ['x'] }), 'error');
    assert.match(
      r.message,
      /^no row of file:\/\/.*binary\.jsonl could be read \(2 rejected; first: .* line 1: /,
    );
  });

  it('invalid UTF-8 is an error naming the object and where', async () => {
    const uri = files.write(
      'latin1.jsonl',
      Buffer.concat([Buffer.from('{"c":"ok"}\n{"c":"caf'), Buffer.from([0xe9]), Buffer.from('"}\n')]),
    );
    const r = expectOutcome(await readWindow({ uri }, {}, { columns: ['c'] }), 'error');
    assert.match(r.message, /latin1\.jsonl is not valid UTF-8 \(line 2\)/);
  });

  it('a missing file is an error; an empty file and an empty folder are empty windows', async () => {
    const missing = expectOutcome(
      await readWindow({ uri: `file://${files.dir}/nope.csv` }, {}, { columns: ['x'] }),
      'error',
    );
    assert.equal(missing.message, `no file at file://${files.dir}/nope.csv`);
    const empty = expectOutcome(
      await readWindow({ uri: files.write('empty.jsonl', '\n\n') }, {}, { columns: ['x'] }),
      'empty',
    );
    assert.match(empty.reason, /empty\.jsonl holds no rows$/);
    files.write('_SUCCESS', '');
    const folder = expectOutcome(
      await readWindow({ uri: `file://${files.dir}/nothing-here/` }, {}, { columns: ['x'] }),
      'empty',
    );
    assert.match(folder.reason, /^no objects under file:\/\/.*nothing-here\/$/);
  });

  it('a CSV with a header only is empty; a header without the column is an error listing the header', async () => {
    const uri = files.write('header.csv', 'a,b\n');
    expectOutcome(await readWindow({ uri }, {}, { columns: ['a'] }), 'empty');
    const r = expectOutcome(await readWindow({ uri }, {}, { columns: ['c'] }), 'error');
    assert.match(r.message, /header\.csv has no column `c`; columns found: a, b$/);
  });

  it('gzipped JSON Lines and CSV stream through gunzip; a corrupt gzip is an error', async () => {
    const jl = files.write('g.jsonl.gz', gzipSync('{"x":1}\n{"x":2}\n'));
    assert.deepEqual(
      numbers(
        expectOutcome(await readWindow({ uri: jl }, {}, { columns: ['x'] }), 'columns').columns.x!.values,
      ),
      [1, 2],
    );
    const csv = files.write('g.csv.gz', gzipSync('x,y\n1,a\n2,b\n'));
    const c = expectOutcome(await readWindow({ uri: csv }, {}, { columns: ['x', 'y'] }), 'columns');
    assert.deepEqual(c.columns.y!.values, ['a', 'b']);
    assert.equal(
      c.meta.bytesRead,
      gzipSync('x,y\n1,a\n2,b\n').byteLength,
      'compressed bytes are what was read',
    );
    const bad = files.write('bad.csv.gz', 'not gzip at all');
    assert.match(
      expectOutcome(await readWindow({ uri: bad }, {}, { columns: ['x'] }), 'error').message,
      /bad\.csv\.gz is not valid gzip/,
    );
  });

  it('.tsv is tab-separated; a name without a known extension needs format:', async () => {
    const tsv = files.write('t.tsv', 'x\ty\n1\ta,b\n');
    assert.deepEqual(
      expectOutcome(await readWindow({ uri: tsv }, {}, { columns: ['y'] }), 'columns').columns.y!.values,
      ['a,b'],
    );
    const odd = files.write('data.txt', 'x\n1\n');
    assert.match(
      expectOutcome(await readWindow({ uri: odd }, {}, { columns: ['x'] }), 'error').message,
      /cannot tell the format of .*data\.txt: add format: jsonl, csv or parquet/,
    );
    assert.deepEqual(
      numbers(
        expectOutcome(await readWindow({ uri: odd, format: 'csv' }, {}, { columns: ['x'] }), 'columns')
          .columns.x!.values,
      ),
      [1],
    );
  });

  it('bad descriptions are errors that say what is wrong', async () => {
    const none = expectOutcome(await readWindow({}, {}, { columns: ['x'] }), 'error');
    assert.equal(none.message, 'a data window needs exactly one of uri or sql');
    expectOutcome(
      await readWindow({ uri: 'file:///x.csv', sql: 'select 1' }, {}, { columns: ['x'] }),
      'error',
    );
    assert.match(
      expectOutcome(await readWindow({ uri: 'file:///x.csv' }, {}, { columns: [] }), 'error').message,
      /no columns requested/,
    );
    assert.match(
      expectOutcome(await readWindow({ uri: 'ftp://host/x.csv' }, {}, { columns: ['x'] }), 'error').message,
      /expected s3:\/\/bucket\/key/,
    );
    assert.match(
      expectOutcome(
        await readWindow(
          { uri: 'file:///x.csv', from: '2025-01-02T00:00:00Z', to: '2025-01-01T00:00:00Z' },
          {},
          { columns: ['x'] },
        ),
        'error',
      ).message,
      /is not before/,
    );
    assert.match(
      expectOutcome(await readWindow({ uri: 's3://b/k.csv' }, {}, { columns: ['x'] }), 'error').message,
      /no object store is configured/,
    );
    assert.match(
      expectOutcome(await readWindow({ sql: 'select 1 as x' }, {}, { columns: ['x'] }), 'error').message,
      /no database is configured/,
    );
  });

  it('a timestamp column filters rows; rows all outside make an empty window that says so', async () => {
    const uri = files.write(
      'times.jsonl',
      [
        '{"x":1,"ts":"2025-01-01T00:00:00Z"}',
        '{"x":2,"ts":1735776000}',
        '{"x":3,"ts":"soon"}',
        '{"x":4}',
        '{"x":5,"ts":"2025-01-03T00:00:00Z"}',
      ].join('\n'),
    );
    const day2 = { uri, timestampColumn: 'ts', from: '2025-01-02T00:00:00Z', to: '2025-01-03T00:00:00Z' };
    const r = expectOutcome(await readWindow(day2, {}, { columns: ['x'] }), 'columns');
    assert.deepEqual(
      numbers(r.columns.x!.values),
      [2],
      'epoch seconds 1735776000 is 2025-01-02; 2025-01-03 is the next window',
    );
    assert.equal(r.meta.rowsOutsideWindow, 2);
    const bad = r.problems.find((p) => p.code === 'bad-timestamp')!;
    assert.equal(bad.count, 2);
    assert.deepEqual(bad.examples, [
      { at: `${uri} line 3`, detail: '"soon"' },
      { at: `${uri} line 4`, detail: 'missing' },
    ]);
    assert.match(bad.message, /2 rows have no readable timestamp in `ts` and were left out of the window/);
    const later = expectOutcome(
      await readWindow(
        { ...day2, from: '2026-01-01T00:00:00Z', to: '2026-01-02T00:00:00Z' },
        {},
        { columns: ['x'] },
      ),
      'empty',
    );
    assert.match(
      later.reason,
      /^no rows of .*times\.jsonl have `ts` in \[2026-01-01T00:00:00Z, 2026-01-02T00:00:00Z\) \(3 rows outside\)$/,
    );
  });

  it('a folder with a dated key pattern reads only the objects of the window, in key order', async () => {
    const base = `${files.dir}/events`;
    const { mkdirSync, writeFileSync } = await import('node:fs');
    for (const day of ['2025-03-01', '2025-03-02', '2025-03-03', '2025-03-04']) {
      mkdirSync(`${base}/dt=${day}`, { recursive: true });
      writeFileSync(`${base}/dt=${day}/part-1.jsonl`, `{"day":"${day}","n":1}\n`);
      writeFileSync(`${base}/dt=${day}/part-0.jsonl`, `{"day":"${day}","n":0}\n`);
      writeFileSync(`${base}/dt=${day}/_SUCCESS`, '');
    }
    writeFileSync(`${base}/dt=2025-03-02/notes.txt`, 'not data');
    const r = expectOutcome(
      await readWindow(
        { uri: `file://${base}/dt=%F/*`, from: '2025-03-02T06:00:00Z', to: '2025-03-03T06:00:00Z' },
        {},
        { columns: ['day', 'n'] },
      ),
      'columns',
    );
    assert.deepEqual(r.columns.day!.values, ['2025-03-02', '2025-03-02', '2025-03-03', '2025-03-03']);
    assert.deepEqual(numbers(r.columns.n!.values), [0, 1, 0, 1]);
    assert.equal(r.meta.objectCount, 4);
    const skipped = r.problems.find((p) => p.code === 'skipped-object')!;
    assert.deepEqual(skipped.examples, [
      { at: `file://${base}/dt=2025-03-02/notes.txt`, detail: 'unknown extension; set format: to read it' },
    ]);
  });

  it('a column absent from some objects of a folder counts as missing there, with a problem naming them', async () => {
    files.write('mixed-a.csv', 'x,y\n1,a\n');
    files.write('mixed-b.csv', 'x\n2\n');
    const r = expectOutcome(
      await readWindow({ uri: `file://${files.dir}/mixed-*.csv` }, {}, { columns: ['x', 'y'] }),
      'columns',
    );
    assert.deepEqual(r.columns.y!.values, ['a', null]);
    const p = r.problems.find((x) => x.code === 'column-absent')!;
    assert.equal(p.column, 'y');
    assert.match(p.examples[0]!.at, /mixed-b\.csv$/);
  });

  it('a cancelled read is an error; progress is reported between batches', async () => {
    const uri = files.write('many.jsonl', Array.from({ length: 50_000 }, (_, i) => `{"x":${i}}`).join('\n'));
    const seen: number[] = [];
    const ok = await readWindow({ uri }, {}, { columns: ['x'], onProgress: (p) => seen.push(p.rows) });
    expectOutcome(ok, 'columns');
    assert.ok(seen.length > 1 && seen.at(-1) === 50_000);
    const controller = new AbortController();
    controller.abort();
    const r = expectOutcome(
      await readWindow({ uri }, {}, { columns: ['x'], signal: controller.signal }),
      'error',
    );
    assert.match(r.message, /cancelled/);
  });
});

describe('windows over HTTP', () => {
  const fixtures = fileURLToPath(new URL('../../fixtures/windows/', import.meta.url));
  let base = '';
  let requests: string[] = [];
  const server = createServer((req, res) => {
    requests.push(`${req.url} ${req.headers.range ?? ''}`);
    if (req.url === '/broken.jsonl') {
      // A connection that breaks mid-body.
      res.writeHead(200, { 'content-length': 100_000 });
      res.write('{"x":1}\n{"x":2}\n');
      setImmediate(() => res.destroy());
      return;
    }
    let body: Buffer;
    try {
      body = readFileSync(`${fixtures}${req.url!.slice(1)}`);
    } catch {
      res.writeHead(404).end();
      return;
    }
    const range = /^bytes=(\d+)-(\d+)$/.exec(req.headers.range ?? '');
    if (range) {
      const [s, e] = [Number(range[1]), Math.min(Number(range[2]), body.length - 1)];
      res.writeHead(206, { 'content-range': `bytes ${s}-${e}/${body.length}`, 'content-length': e - s + 1 });
      res.end(body.subarray(s, e + 1));
    } else res.writeHead(200, { 'content-length': body.length }).end(body);
  });
  before(async () => {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  });
  after(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('reads Parquet by range requests; a 404 is a missing object, a broken connection an error naming it', async () => {
    requests = [];
    const r = expectOutcome(
      await readWindow({ uri: `${base}typed-snappy.parquet` }, {}, { columns: ['amount'] }),
      'columns',
    );
    assert.equal(r.columns.amount!.values.length, 12);
    assert.ok(
      requests.every((q) => /bytes=\d+-\d+$/.test(q)),
      requests.join('; '),
    );
    const broken = expectOutcome(
      await readWindow({ uri: `${base}broken.jsonl` }, {}, { columns: ['x'] }),
      'error',
    );
    assert.match(broken.message, new RegExp(`^reading ${base}broken\\.jsonl failed after 16 bytes: `));
    const gone = expectOutcome(
      await readWindow({ uri: `${base}gone.parquet` }, {}, { columns: ['amount'] }),
      'error',
    );
    assert.equal(gone.message, `no object at ${base}gone.parquet (HTTP 404)`);
  });
});
