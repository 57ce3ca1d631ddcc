// Throughput and memory of the data-window readers, side by side with pandas
// reading the same file, in one run:
//
//   node --import tsx bench/windows.bench.ts                 3,500,000 rows (~320 MB of JSON Lines)
//   node --import tsx bench/windows.bench.ts --rows 500000   a quicker run
//
// The window is generated once (bench/windows-data.ts) as JSON Lines, CSV and
// Parquet; the S3 server and PGlite are started on free ports (as `npm test`
// does) and the files uploaded, and a table of the same size is made in
// PGlite. Each reader reads `amount` and `country` with the default budget
// (1,000,000 rows), so windows above it are summarised while streaming: peak
// RSS is the point. Every (tool, source) runs in its own process; "peak RSS"
// is that process's maximum resident set, "before" its RSS before reading.
// pandas (from the parity venv, `node infra/parity-env.mjs`) reads the local
// file: whole (its usual way) and, for text formats, in 100,000-row chunks
// keeping running counts (its bounded-memory way). The ratio compares
// ctpilot on the same local file (file://) with pandas.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createPool } from '../activities/postgres/pool.ts';
import { ObjectStore } from '../activities/s3/client.ts';
import { freePorts } from '../infra/stack/ports.ts';
import { startStack } from '../infra/stack/stack.ts';
import { loadConfig } from '../workers/config.ts';
import { generate } from './windows-data.ts';

const root = fileURLToPath(new URL('..', import.meta.url));
const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
};
const ROWS = arg('rows', 3_500_000);
const SQL_ROWS = arg('sql-rows', 1_000_000);

interface Run {
  seconds: number[];
  rss_before_mb: number;
  peak_rss_mb: number;
  rows: number;
  bytes?: number;
  outcome?: string;
  result: Record<string, number>;
}

function run(cmd: string, args: string[], env: NodeJS.ProcessEnv): Run {
  const res = spawnSync(cmd, args, {
    cwd: root,
    encoding: 'utf8',
    maxBuffer: 1 << 24,
    env: { ...process.env, ...env },
  });
  if (res.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed:\n${res.stderr}`);
  return JSON.parse(res.stdout.trim().split('\n').pop() ?? '') as Run;
}

const python = spawnSync(process.execPath, ['infra/parity-env.mjs', '--check'], {
  cwd: root,
  encoding: 'utf8',
});
const py = python.status === 0 ? python.stdout.trim() : undefined;
if (!py) console.log(`pandas side skipped: ${python.stderr.trim()}`);

const dir = mkdtempSync(join(tmpdir(), 'ctpilot-windows-bench-'));
const home = mkdtempSync(join(tmpdir(), 'ctpilot-windows-bench-home-'));
const [s3Port, pgPort] = await freePorts(2);
const env = { CTPILOT_HOME: home, CTPILOT_S3_PORT: String(s3Port), CTPILOT_POSTGRES_PORT: String(pgPort) };
const config = loadConfig({ ...process.env, ...env });
const stack = await startStack(config, { only: ['s3', 'postgres'] });
try {
  console.log(
    `node ${process.version}${py ? `, ${py}` : ''}; ${ROWS.toLocaleString('en')} rows per file, ${SQL_ROWS.toLocaleString('en')} SQL rows`,
  );
  await generate(dir, ROWS);
  const store = new ObjectStore({ ...config.s3 });
  await store.ensureBucket();
  const key = (f: string) => `bench/${f}`;
  for (const f of ['window.jsonl', 'window.csv', 'window.parquet'])
    await store.put(key(f), readFileSync(join(dir, f)));
  store.destroy();
  const pool = createPool(config.postgres.url, { max: 1 });
  await pool.query('DROP TABLE IF EXISTS bench_window');
  await pool.query('CREATE TABLE bench_window (id int PRIMARY KEY, amount float8, country text)');
  await pool.query(
    `INSERT INTO bench_window SELECT i, (i % 10007) * 0.37, (ARRAY['fr','de','it','es','nl','be','pl','pt'])[1 + i % 8]
     FROM generate_series(0, ${SQL_ROWS - 1}) AS i`,
  );
  await pool.end();

  const childEnv = {
    ...env,
    S3_ENDPOINT: config.s3.endpoint,
    AWS_ACCESS_KEY_ID: config.s3.accessKeyId ?? '',
    AWS_SECRET_ACCESS_KEY: config.s3.secretAccessKey ?? '',
    DATABASE_URL: config.postgres.url,
  };
  const ours = (target: string) =>
    run(process.execPath, ['--import', 'tsx', 'bench/windows-task.ts', target, '1'], childEnv);
  const line = (label: string, r: Run, mb?: number) => {
    const s = r.seconds[0]!;
    const rate = `${Math.round(r.rows / s).toLocaleString('en')} rows/s`;
    const through = mb ? `, ${(mb / s).toFixed(0)} MB/s` : '';
    console.log(
      `  ${label.padEnd(26)} ${s.toFixed(2).padStart(7)} s  ${rate.padStart(16)}${through}  peak RSS ${r.peak_rss_mb.toFixed(0)} MB (before ${r.rss_before_mb.toFixed(0)})  ${r.outcome ?? ''} ${JSON.stringify(r.result)}`,
    );
    return s;
  };

  for (const [fmt, file] of [
    ['jsonl', 'window.jsonl'],
    ['csv', 'window.csv'],
    ['parquet', 'window.parquet'],
  ] as const) {
    const mb = statSync(join(dir, file)).size / 1e6;
    console.log(`\n${fmt}: ${mb.toFixed(0)} MB`);
    line('ctpilot s3://', ours(`s3://${config.s3.bucket}/${key(file)}`), mb);
    const local = line('ctpilot file://', ours(`file://${join(dir, file)}`), mb);
    if (!py) continue;
    const whole = line(
      'pandas (whole file)',
      run(py, ['bench/windows_reference.py', fmt, join(dir, file), 'whole'], {}),
      mb,
    );
    console.log(`  speed-up vs pandas whole: ${(whole / local).toFixed(2)}×`);
    if (fmt !== 'parquet') {
      const chunked = line(
        'pandas (chunked, counts)',
        run(py, ['bench/windows_reference.py', fmt, join(dir, file), 'chunked'], {}),
        mb,
      );
      console.log(`  speed-up vs pandas chunked: ${(chunked / local).toFixed(2)}×`);
    }
  }
  console.log(`\nsql: ${SQL_ROWS.toLocaleString('en')} rows from PGlite (server-side cursor, FETCH 10,000)`);
  line('ctpilot', ours('sql'));
} finally {
  await stack.stop();
  rmSync(dir, { recursive: true, force: true });
  rmSync(home, { recursive: true, force: true });
}
