// Streaming column summaries for windows too large to hold: fed chunk by
// chunk (by the S3/SQL readers), merged exactly, serialisable to JSON.
//   NumericSummary: count, missing, min, max, mean and M2 (Chan et al.'s
//     parallel update), and a relative-error quantile sketch (DDSketch,
//     Masson et al. 2019): values fall in log-spaced buckets γ^(i−1) < |x| ≤ γ^i
//     with γ = (1+α)/(1−α), so any quantile is returned within a relative α,
//     and two sketches merge by adding bucket counts — order-independent.
//   CategorySummary: counts per category and missing.
// From two summaries, binned shares for PSI/JS/KL (`sketchShares`).

import { requireConfig, StatsInputError } from './errors.ts';

export interface QuantileSketchState {
  alpha: number;
  zeros: number;
  positive: Record<string, number>;
  negative: Record<string, number>;
}

export class QuantileSketch {
  readonly alpha: number;
  private readonly logGamma: number;
  private zeros = 0;
  private pos = new Map<number, number>();
  private neg = new Map<number, number>();

  constructor(alpha = 0.01) {
    requireConfig(alpha > 0 && alpha < 1, `sketch alpha must be in (0, 1), got ${alpha}.`);
    this.alpha = alpha;
    this.logGamma = Math.log((1 + alpha) / (1 - alpha));
  }

  get count(): number {
    let n = this.zeros;
    for (const c of this.pos.values()) n += c;
    for (const c of this.neg.values()) n += c;
    return n;
  }

  private index(x: number): number {
    return Math.ceil(Math.log(x) / this.logGamma);
  }

  add(x: number): void {
    if (!Number.isFinite(x)) return;
    // Values below 1e-300 in magnitude count as zero (the log would overflow the index range).
    if (Math.abs(x) < 1e-300) this.zeros++;
    else if (x > 0) {
      const i = this.index(x);
      this.pos.set(i, (this.pos.get(i) ?? 0) + 1);
    } else {
      const i = this.index(-x);
      this.neg.set(i, (this.neg.get(i) ?? 0) + 1);
    }
  }

  merge(other: QuantileSketch): this {
    requireConfig(other.alpha === this.alpha, 'cannot merge sketches with different alpha.');
    this.zeros += other.zeros;
    for (const [i, c] of other.pos) this.pos.set(i, (this.pos.get(i) ?? 0) + c);
    for (const [i, c] of other.neg) this.neg.set(i, (this.neg.get(i) ?? 0) + c);
    return this;
  }

  private value(i: number): number {
    return (2 * Math.exp(i * this.logGamma)) / (Math.exp(this.logGamma) + 1);
  }

  /**
   * The value of rank ⌊q·(n−1)⌋ (lower quantile), within relative α.
   *
   * @example
   * const s = new QuantileSketch(0.01);
   * for (let i = 1; i <= 1000; i++) s.add(i);
   * Math.abs(s.quantile(0.5) - 500) / 500 <= 0.01; // true
   */
  quantile(q: number): number {
    const n = this.count;
    if (n === 0) throw new StatsInputError('empty-window', 'the sketch is empty.');
    const rank = Math.floor(q * (n - 1));
    let seen = 0;
    const negKeys = [...this.neg.keys()].sort((a, b) => b - a);
    for (const i of negKeys) {
      seen += this.neg.get(i)!;
      if (seen > rank) return -this.value(i);
    }
    seen += this.zeros;
    if (seen > rank) return 0;
    const posKeys = [...this.pos.keys()].sort((a, b) => a - b);
    for (const i of posKeys) {
      seen += this.pos.get(i)!;
      if (seen > rank) return this.value(i);
    }
    return this.value(posKeys[posKeys.length - 1]!);
  }

  /** Count of values ≤ x, to within the bucket containing x. */
  rankOf(x: number): number {
    let r = 0;
    for (const [i, c] of this.neg) if (-this.value(i) <= x) r += c;
    if (x >= 0) r += this.zeros;
    for (const [i, c] of this.pos) if (this.value(i) <= x) r += c;
    return r;
  }

  toJSON(): QuantileSketchState {
    return {
      alpha: this.alpha,
      zeros: this.zeros,
      positive: Object.fromEntries(this.pos),
      negative: Object.fromEntries(this.neg),
    };
  }

  static fromJSON(s: QuantileSketchState): QuantileSketch {
    const q = new QuantileSketch(s.alpha);
    q.zeros = s.zeros;
    for (const [k, v] of Object.entries(s.positive)) q.pos.set(Number(k), v);
    for (const [k, v] of Object.entries(s.negative)) q.neg.set(Number(k), v);
    return q;
  }
}

export interface NumericSummaryState {
  kind: 'numeric';
  count: number;
  missing: number;
  min: number | null;
  max: number | null;
  mean: number;
  m2: number;
  sketch: QuantileSketchState;
}

