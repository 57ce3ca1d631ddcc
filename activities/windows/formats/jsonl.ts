// JSON Lines, streamed line by line: one JSON object per line, blank lines
// skipped. A line that is not a JSON object is left out and reported with
// its line number; the rest of the object is still read.

import type { WindowObject } from '../locate.ts';
import { WindowReadError } from '../problems.ts';
import type { WindowSink } from '../sink.ts';
import { textBytes } from './text.ts';

/** Rows whose keys are added to the window's `available` columns (keys are usually the same on every row). */
const SAMPLED_ROWS = 1000;
/** A line longer than this is not a record of a data window (a binary file read as text, say). */
const MAX_LINE = 64 << 20;

function jsonType(v: unknown): string {
  return v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v;
}

export async function readJsonLines(obj: WindowObject, sink: WindowSink): Promise<void> {
  const decoder = new TextDecoder('utf-8', { fatal: true });
  const names = sink.cols.map((c) => c.name);
  const ts = sink.options.timestampColumn;
  let line = 0;
  let sampled = 0;
  let pending = '';

  const take = (text: string) => {
    line++;
    // Blank lines (and a lone \r of CRLF files) are not rows.
    if (text.length === 0 || (text.length <= 2 && text.trim() === '')) return;
    let rec: unknown;
    try {
      rec = JSON.parse(text);
    } catch (e) {
      if (text.trim() === '') return;
      sink.reject(line, (e as Error).message);
      return;
    }
    if (typeof rec !== 'object' || rec === null || Array.isArray(rec)) {
      sink.reject(line, `expected a JSON object, got ${jsonType(rec)}`);
      return;
    }
    const r = rec as Record<string, unknown>;
    if (sampled < SAMPLED_ROWS) {
      sampled++;
      for (const k in r) if (!sink.available.has(k)) sink.available.set(k, jsonType(r[k]));
    }
    if (ts !== undefined && !sink.acceptTime(r[ts], line)) return;
    for (let j = 0; j < names.length; j++) sink.cols[j]!.push(r[names[j]!], line);
    sink.endRow();
  };

  try {
    for await (const chunk of await textBytes(obj)) {
      let text: string;
      try {
        text = decoder.decode(chunk, { stream: true });
      } catch (e) {
        if ((e as { code?: string }).code !== 'ERR_ENCODING_INVALID_ENCODED_DATA') throw e;
        throw new WindowReadError(`${obj.source.uri} is not valid UTF-8 (line ${badLine(chunk, line + 1)})`);
      }
      const lines = (pending + text).split('\n');
      pending = lines.pop() ?? ''; // may continue in the next chunk
      if (pending.length > MAX_LINE) {
        throw new WindowReadError(
          `${obj.source.uri} line ${line + 1} is longer than ${MAX_LINE} characters: is it JSON Lines?`,
        );
      }
      for (const text of lines) take(text);
      sink.tick();
    }
    pending += decoder.decode();
  } catch (e) {
    if ((e as { code?: string }).code === 'ERR_ENCODING_INVALID_ENCODED_DATA') {
      throw new WindowReadError(`${obj.source.uri} is not valid UTF-8 (at its end, after line ${line})`);
    }
    throw e;
  }
  if (pending !== '') take(pending);
  sink.tick();
}

/** The first line of a chunk that is not UTF-8 (only on the error path: decodes line by line). */
function badLine(chunk: Uint8Array, first: number): number {
  const strict = new TextDecoder('utf-8', { fatal: true });
  let start = 0;
  for (let n = first; ; n++) {
    const end = chunk.indexOf(10, start);
    try {
      strict.decode(chunk.subarray(start, end < 0 ? chunk.length : end));
    } catch {
      return n;
    }
    if (end < 0) return n;
    start = end + 1;
  }
}
