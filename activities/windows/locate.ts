// From a window's URI to the objects to read, in key order: one object, or
// every object under a folder or matching a key pattern (key-pattern.ts),
// selected by the window's time bounds, each with its format.

import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { ObjectStore } from '../s3/client.ts';
import { compileKeyPattern, isPattern, KeyPatternError } from './key-pattern.ts';
import { type Problems, WindowReadError } from './problems.ts';
import { type ByteCounter, type ByteSource, fileSource, httpSource, s3Source } from './sources.ts';
import type { TimeBounds } from './time.ts';
import type { WindowFormat } from './types.ts';

export interface WindowObject {
  readonly source: ByteSource;
  readonly format: WindowFormat;
  /** `.gz`: JSON Lines and CSV are gunzipped as they stream. */
  readonly gzip: boolean;
}

export interface Located {
  readonly objects: WindowObject[];
  /** Why there is nothing to read, when `objects` is empty. */
  readonly emptyReason?: string;
}

const EXTENSIONS: Record<string, WindowFormat> = {
  jsonl: 'jsonl',
  ndjson: 'jsonl',
  json: 'jsonl',
  csv: 'csv',
  tsv: 'csv',
  parquet: 'parquet',
  pq: 'parquet',
};

export const FORMS =
  's3://bucket/key, s3://bucket/folder/, s3://bucket/events/dt=%F/*.jsonl, file:///path, https://…';

/** The format a name implies (`x.csv.gz` → csv, gzipped), or undefined. */
export function formatOfName(name: string): { format?: WindowFormat; gzip: boolean } {
  const gzip = /\.gz$/i.test(name);
  const base = gzip ? name.slice(0, -3) : name;
  const ext = /\.([A-Za-z0-9]+)$/.exec(base)?.[1]?.toLowerCase();
  const format = ext ? EXTENSIONS[ext] : undefined;
  return format ? { format, gzip } : { gzip };
}

/** `_SUCCESS`, `.crc` files and folder markers sit beside data written by Spark and Hadoop. */
function isHidden(key: string): boolean {
  if (key.endsWith('/')) return true;
  const base = key.slice(key.lastIndexOf('/') + 1);
  return base.startsWith('_') || base.startsWith('.');
}

interface Listed {
  readonly key: string;
  readonly size?: number;
}

export interface LocateDeps {
  readonly store?: ObjectStore;
}

export async function locateObjects(
  uri: string,
  declared: WindowFormat | undefined,
  bounds: TimeBounds | undefined,
  deps: LocateDeps,
  count: ByteCounter,
  problems: Problems,
): Promise<Located> {
  const s3 = /^s3:\/\/([^/]+)\/?(.*)$/s.exec(uri);
  let list: (prefix: string) => AsyncIterable<Listed>;
  let open: (key: string, size?: number) => ByteSource;
  let path: string;
  let shown: (key: string) => string;
  if (s3) {
    const store = deps.store;
    if (!store) throw new WindowReadError(`cannot read ${uri}: no object store is configured on this worker`);
    const bucket = s3[1]!;
    path = s3[2]!;
    list = (prefix) => store.list(prefix, bucket);
    open = (key, size) => s3Source(store, bucket, key, count, size);
    shown = (key) => `s3://${bucket}/${key}`;
  } else if (uri.startsWith('file://')) {
    // Taken literally, not percent-decoded: `%F` in a key pattern is a time field, not an escape.
    path = uri.slice('file://'.length);
    if (!path.startsWith('/'))
      throw new WindowReadError(`not a file URI: ${uri} (expected file:///absolute/path)`);
    list = walk;
    open = (key) => fileSource(key, count);
    shown = (key) => `file://${key}`;
  } else if (/^https?:\/\//.test(uri)) {
    const f = declared ?? formatOfName(new URL(uri).pathname).format;
    if (!f) throw new WindowReadError(`cannot tell the format of ${uri}: add format: jsonl, csv or parquet`);
    return {
      objects: [{ source: httpSource(uri, count), format: f, gzip: /\.gz$/i.test(new URL(uri).pathname) }],
    };
  } else {
    throw new WindowReadError(`cannot read ${JSON.stringify(uri)}: expected ${FORMS}`);
  }

  if (!isPattern(path)) {
    const named = formatOfName(path);
    const f = declared ?? named.format;
    if (!f) throw new WindowReadError(`cannot tell the format of ${uri}: add format: jsonl, csv or parquet`);
    return { objects: [{ source: open(path), format: f, gzip: named.gzip }] };
  }

  let pattern: ReturnType<typeof compileKeyPattern>;
  try {
    pattern = compileKeyPattern(path);
  } catch (e) {
    if (e instanceof KeyPatternError) throw new WindowReadError(e.message);
    throw e;
  }
  const enumerated = bounds ? pattern.prefixesFor(bounds) : undefined;
  const prefixes = enumerated ?? [pattern.prefix];
  const objects: WindowObject[] = [];
  let matched = 0;
  try {
    for (const prefix of prefixes) {
      for await (const item of list(prefix)) {
        if (isHidden(item.key) || !pattern.matches(item.key)) continue;
        matched++;
        const period = pattern.periodOf(item.key);
        if (!period) {
          problems.add('skipped-object', shown(item.key), 'its key has an invalid date');
          continue;
        }
        if (bounds && !(period.start < bounds.to && period.end > bounds.from)) continue;
        const named = formatOfName(item.key);
        const f = declared ?? named.format;
        if (!f) {
          problems.add('skipped-object', shown(item.key), 'unknown extension; set format: to read it');
          continue;
        }
        objects.push({ source: open(item.key, item.size), format: f, gzip: named.gzip });
      }
    }
  } catch (e) {
    if (e instanceof WindowReadError) throw e;
    throw new WindowReadError(`cannot list ${uri}: ${(e as Error).message}`);
  }
  objects.sort((a, b) => (a.source.uri < b.source.uri ? -1 : a.source.uri > b.source.uri ? 1 : 0));
  if (objects.length > 0) return { objects };
  const where = `${shown(pattern.prefix)}${pattern.pattern === pattern.prefix ? '' : ` matching ${pattern.pattern}`}`;
  if (matched === 0) {
    // Only the window's periods were listed: objects may exist outside it.
    const span = enumerated && bounds ? ` in the window [${iso(bounds.from)}, ${iso(bounds.to)})` : '';
    return { objects, emptyReason: `no objects under ${where}${span}` };
  }
  return {
    objects,
    emptyReason: bounds
      ? `none of the ${matched} objects under ${where} falls in the window [${iso(bounds.from)}, ${iso(bounds.to)})`
      : `none of the ${matched} objects under ${where} is data`,
  };
}

const iso = (t: number) => (Number.isFinite(t) ? new Date(t).toISOString() : String(t));

/** A local folder, like an S3 listing: every file below the prefix's folder, by path. */
async function* walk(prefix: string): AsyncGenerator<Listed> {
  const dir = prefix.slice(0, prefix.lastIndexOf('/') + 1) || '/';
  const stack = [dir];
  const files: string[] = [];
  while (stack.length > 0) {
    const d = stack.pop()!;
    let entries: import('node:fs').Dirent[];
    try {
      entries = await readdir(d, { withFileTypes: true });
    } catch (e) {
      if ((e as { code?: string }).code === 'ENOENT') continue;
      throw e;
    }
    for (const e of entries) {
      const p = join(d, e.name);
      if (e.isDirectory()) stack.push(p);
      else if (e.isFile() && p.startsWith(prefix)) files.push(p);
    }
  }
  files.sort();
  for (const key of files) yield { key };
}
