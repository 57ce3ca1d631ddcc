// The joint (multivariate) MMD test of the covariate stage: features can
// each keep their marginal distribution while their joint one moves (a
// correlation that flips). Numeric features only, each standardised by the
// reference's mean and standard deviation so no unit dominates the RBF
// kernel; rows missing any of them are left out; at most `maxRows` rows per
// window (seeded subsample without replacement), since the kernel matrix is
// quadratic. The permutation test itself is stats/mmd.ts's.
//
// Seed scheme: one Rng(seed) in order for (1) the reference subsample, (2)
// the current subsample, (3) the permutations.

import type { Table } from '../columns.ts';
import { StatsInputError } from '../errors.ts';
import { type MmdResult, mmdFromSquaredDistances } from '../mmd.ts';
import { Rng } from '../random.ts';

export interface MultivariateMmdOptions {
  readonly seed?: number;
  /** Rows per window at most (default 500). */
  readonly maxRows?: number;
  readonly permutations?: number;
}

export interface MultivariateMmdResult extends MmdResult {
  readonly features: readonly string[];
  readonly rows: { readonly reference: number; readonly current: number };
}

function completeRows(t: Table, features: readonly string[]): number[] {
  const cols = features.map((f) => t[f]!.values as Float64Array);
  const n = cols[0]?.length ?? 0;
  const out: number[] = [];
  for (let i = 0; i < n; i++) if (cols.every((c) => Number.isFinite(c[i]!))) out.push(i);
  return out;
}

function subsample(rows: number[], k: number, rng: Rng): number[] {
  if (rows.length <= k) return rows;
  const a = rows.slice();
  for (let i = 0; i < k; i++) {
    const j = i + rng.nextBelow(a.length - i);
    [a[i], a[j]] = [a[j]!, a[i]!];
  }
  return a.slice(0, k);
}

/**
 * MMD permutation test on the numeric features jointly: does the current
 * window's joint distribution differ from the reference's?
 */
export function multivariateMmd(
  reference: Table,
  current: Table,
  features: readonly string[],
  options: MultivariateMmdOptions = {},
): MultivariateMmdResult {
  const used = features.filter((f) => reference[f]?.kind === 'numeric' && current[f]?.kind === 'numeric');
  if (used.length === 0) throw new StatsInputError('type-mismatch', 'no numeric feature in both windows.');
  const rng = new Rng(options.seed ?? 0);
  const k = options.maxRows ?? 500;
  const refRows = subsample(completeRows(reference, used), k, rng);
  const curRows = subsample(completeRows(current, used), k, rng);
  const m = refRows.length;
  const n = curRows.length;
  if (m < 2 || n < 2)
    throw new StatsInputError('too-small', 'MMD needs at least two complete rows per window.');
  const d = used.length;
  const N = m + n;
  const z = new Float64Array(N * d);
  used.forEach((f, j) => {
    const r = reference[f]!.values as Float64Array;
    const c = current[f]!.values as Float64Array;
    let mean = 0;
    for (const i of refRows) mean += r[i]!;
    mean /= m;
    let v = 0;
    for (const i of refRows) v += (r[i]! - mean) ** 2;
    const sd = Math.sqrt(v / m) || 1;
    refRows.forEach((i, a) => {
      z[a * d + j] = (r[i]! - mean) / sd;
    });
    curRows.forEach((i, b) => {
      z[(m + b) * d + j] = (c[i]! - mean) / sd;
    });
  });
  const D = new Float64Array(N * N);
  for (let a = 0; a < N; a++) {
    for (let b = a + 1; b < N; b++) {
      let s = 0;
      for (let j = 0; j < d; j++) s += (z[a * d + j]! - z[b * d + j]!) ** 2;
      D[a * N + b] = s;
      D[b * N + a] = s;
    }
  }
  const res = mmdFromSquaredDistances(D, m, n, options.permutations ?? 100, rng);
  return { ...res, features: used, rows: { reference: m, current: n } };
}
