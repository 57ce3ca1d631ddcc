// Prometheus metrics: an instant query at the evaluation time, plus the
// baseline query (change objectives) and the reference range (learned
// objectives) when the policy asks for them.
import { failed, type Measurement, noData, type Outcome, outcomeOf } from '../../policies/measurement.ts';
import { type PrometheusClient, type QueryResult, singleValue } from '../prometheus/client.ts';
import type { Provider, RequestOf } from './provider.ts';

/** What one instant query means for a metric, with the sample time when there is one. */
export function outcomeOfQuery(result: QueryResult): { outcome: Outcome; dataAt?: string } {
  const single = singleValue(result);
  switch (single.outcome) {
    case 'value':
      return { outcome: outcomeOf(single.value), dataAt: new Date(single.timestamp * 1000).toISOString() };
    case 'no-data':
      return { outcome: noData('the query returned no series') };
    case 'nan':
      return { outcome: { kind: 'nonFinite', value: 'NaN' } };
    case 'infinite':
      return { outcome: { kind: 'nonFinite', value: single.value > 0 ? '+Inf' : '-Inf' } };
    case 'ambiguous':
      return {
        outcome: failed(
          `the query returned ${single.series} series; aggregate it to one (e.g. sum(…) or avg(…))`,
        ),
      };
    case 'error':
      return { outcome: failed(`Prometheus ${single.error}: ${single.message}`) };
  }
}

/**
 * The observations behind a value (prometheus.samples): an empty answer is
 * zero observations; a failed or non-finite one leaves the count unknown,
 * which `minSamples` treats as too few.
 */
function withSamples(outcome: Extract<Outcome, { kind: 'value' }>, result: QueryResult): Outcome {
  const single = singleValue(result);
  if (single.outcome === 'no-data') return { ...outcome, samples: 0 };
  if (single.outcome === 'value') return { ...outcome, samples: Math.round(single.value) };
  return outcome;
}

/** The reference period's values, one per step, or why they could not be read. */
function referenceOf(result: QueryResult): NonNullable<Measurement['reference']> {
  if (result.kind === 'error') return { error: `Prometheus ${result.error}: ${result.message}` };
  if (result.kind !== 'matrix') return { error: `expected a range (matrix) result, got ${result.kind}` };
  if (result.series.length === 0) return { error: 'the reference period has no data' };
  if (result.series.length > 1) {
    return { error: `the reference query returned ${result.series.length} series; aggregate it to one` };
  }
  return {
    values: result.series[0]!.points.map((p) =>
      Number.isNaN(p.value)
        ? 'NaN'
        : p.value === Infinity
          ? '+Inf'
          : p.value === -Infinity
            ? '-Inf'
            : p.value,
    ),
  };
}

/** A URL fit for the audit history: any user:password part removed. */
export function withoutCredentials(url: string): string {
  try {
    const parsed = new URL(url);
    parsed.username = '';
    parsed.password = '';
    return parsed.toString().replace(/\/$/, '');
  } catch {
    return '(unparseable URL)';
  }
}

/** Clients per endpoint: the default Prometheus, or a metric's own `endpoint` with its headers. */
export type PrometheusFor = (
  endpoint?: string,
  headers?: Readonly<Record<string, string>>,
) => Promise<PrometheusClient>;

export function prometheusProvider(clientFor: PrometheusFor): Provider<'prometheus'> {
  return async (request: RequestOf<'prometheus'>): Promise<Measurement> => {
    const takenAt = new Date().toISOString();
    const at = new Date(request.at);
    let client: PrometheusClient;
    try {
      client = await clientFor(request.endpoint, request.headers);
    } catch (error) {
      return {
        metric: request.metric,
        provider: 'prometheus',
        takenAt,
        source: { query: request.query },
        outcome: failed((error as Error).message),
      };
    }
    const source = {
      query: request.query,
      inputs: {
        // As the policy wrote it, without credentials: a secret in the address stays a reference here.
        endpoint: client.label,
        at: request.at,
        ...(request.samplesQuery ? { samplesQuery: request.samplesQuery } : {}),
      },
    };
    if (request.renderError) {
      return {
        metric: request.metric,
        provider: 'prometheus',
        takenAt,
        source,
        outcome: failed(request.renderError),
      };
    }
    const [main, samples, baseline, reference] = await Promise.all([
      client.query(request.query, at),
      request.samplesQuery ? client.query(request.samplesQuery, at) : Promise.resolve(undefined),
      request.baseline && 'query' in request.baseline
        ? client.query(request.baseline.query, new Date(request.baseline.at))
        : Promise.resolve(undefined),
      request.reference
        ? client.queryRange(
            request.reference.query,
            new Date(request.reference.from),
            new Date(request.reference.to),
            Math.max(1, Math.round(request.reference.stepMs / 1000)),
          )
        : Promise.resolve(undefined),
    ]);
    const { outcome: measured, dataAt } = outcomeOfQuery(main);
    const outcome = measured.kind === 'value' && samples ? withSamples(measured, samples) : measured;
    const measurement: Measurement = {
      metric: request.metric,
      provider: 'prometheus',
      takenAt,
      source,
      outcome,
      dataAt,
    };
    const withBaseline =
      request.baseline === undefined
        ? measurement
        : 'value' in request.baseline
          ? {
              ...measurement,
              baseline: {
                source: { inputs: { value: request.baseline.value } },
                outcome: outcomeOf(request.baseline.value),
              },
            }
          : {
              ...measurement,
              baseline: {
                source: { query: request.baseline.query, inputs: { at: request.baseline.at } },
                outcome: outcomeOfQuery(baseline!).outcome,
              },
            };
    return reference ? { ...withBaseline, reference: referenceOf(reference) } : withBaseline;
  };
}
