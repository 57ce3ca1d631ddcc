// One measurement → one verdict: ok, breach, inconclusive or error, with the
// reason. This is the single place that decides what a number means, after
// Argo Rollouts' `analysis` package; every edge case is spelled out below.
// The evaluator never looks at a raw measurement again.

import { describeDetector } from './detector-objective.ts';
import { DRIFT_TESTS } from './drift-tests.ts';
import { durationMs } from './duration.ts';
import type { Measurement, Outcome } from './measurement.ts';
import { fmt } from './number-format.ts';
import { type Metric, type ProviderKind, providerOf } from './schema/metrics.ts';
import type { Policy } from './schema/policy.ts';

export type Phase = 'ok' | 'breach' | 'inconclusive' | 'error';

export interface MetricVerdict {
  readonly metric: string;
  readonly provider: ProviderKind;
  readonly phase: Phase;
  /** Why, in words: "0.871 is below min 0.92", "no data: empty result". */
  readonly reason: string;
  /** The measured value, present whenever the provider gave a finite one (even if it was not usable). */
  readonly value?: number;
  /** The value may be used in conditions: the phase is ok or breach and it is a real measurement. */
  readonly decided: boolean;
  /** The source answered without usable data (empty, NaN/Inf, stale, too few samples). */
  readonly noData: boolean;
  readonly samples?: number;
  readonly baseline?: number;
  readonly lower?: number;
  readonly upper?: number;
  readonly test?: string;
  /** The objective in words: "min 0.92", "p ≤ 0.05 (ks)", "within mean ± 3σ = [0.81, 0.93]". */
  readonly objective?: string;
  readonly query?: string;
  readonly inputs?: Readonly<Record<string, string | number | boolean>>;
  readonly takenAt?: string;
}

