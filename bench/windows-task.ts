// ctpilot's side of one window benchmark, in its own process so its peak RSS
// is its own. Reads the window's `amount` and `country` with the default
// budget (a window above 1,000,000 rows is summarised while streaming) and
// prints one JSON line.
//   node --import tsx bench/windows-task.ts URI|sql REPEATS
import { readFileSync } from 'node:fs';
import { createPool } from '../activities/postgres/pool.ts';
import { ObjectStore } from '../activities/s3/client.ts';
import { readWindow, type WindowResult } from '../activities/windows/index.ts';
import { NumericSummary } from '../stats/index.ts';
import { loadConfig } from '../workers/config.ts';

/**
 * Peak resident set of this process's own address space (VmHWM). Not
 * getrusage's maxRSS: on Linux that keeps the parent's peak across fork and
 * exec, and the bench's parent holds the generated files.
 */
function rssMb(): number {
  try {
    const kb = /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'))?.[1];
    if (kb) return Number(kb) / 1024;
  } catch {}
  return process.resourceUsage().maxRSS / 1024;
}
const [target = '', repeatsArg = '1'] = process.argv.slice(2);
const config = loadConfig();
const store = new ObjectStore({ ...config.s3 });
const pool = createPool(config.postgres.url, { max: 1 });
const description =
  target === 'sql' ? { sql: 'SELECT amount, country FROM bench_window ORDER BY id' } : { uri: target };

const before = rssMb();
const seconds: number[] = [];
let last: WindowResult | undefined;
for (let i = 0; i < Number(repeatsArg); i++) {
  const t = process.hrtime.bigint();
  last = await readWindow(description, { store, pool }, { columns: ['amount', 'country'] });
  seconds.push(Number(process.hrtime.bigint() - t) / 1e9);
  if (last.outcome === 'error' || last.outcome === 'empty') {
    throw new Error(last.outcome === 'error' ? last.message : last.reason);
  }
}
const r = last!;
const amount =
  r.outcome === 'summaries'
    ? (r.summaries.amount!.summary as NumericSummary)
    : r.outcome === 'columns'
      ? new NumericSummary().addAll(r.columns.amount!.values as Float64Array)
      : undefined;
console.log(
  JSON.stringify({
    seconds,
    rss_before_mb: before,
    peak_rss_mb: rssMb(),
    rows: r.meta.rowsRead,
    bytes: r.meta.bytesRead,
    outcome: r.outcome,
    result: { count: amount?.count, mean: amount?.mean, p50: amount?.sketch.quantile(0.5) },
  }),
);
store.destroy();
await pool.end();
