import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, request, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { PrometheusClient, singleValue } from '../../activities/prometheus/client.ts';
import { freePorts } from '../../infra/stack/ports.ts';
import { prometheusBinary } from '../../infra/stack/services/prometheus.ts';
import { testConfig } from '../support/env.ts';

describe('Prometheus client against the real server', () => {
  const config = testConfig();
  const prometheus = new PrometheusClient({ url: config.prometheus.url, timeoutMs: 10_000 });

  it('is ready', async () => {
    assert.equal(await prometheus.ready(), true);
  });

  it('an instant vector with one series is a value with its labels', async () => {
    const result = await prometheus.query('label_replace(vector(0.93), "model", "fraud", "", "")');
    assert.equal(result.kind, 'vector');
    if (result.kind !== 'vector') return;
    assert.deepEqual(singleValue(result), {
      outcome: 'value',
      value: 0.93,
      timestamp: result.samples[0]!.timestamp,
      labels: { model: 'fraud' },
    });
  });

  it('a scalar is a value', async () => {
    const result = await prometheus.query('scalar(vector(42))');
    assert.equal(result.kind, 'scalar');
    const single = singleValue(result);
    assert.equal(single.outcome, 'value');
    assert.equal(single.outcome === 'value' && single.value, 42);
  });

  it('evaluates at the requested time', async () => {
    const at = new Date('2026-01-02T03:04:05Z');
    const result = await prometheus.query('time()', at);
    assert.equal(result.kind, 'scalar');
    assert.equal(result.kind === 'scalar' && result.sample.value, at.getTime() / 1000);
  });

  it('NaN, +Inf and -Inf are distinct outcomes, never numbers', async () => {
    assert.equal(singleValue(await prometheus.query('vector(0) / 0')).outcome, 'nan');
    const inf = singleValue(await prometheus.query('vector(1) / 0'));
    assert.deepEqual(inf, { outcome: 'infinite', value: Number.POSITIVE_INFINITY, labels: {} });
    const negInf = singleValue(await prometheus.query('vector(-1) / 0'));
    assert.equal(negInf.outcome === 'infinite' && negInf.value, Number.NEGATIVE_INFINITY);
    assert.equal(singleValue(await prometheus.query('scalar(vector(0) / 0)')).outcome, 'nan');
  });

  it('an empty result is no-data', async () => {
    const result = await prometheus.query('ctpilot_metric_that_does_not_exist{model="fraud"}');
    assert.deepEqual(result, { kind: 'vector', samples: [], warnings: [] });
    assert.deepEqual(singleValue(result), { outcome: 'no-data' });
  });

  it('several series where one is expected is ambiguous', async () => {
    const result = await prometheus.query(
      'label_replace(vector(1), "v", "a", "", "") or label_replace(vector(2), "v", "b", "", "")',
    );
    assert.equal(result.kind === 'vector' && result.samples.length, 2);
    assert.deepEqual(singleValue(result), { outcome: 'ambiguous', series: 2 });
  });

  it('a query that does not parse is a bad_data error with HTTP 400', async () => {
    const result = await prometheus.query('sum(rate(x[5m]');
    assert.equal(result.kind, 'error');
    assert.equal(result.kind === 'error' && result.error, 'bad_data');
    assert.equal(result.kind === 'error' && result.httpStatus, 400);
    assert.match(result.kind === 'error' ? result.message : '', /parse error/);
    assert.equal(singleValue(result).outcome, 'error');
  });

  it('a range query returns a matrix with one point per step', async () => {
    const end = new Date('2026-03-01T00:10:00Z');
    const start = new Date(end.getTime() - 10 * 60_000);
    const result = await prometheus.queryRange('vector(7)', start, end, 60);
    assert.equal(result.kind, 'matrix');
    if (result.kind !== 'matrix') return;
    assert.equal(result.series.length, 1);
    assert.equal(result.series[0]!.points.length, 11);
    assert.deepEqual(result.series[0]!.points[0], { timestamp: start.getTime() / 1000, value: 7 });
    assert.equal(singleValue(result).outcome, 'error', 'a matrix is never narrowed to a single value');
  });

  it('nothing listening is a network error; an impossible deadline is a timeout', async () => {
    const [port] = await freePorts(1);
    const down = new PrometheusClient({ url: `http://127.0.0.1:${port}` });
    const result = await down.query('vector(1)');
    assert.equal(result.kind === 'error' && result.error, 'network');
    assert.equal(await down.ready(), false);
    // A server that accepts the connection and never answers: the stall a timeout is for.
    const stall = createServer(() => {});
    const [stallPort] = await freePorts(1);
    await new Promise<void>((resolve) => stall.listen(stallPort, '127.0.0.1', resolve));
    try {
      const hurried = new PrometheusClient({ url: `http://127.0.0.1:${stallPort}`, timeoutMs: 300 });
      const late = await hurried.query('vector(1)');
      assert.equal(late.kind === 'error' && late.error, 'timeout');
    } finally {
      stall.closeAllConnections();
      stall.close();
    }
  });

  describe('with basic auth (a second Prometheus with a web config)', () => {
    // bcrypt of "ctpilot-test-password" (cost 4): Prometheus stores only the hash.
    const HASH = '$2b$04$n.H2F/PR8LWacxVOh9heRu8eEHkNRJgZqCHZa/QhABpA1M4A00NoC';
    const dir = mkdtempSync(join(tmpdir(), 'ctpilot-prom-auth-'));
    let url = '';
    let child: ReturnType<typeof spawn> | undefined;

    before(async () => {
      const [port] = await freePorts(1);
      url = `http://127.0.0.1:${port}`;
      writeFileSync(join(dir, 'prometheus.yml'), 'global:\n  scrape_interval: 1m\n');
      writeFileSync(join(dir, 'web.yml'), `basic_auth_users:\n  ctpilot: ${HASH}\n`);
      child = spawn(
        prometheusBinary(),
        [
          `--config.file=${join(dir, 'prometheus.yml')}`,
          `--web.config.file=${join(dir, 'web.yml')}`,
          `--storage.tsdb.path=${join(dir, 'data')}`,
          `--web.listen-address=127.0.0.1:${port}`,
        ],
        { stdio: 'ignore' },
      );
      const authed = new PrometheusClient({ url, username: 'ctpilot', password: 'ctpilot-test-password' });
      for (let i = 0; i < 120 && !(await authed.ready()); i++) await new Promise((r) => setTimeout(r, 250));
    });

    after(() => {
      child?.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    });

    it('queries with the right credentials; wrong or missing ones are an auth error', async () => {
      const authed = new PrometheusClient({ url, username: 'ctpilot', password: 'ctpilot-test-password' });
      const ok = singleValue(await authed.query('vector(3)'));
      assert.equal(ok.outcome === 'value' && ok.value, 3);
      for (const client of [
        new PrometheusClient({ url, username: 'ctpilot', password: 'wrong' }),
        new PrometheusClient({ url }),
        new PrometheusClient({ url, bearerToken: 'not-accepted-here' }),
      ]) {
        const denied = await client.query('vector(3)');
        assert.equal(denied.kind === 'error' && denied.error, 'auth');
        assert.equal(denied.kind === 'error' && denied.httpStatus, 401);
      }
    });
  });

  describe('with a bearer token (Prometheus behind an authenticating proxy)', () => {
    // Prometheus itself has no bearer-token auth; deployments put a proxy in
    // front. This one checks the token and forwards to the real server.
    let proxy: Server;
    let url = '';

    before(async () => {
      const upstream = new URL(config.prometheus.url);
      proxy = createServer((req, res) => {
        if (req.headers.authorization !== 'Bearer s3cret-token') {
          res.writeHead(401).end('unauthorized');
          return;
        }
        const forward = request(
          {
            host: upstream.hostname,
            port: upstream.port,
            path: req.url,
            method: req.method,
            headers: req.headers,
          },
          (answer) => {
            res.writeHead(answer.statusCode ?? 502, answer.headers);
            answer.pipe(res);
          },
        );
        req.pipe(forward);
      });
      const [port] = await freePorts(1);
      await new Promise<void>((resolve) => proxy.listen(port, '127.0.0.1', resolve));
      url = `http://127.0.0.1:${port}`;
    });

    after(() => proxy.close());

    it('sends the token; without it the answer is an auth error', async () => {
      const ok = singleValue(
        await new PrometheusClient({ url, bearerToken: 's3cret-token' }).query('vector(5)'),
      );
      assert.equal(ok.outcome === 'value' && ok.value, 5);
      const denied = await new PrometheusClient({ url, bearerToken: 'wrong' }).query('vector(5)');
      assert.equal(denied.kind === 'error' && denied.error, 'auth');
    });
  });
});
