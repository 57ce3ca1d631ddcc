// TypeScript twin of bench/stats_bench_data.py: the benchmark data described
// once, regenerated bit for bit on both sides from seeds.
import type { Table } from '../stats/columns.ts';
import { type CategorySpec, categories, type SampleSpec, sample } from '../test/unit/stats/parity-data.ts';

export const KS_A: SampleSpec = { seed: 9001, n: 1_000_000 };
export const KS_B: SampleSpec = { seed: 9002, n: 1_000_000, loc: 0.002 };
// The same population as KS_A: the no-drift case most production windows are in.
export const KS_NULL: SampleSpec = { seed: 9003, n: 1_000_000 };
export const WIDE_ROWS = 350_000;

export function wideTable(side: 'reference' | 'current'): Table {
  const base = side === 'reference' ? 10_000 : 20_000;
  const t: Table = {};
  for (let j = 0; j < 40; j++) {
    const drift = side === 'current' && j % 4 === 0;
    const spec: SampleSpec = {
      seed: base + j,
      n: WIDE_ROWS,
      dist: 'uniform',
      loc: 0.2 * j + (drift ? 0.05 : 0),
      scale: 1 + 0.1 * (j % 5),
    };
    if (j % 10 === 9) spec.quantum = 10;
    t[`num_${String(j).padStart(2, '0')}`] = { kind: 'numeric', values: sample(spec) };
  }
  for (let j = 0; j < 10; j++) {
    const drift = side === 'current' && j % 3 === 0;
    const spec: CategorySpec = { seed: base + 100 + j, n: WIDE_ROWS, k: 3 + j, skew: drift ? 1.25 : 1 };
    t[`cat_${String(j).padStart(2, '0')}`] = { kind: 'categorical', values: categories(spec) };
  }
  return t;
}

// The diagnosis benchmark: a reference and a current window of a binary
// classifier's inputs — 7 numeric and 3 categorical features, the score in
// [0, 1], the 0/1 label (30 % missing in the current window: not yet
// labelled) and a segment column. The current window drifted on num_00
// (normal, +0.5 σ) and cat_01 (category shares skewed) and lost 45 % of
// num_03 (NaN), so the diagnosis has something to find. The label follows
// the score (P(y = 1) = score) in both windows: no label shift, no concept
// drift. CTPILOT_BENCH_DIAGNOSIS_SCALE (default 1) scales both windows, for
// trying the task at a small size.
export const DIAGNOSIS_SCALE = Number(process.env.CTPILOT_BENCH_DIAGNOSIS_SCALE ?? '1');
export const DIAGNOSIS_ROWS = {
  reference: Math.floor(20_000 * DIAGNOSIS_SCALE),
  current: Math.floor(6_000 * DIAGNOSIS_SCALE),
} as const;
export const DIAGNOSIS_FEATURES = [
  ...Array.from({ length: 7 }, (_, j) => `num_${String(j).padStart(2, '0')}`),
  ...Array.from({ length: 3 }, (_, j) => `cat_${String(j).padStart(2, '0')}`),
];
export const DIAGNOSIS_ROLES = {
  features: DIAGNOSIS_FEATURES,
  score: 'score',
  label: 'label',
  segment: 'segment',
} as const;
/** The feature with 45 % of its current values missing. */
export const DIAGNOSIS_BROKEN = 'num_03';
export const DIAGNOSIS_DRIFTED = ['num_00', 'cat_01'] as const;

export function diagnosisTable(side: 'reference' | 'current'): Table {
  const base = side === 'reference' ? 30_000 : 40_000;
  const n = DIAGNOSIS_ROWS[side];
  const current = side === 'current';
  const t: Table = {};
  for (let j = 0; j < 7; j++) {
    const spec: SampleSpec =
      j % 2 === 0
        ? { seed: base + j, n, dist: 'normal', loc: j + (current && j === 0 ? 0.5 : 0), scale: 1 + 0.25 * j }
        : { seed: base + j, n, dist: 'uniform', loc: -j, scale: 2 * j };
    if (j === 6) spec.quantum = 4;
    const name = `num_${String(j).padStart(2, '0')}`;
    const values = sample(spec);
    if (current && name === DIAGNOSIS_BROKEN) {
      const u = sample({ seed: base + 200, n, dist: 'uniform' });
      for (let i = 0; i < n; i++) if (u[i]! < 0.45) values[i] = Number.NaN;
    }
    t[name] = { kind: 'numeric', values };
  }
  for (let j = 0; j < 3; j++) {
    const spec: CategorySpec = { seed: base + 100 + j, n, k: 3 + 2 * j, skew: current && j === 1 ? 1.5 : 1 };
    t[`cat_${String(j).padStart(2, '0')}`] = { kind: 'categorical', values: categories(spec) };
  }
  t.segment = { kind: 'categorical', values: categories({ seed: base + 150, n, k: 3 }) };
  const score = sample({ seed: base + 160, n, dist: 'uniform' });
  const draw = sample({ seed: base + 170, n, dist: 'uniform' });
  const unlabelled = current ? sample({ seed: base + 180, n, dist: 'uniform' }) : null;
  const label = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    label[i] = unlabelled && unlabelled[i]! < 0.3 ? Number.NaN : draw[i]! < score[i]! ? 1 : 0;
  }
  t.score = { kind: 'numeric', values: score };
  t.label = { kind: 'numeric', values: label };
  return t;
}
