// EDDM (Baena-García et al. 2006): tracks the distance between consecutive
// errors; when the mean distance plus two standard deviations falls below
// β = 0.9 of its maximum (after 30 errors), drift; below α = 0.95, warning.
// River's defaults and update order. Resets on the update after a drift.

import { requireConfig } from '../errors.ts';

export interface EddmOptions {
  warmStart?: number;
  alpha?: number;
  beta?: number;
}

export interface EddmState {
  kind: 'eddm';
  options: Required<EddmOptions>;
  n: number;
  lastError: number;
  nErrors: number;
  /** Welford state of the distances: count, mean, sum of squares. */
  dn: number;
  dMean: number;
  dS: number;
  p2sMax: number;
  warningDetected: boolean;
  driftDetected: boolean;
}

/**
 * @example
 * const d = new Eddm();
 * const errs = Array.from({ length: 3000 }, (_, i) => (i < 1500 ? (i % 20 === 0 ? 1 : 0) : i % 3 === 0 ? 1 : 0));
 * errs.findIndex((e) => d.update(e).driftDetected); // 600
 */
export class Eddm {
  private s: EddmState;
  constructor(options: EddmOptions = {}) {
    const o = { warmStart: 30, alpha: 0.95, beta: 0.9, ...options };
    requireConfig(o.alpha >= o.beta, "EDDM 'alpha' must be greater or equal to 'beta'.");
    this.s = Eddm.fresh(o);
  }
  private static fresh(options: Required<EddmOptions>): EddmState {
    return {
      kind: 'eddm',
      options,
      n: 0,
      lastError: 0,
      nErrors: 0,
      dn: 0,
      dMean: 0,
      dS: 0,
      p2sMax: -1,
      warningDetected: false,
      driftDetected: false,
    };
  }
  get driftDetected(): boolean {
    return this.s.driftDetected;
  }
  get warningDetected(): boolean {
    return this.s.warningDetected;
  }
  update(x: number): this {
    if (this.s.driftDetected) this.s = Eddm.fresh(this.s.options);
    const s = this.s;
    const o = s.options;
    s.n += 1;
    if (x === 1) {
      s.nErrors += 1;
      const d = s.n - s.lastError;
      const old = s.dMean;
      s.dn += 1;
      s.dMean += (1 / s.dn) * (d - s.dMean);
      s.dS += (d - old) * (d - s.dMean);
      if (s.n > o.warmStart) {
        const variance = s.dn > 1 ? s.dS / (s.dn - 1) : 0;
        const p2s = s.dMean + 2 * variance ** 0.5;
        if (p2s > s.p2sMax) s.p2sMax = p2s;
        else if (s.nErrors > o.warmStart) {
          const level = p2s / s.p2sMax;
          if (level < o.beta) s.driftDetected = true;
          else if (level < o.alpha) s.warningDetected = true;
          else s.warningDetected = false;
        }
      }
      s.lastError = s.n;
    }
    return this;
  }
  toJSON(): EddmState {
    return structuredClone(this.s);
  }
  static fromJSON(state: EddmState): Eddm {
    const d = new Eddm(state.options);
    d.s = structuredClone(state);
    return d;
  }
}
