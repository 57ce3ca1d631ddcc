// How many policies one orchestrator worker holds on this machine. For each N,
// N policies (one Prometheus metric each, over a real Prometheus that scrapes
// N generated series) are applied and evaluated on their cadence by worker
// processes against the local Temporal server for a measured period:
//
//   evaluations/s sustained, evaluation lag (actual − scheduled, p50/p99),
//   worker CPU and peak memory, history events per policy per day,
//   Prometheus queries/s, audit rows/s.
//
//   node --import tsx bench/scale.bench.ts [--n 100,1000] [--every 30s] [--measure 120] [--workers 1]
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Client, Connection } from '@temporalio/client';
import { stringify } from 'yaml';
import { migrate } from '../activities/postgres/migrate.ts';
import { PrometheusClient, singleValue } from '../activities/prometheus/client.ts';
import { freePorts } from '../infra/stack/ports.ts';
import { durationMs } from '../policies/duration.ts';
import { type LoadedPolicy, loadPolicy } from '../policies/loader.ts';
import { uniqueName } from '../test/support/env.ts';
import { startTestStack } from '../test/support/test-stack.ts';
import { startWorkerProcess, type WorkerProcess } from '../test/support/worker-process.ts';
import { createClients } from '../workers/clients.ts';
import { loadConfig } from '../workers/config.ts';
import { applyPolicies } from '../workers/policy-sync.ts';

const { values: args } = parseArgs({
  options: {
    n: { type: 'string', default: '100,1000' },
    every: { type: 'string', default: '30s' },
    measure: { type: 'string', default: '120' },
    workers: { type: 'string', default: '1' },
  },
});
const sizes = args.n!.split(',').map(Number);
const every = args.every!;
const measureSeconds = Number(args.measure);
const workerCount = Number(args.workers);

const stack = await startTestStack();
Object.assign(process.env, stack.env);
const config = loadConfig();
const clients = createClients(config);
await migrate(clients.pool);
const connection = await Connection.connect({ address: config.temporal.address });
const client = new Client({ connection, namespace: config.temporal.namespace });
const prometheus = new PrometheusClient({ url: config.prometheus.url });

// The generated series: model_accuracy{model="m<i>"}, scraped every 5 s.
let series = 0;
const exporter = createServer((_, res) => {
  const lines = ['# TYPE model_accuracy gauge'];
  for (let i = 0; i < series; i++) lines.push(`model_accuracy{model="m${i}"} ${0.9 + (i % 7) / 100}`);
  res.writeHead(200, { 'Content-Type': 'text/plain; version=0.0.4' }).end(`${lines.join('\n')}\n`);
});
const [exporterPort] = await freePorts(1);
await new Promise<void>((r) => exporter.listen(exporterPort, '127.0.0.1', r));
const { writeFileSync } = await import('node:fs');
writeFileSync(
  join(config.home, 'prometheus', 'targets', 'scale-bench.json'),
  JSON.stringify([
    { targets: [`127.0.0.1:${exporterPort}`], labels: { job: 'scale-bench', __scrape_interval__: '5s' } },
  ]),
);

function policy(i: number, run: string): LoadedPolicy {
  const loaded = loadPolicy(
    stringify({
      apiVersion: 'ctpilot/v1',
      kind: 'RetrainingPolicy',
      metadata: { name: `${run}-${i}` },
      model: { name: `m${i}` },
      evaluate: { every },
      metrics: {
        accuracy: {
          prometheus: { query: 'model_accuracy{model="{{ model.name }}"}' },
          objective: { min: 0.5 },
        },
      },
      triggers: { low: { when: 'accuracy.breached', for: 3, action: 'alert' } },
    }),
    `${run}-${i}.yaml`,
  );
  if (!loaded.ok) throw new Error(JSON.stringify(loaded.issues));
  return loaded.policy;
}

async function withRetries<T>(fn: () => Promise<T>, attempts = 5): Promise<T> {
  for (let i = 1; ; i++) {
    try {
      return await fn();
    } catch (error) {
      if (i >= attempts) throw error;
      await new Promise((r) => setTimeout(r, 1000));
    }
  }
}

async function scalar(query: string): Promise<number> {
  const v = singleValue(await prometheus.query(query));
  return v.outcome === 'value' ? v.value : Number.NaN;
}

function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100; // utime + stime, in clock ticks (100/s)
}
function peakMemoryMb(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8')
    .split('\n')
    .find((l) => l.startsWith('VmHWM'));
  return Number(line?.split(/\s+/)[1] ?? 0) / 1024;
}
const q = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.floor(p * s.length))]! : Number.NaN;
};

