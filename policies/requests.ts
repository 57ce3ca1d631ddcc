// What the controller must collect before an evaluation: one request per
// metric, with placeholders substituted (PromQL values escaped for their
// position) and windows turned into instants. Providers (activities) execute
// requests and answer with a Measurement each; a request that could not be
// rendered carries `renderError`, and the provider answers with an error
// measurement without contacting anything.

import { durationMs } from './duration.ts';
import type { LoadedPolicy } from './loader.ts';
import { renderQuery } from './promql.ts';
import type { Metric, ProviderKind } from './schema/metrics.ts';
import { providerOf } from './schema/metrics.ts';
import { renderText, type TemplateValues } from './template.ts';
import { templateValues } from './template-values.ts';

export interface WindowRequest {
  readonly uri?: string;
  readonly format?: 'parquet' | 'csv' | 'jsonl';
  readonly sql?: string;
  readonly params?: readonly (string | number | boolean)[];
  /** May contain secret references; resolve with the SecretResolver just before use. */
  readonly connection?: string;
  readonly from?: string;
  readonly to?: string;
  /** Rows whose timestamp in this column falls outside [from, to) are left out (Parquet row groups skipped). */
  readonly timestampColumn?: string;
  /** Declared column kinds; they win over the source's types and over inference. */
  readonly types?: Readonly<Record<string, 'numeric' | 'categorical'>>;
}

interface Base<P extends ProviderKind> {
  readonly metric: string;
  readonly provider: P;
  /** The evaluation instant: query Prometheus at this time, end windows here. */
  readonly at: string;
  /** Rendering failed (a value that cannot be placed safely): answer with an error measurement carrying this message. */
  readonly renderError?: string;
}

export type MeasurementRequest =
  | (Base<'prometheus'> & {
      readonly query: string;
      /** The sample-count query (prometheus.samples): its value is reported as the measurement's `samples`. */
      readonly samplesQuery?: string;
      readonly endpoint?: string;
      readonly headers?: Readonly<Record<string, string>>;
      readonly baseline?: { readonly query: string; readonly at: string } | { readonly value: number };
      readonly reference?: {
        readonly query: string;
        readonly from: string;
        readonly to: string;
        readonly stepMs: number;
      };
    })
  | (Base<'drift'> & {
      readonly feature: string;
      readonly test: string;
      readonly threshold?: number;
      readonly reference: WindowRequest;
      readonly current: WindowRequest;
    })
  | (Base<'estimate'> & {
      readonly method: 'cbpe';
      readonly estimate: 'accuracy' | 'precision' | 'recall' | 'f1' | 'roc_auc';
      readonly reference: WindowRequest;
      readonly current: WindowRequest;
      readonly columns: { readonly prediction: string; readonly probability: string; readonly label: string };
    })
  | (Base<'quality'> & {
      readonly columns: readonly string[];
      readonly checks?: readonly string[];
      readonly options: {
        readonly maxMissingRate?: number;
        readonly maxMissingIncrease?: number;
        readonly maxOutOfRangeRate?: number;
        readonly maxNewCategoryRate?: number;
      };
      readonly reference: WindowRequest;
      readonly current: WindowRequest;
    })
  | (Base<'mlflow'> & { readonly key: string; readonly run: 'champion' | 'challenger' | 'latest' })
  | (Base<'alert'> & {
      readonly source: string;
      readonly match: Readonly<Record<string, string>>;
      readonly resolveAfterMs?: number;
    });

export { templateValues } from './template-values.ts';

const iso = (ms: number) => new Date(ms).toISOString();

/** One request per metric, in the policy's order. `values` completes templateValues (e.g. `{ version: '7' }`). */
export function planMeasurements(
  loaded: Pick<LoadedPolicy, 'spec' | 'instance'>,
  now: Date | string | number,
  extra: Readonly<Record<string, string>> = {},
): MeasurementRequest[] {
  const policy = loaded.spec;
  const nowMs = now instanceof Date ? now.getTime() : typeof now === 'string' ? Date.parse(now) : now;
  const at = iso(nowMs);
  const tags = Object.fromEntries(
    Object.entries(loaded.instance?.tags ?? {}).map(([k, v]) => [`model.tags.${k}`, v]),
  );
  const values = templateValues(policy, { ...tags, ...extra });
  return Object.entries(policy.metrics).map(([name, m]) => plan(name, m, values, nowMs, at));
}

type DataWindow = NonNullable<Metric['drift']>['reference'];

/**
 * A data window at an instant: placeholders filled (with {{ window.from }} and
 * {{ window.to }} when it has a lookback), the lookback turned into [from, to).
 * What could not be rendered is in `errors`; the text is then left as written.
 */
