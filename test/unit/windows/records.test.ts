// The readers build the same columns columnsFromRecords builds in memory from
// the same records (stats/columns.ts is the reference), and a window over its
// budget summarises to exactly what summarising those columns gives.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { readWindow, type WindowResult, type WindowSummary } from '../../../activities/windows/index.ts';
import {
  CategorySummary,
  type ColumnKind,
  columnsFromRecords,
  NumericSummary,
  type Table,
} from '../../../stats/index.ts';
import { scratch, toCsv } from './helpers.ts';

const files = scratch();
let n = 0;

/** JSON writes -0 as 0: generate doubles without it. */
const double = (c: Parameters<typeof fc.double>[0] = {}) =>
  fc.double(c).map((x) => (Object.is(x, -0) ? 0 : x));

const value = fc.oneof(
  double({ noNaN: true, noDefaultInfinity: true }),
  fc.integer(),
  fc.integer().map(String),
  double({ noNaN: true, noDefaultInfinity: true }).map(String),
  fc.constantFrom('', ' ', 'NaN', 'Infinity', '1e3', '0x10', 'abc', 'fr', 'de'),
  fc.string({ maxLength: 8 }),
  fc.boolean(),
  fc.constant(null),
  fc.constant([1, 2]),
  fc.constant({ nested: true }),
);
const NAMES = ['a', 'b', 'c'] as const;
const record = fc.dictionary(fc.constantFrom(...NAMES), value, { minKeys: 1 });
const schema = fc.option(
  fc.dictionary(fc.constantFrom(...NAMES), fc.constantFrom<ColumnKind>('numeric', 'categorical')),
  {
    nil: undefined,
  },
);

function columnsOf(r: WindowResult) {
  assert.equal(r.outcome, 'columns', r.outcome === 'error' ? r.message : r.outcome);
  return (r as Extract<WindowResult, { outcome: 'columns' }>).columns;
}

function assertSameAsRecords(
  r: WindowResult,
  records: Record<string, unknown>[],
  names: string[],
  declared?: Record<string, ColumnKind>,
) {
  const got = columnsOf(r);
  // columnsFromRecords takes one kind per named column: declared ones, the rest inferred.
  const ref = columnsFromRecords(
    records,
    declared ? { ...inferred(records, names), ...declared } : undefined,
  );
  for (const name of names) {
    const want = ref.table[name]!;
    const have = got[name]!;
    assert.equal(have.kind, want.kind, `kind of ${name}`);
    if (want.kind === 'numeric')
      assert.deepEqual(Array.from(have.values as Float64Array), Array.from(want.values));
    else assert.deepEqual(have.values, want.values);
    assert.equal(have.invalid, ref.violationCount[name] ?? 0, `invalid of ${name}`);
    const holes =
      want.kind === 'numeric'
        ? Array.from(want.values).filter((x) => !Number.isFinite(x)).length
        : want.values.filter((x) => x === null).length;
    assert.equal(have.missing, holes - have.invalid, `missing of ${name}`);
  }
}

/** The kinds columnsFromRecords infers without a schema. */
function inferred(records: Record<string, unknown>[], names: string[]): Record<string, ColumnKind> {
  const t: Table = columnsFromRecords(records).table;
  return Object.fromEntries(names.map((name) => [name, t[name]?.kind ?? 'numeric']));
}

describe('windows build the columns columnsFromRecords builds', () => {
  it('JSON Lines: same kinds, values, invalid and missing counts, with or without declared types', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(record, { minLength: 1, maxLength: 40 }), schema, async (records, types) => {
        const names = [...new Set(records.flatMap((r) => Object.keys(r)))];
        const uri = files.write(`p${n++}.jsonl`, records.map((r) => JSON.stringify(r)).join('\n'));
        const r = await readWindow({ uri, ...(types ? { types } : {}) }, {}, { columns: names });
        assertSameAsRecords(r, records, names, types);
      }),
      { numRuns: 150 },
    );
  });

  it('CSV: every field is text, quoted fields may hold commas, quotes and newlines', async () => {
    const cell = fc.oneof(
      fc.string({ maxLength: 6 }),
      double({ noNaN: true }).map(String),
      fc.constantFrom('', 'a,b', 'say "hi"', 'two\nlines', '12'),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(cell, cell), { minLength: 1, maxLength: 30 }),
        schema,
        async (rows, types) => {
          const uri = files.write(`p${n++}.csv`, toCsv(['a', 'b'], rows));
          const records = rows.map(([a, b]) => ({ a, b }));
          const declared = types
            ? Object.fromEntries(Object.entries(types).filter(([k]) => k !== 'c'))
            : undefined;
          const r = await readWindow(
            { uri, ...(declared ? { types: declared } : {}) },
            {},
            { columns: ['a', 'b'] },
          );
          assertSameAsRecords(r, records, ['a', 'b'], declared);
        },
      ),
      { numRuns: 150 },
    );
  });

  it('over the budget, the summaries equal summarising the whole columns in memory', async () => {
    const numbers = fc.array(fc.oneof(fc.double({ min: -1e6, max: 1e6, noNaN: true }), fc.constant(null)), {
      minLength: 1,
      maxLength: 300,
    });
    const cats = fc.array(fc.oneof(fc.constantFrom('fr', 'de', 'it'), fc.constant(null)), {
      minLength: 300,
      maxLength: 300,
    });
    await fc.assert(
      fc.asyncProperty(numbers, cats, fc.integer({ min: 0, max: 50 }), async (xs, cs, maxRows) => {
        const uri = files.write(
          `p${n++}.jsonl`,
          xs.map((x, i) => JSON.stringify({ x, c: cs[i] })).join('\n'),
        );
        const whole = columnsOf(await readWindow({ uri }, {}, { columns: ['x', 'c'] }));
        const r = await readWindow({ uri }, {}, { columns: ['x', 'c'], budget: { maxRows } });
        if (xs.length <= maxRows) {
          assert.equal(r.outcome, 'columns');
          return;
        }
        assert.equal(r.outcome, 'summaries');
        if (r.outcome !== 'summaries') return;
        assert.match(r.reason, new RegExp(`more than ${maxRows} rows`));
        // Fed in the same order, Welford's updates are bit-identical and the sketch's buckets too.
        for (const name of ['x', 'c']) {
          const held = whole[name]!;
          const got: WindowSummary = r.summaries[name]!;
          assert.equal(got.kind, held.kind);
          const expected =
            held.kind === 'numeric'
              ? new NumericSummary().addAll(held.values)
              : new CategorySummary().addAll(held.values);
          assert.deepEqual(got.summary.toJSON(), expected.toJSON());
          assert.equal(got.missing, held.missing);
        }
      }),
      { numRuns: 100 },
    );
  });

  it('the byte budget counts held cells and distinct strings', async () => {
    const uri = files.write(
      'bytes.jsonl',
      Array.from({ length: 1000 }, (_, i) => JSON.stringify({ x: i, s: `id-${i}` })).join('\n'),
    );
    const r = await readWindow({ uri }, {}, { columns: ['x', 's'], budget: { maxBytes: 10_000 } });
    assert.equal(r.outcome, 'summaries');
    if (r.outcome === 'summaries') {
      assert.match(r.reason, /outgrew 10000 bytes/);
      assert.equal(r.summaries.x!.summary.count, 1000);
      assert.equal((r.summaries.s!.summary as CategorySummary).counts.size, 1000);
    }
  });
});
