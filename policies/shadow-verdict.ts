// The shadow verdict: does the challenger do at least as well as the champion
// on the same production requests? Each comparison of the policy is decided
// statistically — a paired bootstrap interval of the difference (seeded, so
// the same samples always give the same verdict), McNemar for accuracy — and
// never by comparing two bare numbers. Too few samples is inconclusive,
// never a pass.
//
// Decision rule, with d = the challenger's improvement over the champion
// (challenger − champion, or the reverse for lower-is-better metrics) and
// [lo, hi] its interval at the comparison's confidence:
//   notWorse: pass when lo ≥ −margin; fail when hi < −margin; else inconclusive
//   better:   pass when lo ≥ margin;  fail when hi < margin;  else inconclusive
import { latencyQuantiles, mannWhitneyU, mcnemar, pairedBootstrap } from '../stats/index.ts';
import { SHADOW_METRICS_LOWER_IS_BETTER } from './schema/lifecycle.ts';
import type { Policy } from './schema/policy.ts';

export type ShadowComparison = NonNullable<Policy['shadow']>['compare'][number];

/** One production request scored by both models. */
export interface PairedSample {
  readonly id: string;
  /** Unix milliseconds of the original request. */
  readonly at: number;
  readonly champion: string;
  /** null: the challenger could not score it (error or timeout). */
  readonly challenger: string | null;
  readonly label?: string;
  readonly championLatencyMs?: number;
  readonly challengerLatencyMs?: number;
}

export type ComparisonStatus = 'pass' | 'fail' | 'inconclusive';

export interface ComparisonResult {
  readonly metric: string;
  readonly mustBe: 'notWorse' | 'better';
  readonly margin: number;
  readonly confidence: number;
  readonly higherIsBetter: boolean;
  readonly status: ComparisonStatus;
  readonly champion: number | null;
  readonly challenger: number | null;
  /** The challenger's improvement (positive is better), with its interval. */
  readonly improvement: { readonly estimate: number; readonly lower: number; readonly upper: number } | null;
  readonly samples: number;
  readonly pValue?: number;
  /** In words. */
  readonly explanation: string;
}

export interface ShadowVerdict {
  readonly verdict: ComparisonStatus;
  readonly comparisons: readonly ComparisonResult[];
  readonly samples: { readonly scored: number; readonly failed: number; readonly labelled: number };
  readonly summary: string;
}

const fmt = (x: number) => (Number.isInteger(x) ? String(x) : String(Number(x.toPrecision(4))));

type Rows = readonly number[];

/** Per-metric computations over row indices (of the samples the metric can use). */
interface MetricDefinition {
  readonly needsLabels: boolean;
  readonly higherIsBetter: boolean;
  readonly rows: (samples: readonly PairedSample[]) => PairedSample[];
  readonly champion: (samples: readonly PairedSample[], rows: Rows) => number;
  readonly challenger: (samples: readonly PairedSample[], rows: Rows) => number;
}

const share = (rows: Rows, hit: (i: number) => boolean) => {
  let n = 0;
  for (const i of rows) if (hit(i)) n++;
  return rows.length === 0 ? Number.NaN : n / rows.length;
};

/** Macro-averaged precision, recall or F1 of one model's predictions on the rows. */
function macro(
  kind: 'precision' | 'recall' | 'f1',
  predict: (i: number) => string,
  label: (i: number) => string,
  rows: Rows,
): number {
  const classes = new Set<string>();
  for (const i of rows) classes.add(label(i));
  let sum = 0;
  for (const c of classes) {
    let tp = 0;
    let fp = 0;
    let fn = 0;
    for (const i of rows) {
      const p = predict(i) === c;
      const y = label(i) === c;
      if (p && y) tp++;
      else if (p) fp++;
      else if (y) fn++;
    }
    const precision = tp + fp === 0 ? 0 : tp / (tp + fp);
    const recall = tp + fn === 0 ? 0 : tp / (tp + fn);
    sum +=
      kind === 'precision'
        ? precision
        : kind === 'recall'
          ? recall
          : precision + recall === 0
            ? 0
            : (2 * precision * recall) / (precision + recall);
  }
  return classes.size === 0 ? Number.NaN : sum / classes.size;
}

