// Range-query results turned back into what an instant query at each step
// would have said. Prometheus evaluates a range query at start + k·step with
// the same engine (lookback, staleness) as an instant query at that time, so
// the value at each grid point is the instant query's value; what differs is
// only the shape, which this file undoes: no series at an instant is "no
// data", one is a value (NaN/±Inf kept apart), several are ambiguous — the
// same outcomes as `outcomeOfQuery` for an instant query.

import { failed, noData, type Outcome, outcomeOf } from '../../policies/measurement.ts';
import type { QueryResult } from '../prometheus/client.ts';

/** One range query's answer over one piece of the span. */
export interface RangePiece {
  readonly fromMs: number;
  readonly toMs: number;
  readonly result: QueryResult;
}

/** Prometheus reports times as float seconds; steps are compared in whole milliseconds. */
const msOf = (seconds: number) => Math.round(seconds * 1000);

/** The outcome at each instant, as an instant query would have answered. */
export function outcomesAt(pieces: readonly RangePiece[], instants: readonly number[]): Map<number, Outcome> {
  const values = new Map<number, number[]>();
  const errors: Array<{ fromMs: number; toMs: number; outcome: Outcome }> = [];
  for (const piece of pieces) {
    const r = piece.result;
    if (r.kind === 'error') {
      errors.push({ ...piece, outcome: failed(`Prometheus ${r.error}: ${r.message}`) });
      continue;
    }
    if (r.kind !== 'matrix') {
      errors.push({
        ...piece,
        outcome: failed(`expected a range (matrix) result from a range query, got ${r.kind}`),
      });
      continue;
    }
    for (const series of r.series) {
      for (const p of series.points) {
        const at = msOf(p.timestamp);
        const list = values.get(at);
        if (list) list.push(p.value);
        else values.set(at, [p.value]);
      }
    }
  }
  const out = new Map<number, Outcome>();
  for (const at of instants) {
    const error = errors.find((e) => at >= e.fromMs && at <= e.toMs);
    if (error) {
      out.set(at, error.outcome);
      continue;
    }
    const vs = values.get(at);
    if (!vs || vs.length === 0) out.set(at, noData('the query returned no series'));
    else if (vs.length > 1)
      out.set(
        at,
        failed(`the query returned ${vs.length} series; aggregate it to one (e.g. sum(…) or avg(…))`),
      );
    else out.set(at, outcomeOf(vs[0] as number));
  }
  return out;
}

/**
 * A learned objective's reference values for the evaluation at `atMs`: the
 * points of one wide range query that fall in [atMs − lookback, atMs]. An
 * instant-mode reference query would sample the same period on a grid
 * anchored at atMs − lookback instead; the points are the same in number and
 * spacing, shifted by less than one reference step.
 */
export function referenceAt(
  pieces: readonly RangePiece[],
  atMs: number,
  lookbackMs: number,
): { values: Array<number | 'NaN' | '+Inf' | '-Inf'> } | { error: string } {
  const values: Array<number | 'NaN' | '+Inf' | '-Inf'> = [];
  let series = 0;
  for (const piece of pieces) {
    const r = piece.result;
    if (r.kind === 'error') return { error: `Prometheus ${r.error}: ${r.message}` };
    if (r.kind !== 'matrix') return { error: `expected a range (matrix) result, got ${r.kind}` };
    series = Math.max(series, r.series.length);
    if (r.series.length > 1)
      return { error: `the reference query returned ${r.series.length} series; aggregate it to one` };
    for (const p of r.series[0]?.points ?? []) {
      const t = msOf(p.timestamp);
      if (t < atMs - lookbackMs || t > atMs) continue;
      values.push(
        Number.isNaN(p.value)
          ? 'NaN'
          : p.value === Infinity
            ? '+Inf'
            : p.value === -Infinity
              ? '-Inf'
              : p.value,
      );
    }
  }
  if (series === 0 || values.length === 0) return { error: 'the reference period has no data' };
  return { values };
}
