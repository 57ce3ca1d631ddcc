// Where a backtest's measurements come from (the I/O side; the loop in
// engine.ts is pure). Prometheus metrics: one range query per query text over
// the whole span (cut into pieces of at most 11,000 points), read back per
// step — instead of one instant query per metric per step. Data-window
// metrics (drift, estimate): the real providers, reading each step's windows
// (a window that does not move with time is read once). MLflow and inbound
// alert metrics have no history to replay: they are no data, and the result
// lists them as limitations.

import { durationMs } from '../../policies/duration.ts';
import type { LoadedPolicy } from '../../policies/loader.ts';
import { failed, type Measurement, noData, type Outcome, outcomeOf } from '../../policies/measurement.ts';
import { type MeasurementRequest, planMeasurements } from '../../policies/requests.ts';
import { collectMeasurements, type ProviderDeps } from '../metrics/index.ts';
import type { PrometheusFor } from '../metrics/prometheus.ts';
import type { ProviderContext, RequestOf } from '../metrics/provider.ts';
import { outcomesAt, type RangePiece, referenceAt } from './range-series.ts';
import { chunksOf, stepsOf } from './timeline.ts';
import type { BacktestSpan, Limitation } from './types.ts';

export interface SourceStats {
  prometheusQueries: number;
  windowReads: number;
}

export interface BacktestSource {
  readonly mode: 'range' | 'instant';
  readonly limitations: readonly Limitation[];
  readonly stats: SourceStats;
  /** Fetches what can be fetched up front (the range queries). */
  prepare(onQuery?: (done: number, total: number) => void): Promise<void>;
  measureAt(atMs: number): Promise<Measurement[]>;
}

export interface SourceOptions {
  readonly policy: Pick<LoadedPolicy, 'spec' | 'instance'>;
  readonly span: BacktestSpan;
  /** Placeholder values beyond the policy's own (e.g. `version`). */
  readonly values?: Readonly<Record<string, string>>;
  readonly context: ProviderContext;
  readonly deps: Pick<ProviderDeps, 'prometheusFor'> & Partial<ProviderDeps>;
  /** Prometheus range queries run at once (default 4). */
  readonly concurrency?: number;
}

const iso = (ms: number) => new Date(ms).toISOString();
const WINDOW_KINDS = new Set(['drift', 'estimate', 'quality']);

function limitationOf(r: MeasurementRequest): string | undefined {
  if (r.provider === 'mlflow')
    return 'MLflow run metrics have no history to replay: treated as no data at every step';
  if (r.provider === 'alert')
    return 'inbound alerts are not recorded by ctpilot: treated as no data at every step (replay the alert’s own expression as a prometheus metric instead)';
  return undefined;
}

/** Runs `tasks` with at most `n` in flight. */
async function pool<T>(tasks: ReadonlyArray<() => Promise<T>>, n: number): Promise<T[]> {
  const out: T[] = new Array(tasks.length);
  let next = 0;
  const worker = async () => {
    while (next < tasks.length) {
      const i = next++;
      out[i] = await (tasks[i] as () => Promise<T>)();
    }
  };
  await Promise.all(Array.from({ length: Math.min(n, tasks.length) }, worker));
  return out;
}

/** One query over a span, fetched in pieces. */
interface RangeJob {
  readonly key: string;
  readonly query: string;
  readonly endpoint?: string;
  readonly headers?: Readonly<Record<string, string>>;
  readonly span: BacktestSpan;
  pieces?: RangePiece[];
  outcomes?: Map<number, Outcome>;
}

