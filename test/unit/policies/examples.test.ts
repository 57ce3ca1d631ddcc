// Every example in policies/examples validates, and behaves as its comment
// says when fed measurement sequences.

import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { describe, it } from 'node:test';
import { instantiate, type RegisteredModel, selectModels } from '../../../policies/fleet.ts';
import { retrainFinished } from '../../../policies/lifecycle.ts';
import { planMeasurements } from '../../../policies/requests.ts';
import { acted, days, example, hours, minutes, root, run, type Short, T0 } from './helpers.ts';

const files = readdirSync(`${root}policies/examples`).filter((f) => f.endsWith('.yaml'));

describe('examples', () => {
  it('there are seven, and every one validates with no warnings', () => {
    assert.equal(files.length, 7);
    for (const f of files) {
      const p = example(f);
      assert.match(p.hash, /^sha256:/);
    }
  });
});

describe('fraud-slo.yaml: contractual precision/recall SLOs', () => {
  const p = example('fraud-slo.yaml');
  const healthy = {
    precision: 0.95,
    recall: 0.88,
    labels_seen: 900,
    amount_drift: { value: 0.4, test: 'ks' },
  } as const;
  const breach = { ...healthy, precision: 0.9 };

  it('alerts at the first breach, retrains after three with enough labels, once', () => {
    const e = run(p, [healthy, breach, breach, breach, breach, breach]);
    assert.deepEqual(acted(e), [[], ['alert:slo-warning'], [], ['retrain:slo-breach'], [], []]);
    // The retrain is in flight: the next persistent breach is held, not repeated.
    const later = run(p, [breach, breach, breach], { state: e[5]?.nextState, start: T0 + minutes(30) });
    assert.deepEqual(
      later[2]?.decision.actions.filter((a) => a.kind === 'retrain').map((a) => a.heldBy.map((h) => h.guard)),
      [['inFlight', 'cooldown']],
    );
  });

  it('does not retrain on a breach backed by too few labels', () => {
    const thin = { ...breach, labels_seen: 120 };
    const e = run(p, [thin, thin, thin, thin]);
    assert.deepEqual(acted(e).flat(), ['alert:slo-warning']);
    assert.equal(e[3]?.decision.outcome, 'held');
    assert.match(
      e[3]?.decision.actions[0]?.explanation ?? '',
      /Held back by require — requirement `labels_seen.value >= 500` is false \(labels_seen = 120\)/,
    );
  });

  it('Prometheus down for an hour: inconclusive, one alert per metric, never a retrain', () => {
    const down: Record<string, Short> = {
      precision: 'error',
      recall: 'error',
      labels_seen: 'error',
      amount_drift: { value: 0.4, test: 'ks' },
    };
    const e = run(
      p,
      Array.from({ length: 12 }, () => down),
    );
    assert.ok(
      e.every((x) => x.decision.actions.every((a) => a.kind === 'alert' && a.origin.startsWith('metric:'))),
    );
    assert.deepEqual(acted(e)[2], [
      'alert:metric:precision',
      'alert:metric:recall',
      'alert:metric:labels_seen',
    ]);
    assert.ok(e.every((x) => x.decision.outcome !== 'retrain'));
    // When it comes back, the alerts resolve and breaches count from zero.
    const back = run(p, [breach, breach, breach], { state: e[11]?.nextState, start: T0 + hours(1) });
    assert.deepEqual(
      back[0]?.decision.actions.filter((a) => a.kind === 'resolve').map((a) => a.origin),
      ['metric:precision', 'metric:recall', 'metric:labels_seen'],
    );
    assert.deepEqual(
      acted(back).map((x) => x.filter((k) => k.startsWith('retrain'))),
      [[], [], ['retrain:slo-breach']],
    );
  });

  it('plans rendered requests for the controller', () => {
    const [precision, , , drift] = planMeasurements(p, T0);
    assert.ok(precision?.provider === 'prometheus');
    assert.match(precision.query, /fraud_true_positives_total\{model="fraud-detector"\}/);
    assert.ok(drift?.provider === 'drift');
    assert.deepEqual(drift.current.params, ['2025-06-01T12:00:00.000Z', 'fraud-detector']);
  });
});

