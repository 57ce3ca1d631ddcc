import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { compileKeyPattern, isPattern } from '../../../activities/windows/key-pattern.ts';

const t = (iso: string) => Date.parse(iso);

describe('object key patterns', () => {
  it('tells single keys from folders and patterns', () => {
    assert.equal(isPattern('fraud/ref.parquet'), false);
    assert.equal(isPattern('fraud/'), true);
    assert.equal(isPattern(''), true, 'a whole bucket');
    assert.equal(isPattern('events/*.jsonl'), true);
    assert.equal(isPattern('events/dt=%F/part.jsonl'), true);
    assert.equal(isPattern('100%-sure.csv'), false, 'a % that is no time field is literal');
  });

  it('`*` stays within a segment, `**` crosses segments, a folder means everything below', () => {
    const one = compileKeyPattern('events/*.jsonl');
    assert.equal(one.prefix, 'events/');
    assert.equal(one.matches('events/a.jsonl'), true);
    assert.equal(one.matches('events/x/a.jsonl'), false);
    const any = compileKeyPattern('events/**.jsonl');
    assert.equal(any.matches('events/x/y/a.jsonl'), true);
    const folder = compileKeyPattern('events/');
    assert.equal(folder.matches('events/x/y/a.csv'), true);
    assert.equal(folder.matches('other/a.csv'), false);
    assert.equal(compileKeyPattern('a.b/*.csv').matches('aXb/1.csv'), false, 'regex characters are literal');
  });

  it('time fields give the period a key covers, at the finest field', () => {
    const daily = compileKeyPattern('events/dt=%F/*.jsonl');
    assert.equal(daily.granularity, 'day');
    assert.deepEqual(daily.periodOf('events/dt=2025-03-01/part-0.jsonl'), {
      start: t('2025-03-01T00:00:00Z'),
      end: t('2025-03-02T00:00:00Z'),
    });
    const hourly = compileKeyPattern('scores/%Y/%m/%d/%H/**');
    assert.deepEqual(hourly.periodOf('scores/2024/12/31/23/a/b.parquet'), {
      start: t('2024-12-31T23:00:00Z'),
      end: t('2025-01-01T00:00:00Z'),
    });
    const monthly = compileKeyPattern('m/%Y-%m.csv');
    assert.deepEqual(monthly.periodOf('m/2024-02.csv'), {
      start: t('2024-02-01T00:00:00Z'),
      end: t('2024-03-01T00:00:00Z'),
    });
  });

  it('a key with an impossible date covers no period; the same field twice must agree', () => {
    const daily = compileKeyPattern('e/%Y/%m/%d/*.csv');
    assert.equal(daily.periodOf('e/2025/02/30/a.csv'), undefined);
    assert.equal(daily.periodOf('e/2025/13/01/a.csv'), undefined);
    const twice = compileKeyPattern('e/%Y/%Y%m%d.csv');
    assert.equal(twice.matches('e/2025/20250101.csv'), true);
    assert.equal(twice.matches('e/2025/20240101.csv'), false);
  });

  it('lists one prefix per period of the window rather than the whole history', () => {
    const daily = compileKeyPattern('events/dt=%F/*.jsonl');
    const week = { from: t('2025-03-01T12:00:00Z'), to: t('2025-03-08T12:00:00Z') };
    const prefixes = daily.prefixesFor(week);
    assert.equal(prefixes?.length, 8, 'the partial first and last days are included');
    assert.equal(prefixes?.[0], 'events/dt=2025-03-01/');
    assert.equal(prefixes?.[7], 'events/dt=2025-03-08/');
    // The head stops at the first `*`: fields after it cannot be enumerated.
    const late = compileKeyPattern('events/%Y/*/%d/x.csv');
    assert.deepEqual(late.prefixesFor(week), ['events/2025/']);
    assert.equal(compileKeyPattern('events/*/%Y.csv').prefixesFor(week), undefined);
    assert.equal(daily.prefixesFor({ from: Number.NEGATIVE_INFINITY, to: week.to }), undefined);
    // Hourly folders over ten years would be 87,600 listings: one listing of the prefix instead.
    const hourly = compileKeyPattern('s/%Y/%m/%d/%H/*');
    assert.equal(
      hourly.prefixesFor({ from: t('2015-01-01T00:00:00Z'), to: t('2025-01-01T00:00:00Z') }),
      undefined,
    );
  });

  it('unknown time fields are an error naming the valid ones', () => {
    assert.throws(() => compileKeyPattern('e/%Q/*.csv'), /unknown time field %Q .*%Y, %m, %d, %H, %F/);
  });
});
