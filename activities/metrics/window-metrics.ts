// Metrics computed over data windows: drift of one feature between a
// reference and a current window (a named test, or Evidently's default
// choice), and classifier performance estimated without labels (CBPE). The
// windows are read by activities/windows; the numerics are stats/. An empty
// window, a window too small for the test, or one too large to hold for a
// rank test is *no data* with the reason — never a breach.

import { failed, type Measurement, noData, outcomeOf } from '../../policies/measurement.ts';
import type { WindowRequest } from '../../policies/requests.ts';
import {
  type CategorySummary,
  columnDrift,
  estimateCbpe,
  fitCbpe,
  getDriftTest,
  jensenShannon,
  type NumericSummary,
  psiFromShares,
  qualityChecks,
  sketchShares,
} from '../../stats/index.ts';
import { readWindow, readWindowPair, typeViolations, type WindowDeps } from '../windows/index.ts';
import type { WindowResult, WindowSummary } from '../windows/types.ts';
import type { Provider } from './provider.ts';

export type WindowProviderDeps = WindowDeps;

function describeWindow(w: WindowRequest): string {
  return w.sql ? `sql: ${w.sql}` : (w.uri ?? '(no source)');
}

/** Empty or failed windows end the measurement with their reason. */
function unusable(
  which: string,
  result: WindowResult,
): { kind: 'noData' | 'error'; message: string } | undefined {
  if (result.outcome === 'empty')
    return { kind: 'noData', message: `the ${which} window is empty: ${result.reason}` };
  if (result.outcome === 'error')
    return { kind: 'error', message: `the ${which} window could not be read: ${result.message}` };
  return undefined;
}

/** Shares of two categorical summaries over the union of their categories. */
function categoryShares(a: CategorySummary, b: CategorySummary) {
  const keys = [...new Set([...a.counts.keys(), ...b.counts.keys()])].sort();
  const share = (s: CategorySummary) =>
    Float64Array.from(keys, (k) => (s.counts.get(k) ?? 0) / Math.max(1, s.count));
  return { reference: share(a), current: share(b) };
}

/**
 * Drift from summaries (windows over the budget): only binned measures can
 * be computed from them — PSI and Jensen–Shannon, over the reference's
 * quantile bins or the categories. Rank tests need the raw values.
 */
function driftFromSummaries(
  test: string,
  ref: WindowSummary,
  cur: WindowSummary,
): { value: number } | { reason: string } {
  if (test !== 'psi' && test !== 'jensenshannon') {
    return {
      reason: `the windows are larger than the memory budget, and '${test}' needs every value; use test psi or jensenshannon for windows this large`,
    };
  }
  if (ref.kind !== cur.kind)
    return { reason: `the column is ${ref.kind} in the reference but ${cur.kind} in the current window` };
  const shares =
    ref.kind === 'numeric'
      ? sketchShares(ref.summary as NumericSummary, cur.summary as NumericSummary)
      : categoryShares(ref.summary as CategorySummary, cur.summary as CategorySummary);
  // Evidently's epsilon for empty bins, so a bin seen on one side only stays finite.
  const eps = 1e-4;
  const fix = (xs: Float64Array) => Float64Array.from(xs, (x) => (x === 0 ? eps : x));
  return test === 'psi'
    ? { value: psiFromShares(fix(shares.reference), fix(shares.current)) }
    : { value: jensenShannon(shares.reference, shares.current) };
}

export function driftProvider(deps: WindowProviderDeps): Provider<'drift'> {
  return async (request): Promise<Measurement> => {
    const takenAt = new Date().toISOString();
    const source = {
      inputs: {
        feature: request.feature,
        test: request.test,
        reference: describeWindow(request.reference),
        current: describeWindow(request.current),
      },
    };
    const base = { metric: request.metric, provider: 'drift' as const, takenAt, source };
    if (request.renderError) return { ...base, outcome: failed(request.renderError) };
    const options = { columns: [request.feature] };
    const [reference, current] = await Promise.all([
      readWindow(request.reference, deps, options),
      readWindow(request.current, deps, options),
    ]);
    const dataAt = current.meta.observed?.to ?? request.current.to;
    for (const [which, result] of [
      ['reference', reference],
      ['current', current],
    ] as const) {
      const problem = unusable(which, result);
      if (problem)
        return {
          ...base,
          outcome: problem.kind === 'noData' ? noData(problem.message) : failed(problem.message),
        };
    }
    const samples = current.meta.rowsRead;
    if (reference.outcome === 'columns' && current.outcome === 'columns') {
      const result = columnDrift(
        request.feature,
        reference.columns[request.feature],
        current.columns[request.feature],
        { test: request.test === 'auto' ? undefined : request.test, threshold: request.threshold },
      );
      if (result.status === 'inconclusive') return { ...base, outcome: noData(result.message), dataAt };
      return { ...base, outcome: outcomeOf(result.value, { samples, test: result.test }), dataAt };
    }
    // At least one window is over the budget: summaries on both sides.
    const summaryOf = (r: WindowResult): WindowSummary | undefined =>
      r.outcome === 'summaries' ? r.summaries[request.feature] : undefined;
    const test = request.test === 'auto' ? 'jensenshannon' : request.test;
    const ref = summaryOf(reference);
    const cur = summaryOf(current);
    if (!ref || !cur) {
      return {
        ...base,
        outcome: noData(
          `one window is larger than the memory budget and the other is not; raise the budget or narrow the larger window so both can be compared with '${test}'`,
        ),
        dataAt,
      };
    }
    getDriftTest(test); // an unknown test name fails here, listing the valid ones
    const result = driftFromSummaries(test, ref, cur);
    if ('reason' in result) return { ...base, outcome: noData(result.reason), dataAt };
    return { ...base, outcome: outcomeOf(result.value, { samples, test }), dataAt };
  };
}

