import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { inBounds, timeBounds, toEpochMs } from '../../../activities/windows/time.ts';

describe('row timestamps', () => {
  const jan1 = Date.UTC(2025, 0, 1);

  it('reads ISO 8601 with and without an offset (no offset: UTC), dates, and epoch numbers', () => {
    assert.equal(toEpochMs('2025-01-01T00:00:00Z'), jan1);
    assert.equal(toEpochMs('2025-01-01T01:00:00+01:00'), jan1);
    assert.equal(toEpochMs('2025-01-01 01:00:00+01'), jan1, "PostgreSQL's text output");
    assert.equal(toEpochMs('2025-01-01T05:30:00.000+0530'), jan1);
    assert.equal(toEpochMs('2025-01-01 00:00:00'), jan1, 'naive: UTC, not the machine time zone');
    assert.equal(toEpochMs('2025-01-01'), jan1);
    assert.equal(toEpochMs(jan1 / 1000), jan1, 'epoch seconds');
    assert.equal(toEpochMs(jan1), jan1, 'epoch milliseconds');
    assert.equal(toEpochMs(String(jan1 / 1000)), jan1, 'epoch seconds as text (CSV)');
    assert.equal(toEpochMs(BigInt(jan1)), jan1);
    assert.equal(toEpochMs(new Date(jan1)), jan1);
  });

  it('anything else is not a timestamp', () => {
    for (const v of ['yesterday', '01/02/2025', '', null, undefined, true, {}, Number.NaN, '2025-13-45']) {
      assert.equal(toEpochMs(v), undefined, String(v));
    }
  });

  it('windows are half-open [from, to) and must run forwards', () => {
    const b = timeBounds('2025-01-01T00:00:00Z', '2025-01-02T00:00:00Z');
    assert.equal(inBounds(jan1, b), true);
    assert.equal(inBounds(jan1 + 86_400_000, b), false);
    assert.deepEqual(timeBounds(undefined, '2025-01-01T00:00:00Z').from, Number.NEGATIVE_INFINITY);
    assert.throws(() => timeBounds('2025-01-02T00:00:00Z', '2025-01-01T00:00:00Z'), /not before/);
    assert.throws(() => timeBounds('last week', undefined), /not an ISO 8601 instant/);
  });
});
