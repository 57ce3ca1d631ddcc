// The benchmark's window, written three ways (JSON Lines, CSV, Parquet) from
// one row formula, streamed to disk so the generator itself stays small.
//   node --import tsx bench/windows-data.ts DIR ROWS
import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { join } from 'node:path';
import { fileWriter, ParquetWriter, schemaFromColumnData } from 'hyparquet-writer';

const COUNTRIES = ['fr', 'de', 'it', 'es', 'nl', 'be', 'pl', 'pt'];
const T0 = Date.UTC(2025, 0, 1);

/** Row i of the window; the same formula as bench/windows_reference.py's checks expect. */
export function benchRow(i: number) {
  return {
    ts: new Date(T0 + i * 1000).toISOString(),
    amount: (i % 10_007) * 0.37,
    qty: i % 13,
    country: COUNTRIES[i % 8]!,
    user: `u${(i * 7919) % 1_000_003}`,
  };
}

async function writeText(
  path: string,
  rows: number,
  header: string | undefined,
  line: (i: number) => string,
) {
  const out = createWriteStream(path);
  if (header) out.write(`${header}\n`);
  const BATCH = 10_000;
  for (let start = 0; start < rows; start += BATCH) {
    let chunk = '';
    for (let i = start; i < Math.min(rows, start + BATCH); i++) chunk += `${line(i)}\n`;
    if (!out.write(chunk)) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
}

async function writeParquet(path: string, rows: number) {
  const GROUP = 100_000;
  const group = (start: number) => {
    const n = Math.min(GROUP, rows - start);
    const r = Array.from({ length: n }, (_, k) => benchRow(start + k));
    return [
      { name: 'ts', data: r.map((x) => new Date(x.ts)), type: 'TIMESTAMP' as const },
      { name: 'amount', data: Float64Array.from(r, (x) => x.amount), type: 'DOUBLE' as const },
      { name: 'qty', data: Int32Array.from(r, (x) => x.qty), type: 'INT32' as const },
      { name: 'country', data: r.map((x) => x.country), type: 'STRING' as const },
      { name: 'user', data: r.map((x) => x.user), type: 'STRING' as const },
    ];
  };
  const first = group(0);
  const writer = new ParquetWriter({
    writer: fileWriter(path),
    schema: schemaFromColumnData({ columnData: first }),
  });
  // write/finish return a promise only for writers that flush asynchronously; awaiting covers both.
  await writer.write({ columnData: first, rowGroupSize: GROUP });
  for (let start = GROUP; start < rows; start += GROUP)
    await writer.write({ columnData: group(start), rowGroupSize: GROUP });
  await writer.finish();
}

export async function generate(dir: string, rows: number) {
  await writeText(join(dir, 'window.jsonl'), rows, undefined, (i) => JSON.stringify(benchRow(i)));
  await writeText(join(dir, 'window.csv'), rows, 'ts,amount,qty,country,user', (i) => {
    const r = benchRow(i);
    return `${r.ts},${r.amount},${r.qty},${r.country},${r.user}`;
  });
  await writeParquet(join(dir, 'window.parquet'), rows);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const [dir = '.', rows = '1000'] = process.argv.slice(2);
  await generate(dir, Number(rows));
}
