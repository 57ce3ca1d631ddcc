// TypeScript twin of bench/stats_bench_data.py: the benchmark data described
// once, regenerated bit for bit on both sides from seeds.
import type { Table } from '../stats/columns.ts';
import { type CategorySpec, categories, type SampleSpec, sample } from '../test/unit/stats/parity-data.ts';

export const KS_A: SampleSpec = { seed: 9001, n: 1_000_000 };
export const KS_B: SampleSpec = { seed: 9002, n: 1_000_000, loc: 0.002 };
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
