// Where every format reader puts its rows. The sink holds only the columns
// the metric needs, decides each column's kind (declared, else the source's
// type, else the first present value, as columnsFromRecords does), counts
// missing and invalid values, applies the time filter, and watches the
// budget: once the window outgrows it, every column turns into a mergeable
// summary (stats/sketch.ts) fed with the rows held so far, in order, and the
// rest of the window streams into the summaries. Memory is then bounded by
// the summaries, whatever the size of the window.

import { CategorySummary, type ColumnKind, NumericSummary } from '../../stats/index.ts';
import { inferKind, isMissing, showValue, toCategory, toNumber } from './convert.ts';
import { Problems, WindowReadError } from './problems.ts';
import { inBounds, type TimeBounds, toEpochMs } from './time.ts';
import type { KindSource, WindowColumn, WindowSummary } from './types.ts';

export interface SinkOptions {
  readonly columns: readonly string[];
  readonly types?: Readonly<Record<string, ColumnKind>>;
  readonly timestampColumn?: string;
  readonly bounds?: TimeBounds;
  readonly maxRows: number;
  readonly maxBytes: number;
  readonly sketchAlpha: number;
  readonly maxExamples: number;
  readonly signal?: AbortSignal;
  readonly onProgress?: (progress: { readonly rows: number; readonly bytes: number }) => void;
}

/** Distinct categories kept as one shared string each; beyond this (ids, free text) strings are held as read. */
const INTERN_LIMIT = 100_000;
/** Rough heap cost of one held string beyond its characters (header, pointer). */
const STRING_OVERHEAD = 32;

export class ColumnAccumulator {
  kind: ColumnKind | undefined;
  from: KindSource | undefined;
  missing = 0;
  invalid = 0;
  /** Whether any object of the window had this column at all. */
  seen = false;
  /** Whether the current object had it (for per-object absence). */
  seenInObject = false;
  private leading = 0;
  private nums = new Float64Array(0);
  private cats: (string | null)[] = [];
  private length = 0;
  private summary: NumericSummary | CategorySummary | undefined;
  private readonly intern = new Map<string, string>();

  constructor(
    readonly name: string,
    private readonly sink: WindowSink,
  ) {
    const declared = sink.options.types?.[name];
    if (declared) this.decide(declared, 'declared');
  }

  /** The source knows this column's type (Parquet schema, SQL result fields). Declared kinds still win. */
  sourceKind(kind: ColumnKind | undefined): void {
    if (kind && this.kind === undefined) this.decide(kind, 'source');
  }

  push(v: unknown, ref: number): void {
    if (v !== undefined) this.seenInObject = true;
    if (isMissing(v)) {
      this.missing++;
      this.putMissing();
      return;
    }
    if (this.kind === undefined) this.decide(inferKind(v), 'inferred');
    if (this.kind === 'numeric') {
      const x = toNumber(v);
      if (x === undefined) {
        this.bad(v, ref);
        this.putNumber(Number.NaN);
      } else {
        if (!Number.isFinite(x)) this.missing++;
        this.putNumber(x);
      }
    } else {
      const c = toCategory(v);
      if (c === undefined) {
        this.bad(v, ref);
        this.putCategory(null);
      } else this.putCategory(c);
    }
  }

  private bad(v: unknown, ref: number): void {
    this.invalid++;
    const expected = this.kind === 'numeric' ? 'numeric' : 'a category (a string, number or boolean)';
    const p = this.sink.problems;
    if (p.wantsExample('type-mismatch', this.name))
      p.add('type-mismatch', this.sink.at(ref), showValue(v), this.name, expected);
    else p.add('type-mismatch', '', '', this.name, expected);
  }

  private decide(kind: ColumnKind, from: KindSource): void {
    this.kind = kind;
    this.from = from;
    if (this.sink.summarising) this.summary = this.newSummary();
    const n = this.leading;
    this.leading = 0;
    for (let i = 0; i < n; i++) this.putMissing();
  }

  private newSummary(): NumericSummary | CategorySummary {
    return this.kind === 'numeric'
      ? new NumericSummary(this.sink.options.sketchAlpha)
      : new CategorySummary();
  }

  private putMissing(): void {
    if (this.kind === undefined) this.leading++;
    else if (this.kind === 'numeric') this.putNumber(Number.NaN);
    else this.putCategory(null);
  }

  private putNumber(x: number): void {
    if (this.summary) {
      (this.summary as NumericSummary).add(x);
      return;
    }
    if (this.length === this.nums.length) {
      const grown = new Float64Array(Math.max(1024, this.nums.length * 2));
      grown.set(this.nums);
      this.nums = grown;
    }
    this.nums[this.length++] = x;
    this.sink.heldBytes += 8;
  }

  private putCategory(c: string | null): void {
    if (this.summary) {
      (this.summary as CategorySummary).add(c);
      return;
    }
    if (c !== null) {
      const shared = this.intern.get(c);
      if (shared !== undefined) c = shared;
      else {
        if (this.intern.size < INTERN_LIMIT) this.intern.set(c, c);
        this.sink.heldBytes += 2 * c.length + STRING_OVERHEAD;
      }
    }
    this.cats.push(c);
    this.length++;
    this.sink.heldBytes += 8;
  }

