// What ctpilot's own metrics cost the worker:
//   1. per activity: the metrics interceptor around an activity that does nothing
//      (the whole added cost: two clocks, a histogram observation, and for an
//      evaluation its counters and lag), against the same call without it;
//   2. per scrape: GET /metrics with the series of N policies populated (each
//      with every outcome and action kind), timing and size, without the SDK part.
//
//   node --import tsx bench/observability.bench.ts              100 policies
//   node --import tsx bench/observability.bench.ts --policies 1000
import type { Context } from '@temporalio/activity';
import { loadPolicyOrThrow } from '../policies/loader.ts';
import { metricsInterceptor } from '../workers/metrics-interceptor.ts';
import { startMetricsServer } from '../workers/metrics-server.ts';

const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
};
const policies = arg('policies', 100);

const policy = (name: string) =>
  loadPolicyOrThrow(
    `apiVersion: ctpilot/v1\nkind: RetrainingPolicy\nmetadata: { name: ${name} }\nmodel: { name: ${name} }\nmetrics:\n  q: { prometheus: { query: vector(1) }, objective: { min: 0.9 } }\ntriggers:\n  t: { when: q.breached, action: alert }\n`,
    `${name}.yaml`,
  );

const ctx = (activityType: string) =>
  ({ info: { activityType, attempt: 1 }, log: { warn() {} } }) as unknown as Context;

async function perActivity(activityType: string, args: unknown[], result: unknown, n: number) {
  const next = async () => result;
  const input = { args, headers: {} };
  const time = async (wrapped: boolean) => {
    const t = process.hrtime.bigint();
    for (let i = 0; i < n; i++) {
      if (wrapped) await metricsInterceptor(ctx(activityType)).inbound?.execute?.(input, next);
      else await next();
    }
    return Number(process.hrtime.bigint() - t) / n;
  };
  await time(true);
  await time(false);
  const without = await time(false);
  const withMetrics = await time(true);
  return { without, withMetrics, overhead: withMetrics - without };
}

async function main() {
  const p = policy('bench-policy');
  const evaluation = {
    args: [
      {
        policy: p,
        state: { lastEvaluatedAt: new Date(Date.now() - 300_000).toISOString() },
        reason: 'schedule',
        at: new Date().toISOString(),
      },
    ],
    result: {
      decision: {
        at: new Date().toISOString(),
        outcome: 'alert',
        actions: [{ kind: 'alert', status: 'act' }],
      },
    },
  };
  const rows: string[] = [];
  for (const [name, args, result] of [
    ['readRun (any activity)', [{ runId: 'x' }], {}],
    ['evaluatePolicy', evaluation.args, evaluation.result],
    ['recordAudit', [{ policy: 'bench-policy', kind: 'retrain.started', outcome: 'started' }], {}],
  ] as const) {
    const r = await perActivity(name.split(' ')[0] as string, [...args], result, 100_000);
    rows.push(
      `| ${name} | ${(r.without / 1000).toFixed(2)} µs | ${(r.withMetrics / 1000).toFixed(2)} µs | ${(r.overhead / 1000).toFixed(2)} µs |`,
    );
  }
  process.stdout.write(
    `\nper activity (100,000 calls each):\n\n| activity | without | with metrics | added |\n|---|---:|---:|---:|\n${rows.join('\n')}\n`,
  );

  // Populate the series of `policies` policies: every outcome and action kind, lags, audit kinds.
  const outcomes = ['ok', 'inconclusive', 'alert', 'retrain', 'held', 'dryRun', 'rollback'];
  for (let i = 0; i < policies; i++) {
    const pi = policy(`policy-${i}`);
    for (const outcome of outcomes) {
      await metricsInterceptor(ctx('evaluatePolicy')).inbound?.execute?.(
        { args: [{ ...evaluation.args[0], policy: pi }], headers: {} },
        async () => ({
          decision: {
            ...evaluation.result.decision,
            outcome,
            actions: [
              { kind: 'retrain', status: 'held' },
              { kind: 'alert', status: 'act' },
            ],
          },
        }),
      );
    }
    for (const kind of [
      'retrain.started',
      'retrain.failed',
      'challenger.registered',
      'promotion.done',
      'rollback.done',
    ])
      await metricsInterceptor(ctx('recordAudit')).inbound?.execute?.(
        { args: [{ policy: `policy-${i}`, kind, outcome: 'done' }], headers: {} },
        async () => ({}),
      );
  }
  const server = await startMetricsServer({ host: '127.0.0.1', port: 0 });
  const times: number[] = [];
  let bytes = 0;
  for (let i = 0; i < 50; i++) {
    const t = performance.now();
    const body = await (await fetch(`${server.url}/metrics`)).text();
    times.push(performance.now() - t);
    bytes = body.length;
  }
  await server.close();
  times.sort((a, b) => a - b);
  const at = (q: number) => (times[Math.floor(q * (times.length - 1))] as number).toFixed(1);
  process.stdout.write(
    `\nscrape of /metrics with ${policies} policies populated (50 scrapes, ctpilot's metrics only): p50 ${at(0.5)} ms, p95 ${at(0.95)} ms, ${(bytes / 1024).toFixed(0)} KiB\n`,
  );
}

await main();
