// ADWIN (Bifet & Gavaldà 2007), River's variant: an adaptive window kept as
// exponential histograms of buckets (at most `maxBuckets` per size 2^i);
// every `clock` updates, every cut into an older W0 and a newer W1 is tested,
// and when |μ0 − μ1| exceeds ε_cut the oldest bucket is dropped, repeatedly.
// As in River, the detector starts afresh on the update after a detection.
// The arithmetic follows River 0.26 (its Rust ADWIN) operation for operation, so drift is flagged at
// the same indices (checked in test/unit/stats/detectors.test.ts).

import { requireConfig } from '../errors.ts';

export interface AdwinOptions {
  delta?: number;
  clock?: number;
  maxBuckets?: number;
  minWindowLength?: number;
  gracePeriod?: number;
}

export interface AdwinState {
  kind: 'adwin';
  options: Required<AdwinOptions>;
  /** Rows of buckets: row i holds buckets of 2^i elements (totals, variances), oldest first. */
  rows: { totals: number[]; variances: number[] }[];
  total: number;
  variance: number;
  width: number;
  tick: number;
  nDetections: number;
  driftDetected: boolean;
}

/**
 * @example
 * const d = new Adwin();
 * const x = [];
 * for (let i = 0; i < 2000; i++) x.push(i < 1000 ? (i % 7) / 7 : 4 + (i % 5));
 * x.findIndex((v) => d.update(v).driftDetected); // 1023
 */
export class Adwin {
  private s: AdwinState;

  constructor(options: AdwinOptions = {}) {
    const o = { delta: 0.002, clock: 32, maxBuckets: 5, minWindowLength: 5, gracePeriod: 10, ...options };
    requireConfig(o.delta > 0 && o.delta < 1, `ADWIN delta must be in (0, 1), got ${o.delta}.`);
    requireConfig(
      Number.isInteger(o.clock) && o.clock >= 1,
      `ADWIN clock must be a positive integer, got ${o.clock}.`,
    );
    requireConfig(
      Number.isInteger(o.maxBuckets) && o.maxBuckets >= 1,
      `ADWIN maxBuckets must be ≥ 1, got ${o.maxBuckets}.`,
    );
    this.s = Adwin.fresh(o, 0);
  }

  private static fresh(options: Required<AdwinOptions>, nDetections: number): AdwinState {
    return {
      kind: 'adwin',
      options,
      rows: [{ totals: [], variances: [] }],
      total: 0,
      variance: 0,
      width: 0,
      tick: 0,
      nDetections,
      driftDetected: false,
    };
  }

  get driftDetected(): boolean {
    return this.s.driftDetected;
  }
  get width(): number {
    return this.s.width;
  }
  /** Mean of the current window. */
  get estimation(): number {
    return this.s.width === 0 ? 0 : this.s.total / this.s.width;
  }

  update(x: number): this {
    if (this.s.driftDetected) this.s = Adwin.fresh(this.s.options, this.s.nDetections);
    this.insert(x);
    this.s.driftDetected = this.detect();
    return this;
  }

  private insert(value: number): void {
    const s = this.s;
    s.rows[0]!.totals.push(value);
    s.rows[0]!.variances.push(0);
    s.width += 1;
    let inc = 0;
    if (s.width > 1) {
      inc = ((s.width - 1) * (value - s.total / (s.width - 1)) * (value - s.total / (s.width - 1))) / s.width;
    }
    s.variance += inc;
    s.total += value;
    this.compress();
  }

  private compress(): void {
    const s = this.s;
    for (let idx = 0; idx < s.rows.length; idx++) {
      const row = s.rows[idx]!;
      if (row.totals.length !== s.options.maxBuckets + 1) break;
      if (idx + 1 >= s.rows.length) s.rows.push({ totals: [], variances: [] });
      const next = s.rows[idx + 1]!;
      const n1 = 2 ** idx;
      const mu1 = row.totals[0]! / n1;
      const mu2 = row.totals[1]! / n1;
      const total12 = row.totals[0]! + row.totals[1]!;
      // n1·n2/(n1+n2) with n1 = n2, written as River writes it (rounding matters).
      const temp = n1 * 0.5 * (mu1 - mu2) * (mu1 - mu2);
      const v12 = row.variances[0]! + row.variances[1]! + temp;
      next.totals.push(total12);
      next.variances.push(v12);
      row.totals.splice(0, 2);
      row.variances.splice(0, 2);
      if (next.totals.length <= s.options.maxBuckets) break;
    }
  }

  private deleteOldest(): number {
    const s = this.s;
    const last = s.rows.length - 1;
    const row = s.rows[last]!;
    const n = 2 ** last;
    const u = row.totals[0]!;
    const mu = u / n;
    const v = row.variances[0]!;
    s.width -= n;
    s.total -= u;
    const muWindow = s.total / s.width;
    s.variance -= v + (n * s.width * (mu - muWindow) * (mu - muWindow)) / (n + s.width);
    row.totals.shift();
    row.variances.shift();
    if (row.totals.length === 0) s.rows.pop();
    return n;
  }

  private cut(n0: number, n1: number, deltaMean: number): boolean {
    const s = this.s;
    const o = s.options;
    const deltaPrime = Math.log((2 * Math.log(s.width)) / o.delta);
    const mRecip = 1 / (n0 - o.minWindowLength + 1) + 1 / (n1 - o.minWindowLength + 1);
    const epsilon =
      Math.sqrt(2 * mRecip * (s.variance / s.width) * deltaPrime) + (2 / 3) * deltaPrime * mRecip;
    return Math.abs(deltaMean) > epsilon;
  }

  private detect(): boolean {
    const s = this.s;
    const o = s.options;
    let changed = false;
    s.tick += 1;
    if (s.tick % o.clock === 0 && s.width > o.gracePeriod) {
      let reduce = true;
      while (reduce) {
        reduce = false;
        let exit = false;
        let n0 = 0;
        let n1 = s.width;
        let u0 = 0;
        let u1 = s.total;
        for (let idx = s.rows.length - 1; idx >= 0 && !exit; idx--) {
          const row = s.rows[idx]!;
          const size = 2 ** idx;
          const len = row.totals.length;
          for (let k = 0; k < len; k++) {
            n0 += size;
            n1 -= size;
            u0 += row.totals[k]!;
            u1 -= row.totals[k]!;
            // The newest bucket closes the scan: W1 would be empty.
            if (idx === 0 && k === len - 1) {
              exit = true;
              break;
            }
            const deltaMean = u0 / n0 - u1 / n1;
            if (n1 >= o.minWindowLength && n0 >= o.minWindowLength && this.cut(n0, n1, deltaMean)) {
              reduce = true;
              changed = true;
              if (s.width > 0) {
                // Drop the oldest bucket and rescan from the start.
                this.deleteOldest();
                exit = true;
                break;
              }
            }
          }
        }
      }
    }
    if (changed) s.nDetections += 1;
    return changed;
  }

  toJSON(): AdwinState {
    return structuredClone(this.s);
  }

  static fromJSON(state: AdwinState): Adwin {
    const d = new Adwin(state.options);
    d.s = structuredClone(state);
    return d;
  }
}
