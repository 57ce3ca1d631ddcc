// Detector objectives: a streaming change detector over a metric's values,
// one per evaluation, its state carried in the policy state. The defaults
// suit metrics in [0, 1] at an hourly cadence — where River's defaults are
// late (ADWIN) or never fire (Page–Hinkley) — and a quality metric decides
// by itself from real windows.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { qualityProvider } from '../../../activities/metrics/window-metrics.ts';
import { type DetectorObjective, observe } from '../../../policies/detector-objective.ts';
import { evaluate } from '../../../policies/evaluate.ts';
import { planMeasurements } from '../../../policies/requests.ts';
import type { PolicyState } from '../../../policies/state.ts';
import { Adwin } from '../../../stats/detectors/adwin.ts';
import { PageHinkley } from '../../../stats/detectors/page-hinkley.ts';
import { Rng } from '../../../stats/random.ts';
import { hours, iso, issuesOf, load, measure, T0 } from './helpers.ts';

/** Hourly accuracy around 0.81 (sd 0.01), dropping abruptly to 0.77 at `at`. */
function accuracyStream(seed: number, n: number, at: number, drop = 0.04): number[] {
  const rng = new Rng(seed);
  return Array.from({ length: n }, (_, i) => {
    const u = Math.max(rng.nextDouble(), 1e-12);
    const z = Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rng.nextDouble());
    return (i < at ? 0.81 : 0.81 - drop) + 0.01 * z;
  });
}

function firstDetection(o: DetectorObjective, xs: readonly number[]): number {
  let state: unknown;
  for (let i = 0; i < xs.length; i++) {
    const r = observe(o, state, xs[i]!);
    state = JSON.parse(JSON.stringify(r.state)); // as it travels in the workflow history
    if (r.breached) return i;
  }
  return -1;
}

const PH: DetectorObjective = { method: 'page-hinkley', direction: 'down' };
const ADWIN: DetectorObjective = { method: 'adwin', direction: 'down' };

