// The evaluator with a diagnosis: a retrain the diagnosis does not confirm is
// held by the `diagnosis` guard, its cause alerts the cause's receivers once
// while it lasts, and confirmed concept drift lets the retrain go. Then the
// whole pure path over the seeded scenarios: windows → diagnose → route →
// brief → evaluate, asserting what the controller would do.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { replay } from '../../../activities/backtest/engine.ts';
import type { DiagnosisBrief } from '../../../policies/decision.ts';
import { briefOf, diagnosisOverrides, kpiReading, routeOverrides } from '../../../policies/diagnosis.ts';
import { routeDiagnosis } from '../../../policies/diagnosis-routing.ts';
import { evaluate, wantsDiagnosis } from '../../../policies/evaluate.ts';
import { diagnose } from '../../../stats/diagnosis/diagnose.ts';
import { SCENARIO_NAMES, scenario } from '../../support/diagnosis-scenarios.ts';
import { iso, issuesOf, load, measure, minutes, T0 } from './helpers.ts';

const policy = load(`
apiVersion: ctpilot/v1
kind: RetrainingPolicy
metadata: { name: churn }
model: { name: churn-model }
evaluate: { every: 1h }
metrics:
  accuracy: { prometheus: { query: churn_accuracy }, objective: { min: 0.75 } }
  ctr: { prometheus: { query: churn_ctr }, objective: { change: { baseline: { value: 0.05 }, maxRelativeDrop: 0.1 } } }
triggers:
  accuracy-drop: { when: accuracy.breached, for: 1, action: retrain }
training:
  experiment: churn
  launcher: { mlflowProject: { uri: ./train } }
diagnosis:
  reference: { uri: s3://data/reference.jsonl }
  current: { uri: s3://data/current.jsonl, lookback: 1d }
  columns: { features: [age, income, engagement, visits, plan, device], score: score, label: churned, segment: segment }
  kpi: ctr
  routes:
    dataQuality: { receivers: [data-eng] }
notify:
  data-eng: { webhook: { url: https://hooks.example.com/data } }
  ml-eng: { webhook: { url: https://hooks.example.com/ml } }
`);

const brief = (over: Partial<DiagnosisBrief>): DiagnosisBrief => ({
  cause: 'dataQuality',
  features: ['income'],
  summary: 'data quality: income 45.0 % missing (reference 0.0 %)',
  action: 'alert',
  explanation:
    'held: data quality — income 45.0 % missing (reference 0.0 %); alerting data-eng; no retrain on broken data',
  receivers: ['data-eng'],
  stages: [],
  ...over,
});

