// What a metric provider hands the evaluator. The contract, after Argo
// Rollouts' providers: a provider never throws and never invents a number.
// Whatever happened — a value, an answer with no data, a NaN or infinity, a
// failure — it says so with a distinct outcome, and it says what it ran
// (the rendered query, the data windows, the run id) so every decision can
// name its evidence. Providers should be idempotent: measuring twice at the
// same instant gives the same answer.
//
// Everything here is plain JSON (NaN and ±Inf are spelled as strings),
// because measurements are activity results recorded in Temporal histories.

import type { ProviderKind } from './schema/metrics.ts';

/** A finite number the provider measured. */
export interface ValueOutcome {
  readonly kind: 'value';
  readonly value: number;
  /** Observations behind the value (labelled rows, requests), when the source knows. Checked against `minSamples`. */
  readonly samples?: number;
  /** Drift providers: the test that ran (required when the policy says `test: auto`). */
  readonly test?: string;
}

/** The source answered, and the answer was empty: an empty vector, an empty window, no alert ever received. */
export interface NoDataOutcome {
  readonly kind: 'noData';
  readonly reason: string;
}

/**
 * The source answered with NaN or ±Inf. Prometheus gives NaN for 0/0 — a
 * ratio over a window without traffic — so this is kept apart from a value
 * and treated like missing data, never compared with a threshold.
 */
export interface NonFiniteOutcome {
  readonly kind: 'nonFinite';
  readonly value: 'NaN' | '+Inf' | '-Inf';
}

/** The measurement failed: unreachable source, bad response, timeout, query rejected. */
export interface ErrorOutcome {
  readonly kind: 'error';
  readonly message: string;
}

export type Outcome = ValueOutcome | NoDataOutcome | NonFiniteOutcome | ErrorOutcome;

/** What produced a measurement, for explanations and the audit log. Never secrets. */
export interface MeasurementSource {
  /** The query as sent (placeholders substituted). */
  readonly query?: string;
  /** Other inputs: data window URIs, run id, alert labels, Prometheus endpoint (without credentials). */
  readonly inputs?: Readonly<Record<string, string | number | boolean>>;
}

export interface Measurement {
  /** The metric's name in the policy. */
  readonly metric: string;
  readonly provider: ProviderKind;
  readonly source: MeasurementSource;
  /** When the provider took the measurement (ISO 8601). */
  readonly takenAt: string;
  /**
   * The instant the data describes, when older than `takenAt`: the end of a
   * data window, the newest label joined, the time of the last inbound alert.
   * Checked against the metric's `maxAge`. Defaults to `takenAt`.
   */
  readonly dataAt?: string;
  readonly outcome: Outcome;
  /** Change objectives: the baseline, measured the same way (e.g. the query at `offset`). */
  readonly baseline?: { readonly source: MeasurementSource; readonly outcome: Outcome };
  /**
   * Learned objectives: the metric's values over the reference period (one
   * per `step`), or why they could not be read. Non-finite points are
   * dropped by the evaluator and counted in the explanation.
   */
  readonly reference?:
    | { readonly values: readonly (number | 'NaN' | '+Inf' | '-Inf')[] }
    | { readonly error: string };
}

/**
 * The outcome for a number from a source: finite numbers become values,
 * NaN and infinities become `nonFinite`. Providers use this so that a NaN
 * can never pass for a measurement.
 */
export function outcomeOf(
  n: number,
  extra: Omit<ValueOutcome, 'kind' | 'value'> = {},
): ValueOutcome | NonFiniteOutcome {
  if (Number.isNaN(n)) return { kind: 'nonFinite', value: 'NaN' };
  if (n === Number.POSITIVE_INFINITY) return { kind: 'nonFinite', value: '+Inf' };
  if (n === Number.NEGATIVE_INFINITY) return { kind: 'nonFinite', value: '-Inf' };
  return { kind: 'value', value: n, ...extra };
}

/** Prometheus sample values arrive as strings: "0.93", "NaN", "+Inf". */
export function outcomeOfText(text: string, extra: Omit<ValueOutcome, 'kind' | 'value'> = {}): Outcome {
  // Go formats infinities as +Inf/-Inf, which JavaScript's Number() does not read.
  const special: Record<string, number> = {
    NaN: Number.NaN,
    '+Inf': Infinity,
    Inf: Infinity,
    '-Inf': -Infinity,
  };
  const t = text.trim();
  const n = t in special ? (special[t] as number) : Number(t);
  if (t === '' || (Number.isNaN(n) && !(t in special)))
    return { kind: 'error', message: `not a number: ${JSON.stringify(text)}` };
  return outcomeOf(n, extra);
}

export const noData = (reason: string): NoDataOutcome => ({ kind: 'noData', reason });
export const failed = (message: string): ErrorOutcome => ({ kind: 'error', message });

/** Convenience for providers and tests. */
export function measurement(
  metric: string,
  provider: ProviderKind,
  outcome: Outcome,
  takenAt: string,
  rest: Partial<Omit<Measurement, 'metric' | 'provider' | 'outcome' | 'takenAt'>> = {},
): Measurement {
  return { metric, provider, outcome, takenAt, source: rest.source ?? {}, ...rest };
}
