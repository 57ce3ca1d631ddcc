// Routing a diagnosis to an action: the default route per cause, overrides,
// the KPI gate on retraining, and — as a property over arbitrary diagnoses
// and overrides — the invariant that an inconclusive stage or failed data
// quality never retrains.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  DEFAULT_ROUTES,
  type RoutedCause,
  type RouteOverrides,
  routeDiagnosis,
} from '../../../policies/diagnosis-routing.ts';
import {
  CAUSES,
  type Cause,
  type Diagnosis,
  type KpiReading,
  STAGES,
  type StageName,
  type StageResult,
  type StageVerdict,
} from '../../../stats/diagnosis/types.ts';

const SUMMARIES: Record<StageName, string> = {
  validity: '2400 of 3000 current rows labelled (80.0 %), reference 5000 labelled',
  quality: 'income 45.0 % missing (reference 0.0 %)',
  covariate: 'age drifted: wasserstein 0.86 (threshold 0.1), effect 0.86',
  labelShift: 'positive rate 54.1 % vs reference 29.6 % (z = 20.3, p < 0.001, 2385 labelled)',
  concept:
    'accuracy 0.669 realized vs 0.768 estimated from the scores (0.752–0.784), z = -9.99, on 2386 labelled rows',
  business: 'no business KPI declared',
};

function diagnosis(
  cause: Cause,
  verdicts: Partial<Record<StageName, StageVerdict>> = {},
  kpi?: KpiReading,
): Diagnosis {
  const stages: StageResult[] = STAGES.map((stage) => ({
    stage,
    verdict: verdicts[stage] ?? 'pass',
    summary: SUMMARIES[stage],
    features: [],
    evidence: {},
  }));
  return {
    stages,
    primaryCause: cause,
    features: [],
    summary: `${cause}: summary`,
    findings: [],
    drift: [],
    performance: {
      metric: 'accuracy',
      realized: null,
      estimated: null,
      lower: null,
      upper: null,
      reference: null,
      labelled: 0,
    },
    ...(kpi ? { kpi } : {}),
    events: [],
    rows: { reference: 0, current: 0 },
  };
}

const KPI = (dropped: KpiReading['dropped']): KpiReading => ({
  metric: 'ctr',
  value: 0.031,
  baseline: 0.042,
  dropped,
  detail: 'ctr 0.031 vs 0.042 (−26 %, limit −10 %)',
});

describe('default routes', () => {
  it('only concept drift retrains; every other cause alerts and holds', () => {
    for (const cause of CAUSES) {
      if (cause === 'none') continue;
      const r = routeDiagnosis(diagnosis(cause, { [causeStage(cause)]: 'fail' }));
      assert.equal(r.action, cause === 'conceptDrift' ? 'retrain' : 'alert', cause);
      assert.equal(r.holdRetrain, cause !== 'conceptDrift', cause);
      assert.deepEqual(r.receivers, DEFAULT_ROUTES[cause].receivers, cause);
    }
  });
  it('none: no action, nothing held', () => {
    const r = routeDiagnosis(diagnosis('none'));
    assert.deepEqual(
      { action: r.action, holdRetrain: r.holdRetrain, receivers: r.receivers },
      { action: 'none', holdRetrain: false, receivers: [] },
    );
    assert.equal(r.explanation, 'no action: none: summary');
  });
  it('explains in one line: what, why, who', () => {
    const q = routeDiagnosis(diagnosis('dataQuality', { quality: 'fail' }));
    assert.equal(
      q.explanation,
      'held: data quality — income 45.0 % missing (reference 0.0 %); alerting data-eng; no retrain on broken data',
    );
    const e = routeDiagnosis(diagnosis('evaluation', { validity: 'fail' }));
    assert.match(e.explanation, /^held: performance signal suspect — .*; alerting ml-eng; not retraining$/);
  });
});