describe('the evaluator with a diagnosis', () => {
  const at = iso(T0);
  const breached = measure(policy, { accuracy: 0.7, ctr: 0.05 }, at);

  it('a breach without a diagnosis wants one; one with only quiet triggers does not', () => {
    assert.equal(wantsDiagnosis(evaluate(policy, null, breached, at).decision), true);
    const quiet = measure(policy, { accuracy: 0.9, ctr: 0.05 }, at);
    assert.equal(wantsDiagnosis(evaluate(policy, null, quiet, at).decision), false);
  });

  it('data quality: the retrain is held by the diagnosis, data-eng is alerted once while the cause lasts', () => {
    const first = evaluate(policy, null, breached, at, { diagnosis: brief({}) });
    const retrain = first.decision.actions.find((a) => a.kind === 'retrain')!;
    assert.equal(retrain.status, 'held');
    assert.deepEqual(
      retrain.heldBy.map((h) => h.guard),
      ['diagnosis'],
    );
    assert.match(retrain.explanation, /no retrain on broken data/);
    const alert = first.decision.actions.find((a) => a.origin === 'diagnosis:dataQuality')!;
    assert.equal(alert.status, 'act');
    assert.deepEqual(alert.notify, ['data-eng']);
    assert.match(alert.explanation, /income 45\.0 % missing/);
    assert.equal(first.decision.outcome, 'alert');
    assert.equal(first.decision.diagnosis?.cause, 'dataQuality');
    assert.equal(first.nextState.inFlight, null, 'nothing in flight');
    assert.equal(first.nextState.lastRetrainAt, null);
    assert.deepEqual(first.nextState.diagnosis, { cause: 'dataQuality', since: at });

    const later = iso(T0 + minutes(60));
    const again = evaluate(
      policy,
      first.nextState,
      measure(policy, { accuracy: 0.7, ctr: 0.05 }, later),
      later,
      {
        diagnosis: brief({}),
      },
    );
    assert.equal(again.decision.actions.find((a) => a.kind === 'retrain')?.status, 'held');
    assert.equal(
      again.decision.actions.some((a) => a.origin.startsWith('diagnosis:')),
      false,
      'the same cause is not announced again',
    );
    assert.deepEqual(again.nextState.diagnosis, { cause: 'dataQuality', since: at });
  });

  it('confirmed concept drift lets the retrain go, with no alert of its own', () => {
    const r = evaluate(policy, null, breached, at, {
      diagnosis: brief({
        cause: 'conceptDrift',
        action: 'retrain',
        explanation: 'retraining: concept drift …',
      }),
    });
    assert.equal(r.decision.actions.find((a) => a.kind === 'retrain')?.status, 'act');
    assert.equal(
      r.decision.actions.some((a) => a.origin.startsWith('diagnosis:')),
      false,
    );
    assert.equal(r.decision.outcome, 'retrain');
    assert.ok(r.nextState.inFlight);
  });

  it('a dry-run policy only simulates the diagnosis alert', () => {
    const dry = { ...policy, spec: { ...policy.spec, dryRun: true } };
    const r = evaluate(dry, null, breached, at, { diagnosis: brief({}) });
    assert.equal(r.decision.actions.find((a) => a.origin === 'diagnosis:dataQuality')?.status, 'dryRun');
  });

  it('the routes take the policy’s receivers: a cause’s own, else every receiver of alerts', () => {
    const routes = routeOverrides(policy.spec);
    assert.deepEqual(routes.dataQuality?.receivers, ['data-eng']);
    assert.deepEqual(routes.covariateDrift?.receivers, ['data-eng', 'ml-eng']);
  });

  it('the KPI reading follows its objective: a breach is a drop, no data is unknown', () => {
    const r = (ctr: number | 'nodata') =>
      kpiReading(
        policy.spec,
        evaluate(policy, null, measure(policy, { accuracy: 0.7, ctr }, at), at).decision.metrics,
      );
    assert.equal(r(0.03)?.dropped, true);
    assert.equal(r(0.05)?.dropped, false);
    assert.equal(r('nodata')?.dropped, 'unknown');
    assert.match(r(0.03)!.detail, /ctr 0\.03 vs baseline 0\.05/);
  });
});

describe('scenarios through the whole pure path: what the controller does', () => {
  const at = iso(T0);
  const expected: Record<(typeof SCENARIO_NAMES)[number], { retrain: 'act' | 'held'; alert: string | null }> =
    {
      stable: { retrain: 'held', alert: 'diagnosis:unexplained' },
      'covariate-drift': { retrain: 'held', alert: 'diagnosis:covariateDrift' },
      'data-quality': { retrain: 'held', alert: 'diagnosis:dataQuality' },
      'concept-drift-kpi-drop': { retrain: 'act', alert: null },
      'concept-drift-kpi-stable': { retrain: 'held', alert: 'diagnosis:conceptDrift' },
      'label-shift': { retrain: 'held', alert: 'diagnosis:labelShift' },
      'covariate-drift-labels-pending': { retrain: 'held', alert: 'diagnosis:covariateDrift' },
    };
  for (const name of SCENARIO_NAMES) {
    it(`${name}: retrain ${expected[name].retrain}, alert ${expected[name].alert ?? 'none'}`, () => {
      const s = scenario(name);
      // The KPI as the evaluator would measure it: dropped → below its objective.
      const ctr = s.kpi?.dropped === true ? 0.03 : 0.05;
      const measurements = measure(policy, { accuracy: 0.7, ctr }, at);
      const first = evaluate(policy, null, measurements, at).decision;
      const d = diagnose({
        reference: s.reference,
        current: s.current,
        roles: s.roles,
        thresholds: diagnosisOverrides(policy.spec.diagnosis!),
        kpi: kpiReading(policy.spec, first.metrics),
        // A trigger is due: the diagnosis looks for what explains the breach.
        breached: true,
        seed: 7,
      });
      const routing = routeDiagnosis(d, routeOverrides(policy.spec));
      const { decision } = evaluate(policy, null, measurements, at, { diagnosis: briefOf(d, routing) });
      const retrain = decision.actions.find((a) => a.kind === 'retrain')!;
      // A stable world with a breach: no stage explains it, so it alerts and holds.
      assert.equal(retrain.status, expected[name].retrain, `${d.primaryCause}: ${retrain.explanation}`);
      const alert = decision.actions.find((a) => a.origin.startsWith('diagnosis:'));
      assert.equal(alert?.origin ?? null, expected[name].alert, d.summary);
      if (expected[name].retrain === 'held') assert.ok(retrain.heldBy.some((h) => h.guard === 'diagnosis'));
    });
  }
});

