// Fisher's exact test and McNemar's at large N, to 1e-9: against 40-digit
// references for Fisher (SciPy's own fisher_exact drifts there) and SciPy's
// binom.cdf for McNemar (test/fixtures/stats/large.json, generate_parity.py's
// `large` section).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { fisherExact } from '../../../stats/fisher.ts';
import { mcnemar } from '../../../stats/mcnemar.ts';

const fixture = JSON.parse(
  readFileSync(new URL('../../fixtures/stats/large.json', import.meta.url), 'utf8'),
) as {
  fisher: { table: [[number, number], [number, number]]; pvalue: number; scipy: number }[];
  mcnemar: { b: number; c: number; pvalue: number }[];
};
const rel = (a: number, b: number) => Math.abs(a - b) / Math.abs(b);

describe('exact tests at large N', () => {
  for (const f of fixture.fisher) {
    const N = f.table.flat().reduce((s, v) => s + v, 0);
    it(`Fisher, N = ${N}: within 1e-9 of the 40-digit reference (SciPy is ${rel(f.scipy, f.pvalue).toExponential(1)} off)`, () => {
      const p = fisherExact(f.table).pValue;
      assert.ok(rel(p, f.pvalue) <= 1e-9, `${p} vs ${f.pvalue}: ${rel(p, f.pvalue)}`);
    });
  }
  for (const m of fixture.mcnemar) {
    it(`McNemar, b + c = ${m.b + m.c}: within 1e-9 of SciPy`, () => {
      const p = mcnemar(m.b, m.c).pValue;
      assert.ok(rel(p, m.pvalue) <= 1e-9, `${p} vs ${m.pvalue}: ${rel(p, m.pvalue)}`);
    });
  }
});
