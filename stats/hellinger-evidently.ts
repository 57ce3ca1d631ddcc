// Evidently's Hellinger stattest, reproduced for parity: categorical columns
// use category shares; numeric columns use density histograms whose Sturges
// edges are computed over the *distinct* values of both samples (not the
// pooled sample, unlike its PSI), summed with the mean bin width.

import { histogram, sturgesEdges } from './binning.ts';

/**
 * @example
 * hellingerNumericEvidently([1, 2, 3, 4], [3, 4, 5, 6]); // 0.7071067811865476
 */
export function hellingerNumericEvidently(reference: ArrayLike<number>, current: ArrayLike<number>): number {
  const keys = [...new Set([...Array.from(reference), ...Array.from(current)].map((v) => (v === 0 ? 0 : v)))];
  const edges = sturgesEdges(keys);
  const density = (x: ArrayLike<number>) => {
    const c = histogram(x, edges);
    let n = 0;
    for (const v of c) n += v;
    return c.map((v, i) => v / (edges[i + 1]! - edges[i]!) / n);
  };
  const h1 = density(reference);
  const h2 = density(current);
  const width = (edges[edges.length - 1]! - edges[0]!) / (edges.length - 1);
  let s = 0;
  for (let i = 0; i < h1.length; i++) s += Math.sqrt(h1[i]! * h2[i]!) * width;
  return Math.sqrt(1 - Math.min(Math.max(s, 0), 1));
}