describe('a diagnosis section is validated whole, at its key', () => {
  const base = (diagnosis: string, extra = '') => `
apiVersion: ctpilot/v1
kind: RetrainingPolicy
metadata: { name: churn }
model: { name: churn-model }
metrics:
  accuracy: { prometheus: { query: churn_accuracy }, objective: { min: 0.75 } }
  clicks: { prometheus: { query: clicks } }
triggers:
  accuracy-drop: { when: accuracy.breached, action: alert }
diagnosis:
${diagnosis}
${extra}`;
  const windows = `  reference: { uri: s3://d/r.jsonl }
  current: { uri: s3://d/c.jsonl }
  columns: { features: [age] }`;

  it('a KPI that is not a metric, with a did-you-mean', () => {
    const [issue] = issuesOf(base(`${windows}\n  kpi: acuracy`));
    assert.equal(issue?.code, 'unknown-reference');
    assert.equal(issue?.path, 'diagnosis.kpi');
    assert.equal(issue?.line, 15);
    assert.match(issue?.hint ?? '', /did you mean `accuracy`/);
  });

  it('a KPI without an objective can never drop', () => {
    const [issue] = issuesOf(base(`${windows}\n  kpi: clicks`));
    assert.equal(issue?.code, 'inconsistent');
    assert.match(issue?.message ?? '', /no objective/);
  });

  it('a route to a receiver that does not exist, or a retrain without training', () => {
    const issues = issuesOf(
      base(
        `${windows}\n  routes: { dataQuality: { receivers: [data-eng] }, covariateDrift: { action: retrain } }`,
      ),
    );
    assert.deepEqual(issues.map((i) => i.path).sort(), [
      'diagnosis.routes.covariateDrift.action',
      'diagnosis.routes.dataQuality.receivers[0]',
    ]);
  });

  it('no features, a threshold out of range, an unknown key: each named', () => {
    const issues = issuesOf(
      base(`  reference: { uri: s3://d/r.jsonl }
  current: { uri: s3://d/c.jsonl }
  columns: { features: [] }
  threshold: 1.5
  thresholds: { concept: { confidnce: 0.9 } }`),
    );
    const paths = issues.map((i) => i.path);
    assert.ok(paths.includes('diagnosis.columns.features'), paths.join(', '));
    assert.ok(paths.includes('diagnosis.threshold'), paths.join(', '));
    assert.ok(
      issues.some(
        (i) => i.path?.startsWith('diagnosis.thresholds.concept') && /confidence/.test(i.hint ?? i.message),
      ),
      JSON.stringify(issues),
    );
  });
});

describe('backtests diagnose where a retrain or alert would have gone out', () => {
  it('each such step carries the diagnosis; the retrain it does not confirm is held by it', async () => {
    const instants = [0, 1, 2].map((h) => T0 + h * 3_600_000);
    const asked: number[] = [];
    const records = await replay(
      policy,
      instants,
      (atMs) => measure(policy, { accuracy: 0.7, ctr: 0.05 }, iso(atMs)),
      {
        diagnoseAt: async (_decision, atMs) => {
          asked.push(atMs);
          return brief({});
        },
      },
    );
    assert.deepEqual(asked, instants, 'asked at every step where the retrain was due');
    for (const r of records) {
      assert.equal(r.diagnosis?.cause, 'dataQuality');
      assert.deepEqual(r.actions.find((a) => a.kind === 'retrain')?.heldBy, ['diagnosis']);
    }
    assert.equal(
      records.filter((r) => r.actions.some((a) => a.origin === 'diagnosis:dataQuality')).length,
      1,
    );
  });
});