describe('concept drift and the KPI', () => {
  it('retrains when the KPI dropped or none is declared', () => {
    const dropped = routeDiagnosis(
      diagnosis('conceptDrift', { concept: 'fail', business: 'fail' }, KPI(true)),
    );
    assert.equal(dropped.action, 'retrain');
    assert.match(dropped.explanation, /^retraining: concept drift — .*; ctr dropped \(ctr 0\.031 vs 0\.042/);
    const undeclared = routeDiagnosis(diagnosis('conceptDrift', { concept: 'fail' }));
    assert.equal(undeclared.action, 'retrain');
    assert.match(undeclared.explanation, /no business KPI declared; notifying ml-eng$/);
  });
  it('alerts and holds when the KPI holds', () => {
    const r = routeDiagnosis(diagnosis('conceptDrift', { concept: 'fail' }, KPI(false)));
    assert.equal(r.action, 'alert');
    assert.equal(r.holdRetrain, true);
    assert.match(
      r.explanation,
      /; concept drift, but ctr holds \(ctr 0\.031 vs 0\.042 .*\): alerting, not retraining$/,
    );
  });
  it('alerts and holds when the KPI could not be measured', () => {
    const r = routeDiagnosis(
      diagnosis('conceptDrift', { concept: 'fail', business: 'inconclusive' }, KPI('unknown')),
    );
    assert.equal(r.action, 'alert');
    assert.match(r.explanation, /retrain blocked: business inconclusive/);
    const noStage = routeDiagnosis(diagnosis('conceptDrift', { concept: 'fail' }, KPI('unknown')));
    assert.equal(noStage.action, 'alert');
    assert.match(noStage.explanation, /ctr could not be measured: alerting, not retraining$/);
  });
});

describe('overrides', () => {
  it('change a cause’s action and receivers', () => {
    const o: RouteOverrides = {
      covariateDrift: { action: 'retrain' },
      dataQuality: { receivers: ['pipeline-oncall'] },
    };
    const cov = routeDiagnosis(diagnosis('covariateDrift', { covariate: 'fail' }), o);
    assert.equal(cov.action, 'retrain');
    assert.match(cov.explanation, /; retrain by policy; notifying ml-eng$/);
    const q = routeDiagnosis(diagnosis('dataQuality', { quality: 'fail' }), o);
    assert.deepEqual(q.receivers, ['pipeline-oncall']);
    assert.match(q.explanation, /alerting pipeline-oncall; no retrain on broken data$/);
    const c = routeDiagnosis(diagnosis('conceptDrift', { concept: 'fail' }), {
      conceptDrift: { action: 'alert' },
    });
    assert.equal(c.action, 'alert');
  });
  it('hold: no alert, no receivers', () => {
    const r = routeDiagnosis(diagnosis('labelShift', { labelShift: 'fail' }), {
      labelShift: { action: 'hold' },
    });
    assert.deepEqual([r.action, r.holdRetrain, r.receivers], ['hold', true, []]);
    assert.match(r.explanation, /no alert \(hold by policy\)/);
  });
  it('cannot retrain past an inconclusive stage or failed quality', () => {
    const o: RouteOverrides = { covariateDrift: { action: 'retrain' } };
    const pending = routeDiagnosis(
      diagnosis('covariateDrift', { covariate: 'fail', concept: 'inconclusive' }),
      o,
    );
    assert.equal(pending.action, 'alert');
    assert.match(pending.explanation, /retrain blocked: concept inconclusive \(accuracy/);
    const broken = routeDiagnosis(diagnosis('dataQuality', { quality: 'fail' }), {
      dataQuality: { action: 'retrain', receivers: ['x'] },
    });
    assert.equal(broken.action, 'alert');
    assert.deepEqual(broken.receivers, ['x']);
    assert.match(broken.explanation, /retrain blocked: data quality fails \(income 45\.0 % missing/);
  });
});

function causeStage(cause: RoutedCause): StageName {
  const m: Record<RoutedCause, StageName> = {
    evaluation: 'validity',
    dataQuality: 'quality',
    covariateDrift: 'covariate',
    labelShift: 'labelShift',
    conceptDrift: 'concept',
    unexplained: 'concept',
  };
  return m[cause];
}

describe('the invariant, for arbitrary diagnoses and overrides', () => {
  // Weighted towards pass, so that fully conclusive diagnoses (where a retrain may happen) are common.
  const verdict: fc.Arbitrary<StageVerdict> = fc.oneof(
    { arbitrary: fc.constant('pass' as const), weight: 6 },
    { arbitrary: fc.constant('fail' as const), weight: 2 },
    { arbitrary: fc.constant('inconclusive' as const), weight: 1 },
  );
  const verdicts = fc.record(
    Object.fromEntries(STAGES.map((s) => [s, verdict])) as Record<StageName, typeof verdict>,
  );
  const kpi = fc.option(fc.constantFrom<KpiReading['dropped']>(true, false, 'unknown').map(KPI), {
    nil: undefined,
  });
  const routed = CAUSES.filter((c): c is RoutedCause => c !== 'none');
  const route = fc.record(
    {
      action: fc.constantFrom('retrain' as const, 'alert' as const, 'hold' as const),
      receivers: fc.array(fc.constantFrom('a', 'b', 'c'), { maxLength: 2 }),
    },
    { requiredKeys: [] },
  );
  const overrides = fc.record(
    Object.fromEntries(routed.map((c) => [c, route])) as Record<RoutedCause, typeof route>,
    {
      requiredKeys: [],
    },
  );

  it('inconclusive or failed quality never retrains; retrain only for concept drift or an override, all stages conclusive', () => {
    const seen = { retrain: 0, blocked: 0 };
    fc.assert(
      fc.property(fc.constantFrom(...CAUSES), verdicts, kpi, overrides, (cause, v, k, o) => {
        const d = diagnosis(cause, v, k);
        const r = routeDiagnosis(d, o as RouteOverrides);
        const doubt = d.stages.some((s) => s.verdict === 'inconclusive') || v.quality === 'fail';
        if (doubt) assert.notEqual(r.action, 'retrain');
        if (r.action === 'retrain') seen.retrain++;
        if (doubt && r.explanation.includes('retrain blocked')) seen.blocked++;
        if (r.action === 'retrain') {
          assert.ok(cause !== 'none');
          const wanted =
            (o as RouteOverrides)[cause as RoutedCause]?.action ??
            DEFAULT_ROUTES[cause as RoutedCause].action;
          assert.equal(wanted, 'retrain');
          assert.ok(
            cause === 'conceptDrift' || (o as RouteOverrides)[cause as RoutedCause]?.action === 'retrain',
          );
          assert.ok(!doubt);
          assert.ok(k === undefined || k.dropped === true);
        }
        assert.equal(r.action === 'none', cause === 'none');
        assert.equal(r.holdRetrain, r.action !== 'retrain' && r.action !== 'none');
        assert.equal(r.cause, cause);
        assert.ok(r.explanation.length > 0 && !r.explanation.includes('\n'));
      }),
      { numRuns: 2000, seed: 20260301 },
    );
    // The property met both sides: retrains that went ahead and retrains it blocked.
    assert.ok(seen.retrain > 10 && seen.blocked > 10, JSON.stringify(seen));
  });
});
