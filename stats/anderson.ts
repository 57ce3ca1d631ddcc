// Anderson–Darling k-sample test (Scholz & Stephens 1987), midrank version
// for data with ties, as SciPy's `anderson_ksamp` (and Evidently's `anderson`
// stattest) computes it. The p-value is SciPy's: a quadratic fitted through
// log(significance) at the tabulated critical values, capped to [0.001, 0.25]
// outside the table — an interpolation, not an exact tail, so Evidently's
// 0.1 threshold sits inside the table where it is meaningful.

import { StatsInputError } from './errors.ts';
import { sortFloat64 } from './sort.ts';

export interface AndersonResult {
  /** Standardised statistic (A²_akN − (k−1)) / σ. */
  statistic: number;
  pValue: number;
  /** True when the p-value was capped at 0.25 or floored at 0.001. */
  capped: boolean;
}

const B0 = [0.675, 1.281, 1.645, 1.96, 2.326, 2.573, 3.085];
const B1 = [-0.245, 0.25, 0.678, 1.149, 1.822, 2.364, 3.615];
const B2 = [-0.105, -0.305, -0.362, -0.391, -0.396, -0.345, -0.154];
const SIG = [0.25, 0.1, 0.05, 0.025, 0.01, 0.005, 0.001];

/** Index of the first element > v (side 'right') or ≥ v (side 'left') in sorted a. */
function searchSorted(a: Float64Array, v: number, right: boolean): number {
  let lo = 0;
  let hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (right ? a[mid]! <= v : a[mid]! < v) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * @example
 * andersonKsamp([[1, 2, 3, 4, 5, 6], [4, 5, 6, 7, 8, 9, 10]]).statistic; // 3.5027057852038466
 */
export function andersonKsamp(samples: ArrayLike<number>[]): AndersonResult {
  const k = samples.length;
  if (k < 2) throw new StatsInputError('too-small', 'Anderson–Darling needs at least two samples.');
  const sorted = samples.map((s) => sortFloat64(s));
  if (sorted.some((s) => s.length === 0)) throw new StatsInputError('empty-window', 'a sample is empty.');
  const N = sorted.reduce((a, s) => a + s.length, 0);
  const Z = new Float64Array(N);
  let off = 0;
  for (const s of sorted) {
    Z.set(s, off);
    off += s.length;
  }
  Z.sort();
  const uniq: number[] = [];
  for (let i = 0; i < N; i++) if (i === 0 || Z[i] !== Z[i - 1]) uniq.push(Z[i]!);
  if (uniq.length < 2) throw new StatsInputError('constant', 'Anderson–Darling needs two distinct values.');
  const L = uniq.length;
  const lj = new Float64Array(L);
  const Bj = new Float64Array(L);
  for (let j = 0; j < L; j++) {
    const left = searchSorted(Z, uniq[j]!, false);
    lj[j] = N === L ? 1 : searchSorted(Z, uniq[j]!, true) - left;
    Bj[j] = left + lj[j]! / 2;
  }
  let A2 = 0;
  for (const s of sorted) {
    const n = s.length;
    let inner = 0;
    for (let j = 0; j < L; j++) {
      const r = searchSorted(s, uniq[j]!, true);
      const f = r - searchSorted(s, uniq[j]!, false);
      const M = r - f / 2;
      inner += ((lj[j]! / N) * (N * M - Bj[j]! * n) ** 2) / (Bj[j]! * (N - Bj[j]!) - (N * lj[j]!) / 4);
    }
    A2 += inner / n;
  }
  A2 *= (N - 1) / N;
  // Variance of A2 under H0 (Scholz & Stephens eq. 4–6).
  let H = 0;
  for (const s of sorted) H += 1 / s.length;
  let hsum = 0;
  let g = 0;
  for (let i = N - 1; i >= 2; i--) {
    hsum += 1 / i;
    g += hsum / (N - i + 1);
  }
  const h = hsum + 1;
  const a = (4 * g - 6) * (k - 1) + (10 - 6 * g) * H;
  const b = (2 * g - 4) * k ** 2 + 8 * h * k + (2 * g - 14 * h - 4) * H - 8 * h + 4 * g - 6;
  const c = (6 * h + 2 * g - 2) * k ** 2 + (4 * h - 4 * g + 6) * k + (2 * h - 6) * H + 4 * h;
  const d = (2 * h + 6) * k ** 2 - 4 * h * k;
  const sigmasq = (a * N ** 3 + b * N ** 2 + c * N + d) / ((N - 1) * (N - 2) * (N - 3));
  const m = k - 1;
  const stat = (A2 - m) / Math.sqrt(sigmasq);
  const crit = B0.map((b0, i) => b0 + B1[i]! / Math.sqrt(m) + B2[i]! / m);
  if (stat < Math.min(...crit)) return { statistic: stat, pValue: 0.25, capped: true };
  if (stat > Math.max(...crit)) return { statistic: stat, pValue: 0.001, capped: true };
  const [c2, c1, c0] = quadraticFit(crit, SIG.map(Math.log));
  return { statistic: stat, pValue: Math.exp((c2 * stat + c1) * stat + c0), capped: false };
}

/** Least-squares y ≈ c2·x² + c1·x + c0 by normal equations (3×3, partial pivoting). */
function quadraticFit(x: number[], y: number[]): [number, number, number] {
  const M = [
    [0, 0, 0, 0],
    [0, 0, 0, 0],
    [0, 0, 0, 0],
  ];
  for (let i = 0; i < x.length; i++) {
    const row = [x[i]! ** 2, x[i]!, 1];
    for (let r = 0; r < 3; r++) {
      for (let c = 0; c < 3; c++) M[r]![c]! += row[r]! * row[c]!;
      M[r]![3]! += row[r]! * y[i]!;
    }
  }
  for (let col = 0; col < 3; col++) {
    let piv = col;
    for (let r = col + 1; r < 3; r++) if (Math.abs(M[r]![col]!) > Math.abs(M[piv]![col]!)) piv = r;
    [M[col], M[piv]] = [M[piv]!, M[col]!];
    for (let r = col + 1; r < 3; r++) {
      const f = M[r]![col]! / M[col]![col]!;
      for (let c = col; c < 4; c++) M[r]![c]! -= f * M[col]![c]!;
    }
  }
  const sol = [0, 0, 0];
  for (let r = 2; r >= 0; r--) {
    let s = M[r]![3]!;
    for (let c = r + 1; c < 3; c++) s -= M[r]![c]! * sol[c]!;
    sol[r] = s / M[r]![r]!;
  }
  return [sol[0]!, sol[1]!, sol[2]!];
}