describe('support-tickets-production.yaml: accuracy with delayed labels', () => {
  const p = example('support-tickets-production.yaml');
  const fresh = (acc: number, samples: number) => ({
    value: acc,
    samples,
    dataAt: new Date(T0).toISOString(),
  });
  const est = {
    value: 0.9,
    reference: [0.9, 0.91, 0.89, 0.9, 0.92, 0.88, 0.9, 0.91, 0.89, 0.9, 0.91, 0.9, 0.89, 0.9],
  };

  it('a low accuracy over few labels is inconclusive and never retrains', () => {
    const e = run(
      p,
      Array.from({ length: 6 }, () => ({
        accuracy: fresh(0.7, 50),
        labels_joined: 50,
        estimated_accuracy: est,
      })),
      { every: minutes(15) },
    );
    // No retrain; after three evaluations without a usable accuracy, someone is told.
    assert.deepEqual(acted(e), [[], [], ['alert:metric:accuracy'], [], [], []]);
    assert.equal(e[0]?.decision.metrics[0]?.reason, 'too few samples: 50 < minSamples 200');
    assert.equal(e[0]?.decision.outcome, 'inconclusive');
  });

  it('retrains after three evaluations with enough fresh labels', () => {
    const e = run(
      p,
      Array.from({ length: 3 }, () => ({
        accuracy: fresh(0.8, 400),
        labels_joined: 400,
        estimated_accuracy: est,
      })),
      { every: minutes(15) },
    );
    assert.deepEqual(acted(e), [[], [], ['retrain:accuracy-drop']]);
  });

  it('stale labels (older than 6h) do not count', () => {
    const stale = { value: 0.7, samples: 400, dataAt: new Date(T0 - hours(7)).toISOString() };
    const e = run(
      p,
      Array.from({ length: 4 }, () => ({ accuracy: stale, labels_joined: 400, estimated_accuracy: est })),
    );
    assert.deepEqual(acted(e).flat(), ['alert:metric:accuracy']);
    assert.match(e[0]?.decision.metrics[0]?.reason ?? '', /^stale: /);
  });

  it('the label-free estimate outside its learned band raises an early warning, not a retrain', () => {
    const low = { ...est, value: 0.8 };
    const e = run(p, [
      { accuracy: 'nodata', labels_joined: 0, estimated_accuracy: low },
      { accuracy: 'nodata', labels_joined: 0, estimated_accuracy: low },
    ]);
    assert.deepEqual(acted(e), [[], ['alert:early-warning']]);
  });

  it('the Saturday-night release freeze (Paris time) holds a retrain', () => {
    // 2025-06-07 is a Saturday; 21:00 UTC is 23:00 in Paris.
    const sat = Date.parse('2025-06-07T21:00:00Z');
    const e = run(
      p,
      Array.from({ length: 3 }, () => ({
        accuracy: { ...fresh(0.8, 400), dataAt: new Date(sat).toISOString() },
        labels_joined: 400,
        estimated_accuracy: est,
      })),
      {
        start: sat,
        every: minutes(15),
      },
    );
    assert.deepEqual(
      e[2]?.decision.actions[0]?.heldBy.map((h) => h.guard),
      ['maintenance'],
    );
  });
});

describe('recommender-drift.yaml: features drift, CTR stable', () => {
  const p = example('recommender-drift.yaml');
  const stable = {
    ctr: { value: 0.051, baseline: 0.05 },
    revenue_per_session: { value: 2.0, baseline: 2.02 },
  };
  const drifted = {
    category_drift: { value: 0.0001, test: 'chisquare' },
    price_drift: { value: 0.35, test: 'psi' },
  };
  const calm = {
    category_drift: { value: 0.6, test: 'chisquare' },
    price_drift: { value: 0.05, test: 'psi' },
  };

  it('alerts on the drift once and never retrains while the KPI holds', () => {
    const e = run(
      p,
      Array.from({ length: 10 }, () => ({ ...stable, ...drifted })),
      { every: minutes(30) },
    );
    assert.deepEqual(acted(e)[0], ['alert:feature-drift']);
    assert.deepEqual(acted(e).slice(1).flat(), []);
    assert.ok(e.every((x) => x.decision.actions.every((a) => a.kind !== 'retrain')));
  });

  it('retrains when revenue per session drops more than 5% on 4 of 6 evaluations', () => {
    const kpiDown = { ...stable, revenue_per_session: { value: 1.8, baseline: 2.0 }, ...calm };
    const ok = { ...stable, ...calm };
    const e = run(p, [kpiDown, ok, kpiDown, kpiDown, ok, kpiDown], { every: minutes(30) });
    assert.deepEqual(
      acted(e).map((x) => x.filter((k) => k.startsWith('retrain'))),
      [[], [], [], [], [], ['retrain:kpi-drop']],
    );
    assert.match(
      e[5]?.decision.actions.find((a) => a.kind === 'retrain')?.explanation ?? '',
      /held on 4 of the last 6 decided evaluations \(4 of 6 needed\)/,
    );
    assert.match(
      e[5]?.decision.actions.find((a) => a.kind === 'retrain')?.explanation ?? '',
      /1\.8 is worse than baseline 2 by 10% \(> 5%\)/,
    );
  });
});