const quantileOf =
  (q: number, pick: (s: PairedSample) => number | undefined) =>
  (samples: readonly PairedSample[], rows: Rows) => {
    const values = rows
      .map((i) => pick(samples[i]!))
      .filter((v): v is number => v !== undefined && Number.isFinite(v));
    return values.length === 0 ? Number.NaN : latencyQuantiles(values, [q])[0]!;
  };

const labelled = (samples: readonly PairedSample[]) =>
  samples.filter((s) => s.label !== undefined && s.challenger !== null);
const scored = (samples: readonly PairedSample[]) => samples.filter((s) => s.challenger !== null);

function definition(metric: string): MetricDefinition | undefined {
  const classification = (kind: 'precision' | 'recall' | 'f1'): MetricDefinition => ({
    needsLabels: true,
    higherIsBetter: true,
    rows: labelled,
    champion: (s, rows) =>
      macro(
        kind,
        (i) => s[i]!.champion,
        (i) => s[i]!.label!,
        rows,
      ),
    challenger: (s, rows) =>
      macro(
        kind,
        (i) => s[i]!.challenger!,
        (i) => s[i]!.label!,
        rows,
      ),
  });
  const latency = (q: number): MetricDefinition => ({
    needsLabels: false,
    higherIsBetter: false,
    rows: (s) =>
      scored(s).filter((x) => x.championLatencyMs !== undefined && x.challengerLatencyMs !== undefined),
    champion: quantileOf(q, (x) => x.championLatencyMs),
    challenger: quantileOf(q, (x) => x.challengerLatencyMs),
  });
  switch (metric) {
    case 'accuracy':
      return {
        needsLabels: true,
        higherIsBetter: true,
        rows: labelled,
        champion: (s, rows) => share(rows, (i) => s[i]!.champion === s[i]!.label),
        challenger: (s, rows) => share(rows, (i) => s[i]!.challenger === s[i]!.label),
      };
    case 'precision':
    case 'recall':
    case 'f1':
      return classification(metric);
    case 'agreement':
      // The champion agrees with itself: the question is how far the challenger departs from it.
      return {
        needsLabels: false,
        higherIsBetter: true,
        rows: scored,
        champion: () => 1,
        challenger: (s, rows) => share(rows, (i) => s[i]!.challenger === s[i]!.champion),
      };
    case 'error_rate':
      return {
        needsLabels: false,
        higherIsBetter: false,
        rows: (s) => [...s],
        champion: () => 0,
        challenger: (s, rows) => share(rows, (i) => s[i]!.challenger === null),
      };
    case 'latency_p50':
      return latency(0.5);
    case 'latency_p95':
      return latency(0.95);
    case 'latency_p99':
      return latency(0.99);
    default:
      return undefined;
  }
}

function decide(
  mustBe: 'notWorse' | 'better',
  margin: number,
  lower: number,
  upper: number,
): ComparisonStatus {
  const bound = mustBe === 'notWorse' ? -margin : margin;
  if (lower >= bound) return 'pass';
  if (upper < bound) return 'fail';
  return 'inconclusive';
}