/** A number short enough to read and exact enough to check: 6 significant digits. */
/** Why a value is not finite, where the query says; nothing is guessed for a series that is NaN itself. */
function nonFiniteCause(value: string, query: string | undefined): string {
  if (query === undefined || !/\//.test(query)) return ' (the series itself has that value)';
  return value === 'NaN'
    ? ' (0/0 in its division: typically no traffic in the window)'
    : ' (a division by zero in the query)';
}

/** Clock skew tolerated before a measurement "from the future" is refused. */
const FUTURE_SKEW_MS = 5 * 60_000;

type Base = Pick<MetricVerdict, 'metric' | 'provider' | 'query' | 'inputs' | 'takenAt'>;

/**
 * What every verdict of one classification shares. The helpers below are
 * module-level functions building objects of one fixed shape (absent fields
 * are `undefined`, which JSON drops): classify runs for every metric of every
 * evaluation, and per-call closures and object spreads were most of its cost.
 */
interface Ctx {
  readonly base: Base;
  readonly onNoData: 'inconclusive' | 'breach' | 'ok';
  readonly onError: 'error' | 'breach';
  readonly value?: number | undefined;
  readonly samples?: number | undefined;
}

interface Extra {
  readonly baseline?: number;
  readonly lower?: number;
  readonly upper?: number;
  readonly test?: string;
  readonly objective?: string;
}

function make(
  c: Ctx,
  phase: Phase,
  decided: boolean,
  noData: boolean,
  reason: string,
  x?: Extra,
): MetricVerdict {
  return {
    metric: c.base.metric,
    provider: c.base.provider,
    phase,
    reason,
    value: c.value,
    decided,
    noData,
    samples: c.samples,
    baseline: x?.baseline,
    lower: x?.lower,
    upper: x?.upper,
    test: x?.test,
    objective: x?.objective,
    query: c.base.query,
    inputs: c.base.inputs,
    takenAt: c.base.takenAt,
  };
}

function errorVerdict(c: Ctx, reason: string): MetricVerdict {
  // Errors never act unless the policy opted in with onError: breach.
  return c.onError === 'breach'
    ? make(c, 'breach', false, false, `${reason} (onError: breach)`)
    : make(c, 'error', false, false, reason);
}

function missingVerdict(c: Ctx, reason: string): MetricVerdict {
  // The policy says what absent data means; the default, inconclusive, never acts.
  if (c.onNoData === 'breach') return make(c, 'breach', false, true, `${reason} (onNoData: breach)`);
  if (c.onNoData === 'ok') return make(c, 'ok', false, true, `${reason} (onNoData: ok)`);
  return make(c, 'inconclusive', false, true, reason);
}

const measured = (c: Ctx, phase: Phase, decided: boolean, reason: string, extra?: Extra) =>
  make(c, phase, decided, false, reason, extra);
const okVerdict = (c: Ctx, reason: string, extra?: Partial<MetricVerdict>) =>
  measured(c, 'ok', true, reason, extra);
const breachVerdict = (c: Ctx, reason: string, extra?: Partial<MetricVerdict>) =>
  measured(c, 'breach', true, reason, extra);
const undecidedVerdict = (c: Ctx, reason: string, extra?: Partial<MetricVerdict>) =>
  measured(c, 'inconclusive', false, reason, extra);

export function classify(
  name: string,
  spec: Metric,
  m: Measurement | undefined,
  policy: Policy,
  nowMs: number,
): MetricVerdict {
  const provider = providerOf(spec);
  const base: Base = {
    metric: name,
    provider,
    query: m?.source.query,
    inputs: m?.source.inputs,
    takenAt: m?.takenAt,
  };
  const onNoData = spec.onNoData ?? policy.evaluate.onNoData;
  const onError = spec.onError ?? policy.evaluate.onError;
  const e0: Ctx = { base, onNoData, onError };

  // No measurement at all for a declared metric: the collector skipped it.
  // That is a fault of ours, not "no data" from the source: error.
  if (!m) return errorVerdict(e0, 'no measurement was collected for this metric');
  if (m.provider !== provider)
    return errorVerdict(e0, `measurement came from ${m.provider}, but the metric uses ${provider}`);

  const out: Outcome = m.outcome;
  switch (out.kind) {
    case 'error':
      return errorVerdict(e0, `measurement failed: ${out.message}`);
    case 'noData':
      return missingVerdict(e0, `no data: ${out.reason}`);
    case 'nonFinite':
      // Neither NaN nor ±Inf is a measurement of the model. From a query that divides, NaN is 0/0 (a ratio
      // over a window with no traffic) and ±Inf x/0; without a division it is the series itself.
      return missingVerdict(e0, `the source returned ${out.value}${nonFiniteCause(out.value, base.query)}`);
    case 'value':
      break;
  }
  const value = out.value;
  // A provider that bypassed outcomeOf() and sent NaN as a number: treat as non-finite, never compare it.
  if (!Number.isFinite(value)) return missingVerdict(e0, `the source returned ${String(value)}`);

  const takenMs = Date.parse(m.takenAt);
  if (Number.isNaN(takenMs))
    return errorVerdict(e0, `measurement has an invalid takenAt: ${JSON.stringify(m.takenAt)}`);
  const dataMs = m.dataAt !== undefined ? Date.parse(m.dataAt) : takenMs;
  if (Number.isNaN(dataMs))
    return errorVerdict(e0, `measurement has an invalid dataAt: ${JSON.stringify(m.dataAt)}`);
  // Data from the future means a clock or a provider is wrong; trusting it
  // would let a bad clock defeat maxAge.
  if (dataMs > nowMs + FUTURE_SKEW_MS)
    return errorVerdict(
      e0,
      `measurement is dated ${m.dataAt ?? m.takenAt}, after the evaluation time (clock skew?)`,
    );
  if (spec.maxAge !== undefined && nowMs - dataMs > durationMs(spec.maxAge)) {
    // Stale data (label delay, a stalled pipeline) is missing data, not a measurement of now.
    return missingVerdict(
      { ...e0, value },
      `stale: the data is from ${m.dataAt ?? m.takenAt}, older than maxAge ${spec.maxAge}`,
    );
  }
  const samples = out.samples;
  if (spec.minSamples !== undefined) {
    // Too few samples is always inconclusive, whatever onNoData says: the
    // author set minSamples precisely so that a thin value would not act.
    if (samples === undefined) {
      return measured(
        { ...e0, value },
        'inconclusive',
        false,
        `the provider reported no sample count, so minSamples ${spec.minSamples} cannot be checked`,
      );
    }
    if (samples < spec.minSamples) {
      return measured(
        { ...e0, value, samples },
        'inconclusive',
        false,
        `too few samples: ${samples} < minSamples ${spec.minSamples}`,
      );
    }
  }

  const cx: Ctx = { base, onNoData, onError, value, samples };
  const v = fmt(value);

  if (provider === 'drift') {
    const declared = spec.drift?.test ?? 'auto';
    const test = out.test ?? (declared === 'auto' ? undefined : declared);
    if (test === undefined)
      return errorVerdict(e0, 'the drift provider did not say which test it ran (test: auto)');
    const info = DRIFT_TESTS.get(test);
    if (!info) return errorVerdict(e0, `the drift provider ran an unknown test \`${test}\``);
    const threshold = spec.drift?.threshold ?? info.threshold;
    const t = { test };
    if (info.direction === 'pValue') {
      const objective = `drift when p ≤ ${fmt(threshold)} (${test})`;
      return value <= threshold
        ? breachVerdict(cx, `drift: p = ${v} ≤ ${fmt(threshold)} (${test})`, { ...t, objective })
        : okVerdict(cx, `no drift: p = ${v} > ${fmt(threshold)} (${test})`, { ...t, objective });
    }
    const objective = `drift when ${test} ≥ ${fmt(threshold)}`;
    return value >= threshold
      ? breachVerdict(cx, `drift: ${test} = ${v} ≥ ${fmt(threshold)}`, { ...t, objective })
      : okVerdict(cx, `no drift: ${test} = ${v} < ${fmt(threshold)}`, { ...t, objective });
  }

  if (provider === 'quality') {
    // Decides by itself: any alerting finding breaches (the findings are in the inputs).
    const objective = 'no data-quality finding alerts';
    return value > 0
      ? breachVerdict(cx, `${v} data-quality finding${value === 1 ? '' : 's'} alert`, { objective })
      : okVerdict(cx, 'no data-quality finding alerts', { objective });
  }

  if (provider === 'alert') {
    // Inbound alerts arrive as 1 (firing) or 0 (resolved); anything positive is firing.
    return value > 0
      ? breachVerdict(cx, 'the inbound alert is firing', { objective: 'not firing' })
      : okVerdict(cx, 'the inbound alert is not firing', { objective: 'not firing' });
  }

  const o = spec.objective;
  if (!o) return okVerdict(cx, `${v} (no objective)`);

  // A detector judges the stream, not one value: the evaluator feeds it (policies/detector-objective.ts).
  if (o.detector) return okVerdict(cx, v, { objective: describeDetector(o.detector) });

  if (o.min !== undefined || o.max !== undefined) {
    const objective = [
      o.min !== undefined ? `min ${fmt(o.min)}` : '',
      o.max !== undefined ? `max ${fmt(o.max)}` : '',
    ]
      .filter(Boolean)
      .join(', ');
    // Boundaries are inclusive: a value equal to min or max meets the objective.
    if (o.min !== undefined && value < o.min)
      return breachVerdict(cx, `${v} is below min ${fmt(o.min)}`, { objective });
    if (o.max !== undefined && value > o.max)
      return breachVerdict(cx, `${v} is above max ${fmt(o.max)}`, { objective });
    return okVerdict(cx, `${v} is within ${objective}`, { objective });
  }

  if (o.change) {
    const c = o.change;
    const b = m.baseline?.outcome;
    // The baseline is evidence too: without it there is nothing to compare.
    if (c.baseline.value === undefined) {
      if (!b) return undecidedVerdict(cx, 'no baseline was measured');
      if (b.kind === 'error') return undecidedVerdict(cx, `the baseline measurement failed: ${b.message}`);
      if (b.kind === 'noData') return undecidedVerdict(cx, `the baseline has no data: ${b.reason}`);
      if (b.kind === 'nonFinite' || !Number.isFinite(b.value))
        return undecidedVerdict(cx, `the baseline is ${b.kind === 'nonFinite' ? b.value : String(b.value)}`);
    }
    const baseline = c.baseline.value ?? (b as { value: number }).value;
    const worse = c.direction === 'higherIsBetter' ? baseline - value : value - baseline;
    const parts: string[] = [];
    if (c.maxDrop !== undefined) parts.push(`worse by at most ${fmt(c.maxDrop)}`);
    if (c.maxRelativeDrop !== undefined) parts.push(`worse by at most ${fmt(c.maxRelativeDrop * 100)}%`);
    const objective = `${parts.join(' and ')} than baseline ${fmt(baseline)} (${c.direction === 'higherIsBetter' ? 'higher is better' : 'lower is better'})`;
    const extra = { baseline, objective };
    if (c.maxDrop !== undefined && worse > c.maxDrop)
      return breachVerdict(
        cx,
        `${v} is worse than baseline ${fmt(baseline)} by ${fmt(worse)} (> ${fmt(c.maxDrop)})`,
        extra,
      );
    if (c.maxRelativeDrop !== undefined) {
      // A relative change against a zero baseline is undefined; with no absolute tolerance to fall back on, we cannot decide.
      if (baseline === 0) {
        if (c.maxDrop === undefined)
          return undecidedVerdict(cx, 'the baseline is 0, so a relative change is undefined', extra);
      } else if (worse / Math.abs(baseline) > c.maxRelativeDrop) {
        return breachVerdict(
          cx,
          `${v} is worse than baseline ${fmt(baseline)} by ${fmt((worse / Math.abs(baseline)) * 100)}% (> ${fmt(c.maxRelativeDrop * 100)}%)`,
          extra,
        );
      }
    }
    return okVerdict(cx, `${v} vs baseline ${fmt(baseline)}: within tolerance`, extra);
  }

  if (o.learned) {
    const l = o.learned;
    const ref = m.reference;
    if (!ref) return undecidedVerdict(cx, 'no reference values were provided for the learned thresholds');
    if ('error' in ref) return undecidedVerdict(cx, `the reference period could not be read: ${ref.error}`);
    // Non-finite reference points (NaN chunks without traffic) are dropped, not averaged.
    const points = ref.values.filter((x): x is number => typeof x === 'number' && Number.isFinite(x));
    const dropped = ref.values.length - points.length;
    if (points.length < l.minPoints) {
      return undecidedVerdict(
        cx,
        `only ${points.length} usable reference point${points.length === 1 ? '' : 's'} (minPoints ${l.minPoints})${dropped ? `, ${dropped} non-finite dropped` : ''}`,
      );
    }
    const mean = points.reduce((a, x) => a + x, 0) / points.length;
    // Sample standard deviation (n − 1), as NannyML computes it over reference chunks.
    const sd = Math.sqrt(points.reduce((a, x) => a + (x - mean) ** 2, 0) / (points.length - 1));
    const lower = mean - l.k * sd;
    const upper = mean + l.k * sd;
    const band =
      l.side === 'lower'
        ? `≥ ${fmt(lower)}`
        : l.side === 'upper'
          ? `≤ ${fmt(upper)}`
          : `within [${fmt(lower)}, ${fmt(upper)}]`;
    const objective = `${band} (mean ${fmt(mean)} ± ${fmt(l.k)}σ, σ = ${fmt(sd)}, ${points.length} reference points)`;
    // Only the side that is checked: a one-sided band has no other threshold to draw or report.
    const extra = {
      ...(l.side !== 'upper' ? { lower } : {}),
      ...(l.side !== 'lower' ? { upper } : {}),
      objective,
    };
    // σ = 0 (a constant reference) collapses the band to the mean: any change breaches, which is what the reference says.
    if (l.side !== 'upper' && value < lower)
      return breachVerdict(cx, `${v} is below the learned lower threshold ${fmt(lower)}`, extra);
    if (l.side !== 'lower' && value > upper)
      return breachVerdict(cx, `${v} is above the learned upper threshold ${fmt(upper)}`, extra);
    return okVerdict(cx, `${v} is ${band}`, extra);
  }
  return okVerdict(cx, v);
}

/**
 * The object a condition sees for a metric. Fields without a decided value
 * are left out (not set to false or 0), so reading them is an error in CEL
 * and the condition is undetermined unless the other operands decide it.
 */
export function bindingOf(v: MetricVerdict): Record<string, unknown> {
  const b: Record<string, unknown> = {
    phase: v.phase,
    reason: v.reason,
    inconclusive: v.phase === 'inconclusive',
    error: v.phase === 'error',
    noData: v.noData,
  };
  if (v.phase === 'ok' || v.phase === 'breach') {
    // ok/breach by opt-in (onNoData, onError) still decide `breached`, but carry no value.
    b.ok = v.phase === 'ok';
    b.breached = v.phase === 'breach';
    if (v.provider === 'drift') b.drifted = b.breached;
    if (v.provider === 'alert') b.firing = b.breached;
    if (v.decided && v.value !== undefined) b.value = v.value;
  }
  if (v.decided) {
    if (v.samples !== undefined) b.samples = v.samples;
    if (v.baseline !== undefined) b.baseline = v.baseline;
    if (v.lower !== undefined) b.lower = v.lower;
    if (v.upper !== undefined) b.upper = v.upper;
  }
  if (v.test !== undefined) b.test = v.test;
  return b;
}