describe('credit-age-shift.yaml: population shift after a campaign', () => {
  const p = example('credit-age-shift.yaml');
  const refRate = Array.from({ length: 40 }, (_, i) => 0.6 + ((i % 5) - 2) * 0.005);
  const shifted = {
    age_drift: { value: 1e-6, test: 'ks' },
    approval_rate: { value: 0.6, reference: refRate },
  };

  it('the age shift alone alerts after two evaluations and does not retrain', () => {
    const e = run(
      p,
      Array.from({ length: 5 }, () => ({ ...shifted, auc_estimate: 0.78 })),
      { every: hours(1) },
    );
    assert.deepEqual(acted(e), [[], ['alert:age-shift'], [], [], []]);
  });

  it('shift plus an estimated AUC below 0.74 for three hours retrains; the monthly budget holds the next', () => {
    const e = run(
      p,
      Array.from({ length: 3 }, () => ({ ...shifted, auc_estimate: 0.7 })),
      { every: hours(1) },
    );
    assert.deepEqual(acted(e)[2], ['retrain:performance-risk']);
    const state = retrainFinished(e[2]?.nextState ?? e[0]!.nextState, {
      at: new Date(T0).toISOString(),
      outcome: 'rejected',
    });
    const again = run(
      p,
      Array.from({ length: 3 }, () => ({ ...shifted, auc_estimate: 0.7 })),
      { state, start: T0 + days(10), every: hours(1) },
    );
    assert.deepEqual(
      again[2]?.decision.actions.find((a) => a.kind === 'retrain')?.heldBy.map((h) => h.guard),
      ['budget'],
    );
  });

  it('an approval rate outside mean ± 3σ of the last 90 days alerts at once', () => {
    const e = run(p, [{ ...shifted, auc_estimate: 0.78, approval_rate: { value: 0.5, reference: refRate } }]);
    assert.ok(acted(e)[0]?.includes('alert:approval-rate-anomaly'));
  });

  it('the year-end change freeze holds a retrain', () => {
    const start = Date.parse('2025-12-23T10:00:00Z');
    const e = run(
      p,
      Array.from({ length: 3 }, () => ({ ...shifted, auc_estimate: 0.7 })),
      { start, every: hours(1) },
    );
    assert.deepEqual(
      e[2]?.decision.actions.find((a) => a.kind === 'retrain')?.heldBy.map((h) => h.guard),
      ['maintenance'],
    );
  });
});

describe('ctr-concept-drift.yaml: CTR declines without input drift', () => {
  const p = example('ctr-concept-drift.yaml');
  const reference = Array.from({ length: 56 }, (_, i) => 0.04 + ((i % 7) - 3) * 0.0005);
  const ctr = (value: number) => ({ value, samples: 50_000, reference });
  const noDrift = { value: 0.02, test: 'jensenshannon' };
  const drift = { value: 0.3, test: 'jensenshannon' };

  it('retrains on six hours of CTR below its learned band with stable inputs', () => {
    const e = run(
      p,
      Array.from({ length: 6 }, () => ({ ctr: ctr(0.03), topic_drift: noDrift })),
      { every: hours(1) },
    );
    assert.deepEqual(acted(e), [[], [], [], [], [], ['retrain:concept-drift']]);
  });

  it('with drifted inputs it alerts instead', () => {
    const e = run(
      p,
      Array.from({ length: 6 }, () => ({ ctr: ctr(0.03), topic_drift: drift })),
      { every: hours(1) },
    );
    assert.deepEqual(acted(e).flat(), ['alert:ctr-drop-with-input-drift']);
  });

  it('a failed drift check makes "no drift" unknown: the count restarts, no retrain', () => {
    const steps = [
      ...Array.from({ length: 5 }, () => ({ ctr: ctr(0.03), topic_drift: noDrift })),
      { ctr: ctr(0.03), topic_drift: 'error' as const },
      { ctr: ctr(0.03), topic_drift: noDrift },
    ];
    const e = run(p, steps, { every: hours(1) });
    assert.deepEqual(acted(e).flat(), []);
    assert.equal(e[5]?.decision.triggers[0]?.condition, 'undetermined');
  });
});

