import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Table } from '../../../stats/columns.ts';
import { adjustPValues } from '../../../stats/correction.ts';
import { columnDrift, driftReport } from '../../../stats/drift.ts';
import { StatsConfigError } from '../../../stats/errors.ts';
import { DRIFT_TESTS, getDriftTest } from '../../../stats/registry.ts';

const num = (...v: number[]) => ({ kind: 'numeric' as const, values: Float64Array.from(v) });
const cat = (...v: (string | null)[]) => ({ kind: 'categorical' as const, values: v });

describe('bad input is inconclusive with its reason, never a NaN verdict', () => {
  it('empty window', () => {
    const r = columnDrift('x', num(1, 2, 3), num());
    assert.equal(r.status, 'inconclusive');
    assert.equal(r.status === 'inconclusive' && r.reason, 'empty-window');
  });
  it('all-NaN column', () => {
    const r = columnDrift('x', num(1, 2, 3), num(Number.NaN, Number.NaN));
    assert.equal(r.status === 'inconclusive' && r.reason, 'all-nan');
  });
  it('all-missing categorical column', () => {
    const r = columnDrift('c', cat('a', 'b'), cat(null, null));
    assert.equal(r.status === 'inconclusive' && r.reason, 'all-nan');
  });
  it('mismatched column kinds', () => {
    const r = columnDrift('x', num(1, 2, 3), cat('a', 'b'));
    assert.equal(r.status === 'inconclusive' && r.reason, 'type-mismatch');
    assert.match(r.status === 'inconclusive' ? r.message : '', /numeric in the reference but categorical/);
  });
  it('column missing from one window', () => {
    const r = driftReport({ x: num(1, 2) }, {});
    assert.equal(r.columns[0]!.status, 'inconclusive');
    assert.equal(r.judged, 0);
    assert.equal(r.datasetDrift, false);
  });
  it('window too small for the chosen test', () => {
    const r = columnDrift('x', num(1), num(2), { test: 'anderson' });
    assert.equal(r.status === 'inconclusive' && r.reason, 'too-small');
  });
  it('a constant column for Anderson–Darling', () => {
    const r = columnDrift('x', num(1, 1, 1), num(1, 1), { test: 'anderson' });
    assert.equal(r.status === 'inconclusive' && r.reason, 'constant');
  });
  it('every registered test returns a finite value or inconclusive on degenerate data', () => {
    for (const t of DRIFT_TESTS) {
      const col = t.accepts.includes('numeric') ? num(5, 5, 5, 5) : cat('a', 'a', 'a');
      const r = columnDrift('x', col, col, { test: t.name });
      if (r.status === 'judged') assert.ok(Number.isFinite(r.value), `${t.name}: ${r.value}`);
    }
  });
});

describe('configuration errors list what exists', () => {
  it('unknown test', () => {
    assert.throws(
      () => getDriftTest('kss'),
      (e: unknown) =>
        e instanceof StatsConfigError && /No test named 'kss'. Available: ks, chisquare/.test(e.message),
    );
  });
  it('a test that does not accept the column kind', () => {
    assert.throws(() => columnDrift('c', cat('a'), cat('b'), { test: 'ks' }), /accepts: numeric/);
  });
  it('bad drift share and correction', () => {
    assert.throws(() => driftReport({}, {}, { driftShare: 0 }), StatsConfigError);
    assert.throws(
      () => adjustPValues([0.1], 'holm' as unknown as 'none'),
      /Available: none, bonferroni, benjamini-hochberg/,
    );
  });
});

describe('directions and corrections', () => {
  it('p-value tests drift at p ≤ threshold, distances at value ≥ threshold', () => {
    for (const t of DRIFT_TESTS) assert.ok(t.direction === 'p-value' || t.direction === 'distance');
    const ref: Table = { x: num(...Array.from({ length: 50 }, (_, i) => i)) };
    const cur: Table = { x: num(...Array.from({ length: 50 }, (_, i) => i + 25)) };
    const p = driftReport(ref, cur, { columns: { x: { test: 'ks', threshold: 0.05 } } }).columns[0]!;
    const d = driftReport(ref, cur, { columns: { x: { test: 'wasserstein', threshold: 0.1 } } }).columns[0]!;
    assert.ok(p.status === 'judged' && p.drifted && p.value <= 0.05);
    assert.ok(d.status === 'judged' && d.drifted && d.value >= 0.1);
  });
  it('Bonferroni can turn a marginal drift into no drift', () => {
    const base = Array.from({ length: 40 }, (_, i) => i);
    const ref: Table = {};
    const cur: Table = {};
    for (let k = 0; k < 10; k++) {
      ref[`c${k}`] = num(...base);
      cur[`c${k}`] = num(...base.map((v) => v + (k === 0 ? 12 : 0)));
    }
    const plain = driftReport(ref, cur);
    const corrected = driftReport(ref, cur, { correction: 'bonferroni' });
    const c0 = plain.columns[0]!;
    const c0c = corrected.columns[0]!;
    assert.ok(c0.status === 'judged' && c0c.status === 'judged');
    assert.equal(c0c.adjustedValue, Math.min(1, c0.value * 10));
    assert.equal(c0c.drifted, c0.value * 10 <= 0.05);
  });
  it('Benjamini–Hochberg matches the step-up definition', () => {
    assert.deepEqual(
      adjustPValues([0.01, 0.04, 0.03, 0.005], 'benjamini-hochberg'),
      [0.02, 0.04, 0.04, 0.02],
    );
  });
});
