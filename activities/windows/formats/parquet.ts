// Parquet through hyparquet, by byte ranges: the footer first, then, for
// each row group the window needs, only the column chunks of the needed
// columns. With a timestamp column of a TIMESTAMP or DATE type, row groups
// whose statistics lie outside [from, to) are never fetched. Memory is one
// row group of the needed columns at a time. Every codec Parquet writers use
// (snappy, gzip, zstd, brotli, lz4) decodes through hyparquet-compressors.

import {
  type AsyncBuffer,
  type FileMetaData,
  parquetMetadataAsync,
  parquetScan,
  parquetSchema,
} from 'hyparquet';
import { compressors } from 'hyparquet-compressors';
import type { ColumnKind } from '../../../stats/index.ts';
import type { WindowObject } from '../locate.ts';
import { WindowReadError } from '../problems.ts';
import type { WindowSink } from '../sink.ts';

type Element = FileMetaData['schema'][number];

/** hyparquet's default first fetch: enough for the footer of most files. */
const TAIL = 1 << 19;

const copy = (b: Uint8Array): ArrayBuffer =>
  b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer;

/** The type in Parquet's words: the logical type when there is one (`STRING`, `TIMESTAMP`), else the physical. */
function typeName(e: Element): string {
  if (e.num_children !== undefined && e.num_children > 0) return e.converted_type ?? 'GROUP';
  return e.logical_type?.type ?? e.converted_type ?? e.type ?? 'UNKNOWN';
}

/** The kind a Parquet type implies; undefined leaves it to the values (nested and unknown types). */
function kindOf(e: Element): ColumnKind | undefined {
  if (e.num_children !== undefined && e.num_children > 0) return undefined;
  const logical = e.logical_type?.type ?? e.converted_type;
  if (logical === 'STRING' || logical === 'UTF8' || logical === 'ENUM' || logical === 'UUID')
    return 'categorical';
  if (e.type === 'BOOLEAN') return 'categorical';
  if (e.type === 'BYTE_ARRAY' || e.type === 'FIXED_LEN_BYTE_ARRAY') {
    return logical === 'DECIMAL' || logical === 'FLOAT16' ? 'numeric' : undefined;
  }
  // INT32, INT64, INT96, FLOAT, DOUBLE, with or without INTEGER/DECIMAL/DATE/TIMESTAMP annotations.
  return 'numeric';
}

function isTimeType(e: Element | undefined): boolean {
  const t = e?.logical_type?.type ?? e?.converted_type;
  return (
    t === 'TIMESTAMP' ||
    t === 'DATE' ||
    t === 'TIMESTAMP_MILLIS' ||
    t === 'TIMESTAMP_MICROS' ||
    e?.type === 'INT96'
  );
}

/** Decimal places of a DECIMAL column (0 for other columns). */
function decimalScale(e: Element | undefined): number {
  const t = e?.logical_type?.type ?? e?.converted_type;
  return t === 'DECIMAL' ? (e?.scale ?? 0) : 0;
}

/**
 * hyparquet scales decimals by multiplying with 10^-scale, which leaves
 * 3.0300000000000002 for 3.03; the nearest double to the decimal itself is
 * what pyarrow and pandas give, and what a drift test should compare.
 */
function roundDecimals(values: ArrayLike<unknown>, scale: number): unknown[] {
  return Array.from(values, (v) =>
    typeof v === 'number' && Number.isFinite(v) ? Number(v.toFixed(Math.min(scale, 100))) : v,
  );
}

export async function readParquet(obj: WindowObject, sink: WindowSink): Promise<void> {
  const uri = obj.source.uri;
  if (obj.gzip)
    throw new WindowReadError(
      `${uri}: Parquet compresses inside the file; a gzipped Parquet file cannot be read by ranges`,
    );
  const fail = (what: string) => (e: unknown) => {
    if (e instanceof WindowReadError) throw e;
    throw new WindowReadError(`cannot read Parquet ${uri}: ${what}${(e as Error).message}`);
  };
  const size = await obj.source.size();
  // The last TAIL bytes are fetched once, for the footer, and kept: in a
  // small file they hold the data too, and nothing is fetched twice.
  const tailStart = Math.max(0, size - TAIL);
  let tail: Promise<Uint8Array> | undefined;
  const file: AsyncBuffer = {
    byteLength: size,
    slice: async (start, end = size) => {
      if (start >= tailStart) {
        tail ??= obj.source.read(tailStart, size);
        const t = await tail;
        return copy(t.subarray(start - tailStart, end - tailStart));
      }
      return copy(await obj.source.read(start, end));
    },
  };
  const metadata = await parquetMetadataAsync(file).catch(fail('not a Parquet file? '));
  const top = new Map<string, Element>();
  for (const child of parquetSchema(metadata).children) top.set(child.element.name, child.element);
  for (const [name, e] of top) if (!sink.available.has(name)) sink.available.set(name, typeName(e));

  const ts = sink.options.timestampColumn;
  if (ts !== undefined && !top.has(ts)) {
    throw new WindowReadError(
      `${uri} has no column \`${ts}\` (the window's timestamp column); columns: ${[...top.keys()].join(', ')}`,
    );
  }
  const present = sink.cols.filter((c) => top.has(c.name));
  for (const c of present) c.sourceKind(kindOf(top.get(c.name)!));
  const read = [...new Set([...present.map((c) => c.name), ...(ts !== undefined ? [ts] : [])])];
  const bounds = sink.options.bounds;
  // Row-group pruning compares statistics with Dates: only for time-typed columns.
  const pruning =
    ts !== undefined && bounds && isTimeType(top.get(ts))
      ? {
          [ts]: {
            ...(Number.isFinite(bounds.from) ? { $gte: new Date(bounds.from) } : {}),
            ...(Number.isFinite(bounds.to) ? { $lt: new Date(bounds.to) } : {}),
          },
        }
      : undefined;
  const scan = await parquetScan({
    file,
    metadata,
    columns: read,
    compressors,
    ...(pruning ? { pruningFilter: pruning } : {}),
  }).catch(fail(''));

  const colIndex = sink.cols.map((c) => (top.has(c.name) ? read.indexOf(c.name) : -1));
  const decimals = read.map((name) => decimalScale(top.get(name)));
  const tsAt = ts === undefined ? -1 : read.indexOf(ts);
  for (const range of scan.ranges) {
    const data: ArrayLike<unknown>[] = [];
    for (const column of read) {
      data.push(
        await Promise.resolve(scan.readColumn({ column, ...range })).catch(fail(`column \`${column}\`: `)),
      );
    }
    for (const [k, scale] of decimals.entries()) if (scale > 0) data[k] = roundDecimals(data[k]!, scale);
    const rows = range.rowEnd - range.rowStart;
    for (let i = 0; i < rows; i++) {
      const ref = range.rowStart + i + 1;
      if (tsAt >= 0 && !sink.acceptTime(data[tsAt]![i], ref)) continue;
      for (let j = 0; j < colIndex.length; j++) {
        const k = colIndex[j]!;
        sink.cols[j]!.push(k < 0 ? undefined : data[k]![i], ref);
      }
      sink.endRow();
    }
    sink.tick();
  }
}
