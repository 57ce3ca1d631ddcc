// Timestamps of rows, for the [from, to) filter of a window. Sources spell
// time many ways; each accepted spelling is listed here, and anything else is
// a bad timestamp (reported, the row left out: it cannot be placed).

/** ISO 8601 without an offset: read as UTC, because V8 reads `2025-01-01 10:00` as local time. */
const NAIVE_ISO = /^(\d{4}-\d{2}-\d{2})(?:[T ](\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?))?$/;
const ISO_WITH_OFFSET = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}(?::?\d{2})?)$/i;

/**
 * Below this, an epoch number is in seconds; above, milliseconds. 1e11 s is
 * the year 5138 and 1e11 ms is March 1973, so the two ranges that occur in
 * practice do not overlap.
 */
const SECONDS_LIMIT = 1e11;

/** Milliseconds since the epoch, or undefined when `v` is not a timestamp. */
export function toEpochMs(v: unknown): number | undefined {
  if (v instanceof Date) {
    const t = v.getTime();
    return Number.isNaN(t) ? undefined : t;
  }
  if (typeof v === 'bigint') v = Number(v);
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) return undefined;
    return Math.abs(v) < SECONDS_LIMIT ? v * 1000 : v;
  }
  if (typeof v !== 'string') return undefined;
  const s = v.trim();
  const naive = NAIVE_ISO.exec(s);
  if (naive) {
    const t = Date.parse(`${naive[1]}T${naive[2] ?? '00:00:00'}Z`);
    return Number.isNaN(t) ? undefined : t;
  }
  if (ISO_WITH_OFFSET.test(s)) {
    // PostgreSQL writes `+00` and `+0530`; Date.parse wants `+00:00` and `+05:30`.
    const t = Date.parse(
      s.replace(' ', 'T').replace(/([+-]\d{2})(?::?(\d{2}))?$/, (_, h, m) => `${h}:${m ?? '00'}`),
    );
    return Number.isNaN(t) ? undefined : t;
  }
  // Epoch numbers written as text (CSV).
  if (/^-?\d+(?:\.\d+)?$/.test(s)) return toEpochMs(Number(s));
  return undefined;
}

/** The requested window in epoch milliseconds; either end may be open. */
export interface TimeBounds {
  readonly from: number;
  readonly to: number;
}

/** Parses the ISO instants `planMeasurements` puts in a request; throws on a malformed one. */
export function timeBounds(from: string | undefined, to: string | undefined): TimeBounds {
  const parse = (s: string | undefined, name: string, open: number) => {
    if (s === undefined) return open;
    const t = toEpochMs(s);
    if (t === undefined) throw new Error(`window ${name} is not an ISO 8601 instant: ${JSON.stringify(s)}`);
    return t;
  };
  const b = {
    from: parse(from, 'from', Number.NEGATIVE_INFINITY),
    to: parse(to, 'to', Number.POSITIVE_INFINITY),
  };
  if (b.from >= b.to) throw new Error(`window from (${from}) is not before to (${to})`);
  return b;
}

/** Half-open, like maintenance windows: a row at `to` belongs to the next window. */
export function inBounds(t: number, b: TimeBounds): boolean {
  return t >= b.from && t < b.to;
}