export function compareOne(
  comparison: ShadowComparison,
  samples: readonly PairedSample[],
  minSamples: number,
  seed = 1,
): ComparisonResult {
  const base = {
    metric: comparison.metric,
    mustBe: comparison.mustBe,
    margin: comparison.margin,
    confidence: comparison.confidence,
  };
  const def = definition(comparison.metric);
  const higherIsBetter =
    comparison.higherIsBetter ??
    (def ? def.higherIsBetter : !SHADOW_METRICS_LOWER_IS_BETTER.includes(comparison.metric));
  const none = (explanation: string, n = 0): ComparisonResult => ({
    ...base,
    higherIsBetter,
    status: 'inconclusive',
    champion: null,
    challenger: null,
    improvement: null,
    samples: n,
    explanation,
  });
  if (!def)
    return none(
      `${comparison.metric} cannot be computed from replayed requests (replay computes accuracy, precision, recall, f1, agreement, error_rate, latency_p50/p95/p99)`,
    );
  const rows = def.rows(samples);
  if (rows.length < minSamples) {
    return none(
      `${comparison.metric}: ${rows.length} ${def.needsLabels ? 'labelled ' : ''}paired samples, fewer than the ${minSamples} needed`,
      rows.length,
    );
  }
  const all = rows.map((_, i) => i);
  const champion = def.champion(rows, all);
  const challenger = def.challenger(rows, all);
  const sign = higherIsBetter ? 1 : -1;
  let interval: { estimate: number; lower: number; upper: number };
  try {
    const boot = pairedBootstrap(
      rows.length,
      (idx) => sign * def.challenger(rows, idx),
      (idx) => sign * def.champion(rows, idx),
      { seed, resamples: 1000, confidence: comparison.confidence },
    );
    interval = { estimate: boot.estimate, lower: boot.lower, upper: boot.upper };
  } catch (error) {
    return none(`${comparison.metric}: ${(error as Error).message}`, rows.length);
  }
  const status = decide(comparison.mustBe, comparison.margin, interval.lower, interval.upper);
  let pValue: number | undefined;
  if (comparison.metric === 'accuracy') {
    let b = 0;
    let c = 0;
    for (const s of rows) {
      const championRight = s.champion === s.label;
      const challengerRight = s.challenger === s.label;
      if (championRight && !challengerRight) b++;
      else if (!championRight && challengerRight) c++;
    }
    pValue = mcnemar(b, c).midP;
  } else if (comparison.metric.startsWith('latency_')) {
    // The rank test beside the quantile's interval: are the challenger's latencies larger, whatever their shape?
    const ofRows = (pick: (s: PairedSample) => number | undefined) =>
      rows.map(pick).filter((v): v is number => v !== undefined && Number.isFinite(v));
    pValue = mannWhitneyU(
      ofRows((s) => s.challengerLatencyMs),
      ofRows((s) => s.championLatencyMs),
      { alternative: 'greater' },
    ).pValue;
  }
  const pct = `${Math.round(comparison.confidence * 100)}%`;
  const need =
    comparison.mustBe === 'notWorse'
      ? `not worse than the champion by more than ${fmt(comparison.margin)}`
      : `better than the champion by at least ${fmt(comparison.margin)}`;
  const explanation =
    `${comparison.metric}: challenger ${fmt(challenger)} vs champion ${fmt(champion)} on ${rows.length} paired samples; ` +
    `improvement ${fmt(interval.estimate)} (${pct} interval ${fmt(interval.lower)} … ${fmt(interval.upper)})` +
    (pValue !== undefined
      ? comparison.metric === 'accuracy'
        ? `, McNemar mid-p ${fmt(pValue)}`
        : `, Mann–Whitney p ${fmt(pValue)} that the challenger is slower`
      : '') +
    `; must be ${need}: ${status}`;
  return {
    ...base,
    higherIsBetter,
    status,
    champion,
    challenger,
    improvement: interval,
    samples: rows.length,
    ...(pValue !== undefined ? { pValue } : {}),
    explanation,
  };
}

/** The verdict over every comparison: fail if any fails, pass if all pass, else inconclusive. */
export function shadowVerdict(
  comparisons: readonly ShadowComparison[],
  samples: readonly PairedSample[],
  minSamples: number,
  seed = 1,
): ShadowVerdict {
  // A fixed order makes the bootstrap — and so the verdict — independent of how the samples were gathered.
  const ordered = [...samples].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const results = comparisons.map((c) => compareOne(c, ordered, minSamples, seed));
  const verdict: ComparisonStatus = results.some((r) => r.status === 'fail')
    ? 'fail'
    : results.every((r) => r.status === 'pass')
      ? 'pass'
      : 'inconclusive';
  const counts = {
    scored: samples.filter((s) => s.challenger !== null).length,
    failed: samples.filter((s) => s.challenger === null).length,
    labelled: samples.filter((s) => s.label !== undefined).length,
  };
  const failing = results.filter((r) => r.status !== 'pass');
  const summary =
    verdict === 'pass'
      ? `challenger passes: ${results.map((r) => r.explanation).join('; ')}`
      : `${verdict === 'fail' ? 'challenger fails' : 'inconclusive'}: ${failing.map((r) => r.explanation).join('; ')}`;
  return { verdict, comparisons: results, samples: counts, summary };
}

