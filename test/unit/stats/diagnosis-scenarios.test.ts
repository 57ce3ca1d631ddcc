// The diagnosis on seeded worlds (test/support/diagnosis-scenarios.ts): for
// each scenario, the primary cause, the feature that explains it and the
// routed action, plus the numbers that make the cause right — not only the
// label. EXPECTED is exported so a note can show the table.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type RouteAction, routeDiagnosis } from '../../../policies/diagnosis-routing.ts';
import { diagnose } from '../../../stats/diagnosis/diagnose.ts';
import type { Cause, Diagnosis, StageName } from '../../../stats/diagnosis/types.ts';
import { SCENARIO_NAMES, type ScenarioName, scenario } from '../../support/diagnosis-scenarios.ts';

export interface Expected {
  readonly cause: Cause;
  /** The first of `features`, where one applies. */
  readonly feature: string | null;
  readonly action: RouteAction | 'none';
}

export const EXPECTED: Readonly<Record<ScenarioName, Expected>> = {
  stable: { cause: 'none', feature: null, action: 'none' },
  'covariate-drift': { cause: 'covariateDrift', feature: 'age', action: 'alert' },
  'data-quality': { cause: 'dataQuality', feature: 'income', action: 'alert' },
  'concept-drift-kpi-drop': { cause: 'conceptDrift', feature: 'segment', action: 'retrain' },
  'concept-drift-kpi-stable': { cause: 'conceptDrift', feature: 'segment', action: 'alert' },
  'label-shift': { cause: 'labelShift', feature: 'churned', action: 'alert' },
  'covariate-drift-labels-pending': { cause: 'covariateDrift', feature: 'income', action: 'alert' },
};

const cache = new Map<ScenarioName, Diagnosis>();
function diagnosed(name: ScenarioName): Diagnosis {
  let d = cache.get(name);
  if (!d) {
    const s = scenario(name);
    d = diagnose({ reference: s.reference, current: s.current, roles: s.roles, kpi: s.kpi, seed: 7 });
    cache.set(name, d);
  }
  return d;
}
const stage = (d: Diagnosis, name: StageName) => d.stages.find((s) => s.stage === name)!;
const evidence = (d: Diagnosis, name: StageName) => stage(d, name).evidence as Record<string, unknown>;

describe('diagnosis scenarios: cause, feature and action', () => {
  for (const name of SCENARIO_NAMES) {
    it(name, () => {
      const d = diagnosed(name);
      const e = EXPECTED[name];
      const r = routeDiagnosis(d);
      assert.equal(d.primaryCause, e.cause, d.summary);
      if (e.feature !== null) assert.equal(d.features[0], e.feature, d.summary);
      else assert.deepEqual(d.features, []);
      assert.equal(r.action, e.action, r.explanation);
      assert.equal(r.holdRetrain, e.action !== 'retrain' && e.action !== 'none');
      assert.deepEqual(
        d.stages.map((s) => s.stage),
        ['validity', 'quality', 'covariate', 'labelShift', 'concept', 'business'],
      );
      // JSON-safe: the whole diagnosis survives a round trip unchanged (no NaN, no typed arrays).
      assert.deepEqual(JSON.parse(JSON.stringify(d)), d);
    });
  }
});

