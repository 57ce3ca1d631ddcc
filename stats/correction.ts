// Multiple-testing correction for drift reports that test many columns at
// once: with 50 features at p ≤ 0.05, about 2.5 drift by chance alone.
// Adjusted p-values are compared against the unchanged threshold.

import { oneOf } from './errors.ts';

export const CORRECTIONS = ['none', 'bonferroni', 'benjamini-hochberg'] as const;
export type Correction = (typeof CORRECTIONS)[number];

/**
 * Adjusted p-values, in input order. Bonferroni: min(1, m·p) (controls the
 * family-wise error). Benjamini–Hochberg: the step-up adjustment
 * min_{j ≥ i} m·p_(j)/j (controls the false discovery rate), as
 * statsmodels' `fdr_bh` and R's `p.adjust(method = "BH")` give.
 *
 * @example
 * adjustPValues([0.01, 0.04, 0.03, 0.005], 'bonferroni'); // [0.04, 0.16, 0.12, 0.02]
 * adjustPValues([0.01, 0.04, 0.03, 0.005], 'benjamini-hochberg'); // [0.02, 0.04, 0.04, 0.02]
 */
export function adjustPValues(pValues: readonly number[], method: Correction): number[] {
  oneOf('correction', method, CORRECTIONS);
  const m = pValues.length;
  if (method === 'none' || m === 0) return [...pValues];
  if (method === 'bonferroni') return pValues.map((p) => Math.min(1, p * m));
  const order = pValues.map((p, i) => [p, i] as const).sort((a, b) => a[0] - b[0]);
  const out = new Array<number>(m);
  let running = 1;
  for (let r = m - 1; r >= 0; r--) {
    const [p, i] = order[r]!;
    running = Math.min(running, (p * m) / (r + 1));
    out[i] = Math.min(1, running);
  }
  return out;
}