  /** Feeds the rows held so far into a summary, in order, and lets go of them. */
  toSummary(): void {
    if (this.kind === undefined) return; // decided later; decide() creates the summary
    const s = this.newSummary();
    if (s instanceof NumericSummary) s.addAll(this.nums.subarray(0, this.length));
    else s.addAll(this.cats);
    this.summary = s;
    this.nums = new Float64Array(0);
    this.cats = [];
    this.intern.clear();
  }

  /** Still undecided at the end (every value missing): numeric, as columnsFromRecords decides. */
  private settle(): void {
    if (this.kind === undefined) this.decide('numeric', 'inferred');
  }

  column(): WindowColumn {
    this.settle();
    const base = { missing: this.missing, invalid: this.invalid };
    if (this.kind === 'numeric') {
      // Trim the growth slack only when it is worth a copy.
      const values =
        this.nums.length - this.length > this.length / 4
          ? this.nums.slice(0, this.length)
          : this.nums.subarray(0, this.length);
      return { kind: 'numeric', values, ...base };
    }
    return { kind: 'categorical', values: this.cats, ...base };
  }

  windowSummary(): WindowSummary {
    this.settle();
    const base = { missing: this.missing, invalid: this.invalid };
    return this.summary instanceof NumericSummary
      ? { kind: 'numeric', summary: this.summary, ...base }
      : { kind: 'categorical', summary: this.summary as CategorySummary, ...base };
  }
}

export class WindowSink {
  readonly cols: ColumnAccumulator[];
  readonly problems: Problems;
  readonly available = new Map<string, string>();
  /** Estimated bytes of the held columns (8 per cell, plus each distinct string's characters). */
  heldBytes = 0;
  summarising = false;
  summaryReason = '';
  rows = 0;
  rowsOutside = 0;
  rejected = 0;
  bytesRead = 0;
  observedMin = Number.POSITIVE_INFINITY;
  observedMax = Number.NEGATIVE_INFINITY;
  /** Where the rows being read come from, for locations in problems. */
  private object = '';
  private unit: 'line' | 'row' = 'row';
  private objectRows = 0;
  private readonly timeVerdict: string;

  constructor(readonly options: SinkOptions) {
    this.problems = new Problems(options.maxExamples);
    this.cols = options.columns.map((name) => new ColumnAccumulator(name, this));
    this.timeVerdict = options.bounds ? 'left out of the window' : 'kept (the window has no time bounds)';
  }

  /** `s3://b/k line 12`: the location of a row of the current object. */
  at(ref: number): string {
    return `${this.object} ${this.unit} ${ref}`;
  }

  /** The next rows come from this object; `unit` says whether refs are text lines or row numbers. */
  beginObject(name: string, unit: 'line' | 'row'): void {
    this.object = name;
    this.unit = unit;
    this.objectRows = 0;
    for (const c of this.cols) c.seenInObject = false;
  }

  /** Notes the columns of the object that had none of a needed column while it had rows. */
  endObject(): number {
    for (const c of this.cols) {
      if (c.seenInObject) c.seen = true;
      else if (this.objectRows > 0)
        this.problems.add('column-absent', this.object, 'column not present', c.name);
    }
    return this.objectRows;
  }

  /**
   * The time filter for one row: false leaves the row out. Called before the
   * row's values are pushed, only when the window has a timestamp column.
   */
  acceptTime(v: unknown, ref: number): boolean {
    const t = toEpochMs(v);
    const b = this.options.bounds;
    if (t === undefined) {
      const col = this.options.timestampColumn as string;
      const p = this.problems;
      const detail = isMissing(v) ? 'missing' : showValue(v);
      p.add(
        'bad-timestamp',
        p.wantsExample('bad-timestamp', col) ? this.at(ref) : '',
        detail,
        col,
        this.timeVerdict,
      );
      return b === undefined;
    }
    if (b && !inBounds(t, b)) {
      this.rowsOutside++;
      return false;
    }
    if (t < this.observedMin) this.observedMin = t;
    if (t > this.observedMax) this.observedMax = t;
    return true;
  }

  /** Counts a row whose values were pushed, and switches to summaries when it breaks the budget. */
  endRow(): void {
    this.rows++;
    this.objectRows++;
    if (!this.summarising && (this.rows > this.options.maxRows || this.heldBytes > this.options.maxBytes)) {
      this.summarise(
        this.rows > this.options.maxRows
          ? `the window has more than ${this.options.maxRows} rows (budget.maxRows)`
          : `the held columns outgrew ${this.options.maxBytes} bytes (budget.maxBytes)`,
      );
    }
  }

  /** A row that could not be parsed at all. */
  reject(ref: number, reason: string): void {
    this.rejectAt(this.at(ref), reason);
  }

  /** The same, located by the reader (CSV names the line where its parser gave up). */
  rejectAt(at: string, reason: string): void {
    this.rejected++;
    this.problems.add('unparseable-row', at, reason);
  }

  summarise(reason: string): void {
    this.summarising = true;
    this.summaryReason = reason;
    for (const c of this.cols) c.toSummary();
    this.heldBytes = 0;
  }

  /** Between batches: progress for heartbeats, and cancellation. */
  tick(): void {
    if (this.options.signal?.aborted)
      throw new WindowReadError(`the read was cancelled after ${this.rows} rows`);
    this.options.onProgress?.({ rows: this.rows, bytes: this.bytesRead });
  }
}
