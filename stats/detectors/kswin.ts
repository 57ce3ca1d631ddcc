// KSWIN (Raab et al. 2020): keeps the last `windowSize` values; on each update
// with a full window, compares the newest `statSize` values with `statSize`
// values drawn at random from the older part by a two-sample KS test, and
// flags drift when p ≤ α and D > 0.1 (then keeps only the newest values).
//
// Seed scheme: the draws are Python's `random.Random(seed).sample(...)`,
// reproduced bit for bit (python-random.ts), so for the same seed KSWIN flags
// drift at the same indices as River's. The KS p-value is ours (SciPy-exact).
// Like River, a drift resets the generator and window on the next update.

import { requireConfig } from '../errors.ts';
import { ks2samp } from '../ks.ts';
import { PythonRandom, type PythonRandomState } from './python-random.ts';

export interface KswinOptions {
  alpha?: number;
  windowSize?: number;
  statSize?: number;
  /** Required: an unseeded KSWIN could not be replayed from workflow state. */
  seed: number;
}

export interface KswinState {
  kind: 'kswin';
  options: Required<KswinOptions>;
  n: number;
  window: number[];
  rng: PythonRandomState;
  pValue: number;
  driftDetected: boolean;
}

/**
 * @example
 * const d = new Kswin({ seed: 1 });
 * const x = Array.from({ length: 600 }, (_, i) => (i < 300 ? (i * 37) % 101 : 200 + ((i * 37) % 101)) / 100);
 * x.findIndex((v) => d.update(v).driftDetected); // 312
 */
export class Kswin {
  private s: KswinState;
  private rng: PythonRandom;
  constructor(options: KswinOptions) {
    const o = { alpha: 0.005, windowSize: 100, statSize: 30, ...options };
    requireConfig(o.alpha >= 0 && o.alpha <= 1, 'KSWIN alpha must be between 0 and 1.');
    requireConfig(o.windowSize > 0, 'KSWIN windowSize must be greater than 0.');
    requireConfig(o.windowSize >= o.statSize, 'KSWIN statSize must be smaller than windowSize.');
    requireConfig(Number.isSafeInteger(o.seed), 'KSWIN needs an integer seed.');
    this.rng = new PythonRandom(o.seed);
    this.s = {
      kind: 'kswin',
      options: o,
      n: 0,
      window: [],
      rng: this.rng.getState(),
      pValue: 0,
      driftDetected: false,
    };
  }
  get driftDetected(): boolean {
    return this.s.driftDetected;
  }
  get pValue(): number {
    return this.s.pValue;
  }
  update(x: number): this {
    const o = this.s.options;
    if (this.s.driftDetected) {
      this.rng = new PythonRandom(o.seed);
      this.s = { ...this.s, n: 0, window: [], pValue: 0, driftDetected: false };
    }
    const s = this.s;
    s.n += 1;
    s.window.push(x);
    if (s.window.length > o.windowSize) s.window.shift();
    if (s.window.length >= o.windowSize) {
      const older = o.windowSize - o.statSize;
      const drawn = this.rng.sample(older, o.statSize).map((r) => s.window[r]!);
      const recent = s.window.slice(older, o.windowSize);
      const r = ks2samp(drawn, recent);
      s.pValue = r.pValue;
      if (r.pValue <= o.alpha && r.statistic > 0.1) {
        s.driftDetected = true;
        s.window = recent;
      } else {
        s.driftDetected = false;
      }
    } else {
      s.driftDetected = false;
    }
    return this;
  }
  toJSON(): KswinState {
    return { ...structuredClone(this.s), rng: this.rng.getState() };
  }
  static fromJSON(state: KswinState): Kswin {
    const d = new Kswin(state.options);
    d.s = structuredClone(state);
    d.rng = PythonRandom.fromState(state.rng);
    return d;
  }
}
