// Hostile and malformed MLflow answers: a corpus (test/fixtures/hostile/
// mlflow) and generated bodies, served by a small real HTTP server in this
// test that stands in for a broken MLflow (the fault injected), read by the
// real client, the registry activity and the mlflow metric provider. Every
// answer is either what MLflow documents or a typed MlflowError saying what
// was wrong — never a TypeError deep inside a workflow, never a value.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { createServer, type Server, type ServerResponse } from 'node:http';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { mlflowProvider } from '../../../activities/metrics/mlflow.ts';
import { MAX_ANSWER_BYTES, MlflowClient } from '../../../activities/mlflow/client.ts';
import { errorFromResponse, MlflowError } from '../../../activities/mlflow/errors.ts';
import { RUN_STATUSES } from '../../../activities/mlflow/schemas.ts';
import { loadPolicy } from '../../../policies/loader.ts';
import { planMeasurements } from '../../../policies/requests.ts';
import { root } from '../policies/helpers.ts';
import { budget } from './budget.ts';
import { hostileJson, hostileString } from './hostile.ts';

const CORPUS = join(root, 'test/fixtures/hostile/mlflow');
const expected = JSON.parse(readFileSync(join(CORPUS, 'expected.json'), 'utf8')) as Record<
  string,
  { call: 'getRun' | 'getModelVersion'; expect: string }
>;

const CHAMPION = {
  model_version: { name: 'm', version: '1', status: 'READY', run_id: 'r1', aliases: ['champion'] },
};

type Answer = { status: number; body: string | Buffer } | ((res: ServerResponse) => void);

describe('fuzz: MLflow answers', () => {
  let server: Server;
  let url: string;
  /** The answer for runs/get and model-versions/get; the alias lookup always finds version 1 from run r1. */
  let answer: Answer = { status: 200, body: '{}' };

  before(async () => {
    server = createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        if (req.url?.includes('registered-models/alias')) {
          res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify(CHAMPION));
          return;
        }
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

  const client = () => new MlflowClient({ trackingUri: url, timeoutMs: 1500, attempts: 1 });

  it('any error answer maps to a typed MlflowError with a message', () => {
    fc.assert(
      fc.property(
        hostileString,
        fc.integer({ min: 100, max: 599 }),
        fc.oneof(
          hostileJson,
          hostileString,
          fc.record({
            error_code: fc.oneof(hostileString, hostileJson),
            message: fc.oneof(hostileString, hostileJson),
          }),
        ),
        (endpoint, status, body) => {
          const error = errorFromResponse(endpoint, status, body);
          assert.ok(error instanceof MlflowError);
          assert.equal(typeof error.message, 'string');
        },
      ),
      budget(2000),
    );
  });

  it('any 200 answer to runs/get: a run with a documented status, or a typed error', async () => {
    const info = fc.record(
      {
        run_id: fc.oneof(fc.string(), hostileJson),
        experiment_id: fc.oneof(fc.string(), hostileJson),
        status: fc.oneof(fc.constantFrom(...RUN_STATUSES), hostileString, hostileJson),
        lifecycle_stage: fc.oneof(fc.string(), hostileJson),
        start_time: fc.oneof(fc.integer(), fc.double(), hostileString, hostileJson),
        end_time: fc.oneof(fc.integer(), fc.double(), hostileString, hostileJson),
      },
      { requiredKeys: [] },
    );
    const metric = fc.record(
      {
        key: fc.oneof(fc.string(), hostileJson),
        value: fc.oneof(
          fc.double(),
          fc.constantFrom('NaN', 'Infinity', '-Infinity'),
          hostileString,
          hostileJson,
        ),
        timestamp: fc.oneof(fc.integer(), hostileString, hostileJson),
        step: fc.oneof(fc.integer(), hostileJson),
      },
      { requiredKeys: [] },
    );
    const body = fc.oneof(
      fc.record({
        run: fc.record({ info, data: fc.record({ metrics: fc.array(metric, { maxLength: 3 }) }) }),
      }),
      fc.record({ run: hostileJson }),
      hostileJson,
    );
    await fc.assert(
      fc.asyncProperty(body, async (b) => {
        answer = { status: 200, body: JSON.stringify(b) ?? 'null' };
        try {
          const run = await client().getRun('r1');
          assert.ok(RUN_STATUSES.includes(run.info.status), run.info.status);
          for (const m of run.data.metrics) assert.equal(typeof m.value, 'number');
        } catch (error) {
          assert.ok(error instanceof MlflowError, `not a typed error: ${String(error)}`);
        }
      }),
      budget(200),
    );
  });

  it('has a corpus file for each expectation', () => {
    const files = readdirSync(CORPUS).filter((f) => f !== 'expected.json');
    assert.deepEqual(files.sort(), Object.keys(expected).sort());
  });

  const loaded = loadPolicy(
    `apiVersion: ctpilot/v1
kind: RetrainingPolicy
metadata: { name: hostile-mlflow }
model: { name: m }
metrics:
  val_accuracy: { mlflow: { metric: val_accuracy, run: champion }, objective: { min: 0.9 } }
triggers:
  drop: { when: val_accuracy.breached, action: alert }
`,
    'hostile.yaml',
  );

  for (const [file, { call, expect }] of Object.entries(expected)) {
    it(`corpus ${file}: ${call} → ${expect}`, async () => {
      answer = { status: 200, body: readFileSync(join(CORPUS, file)) };
      const c = client();
      const attempt = call === 'getRun' ? () => c.getRun('r1') : () => c.getModelVersion('m', '3');
      if (expect.startsWith('Mlflow')) {
        await assert.rejects(attempt(), (error: unknown) => {
          assert.equal((error as Error).constructor.name, expect, String(error));
          return true;
        });
      } else {
        await attempt();
      }
      // The metric provider turns the same answer into an error, no data or a non-finite measurement — never a value.
      assert.ok(loaded.ok);
      const [request] = planMeasurements(loaded.policy, new Date());
      const measurement = await mlflowProvider(c)(request as never, {
        model: 'm',
        aliases: { champion: 'champion', challenger: 'challenger' },
        alerts: [],
      });
      if (call === 'getRun') {
        const kind = expect.startsWith('Mlflow') ? 'error' : expect;
        assert.equal(measurement.outcome.kind, kind, JSON.stringify(measurement.outcome));
        if (measurement.outcome.kind === 'error') assert.match(measurement.outcome.message, /^MLflow/);
      }
    });
  }

  it('a body that trickles in forever ends in a timeout, reported as unavailable', async () => {
    answer = (res) => {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.write('{"run":');
      const timer = setInterval(() => res.write(' '), 200);
      res.on('close', () => clearInterval(timer));
    };
    await assert.rejects(client().getRun('r1'), (error: unknown) => {
      assert.equal((error as Error).constructor.name, 'MlflowUnavailableError');
      assert.match(String(error), /no complete answer within 1500 ms/);
      return true;
    });
  });

  it('an answer larger than the limit is refused as it streams', async () => {
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
      pump();
    };
    await assert.rejects(
      new MlflowClient({ trackingUri: url, timeoutMs: 60_000, attempts: 1 }).getRun('r1'),
      (error: unknown) => {
        assert.equal((error as Error).constructor.name, 'MlflowResponseError');
        assert.match(String(error), /more than/);
        return true;
      },
    );
  });
});