export function windowRequest(
  w: DataWindow,
  values: TemplateValues,
  nowMs: number,
): { readonly request: WindowRequest; readonly errors: readonly string[] } {
  const errors: string[] = [];
  const at = iso(nowMs);
  const span = w.lookback !== undefined ? { from: iso(nowMs - durationMs(w.lookback)), to: at } : {};
  const vals = span.from ? { ...values, 'window.from': span.from, 'window.to': span.to } : values;
  const text = (s: string) => {
    try {
      return renderText(s, vals);
    } catch (e) {
      errors.push((e as Error).message);
      return s;
    }
  };
  const request: WindowRequest = {
    ...(w.uri !== undefined ? { uri: text(w.uri) } : {}),
    ...(w.format !== undefined ? { format: w.format } : {}),
    ...(w.sql !== undefined ? { sql: w.sql } : {}),
    ...(w.params !== undefined ? { params: w.params.map((p) => (typeof p === 'string' ? text(p) : p)) } : {}),
    ...(w.connection !== undefined ? { connection: w.connection } : {}),
    ...(w.timestampColumn !== undefined ? { timestampColumn: w.timestampColumn } : {}),
    ...(w.types !== undefined ? { types: w.types } : {}),
    ...span,
  };
  return { request, errors };
}

function plan(
  metric: string,
  m: Metric,
  values: TemplateValues,
  nowMs: number,
  at: string,
): MeasurementRequest {
  const provider = providerOf(m);
  const errors: string[] = [];
  const text = (s: string, vals: TemplateValues = values) => {
    try {
      return renderText(s, vals);
    } catch (e) {
      errors.push((e as Error).message);
      return s;
    }
  };
  const query = (q: string) => {
    try {
      return renderQuery(q, values);
    } catch (e) {
      errors.push((e as Error).message);
      return q;
    }
  };
  const window = (w: DataWindow): WindowRequest => {
    const rendered = windowRequest(w, values, nowMs);
    errors.push(...rendered.errors);
    return rendered.request;
  };
  const done = <R extends MeasurementRequest>(r: R): R =>
    errors.length ? { ...r, renderError: errors.join('; ') } : r;

  switch (provider) {
    case 'prometheus': {
      const p = m.prometheus as NonNullable<Metric['prometheus']>;
      const rendered = query(p.query);
      const b = m.objective?.change?.baseline;
      const l = m.objective?.learned;
      return done({
        metric,
        provider,
        at,
        query: rendered,
        ...(p.samples !== undefined ? { samplesQuery: query(p.samples) } : {}),
        ...(p.endpoint !== undefined ? { endpoint: p.endpoint } : {}),
        ...(p.headers !== undefined ? { headers: p.headers } : {}),
        ...(b?.value !== undefined
          ? { baseline: { value: b.value } }
          : b?.offset !== undefined
            ? { baseline: { query: rendered, at: iso(nowMs - durationMs(b.offset)) } }
            : b?.query !== undefined
              ? { baseline: { query: query(b.query), at } }
              : {}),
        ...(l
          ? {
              reference: {
                query: rendered,
                from:
                  l.reference.lookback !== undefined
                    ? iso(nowMs - durationMs(l.reference.lookback))
                    : (l.reference.from as string),
                to: l.reference.lookback !== undefined ? at : (l.reference.to as string),
                stepMs: durationMs(l.reference.step),
              },
            }
          : {}),
      });
    }
    case 'drift': {
      const d = m.drift as NonNullable<Metric['drift']>;
      return done({
        metric,
        provider,
        at,
        feature: d.feature,
        test: d.test,
        ...(d.threshold !== undefined ? { threshold: d.threshold } : {}),
        reference: window(d.reference),
        current: window(d.current),
      });
    }
    case 'estimate': {
      const e = m.estimate as NonNullable<Metric['estimate']>;
      return done({
        metric,
        provider,
        at,
        method: e.method,
        estimate: e.metric,
        reference: window(e.reference),
        current: window(e.current),
        columns: e.columns ?? { prediction: 'prediction', probability: 'probability', label: 'label' },
      });
    }
    case 'quality': {
      const q = m.quality as NonNullable<Metric['quality']>;
      const options = Object.fromEntries(
        (
          ['maxMissingRate', 'maxMissingIncrease', 'maxOutOfRangeRate', 'maxNewCategoryRate'] as const
        ).flatMap((k) => (q[k] !== undefined ? [[k, q[k]]] : [])),
      );
      return done({
        metric,
        provider,
        at,
        columns: q.columns,
        ...(q.checks ? { checks: q.checks } : {}),
        options,
        reference: window(q.reference),
        current: window(q.current),
      });
    }
    case 'mlflow': {
      const x = m.mlflow as NonNullable<Metric['mlflow']>;
      return done({ metric, provider, at, key: x.metric, run: x.run });
    }
    case 'alert': {
      const a = m.alert as NonNullable<Metric['alert']>;
      return done({
        metric,
        provider,
        at,
        source: a.source,
        match: Object.fromEntries(Object.entries(a.match).map(([k, v]) => [k, text(v)])),
        ...(a.resolveAfter !== undefined ? { resolveAfterMs: durationMs(a.resolveAfter) } : {}),
      });
    }
  }
}
