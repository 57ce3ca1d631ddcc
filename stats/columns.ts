// Typed columns: what every drift test and quality check consumes. Numeric
// columns are Float64Arrays with NaN for a missing value; categorical columns
// are arrays of strings with null for a missing value. Building them from row
// records (JSON Lines, CSV rows, SQL rows) checks each value against the
// column's type and counts what does not fit, rather than coercing silently.

export type ColumnKind = 'numeric' | 'categorical';

export type Column =
  | { kind: 'numeric'; values: Float64Array }
  | { kind: 'categorical'; values: readonly (string | null)[] };

export type Table = Record<string, Column>;

export interface SchemaViolation {
  column: string;
  row: number;
  expected: ColumnKind;
  got: string;
}

export interface ColumnsFromRecords {
  table: Table;
  /** Values whose type did not fit the column (stored as missing), capped at `maxViolations`. */
  violations: SchemaViolation[];
  violationCount: Record<string, number>;
}

function typeName(v: unknown): string {
  return v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v;
}

/**
 * Builds typed columns from row objects. The schema gives each column's kind;
 * without one, a column is numeric when its first non-missing value is a
 * number (or a numeric string), else categorical. Booleans become the
 * categories 'true'/'false'; null, undefined and '' are missing.
 *
 * @example
 * const r = columnsFromRecords([{ a: 1, b: 'x' }, { a: 'oops', b: 'y' }, { a: 3 }]);
 * Array.from(r.table.a.values); // [1, NaN, 3]
 * r.table.b.values; // ['x', 'y', null]
 * r.violationCount; // { a: 1 }
 */
export function columnsFromRecords(
  records: readonly Record<string, unknown>[],
  schema?: Record<string, ColumnKind>,
  maxViolations = 100,
): ColumnsFromRecords {
  const names = schema ? Object.keys(schema) : [...new Set(records.flatMap((r) => Object.keys(r)))];
  const kinds: Record<string, ColumnKind> = {};
  for (const name of names) kinds[name] = schema?.[name] ?? inferKind(records, name);
  const table: Table = {};
  const violations: SchemaViolation[] = [];
  const violationCount: Record<string, number> = {};
  for (const name of names) {
    const kind = kinds[name]!;
    const bad = (row: number, v: unknown) => {
      violationCount[name] = (violationCount[name] ?? 0) + 1;
      if (violations.length < maxViolations)
        violations.push({ column: name, row, expected: kind, got: typeName(v) });
    };
    if (kind === 'numeric') {
      const values = new Float64Array(records.length);
      records.forEach((r, i) => {
        const v = r[name];
        if (v === null || v === undefined || v === '') values[i] = Number.NaN;
        else if (typeof v === 'number') values[i] = v;
        else if (typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v)))
          values[i] = Number(v);
        else {
          values[i] = Number.NaN;
          bad(i, v);
        }
      });
      table[name] = { kind, values };
    } else {
      const values = records.map((r, i) => {
        const v = r[name];
        if (v === null || v === undefined || v === '') return null;
        if (typeof v === 'string') return v;
        if (typeof v === 'boolean' || typeof v === 'number') return String(v);
        bad(i, v);
        return null;
      });
      table[name] = { kind, values };
    }
  }
  return { table, violations, violationCount };
}

function inferKind(records: readonly Record<string, unknown>[], name: string): ColumnKind {
  for (const r of records) {
    const v = r[name];
    if (v === null || v === undefined || v === '') continue;
    if (typeof v === 'number') return 'numeric';
    if (typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v))) return 'numeric';
    return 'categorical';
  }
  return 'numeric';
}

/** Non-missing, finite values of a numeric column (±∞ count as missing, as in Evidently). */
export function presentNumbers(values: Float64Array): Float64Array {
  let n = 0;
  for (let i = 0; i < values.length; i++) if (Number.isFinite(values[i]!)) n++;
  if (n === values.length) return values;
  const out = new Float64Array(n);
  let j = 0;
  for (let i = 0; i < values.length; i++) if (Number.isFinite(values[i]!)) out[j++] = values[i]!;
  return out;
}

/** Non-missing values of a categorical column. */
export function presentCategories(values: readonly (string | null)[]): string[] {
  return values.filter((v): v is string => v !== null);
}
