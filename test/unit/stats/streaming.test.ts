// Streaming summaries merge exactly, chunk by chunk, whatever the chunking;
// quantiles stay within the sketch's relative error; typed columns are built
// from records with type checks; quality checks alert on broken windows.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { columnsFromRecords } from '../../../stats/columns.ts';
import { psiFromShares } from '../../../stats/psi.ts';
import { qualityChecks } from '../../../stats/quality.ts';
import { normals } from '../../../stats/random.ts';
import { CategorySummary, NumericSummary, QuantileSketch, sketchShares } from '../../../stats/sketch.ts';
import { sortFloat64 } from '../../../stats/sort.ts';

describe('streaming summaries', () => {
  it('merging chunk summaries equals summarising the whole (any chunking)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: -1e6, max: 1e6, noNaN: true }), { minLength: 1, maxLength: 300 }),
        fc.array(fc.integer({ min: 1, max: 50 }), { minLength: 1, maxLength: 10 }),
        (xs, cuts) => {
          const whole = new NumericSummary().addAll(xs);
          const merged = new NumericSummary();
          let i = 0;
          for (let k = 0; i < xs.length; k++) {
            const size = cuts[k % cuts.length]!;
            merged.merge(new NumericSummary().addAll(xs.slice(i, i + size)));
            i += size;
          }
          assert.equal(merged.count, whole.count);
          assert.equal(merged.min, whole.min);
          assert.equal(merged.max, whole.max);
          assert.ok(Math.abs(merged.mean - whole.mean) <= 1e-9 * (1 + Math.abs(whole.mean)));
          assert.ok(Math.abs(merged.variance - whole.variance) <= 1e-7 * (1 + whole.variance));
          assert.deepEqual(merged.sketch.toJSON(), whole.sketch.toJSON());
        },
      ),
    );
  });
  it('quantiles are within the relative accuracy of the exact lower quantile', () => {
    const x = normals(77, 100_000, 50, 10);
    const s = new NumericSummary(0.01).addAll(x);
    const sorted = sortFloat64(x);
    for (const q of [0.001, 0.1, 0.5, 0.9, 0.999]) {
      const exact = sorted[Math.floor(q * (x.length - 1))]!;
      assert.ok(Math.abs(s.sketch.quantile(q) - exact) <= 0.01 * Math.abs(exact) + 1e-12, `q=${q}`);
    }
  });
  it('round-trips through JSON and handles negatives and zeros', () => {
    const s = new QuantileSketch(0.02);
    for (const v of [-5, -1, 0, 0, 1, 5, 100]) s.add(v);
    const r = QuantileSketch.fromJSON(JSON.parse(JSON.stringify(s.toJSON())));
    assert.deepEqual(r.toJSON(), s.toJSON());
    assert.equal(r.quantile(0), s.quantile(0));
    assert.ok(r.quantile(0) < -4.8 && r.quantile(0.5) === 0);
    const n = NumericSummary.fromJSON(
      JSON.parse(JSON.stringify(new NumericSummary().addAll([1, 2, 3]).toJSON())),
    );
    assert.equal(n.mean, 2);
  });
  it('sketch shares feed PSI without the raw windows', () => {
    const ref = new NumericSummary().addAll(normals(1, 50_000));
    const same = new NumericSummary().addAll(normals(2, 50_000));
    const shifted = new NumericSummary().addAll(normals(3, 50_000, 0.5));
    const a = sketchShares(ref, same);
    const b = sketchShares(ref, shifted);
    assert.ok(psiFromShares(a.reference, a.current) < 0.01);
    assert.ok(psiFromShares(b.reference, b.current) > 0.1);
  });
  it('category summaries merge', () => {
    const a = new CategorySummary().addAll(['x', 'y', null]);
    const b = new CategorySummary().addAll(['x', 'z']);
    assert.deepEqual(a.merge(b).toJSON(), { kind: 'categorical', counts: { x: 2, y: 1, z: 1 }, missing: 1 });
  });
});

describe('typed columns from records', () => {
  it('checks types against a schema and counts violations', () => {
    const r = columnsFromRecords([{ a: 1, b: 'u' }, { a: '2.5', b: 3 }, { a: {}, b: true }, { b: null }], {
      a: 'numeric',
      b: 'categorical',
    });
    assert.deepEqual(Array.from(r.table.a!.values as Float64Array), [1, 2.5, Number.NaN, Number.NaN]);
    assert.deepEqual(r.table.b!.values, ['u', '3', 'true', null]);
    assert.deepEqual(r.violationCount, { a: 1 });
    assert.deepEqual(r.violations[0], { column: 'a', row: 2, expected: 'numeric', got: 'object' });
  });
});

describe('data quality checks', () => {
  const num = (...v: number[]) => ({ kind: 'numeric' as const, values: Float64Array.from(v) });
  const cat = (...v: (string | null)[]) => ({ kind: 'categorical' as const, values: v });
  const alerts = (f: ReturnType<typeof qualityChecks>) =>
    f.filter((x) => x.alert).map((x) => `${x.column}:${x.check}`);
  it('a clean window raises nothing', () => {
    assert.deepEqual(
      alerts(
        qualityChecks({ x: num(1, 2, 3, 4), c: cat('a', 'b') }, { x: num(2, 3, 1, 4), c: cat('b', 'a') }),
      ),
      [],
    );
  });
  it('missing rate, out of range, new categories, constants, schema', () => {
    const f = qualityChecks(
      { x: num(1, 2, 3, 4), c: cat('a', 'b'), k: num(1, 2), gone: num(1) },
      { x: num(2, Number.NaN, 30, 4), c: cat('a', 'zzz'), k: num(7, 7, 7), extra: cat('q') },
    );
    assert.deepEqual(alerts(f).sort(), [
      'c:new-category',
      'extra:schema',
      'gone:schema',
      'k:constant',
      'k:out-of-range',
      'x:missing-rate',
      'x:out-of-range',
    ]);
  });
  it('a kind mismatch is a schema alert', () => {
    assert.deepEqual(alerts(qualityChecks({ x: num(1) }, { x: cat('1') })), ['x:schema']);
  });
});
