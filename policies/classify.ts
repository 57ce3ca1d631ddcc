// One measurement → one verdict: ok, breach, inconclusive or error, with the
// reason. This is the single place that decides what a number means, after
// Argo Rollouts' `analysis` package; every edge case is spelled out below.
// The evaluator never looks at a raw measurement again.

import { DRIFT_TESTS } from './drift-tests.ts';
import { durationMs } from './duration.ts';
import type { Measurement, Outcome } from './measurement.ts';
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
export function fmt(n: number): string {
  if (Number.isInteger(n)) return String(n);
  return String(Number(n.toPrecision(6)));
}

/** Clock skew tolerated before a measurement "from the future" is refused. */
const FUTURE_SKEW_MS = 5 * 60_000;

export function classify(
  name: string,
  spec: Metric,
  m: Measurement | undefined,
  policy: Policy,
  nowMs: number,
): MetricVerdict {
  const provider = providerOf(spec);
  const base = {
    metric: name,
    provider,
    ...(m?.source.query !== undefined ? { query: m.source.query } : {}),
    ...(m?.source.inputs !== undefined ? { inputs: m.source.inputs } : {}),
    ...(m ? { takenAt: m.takenAt } : {}),
  };
  const onNoData = spec.onNoData ?? policy.evaluate.onNoData;
  const onError = spec.onError ?? policy.evaluate.onError;

  const error = (reason: string): MetricVerdict =>
    // Errors never act unless the policy opted in with onError: breach.
    onError === 'breach'
      ? { ...base, phase: 'breach', decided: false, noData: false, reason: `${reason} (onError: breach)` }
      : { ...base, phase: 'error', decided: false, noData: false, reason };

  const missing = (reason: string, value?: number): MetricVerdict => {
    const v = value !== undefined ? { value } : {};
    // The policy says what absent data means; the default, inconclusive, never acts.
    if (onNoData === 'breach')
      return {
        ...base,
        ...v,
        phase: 'breach',
        decided: false,
        noData: true,
        reason: `${reason} (onNoData: breach)`,
      };
    if (onNoData === 'ok')
      return { ...base, ...v, phase: 'ok', decided: false, noData: true, reason: `${reason} (onNoData: ok)` };
    return { ...base, ...v, phase: 'inconclusive', decided: false, noData: true, reason };
  };

  // No measurement at all for a declared metric: the collector skipped it.
  // That is a fault of ours, not "no data" from the source: error.
  if (!m) return error('no measurement was collected for this metric');
  if (m.provider !== provider)
    return error(`measurement came from ${m.provider}, but the metric uses ${provider}`);

  const out: Outcome = m.outcome;
  switch (out.kind) {
    case 'error':
      return error(`measurement failed: ${out.message}`);
    case 'noData':
      return missing(`no data: ${out.reason}`);
    case 'nonFinite':
      // NaN is what Prometheus returns for 0/0 — a ratio over a window with no
      // traffic — and ±Inf for x/0. Neither is a measurement of the model.
      return missing(
        `the source returned ${out.value}${out.value === 'NaN' ? ' (typically 0/0: no traffic in the window)' : ' (a division by zero)'}`,
      );
    case 'value':
      break;
  }
  const value = out.value;
  // A provider that bypassed outcomeOf() and sent NaN as a number: treat as non-finite, never compare it.
  if (!Number.isFinite(value)) return missing(`the source returned ${String(value)}`);

  const takenMs = Date.parse(m.takenAt);
  if (Number.isNaN(takenMs)) return error(`measurement has an invalid takenAt: ${JSON.stringify(m.takenAt)}`);
  const dataMs = m.dataAt !== undefined ? Date.parse(m.dataAt) : takenMs;
  if (Number.isNaN(dataMs)) return error(`measurement has an invalid dataAt: ${JSON.stringify(m.dataAt)}`);
  // Data from the future means a clock or a provider is wrong; trusting it
  // would let a bad clock defeat maxAge.
  if (dataMs > nowMs + FUTURE_SKEW_MS)
    return error(`measurement is dated ${m.dataAt ?? m.takenAt}, after the evaluation time (clock skew?)`);
  if (spec.maxAge !== undefined && nowMs - dataMs > durationMs(spec.maxAge)) {
    // Stale data (label delay, a stalled pipeline) is missing data, not a measurement of now.
    return missing(
      `stale: the data is from ${m.dataAt ?? m.takenAt}, older than maxAge ${spec.maxAge}`,
      value,
    );
  }
  const samples = out.samples;
  const s = samples !== undefined ? { samples } : {};
  if (spec.minSamples !== undefined) {
    // Too few samples is always inconclusive, whatever onNoData says: the
    // author set minSamples precisely so that a thin value would not act.
    if (samples === undefined) {
      return {
        ...base,
        value,
        phase: 'inconclusive',
        decided: false,
        noData: false,
        reason: `the provider reported no sample count, so minSamples ${spec.minSamples} cannot be checked`,
      };
    }
    if (samples < spec.minSamples) {
      return {
        ...base,
        value,
        ...s,
        phase: 'inconclusive',
        decided: false,
        noData: false,
        reason: `too few samples: ${samples} < minSamples ${spec.minSamples}`,
      };
    }
  }

  const ok = (reason: string, extra: Partial<MetricVerdict> = {}): MetricVerdict => ({
    ...base,
    value,
    ...s,
    phase: 'ok',
    decided: true,
    noData: false,
    reason,
    ...extra,
  });
  const breach = (reason: string, extra: Partial<MetricVerdict> = {}): MetricVerdict => ({
    ...base,
    value,
    ...s,
    phase: 'breach',
    decided: true,
    noData: false,
    reason,
    ...extra,
  });
  const undecided = (reason: string, extra: Partial<MetricVerdict> = {}): MetricVerdict => ({
    ...base,
    value,
    ...s,
    phase: 'inconclusive',
    decided: false,
    noData: false,
    reason,
    ...extra,
  });
  const v = fmt(value);

  if (provider === 'drift') {
    const declared = spec.drift?.test ?? 'auto';
    const test = out.test ?? (declared === 'auto' ? undefined : declared);
    if (test === undefined) return error('the drift provider did not say which test it ran (test: auto)');
    const info = DRIFT_TESTS.get(test);
    if (!info) return error(`the drift provider ran an unknown test \`${test}\``);
    const threshold = spec.drift?.threshold ?? info.threshold;
    const t = { test };
    if (info.direction === 'pValue') {
      const objective = `drift when p ≤ ${fmt(threshold)} (${test})`;
      return value <= threshold
        ? breach(`drift: p = ${v} ≤ ${fmt(threshold)} (${test})`, { ...t, objective })
        : ok(`no drift: p = ${v} > ${fmt(threshold)} (${test})`, { ...t, objective });
    }
    const objective = `drift when ${test} ≥ ${fmt(threshold)}`;
    return value >= threshold
      ? breach(`drift: ${test} = ${v} ≥ ${fmt(threshold)}`, { ...t, objective })
      : ok(`no drift: ${test} = ${v} < ${fmt(threshold)}`, { ...t, objective });
  }

  if (provider === 'alert') {
    // Inbound alerts arrive as 1 (firing) or 0 (resolved); anything positive is firing.
    return value > 0
      ? breach('the inbound alert is firing', { objective: 'not firing' })
      : ok('the inbound alert is not firing', { objective: 'not firing' });
  }

  const o = spec.objective;
  if (!o) return ok(`${v} (no objective)`);

  if (o.min !== undefined || o.max !== undefined) {
    const objective = [
      o.min !== undefined ? `min ${fmt(o.min)}` : '',
      o.max !== undefined ? `max ${fmt(o.max)}` : '',
    ]
      .filter(Boolean)
      .join(', ');
    // Boundaries are inclusive: a value equal to min or max meets the objective.
    if (o.min !== undefined && value < o.min) return breach(`${v} is below min ${fmt(o.min)}`, { objective });
    if (o.max !== undefined && value > o.max) return breach(`${v} is above max ${fmt(o.max)}`, { objective });
    return ok(`${v} is within ${objective}`, { objective });
  }

  if (o.change) {
    const c = o.change;
    const b = m.baseline?.outcome;
    // The baseline is evidence too: without it there is nothing to compare.
    if (c.baseline.value === undefined) {
      if (!b) return undecided('no baseline was measured');
      if (b.kind === 'error') return undecided(`the baseline measurement failed: ${b.message}`);
      if (b.kind === 'noData') return undecided(`the baseline has no data: ${b.reason}`);
      if (b.kind === 'nonFinite' || !Number.isFinite(b.value))
        return undecided(`the baseline is ${b.kind === 'nonFinite' ? b.value : String(b.value)}`);
    }
    const baseline = c.baseline.value ?? (b as { value: number }).value;
    const worse = c.direction === 'higherIsBetter' ? baseline - value : value - baseline;
    const parts: string[] = [];
    if (c.maxDrop !== undefined) parts.push(`worse by at most ${fmt(c.maxDrop)}`);
    if (c.maxRelativeDrop !== undefined) parts.push(`worse by at most ${fmt(c.maxRelativeDrop * 100)}%`);
    const objective = `${parts.join(' and ')} than baseline ${fmt(baseline)} (${c.direction === 'higherIsBetter' ? 'higher is better' : 'lower is better'})`;
    const extra = { baseline, objective };
    if (c.maxDrop !== undefined && worse > c.maxDrop)
      return breach(
        `${v} is worse than baseline ${fmt(baseline)} by ${fmt(worse)} (> ${fmt(c.maxDrop)})`,
        extra,
      );
    if (c.maxRelativeDrop !== undefined) {
      // A relative change against a zero baseline is undefined; with no absolute tolerance to fall back on, we cannot decide.
      if (baseline === 0) {
        if (c.maxDrop === undefined)
          return undecided('the baseline is 0, so a relative change is undefined', extra);
      } else if (worse / Math.abs(baseline) > c.maxRelativeDrop) {
        return breach(
          `${v} is worse than baseline ${fmt(baseline)} by ${fmt((worse / Math.abs(baseline)) * 100)}% (> ${fmt(c.maxRelativeDrop * 100)}%)`,
          extra,
        );
      }
    }
    return ok(`${v} vs baseline ${fmt(baseline)}: within tolerance`, extra);
  }

  if (o.learned) {
    const l = o.learned;
    const ref = m.reference;
    if (!ref) return undecided('no reference values were provided for the learned thresholds');
    if ('error' in ref) return undecided(`the reference period could not be read: ${ref.error}`);
    // Non-finite reference points (NaN chunks without traffic) are dropped, not averaged.
    const points = ref.values.filter((x): x is number => typeof x === 'number' && Number.isFinite(x));
    const dropped = ref.values.length - points.length;
    if (points.length < l.minPoints) {
      return undecided(
        `only ${points.length} usable reference points (minPoints ${l.minPoints})${dropped ? `, ${dropped} non-finite dropped` : ''}`,
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
    const extra = { lower, upper, objective };
    // σ = 0 (a constant reference) collapses the band to the mean: any change breaches, which is what the reference says.
    if (l.side !== 'upper' && value < lower)
      return breach(`${v} is below the learned lower threshold ${fmt(lower)}`, extra);
    if (l.side !== 'lower' && value > upper)
      return breach(`${v} is above the learned upper threshold ${fmt(upper)}`, extra);
    return ok(`${v} is ${band}`, extra);
  }
  return ok(v);
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