export function estimateProvider(deps: WindowProviderDeps): Provider<'estimate'> {
  return async (request): Promise<Measurement> => {
    const takenAt = new Date().toISOString();
    const { prediction, probability, label } = request.columns;
    const source = {
      inputs: {
        method: request.method,
        estimate: request.estimate,
        reference: describeWindow(request.reference),
        current: describeWindow(request.current),
      },
    };
    const base = { metric: request.metric, provider: 'estimate' as const, takenAt, source };
    if (request.renderError) return { ...base, outcome: failed(request.renderError) };
    const pair = await readWindowPair(
      request,
      deps,
      { reference: [probability, label], current: [probability, prediction] },
      'CBPE',
    );
    if (!pair.ok)
      return { ...base, outcome: pair.kind === 'noData' ? noData(pair.message) : failed(pair.message) };
    const { reference, current } = pair;
    const refScores = reference.columns[probability];
    const refLabels = reference.columns[label];
    const curScores = current.columns[probability];
    if (refScores?.kind !== 'numeric' || refLabels?.kind !== 'numeric' || curScores?.kind !== 'numeric') {
      return {
        ...base,
        outcome: failed(`CBPE needs numeric columns ${probability} (a probability) and ${label} (0 or 1)`),
      };
    }
    // Rows where score or label is missing are left out, on each side.
    const pairs: Array<[number, number]> = [];
    for (let i = 0; i < refScores.values.length; i++) {
      const s = refScores.values[i]!;
      const y = refLabels.values[i]!;
      if (Number.isFinite(s) && Number.isFinite(y)) pairs.push([s, y]);
    }
    const scores = Array.from(curScores.values).filter(Number.isFinite);
    if (pairs.length < 20 || scores.length < 20) {
      return {
        ...base,
        outcome: noData(
          `CBPE needs at least 20 scored rows per window; the reference has ${pairs.length} labelled, the current ${scores.length}`,
        ),
      };
    }
    try {
      const model = fitCbpe(
        pairs.map((p) => p[1]),
        pairs.map((p) => p[0]),
      );
      const estimates = estimateCbpe(model, scores);
      const value = estimates[request.estimate as keyof typeof estimates];
      if (value === undefined)
        return { ...base, outcome: failed(`CBPE does not estimate ${request.estimate}`) };
      return {
        ...base,
        outcome: outcomeOf(value, { samples: scores.length }),
        dataAt: current.meta.observed?.to ?? request.current.to,
      };
    } catch (error) {
      return { ...base, outcome: noData(`CBPE: ${(error as Error).message}`) };
    }
  };
}

/**
 * Data-quality checks of the current window against the reference
 * (stats/quality.ts): the value is how many findings alert, with each in the
 * inputs. An unreadable or empty window is an error or no data, never a pass.
 */
export function qualityProvider(deps: WindowProviderDeps): Provider<'quality'> {
  return async (request): Promise<Measurement> => {
    const takenAt = new Date().toISOString();
    const source = {
      inputs: {
        columns: request.columns.join(', '),
        reference: describeWindow(request.reference),
        current: describeWindow(request.current),
      } as Record<string, string | number | boolean>,
    };
    const base = { metric: request.metric, provider: 'quality' as const, takenAt, source };
    if (request.renderError) return { ...base, outcome: failed(request.renderError) };
    const columns = [...request.columns];
    const pair = await readWindowPair(
      request,
      deps,
      { reference: columns, current: columns },
      'the quality checks',
    );
    if (!pair.ok)
      return { ...base, outcome: pair.kind === 'noData' ? noData(pair.message) : failed(pair.message) };
    const { reference, current } = pair;
    const violations = typeViolations(current.problems);
    const findings = qualityChecks(reference.columns, current.columns, {
      ...request.options,
      violations,
    }).filter((f) => request.checks === undefined || request.checks.includes(f.check));
    const alerting = findings.filter((f) => f.alert);
    alerting.slice(0, 10).forEach((f, i) => {
      source.inputs[`finding${i + 1}`] = `${f.column} ${f.check}: ${f.message}`;
    });
    return {
      ...base,
      outcome: outcomeOf(alerting.length, { samples: current.meta.rowsRead }),
      dataAt: current.meta.observed?.to ?? request.current.to,
    };
  };
}
