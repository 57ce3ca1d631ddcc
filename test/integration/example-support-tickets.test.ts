// The support-ticket example against the real stack: the MLflow project
// trains into a pre-created run, bootstrap sets the champion, and one
// simulator serves it while the test drifts the traffic, retrains on the
// drifted window, promotes through the signed deploy hook and watches
// accuracy recover. The steps share one simulator and run in order.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { MlflowClient } from '../../activities/mlflow/client.ts';
import { fromKeyValues } from '../../activities/mlflow/schemas.ts';
import { PrometheusClient } from '../../activities/prometheus/client.ts';
import { ObjectStore } from '../../activities/s3/client.ts';
import {
  bootstrapChampion,
  CATEGORIES,
  DEPLOY_HOOK,
  EXAMPLE_DIR,
  METRICS,
  promql,
  runTraining,
  type Simulator,
  type SimulatorState,
  signDeployHook,
  startSimulator,
  sumOf,
} from '../../examples/support-tickets/control.ts';
import { testConfig, uniqueName } from '../support/env.ts';

const config = testConfig();
const WINDOW = 60; // labels behind the accuracy gauge

async function waitFor<T>(
  what: string,
  read: () => Promise<T>,
  done: (value: T) => boolean,
  timeoutMs = 90_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: T = await read();
  while (!done(last)) {
    if (Date.now() > deadline) {
      throw new Error(`timed out waiting for ${what}; last value: ${JSON.stringify(last)?.slice(0, 2000)}`);
    }
    await new Promise((r) => setTimeout(r, 250));
    last = await read();
  }
  return last;
}

interface LoggedRequest {
  id: string;
  ts: string;
  ts_unix: number;
  source: string;
  inputs: { text: string };
  prediction: string;
  model_name: string;
  model_version: string;
  latency_ms: number;
}

interface LoggedLabel {
  id: string;
  label: string;
  labelled_at: string;
  ts_unix: number;
  prediction?: string;
  model_version?: string;
}

async function readLog<T>(store: ObjectStore, prefix: string): Promise<T[]> {
  const { bucket, key } = store.location(prefix);
  const records: T[] = [];
  for await (const object of store.list(key, bucket)) {
    for await (const record of store.readJsonLines(`s3://${bucket}/${object.key}`)) records.push(record as T);
  }
  return records;
}

describe('support-tickets: synthetic data', () => {
  it('is deterministic for a seed and differs between seeds', () => {
    const sample = (seed: number) =>
      spawnSync(
        join(config.venvBin, 'python'),
        [
          '-c',
          'import sys, json; from support_tickets.generator import TicketGenerator as G; ' +
            'g = G(int(sys.argv[1])); print(json.dumps([t.__dict__ for t in g.tickets(50, 0.5)]))',
          String(seed),
        ],
        { cwd: EXAMPLE_DIR, encoding: 'utf8' },
      );
    const first = sample(11);
    assert.equal(first.status, 0, first.stderr);
    const tickets = JSON.parse(first.stdout) as { text: string; label: string; post_launch: boolean }[];
    assert.equal(tickets.length, 50);
    assert.deepEqual(JSON.parse(sample(11).stdout), tickets);
    assert.notDeepEqual(JSON.parse(sample(12).stdout), tickets);
    assert.ok(
      tickets.every((t) => (CATEGORIES as readonly string[]).includes(t.label) && t.text.length > 20),
    );
    const launched = tickets.filter((t) => t.post_launch).length;
    assert.ok(
      launched > 10 && launched < 40,
      `about half of the tickets are post-launch at drift 0.5, got ${launched}`,
    );
  });
});

