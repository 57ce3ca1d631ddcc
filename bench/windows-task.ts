// ctpilot's side of one window benchmark, in its own process so its peak RSS
// is its own. Reads the window's `amount` and `country` with the default
// budget (a window above 1,000,000 rows is summarised while streaming) and
// prints one JSON line.
//   node --import tsx bench/windows-task.ts URI|sql REPEATS
import { createPool } from '../activities/postgres/pool.ts';
import { ObjectStore } from '../activities/s3/client.ts';
import { readWindow, type WindowResult } from '../activities/windows/index.ts';
import { NumericSummary } from '../stats/index.ts';
import { loadConfig } from '../workers/config.ts';

const rssMb = () => process.resourceUsage().maxRSS / 1024;
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
