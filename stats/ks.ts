// Two-sample Kolmogorov–Smirnov test, equal to SciPy's `ks_2samp` (statistic,
// p-value, method selection) to a relative 1e-9. The statistic handles ties
// (ECDFs are compared after each distinct value, as `searchsorted(side='right')`
// does). P-values:
//   exact  when max(n1, n2) ≤ 10,000 (method 'auto'): lattice-path counts
//          (Hodges; Viehmann's stable recursion for the two-sided case);
//   asymp  otherwise: two-sided kstwo.sf(D, round(n1·n2/(n1+n2))), one-sided
//          Hodges' approximation exp(−2z² − 2z(m+2n)/√(mn(m+n))/3).
// When an exact computation overflows, it falls back to 'asymp' with D rounded
// to the lattice, like SciPy. NaNs are omitted (nan_policy='omit').

import { type InconclusiveReason, oneOf, StatsInputError } from './errors.ts';
import { sortFloat64 } from './sort.ts';
import { binom } from './special/binom.ts';
import { kstwoSf } from './special/kstwo.ts';

export const KS_ALTERNATIVES = ['two-sided', 'less', 'greater'] as const;
export type KsAlternative = (typeof KS_ALTERNATIVES)[number];
export const KS_METHODS = ['auto', 'exact', 'asymp'] as const;
export type KsMethod = (typeof KS_METHODS)[number];

export interface KsOptions {
  alternative?: KsAlternative;
  method?: KsMethod;
}

export interface KsResult {
  statistic: number;
  pValue: number;
  /** The method that produced the p-value (after any fallback). */
  method: 'exact' | 'asymp';
  /** The value at which the ECDF difference is attained, and its sign (+1: F1 above F2). */
  statisticLocation: number;
  statisticSign: 1 | -1;
  n1: number;
  n2: number;
}

const MAX_AUTO_N = 10000;
const INT32_MAX = 2147483647;

/**
 * Two-sample KS test on unsorted samples.
 *
 * @example
 * const r = ks2samp([1, 2, 3, 4, 5], [3, 4, 5, 6, 7, 8]);
 * r.statistic; // 0.5
 * r.pValue; // 0.35714285714285715
 * r.method; // 'exact'
 */
export function ks2samp(a: ArrayLike<number>, b: ArrayLike<number>, options: KsOptions = {}): KsResult {
  return ks2sampSorted(finiteSorted(a, 'first'), finiteSorted(b, 'second'), options);
}

function finiteSorted(x: ArrayLike<number>, which: string): Float64Array {
  if (x.length === 0) throw new StatsInputError('empty-window', `The ${which} sample is empty.`);
  const s = sortFloat64(x);
  let n = s.length;
  while (n > 0 && Number.isNaN(s[n - 1]!)) n--;
  if (n === 0) {
    const reason: InconclusiveReason = 'all-nan';
    throw new StatsInputError(reason, `The ${which} sample has only NaN values.`);
  }
  return n === s.length ? s : s.subarray(0, n);
}

/** The two ECDF extremes: max(F1 − F2) and max(F2 − F1) (≥ 0), with locations. */
export function ksExtremes(a: Float64Array, b: Float64Array) {
  const n1 = a.length;
  const n2 = b.length;
  let i = 0;
  let j = 0;
  let maxS = Number.NEGATIVE_INFINITY;
  let minS = Number.POSITIVE_INFINITY;
  let locMax = 0;
  let locMin = 0;
  while (i < n1 || j < n2) {
    const ai = i < n1 ? a[i]! : Number.POSITIVE_INFINITY;
    const bj = j < n2 ? b[j]! : Number.POSITIVE_INFINITY;
    const v = Math.min(ai, bj);
    while (i < n1 && a[i]! <= v) i++;
    while (j < n2 && b[j]! <= v) j++;
    // Same operations as SciPy: each ECDF value is a count divided by n.
    const diff = i / n1 - j / n2;
    if (diff > maxS) {
      maxS = diff;
      locMax = v;
    }
    if (diff < minS) {
      minS = diff;
      locMin = v;
    }
  }
  const down = Math.min(Math.max(-minS, 0), 1);
  return { up: maxS, down, locUp: locMax, locDown: locMin };
}

/** Two-sample KS test on samples already sorted ascending, without NaNs. */
export function ks2sampSorted(a: Float64Array, b: Float64Array, options: KsOptions = {}): KsResult {
  const alternative = oneOf('KS alternative', options.alternative ?? 'two-sided', KS_ALTERNATIVES);
  let mode = oneOf('KS method', options.method ?? 'auto', KS_METHODS);
  const n1 = a.length;
  const n2 = b.length;
  if (n1 === 0 || n2 === 0) throw new StatsInputError('empty-window', 'KS needs two non-empty samples.');
  const ext = ksExtremes(a, b);
  let d: number;
  let sign: 1 | -1;
  let loc: number;
  if (alternative === 'less' || (alternative === 'two-sided' && ext.down > ext.up)) {
    d = ext.down;
    sign = -1;
    loc = ext.locDown;
  } else {
    d = ext.up;
    sign = 1;
    loc = ext.locUp;
  }
  const g = gcd(n1, n2);
  if (mode === 'auto') mode = Math.max(n1, n2) <= MAX_AUTO_N ? 'exact' : 'asymp';
  else if (mode === 'exact' && n1 / g >= INT32_MAX / (n2 / g)) mode = 'asymp';
  let p = Number.NaN;
  if (mode === 'exact') {
    const ex = exactTwoSample(n1, n2, g, d, alternative);
    d = ex.d;
    if (ex.ok) p = ex.p;
    else mode = 'asymp';
  }
  if (mode === 'asymp') p = asymptotic(n1, n2, d, alternative);
  p = Math.min(Math.max(p, 0), 1);
  return { statistic: d, pValue: p, method: mode, statisticLocation: loc, statisticSign: sign, n1, n2 };
}

