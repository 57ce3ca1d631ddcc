// Evidently's default drift verdicts (legacy DataDriftPreset: test chosen per
// column, score, drift flag, dataset drift) reproduced by driftReport on the
// same data: scikit-learn's bundled datasets split in two, and seeded
// synthetic tables on both sides of the 1,000-row reference switch.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import type { Column, Table } from '../../../stats/columns.ts';
import { driftReport } from '../../../stats/drift.ts';
import { type CategorySpec, categories, relDiff, type SampleSpec, sample } from './parity-data.ts';

interface Verdict {
  kind: 'numeric' | 'categorical';
  test: string;
  threshold: number;
  score: number;
  drifted: boolean;
}
interface SyntheticColumn {
  kind: 'numeric' | 'categorical';
  spec: SampleSpec & CategorySpec;
  missing_every?: number;
}
interface Case {
  name: string;
  data?: Record<string, { reference: (number | string)[]; current: (number | string)[] }>;
  synthetic?: { reference: Record<string, SyntheticColumn>; current: Record<string, SyntheticColumn> };
  evidently: {
    columns: Record<string, Verdict>;
    number_of_drifted_columns: number;
    share_of_drifted_columns: number;
    dataset_drift: boolean;
  };
}
const fx: { cases: Case[] } = JSON.parse(
  readFileSync(new URL('../../fixtures/stats/evidently.json', import.meta.url), 'utf8'),
);

function column(kind: 'numeric' | 'categorical', values: (number | string)[]): Column {
  return kind === 'numeric'
    ? { kind, values: Float64Array.from(values as number[]) }
    : { kind, values: values.map((v) => String(v)) };
}

function synthetic(cols: Record<string, SyntheticColumn>): Table {
  const t: Table = {};
  for (const [name, c] of Object.entries(cols)) {
    if (c.kind === 'numeric') {
      const v = sample(c.spec);
      if (c.missing_every) for (let i = 0; i < v.length; i += c.missing_every) v[i] = Number.NaN;
      t[name] = { kind: 'numeric', values: v };
    } else {
      t[name] = { kind: 'categorical', values: categories(c.spec) };
    }
  }
  return t;
}

function tables(c: Case): [Table, Table] {
  if (c.synthetic) return [synthetic(c.synthetic.reference), synthetic(c.synthetic.current)];
  const ref: Table = {};
  const cur: Table = {};
  for (const [name, d] of Object.entries(c.data ?? {})) {
    const kind = c.evidently.columns[name]!.kind;
    ref[name] = column(kind, d.reference);
    cur[name] = column(kind, d.current);
  }
  return [ref, cur];
}

describe('driftReport gives Evidently DataDriftPreset verdicts', () => {
  for (const c of fx.cases) {
    it(c.name, () => {
      const [ref, cur] = tables(c);
      const report = driftReport(ref, cur);
      for (const col of report.columns) {
        const want = c.evidently.columns[col.column]!;
        assert.equal(col.status, 'judged', `${col.column} judged`);
        if (col.status !== 'judged') continue;
        assert.equal(col.test, want.test, `${col.column}: test`);
        assert.equal(col.threshold, want.threshold, `${col.column}: threshold`);
        assert.equal(col.drifted, want.drifted, `${col.column}: verdict (${col.value} vs ${want.score})`);
        // Evidently's z p-value is 2·(1 − Φ): equal to ours up to that cancellation.
        const tol = col.test === 'z' ? 1e-15 + 1e-9 * want.score : 1e-9 * Math.abs(want.score);
        assert.ok(
          Math.abs(col.value - want.score) <= tol,
          `${col.column}: ${col.value} vs ${want.score} (rel ${relDiff(col.value, want.score)})`,
        );
      }
      assert.equal(report.judged, Object.keys(c.evidently.columns).length);
      assert.equal(report.drifted, c.evidently.number_of_drifted_columns);
      assert.equal(report.share, c.evidently.share_of_drifted_columns);
      assert.equal(report.datasetDrift, c.evidently.dataset_drift);
    });
  }
});
