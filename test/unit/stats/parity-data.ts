// TypeScript twin of test/fixtures/stats/parity_data.py: the fixtures store
// sample descriptions (seed, size, distribution, grid) and both languages
// regenerate the same bits from them.
import { normals, uniforms } from '../../../stats/random.ts';

export interface SampleSpec {
  seed: number;
  n: number;
  dist?: 'normal' | 'uniform';
  loc?: number;
  scale?: number;
  quantum?: number;
}

export function sample(spec: SampleSpec): Float64Array {
  const loc = spec.loc ?? 0;
  const scale = spec.scale ?? 1;
  let x: Float64Array;
  if ((spec.dist ?? 'normal') === 'normal') x = normals(spec.seed, spec.n, loc, scale);
  else {
    x = uniforms(spec.seed, spec.n);
    for (let i = 0; i < x.length; i++) x[i] = loc + scale * x[i]!;
  }
  if (spec.quantum) for (let i = 0; i < x.length; i++) x[i] = Math.floor(x[i]! * spec.quantum) / spec.quantum;
  return x;
}

/** Relative difference, 0 when both are 0. */
export function relDiff(a: number, b: number): number {
  if (a === b) return 0;
  return Math.abs(a - b) / Math.max(Math.abs(a), Math.abs(b));
}

export interface CategorySpec {
  seed: number;
  n: number;
  k: number;
  skew?: number;
}

/** Twin of `categories` in generate_parity.py: letters from uniforms, P shaped by `skew`. */
export function categories(spec: CategorySpec): string[] {
  const u = sample({ seed: spec.seed, n: spec.n, dist: 'uniform' });
  return Array.from(u, (v) => String.fromCharCode(97 + Math.floor(v ** (spec.skew ?? 1) * spec.k)));
}
