// DDM, the drift detection method of Gama et al. (2004), on a stream of 0/1
// errors: with p the running error rate and s = √(p(1−p)/n), it remembers
// the minimum of p + s after a warm start and warns at p + s > p_min + 2·s_min,
// flags drift at p + s > p_min + 3·s_min (River's defaults). Resets on the
// update after a drift.

import { requireConfig } from '../errors.ts';

export interface DdmOptions {
  warmStart?: number;
  warningThreshold?: number;
  driftThreshold?: number;
}

export interface DdmState {
  kind: 'ddm';
  options: Required<DdmOptions>;
  n: number;
  p: number;
  pMin: number | null;
  sMin: number | null;
  psMin: number | null; // null stands for +∞
  warningDetected: boolean;
  driftDetected: boolean;
}

/**
 * @example
 * const d = new Ddm();
 * const errs = Array.from({ length: 2000 }, (_, i) => (i < 1000 ? (i % 10 === 0 ? 1 : 0) : i % 2));
 * errs.findIndex((e) => d.update(e).driftDetected); // 1049
 */
export class Ddm {
  private s: DdmState;
  constructor(options: DdmOptions = {}) {
    const o = { warmStart: 30, warningThreshold: 2, driftThreshold: 3, ...options };
    requireConfig(o.driftThreshold >= o.warningThreshold, 'DDM driftThreshold must be ≥ warningThreshold.');
    this.s = Ddm.fresh(o);
  }
  private static fresh(options: Required<DdmOptions>): DdmState {
    return {
      kind: 'ddm',
      options,
      n: 0,
      p: 0,
      pMin: null,
      sMin: null,
      psMin: null,
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
    if (this.s.driftDetected) this.s = Ddm.fresh(this.s.options);
    const s = this.s;
    const o = s.options;
    s.n += 1;
    s.p += (1 / s.n) * (x - s.p);
    const si = Math.sqrt((s.p * (1 - s.p)) / s.n);
    if (s.n > o.warmStart) {
      if (s.psMin === null || s.p + si <= s.psMin) {
        s.pMin = s.p;
        s.sMin = si;
        s.psMin = s.pMin + s.sMin;
      }
      s.warningDetected = s.p + si > s.pMin! + o.warningThreshold * s.sMin!;
      if (s.p + si > s.pMin! + o.driftThreshold * s.sMin!) {
        s.driftDetected = true;
        s.warningDetected = false;
      }
    }
    return this;
  }
  toJSON(): DdmState {
    return structuredClone(this.s);
  }
  static fromJSON(state: DdmState): Ddm {
    const d = new Ddm(state.options);
    d.s = structuredClone(state);
    return d;
  }
}
