// Object key patterns: a window over many objects names them with wildcards
// and strftime-style time fields, the way log shippers and Spark write
// partitioned data:
//   s3://ml/events/dt=%F/*.jsonl          one folder per day
//   s3://ml/scores/%Y/%m/%d/%H/**         hourly folders, any depth below
// `*` matches within one path segment, `**` across segments; %Y %m %d %H are
// year, month, day, hour (UTC) and %F is %Y-%m-%d. A key's time fields give
// the period it covers (its finest field: an hour, a day, …); the object
// belongs to the window when that period overlaps [from, to). Time fields
// also tell which prefixes to list, so a 7-day window over years of daily
// folders lists 8 folders rather than the whole history.

import type { TimeBounds } from './time.ts';

type Field = 'Y' | 'm' | 'd' | 'H';
export type Granularity = 'year' | 'month' | 'day' | 'hour';

const FIELD_RE: Record<Field, string> = { Y: '\\d{4}', m: '\\d{2}', d: '\\d{2}', H: '\\d{2}' };
const GRAIN: Record<Field, Granularity> = { Y: 'year', m: 'month', d: 'day', H: 'hour' };
const ORDER: Granularity[] = ['year', 'month', 'day', 'hour'];
/** More listings than this and one listing of the literal prefix is cheaper. */
const MAX_LISTINGS = 1000;

type Piece = { literal: string } | { field: Field } | { star: 'one' | 'any' };

export interface KeyPattern {
  readonly pattern: string;
  /** Literal text before the first wildcard or time field: what to list. */
  readonly prefix: string;
  readonly hasTime: boolean;
  readonly granularity?: Granularity;
  matches(key: string): boolean;
  /** The period the key covers, or undefined when it does not match or its date is invalid (month 13). */
  periodOf(key: string): { start: number; end: number } | undefined;
  /** Distinct prefixes whose listings hold every key of the window, or undefined when listing `prefix` is better. */
  prefixesFor(bounds: TimeBounds): string[] | undefined;
}

/** Whether a URI path names more than one object. */
export function isPattern(path: string): boolean {
  return path === '' || path.endsWith('/') || /\*|%[YmdHF]/.test(path);
}

export class KeyPatternError extends Error {}

function parse(pattern: string): Piece[] {
  const pieces: Piece[] = [];
  let lit = '';
  const flush = () => {
    if (lit) pieces.push({ literal: lit });
    lit = '';
  };
  for (let i = 0; i < pattern.length; i++) {
    const ch = pattern[i]!;
    if (ch === '*') {
      flush();
      const any = pattern[i + 1] === '*';
      if (any) i++;
      pieces.push({ star: any ? 'any' : 'one' });
    } else if (ch === '%') {
      const t = pattern[i + 1];
      i++;
      if (t === '%') lit += '%';
      else if (t === 'F') {
        flush();
        pieces.push({ field: 'Y' }, { literal: '-' }, { field: 'm' }, { literal: '-' }, { field: 'd' });
      } else if (t === 'Y' || t === 'm' || t === 'd' || t === 'H') {
        flush();
        pieces.push({ field: t });
      } else {
        throw new KeyPatternError(
          `unknown time field %${t ?? ''} in ${pattern}: use %Y, %m, %d, %H, %F (or %% for a literal %)`,
        );
      }
    } else lit += ch;
  }
  flush();
  // A folder (`…/`) means everything below it.
  if (pattern === '' || pattern.endsWith('/')) pieces.push({ star: 'any' });
  return pieces;
}

const escapeRegex = (s: string) => s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');

function finest(fields: Iterable<Field>): Granularity | undefined {
  let g = -1;
  for (const f of fields) g = Math.max(g, ORDER.indexOf(GRAIN[f]));
  return g < 0 ? undefined : ORDER[g];
}

function floorTo(t: number, g: Granularity): number {
  const d = new Date(t);
  const y = d.getUTCFullYear();
  if (g === 'year') return Date.UTC(y, 0, 1);
  if (g === 'month') return Date.UTC(y, d.getUTCMonth(), 1);
  if (g === 'day') return Date.UTC(y, d.getUTCMonth(), d.getUTCDate());
  return Date.UTC(y, d.getUTCMonth(), d.getUTCDate(), d.getUTCHours());
}

