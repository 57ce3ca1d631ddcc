// Reading the roles of a diagnosis out of a table: the label as 0/1 (NaN
// where not yet known), the score, the predicted class, and the rows that
// are labelled. Labels may come as numbers (0/1) or as categories
// ('0'/'1', 'false'/'true'); anything else counts as not labelled, and is
// counted, so the validity stage can say so.

import type { Column, Table } from '../columns.ts';
import type { DiagnosisRoles } from './types.ts';

export interface Labels {
  /** 0, 1, or NaN where the label is missing or not a class. */
  readonly values: Float64Array;
  /** Present values that are not 0/1 (treated as missing). */
  readonly invalid: number;
}

function labelOf(v: string): number {
  if (v === '1' || v === 'true') return 1;
  if (v === '0' || v === 'false') return 0;
  return Number.NaN;
}

/**
 * The label column as 0/1/NaN; null when the column is absent.
 *
 * @example
 * const l = labelsOf({ kind: 'categorical', values: ['1', null, 'true', 'maybe'] });
 * Array.from(l.values); // [1, NaN, 1, NaN]
 * l.invalid; // 1
 */
export function labelsOf(column: Column | undefined): Labels | null {
  if (!column) return null;
  const n = column.values.length;
  const values = new Float64Array(n);
  let invalid = 0;
  for (let i = 0; i < n; i++) {
    const raw = column.values[i];
    let y: number;
    if (column.kind === 'numeric') {
      const v = raw as number;
      y = v === 0 || v === 1 ? v : Number.NaN;
      if (Number.isNaN(y) && Number.isFinite(v)) invalid++;
    } else {
      y = raw === null ? Number.NaN : labelOf(raw as string);
      if (Number.isNaN(y) && raw !== null) invalid++;
    }
    values[i] = y;
  }
  return { values, invalid };
}

/** A numeric column's values (categorical ones parsed as numbers, NaN where they are not); null when absent. */
export function numbersOf(column: Column | undefined): Float64Array | null {
  if (!column) return null;
  if (column.kind === 'numeric') return column.values;
  return Float64Array.from(column.values, (v) => (v === null || v.trim() === '' ? Number.NaN : Number(v)));
}

/** Scores in [0, 1]; anything else is NaN (an unusable row). */
export function scoresOf(table: Table, roles: DiagnosisRoles): Float64Array | null {
  const s = numbersOf(table[roles.score]);
  if (!s) return null;
  return Float64Array.from(s, (v) => (v >= 0 && v <= 1 ? v : Number.NaN));
}

/** The predicted class: the prediction column when given and present, else score ≥ threshold. */
export function predictionsOf(table: Table, roles: DiagnosisRoles, scores: Float64Array): Float64Array {
  const col = roles.prediction ? table[roles.prediction] : undefined;
  if (col) return labelsOf(col)!.values;
  const t = roles.threshold ?? 0.5;
  return Float64Array.from(scores, (s) => (Number.isNaN(s) ? Number.NaN : s >= t ? 1 : 0));
}

/** Indices where every given array holds a usable value (not NaN). */
export function usableRows(...arrays: Float64Array[]): number[] {
  const n = arrays[0]?.length ?? 0;
  const out: number[] = [];
  for (let i = 0; i < n; i++) if (arrays.every((a) => !Number.isNaN(a[i]!))) out.push(i);
  return out;
}

/** Number of rows of a table (its longest column; 0 when it has none). */
export function rowCount(table: Table): number {
  let n = 0;
  for (const c of Object.values(table)) n = Math.max(n, c.values.length);
  return n;
}

/** The given rows of every column, in the given order (repeats allowed: a resample). */
export function takeRows(table: Table, rows: readonly number[]): Table {
  const out: Table = {};
  for (const [name, c] of Object.entries(table)) {
    out[name] =
      c.kind === 'numeric'
        ? { kind: 'numeric', values: Float64Array.from(rows, (i) => c.values[i]!) }
        : { kind: 'categorical', values: rows.map((i) => c.values[i] ?? null) };
  }
  return out;
}

/** Picks `values` at `rows`. */
export function pick(values: Float64Array, rows: readonly number[]): Float64Array {
  return Float64Array.from(rows, (i) => values[i]!);
}
