import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { StatsConfigError, StatsInputError } from '../../../stats/errors.ts';
import { type KsAlternative, ks2samp } from '../../../stats/ks.ts';
import { relDiff, type SampleSpec, sample } from './parity-data.ts';

interface KsFixture {
  cases: {
    name: string;
    a: SampleSpec;
    b: SampleSpec;
    results: Record<KsAlternative, { statistic: number; pvalue: number; method: 'exact' | 'asymp' }>;
  }[];
}
const fixture: KsFixture = JSON.parse(
  readFileSync(new URL('../../fixtures/stats/ks.json', import.meta.url), 'utf8'),
);

describe('ks2samp matches SciPy ks_2samp (method auto) to 1e-9', () => {
  for (const c of fixture.cases) {
    it(`${c.name} (${c.a.n} vs ${c.b.n})`, () => {
      const a = sample(c.a);
      const b = sample(c.b);
      for (const alt of ['two-sided', 'less', 'greater'] as const) {
        const want = c.results[alt];
        const got = ks2samp(a, b, { alternative: alt });
        assert.equal(got.method, want.method, `${alt}: method`);
        assert.ok(
          relDiff(got.statistic, want.statistic) <= 1e-12,
          `${alt}: D ${got.statistic} vs ${want.statistic}`,
        );
        assert.ok(
          relDiff(got.pValue, want.pvalue) <= 1e-9,
          `${alt}: p ${got.pValue} vs ${want.pvalue} (rel ${relDiff(got.pValue, want.pvalue)})`,
        );
      }
    });
  }
  it('covers the sizes and tails the issue asks for', () => {
    const sizes = fixture.cases.flatMap((c) => [c.a.n, c.b.n]);
    assert.ok(Math.min(...sizes) <= 5 && Math.max(...sizes) >= 1_000_000);
    const ps = fixture.cases
      .flatMap((c) => Object.values(c.results).map((r) => r.pvalue))
      .filter((p) => p > 0);
    assert.ok(Math.min(...ps) < 1e-280, `smallest p ${Math.min(...ps)}`);
    const methods = new Set(fixture.cases.flatMap((c) => Object.values(c.results).map((r) => r.method)));
    assert.deepEqual([...methods].sort(), ['asymp', 'exact']);
  });
});

describe('ks2samp properties', () => {
  const arr = fc.array(fc.double({ min: -1e6, max: 1e6, noNaN: true }), { minLength: 1, maxLength: 60 });
  it('statistic in [0,1], p in [0,1], symmetric two-sided', () => {
    fc.assert(
      fc.property(arr, arr, (a, b) => {
        const r = ks2samp(a, b);
        const s = ks2samp(b, a);
        assert.ok(r.statistic >= 0 && r.statistic <= 1);
        assert.ok(r.pValue >= 0 && r.pValue <= 1);
        assert.equal(r.statistic, s.statistic);
        assert.ok(relDiff(r.pValue, s.pValue) < 1e-12);
      }),
    );
  });
  it("'less' on (a, b) is 'greater' on (b, a)", () => {
    fc.assert(
      fc.property(arr, arr, (a, b) => {
        assert.equal(
          ks2samp(a, b, { alternative: 'less' }).statistic,
          ks2samp(b, a, { alternative: 'greater' }).statistic,
        );
      }),
    );
  });
  it('identical samples give D = 0 and p = 1', () => {
    fc.assert(
      fc.property(arr, (a) => {
        const r = ks2samp(a, a);
        assert.equal(r.statistic, 0);
        assert.equal(r.pValue, 1);
      }),
    );
  });
});

describe('ks2samp input errors', () => {
  it('an empty sample is an empty-window input error', () => {
    assert.throws(
      () => ks2samp([], [1]),
      (e: unknown) => e instanceof StatsInputError && e.reason === 'empty-window',
    );
  });
  it('an all-NaN sample is an all-nan input error; NaNs are otherwise omitted', () => {
    assert.throws(
      () => ks2samp([Number.NaN], [1]),
      (e: unknown) => e instanceof StatsInputError && e.reason === 'all-nan',
    );
    assert.deepEqual(ks2samp([1, Number.NaN, 2], [3, 4]).n1, 2);
  });
  it('a bad alternative lists the valid ones', () => {
    assert.throws(
      () => ks2samp([1], [2], { alternative: 'twosided' as KsAlternative }),
      (e: unknown) => e instanceof StatsConfigError && /Available: two-sided, less, greater/.test(e.message),
    );
  });
});
