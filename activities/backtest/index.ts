// A backtest: a policy evaluated over a past period without acting.
//
//   sources.ts      measurements per step (range queries up front; data windows per step)
//   engine.ts       the real evaluator carried step by step in simulated time (pure)
//   summary.ts      how often it would have acted, what held it back (pure)
//   report/         the self-contained HTML report (pure)

import { ROLLBACK_ORIGIN } from '../../policies/evaluate.ts';
import type { LoadedPolicy } from '../../policies/loader.ts';
import { type DiagnosisDeps, runDiagnosis } from '../diagnosis.ts';
import { replay } from './engine.ts';
import type { BacktestSource } from './sources.ts';
import { stepsOf } from './timeline.ts';
import type { BacktestResult, BacktestSpan } from './types.ts';

export { renderReport } from './report/html.ts';
export { type BacktestSource, instantSource, rangeSource } from './sources.ts';
export { type BacktestSummary, summarise } from './summary.ts';
export { MAX_STEPS, stepsOf } from './timeline.ts';
export type { BacktestResult, BacktestSpan, StepRecord } from './types.ts';

export interface BacktestOptions {
  readonly policy: Pick<LoadedPolicy, 'spec' | 'hash' | 'instance'>;
  readonly span: BacktestSpan;
  readonly source: BacktestSource;
  readonly retrainTakesMs?: number;
  /** The windows' readers, for the policy's diagnosis at steps that would act (none: no diagnosis). */
  readonly diagnosisDeps?: DiagnosisDeps;
  /** Progress: `phase` 'fetch' while range queries run, 'evaluate' while stepping. */
  readonly onProgress?: (phase: 'fetch' | 'evaluate', done: number, total: number) => void;
}

export async function runBacktest(options: BacktestOptions): Promise<BacktestResult> {
  const began = performance.now();
  const { policy, span, source } = options;
  const instants = stepsOf(span);
  await source.prepare((done, total) => options.onProgress?.('fetch', done, total));
  const steps = await replay(policy, instants, (at) => source.measureAt(at), {
    ...(options.retrainTakesMs !== undefined ? { retrainTakesMs: options.retrainTakesMs } : {}),
    onStep: (done, total) => options.onProgress?.('evaluate', done, total),
    ...(options.diagnosisDeps
      ? {
          diagnoseAt: async (decision, atMs) =>
            (
              await runDiagnosis(
                policy as LoadedPolicy,
                new Date(atMs).toISOString(),
                decision.metrics,
                options.diagnosisDeps!,
                {
                  model: policy.instance?.model ?? policy.spec.model.name ?? policy.spec.metadata.name,
                  seed: decision.evaluation,
                  writeSamples: false,
                },
              )
            ).brief,
        }
      : {}),
  });
  return {
    policy: policy.spec.metadata.name,
    policyHash: policy.hash,
    from: new Date(span.fromMs).toISOString(),
    to: new Date(span.toMs).toISOString(),
    stepMs: span.stepMs,
    steps,
    limitations: source.limitations,
    source: {
      mode: source.mode,
      prometheusQueries: source.stats.prometheusQueries,
      windowReads: source.stats.windowReads,
      elapsedMs: Math.round(performance.now() - began),
    },
  };
}

/** The metrics an action's origin depends on: a trigger's condition, the rollback condition, or `metric:<name>`. */
export function metricsOfOrigin(
  policy: LoadedPolicy['spec'],
): (origin: string) => readonly string[] | undefined {
  const names = Object.keys(policy.metrics);
  const scan = (expr: string) => {
    const found = new Set<string>();
    for (const m of expr
      .replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'/g, '""')
      .matchAll(/[A-Za-z_][A-Za-z0-9_]*/g)) {
      if (names.includes(m[0])) found.add(m[0]);
    }
    return [...found];
  };
  return (origin) => {
    if (origin.startsWith('metric:')) return [origin.slice('metric:'.length)];
    if (origin === ROLLBACK_ORIGIN && policy.promotion?.rollback) return scan(policy.promotion.rollback.when);
    const t = policy.triggers[origin];
    return t ? scan(t.when) : undefined;
  };
}
