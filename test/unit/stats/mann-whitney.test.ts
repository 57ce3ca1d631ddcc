// Mann–Whitney U against SciPy 1.17.1 (test/fixtures/stats/mannwhitney.json,
// written by generate_parity.py's `mannwhitney` section): exact and
// asymptotic, every alternative, with and without the continuity correction,
// on literal samples (ties, one value each, all tied) and seeded ones.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import {
  type MannWhitneyAlternative,
  type MannWhitneyMethod,
  mannWhitneyU,
} from '../../../stats/mann-whitney.ts';
import { type SampleSpec, sample } from './parity-data.ts';

interface Case {
  name: string;
  x?: number[];
  y?: number[];
  a?: SampleSpec;
  b?: SampleSpec;
  /** null: NaN (JSON has none). */
  results: Record<string, { statistic: number; pvalue: number | null }>;
}

const fixture = JSON.parse(
  readFileSync(new URL('../../fixtures/stats/mannwhitney.json', import.meta.url), 'utf8'),
) as { scipy: string; cases: Case[] };

const close = (actual: number, expected: number | null, what: string) => {
  if (expected === null) return assert.ok(Number.isNaN(actual), `${what}: ${actual} vs NaN`);
  assert.ok(
    Math.abs(actual - expected) <= 1e-9 * Math.max(1, Math.abs(expected)),
    `${what}: ${actual} vs ${expected}`,
  );
};

describe(`Mann–Whitney U matches SciPy ${fixture.scipy}`, () => {
  for (const c of fixture.cases) {
    it(`${c.name}: ${Object.keys(c.results).length} combinations of alternative, method and continuity`, () => {
      const x = c.x ?? Array.from(sample(c.a!));
      const y = c.y ?? Array.from(sample(c.b!));
      for (const [key, expected] of Object.entries(c.results)) {
        const [alternative, method, cc] = key.split('/') as [
          MannWhitneyAlternative,
          MannWhitneyMethod,
          string,
        ];
        const r = mannWhitneyU(x, y, { alternative, method, useContinuity: cc === 'cc' });
        close(r.statistic, expected.statistic, `${c.name} ${key} statistic`);
        close(r.pValue, expected.pvalue, `${c.name} ${key} p`);
      }
    });
  }

  it('auto is exact for small samples without ties, asymptotic otherwise', () => {
    assert.equal(mannWhitneyU([1, 2, 3], [4, 5, 6, 7]).method, 'exact');
    assert.equal(mannWhitneyU([1, 2, 2], [4, 5, 6, 7]).method, 'asymptotic');
    assert.equal(
      mannWhitneyU(
        Array.from({ length: 9 }, (_, i) => i),
        Array.from({ length: 9 }, (_, i) => i + 0.5),
      ).method,
      'asymptotic',
    );
  });

  it('omits NaN, and refuses an empty sample', () => {
    assert.deepEqual(
      mannWhitneyU([1, Number.NaN, 2, 3, 4], [5, 6, 7]),
      mannWhitneyU([1, 2, 3, 4], [5, 6, 7]),
    );
    assert.throws(() => mannWhitneyU([Number.NaN], [1, 2]), /at least one value in each sample/);
  });
});
