// CSV (and .tsv), streamed through csv-parse: RFC 4180 quoting, a header
// row naming the columns, a UTF-8 byte-order mark dropped. Every field
// arrives as text, so kinds are inferred as columnsFromRecords infers them
// from strings (a first non-empty value that reads as a finite number makes
// the column numeric); an empty field is missing. A record csv-parse cannot
// read (wrong number of fields, a stray quote) is left out and reported with
// its line; the rest of the object is still read. Values are located by data
// row: `row 1` is the first record after the header.

import { Readable } from 'node:stream';
import { type CsvError, parse } from 'csv-parse';
import type { WindowObject } from '../locate.ts';
import { WindowReadError } from '../problems.ts';
import type { WindowSink } from '../sink.ts';
import { textBytes } from './text.ts';

export async function readCsv(obj: WindowObject, sink: WindowSink): Promise<void> {
  const uri = obj.source.uri;
  const parser = parse({
    bom: true,
    delimiter: /\.tsv(\.gz)?$/i.test(uri) ? '\t' : ',',
    skip_empty_lines: true,
    skip_records_with_error: true,
    // Not `info: true`: a context object per record makes csv-parse 2.5 times
    // slower. Values are located by data row (the header is not a row);
    // records csv-parse rejects carry the line it stopped at.
    on_skip: (e: CsvError | undefined) => {
      if (e)
        sink.rejectAt(
          `${uri} line ${Number(e.lines ?? 0)}`,
          e.message.replace(/ on line \d+$| at line \d+$/, ''),
        );
      return undefined;
    },
  });
  const source = Readable.from(await textBytes(obj));
  source.on('error', (e) => parser.destroy(e));
  source.pipe(parser);

  let header: string[] | undefined;
  const names = sink.cols.map((c) => c.name);
  let index: number[] = [];
  let tsIndex = -1;
  let row = 0;
  const take = (record: string[]) => {
    if (!header) {
      header = record;
      for (const h of header) if (!sink.available.has(h)) sink.available.set(h, 'text');
      // -1: the object has no such column; its cells are undefined, i.e. absent.
      index = names.map((name) => header!.indexOf(name));
      const ts = sink.options.timestampColumn;
      tsIndex = ts === undefined ? -1 : header.indexOf(ts);
      if (ts !== undefined && tsIndex < 0) {
        throw new WindowReadError(
          `${uri} has no column \`${ts}\` (the window's timestamp column); header: ${header.join(', ')}`,
        );
      }
      return;
    }
    row++;
    if (row % 8192 === 0) sink.tick();
    if (tsIndex >= 0 && !sink.acceptTime(record[tsIndex], row)) return;
    for (let j = 0; j < index.length; j++) {
      const i = index[j]!;
      sink.cols[j]!.push(i < 0 ? undefined : record[i], row);
    }
    sink.endRow();
  };
  try {
    // 'data' events rather than `for await`: an async iteration step per record costs more than parsing it.
    await new Promise<void>((resolve, reject) => {
      parser.on('data', (record: string[]) => {
        try {
          take(record);
        } catch (e) {
          parser.destroy(e as Error);
        }
      });
      parser.on('error', reject);
      parser.on('end', resolve);
    });
  } catch (e) {
    if (e instanceof WindowReadError) throw e;
    if ((e as { code?: string }).code === 'ERR_ENCODING_INVALID_ENCODED_DATA') {
      throw new WindowReadError(`${uri} is not valid UTF-8`);
    }
    throw new WindowReadError(`cannot read CSV ${uri}: ${(e as Error).message}`);
  } finally {
    source.destroy();
  }
  sink.tick();
}