/**
 * Mergeable summary of a numeric column.
 *
 * @example
 * const a = new NumericSummary().addAll([1, 2, Number.NaN]);
 * const b = new NumericSummary().addAll([3, 4]);
 * const m = a.merge(b);
 * [m.count, m.missing, m.mean, m.variance]; // [4, 1, 2.5, 1.25]
 */
export class NumericSummary {
  count = 0;
  missing = 0;
  min = Number.POSITIVE_INFINITY;
  max = Number.NEGATIVE_INFINITY;
  mean = 0;
  m2 = 0;
  readonly sketch: QuantileSketch;

  constructor(alpha = 0.01) {
    this.sketch = new QuantileSketch(alpha);
  }

  add(x: number): this {
    if (!Number.isFinite(x)) {
      this.missing++;
      return this;
    }
    this.count++;
    const d = x - this.mean;
    this.mean += d / this.count;
    this.m2 += d * (x - this.mean);
    if (x < this.min) this.min = x;
    if (x > this.max) this.max = x;
    this.sketch.add(x);
    return this;
  }

  addAll(xs: ArrayLike<number>): this {
    for (let i = 0; i < xs.length; i++) this.add(xs[i]!);
    return this;
  }

  /** Population variance (ddof 0), like NumPy's default. */
  get variance(): number {
    return this.count ? this.m2 / this.count : Number.NaN;
  }

  merge(o: NumericSummary): this {
    const n = this.count + o.count;
    if (o.count > 0) {
      const d = o.mean - this.mean;
      this.m2 += o.m2 + (d * d * this.count * o.count) / n;
      this.mean += (d * o.count) / n;
    }
    this.count = n;
    this.missing += o.missing;
    this.min = Math.min(this.min, o.min);
    this.max = Math.max(this.max, o.max);
    this.sketch.merge(o.sketch);
    return this;
  }

  toJSON(): NumericSummaryState {
    return {
      kind: 'numeric',
      count: this.count,
      missing: this.missing,
      min: Number.isFinite(this.min) ? this.min : null,
      max: Number.isFinite(this.max) ? this.max : null,
      mean: this.mean,
      m2: this.m2,
      sketch: this.sketch.toJSON(),
    };
  }

  static fromJSON(s: NumericSummaryState): NumericSummary {
    const r = new NumericSummary(s.sketch.alpha);
    Object.assign(r, {
      count: s.count,
      missing: s.missing,
      min: s.min ?? Number.POSITIVE_INFINITY,
      max: s.max ?? Number.NEGATIVE_INFINITY,
      mean: s.mean,
      m2: s.m2,
    });
    r.sketch.merge(QuantileSketch.fromJSON(s.sketch));
    return r;
  }
}

export interface CategorySummaryState {
  kind: 'categorical';
  counts: Record<string, number>;
  missing: number;
}

/** Mergeable category counts. */
export class CategorySummary {
  counts = new Map<string, number>();
  missing = 0;
  add(v: string | null): this {
    if (v === null) this.missing++;
    else this.counts.set(v, (this.counts.get(v) ?? 0) + 1);
    return this;
  }
  addAll(vs: readonly (string | null)[]): this {
    for (const v of vs) this.add(v);
    return this;
  }
  get count(): number {
    let n = 0;
    for (const c of this.counts.values()) n += c;
    return n;
  }
  merge(o: CategorySummary): this {
    for (const [k, c] of o.counts) this.counts.set(k, (this.counts.get(k) ?? 0) + c);
    this.missing += o.missing;
    return this;
  }
  toJSON(): CategorySummaryState {
    return { kind: 'categorical', counts: Object.fromEntries(this.counts), missing: this.missing };
  }
  static fromJSON(s: CategorySummaryState): CategorySummary {
    const r = new CategorySummary();
    for (const [k, v] of Object.entries(s.counts)) r.counts.set(k, v);
    r.missing = s.missing;
    return r;
  }
}

/**
 * Shares of two numeric summaries over bins cut at the reference sketch's
 * k-quantiles (±∞ outer edges) — the input PSI/JS/KL need, without the raw
 * windows. Empty bins get Evidently's epsilon rule (see binning.ts).
 */
export function sketchShares(reference: NumericSummary, current: NumericSummary, k = 10) {
  const inner: number[] = [];
  for (let j = 1; j < k; j++) {
    const q = reference.sketch.quantile(j / k);
    if (inner.length === 0 || q > inner[inner.length - 1]!) inner.push(q);
  }
  const shares = (s: NumericSummary) => {
    const ranks = inner.map((e) => s.sketch.rankOf(e));
    const counts = [...ranks, s.count].map((r, i) => r - (i === 0 ? 0 : ranks[i - 1]!));
    return Float64Array.from(counts, (c) => c / s.count);
  };
  return { edges: inner, reference: shares(reference), current: shares(current) };
}
