// One value from a source → a numeric or categorical cell, by the same rules
// as `columnsFromRecords` in stats/columns.ts, so a window read from JSON
// Lines, CSV, Parquet or SQL gives the columns those records would give in
// memory. Sources add types JSON lacks (bigint, Date, bytes); each gets one
// rule here.

import type { ColumnKind } from '../../stats/index.ts';

/** A cell that is not there: null, undefined, '' (CSV has no other spelling of "missing"). */
export function isMissing(v: unknown): boolean {
  return v === null || v === undefined || v === '';
}

/** The numeric value, or undefined when `v` is present but not numeric (a type mismatch). */
export function toNumber(v: unknown): number | undefined {
  if (typeof v === 'number') return v;
  if (typeof v === 'string') {
    // `Number('')` and `Number(' ')` are 0: only non-blank, finite-looking strings count.
    if (v.trim() === '') return undefined;
    const x = Number(v);
    return Number.isFinite(x) ? x : undefined;
  }
  // Parquet INT64 arrives as bigint; beyond 2^53 the nearest double is what a drift test can use.
  if (typeof v === 'bigint') return Number(v);
  // A timestamp used as a feature is compared as milliseconds since the epoch.
  if (v instanceof Date) return v.getTime();
  return undefined;
}

/** The category, or undefined when `v` cannot be one (objects, arrays, bytes). */
export function toCategory(v: unknown): string | undefined {
  if (typeof v === 'string') return v;
  if (typeof v === 'boolean' || typeof v === 'number' || typeof v === 'bigint') return String(v);
  if (v instanceof Date) return Number.isNaN(v.getTime()) ? undefined : v.toISOString();
  return undefined;
}

/**
 * The kind a first present value implies when nothing declares one:
 * numbers and numeric strings are numeric, anything else categorical
 * (columnsFromRecords' rule).
 */
export function inferKind(v: unknown): ColumnKind {
  if (typeof v === 'number' || typeof v === 'bigint') return 'numeric';
  if (typeof v === 'string') return toNumber(v) !== undefined ? 'numeric' : 'categorical';
  return 'categorical';
}

/** A short, printable form of a value for problem examples. */
export function showValue(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v);
  if (typeof v === 'bigint') return `${v}`;
  if (v instanceof Date) return v.toISOString();
  if (v instanceof Uint8Array) return `${v.byteLength} bytes`;
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'object' && v !== null) return 'an object';
  return String(v);
}
