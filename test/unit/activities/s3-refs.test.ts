import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseObjectRef } from '../../../activities/s3/client.ts';

describe('object references', () => {
  it('reads s3:// URIs and plain keys', () => {
    assert.deepEqual(parseObjectRef('s3://ml/fraud/ref.parquet', 'ctpilot'), {
      bucket: 'ml',
      key: 'fraud/ref.parquet',
    });
    assert.deepEqual(parseObjectRef('reports/x.html', 'ctpilot'), {
      bucket: 'ctpilot',
      key: 'reports/x.html',
    });
    assert.deepEqual(parseObjectRef('/leading/slash', 'ctpilot'), {
      bucket: 'ctpilot',
      key: 'leading/slash',
    });
    assert.throws(() => parseObjectRef('s3://bucket-only', 'ctpilot'), /expected s3:\/\/bucket\/key/);
  });
});
