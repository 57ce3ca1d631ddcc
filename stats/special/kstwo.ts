// biome-ignore-all lint/correctness/noPrecisionLoss: published coefficients are kept as printed; the literal rounds to the nearest double.
// The distribution of the two-sided one-sample KS statistic D_n (SciPy's
// `kstwo`), which the two-sample test uses as its large-sample law with
// n = round(n1·n2/(n1+n2)). Simard & L'Écuyer (2011) choose among exact and
// asymptotic methods by region of (n, x); we use the same regions as SciPy so
// values agree to ~1e-12:
//
//   n·x ≤ 1, n·x ≥ n−1    Ruben–Gambino closed forms
//   x ≥ 0.5               2·smirnov(n, x), exact
//   n ≤ 140               Durbin matrix (small n·x²), Pomeranz (n·x² ≤ 4), else 2·smirnov
//   n > 140               upper tail: 0 beyond n·x² ≥ 370, 2·smirnov when n·x² ≥ 2.2;
//                         otherwise Durbin matrix or Pelz–Good for the CDF.
//
// The upper tail is a complement (1 − CDF) only where the CDF is below
// ~0.99 — in those regions the tail is at least ~0.01, so the subtraction
// costs no relative precision; every small tail is summed directly.

import { smirnovSf } from './smirnov.ts';

const E128 = 2 ** 128;
const EM128 = 2 ** -128;
const PI2 = Math.PI ** 2;
const PI4 = Math.PI ** 4;
const PI6 = Math.PI ** 6;
const SQRT2PI = Math.sqrt(2 * Math.PI);
const LOG_2PI = Math.log(2 * Math.PI);
const SQRT3 = Math.sqrt(3);
const MIN_LOG = -708;
// Stirling-series coefficients for log(n!/n^n), highest power first.
const STIRLING = [
  -2.955065359477124183e-2, 6.4102564102564102564e-3, -1.9175269175269175269e-3, 8.4175084175084175084e-4,
  -5.952380952380952381e-4, 7.9365079365079365079e-4, -2.7777777777777777778e-3, 8.3333333333333333333e-2,
];

const clip = (p: number) => Math.min(Math.max(p, 0), 1);

/**
 * Survival function Pr(D_n ≥ x) of the two-sided KS statistic (SciPy `kstwo.sf(x, n)`).
 *
 * @example
 * kstwoSf(0.3, 10); // 0.27053557479999946
 * kstwoSf(0.05, 5000); // 2.6523052328711187e-11
 */
export function kstwoSf(x: number, n: number): number {
  return kolmogn(n, x, false);
}

/** CDF Pr(D_n ≤ x) (SciPy `kstwo.cdf(x, n)`). */
export function kstwoCdf(x: number, n: number): number {
  return kolmogn(n, x, true);
}

function pick(cdfProb: number, sfProb: number, cdf: boolean): number {
  return clip(cdf ? cdfProb : sfProb);
}

function kolmogn(n: number, x: number, cdf: boolean): number {
  if (!Number.isInteger(n) || n <= 0 || Number.isNaN(x)) return Number.NaN;
  if (x >= 1) return pick(1, 0, cdf);
  if (x <= 0) return pick(0, 1, cdf);
  const t = n * x;
  if (t <= 1) {
    if (t <= 0.5) return pick(0, 1, cdf);
    let prob: number;
    if (n <= 140) {
      prob = 1;
      for (let i = 1; i <= n; i++) prob *= i * (1 / n) * (2 * t - 1);
    } else {
      prob = Math.exp(logFactorialOverPower(n) + n * Math.log(2 * t - 1));
    }
    return pick(prob, 1 - prob, cdf);
  }
  if (t >= n - 1) {
    const prob = 2 * (1 - x) ** n;
    return pick(1 - prob, prob, cdf);
  }
  if (x >= 0.5) {
    const prob = 2 * smirnovSf(n, x);
    return pick(1 - prob, prob, cdf);
  }
  const nxx = t * x;
  if (n <= 140) {
    if (nxx <= 0.754693) {
      const p = durbinMatrixCdf(n, x);
      return pick(p, 1 - p, cdf);
    }
    if (nxx <= 4) {
      const p = pomeranzCdf(n, x);
      return pick(p, 1 - p, cdf);
    }
    const prob = 2 * smirnovSf(n, x);
    return pick(1 - prob, prob, cdf);
  }
  if (!cdf) {
    if (nxx >= 370) return 0;
    if (nxx >= 2.2) return clip(2 * smirnovSf(n, x));
  }
  let cdfProb: number;
  if (nxx >= 18) cdfProb = 1;
  else if (n <= 100000 && n * x ** 1.5 <= 1.4) cdfProb = durbinMatrixCdf(n, x);
  else cdfProb = pelzGoodCdf(n, x);
  return pick(cdfProb, 1 - cdfProb, cdf);
}