console.log(
  `scale benchmark: cadence ${every}, ${measureSeconds} s measured per size, ${workerCount} worker process(es)`,
);
console.log(
  '| policies | evaluations/s (expected) | lag p50 | lag p99 | worker CPU | worker peak RSS | history events/policy/day | Prometheus queries/s | audit rows/s |',
);
console.log('|---|---|---|---|---|---|---|---|---|');
try {
  for (const n of sizes) {
    series = n;
    const run = uniqueName('scale');
    const taskQueue = uniqueName('scale');
    process.env.CTPILOT_TASK_QUEUE = taskQueue;
    const workers: WorkerProcess[] = [];
    for (let w = 0; w < workerCount; w++) workers.push(await startWorkerProcess('orchestrator', taskQueue));
    const policies = Array.from({ length: n }, (_, i) => policy(i, run));
    // Applied in parallel slices: the apply itself is not what is measured.
    const applyStart = Date.now();
    for (let i = 0; i < n; i += 50) {
      await applyPolicies(client, policies.slice(i, i + 50), { taskQueue });
      process.stderr.write(
        `\r  ${Math.min(n, i + 50)}/${n} applied in ${((Date.now() - applyStart) / 1000).toFixed(0)} s`,
      );
    }
    process.stderr.write('\n');
    // Warm up one cadence, then measure.
    await new Promise((r) => setTimeout(r, durationMs(every) + 5_000));
    const since = new Date();
    const cpu0 = workers.map((w) => cpuSeconds(w.child.pid!));
    const queries0 = await scalar('sum(prometheus_engine_query_duration_seconds_count{slice="inner_eval"})');
    await new Promise((r) => setTimeout(r, measureSeconds * 1000));
    const until = new Date();
    const cpu = workers.map((w, i) => cpuSeconds(w.child.pid!) - cpu0[i]!);
    const memory = workers.map((w) => peakMemoryMb(w.child.pid!));
    const queries =
      (await scalar('sum(prometheus_engine_query_duration_seconds_count{slice="inner_eval"})')) - queries0;
    // PGlite runs every connection's statements on one backend: under the
    // workers' writes an unnamed prepared statement can be gone by its bind.
    const rows = await withRetries(() =>
      clients.pool.query<{ policy: string; recorded_at: Date; kind: string }>(
        'SELECT policy, recorded_at, kind FROM ctpilot.audit_log WHERE policy LIKE $1 AND recorded_at >= $2 AND recorded_at < $3 ORDER BY policy, recorded_at',
        [`${run}-%`, since, until],
      ),
    );
    const evaluations = rows.rows.filter((r) => r.kind === 'evaluation');
    const lags: number[] = [];
    for (let i = 1; i < evaluations.length; i++) {
      const a = evaluations[i - 1]!;
      const b = evaluations[i]!;
      if (a.policy === b.policy)
        lags.push(b.recorded_at.getTime() - a.recorded_at.getTime() - durationMs(every));
    }
    const history = await client.workflow.getHandle(`policy:${run}-0`).fetchHistory();
    const started = Number(history.events?.[0]?.eventTime?.seconds ?? 0) * 1000;
    const eventsPerDay = ((history.events?.length ?? 0) / Math.max(1, Date.now() - started)) * 86_400_000;
    const seconds = (until.getTime() - since.getTime()) / 1000;
    console.log(
      `| ${n} | ${(evaluations.length / seconds).toFixed(1)} (${(n / (durationMs(every) / 1000)).toFixed(1)}) | ${(q(lags, 0.5) / 1000).toFixed(2)} s | ${(q(lags, 0.99) / 1000).toFixed(2)} s | ` +
        `${cpu.map((c) => `${Math.round((c / seconds) * 100)}%`).join(' + ')} | ${memory.map((m) => `${Math.round(m)} MB`).join(' + ')} | ` +
        `${Math.round(eventsPerDay)} | ${(queries / seconds).toFixed(1)} | ${(rows.rows.length / seconds).toFixed(1)} |`,
    );
    for await (const w of client.workflow.list({
      query: `TaskQueue = '${taskQueue}' AND ExecutionStatus = 'Running'`,
    })) {
      await client.workflow.getHandle(w.workflowId).terminate('scale benchmark done');
    }
    for (const w of workers) await w.kill('SIGTERM');
  }
} finally {
  exporter.close();
  await connection.close();
  await clients.close();
  await stack.stop();
}