describe('diagnosis scenarios: the numbers behind the cause', () => {
  it('stable: every stage passes, the estimate matches the realized accuracy', () => {
    const d = diagnosed('stable');
    assert.deepEqual(
      d.stages.map((s) => s.verdict),
      ['pass', 'pass', 'pass', 'pass', 'pass', 'pass'],
    );
    const p = d.performance;
    assert.ok(Math.abs(p.realized! - p.estimated!) < 0.02, `${p.realized} vs ${p.estimated}`);
    assert.ok(p.lower! <= p.realized! && p.realized! <= p.upper!);
    assert.ok(d.drift.every((f) => !f.drifted && f.effect < 0.1));
  });

  it('covariate drift: age moved most, nothing else moved, P(y|x) holds', () => {
    const d = diagnosed('covariate-drift');
    assert.equal(d.drift[0]!.feature, 'age');
    assert.ok(d.drift[0]!.effect > 0.6, `age effect ${d.drift[0]!.effect}`);
    assert.deepEqual(
      d.drift.filter((f) => f.drifted).map((f) => f.feature),
      ['age'],
    );
    assert.equal(stage(d, 'concept').verdict, 'pass');
    assert.ok(Math.abs(d.performance.realized! - d.performance.estimated!) < 0.02);
    // The class mix moved with age, but re-weighting by class does not remove the age drift.
    assert.equal(stage(d, 'labelShift').verdict, 'fail');
    assert.match(d.findings.join('\n'), /label shift does not explain the drift of age/);
  });

  it('data quality: income 45 % missing, blamed first', () => {
    const d = diagnosed('data-quality');
    const alerts = evidence(d, 'quality').alerts as { column: string; check: string; value: number }[];
    assert.equal(alerts[0]!.column, 'income');
    assert.equal(alerts[0]!.check, 'missing-rate');
    assert.ok(Math.abs(alerts[0]!.value - 0.45) < 0.03, `${alerts[0]!.value}`);
    assert.match(d.summary, /income 4\d\.\d % missing \(reference 0\.0 %\)/);
    assert.match(routeDiagnosis(d).explanation, /alerting data-eng; no retrain on broken data$/);
  });

  for (const name of ['concept-drift-kpi-drop', 'concept-drift-kpi-stable'] as const) {
    it(`${name}: realized accuracy far below the estimate, worst in segment east`, () => {
      const d = diagnosed(name);
      const p = d.performance;
      assert.ok(p.estimated! - p.realized! > 0.05, `${p.realized} vs ${p.estimated}`);
      assert.ok(p.realized! < p.lower!);
      assert.equal(d.worstSegment?.value, 'east');
      assert.ok(d.worstSegment!.gap > 0.2, `gap ${d.worstSegment!.gap}`);
      assert.equal(stage(d, 'covariate').verdict, 'pass');
    });
  }

  it('concept drift with a stable KPI alerts and says why', () => {
    const r = routeDiagnosis(diagnosed('concept-drift-kpi-stable'));
    assert.match(r.explanation, /concept drift, but retention_rate holds .*: alerting, not retraining$/);
  });

  it('label shift: the drift disappears against the re-weighted reference; concept judged after the correction', () => {
    const d = diagnosed('label-shift');
    const ls = evidence(d, 'labelShift');
    assert.ok((ls.rate as number) - (ls.referenceRate as number) > 0.15);
    assert.equal(stage(d, 'covariate').verdict, 'fail');
    assert.ok(d.drift.some((f) => f.drifted));
    assert.match(d.findings.join('\n'), /the label shift explains the drift of/);
    const c = evidence(d, 'concept');
    assert.equal(c.adjustedForLabelShift, true);
    assert.equal(stage(d, 'concept').verdict, 'pass');
    assert.ok(Math.abs(d.performance.realized! - d.performance.estimated!) < 0.02);
  });

  it('labels pending: validity fails, concept cannot be judged, the drifted feature is named', () => {
    const d = diagnosed('covariate-drift-labels-pending');
    assert.equal(stage(d, 'validity').verdict, 'fail');
    assert.equal(stage(d, 'concept').verdict, 'inconclusive');
    assert.ok(d.performance.labelled < 200);
    assert.equal(d.drift[0]!.feature, 'income');
    assert.ok(d.drift[0]!.drifted);
    assert.match(routeDiagnosis(d).explanation, /^held: covariate drift/);
  });

  it('the same input gives the same diagnosis', () => {
    const s = scenario('label-shift');
    const a = diagnose({ reference: s.reference, current: s.current, roles: s.roles, seed: 3 });
    const b = diagnose({ reference: s.reference, current: s.current, roles: s.roles, seed: 3 });
    assert.deepEqual(a, b);
  });
});
