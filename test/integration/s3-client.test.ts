import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { JsonLinesError, ObjectNotFoundError, ObjectStore } from '../../activities/s3/client.ts';
import { testConfig, uniqueName } from '../support/env.ts';

describe('object store against the real S3-compatible server', () => {
  const config = testConfig();
  const store = new ObjectStore({ ...config.s3 });
  const prefix = `${uniqueName('test')}/`;

  it('puts and gets bytes, text and JSON; reports existence', async () => {
    const bytes = new Uint8Array([0, 1, 2, 254, 255]);
    await store.put(`${prefix}blob.bin`, bytes);
    assert.deepEqual(await store.get(`${prefix}blob.bin`), bytes);
    await store.put(`${prefix}note.txt`, 'précision ≥ 0.92', 'text/plain; charset=utf-8');
    assert.equal(await store.getText(`${prefix}note.txt`), 'précision ≥ 0.92');
    await store.putJson(`${prefix}verdict.json`, { verdict: 'pass', n: 2000 });
    assert.deepEqual(await store.getJson(`${prefix}verdict.json`), { verdict: 'pass', n: 2000 });
    assert.equal(await store.exists(`${prefix}verdict.json`), true);
    assert.equal(await store.exists(`${prefix}absent.json`), false);
  });

  it('addresses other buckets with s3:// URIs', async () => {
    const uri = `s3://${config.s3.mlflowBucket}/${prefix}cross-bucket.txt`;
    await store.put(uri, 'elsewhere');
    assert.equal(await store.getText(uri), 'elsewhere');
    assert.equal(store.uri(`${prefix}x`), `s3://${config.s3.bucket}/${prefix}x`);
  });

  it('a missing object is ObjectNotFoundError naming its URI', async () => {
    await assert.rejects(store.get(`${prefix}absent.bin`), (error: unknown) => {
      assert.ok(error instanceof ObjectNotFoundError);
      assert.match(error.message, new RegExp(`s3://${config.s3.bucket}/${prefix}absent.bin`));
      return true;
    });
  });

  it('lists every object under a prefix across pages', async () => {
    const listPrefix = `${prefix}many/`;
    await Promise.all(
      Array.from({ length: 1005 }, (_, i) => store.put(`${listPrefix}${String(i).padStart(4, '0')}`, 'x')),
    );
    const keys: string[] = [];
    for await (const item of store.list(listPrefix)) keys.push(item.key);
    assert.equal(keys.length, 1005, 'more than one page of 1000');
    assert.equal(keys[0], `${listPrefix}0000`);
    assert.equal(new Set(keys).size, 1005);
  });

  it('round-trips JSON Lines, streaming a large log record by record', async () => {
    const records = Array.from({ length: 20_000 }, (_, i) => ({
      id: i,
      features: { amount: i * 1.5 },
      label: i % 7 === 0,
    }));
    await store.putJsonLines(`${prefix}requests.jsonl`, records);
    let count = 0;
    for await (const record of store.readJsonLines(`${prefix}requests.jsonl`)) {
      assert.deepEqual(record, records[count]);
      count++;
    }
    assert.equal(count, records.length);
  });

  it('a line that is not JSON stops the read with its line number; blank lines are skipped', async () => {
    await store.put(`${prefix}broken.jsonl`, '{"a":1}\n\n{"a":2}\n{"a":\n{"a":4}\n');
    const seen: unknown[] = [];
    await assert.rejects(
      (async () => {
        for await (const record of store.readJsonLines(`${prefix}broken.jsonl`)) seen.push(record);
      })(),
      (error: unknown) => {
        assert.ok(error instanceof JsonLinesError);
        assert.equal(error.line, 4);
        return true;
      },
    );
    assert.deepEqual(seen, [{ a: 1 }, { a: 2 }]);
  });

  it('a last line without a newline is read; an empty object has no records', async () => {
    await store.put(`${prefix}tail.jsonl`, '{"a":1}\n{"a":2}');
    const tail: unknown[] = [];
    for await (const record of store.readJsonLines(`${prefix}tail.jsonl`)) tail.push(record);
    assert.deepEqual(tail, [{ a: 1 }, { a: 2 }]);
    await store.putJsonLines(`${prefix}empty.jsonl`, []);
    const none: unknown[] = [];
    for await (const record of store.readJsonLines(`${prefix}empty.jsonl`)) none.push(record);
    assert.deepEqual(none, []);
  });

  it('deletes objects and creates buckets idempotently', async () => {
    await store.put(`${prefix}gone.txt`, 'bye');
    await store.delete(`${prefix}gone.txt`);
    assert.equal(await store.exists(`${prefix}gone.txt`), false);
    const bucket = uniqueName('bucket');
    await store.ensureBucket(bucket);
    await store.ensureBucket(bucket);
    await store.put(`s3://${bucket}/k`, 'v');
    assert.equal(await store.getText(`s3://${bucket}/k`), 'v');
  });
});
