// biome-ignore-all lint/correctness/noPrecisionLoss: published coefficients are kept as printed; the literal rounds to the nearest double.
// The one-sided Kolmogorov–Smirnov distribution Pr(D⁺_n ≥ x), computed from
// the Birnbaum–Tingey / Smirnov sum (van Mulbregt's treatment, as in SciPy's
// `smirnov`):
//
//   Pr(D⁺_n ≥ x) = x · Σ_{v=0}^{⌊n(1−x)⌋} C(n,v) (x + v/n)^{v−1} (1 − x − v/n)^{n−v}
//
// Every term is positive, so the upper tail is summed directly: a p-value of
// 1e-300 keeps its digits. Each term is formed in logs (the powers reach
// exponents of a million), with its bases kept in double-double because an
// error of one ulp in a base becomes n ulps in the power. The two-sided
// statistic's tail (kstwo) uses 2·smirnov in its far tail.

import { type DD, ddAdd, ddDivInt, ddLog, exactProductFloor } from './dd.ts';

const MINLOG = -7.451332191019412076235e2;
const MAX_COMPUTE_N = 1000000;
const EPS = 2.220446049250313e-16;
const SCALE = 2 ** 500;
const LN2 = Math.LN2;

/**
 * Survival function of the one-sided KS statistic D⁺_n (SciPy `smirnov(n, x)`).
 *
 * @example
 * smirnovSf(5, 0.3); // 0.34282
 * smirnovSf(1000, 0.1); // 1.8518435484088554e-9
 */
export function smirnovSf(n: number, x: number): number {
  if (!(n > 0 && x >= 0 && x <= 1) || !Number.isInteger(n)) return Number.NaN;
  if (n === 1) return 1 - x;
  if (x === 0) return 1;
  if (x === 1) return 0;
  const { floor: nxfl, frac: alpha, value: nx } = exactProductFloor(n, x);
  let n1mxfl = n - nxfl - (alpha === 0 ? 0 : 1);
  let n1mxceil = n - nxfl;
  if (alpha === 0) {
    // x·n is an integer: the boundary term is zero, in neither sum.
    n1mxfl -= 1;
    n1mxceil += 1;
  }
  if (nxfl === 0 || (nxfl === 1 && alpha === 0)) {
    // x ≤ 1/n: closed form for the CDF, which is the small side here.
    const cdf = x * Math.exp((n - 1) * Math.log1p(x));
    return clamp(1 - cdf);
  }
  if (-2 * n * x * x < MINLOG) return 0;
  if (nxfl >= n - 1) return clamp(Math.exp(n * Math.log1p(-x)));
  if (n > MAX_COMPUTE_N) {
    const logp = -((6 * nx + 1) ** 2) / 18 / n;
    return clamp(logp < -LN2 ? Math.exp(logp) : 1 + Math.expm1(logp));
  }
  // The upper sum (alternating signs, few terms) gives the CDF for small x;
  // it loses ~1.6 bits per term, so it is used only with at most 3 terms.
  const nUpperTerms = n - n1mxceil + 1;
  const useUpper = (nUpperTerms <= 1 && x < 0.5) || (n >= 10 && nUpperTerms <= 3 && x <= 0.5 / Math.sqrt(n));
  const sum = useUpper ? upperSum(n, x, n - n1mxceil + 1) : lowerSum(n, x, n1mxfl + 1);
  const prob = x * sum;
  return clamp(useUpper ? 1 - prob : prob);
}

function clamp(p: number): number {
  return Math.min(Math.max(p, 0), 1);
}

/** Running binomial C(n, j) as mantissa · 2^expt (it overflows doubles for n > 1029). */
class Binomial {
  private man = 1;
  private expt = 0;
  constructor(private readonly n: number) {}
  /** C(n, j) → C(n, j+1). */
  advance(j: number): void {
    this.man *= (this.n - j) / (j + 1);
    // Rescale by exact powers of two so the mantissa neither overflows on the
    // way up nor turns denormal (losing digits) on the way down past n/2.
    if (this.man > SCALE) {
      this.man /= SCALE;
      this.expt += 500;
    } else if (this.man < 1 / SCALE) {
      this.man *= SCALE;
      this.expt -= 500;
    }
  }
  log(): number {
    return Math.log(this.man) + this.expt * LN2;
  }
}

/** log|C(n,v) (x+v/n)^{v−1} (1−x−v/n)^{n−v}| and its sign. */
function logTerm(n: number, x: number, v: number, logC: number): { log: number; negative: boolean } {
  const t1x: DD = ddAdd(ddDivInt(v, n), x);
  const t2x: DD = ddAdd(ddDivInt(n - v, n), -x);
  const negBase = t2x.hi < 0;
  const abs2: DD = negBase ? { hi: -t2x.hi, lo: -t2x.lo } : t2x;
  const log = logC + (v - 1) * ddLog(t1x) + (n - v) * ddLog(abs2);
  return { log, negative: negBase && (n - v) % 2 === 1 };
}

function lowerSum(n: number, x: number, nTerms: number): number {
  // v = 0 term: (1−x)^n / x.
  let sum = Math.exp(n * Math.log1p(-x)) / x;
  let comp = 0; // Neumaier compensation
  const binom = new Binomial(n);
  binom.advance(0);
  const vmid = Math.floor(n / 2);
  for (let j = 1; j < nTerms; j++) {
    const { log } = logTerm(n, x, j, binom.log());
    const a = Math.exp(log);
    if (Number.isFinite(a) && a !== 0) {
      const t = sum + a;
      comp += Math.abs(sum) >= a ? sum - t + a : a - t + sum;
      sum = t;
    }
    if (a !== 0) {
      // Stop once the remaining terms cannot move the sum.
      if (4 * (nTerms - j) * Math.abs(a) < EPS * (sum + comp) && j !== nTerms - 1) break;
    } else if (j > vmid) {
      break;
    }
    binom.advance(j);
  }
  return sum + comp;
}

function upperSum(n: number, x: number, nTerms: number): number {
  // v = n term: (1+x)^{n−1}.
  let sum = Math.exp((n - 1) * Math.log1p(x));
  const binom = new Binomial(n);
  binom.advance(0);
  for (let j = 1; j < nTerms; j++) {
    const v = n - j;
    const { log, negative } = logTerm(n, x, v, binom.log());
    const a = Math.exp(log);
    if (Number.isFinite(a) && a !== 0) sum += negative ? -a : a;
    binom.advance(j);
  }
  return sum;
}
