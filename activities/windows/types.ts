// The contract of a data window reader, after Argo Rollouts' metric
// providers: a read never throws on bad data or a failing source. It answers
// with one of four outcomes, and always says what it read (meta) and what it
// found wrong on the way (problems):
//   columns    the window, typed, small enough to hold (drift tests need raw values)
//   summaries  the window was larger than the budget: mergeable per-column summaries
//   empty      the source answered, with no rows in the window
//   error      the read failed; `message` names the object, line, column or query
// The drift activity turns `empty` and `error` into inconclusive / error
// measurements, never into a breach.

import type { WindowRequest } from '../../policies/requests.ts';
import type { CategorySummary, Column, ColumnKind, NumericSummary } from '../../stats/index.ts';

export type WindowFormat = 'jsonl' | 'csv' | 'parquet';

/**
 * What a policy says about a window, as `planMeasurements` renders it
 * (placeholders substituted, `lookback` turned into `from`/`to`), plus two
 * fields the policy schema does not have yet (see docs/windows.md):
 * `timestampColumn` and `types`.
 */
export interface WindowDescription extends WindowRequest {
  /** Rows whose timestamp falls outside [from, to) are left out; Parquet row groups are skipped by their statistics. */
  readonly timestampColumn?: string;
  /** Declared column kinds; they win over the source's types and over inference. */
  readonly types?: Readonly<Record<string, ColumnKind>>;
}

export interface WindowBudget {
  /** More rows than this: summaries instead of columns. Default 1,000,000. */
  readonly maxRows?: number;
  /** Estimated memory of the held columns above this: summaries. Default 256 MiB. */
  readonly maxBytes?: number;
}

export interface ReadWindowOptions {
  /** The columns the metric needs (a drift feature; CBPE's prediction, probability, label). Only these are materialised. */
  readonly columns: readonly string[];
  readonly budget?: WindowBudget;
  /** Relative accuracy of the quantile sketches in summaries (default 0.01). */
  readonly sketchAlpha?: number;
  /** Examples kept per problem (default 5). */
  readonly maxExamples?: number;
  /** Rows per SQL FETCH (default 10,000). */
  readonly fetchRows?: number;
  /** SQL: `statement_timeout` for the window's query, in milliseconds (default none). */
  readonly statementTimeoutMs?: number;
  /** Stops the read between batches (Temporal activity cancellation); the answer is an error outcome. */
  readonly signal?: AbortSignal;
  /** Called after each batch, for activity heartbeats. */
  readonly onProgress?: (progress: { readonly rows: number; readonly bytes: number }) => void;
}

/** A column held whole, as `stats/` consumes it, with what was not usable in it. */
export type WindowColumn = Column & {
  /** Values absent, null, empty or non-finite in the source. */
  readonly missing: number;
  /** Values present but not of the column's kind: stored as missing, reported in problems. */
  readonly invalid: number;
};

export type WindowSummary =
  | {
      readonly kind: 'numeric';
      readonly summary: NumericSummary;
      readonly missing: number;
      readonly invalid: number;
    }
  | {
      readonly kind: 'categorical';
      readonly summary: CategorySummary;
      readonly missing: number;
      readonly invalid: number;
    };

export type ProblemCode =
  | 'type-mismatch'
  | 'unparseable-row'
  | 'bad-timestamp'
  | 'column-absent'
  | 'skipped-object';

/** Something wrong that did not stop the read: counted, with the first few examples. */
export interface WindowProblem {
  readonly code: ProblemCode;
  readonly message: string;
  readonly column?: string;
  readonly count: number;
  /** `at` locates the example: `s3://b/k line 12`, `s3://b/k row 7`, `query row 3`. */
  readonly examples: readonly { readonly at: string; readonly detail: string }[];
}

/** How a materialised column's kind was decided. */
export type KindSource = 'declared' | 'source' | 'inferred';

export interface WindowMeta {
  /** The URI, or `sql` for a query. */
  readonly source: string;
  readonly format?: WindowFormat | 'sql';
  readonly query?: string;
  readonly params?: readonly (string | number | boolean)[];
  /** Objects read (first 100), with what each gave. */
  readonly objects: readonly { readonly uri: string; readonly bytes: number; readonly rows: number }[];
  readonly objectCount: number;
  /** Rows in the window (after the time filter). */
  readonly rowsRead: number;
  /** Rows read but outside [from, to) by `timestampColumn`. */
  readonly rowsOutsideWindow: number;
  /** Rows that could not be parsed at all (see problems). */
  readonly rowsRejected: number;
  /** Bytes fetched from the source (compressed bytes for .gz objects; SQL: not measured, 0). */
  readonly bytesRead: number;
  readonly requested: { readonly from?: string; readonly to?: string };
  /** Earliest and latest timestamp among the rows in the window, when `timestampColumn` is set. */
  readonly observed?: { readonly from: string; readonly to: string };
  /** Columns the source offers, with their type in the source's words (`DOUBLE`, `float8`, `text`, `json`). */
  readonly available: Readonly<Record<string, string>>;
  /** The materialised columns: kind and how it was decided. */
  readonly schema: Readonly<Record<string, { readonly kind: ColumnKind; readonly from: KindSource }>>;
  readonly elapsedMs: number;
}

interface Common {
  readonly meta: WindowMeta;
  readonly problems: readonly WindowProblem[];
}

export type WindowResult =
  | (Common & { readonly outcome: 'columns'; readonly columns: Readonly<Record<string, WindowColumn>> })
  | (Common & {
      readonly outcome: 'summaries';
      readonly summaries: Readonly<Record<string, WindowSummary>>;
      /** Which budget the window went over. */
      readonly reason: string;
    })
  | (Common & { readonly outcome: 'empty'; readonly reason: string })
  | (Common & { readonly outcome: 'error'; readonly message: string });