describe('support-tickets example on the real stack', () => {
  const mlflow = new MlflowClient({ trackingUri: config.mlflow.trackingUri });
  const store = new ObjectStore({ ...config.s3, bucket: config.s3.bucket });
  const prometheus = new PrometheusClient({ url: config.prometheus.url });
  const modelName = uniqueName('tickets');
  let experimentId: string;
  let simulator: Simulator | undefined;
  let champion: { version: string; runId: string };
  let baselineAccuracy: number;
  let driftedAccuracy: number;
  let driftAt: number;
  let retrained: { runId: string; valAccuracy: number; modelId: string };

  const sim = (): Simulator => {
    assert.ok(simulator, 'the simulator started in an earlier step');
    return simulator;
  };
  const state = () => sim().state();
  const newRun = async (name: string) =>
    (await mlflow.createRun({ experimentId, runName: name, tags: { 'ctpilot.test': 'example' } })).info
      .run_id;

  before(async () => {
    experimentId = await mlflow.ensureExperiment(uniqueName('support-tickets-test'));
  });

  after(async () => {
    await simulator?.stop();
    store.destroy();
  });

  it('bootstraps the champion once: alias set, a second call changes nothing', {
    timeout: 180_000,
  }, async () => {
    const first = await bootstrapChampion({ modelName, experiment: uniqueName('bootstrap'), rows: 3000 });
    assert.equal(first.created, true);
    assert.ok((first.valAccuracy ?? 0) >= 0.85, `pre-launch validation accuracy ${first.valAccuracy}`);
    const alias = await mlflow.getAlias(modelName, 'champion');
    assert.equal(alias?.version, first.version);
    assert.equal(alias?.run_id, first.runId);

    const second = await bootstrapChampion({ modelName });
    assert.equal(second.created, false);
    assert.equal(second.version, first.version);
    const { versions } = await mlflow.searchModelVersions({ filter: `name = '${modelName}'` });
    assert.equal(versions.length, 1, 'no second version registered');
    champion = { version: first.version, runId: first.runId };
  });

  it('fails the train run clearly when the data window is empty', { timeout: 180_000 }, async () => {
    const runId = await newRun('empty-window');
    const empty = `s3://${config.s3.bucket}/examples/support-tickets/${uniqueName('nothing')}/`;
    const outcome = await runTraining({ runId, parameters: { data_uri: empty } });
    assert.equal(outcome.ok, false);
    assert.match(outcome.output, /0 labelled requests/);
    const run = await mlflow.getRun(runId);
    assert.equal(run.info.status, 'FAILED');
    const tags = fromKeyValues(run.data.tags);
    assert.match(
      tags['support_tickets.error'] ?? '',
      /has 0 labelled requests .* Check that the simulator's --log-prefix/,
    );
  });

  it('starts a simulator that serves the champion', { timeout: 180_000 }, async () => {
    simulator = await startSimulator({
      modelName,
      rate: 25,
      labelDelaySeconds: 1,
      accuracyWindow: WINDOW,
      flushSeconds: 1,
      scrapeInterval: '1s',
      seed: 3,
    });
    assert.match(sim().url, /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.equal((await fetch(`${sim().url}/ping`)).status, 200);
    const current = await state();
    assert.equal(current.model.version, champion.version);
    assert.equal(current.deploy_hook, true);
  });

  it('answers the MLflow scoring protocol in all four shapes', async () => {
    const billing = 'I was charged twice for the same order and need a refund.';
    const shipping = 'My parcel has not arrived and the tracking has not updated for ten days.';
    const bodies = {
      dataframe_split: { dataframe_split: { columns: ['text'], data: [[billing], [shipping]] } },
      dataframe_records: { dataframe_records: [{ text: billing }, { text: shipping }] },
      instances: { instances: [{ text: billing }, { text: shipping }] },
      inputs: { inputs: { text: [billing, shipping] } },
    };
    for (const [shape, body] of Object.entries(bodies)) {
      const response = await fetch(`${sim().url}/invocations`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify(body),
      });
      assert.equal(response.status, 200, shape);
      assert.deepEqual(await response.json(), { predictions: ['billing', 'shipping'] }, shape);
      assert.equal(response.headers.get('x-model-version'), champion.version);
    }
  });

  it('answers a bad body with 400 and a message that says what to send', async () => {
    const bad: Record<string, string> = {
      'not JSON': 'this is not json',
      'two shapes': JSON.stringify({ inputs: ['a'], instances: ['b'] }),
      'no shape': JSON.stringify({ text: 'a' }),
      'a JSON list': JSON.stringify([{ text: 'a' }]),
      'wrong column': JSON.stringify({ dataframe_records: [{ body: 'a' }] }),
      'not a string': JSON.stringify({ dataframe_records: [{ text: 5 }] }),
    };
    const before = sumOf(await sim().metrics(), METRICS.invalidRequests);
    for (const [what, body] of Object.entries(bad)) {
      const response = await fetch(`${sim().url}/invocations`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body,
      });
      assert.equal(response.status, 400, what);
      const answer = (await response.json()) as { error_code: string; message: string };
      assert.equal(answer.error_code, 'BAD_REQUEST', what);
      assert.match(answer.message, /dataframe_records|text/, what);
    }
    assert.equal(sumOf(await sim().metrics(), METRICS.invalidRequests) - before, Object.keys(bad).length);
  });

  it('exports metrics that parse, and registers with Prometheus', { timeout: 120_000 }, async () => {
    const samples = await sim().metrics();
    const v = champion.version;
    assert.ok(sumOf(samples, METRICS.predictions, { model_version: v }) > 0);
    assert.equal(sumOf(samples, METRICS.modelInfo, { model_version: v, model_name: modelName }), 1);
    assert.ok(sumOf(samples, `${METRICS.latency}_count`, { model_version: v }) > 0);
    assert.equal(sumOf(samples, METRICS.driftLevel), 0);
    for (const name of Object.values(METRICS)) {
      if (name === METRICS.shadowPredictions) continue; // appears with the first shadow request
      const family = name === METRICS.latency ? `${name}_count` : name;
      assert.ok(
        samples.some((s) => s.name === family),
        `${family} is exported`,
      );
    }
    // The local Prometheus reads the target file and scrapes it.
    const targets = join(config.home, 'prometheus', 'targets', `support-tickets-${sim().instance}.json`);
    assert.ok(existsSync(targets), targets);
    const query = `${METRICS.predictions}{model="${modelName}",simulator="${sim().instance}"}`;
    const scraped = await waitFor(
      'Prometheus to scrape the simulator',
      () => prometheus.query(query),
      (r) => r.kind === 'vector' && r.samples.length > 0,
    );
    assert.equal(scraped.kind, 'vector');
  });

  it('loses accuracy after drift, measured over labelled requests only', { timeout: 180_000 }, async (t) => {
    const settled = await waitFor(
      'a full window of pre-drift labels',
      state,
      (s) => s.labels_since_drift_change >= WINDOW,
    );
    baselineAccuracy = settled.accuracy ?? 0;
    assert.ok(baselineAccuracy >= 0.75, `pre-drift accuracy ${baselineAccuracy}`);
    assert.ok(settled.labels <= settled.requests);

    await sim().injectDrift(1);
    const drifted = await waitFor(
      'a full window of post-drift labels',
      state,
      (s) => s.drift.level === 1 && s.labels_since_drift_change >= WINDOW,
    );
    driftAt = drifted.drift.changed_at;
    driftedAccuracy = drifted.accuracy ?? 1;
    t.diagnostic(
      `simulator accuracy over ${WINDOW} labels: ${baselineAccuracy} before drift, ${driftedAccuracy} at drift 1`,
    );
    // Expected about 0.88 and 0.48; the bounds sit over 3 standard errors
    // (60 labels) away from both, so a pass is not luck and a fail is news.
    assert.ok(
      driftedAccuracy <= 0.7 && driftedAccuracy <= baselineAccuracy - 0.15,
      `accuracy ${baselineAccuracy} before drift, ${driftedAccuracy} after`,
    );
    const samples = await sim().metrics();
    assert.equal(sumOf(samples, METRICS.driftLevel), 1);
    const gauge = sumOf(samples, METRICS.accuracy);
    assert.ok(gauge <= 0.75, `gauge ${gauge}`);
    assert.ok(sumOf(samples, METRICS.correct) < sumOf(samples, METRICS.labels));
  });

  it('logs every request and label to S3 as JSON Lines that join on id', { timeout: 60_000 }, async () => {
    await sim().flush();
    const requests = await readLog<LoggedRequest>(store, sim().requestsPrefix!);
    const labels = await readLog<LoggedLabel>(store, sim().labelsPrefix!);
    assert.ok(requests.length >= 100, `${requests.length} requests logged`);
    assert.ok(labels.length >= 2 * WINDOW, `${labels.length} labels logged`);
    const byId = new Map(requests.map((r) => [r.id, r]));
    assert.equal(byId.size, requests.length, 'request ids are unique');
    const first = requests.find((r) => r.source === 'simulator')!;
    assert.equal(first.model_name, modelName);
    assert.equal(first.model_version, champion.version);
    assert.equal(typeof first.inputs.text, 'string');
    assert.ok((CATEGORIES as readonly string[]).includes(first.prediction));
    assert.ok(first.latency_ms > 0);
    assert.ok(Math.abs(Date.parse(first.ts) / 1000 - first.ts_unix) < 0.01);
    assert.ok(
      requests.some((r) => r.source === 'http'),
      'scoring requests from clients are logged too',
    );
    for (const label of labels) {
      const request = byId.get(label.id);
      assert.ok(request, `label ${label.id} joins a logged request`);
      assert.equal(label.prediction, request.prediction);
      assert.ok(label.ts_unix >= request.ts_unix, 'a label arrives after its request');
    }
  });

  it('retrains on the drifted window through `mlflow run --run-id` and recovers', {
    timeout: 240_000,
  }, async (t) => {
    await waitFor(
      'enough post-drift labels to train',
      state,
      (s) => s.labels_since_drift_change >= 400,
      120_000,
    );
    await sim().flush();
    const runId = await newRun('retrain');
    const began = Date.now();
    const outcome = await runTraining({
      runId,
      parameters: { data_uri: sim().logPrefix!, since: String(driftAt), seed: 5 },
    });
    assert.ok(outcome.ok, outcome.output);
    t.diagnostic(`mlflow run train: ${((Date.now() - began) / 1000).toFixed(1)} s wall`);
    assert.equal(outcome.summary?.run_id, runId, 'the entry point logged into the given run');

    const run = await mlflow.getRun(runId);
    assert.equal(run.info.status, 'FINISHED');
    const metrics = Object.fromEntries(run.data.metrics.map((m) => [m.key, m.value]));
    for (const key of [
      'val_accuracy',
      'val_precision_macro',
      'val_recall_macro',
      'val_f1_macro',
      'train_rows',
    ]) {
      assert.equal(typeof metrics[key], 'number', key);
    }
    t.diagnostic(`retrained: val_accuracy ${metrics.val_accuracy} on ${metrics.train_rows} training rows`);
    assert.ok(metrics.train_rows! >= 250, `train_rows ${metrics.train_rows}`);
    assert.ok(metrics.val_accuracy! >= 0.85, `retrained val_accuracy ${metrics.val_accuracy}`);
    assert.ok(
      metrics.val_accuracy! >= driftedAccuracy + 0.2,
      `retrained ${metrics.val_accuracy} vs ${driftedAccuracy}`,
    );
    const params = Object.fromEntries((run.data.params ?? []).map((p) => [p.key, p.value]));
    assert.equal(params.data_uri, sim().logPrefix);
    assert.equal(params.since, String(driftAt));
    const tags = fromKeyValues(run.data.tags);
    const modelId = tags['support_tickets.model_id'];
    assert.match(modelId ?? '', /^m-/);
    assert.equal(tags['support_tickets.model_uri'], `models:/${modelId}`);
    const runs = await mlflow.searchRuns({ experimentIds: [experimentId] });
    assert.equal(runs.runs.length, 2, 'the empty-window run and this one: train made no run of its own');
    retrained = { runId, valAccuracy: metrics.val_accuracy!, modelId: modelId! };
  });

  it('with degrade, trains a measurably worse model on the same window', { timeout: 240_000 }, async (t) => {
    const runId = await newRun('degraded');
    const outcome = await runTraining({
      runId,
      parameters: { data_uri: sim().logPrefix!, since: String(driftAt), seed: 5, degrade: 0.6 },
    });
    assert.ok(outcome.ok, outcome.output);
    const run = await mlflow.getRun(runId);
    const metrics = Object.fromEntries(run.data.metrics.map((m) => [m.key, m.value]));
    t.diagnostic(`degrade 0.6: val_accuracy ${metrics.val_accuracy}`);
    assert.ok(
      metrics.val_accuracy! <= retrained.valAccuracy - 0.25,
      `degraded ${metrics.val_accuracy} vs ${retrained.valAccuracy}`,
    );
    const params = Object.fromEntries((run.data.params ?? []).map((p) => [p.key, p.value]));
    assert.equal(Number(params.degrade), 0.6);
  });

  it('reloads on a signed deploy hook only, then serves the new champion', { timeout: 180_000 }, async () => {
    // Register the retrained model the MLflow 3 way (source models:/<id> with
    // model_id) and move the alias, as ctpilot's promotion does.
    const created = await fetch(`${config.mlflow.trackingUri}/api/2.0/mlflow/model-versions/create`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({
        name: modelName,
        source: `models:/${retrained.modelId}`,
        run_id: retrained.runId,
        model_id: retrained.modelId,
      }),
    });
    assert.equal(created.status, 200, await created.clone().text());
    const version = ((await created.json()) as { model_version: { version: string } }).model_version.version;
    await mlflow.waitForModelVersionReady(modelName, version);
    await mlflow.setAlias(modelName, 'champion', version);

    const body = { model: modelName, alias: 'champion', version };
    const wrongSecret = await sim().reload(body, { secret: 'not-the-secret' });
    assert.equal(wrongSecret.status, 401);
    assert.match(String(wrongSecret.body.message), /does not match/);
    const stale = await sim().reload(body, { timestamp: Math.floor(Date.now() / 1000) - 400 });
    assert.equal(stale.status, 401);
    assert.match(String(stale.body.message), /tolerance 300 s/);
    const raw = JSON.stringify(body);
    const unsigned = await fetch(`${sim().url}${DEPLOY_HOOK.path}`, { method: 'POST', body: raw });
    assert.equal(unsigned.status, 401);
    const tampered = await fetch(`${sim().url}${DEPLOY_HOOK.path}`, {
      method: 'POST',
      headers: { [DEPLOY_HOOK.header]: signDeployHook(sim().hookSecret, raw) },
      body: raw.replace(version, champion.version),
    });
    assert.equal(tampered.status, 401);
    assert.equal((await state()).model.version, champion.version, 'nothing reloaded yet');

    const good = await sim().reload(body);
    assert.equal(good.status, 200, JSON.stringify(good.body));
    assert.equal(good.body.version, version);
    assert.equal(good.body.previous_version, champion.version);
    assert.equal(good.body.changed, true);

    const scored = await sim().score(['I was charged twice for the same order and need a refund.']);
    assert.equal(scored.version, version);
    const samples = await sim().metrics();
    assert.equal(sumOf(samples, METRICS.modelInfo, { model_version: version }), 1);
    assert.equal(sumOf(samples, METRICS.modelInfo, { model_version: champion.version }), 0);
    assert.equal(sumOf(samples, METRICS.reloads, { outcome: 'ok' }), 1);
    assert.equal(sumOf(samples, METRICS.reloads, { outcome: 'rejected' }), 4);

    // The previous champion stays reachable for shadow scoring and rollbacks.
    const previous = await fetch(`${sim().url}/versions/${champion.version}/invocations`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ inputs: ['I was charged twice for the same order and need a refund.'] }),
    });
    assert.equal(previous.status, 200);
    assert.equal(previous.headers.get('x-model-version'), champion.version);
    champion = { version, runId: retrained.runId };
  });

  it('recovers accuracy under the new champion', { timeout: 180_000 }, async (t) => {
    const recovered: SimulatorState = await waitFor(
      'a full window of labels for the new champion',
      state,
      (s) => s.labels_for_serving_version >= WINDOW,
    );
    assert.equal(recovered.model.version, champion.version);
    t.diagnostic(`simulator accuracy under the retrained champion: ${recovered.accuracy}`);
    assert.ok(
      (recovered.accuracy ?? 0) >= driftedAccuracy + 0.2,
      `accuracy ${recovered.accuracy} after promotion, ${driftedAccuracy} before`,
    );
    const samples = await sim().metrics();
    const labelled = sumOf(samples, METRICS.labels, { model_version: champion.version });
    const correct = sumOf(samples, METRICS.correct, { model_version: champion.version });
    assert.ok(labelled >= WINDOW && correct / labelled >= 0.8, `new version: ${correct}/${labelled} correct`);
    // The suggested PromQL answers against the real Prometheus.
    const queries = promql(modelName, '1m');
    const accuracy = await waitFor(
      'Prometheus to see the new version labelled',
      () => prometheus.query(queries.accuracyByVersion),
      (r) => r.kind === 'vector' && r.samples.some((s) => s.labels.model_version === champion.version),
    );
    assert.equal(accuracy.kind, 'vector');
  });

  it('stops on SIGTERM, writing the logs it buffered and unregistering', { timeout: 60_000 }, async () => {
    const s = sim();
    await s.setRate(0);
    await new Promise((r) => setTimeout(r, 500)); // a request already in flight finishes
    const last = await state();
    await s.stop();
    assert.throws(() => process.kill(s.pid, 0), 'the process is gone');
    assert.equal(
      existsSync(join(config.home, 'prometheus', 'targets', `support-tickets-${s.instance}.json`)),
      false,
    );
    const requests = await readLog<LoggedRequest>(store, s.requestsPrefix!);
    assert.equal(requests.length, last.requests, 'every scored request is in the log');
    simulator = undefined;
  });
});
