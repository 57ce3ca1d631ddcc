// readWindow: a window description in, one WindowResult out — never a throw.
// Picks the reader (one per format, plus SQL), runs it over each object of
// the window into one sink, and classifies what came back:
//   a failure anywhere                     → error (the message names object, line, column or query)
//   no rows, nothing unreadable            → empty (why: empty object, empty prefix, all rows outside [from, to))
//   no rows, only unreadable ones          → error (it is not JSON Lines / CSV at all)
//   a needed column found nowhere          → error (lists the columns that exist)
//   rows within the budget                 → columns
//   rows beyond it                         → summaries

import type { SecretResolver } from '../../policies/secrets.ts';
import type { Pool } from '../postgres/pool.ts';
import type { ObjectStore } from '../s3/client.ts';
import { readCsv } from './formats/csv.ts';
import { readJsonLines } from './formats/jsonl.ts';
import { readParquet } from './formats/parquet.ts';
import { locateObjects, type WindowObject } from './locate.ts';
import { WindowReadError } from './problems.ts';
import { WindowSink } from './sink.ts';
import { readSql } from './sql.ts';
import { type TimeBounds, timeBounds } from './time.ts';
import type {
  ReadWindowOptions,
  WindowDescription,
  WindowFormat,
  WindowMeta,
  WindowResult,
} from './types.ts';

/** The clients a read may need; each is optional so a worker without S3 can still read SQL windows. */
export interface WindowDeps {
  readonly store?: ObjectStore;
  readonly pool?: Pool;
  /** Resolves `${env:…}` / `${file:…}` in a window's `connection`. */
  readonly secrets?: SecretResolver;
}

export const DEFAULT_BUDGET = { maxRows: 1_000_000, maxBytes: 256 * 1024 * 1024 } as const;

type FormatReader = (obj: WindowObject, sink: WindowSink) => Promise<void>;

/** One reader per format: adding a format is one file and one line here. */
const READERS: Record<WindowFormat, FormatReader> = {
  jsonl: readJsonLines,
  csv: readCsv,
  parquet: readParquet,
};

const MAX_LISTED_OBJECTS = 100;

export async function readWindow(
  description: WindowDescription,
  deps: WindowDeps,
  options: ReadWindowOptions,
): Promise<WindowResult> {
  const started = performance.now();
  const d = description;
  const isSql = d.sql !== undefined;
  const source = isSql ? 'sql' : (d.uri ?? '');
  const objects: { uri: string; bytes: number; rows: number }[] = [];
  let objectCount = 0;
  let sink: WindowSink | undefined;

  const meta = (): WindowMeta => {
    const s = sink;
    const observed =
      s && Number.isFinite(s.observedMin)
        ? { from: new Date(s.observedMin).toISOString(), to: new Date(s.observedMax).toISOString() }
        : undefined;
    return {
      source,
      ...(isSql
        ? { format: 'sql' as const, query: d.sql, params: d.params ?? [] }
        : d.format
          ? { format: d.format }
          : {}),
      objects,
      objectCount,
      rowsRead: s?.rows ?? 0,
      rowsOutsideWindow: s?.rowsOutside ?? 0,
      rowsRejected: s?.rejected ?? 0,
      bytesRead: s?.bytesRead ?? 0,
      requested: {
        ...(d.from !== undefined ? { from: d.from } : {}),
        ...(d.to !== undefined ? { to: d.to } : {}),
      },
      ...(observed ? { observed } : {}),
      available: Object.fromEntries(s?.available ?? []),
      schema: Object.fromEntries(
        (s?.cols ?? [])
          .filter((c) => c.kind !== undefined)
          .map((c) => [c.name, { kind: c.kind!, from: c.from! }]),
      ),
      elapsedMs: Math.round(performance.now() - started),
    };
  };
  const problems = () => sink?.problems.list() ?? [];
  const error = (message: string): WindowResult => ({
    outcome: 'error',
    message,
    meta: meta(),
    problems: problems(),
  });

  try {
    if ((d.uri === undefined) === (d.sql === undefined)) {
      return error('a data window needs exactly one of uri or sql');
    }
    const columns = [...new Set(options.columns)];
    if (columns.length === 0) return error('no columns requested: name the columns the metric needs');
    let bounds: TimeBounds | undefined;
    if (d.from !== undefined || d.to !== undefined) {
      try {
        bounds = timeBounds(d.from, d.to);
      } catch (e) {
        return error((e as Error).message);
      }
    }
    sink = new WindowSink({
      columns,
      ...(d.types ? { types: d.types } : {}),
      ...(d.timestampColumn !== undefined ? { timestampColumn: d.timestampColumn } : {}),
      ...(bounds ? { bounds } : {}),
      maxRows: options.budget?.maxRows ?? DEFAULT_BUDGET.maxRows,
      maxBytes: options.budget?.maxBytes ?? DEFAULT_BUDGET.maxBytes,
      sketchAlpha: options.sketchAlpha ?? 0.01,
      maxExamples: options.maxExamples ?? 5,
      ...(options.signal ? { signal: options.signal } : {}),
      ...(options.onProgress ? { onProgress: options.onProgress } : {}),
    });

    if (isSql) {
      await readSql(d.sql!, d.params ?? [], d.connection, sink, deps, {
        fetchRows: options.fetchRows ?? 10_000,
        ...(options.statementTimeoutMs !== undefined
          ? { statementTimeoutMs: options.statementTimeoutMs }
          : {}),
      });
      objectCount = 1;
    } else {
      const s = sink;
      const located = await locateObjects(
        d.uri!,
        d.format,
        bounds,
        deps,
        (n) => (s.bytesRead += n),
        s.problems,
      );
      if (located.objects.length === 0) {
        return {
          outcome: 'empty',
          reason: located.emptyReason ?? 'no objects',
          meta: meta(),
          problems: problems(),
        };
      }
      for (const obj of located.objects) {
        const bytesBefore = s.bytesRead;
        s.beginObject(obj.source.uri, obj.format === 'jsonl' ? 'line' : 'row');
        s.tick();
        await READERS[obj.format](obj, s);
        const rows = s.endObject();
        objectCount++;
        if (objects.length < MAX_LISTED_OBJECTS) {
          objects.push({ uri: obj.source.uri, bytes: s.bytesRead - bytesBefore, rows });
        }
      }
    }
    return conclude(sink, description, bounds, meta, problems);
  } catch (e) {
    if (e instanceof WindowReadError) return error(e.message);
    return error(`unexpected failure reading ${source}: ${(e as Error)?.message ?? String(e)}`);
  }
}

