// Information-theoretic divergences between two discrete distributions given
// as non-negative weights over the same bins (normalised here). Conventions
// follow SciPy: 0·log(0/q) = 0, p·log(p/0) = ∞.

import { StatsInputError } from './errors.ts';

/** Weights as shares. Negative, non-finite or all-zero weights are not a distribution. */
function normalise(p: ArrayLike<number>, which: string): Float64Array {
  let s = 0;
  for (let i = 0; i < p.length; i++) {
    const v = p[i]!;
    if (!(v >= 0) || !Number.isFinite(v))
      throw new StatsInputError(
        'invalid-input',
        `${which}: weight ${i} is ${v}; weights must be finite and non-negative.`,
      );
    s += v;
  }
  if (s === 0)
    throw new StatsInputError('invalid-input', `${which}: every weight is 0, so it is not a distribution.`);
  return Float64Array.from(p as ArrayLike<number>, (v) => v / s);
}

/** Both distributions over the same bins. */
function pair(p: ArrayLike<number>, q: ArrayLike<number>): [Float64Array, Float64Array] {
  if (p.length !== q.length)
    throw new StatsInputError(
      'invalid-input',
      `the distributions have ${p.length} and ${q.length} bins; they must be over the same bins.`,
    );
  return [normalise(p, 'the first distribution'), normalise(q, 'the second distribution')];
}

function relEntr(x: number, y: number): number {
  if (x > 0 && y > 0) return x * Math.log(x / y);
  if (x === 0 && y >= 0) return 0;
  return Number.POSITIVE_INFINITY;
}

/**
 * Kullback–Leibler divergence KL(p‖q) in nats (SciPy `entropy(p, q)`).
 *
 * @example
 * klDivergence([0.5, 0.5], [0.9, 0.1]); // 0.5108256237659907
 */
export function klDivergence(p: ArrayLike<number>, q: ArrayLike<number>): number {
  const [a, b] = pair(p, q);
  let s = 0;
  for (let i = 0; i < a.length; i++) s += relEntr(a[i]!, b[i]!);
  return s;
}

/**
 * Jensen–Shannon *distance* (square root of the divergence), natural log by
 * default (SciPy `spatial.distance.jensenshannon`), as Evidently reports it.
 *
 * @example
 * jensenShannon([1, 0], [0, 1]); // 0.8325546111576977
 */
export function jensenShannon(p: ArrayLike<number>, q: ArrayLike<number>, base?: number): number {
  const [a, b] = pair(p, q);
  let s = 0;
  for (let i = 0; i < a.length; i++) {
    const m = (a[i]! + b[i]!) / 2;
    s += relEntr(a[i]!, m) + relEntr(b[i]!, m);
  }
  let js = s / 2;
  if (base !== undefined) js /= Math.log(base);
  return Math.sqrt(js);
}

/**
 * Hellinger distance √(1 − Σ √(p_i q_i)), in [0, 1].
 *
 * @example
 * hellinger([0.5, 0.5], [0.9, 0.1]); // 0.3249196962329063
 */
export function hellinger(p: ArrayLike<number>, q: ArrayLike<number>): number {
  const [a, b] = pair(p, q);
  let bc = 0;
  for (let i = 0; i < a.length; i++) bc += Math.sqrt(a[i]! * b[i]!);
  return Math.sqrt(1 - Math.min(Math.max(bc, 0), 1));
}

/**
 * Total variation distance ½ Σ |p_i − q_i|, in [0, 1].
 *
 * @example
 * totalVariation([0.5, 0.5], [0.9, 0.1]); // 0.4
 */
export function totalVariation(p: ArrayLike<number>, q: ArrayLike<number>): number {
  const [a, b] = pair(p, q);
  let s = 0;
  for (let i = 0; i < a.length; i++) s += Math.abs(a[i]! - b[i]!);
  return 0.5 * s;
}
