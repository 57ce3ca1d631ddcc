// Information-theoretic divergences between two discrete distributions given
// as non-negative weights over the same bins (normalised here). Conventions
// follow SciPy: 0·log(0/q) = 0, p·log(p/0) = ∞.

function normalise(p: ArrayLike<number>): Float64Array {
  let s = 0;
  for (let i = 0; i < p.length; i++) s += p[i]!;
  return Float64Array.from(p as ArrayLike<number>, (v) => v / s);
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
  const a = normalise(p);
  const b = normalise(q);
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
  const a = normalise(p);
  const b = normalise(q);
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
  const a = normalise(p);
  const b = normalise(q);
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
  const a = normalise(p);
  const b = normalise(q);
  let s = 0;
  for (let i = 0; i < a.length; i++) s += Math.abs(a[i]! - b[i]!);
  return 0.5 * s;
}
