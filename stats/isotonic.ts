// Isotonic (monotone non-decreasing) regression by pool-adjacent-violators,
// used to calibrate classifier scores on the reference period before CBPE
// estimates performance from them. Matches scikit-learn's
// IsotonicRegression(increasing=True, out_of_bounds='clip'): equal scores are
// first merged (mean target, summed weight), and predictions interpolate
// linearly between the fitted points, clipped outside their range.

import { StatsInputError } from './errors.ts';

export interface IsotonicModel {
  /** Fitted knots: increasing x, non-decreasing y. */
  x: number[];
  y: number[];
}

/**
 * @example
 * const m = fitIsotonic([0.1, 0.2, 0.3, 0.4], [0, 1, 0, 1]);
 * m.y; // [0, 0.5, 0.5, 1]
 * predictIsotonic(m, [0.25, 0.9]); // [0.5, 1]
 */
export function fitIsotonic(scores: ArrayLike<number>, targets: ArrayLike<number>): IsotonicModel {
  const n = scores.length;
  if (n === 0)
    throw new StatsInputError('empty-window', 'isotonic calibration needs at least one scored row.');
  if (targets.length !== n)
    throw new StatsInputError('type-mismatch', 'scores and targets differ in length.');
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => scores[a]! - scores[b]!);
  // Merge equal scores (weighted mean of targets).
  const xs: number[] = [];
  const ys: number[] = [];
  const ws: number[] = [];
  for (const i of order) {
    const x = scores[i]!;
    const last = xs.length - 1;
    if (last >= 0 && xs[last] === x) {
      ys[last] = (ys[last]! * ws[last]! + targets[i]!) / (ws[last]! + 1);
      ws[last]! += 1;
    } else {
      xs.push(x);
      ys.push(targets[i]!);
      ws.push(1);
    }
  }
  // Pool adjacent violators over blocks.
  const bv: number[] = [];
  const bw: number[] = [];
  const bStart: number[] = [];
  for (let i = 0; i < xs.length; i++) {
    bv.push(ys[i]!);
    bw.push(ws[i]!);
    bStart.push(i);
    while (bv.length > 1 && bv[bv.length - 2]! > bv[bv.length - 1]!) {
      const w = bw[bw.length - 2]! + bw[bw.length - 1]!;
      const v = (bv[bv.length - 2]! * bw[bw.length - 2]! + bv[bv.length - 1]! * bw[bw.length - 1]!) / w;
      bv.splice(-2, 2, v);
      bw.splice(-2, 2, w);
      bStart.pop();
    }
  }
  const fitted = new Array<number>(xs.length);
  for (let b = 0; b < bv.length; b++) {
    const end = b + 1 < bStart.length ? bStart[b + 1]! : xs.length;
    for (let i = bStart[b]!; i < end; i++) fitted[i] = bv[b]!;
  }
  // Keep only the knots needed for interpolation (first and last of each flat run), as scikit-learn does.
  const kx: number[] = [];
  const ky: number[] = [];
  for (let i = 0; i < xs.length; i++) {
    const prevSame = i > 0 && fitted[i - 1] === fitted[i];
    const nextSame = i + 1 < xs.length && fitted[i + 1] === fitted[i];
    if (!(prevSame && nextSame)) {
      kx.push(xs[i]!);
      ky.push(fitted[i]!);
    }
  }
  return { x: kx, y: ky };
}

/** Calibrated values: linear interpolation between knots, clipped at the ends. */
export function predictIsotonic(model: IsotonicModel, scores: ArrayLike<number>): number[] {
  const { x, y } = model;
  const out = new Array<number>(scores.length);
  for (let i = 0; i < scores.length; i++) {
    const s = scores[i]!;
    if (s <= x[0]!) out[i] = y[0]!;
    else if (s >= x[x.length - 1]!) out[i] = y[y.length - 1]!;
    else {
      let lo = 0;
      let hi = x.length - 1;
      while (hi - lo > 1) {
        const mid = (lo + hi) >> 1;
        if (x[mid]! <= s) lo = mid;
        else hi = mid;
      }
      const t = (s - x[lo]!) / (x[hi]! - x[lo]!);
      out[i] = y[lo]! + t * (y[hi]! - y[lo]!);
    }
  }
  return out;
}