export function rangeSource(options: SourceOptions): BacktestSource {
  const { span, policy, context, deps } = options;
  const values = options.values ?? {};
  // Query texts do not depend on the instant; windows and baselines' times do.
  const planned = planMeasurements(policy, span.fromMs, values);
  const limitations: Limitation[] = planned.flatMap((r) => {
    const reason = limitationOf(r);
    return reason ? [{ metric: r.metric, reason }] : [];
  });
  const stats: SourceStats = { prometheusQueries: 0, windowReads: 0 };
  const jobs = new Map<string, RangeJob>();
  const job = (r: RequestOf<'prometheus'>, query: string, s: BacktestSpan): RangeJob => {
    const key = JSON.stringify([r.endpoint ?? '', r.headers ?? {}, query, s.fromMs, s.toMs, s.stepMs]);
    let j = jobs.get(key);
    if (!j) {
      j = {
        key,
        query,
        span: s,
        ...(r.endpoint ? { endpoint: r.endpoint } : {}),
        ...(r.headers ? { headers: r.headers } : {}),
      };
      jobs.set(key, j);
    }
    return j;
  };

  interface PromPlan {
    readonly request: RequestOf<'prometheus'>;
    readonly main: RangeJob;
    readonly samples?: RangeJob;
    readonly baseline?: { job: RangeJob; shiftMs: number } | { value: number };
    readonly reference?: { job: RangeJob; lookbackMs: number | undefined };
  }
  const prom = new Map<string, PromPlan>();
  for (const r of planned) {
    if (r.provider !== 'prometheus' || r.renderError) continue;
    const spec = policy.spec.metrics[r.metric];
    const change = spec?.objective?.change?.baseline;
    const learned = spec?.objective?.learned;
    let baseline: PromPlan['baseline'];
    if (r.baseline && 'value' in r.baseline) baseline = { value: r.baseline.value };
    else if (r.baseline) {
      const shiftMs = change?.offset !== undefined ? durationMs(change.offset) : 0;
      baseline = {
        job: job(r, r.baseline.query, { ...span, fromMs: span.fromMs - shiftMs, toMs: span.toMs - shiftMs }),
        shiftMs,
      };
    }
    let reference: PromPlan['reference'];
    if (r.reference && learned) {
      const lookbackMs =
        learned.reference.lookback !== undefined ? durationMs(learned.reference.lookback) : undefined;
      const refSpan: BacktestSpan =
        lookbackMs !== undefined
          ? { fromMs: span.fromMs - lookbackMs, toMs: span.toMs, stepMs: r.reference.stepMs }
          : {
              fromMs: Date.parse(r.reference.from),
              toMs: Date.parse(r.reference.to),
              stepMs: r.reference.stepMs,
            };
      reference = { job: job(r, r.reference.query, refSpan), lookbackMs };
    }
    prom.set(r.metric, {
      request: r,
      main: job(r, r.query, span),
      ...(r.samplesQuery ? { samples: job(r, r.samplesQuery, span) } : {}),
      ...(baseline ? { baseline } : {}),
      ...(reference ? { reference } : {}),
    });
  }

  const clients = new Map<string, Promise<{ label: string }>>();
  const endpointOf = async (r: RequestOf<'prometheus'>) => {
    const key = JSON.stringify([r.endpoint ?? '', r.headers ?? {}]);
    let c = clients.get(key);
    if (!c) {
      c = deps.prometheusFor(r.endpoint, r.headers);
      clients.set(key, c);
    }
    return (await c).label; // as the policy wrote it: no resolved secret, no credentials
  };

  const windowCache = new Map<string, Promise<Measurement>>();

  return {
    mode: 'range',
    limitations,
    stats,
    async prepare(onQuery) {
      const all = [...jobs.values()];
      const tasks = all.flatMap((j) =>
        chunksOf(j.span).map((piece) => async () => {
          const client = await deps.prometheusFor(j.endpoint, j.headers);
          const result = await client.queryRange(
            j.query,
            new Date(piece.fromMs),
            new Date(piece.toMs),
            j.span.stepMs / 1000,
          );
          stats.prometheusQueries++;
          onQuery?.(stats.prometheusQueries, total);
          return { job: j, piece: { ...piece, result } };
        }),
      );
      const total = tasks.length;
      const done = await pool(tasks, options.concurrency ?? 4);
      for (const { job: j, piece } of done) {
        j.pieces = [...(j.pieces ?? []), piece];
      }
      for (const j of all) j.outcomes = outcomesAt(j.pieces ?? [], stepsOf(j.span));
    },
    async measureAt(atMs) {
      const at = iso(atMs);
      const requests = planMeasurements(policy, atMs, values);
      const windowRequests = requests.filter((r) => WINDOW_KINDS.has(r.provider));
      const windowed = new Map<string, Measurement>();
      if (windowRequests.length > 0) {
        if (!deps.store || !deps.pool || !deps.secrets || !deps.mlflow) {
          throw new Error('data-window metrics need the object store, database and secret resolver');
        }
        const full = deps as ProviderDeps;
        await Promise.all(
          windowRequests.map(async (r) => {
            // A window that does not move with time gives the same answer at every step: read it once.
            const { at: _at, ...rest } = r;
            const key = JSON.stringify(rest);
            let m = windowCache.get(key);
            if (!m) {
              stats.windowReads++;
              m = collectMeasurements([r], context, full).then((ms) => ms[0] as Measurement);
              windowCache.set(key, m);
            }
            windowed.set(r.metric, await m);
          }),
        );
      }
      return Promise.all(
        requests.map(async (r): Promise<Measurement> => {
          const base = { metric: r.metric, provider: r.provider, takenAt: at };
          if (r.renderError) return { ...base, source: {}, outcome: failed(r.renderError) };
          const limited = limitationOf(r);
          if (limited) return { ...base, source: {}, outcome: noData(`backtest: ${limited}`) };
          const w = windowed.get(r.metric);
          // The providers stamp wall-clock time; in a backtest the measurement is taken at the step.
          if (w)
            return {
              ...w,
              takenAt: at,
              // A window that is not cut at the step (a fixed file) may hold newer rows: not "from the future" here.
              ...(w.dataAt === undefined ? {} : { dataAt: Date.parse(w.dataAt) > atMs ? at : w.dataAt }),
            };
          const plan = prom.get(r.metric) as PromPlan;
          const pr = r as RequestOf<'prometheus'>;
          const source = {
            query: pr.query,
            inputs: {
              endpoint: await endpointOf(pr),
              at,
              ...(pr.samplesQuery ? { samplesQuery: pr.samplesQuery } : {}),
            },
          };
          let outcome = plan.main.outcomes?.get(atMs) ?? failed('backtest: no range result for this step');
          if (outcome.kind === 'value' && plan.samples) {
            const s = plan.samples.outcomes?.get(atMs);
            if (s?.kind === 'noData') outcome = { ...outcome, samples: 0 };
            else if (s?.kind === 'value') outcome = { ...outcome, samples: Math.round(s.value) };
          }
          const m: Measurement = {
            ...base,
            source,
            outcome,
            ...(outcome.kind === 'value' ? { dataAt: at } : {}),
          };
          const b = plan.baseline;
          const withBaseline: Measurement =
            b === undefined
              ? m
              : 'value' in b
                ? { ...m, baseline: { source: { inputs: { value: b.value } }, outcome: outcomeOf(b.value) } }
                : {
                    ...m,
                    baseline: {
                      source: { query: b.job.query, inputs: { at: iso(atMs - b.shiftMs) } },
                      outcome:
                        b.job.outcomes?.get(atMs - b.shiftMs) ?? failed('backtest: no baseline result'),
                    },
                  };
          if (!plan.reference) return withBaseline;
          const ref = plan.reference;
          const reference =
            ref.lookbackMs !== undefined
              ? referenceAt(ref.job.pieces ?? [], atMs, ref.lookbackMs)
              : referenceAt(ref.job.pieces ?? [], ref.job.span.toMs, ref.job.span.toMs - ref.job.span.fromMs);
          return { ...withBaseline, reference };
        }),
      );
    },
  };
}

