// Hostile and malformed Prometheus answers: a corpus (test/fixtures/hostile/
// prometheus) and generated bodies, served by a small real HTTP server in
// this test — it stands in for a Prometheus that answers garbage, which is
// the fault injected — and read by the real client and metric provider. Each
// answer becomes an error, no data or a non-finite measurement, never a
// number it is not, and never a retrain.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { createServer, type Server, type ServerResponse } from 'node:http';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { outcomeOfQuery, prometheusProvider } from '../../../activities/metrics/prometheus.ts';
import {
  decodeQueryResponse,
  MAX_ANSWER_BYTES,
  PrometheusClient,
} from '../../../activities/prometheus/client.ts';
import { evaluate } from '../../../policies/evaluate.ts';
import { loadPolicy } from '../../../policies/loader.ts';
import { planMeasurements } from '../../../policies/requests.ts';
import { root } from '../policies/helpers.ts';
import { budget } from './budget.ts';
import { hostileJson, hostileString } from './hostile.ts';

const CORPUS = join(root, 'test/fixtures/hostile/prometheus');
const expected = JSON.parse(readFileSync(join(CORPUS, 'expected.json'), 'utf8')) as Record<string, string>;

/** What the server answers next: a body, or a function that writes the answer itself. */
type Answer = { status: number; body: string | Buffer } | ((res: ServerResponse) => void);

describe('fuzz: Prometheus answers', () => {
  let server: Server;
  let url: string;
  let answer: Answer = { status: 200, body: '' };

  before(async () => {
    server = createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        if (typeof answer === 'function') return answer(res);
        res.writeHead(answer.status, { 'Content-Type': 'application/json' }).end(answer.body);
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const address = server.address();
    url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  });

  after(async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });

  it('any status and body: decoded without throwing; a value is always a finite number', () => {
    const envelope = fc.record(
      {
        status: fc.oneof(fc.constantFrom('success', 'error'), hostileString),
        data: fc.oneof(
          hostileJson,
          fc.record({
            resultType: fc.oneof(fc.constantFrom('vector', 'scalar', 'matrix', 'string'), hostileString),
            result: fc.oneof(
              hostileJson,
              fc.array(
                fc.record({
                  metric: fc.dictionary(hostileString, fc.oneof(hostileString, hostileJson)),
                  value: fc.tuple(fc.oneof(fc.double(), hostileJson), fc.oneof(hostileString, hostileJson)),
                }),
                { maxLength: 3 },
              ),
              fc.tuple(fc.oneof(fc.double(), hostileJson), fc.oneof(hostileString, hostileJson)),
            ),
          }),
        ),
        errorType: hostileString,
        error: hostileString,
        warnings: fc.oneof(fc.array(hostileString), hostileJson),
      },
      { requiredKeys: [] },
    );
    fc.assert(
      fc.property(
        fc.integer({ min: 100, max: 599 }),
        fc.oneof(
          envelope,
          hostileJson,
          hostileString,
          envelope.map((e) => JSON.stringify(e)),
        ),
        (status, body) => {
          const { outcome } = outcomeOfQuery(decodeQueryResponse(status, body));
          if (outcome.kind === 'value') assert.ok(Number.isFinite(outcome.value), JSON.stringify(outcome));
          if (outcome.kind === 'error') assert.ok(outcome.message.length > 0);
        },
      ),
      budget(2000),
    );
  });

  it('has a corpus file for each expectation', () => {
    const files = readdirSync(CORPUS).filter((f) => f !== 'expected.json');
    assert.deepEqual(files.sort(), Object.keys(expected).sort());
  });

  const client = () => new PrometheusClient({ url, timeoutMs: 1500 });

  for (const [file, kind] of Object.entries(expected)) {
    it(`corpus ${file}: ${kind}`, async () => {
      answer = { status: 200, body: readFileSync(join(CORPUS, file)) };
      const { outcome } = outcomeOfQuery(await client().query('up'));
      assert.equal(outcome.kind, kind, JSON.stringify(outcome));
      if (outcome.kind === 'value') assert.equal(({} as Record<string, unknown>).polluted, undefined);
    });
  }

  it('a huge vector is one error naming the series count, not a value', async () => {
    const result = Array.from({ length: 100_000 }, (_, i) => ({
      metric: { instance: `i${i}` },
      value: [1_700_000_000, String(i)],
    }));
    answer = {
      status: 200,
      body: JSON.stringify({ status: 'success', data: { resultType: 'vector', result } }),
    };
    const { outcome } = outcomeOfQuery(await client().query('up'));
    assert.equal(outcome.kind, 'error');
    assert.match(JSON.stringify(outcome), /100000 series/);
  });

  it('an answer larger than the limit is refused while it streams, not held whole', async () => {
    answer = (res) => {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      const chunk = Buffer.alloc(1024 * 1024, 0x20);
      let sent = 0;
      const pump = () => {
        while (sent <= MAX_ANSWER_BYTES + chunk.length) {
          sent += chunk.length;
          if (!res.write(chunk)) return res.once('drain', pump);
        }
        res.end();
      };
      res.write('{"status":"success","data":');
      pump();
    };
    const result = await new PrometheusClient({ url, timeoutMs: 60_000 }).query('up');
    assert.equal(result.kind, 'error');
    assert.match(JSON.stringify(result), /larger than/);
  });

  it('a body that trickles in forever ends in a timeout (the whole exchange has a deadline)', async () => {
    answer = (res) => {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.write('{"status":"success","data":{"resultType":"vector","result":[');
      const timer = setInterval(() => res.write(' '), 200);
      res.on('close', () => clearInterval(timer));
    };
    const result = await client().query('up');
    assert.equal(result.kind, 'error');
    assert.equal(result.kind === 'error' && result.error, 'timeout', JSON.stringify(result));
  });

  it('an answer cut off mid-body is a network or response error', async () => {
    answer = (res) => {
      res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': '1000' });
      res.write('{"status":"success","data":{"resultType":"vec');
      setTimeout(() => res.destroy(), 50);
    };
    const result = await client().query('up');
    assert.equal(result.kind, 'error', JSON.stringify(result));
  });

  it('no answer on any of these ever makes a breach-to-retrain policy retrain', async () => {
    const loaded = loadPolicy(
      `apiVersion: ctpilot/v1
kind: RetrainingPolicy
metadata: { name: hostile-prometheus }
model: { name: m }
metrics:
  accuracy: { prometheus: { query: 'accuracy', endpoint: '${url}' }, objective: { min: 0.9 } }
triggers:
  drop: { when: accuracy.breached, action: retrain }
training: { experiment: e, launcher: { command: { run: ['true'] } } }
`,
      'hostile.yaml',
    );
    assert.ok(loaded.ok, JSON.stringify(!loaded.ok && loaded.issues));
    const provider = prometheusProvider(async () => client());
    const now = new Date().toISOString();
    const [request] = planMeasurements(loaded.policy, now);
    for (const file of Object.keys(expected)) {
      answer = { status: 200, body: readFileSync(join(CORPUS, file)) };
      const measurement = await provider(request as never, {
        model: 'm',
        aliases: { champion: 'champion', challenger: 'challenger' },
        alerts: [],
      });
      const { decision } = evaluate(loaded.policy, undefined, [measurement], now);
      // The one well-formed answer in the corpus is 0.5, a real breach: it alone may retrain.
      const retrains = decision.actions.some((a) => a.kind === 'retrain');
      assert.equal(retrains, expected[file] === 'value', `${file}: ${decision.summary}`);
    }
  });
});