describe('detector objectives over an hourly metric in [0, 1]', () => {
  it('Page–Hinkley catches an abrupt drop from 0.81 to 0.77 within hours; with River’s defaults it never fires', () => {
    const lags: number[] = [];
    let riverFired = 0;
    for (let seed = 1; seed <= 20; seed++) {
      const xs = accuracyStream(seed, 200, 100);
      lags.push(firstDetection(PH, xs) - 100);
      const ph = new PageHinkley();
      if (xs.some((x) => ph.update(x).driftDetected)) riverFired++;
    }
    assert.ok(
      lags.every((l) => l >= 0 && l <= 8),
      `Page–Hinkley lags ${lags}`,
    );
    assert.equal(riverFired, 0, 'Page–Hinkley with threshold 50 never fires on values below 1');
  });

  it('ADWIN, tested at every value, catches a collapse sooner than with River’s clock of 32', () => {
    // ADWIN's cut bound has a term that does not shrink with the noise: on a
    // slow stream it sees only large changes (docs/policies.md says so).
    for (let seed = 1; seed <= 10; seed++) {
      const xs = accuracyStream(seed, 300, 100, 0.4);
      const ours = firstDetection(ADWIN, xs) - 100;
      const river = new Adwin();
      const theirs = xs.findIndex((x) => river.update(x).driftDetected) - 100;
      assert.ok(ours >= 0 && (theirs < 0 || ours < theirs), `seed ${seed}: ${ours} vs River ${theirs}`);
    }
  });

  it('stay quiet on a stable stream, and on a rise when watching for a fall', () => {
    for (let seed = 1; seed <= 20; seed++) {
      const stable = accuracyStream(seed, 500, 500);
      assert.equal(firstDetection(PH, stable), -1, `Page–Hinkley false alarm, seed ${seed}`);
      assert.equal(firstDetection(ADWIN, stable), -1, `ADWIN false alarm, seed ${seed}`);
      const rise = accuracyStream(seed, 200, 100, -0.06);
      assert.equal(firstDetection(PH, rise), -1, `Page–Hinkley fired on a rise, seed ${seed}`);
      assert.equal(firstDetection(ADWIN, rise), -1, `ADWIN fired on a rise, seed ${seed}`);
    }
  });

  it('start afresh when the policy changes the detector’s parameters', () => {
    let state: unknown;
    for (const x of accuracyStream(3, 50, 50)) state = observe(PH, state, x).state;
    assert.equal((state as { n: number }).n, 50);
    const changed = observe({ ...PH, threshold: 0.5 }, state, 0.8);
    assert.equal((changed.state as { n: number }).n, 1);
  });

  it('in a policy: the evaluator feeds the detector, carries its state, and the trigger retrains at the detection', () => {
    const policy = load(`
apiVersion: ctpilot/v1
kind: RetrainingPolicy
metadata: { name: churn }
model: { name: churn-model }
evaluate: { every: 1h }
metrics:
  accuracy:
    prometheus: { query: churn_accuracy }
    objective: { detector: { method: page-hinkley, direction: down } }
triggers:
  accuracy-change: { when: accuracy.breached, action: retrain }
training:
  experiment: churn
  launcher: { mlflowProject: { uri: ./train } }
`);
    const xs = accuracyStream(5, 160, 100);
    let state: PolicyState | undefined;
    const retrainedAt: number[] = [];
    for (let i = 0; i < xs.length; i++) {
      const at = iso(T0 + hours(i));
      const { decision, nextState } = evaluate(policy, state, measure(policy, { accuracy: xs[i]! }, at), at);
      if (decision.actions.some((a) => a.kind === 'retrain' && a.status === 'act')) retrainedAt.push(i);
      // Through JSON, as the state crosses the activity boundary and continue-as-new.
      state = JSON.parse(JSON.stringify(nextState));
      if (i === 99) assert.equal((state!.metrics.accuracy!.detector as { n: number }).n, 100);
    }
    assert.equal(retrainedAt.length, 1, `retrained at ${retrainedAt}`);
    assert.ok(retrainedAt[0]! >= 100 && retrainedAt[0]! <= 108, `retrained at hour ${retrainedAt[0]}`);
    const verdict = evaluate(policy, state, measure(policy, { accuracy: 0.8 }, iso(T0)), iso(T0)).decision
      .metrics[0]!;
    assert.match(verdict.objective ?? '', /Page–Hinkley \(threshold 0\.15/);
  });

  it('a missing value is not fed to the detector', () => {
    const policy = load(`
apiVersion: ctpilot/v1
kind: RetrainingPolicy
metadata: { name: churn }
model: { name: churn-model }
metrics:
  accuracy: { prometheus: { query: a }, objective: { detector: { method: adwin } } }
triggers:
  t: { when: accuracy.breached, action: alert }
`);
    const first = evaluate(policy, null, measure(policy, { accuracy: 0.8 }, iso(T0)), iso(T0));
    const second = evaluate(
      policy,
      first.nextState,
      measure(policy, { accuracy: 'nodata' }, iso(T0)),
      iso(T0),
    );
    assert.deepEqual(second.nextState.metrics.accuracy!.detector, first.nextState.metrics.accuracy!.detector);
    assert.equal(second.decision.metrics[0]!.phase, 'inconclusive');
  });
});

describe('the quality provider over real windows', () => {
  it('counts the alerting findings: 45 % of income missing breaches; a clean window does not', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ctpilot-quality-'));
    try {
      const rows = (missing: number) =>
        Array.from({ length: 200 }, (_, i) =>
          JSON.stringify({ income: i < missing ? null : 1000 + i, plan: ['basic', 'pro'][i % 2] }),
        ).join('\n');
      writeFileSync(join(dir, 'reference.jsonl'), rows(0));
      writeFileSync(join(dir, 'broken.jsonl'), rows(90));
      writeFileSync(join(dir, 'clean.jsonl'), rows(0));
      const policy = (current: string) =>
        load(`
apiVersion: ctpilot/v1
kind: RetrainingPolicy
metadata: { name: q }
model: { name: q-model }
metrics:
  inputs:
    quality:
      columns: [income, plan]
      reference: { uri: "file://${dir}/reference.jsonl" }
      current: { uri: "file://${dir}/${current}" }
triggers:
  broken: { when: inputs.breached, action: alert }
`);
      for (const [file, breached] of [
        ['broken.jsonl', true],
        ['clean.jsonl', false],
      ] as const) {
        const p = policy(file);
        const now = new Date().toISOString();
        const [request] = planMeasurements(p, now);
        const m = await qualityProvider({})(request as never, {
          model: 'q',
          aliases: p.spec.model.aliases,
          alerts: [],
        });
        const { decision } = evaluate(p, null, [m], new Date(Date.parse(now) + 60_000));
        assert.equal(
          decision.metrics[0]!.phase,
          breached ? 'breach' : 'ok',
          `${decision.metrics[0]!.reason} ${JSON.stringify(m.outcome)}`,
        );
        if (breached) {
          assert.equal(decision.metrics[0]!.value, 1);
          assert.match(String(m.source.inputs?.finding1), /income missing-rate: 45\.00% missing/);
        }
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('an objective on a quality metric is refused at its key: it decides by itself', () => {
    const [issue] = issuesOf(`
apiVersion: ctpilot/v1
kind: RetrainingPolicy
metadata: { name: q }
model: { name: q-model }
metrics:
  inputs:
    quality: { columns: [income], reference: { uri: s3://d/r.jsonl }, current: { uri: s3://d/c.jsonl } }
    objective: { max: 0 }
triggers:
  broken: { when: inputs.breached, action: alert }
`);
    assert.equal(issue?.code, 'inconsistent');
    assert.equal(issue?.path, 'metrics.inputs.objective');
    assert.match(issue?.message ?? '', /any alerting finding breaches/);
  });
});
