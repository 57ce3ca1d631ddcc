// Page–Hinkley test for a change in the mean of a stream (River's defaults:
// min_instances 30, δ 0.005, threshold 50, forgetting α = 1 − 1e-4, both
// directions). Cumulative deviations from the running mean, minus/plus δ,
// are compared with their running extreme. Resets on the update after a drift.

import { oneOf, requireConfig } from '../errors.ts';

export const PH_MODES = ['up', 'down', 'both'] as const;

export interface PageHinkleyOptions {
  minInstances?: number;
  delta?: number;
  threshold?: number;
  alpha?: number;
  mode?: (typeof PH_MODES)[number];
}

export interface PageHinkleyState {
  kind: 'page-hinkley';
  options: Required<PageHinkleyOptions>;
  n: number;
  mean: number;
  sumIncrease: number;
  sumDecrease: number;
  minIncrease: number | null; // null stands for +∞ (JSON has no Infinity)
  maxDecrease: number;
  driftDetected: boolean;
}

/**
 * @example
 * const ph = new PageHinkley();
 * const x = Array.from({ length: 400 }, (_, i) => (i < 200 ? 0 : 5));
 * x.findIndex((v) => ph.update(v).driftDetected); // 210
 */
export class PageHinkley {
  private s: PageHinkleyState;
  constructor(options: PageHinkleyOptions = {}) {
    const o = {
      minInstances: 30,
      delta: 0.005,
      threshold: 50,
      alpha: 1 - 0.0001,
      mode: 'both' as const,
      ...options,
    };
    oneOf('Page–Hinkley mode', o.mode, PH_MODES);
    requireConfig(o.threshold > 0, `Page–Hinkley threshold must be > 0, got ${o.threshold}.`);
    this.s = PageHinkley.fresh(o);
  }
  private static fresh(options: Required<PageHinkleyOptions>): PageHinkleyState {
    return {
      kind: 'page-hinkley',
      options,
      n: 0,
      mean: 0,
      sumIncrease: 0,
      sumDecrease: 0,
      minIncrease: null,
      maxDecrease: -1,
      driftDetected: false,
    };
  }
  get driftDetected(): boolean {
    return this.s.driftDetected;
  }
  update(x: number): this {
    if (this.s.driftDetected) this.s = PageHinkley.fresh(this.s.options);
    const s = this.s;
    const o = s.options;
    s.n += 1;
    s.mean += (1 / s.n) * (x - s.mean);
    const dev = x - s.mean;
    s.sumIncrease = o.alpha * s.sumIncrease + dev - o.delta;
    s.sumDecrease = o.alpha * s.sumDecrease + dev + o.delta;
    if (s.minIncrease === null || s.sumIncrease < s.minIncrease) s.minIncrease = s.sumIncrease;
    if (s.sumDecrease > s.maxDecrease) s.maxDecrease = s.sumDecrease;
    if (s.n >= o.minInstances) {
      const up = s.sumIncrease - s.minIncrease;
      const down = s.maxDecrease - s.sumDecrease;
      s.driftDetected =
        o.mode === 'up'
          ? up > o.threshold
          : o.mode === 'down'
            ? down > o.threshold
            : up > o.threshold || down > o.threshold;
    }
    return this;
  }
  toJSON(): PageHinkleyState {
    return structuredClone(this.s);
  }
  static fromJSON(state: PageHinkleyState): PageHinkley {
    const d = new PageHinkley(state.options);
    d.s = structuredClone(state);
    return d;
  }
}