/** Mirror mode: one metric measured for both versions at the same instants. */
export interface PairedSeries {
  readonly metric: string;
  /** [champion, challenger] per instant; instants where either is missing are left out. */
  readonly points: ReadonlyArray<readonly [number, number]>;
  /** Why there are no points (a query failed), when there are none. */
  readonly error?: string;
}

/** Fewer instants than this cannot give a meaningful interval. */
export const MIN_MIRROR_POINTS = 10;

/**
 * Mirror mode: each comparison's per-version series, paired by instant; the
 * improvement's interval is a paired bootstrap of the mean difference.
 */
export function mirrorVerdict(
  comparisons: readonly ShadowComparison[],
  series: readonly PairedSeries[],
  seed = 1,
): ShadowVerdict {
  const results = comparisons.map((comparison, i): ComparisonResult => {
    const s = series[i];
    const higherIsBetter =
      comparison.higherIsBetter ?? !SHADOW_METRICS_LOWER_IS_BETTER.includes(comparison.metric);
    const base = {
      metric: comparison.metric,
      mustBe: comparison.mustBe,
      margin: comparison.margin,
      confidence: comparison.confidence,
      higherIsBetter,
    };
    const points = s?.points ?? [];
    if (points.length < MIN_MIRROR_POINTS) {
      return {
        ...base,
        status: 'inconclusive',
        champion: null,
        challenger: null,
        improvement: null,
        samples: points.length,
        explanation: s?.error
          ? `${comparison.metric}: ${s.error}`
          : `${comparison.metric}: ${points.length} instants with both versions measured, fewer than the ${MIN_MIRROR_POINTS} needed`,
      };
    }
    const mean = (idx: readonly number[], k: 0 | 1) =>
      idx.reduce((sum, j) => sum + points[j]![k], 0) / idx.length;
    const sign = higherIsBetter ? 1 : -1;
    const boot = pairedBootstrap(
      points.length,
      (idx) => sign * mean(idx, 1),
      (idx) => sign * mean(idx, 0),
      {
        seed,
        resamples: 1000,
        confidence: comparison.confidence,
      },
    );
    const all = points.map((_, j) => j);
    const status = decide(comparison.mustBe, comparison.margin, boot.lower, boot.upper);
    return {
      ...base,
      status,
      champion: mean(all, 0),
      challenger: mean(all, 1),
      improvement: { estimate: boot.estimate, lower: boot.lower, upper: boot.upper },
      samples: points.length,
      explanation:
        `${comparison.metric}: challenger mean ${fmt(mean(all, 1))} vs champion ${fmt(mean(all, 0))} over ${points.length} instants; ` +
        `improvement ${fmt(boot.estimate)} (${Math.round(comparison.confidence * 100)}% interval ${fmt(boot.lower)} … ${fmt(boot.upper)}): ${status}`,
    };
  });
  const verdict: ComparisonStatus = results.some((r) => r.status === 'fail')
    ? 'fail'
    : results.every((r) => r.status === 'pass')
      ? 'pass'
      : 'inconclusive';
  const points = results.reduce((n, r) => Math.max(n, r.samples), 0);
  return {
    verdict,
    comparisons: results,
    samples: { scored: points, failed: 0, labelled: 0 },
    summary: `${verdict === 'pass' ? 'challenger passes' : verdict === 'fail' ? 'challenger fails' : 'inconclusive'}: ${results.map((r) => r.explanation).join('; ')}`,
  };
}