function logFactorialOverPower(n: number): number {
  const rn = 1 / n;
  let poly = 0;
  for (const c of STIRLING) poly = poly * (rn / n) + c;
  return Math.log(n) / 2 - n + LOG_2PI / 2 + rn * poly;
}

/** m×m matrix product a·b (row-major). */
function matmul(a: Float64Array, b: Float64Array, m: number): Float64Array {
  const c = new Float64Array(m * m);
  for (let i = 0; i < m; i++) {
    for (let k = 0; k < m; k++) {
      const aik = a[i * m + k]!;
      if (aik === 0) continue;
      for (let j = 0; j < m; j++) c[i * m + j]! += aik * b[k * m + j]!;
    }
  }
  return c;
}

/** Durbin's matrix formula (Marsaglia–Tsang–Wang): CDF = n!/n^n · (H^n)_{kk}. */
function durbinMatrixCdf(n: number, d: number): number {
  const nd = n * d;
  if (nd <= 0.5) return 0;
  const k = Math.ceil(nd);
  const h = k - nd;
  const m = 2 * k - 1;
  let H: Float64Array = new Float64Array(m * m);
  const v = new Float64Array(m);
  const w = new Float64Array(m);
  let fac = 1;
  for (let j = 1; j <= m; j++) {
    w[j - 1] = fac;
    fac /= j;
    v[j - 1] = (1 - h ** j) * fac;
  }
  v[m - 1] = (1 + (Math.max(2 * h - 1, 0) ** m - 2 * h ** m)) * fac;
  // Column i (i ≥ 1) holds w shifted down by i−1 rows: H[r][i] = w[r−i+1].
  for (let i = 1; i < m; i++) for (let r = i - 1; r < m; r++) H[r * m + i] = w[r - i + 1]!;
  for (let r = 0; r < m; r++) H[r * m] = v[r]!;
  for (let c = 0; c < m; c++) H[(m - 1) * m + c] = v[m - 1 - c]!;
  let P: Float64Array = new Float64Array(m * m);
  for (let i = 0; i < m; i++) P[i * m + i] = 1;
  let expnt = 0;
  let hExpnt = 0;
  let nn = n;
  // Binary powering, rescaling by 2^128 so the entries stay in range.
  while (nn > 0) {
    if (nn % 2) {
      P = matmul(P, H, m);
      expnt += hExpnt;
    }
    H = matmul(H, H, m);
    hExpnt *= 2;
    if (Math.abs(H[(k - 1) * m + (k - 1)]!) > E128) {
      for (let i = 0; i < H.length; i++) H[i]! /= E128;
      hExpnt += 128;
    }
    nn = Math.floor(nn / 2);
  }
  let p = P[(k - 1) * m + (k - 1)]!;
  for (let i = 1; i <= n; i++) {
    p = (i * p) / n;
    if (Math.abs(p) < EM128) {
      p *= E128;
      expnt -= 128;
    }
  }
  return expnt !== 0 ? p * 2 ** expnt : p;
}

/** Row interval [j1, j2] of the Pomeranz recursion. */
function pomeranzBounds(i: number, n: number, ll: number, ceilf: number, roundf: number): [number, number] {
  let j1: number;
  let j2: number;
  if (i === 0) {
    j1 = -ll - ceilf - 1;
    j2 = ll + ceilf - 1;
  } else {
    const half = Math.floor((i + 1) / 2);
    if ((i + 1) % 2 === 0) {
      if (half === n + 1) {
        j1 = n - ll - ceilf - 1;
        j2 = n + ll + ceilf - 1;
      } else {
        j1 = half - 1 - ll - roundf - 1;
        j2 = half + ll - 1 + ceilf - 1;
      }
    } else {
      j1 = half - 1 - ll - 1;
      j2 = half + ll + roundf - 1;
    }
  }
  return [Math.max(j1 + 2, 0), Math.min(j2, n)];
}