describe('fleet-ranking.yaml: one template, many models', () => {
  const t = example('fleet-ranking.yaml');
  const registry: RegisteredModel[] = [
    { name: 'ranking-fr', tags: { team: 'ranking', ctpilot: 'managed', market: 'fr' } },
    { name: 'ranking-de', tags: { team: 'ranking', ctpilot: 'managed', market: 'de' } },
    { name: 'ranking-us', tags: { team: 'ranking', market: 'us' } },
    { name: 'ads-ctr', tags: { team: 'ads', ctpilot: 'managed' } },
    { name: 'Ranking "Beta"', tags: { team: 'ranking', ctpilot: 'managed', market: 'x"} or vector(1) #' } },
  ];

  it('selects the managed ranking models and gives each its own policy name and hash', () => {
    const selected = selectModels(t.spec, registry);
    assert.deepEqual(
      selected.map((m) => m.name),
      ['ranking-fr', 'ranking-de', 'Ranking "Beta"'],
    );
    const instances = selected.map((m) => instantiate(t, m));
    assert.deepEqual(
      instances.map((i) => i.spec.metadata.name),
      ['ranking-fleet-ranking-fr', 'ranking-fleet-ranking-de', instances[2]?.spec.metadata.name],
    );
    assert.match(instances[2]?.spec.metadata.name ?? '', /^ranking-fleet-ranking-beta-[0-9a-f]{8}$/);
    assert.equal(new Set(instances.map((i) => i.hash)).size, 3);
  });

  it('renders per-model queries with label values escaped', () => {
    const beta = instantiate(t, registry[4] as RegisteredModel);
    const [ndcg] = planMeasurements(beta, T0, { version: '3' });
    assert.ok(ndcg?.provider === 'prometheus');
    assert.equal(
      ndcg.query,
      'avg_over_time(ranking_ndcg_at_10{model="Ranking \\"Beta\\"", market="x\\"} or vector(1) #"}[1h])',
    );
    assert.equal(ndcg.renderError, undefined);
  });

  it('each instance decides on its own measurements', () => {
    const fr = instantiate(t, registry[0] as RegisteredModel);
    const drop = { ndcg: { value: 0.6, baseline: 0.65, samples: 5000 }, requests: 8000, latency_p99: 0.1 };
    const fine = { ndcg: { value: 0.65, baseline: 0.65, samples: 5000 }, requests: 8000, latency_p99: 0.1 };
    const e = run(fr, [drop, fine, drop, drop], { every: minutes(10) });
    assert.deepEqual(acted(e), [[], [], [], ['retrain:quality-drop']]);
    assert.equal(e[3]?.decision.policy, 'ranking-fleet-ranking-fr');
  });
});

describe('support-tickets-production.yaml: what the controller collects', () => {
  it('renders the value and sample-count queries for the champion version', () => {
    const [accuracy] = planMeasurements(example('support-tickets-production.yaml'), T0, { version: '12' });
    assert.ok(accuracy?.provider === 'prometheus');
    assert.match(accuracy.query, /support_tickets_correct_predictions_total\{model_version="12"\}/);
    assert.equal(
      accuracy.samplesQuery,
      'sum(increase(support_tickets_labels_total{model_version="12"}[24h]))',
    );
    // Without a version the request says so instead of querying the wrong series.
    assert.match(
      planMeasurements(example('support-tickets-production.yaml'), T0)[0]?.renderError ?? '',
      /no value for template variable `version`/,
    );
  });
});

describe('support-tickets.yaml: the demo, wired to the example simulator', () => {
  const p = example('support-tickets.yaml');
  const labelled = (acc: number, samples = 300) => ({ value: acc, samples });

  it('queries the simulator’s series for the watched version, with its label count', () => {
    const [accuracy] = planMeasurements(p, T0, { version: '3' });
    assert.ok(accuracy?.provider === 'prometheus');
    assert.match(
      accuracy.query,
      /support_tickets_correct_predictions_total\{model="support-tickets",model_version="3"\}\[1m\]/,
    );
    assert.match(accuracy.samplesQuery ?? '', /support_tickets_labels_total\{model="support-tickets"/);
  });

  it('retrains after three low evaluations with enough labels, never on a few labels', () => {
    const low = run(
      p,
      Array.from({ length: 3 }, () => ({ accuracy: labelled(0.55) })),
      { every: 20_000 },
    );
    assert.deepEqual(acted(low), [[], [], ['retrain:accuracy-drop']]);
    const few = run(
      p,
      Array.from({ length: 4 }, () => ({ accuracy: labelled(0.55, 40) })),
      { every: 20_000 },
    );
    assert.equal(
      acted(few)
        .flat()
        .filter((a) => a.startsWith('retrain')).length,
      0,
    );
    assert.equal(few[0]?.decision.metrics[0]?.reason, 'too few samples: 40 < minSamples 100');
  });

  it('points training, shadow and the deploy hook at the demo simulator', () => {
    assert.equal(p.spec.training?.parameters.data_uri, 's3://ctpilot/examples/support-tickets/demo/');
    assert.equal(p.spec.shadow?.endpoint, 'http://127.0.0.1:8780/versions/{{ version }}/invocations');
    assert.equal(p.spec.shadow?.labels?.uri, 's3://ctpilot/examples/support-tickets/demo/labels/');
    assert.equal(p.spec.promotion?.deployHook?.url, 'http://127.0.0.1:8780/admin/reload');
    assert.equal(p.spec.promotion?.approval, 'manual');
  });
});