function conclude(
  sink: WindowSink,
  d: WindowDescription,
  bounds: TimeBounds | undefined,
  meta: () => WindowMeta,
  problems: () => WindowResult['problems'],
): WindowResult {
  const where = d.sql !== undefined ? 'the window query' : d.uri!;
  // A column no object had is a wrong description (a misspelt feature), not missing data.
  const structural = sink.available.size > 0;
  if (sink.rows > 0 || structural) {
    const absent = sink.cols
      .filter((c) => !c.seen && !sink.available.has(c.name))
      .map((c) => `\`${c.name}\``);
    if (absent.length > 0) {
      const found = [...sink.available.keys()];
      return {
        outcome: 'error',
        message: `${where} has no column ${absent.join(', ')}${found.length ? `; columns found: ${found.join(', ')}` : ''}`,
        meta: meta(),
        problems: problems(),
      };
    }
  }
  if (sink.rows === 0) {
    if (sink.rejected > 0) {
      const first = problems().find((p) => p.code === 'unparseable-row')?.examples[0];
      return {
        outcome: 'error',
        message: `no row of ${where} could be read (${sink.rejected} rejected${first ? `; first: ${first.at}: ${first.detail}` : ''})`,
        meta: meta(),
        problems: problems(),
      };
    }
    const reason =
      sink.rowsOutside > 0 && bounds
        ? `no rows of ${where} have \`${d.timestampColumn}\` in [${d.from ?? '-∞'}, ${d.to ?? '+∞'}) (${sink.rowsOutside} rows outside)`
        : sink.problems.count('bad-timestamp') > 0
          ? `no rows of ${where} have a readable \`${d.timestampColumn}\``
          : d.sql !== undefined
            ? 'the window query returned no rows'
            : `${where} holds no rows`;
    return { outcome: 'empty', reason, meta: meta(), problems: problems() };
  }
  if (sink.summarising) {
    return {
      outcome: 'summaries',
      summaries: Object.fromEntries(sink.cols.map((c) => [c.name, c.windowSummary()])),
      reason: `${sink.summaryReason}: summarised while streaming`,
      meta: meta(),
      problems: problems(),
    };
  }
  return {
    outcome: 'columns',
    columns: Object.fromEntries(sink.cols.map((c) => [c.name, c.column()])),
    meta: meta(),
    problems: problems(),
  };
}