/** Pomeranz's recursion (1974): each row is the previous one convolved with Poisson-like weights. */
function pomeranzCdf(n: number, x: number): number {
  const t = n * x;
  const ll = Math.floor(t);
  const f = t - ll;
  const g = Math.min(f, 1 - f);
  const ceilf = f > 0 ? 1 : 0;
  const roundf = f > 0.5 ? 1 : 0;
  const npwrs = 2 * (ll + 1);
  const gp = new Float64Array(npwrs);
  const g2p = new Float64Array(npwrs);
  const g12p = new Float64Array(npwrs);
  gp[0] = g2p[0] = g12p[0] = 1;
  const a = g / n;
  const b = (2 * g) / n;
  const c = (1 - 2 * g) / n;
  for (let m = 1; m < npwrs; m++) {
    gp[m] = (gp[m - 1]! * a) / m;
    g2p[m] = (g2p[m - 1]! * b) / m;
    g12p[m] = (g12p[m - 1]! * c) / m;
  }
  let V0 = new Float64Array(npwrs);
  let V1 = new Float64Array(npwrs);
  V1[0] = 1;
  let V0s = 0;
  let V1s = 0;
  let expnt = 0;
  let [j1, j2] = pomeranzBounds(0, n, ll, ceilf, roundf);
  for (let i = 1; i < 2 * n + 2; i++) {
    const k1 = j1;
    [V0, V1] = [V1, V0];
    [V0s, V1s] = [V1s, V0s];
    V1.fill(0);
    [j1, j2] = pomeranzBounds(i, n, ll, ceilf, roundf);
    const pw = i === 1 || i === 2 * n + 1 ? gp : i % 2 ? g2p : g12p;
    const len = j2 - k1 + 1;
    if (len > 0) {
      const start = j1 - k1;
      const count = j2 - j1 + 1;
      const off = k1 - V0s;
      // V1[r] = Σ_s V0[off+s] · pw[start+r−s]  (the slice of the full convolution we need)
      let mx = 0;
      for (let r = 0; r < count; r++) {
        const idx = start + r;
        let acc = 0;
        const sLo = Math.max(0, idx - (len - 1));
        const sHi = Math.min(idx, len - 1);
        for (let s = sLo; s <= sHi; s++) acc += V0[off + s]! * pw[idx - s]!;
        V1[r] = acc;
        if (acc > mx) mx = acc;
      }
      if (mx > 0 && mx < EM128) {
        for (let r = 0; r < npwrs; r++) V1[r]! *= E128;
        expnt -= 128;
      }
      V1s = V0s + j1 - k1;
    }
  }
  let ans = V1[n - V1s]!;
  for (let m = 1; m <= n; m++) {
    if (Math.abs(ans) > E128) {
      ans *= EM128;
      expnt += 128;
    }
    ans *= m;
  }
  return expnt !== 0 ? ans * 2 ** expnt : ans;
}

/** Pelz–Good (1976) asymptotic series for the CDF, with terms to n^{−3/2}. */
function pelzGoodCdf(n: number, x: number): number {
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  const z = Math.sqrt(n) * x;
  const z2 = z * z;
  const z3 = z2 * z;
  const z4 = z2 * z2;
  const z6 = z4 * z2;
  const qlog = -PI2 / 8 / z2;
  if (qlog < MIN_LOG) return 0;
  let q = Math.exp(qlog);
  const k1a = -z2;
  const k1b = PI2 / 4;
  const k2a = 6 * z6 + 2 * z4;
  const k2b = ((2 * z4 - 5 * z2) * PI2) / 4;
  const k2c = (PI4 * (1 - 2 * z2)) / 16;
  const k3d = (PI6 * (5 - 30 * z2)) / 64;
  const k3c = (PI4 * (-60 * z2 + 212 * z4)) / 16;
  const k3b = (PI2 * (135 * z4 - 96 * z6)) / 4;
  const k3a = -30 * z6 - 90 * z ** 8;
  const K = [0, 0, 0, 0];
  const maxk = Math.ceil((16 * z) / Math.PI);
  // Horner in q^8k over odd m = 2k−1.
  for (let k = maxk; k > 0; k--) {
    const m = 2 * k - 1;
    const m2 = m * m;
    const m4 = m2 * m2;
    const m6 = m4 * m2;
    const qp = q ** (8 * k);
    K[0] = K[0]! * qp + 1;
    K[1] = K[1]! * qp + (k1a + k1b * m2);
    K[2] = K[2]! * qp + (k2a + k2b * m2 + k2c * m4);
    K[3] = K[3]! * qp + (k3a + k3b * m2 + k3c * m4 + k3d * m6);
  }
  const div = [z, 6 * z4, 72 * z ** 7, 6480 * z ** 10];
  for (let i = 0; i < 4; i++) K[i] = (K[i]! * q * SQRT2PI) / div[i]!;
  q = Math.exp(-PI2 / 2 / z2);
  let k2extra = 0;
  let k3extra = 0;
  const sqrt3z = SQRT3 * z;
  for (let k = maxk; k >= 1; k--) {
    const ksq = k * k;
    const qk = q ** ksq;
    k2extra += ksq * qk;
    const kpi = Math.PI * k;
    k3extra += (sqrt3z + kpi) * (sqrt3z - kpi) * ksq * qk;
  }
  K[2] = K[2]! + (k2extra * PI2 * SQRT2PI) / (-36 * z3);
  K[3] = K[3]! + (k3extra * PI2 * SQRT2PI) / (216 * z6);
  let sum = 0;
  for (let i = 0; i < 4; i++) sum += K[i]! / n ** (i / 2);
  return sum;
}
