// Maximum mean discrepancy with a Gaussian (RBF) kernel, for numeric columns
// (Gretton et al. 2012). Bandwidth by the median heuristic: σ² = median of
// the pooled pairwise squared distances / 2. Statistic: the unbiased MMD²
// (diagonals excluded). P-value by permutation: the pooled sample is shuffled
// B times with Fisher–Yates driven by our seeded mulberry32 (see random.ts),
// p = (1 + #{MMD²_perm ≥ MMD²_obs}) / (1 + B). Windows larger than
// `maxSamples` are subsampled (seeded, without replacement) first, because the
// kernel matrix is quadratic in size.
//
// Seed scheme (replayable in NumPy, see test/fixtures/stats/generate_parity.py):
// one Rng(seed) is used in order for (1) subsampling the reference, (2)
// subsampling the current window, (3) the B permutations.

import { quantileSorted } from './binning.ts';
import { StatsInputError } from './errors.ts';
import { Rng, shuffle } from './random.ts';

export interface MmdOptions {
  permutations?: number;
  seed?: number;
  maxSamples?: number;
}

export interface MmdResult {
  statistic: number;
  pValue: number;
  sigma: number;
  permutations: number;
}

function subsample(x: ArrayLike<number>, k: number, rng: Rng): Float64Array {
  const a = Float64Array.from(x as ArrayLike<number>).filter((v) => !Number.isNaN(v));
  if (a.length <= k) return a;
  // Partial Fisher–Yates: the first k slots become a uniform sample.
  for (let i = 0; i < k; i++) {
    const j = i + rng.nextBelow(a.length - i);
    const t = a[i]!;
    a[i] = a[j]!;
    a[j] = t;
  }
  return a.slice(0, k);
}

/** Unbiased MMD² for the split (first m indices of `order` vs the rest) of kernel matrix K. */
function mmd2(K: Float64Array, N: number, order: Uint32Array, m: number): number {
  const n = N - m;
  let sxx = 0;
  let syy = 0;
  let sxy = 0;
  for (let a = 0; a < N; a++) {
    const i = order[a]!;
    const row = i * N;
    for (let b = a + 1; b < N; b++) {
      const v = K[row + order[b]!]!;
      if (b < m) sxx += v;
      else if (a >= m) syy += v;
      else sxy += v;
    }
  }
  return (2 * sxx) / (m * (m - 1)) + (2 * syy) / (n * (n - 1)) - (2 * sxy) / (m * n);
}

/**
 * @example
 * const r = mmdTest([0, 0.1, 0.2, 0.3, 0.4], [1, 1.1, 1.2, 1.3, 1.4], { permutations: 50, seed: 1 });
 * r.statistic; // 1.4921574129789743
 * r.pValue; // 0.0196078431372549
 */
export function mmdTest(
  reference: ArrayLike<number>,
  current: ArrayLike<number>,
  options: MmdOptions = {},
): MmdResult {
  const B = options.permutations ?? 100;
  const rng = new Rng(options.seed ?? 0);
  const maxSamples = options.maxSamples ?? 1000;
  const x = subsample(reference, maxSamples, rng);
  const y = subsample(current, maxSamples, rng);
  const m = x.length;
  const n = y.length;
  if (m < 2 || n < 2) throw new StatsInputError('too-small', 'MMD needs at least two values per sample.');
  const N = m + n;
  const z = new Float64Array(N);
  z.set(x);
  z.set(y, m);
  const D = new Float64Array(N * N);
  for (let i = 0; i < N; i++) {
    for (let j = i + 1; j < N; j++) {
      const d = (z[i]! - z[j]!) ** 2;
      D[i * N + j] = d;
      D[j * N + i] = d;
    }
  }
  return mmdFromSquaredDistances(D, m, n, B, rng);
}

/**
 * The permutation test on a pooled matrix of squared distances (the first m
 * points are the reference, the next n the current window): median-heuristic
 * bandwidth, unbiased MMD², B shuffles drawn from `rng`. Shared by the
 * univariate test above and the multivariate one of the diagnosis.
 */
export function mmdFromSquaredDistances(
  D: Float64Array,
  m: number,
  n: number,
  permutations: number,
  rng: Rng,
): MmdResult {
  if (m < 2 || n < 2) throw new StatsInputError('too-small', 'MMD needs at least two values per sample.');
  const N = m + n;
  const upper = new Float64Array((N * (N - 1)) / 2);
  let t = 0;
  for (let i = 0; i < N; i++) for (let j = i + 1; j < N; j++) upper[t++] = D[i * N + j]!;
  upper.sort();
  let sigma2 = quantileSorted(upper, 0.5) / 2;
  if (!(sigma2 > 0)) sigma2 = 0.5; // all distances equal: any bandwidth gives MMD 0
  const gamma = 1 / (2 * sigma2);
  const K = D.map((d) => Math.exp(-gamma * d));
  const order = Uint32Array.from({ length: N }, (_, i) => i);
  const observed = mmd2(K, N, order, m);
  let hits = 0;
  for (let b = 0; b < permutations; b++) {
    shuffle(order, rng);
    if (mmd2(K, N, order, m) >= observed) hits++;
  }
  return {
    statistic: observed,
    pValue: (1 + hits) / (1 + permutations),
    sigma: Math.sqrt(sigma2),
    permutations,
  };
}
