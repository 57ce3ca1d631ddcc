import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { binQuantiles } from '../../../stats/binning.ts';
import { psi } from '../../../stats/psi.ts';
import { normals, uniforms } from '../../../stats/random.ts';
import { sortFloat64 } from '../../../stats/sort.ts';

const key = (v: number) => (Number.isNaN(v) ? 'NaN' : Object.is(v, -0) ? '0' : String(v));

describe('radix sort', () => {
  it('orders like a comparison sort, NaNs last, on arrays across the small/large switch (property)', () => {
    const special = fc.constantFrom(
      0,
      -0,
      Number.NaN,
      Number.POSITIVE_INFINITY,
      Number.NEGATIVE_INFINITY,
      Number.MIN_VALUE,
      -Number.MAX_VALUE,
    );
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.double(), special), { minLength: 0, maxLength: 2000 }), (xs) => {
        const got = Array.from(sortFloat64(xs), key);
        const want = Array.from(Float64Array.from(xs).sort(), key);
        assert.deepEqual(got, want);
      }),
      { numRuns: 60 },
    );
  });
  it('orders values packed in a narrow range (long runs of equal high words), ties and a mix', () => {
    // Unix times to the millisecond share a high word for 1,024 s: runs of thousands, sorted by the low word.
    const times = Float64Array.from(uniforms(21, 200_000), (u) => 1.7e9 + u * 3000);
    const ties = Float64Array.from(uniforms(22, 100_000), (u) => Math.floor(u * 20) / 4);
    const mixed = Float64Array.from([
      ...times.subarray(0, 5000),
      ...ties.subarray(0, 5000),
      ...normals(23, 5000),
    ]);
    for (const x of [times, ties, mixed]) {
      const a = sortFloat64(x);
      const b = Float64Array.from(x).sort();
      for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) assert.fail(`differs at ${i}`);
    }
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: 1, max: 1 + 1e-9, noNaN: true }), { minLength: 500, maxLength: 3000 }),
        (xs) => {
          assert.deepEqual(Array.from(sortFloat64(xs)), Array.from(Float64Array.from(xs).sort()));
        },
      ),
      { numRuns: 30 },
    );
  });

  it('sorts a million values like the built-in sort', () => {
    const x = normals(5, 1_000_000);
    const a = sortFloat64(x);
    const b = Float64Array.from(x).sort();
    for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) assert.fail(`differs at ${i}`);
  });
});

describe('PSI with reference-quantile bins', () => {
  it('deciles hold a tenth of the reference each, and PSI is ~0 for the same distribution', () => {
    const ref = uniforms(11, 10_000);
    const b = binQuantiles(ref, uniforms(12, 10_000), 10);
    for (const share of b.reference) assert.ok(Math.abs(share - 0.1) < 1e-3);
    assert.ok(psi(ref, uniforms(12, 10_000), { bins: 'quantiles' }) < 0.01);
  });
  it('a shifted window gives the textbook PSI', () => {
    // Reference uniform on [0,1); current uniform on [0.5, 1.5): half the mass leaves
    // deciles 1–5 for the open top bin: PSI = Σ over 10 bins of (r−c)·ln(r/c).
    const ref = uniforms(13, 200_000);
    const cur = uniforms(14, 200_000).map((v) => v + 0.5);
    const got = psi(ref, cur, { bins: 'quantiles' });
    // Bins 1–5: r = 0.1, c ≈ 0 → epsilon 1e-4; bins 6–9: r = c = 0.1; bin 10: r = 0.1, c ≈ 0.6.
    const want = 5 * (0.1 - 1e-4) * Math.log(0.1 / 1e-4) + (0.1 - 0.6) * Math.log(0.1 / 0.6);
    assert.ok(Math.abs(got - want) < 0.02, `${got} vs ${want}`);
  });
});