/**
 * The slow way, for comparison and cross-checks: every metric measured by the
 * worker's own providers at every step (one instant query per Prometheus
 * query per step). Same answers as `rangeSource`; `bench/backtest.bench.ts`
 * measures the difference.
 */
export function instantSource(options: SourceOptions & { deps: ProviderDeps }): BacktestSource {
  const { policy, context, deps } = options;
  const values = options.values ?? {};
  const planned = planMeasurements(policy, options.span.fromMs, values);
  const limitations: Limitation[] = planned.flatMap((r) => {
    const reason = limitationOf(r);
    return reason ? [{ metric: r.metric, reason }] : [];
  });
  const stats: SourceStats = { prometheusQueries: 0, windowReads: 0 };
  return {
    mode: 'instant',
    limitations,
    stats,
    async prepare() {},
    async measureAt(atMs) {
      const at = iso(atMs);
      const requests = planMeasurements(policy, atMs, values);
      const live = requests.filter((r) => !limitationOf(r));
      for (const r of live) {
        if (r.provider === 'prometheus')
          stats.prometheusQueries +=
            1 +
            (r.samplesQuery ? 1 : 0) +
            (r.baseline && 'query' in r.baseline ? 1 : 0) +
            (r.reference ? 1 : 0);
        else stats.windowReads++;
      }
      const measured = await collectMeasurements(live, context, deps);
      const byMetric = new Map(measured.map((m) => [m.metric, m]));
      return requests.map((r) => {
        const m = byMetric.get(r.metric);
        if (!m)
          return {
            metric: r.metric,
            provider: r.provider,
            takenAt: at,
            source: {},
            outcome: noData(`backtest: ${limitationOf(r)}`),
          };
        return { ...m, takenAt: at };
      });
    },
  };
}

export type { PrometheusFor };