function next(t: number, g: Granularity): number {
  const d = new Date(t);
  if (g === 'year') return Date.UTC(d.getUTCFullYear() + 1, 0, 1);
  if (g === 'month') return Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1);
  return t + (g === 'day' ? 86_400_000 : 3_600_000);
}

function format(pieces: readonly Piece[], t: number): string {
  const d = new Date(t);
  const two = (n: number) => String(n).padStart(2, '0');
  const value: Record<Field, string> = {
    Y: String(d.getUTCFullYear()).padStart(4, '0'),
    m: two(d.getUTCMonth() + 1),
    d: two(d.getUTCDate()),
    H: two(d.getUTCHours()),
  };
  return pieces.map((p) => ('literal' in p ? p.literal : 'field' in p ? value[p.field] : '')).join('');
}

export function compileKeyPattern(pattern: string): KeyPattern {
  const pieces = parse(pattern);
  const seen = new Set<Field>();
  let source = '^';
  for (const p of pieces) {
    if ('literal' in p) source += escapeRegex(p.literal);
    else if ('star' in p) source += p.star === 'any' ? '.*' : '[^/]*';
    else if (seen.has(p.field))
      source += `\\k<${p.field}>`; // the same field twice must agree
    else {
      seen.add(p.field);
      source += `(?<${p.field}>${FIELD_RE[p.field]})`;
    }
  }
  const regex = new RegExp(`${source}$`, 's');
  const firstSpecial = pieces.findIndex((p) => !('literal' in p));
  const prefix = pieces
    .slice(0, firstSpecial < 0 ? pieces.length : firstSpecial)
    .map((p) => (p as { literal: string }).literal)
    .join('');
  const granularity = finest(seen);
  // Listing prefixes are cut at the first wildcard: time fields before it can be enumerated.
  const firstStar = pieces.findIndex((p) => 'star' in p);
  const head = pieces.slice(0, firstStar < 0 ? pieces.length : firstStar);
  const headFields = head.flatMap((p) => ('field' in p ? [p.field] : []));
  const headGrain = finest(headFields);

  return {
    pattern,
    prefix,
    hasTime: granularity !== undefined,
    ...(granularity ? { granularity } : {}),
    matches: (key) => regex.test(key),
    periodOf(key) {
      const m = regex.exec(key);
      if (!m) return undefined;
      const g = m.groups ?? {};
      const y = g.Y !== undefined ? Number(g.Y) : 1970;
      const mo = g.m !== undefined ? Number(g.m) : 1;
      const d = g.d !== undefined ? Number(g.d) : 1;
      const h = g.H !== undefined ? Number(g.H) : 0;
      const start = Date.UTC(y, mo - 1, d, h);
      const check = new Date(start);
      // Date.UTC rolls month 13 or 31 February over; such a key names no real period.
      if (check.getUTCMonth() !== mo - 1 || check.getUTCDate() !== d || h > 23) return undefined;
      if (!granularity) return { start: Number.NEGATIVE_INFINITY, end: Number.POSITIVE_INFINITY };
      return { start, end: next(start, granularity) };
    },
    prefixesFor(bounds) {
      if (!headGrain || !Number.isFinite(bounds.from) || !Number.isFinite(bounds.to)) return undefined;
      // Fields missing from the head (a %d after the first `*`) make every value of them possible.
      if (headFields.includes('d') && !headFields.includes('m')) return undefined;
      if (headFields.includes('H') && !headFields.includes('d')) return undefined;
      if (!headFields.includes('Y')) return undefined;
      const out = new Set<string>();
      for (let t = floorTo(bounds.from, headGrain); t < bounds.to; t = next(t, headGrain)) {
        out.add(format(head, t));
        if (out.size > MAX_LISTINGS) return undefined;
      }
      return [...out].sort();
    },
  };
}