function gcd(a: number, b: number): number {
  while (b) [a, b] = [b, a % b];
  return a;
}

/** NumPy's round: half to even. */
export function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return r - x === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

function asymptotic(n1: number, n2: number, d: number, alternative: KsAlternative): number {
  const m = Math.max(n1, n2);
  const n = Math.min(n1, n2);
  const en = (m * n) / (m + n);
  if (alternative === 'two-sided') return kstwoSf(d, roundHalfEven(en));
  const z = Math.sqrt(en) * d;
  const expt = -2 * z ** 2 - (2 * z * (m + 2 * n)) / Math.sqrt(m * n * (m + n)) / 3;
  return Math.exp(expt);
}

function exactTwoSample(n1: number, n2: number, g: number, d: number, alternative: KsAlternative) {
  const lcm = (n1 / g) * n2;
  const h = roundHalfEven(d * lcm);
  d = h / lcm;
  if (h === 0) return { ok: true, d, p: 1 };
  let p: number;
  if (alternative === 'two-sided') {
    p = n1 === n2 ? probOutsideSquare(n1, h) : probOutsideInside(n1, n2, g, h);
  } else if (n1 === n2) {
    // binom(2n, n−h)/binom(2n, n) as a product of h ratios.
    p = 1;
    for (let j = 0; j < h; j++) p *= (n1 - j) / (n1 + j + 1);
  } else {
    const paths = countPathsOutside(n1, n2, g, h);
    const total = binom(n1 + n2, n1);
    if (!Number.isFinite(paths) || !Number.isFinite(total) || paths > total)
      return { ok: false, d, p: Number.NaN };
    p = paths / total;
  }
  if (!(p >= 0 && p <= 1)) return { ok: false, d, p };
  return { ok: true, d, p };
}

/**
 * Pr(D_{n,n} ≥ h/n) for equal sizes: 2·Σ_k (−1)^{k+1} C(2n, n−kh)/C(2n, n),
 * each ratio a product of h small factors, nested Horner-style so the
 * alternating sum does not cancel.
 */
function probOutsideSquare(n: number, h: number): number {
  let P = 0;
  for (let k = Math.floor(n / h); k >= 0; k--) {
    let p1 = 1;
    for (let j = 0; j < h; j++) p1 = ((n - k * h - j) * p1) / (n + k * h + j + 1);
    P = p1 * (1 - P);
  }
  return 2 * P;
}

/**
 * Proportion of lattice paths (0,0)→(m,n) that leave the band |x/m − y/n| < h/lcm,
 * by Viehmann's recursion for 1 − p over one sliding column.
 */
function probOutsideInside(m0: number, n0: number, g: number, h: number): number {
  const m = Math.max(m0, n0);
  const n = Math.min(m0, n0);
  const mg = m / g;
  const ng = n / g;
  let minj = 0;
  let maxj = Math.min(Math.ceil(h / mg), n + 1);
  let curlen = maxj - minj;
  const lenA = Math.min(2 * maxj + 2, n + 1);
  const A = new Float64Array(lenA).fill(1);
  A.fill(0, minj, maxj);
  for (let i = 1; i <= m; i++) {
    const lastminj = minj;
    const lastlen = curlen;
    minj = Math.min(Math.max(Math.floor((ng * i - h) / mg) + 1, 0), n);
    maxj = Math.min(Math.ceil((ng * i + h) / mg), n + 1);
    if (maxj <= minj) return 1;
    let val = minj === 0 ? 0 : 1;
    for (let jj = 0; jj < maxj - minj; jj++) {
      const j = jj + minj;
      val = (A[jj + minj - lastminj]! * i + val * j) / (i + j);
      A[jj] = val;
    }
    curlen = maxj - minj;
    if (lastlen > curlen) A.fill(1, maxj - minj, maxj - minj + (lastlen - curlen));
  }
  return A[maxj - minj - 1]!;
}

/** Number of paths that cross the line m·y = n·x − h·g (one-sided), Hodges' method. */
function countPathsOutside(m0: number, n0: number, g: number, h: number): number {
  const m = Math.max(m0, n0);
  const n = Math.min(m0, n0);
  const mg = m / g;
  const ng = n / g;
  const lxj = n + Math.floor((mg - h) / mg);
  if (lxj === 0) return binom(m + n, n);
  const xj: number[] = [];
  for (let j = 0; j < lxj; j++) xj.push(Math.floor((h + mg * j + ng - 1) / ng));
  const B = new Float64Array(lxj);
  B[0] = 1;
  for (let j = 1; j < lxj; j++) {
    let Bj = binom(xj[j]! + j, j);
    for (let i = 0; i < j; i++) Bj -= binom(xj[j]! - xj[i]! + j - i, j - i) * B[i]!;
    if (!Number.isFinite(Bj)) return Number.POSITIVE_INFINITY;
    B[j] = Bj;
  }
  let total = 0;
  for (let j = 0; j < lxj; j++) total += B[j]! * binom(m - xj[j]! + (n - j), n - j);
  return total;
}
