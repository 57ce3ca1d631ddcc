import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { evaluate } from '../../../policies/evaluate.ts';
import { promoted, retrainFinished, rolledBack } from '../../../policies/lifecycle.ts';
import { initialState, parseState, StateError } from '../../../policies/state.ts';
import { acted, days, hours, iso, load, measure, minutes, run, T0 } from './helpers.ts';

/** A policy with one objective metric, a labels count, and a trigger per test. */
function policy(trigger: string, extra = '') {
  return load(`apiVersion: ctpilot/v1
kind: RetrainingPolicy
metadata: { name: unit }
model: { name: unit-model }
metrics:
  acc:
    prometheus: { query: 'avg(acc{model="{{ model.name }}"})' }
    objective: { min: 0.9 }
  labels:
    prometheus: { query: 'sum(labels)' }
triggers:
${trigger}
training:
  experiment: unit
  launcher: { command: { run: [train] } }
${extra}`);
}

const good = { acc: 0.95, labels: 1000 };
const bad = { acc: 0.8, labels: 1000 };

describe('classification', () => {
  const p = policy('  t: { when: acc.breached, action: alert }');
  const verdict = (acc: Parameters<typeof measure>[1]['acc'], at = T0) =>
    evaluate(p, undefined, measure(p, { acc, labels: 1 }, iso(at)), at).decision.metrics[0];

  it('ok and breach by the objective, boundaries inclusive', () => {
    assert.equal(verdict(0.95)?.phase, 'ok');
    assert.equal(verdict(0.9)?.phase, 'ok');
    assert.equal(verdict(0.89)?.phase, 'breach');
    assert.equal(verdict(0.89)?.reason, '0.89 is below min 0.9');
  });

  it('no data, NaN and infinities are inconclusive, never compared', () => {
    assert.equal(verdict('nodata')?.phase, 'inconclusive');
    assert.equal(verdict('nan')?.phase, 'inconclusive');
    // This query divides nothing: the series itself is NaN, and the reason does not guess at 0/0.
    assert.equal(verdict('nan')?.reason, 'the source returned NaN (the series itself has that value)');
    assert.equal(verdict('inf')?.phase, 'inconclusive');
    const divided = load(
      `apiVersion: ctpilot/v1\nkind: RetrainingPolicy\nmetadata: { name: r }\nmodel: { name: m }\nmetrics:\n  acc:\n    prometheus: { query: 'sum(rate(hits[5m])) / sum(rate(all[5m]))' }\n    objective: { min: 0.9 }\ntriggers:\n  t: { when: acc.breached, action: alert }\n`,
    );
    const of = (acc: 'nan' | 'inf') =>
      evaluate(divided, undefined, measure(divided, { acc }, iso(T0)), T0).decision.metrics[0]?.reason;
    assert.equal(
      of('nan'),
      'the source returned NaN (0/0 in its division: typically no traffic in the window)',
    );
    assert.match(of('inf') ?? '', /\(a division by zero in the query\)$/);
    // A provider that sends NaN as a number is caught too.
    assert.equal(verdict({ kind: 'value', value: Number.NaN })?.phase, 'inconclusive');
  });

  it('errors are errors, with the message', () => {
    const v = verdict('error');
    assert.equal(v?.phase, 'error');
    assert.equal(v?.reason, 'measurement failed: connection refused');
  });

  it('a metric with no measurement is an error of the collector', () => {
    const v = evaluate(p, undefined, [], T0).decision.metrics[0];
    assert.equal(v?.phase, 'error');
    assert.equal(v?.reason, 'no measurement was collected for this metric');
  });

  it('stale data (maxAge) and too few samples (minSamples) are inconclusive', () => {
    const q = load(
      `apiVersion: ctpilot/v1\nkind: RetrainingPolicy\nmetadata: { name: q }\nmodel: { name: m }\nmetrics:\n  acc: { prometheus: { query: x, samples: y }, objective: { min: 0.9 }, maxAge: 1h, minSamples: 100 }\ntriggers:\n  t: { when: acc.breached, action: alert }\n`,
    );
    const at = T0;
    const one = (acc: Parameters<typeof measure>[1]['acc']) =>
      evaluate(q, undefined, measure(q, { acc }, iso(at)), at).decision.metrics[0];
    assert.equal(
      one({ value: 0.5, samples: 500, dataAt: iso(at - hours(2)) })?.reason,
      `stale: the data is from ${iso(at - hours(2))}, older than maxAge 1h`,
    );
    assert.equal(one({ value: 0.5, samples: 50 })?.reason, 'too few samples: 50 < minSamples 100');
    assert.equal(one({ value: 0.5 })?.phase, 'inconclusive');
    assert.equal(one({ value: 0.5, samples: 100 })?.phase, 'breach');
    assert.equal(one({ value: 0.5, samples: 100, dataAt: iso(at + hours(1)) })?.phase, 'error');
  });

  it('onNoData: breach and onError: breach are explicit opt-ins', () => {
    const q = load(
      `apiVersion: ctpilot/v1\nkind: RetrainingPolicy\nmetadata: { name: q }\nmodel: { name: m }\nmetrics:\n  traffic: { prometheus: { query: x }, objective: { min: 1 }, onNoData: breach, onError: breach }\ntriggers:\n  t: { when: traffic.breached, action: alert }\n`,
    );
    const e = run(q, [{ traffic: 'nodata' }, { traffic: 'error' }]);
    assert.deepEqual(acted(e), [['alert:t'], []]);
    assert.equal(e[0]?.decision.metrics[0]?.reason, 'no data: empty result (onNoData: breach)');
    // Still breaching on the second (error → breach): already firing, no new alert.
    assert.equal(e[1]?.decision.triggers[0]?.condition, 'true');
  });

  it('change objectives compare with the measured baseline, absolute and relative', () => {
    const q = load(
      `apiVersion: ctpilot/v1\nkind: RetrainingPolicy\nmetadata: { name: q }\nmodel: { name: m }\nmetrics:\n  ctr:\n    prometheus: { query: x }\n    objective: { change: { baseline: { offset: 7d }, maxDrop: 0.01, maxRelativeDrop: 0.1 } }\ntriggers:\n  t: { when: ctr.breached, action: alert }\n`,
    );
    const one = (value: number, baseline?: number) =>
      evaluate(
        q,
        undefined,
        measure(q, { ctr: baseline === undefined ? value : { value, baseline } }, iso(T0)),
        T0,
      ).decision.metrics[0];
    assert.equal(one(0.05, 0.055)?.phase, 'ok');
    assert.equal(one(0.03, 0.05)?.phase, 'breach');
    assert.equal(one(0.03, 0.05)?.reason, '0.03 is worse than baseline 0.05 by 0.02 (> 0.01)');
    assert.equal(one(0.0089, 0.01)?.reason, '0.0089 is worse than baseline 0.01 by 11% (> 10%)');
    assert.equal(one(0.05)?.phase, 'inconclusive');
    assert.equal(one(0.05)?.reason, 'no baseline was measured');
  });

  it('learned objectives: mean ± kσ over reference values, non-finite points dropped', () => {
    const q = load(
      `apiVersion: ctpilot/v1\nkind: RetrainingPolicy\nmetadata: { name: q }\nmodel: { name: m }\nmetrics:\n  ctr:\n    prometheus: { query: x }\n    objective: { learned: { k: 2, side: lower, reference: { lookback: 14d }, minPoints: 4 } }\ntriggers:\n  t: { when: ctr.value < ctr.lower, action: alert }\n`,
    );
    // mean 10, sample σ = sqrt(10/3) ≈ 1.826, lower = 10 − 2σ ≈ 6.34852
    const reference = [8, 9, 11, 12, 'NaN' as unknown as number];
    const one = (value: number, ref = reference) =>
      evaluate(q, undefined, measure(q, { ctr: { value, reference: ref } }, iso(T0)), T0).decision;
    assert.equal(one(7).metrics[0]?.phase, 'ok');
    assert.equal(one(6).metrics[0]?.phase, 'breach');
    assert.match(
      one(6).metrics[0]?.objective ?? '',
      /≥ 6\.34852 \(mean 10 ± 2σ, σ = 1\.82574, 4 reference points\)/,
    );
    assert.equal(one(6).triggers[0]?.condition, 'true');
    assert.equal(one(6, [1, 2, 3]).metrics[0]?.reason, 'only 3 usable reference points (minPoints 4)');
    assert.equal(one(6, [1]).metrics[0]?.reason, 'only 1 usable reference point (minPoints 4)');
    // side: lower checks the lower threshold only, and reports only it (the backtest chart draws only it).
    assert.equal(one(6).metrics[0]?.upper, undefined);
    assert.ok(Math.abs((one(6).metrics[0]?.lower ?? 0) - 6.34852) < 1e-5);
  });

  it('a learned reference still warming up is measured: it does not count towards inconclusiveLimit', () => {
    const q = load(
      `apiVersion: ctpilot/v1\nkind: RetrainingPolicy\nmetadata: { name: q }\nmodel: { name: m }\nevaluate: { inconclusiveLimit: 2 }\nmetrics:\n  ctr:\n    prometheus: { query: x }\n    objective: { learned: { k: 2, side: lower, reference: { lookback: 14d }, minPoints: 4 } }\ntriggers:\n  t: { when: ctr.value < ctr.lower, action: alert }\n`,
    );
    let state: Parameters<typeof evaluate>[1];
    const actions: string[][] = [];
    for (let i = 0; i < 4; i++) {
      const at = T0 + i * 60_000;
      // Values measured every time; the reference has too few points for the first three.
      const r = evaluate(
        q,
        state,
        measure(q, { ctr: { value: 10, reference: i < 3 ? [9, 11] : [8, 9, 11, 12] } }, iso(at)),
        at,
      );
      assert.equal(r.decision.metrics[0]?.phase, i < 3 ? 'inconclusive' : 'ok');
      actions.push(r.decision.actions.map((a) => `${a.kind}:${a.origin}`));
      state = r.nextState;
    }
    assert.deepEqual(actions, [[], [], [], []], 'no alert about an unusable metric');
    const down = evaluate(q, state, measure(q, { ctr: 'nodata' }, iso(T0 + 5 * 60_000)), T0 + 5 * 60_000);
    const again = evaluate(
      q,
      down.nextState,
      measure(q, { ctr: 'nodata' }, iso(T0 + 6 * 60_000)),
      T0 + 6 * 60_000,
    );
    assert.deepEqual(
      again.decision.actions.map((a) => `${a.kind}:${a.origin}`),
      ['alert:metric:ctr'],
    );
  });

  it('drift: p-values breach when ≤ threshold, distances when ≥; the test used is reported', () => {
    const q = load(
      `apiVersion: ctpilot/v1\nkind: RetrainingPolicy\nmetadata: { name: q }\nmodel: { name: m }\nmetrics:\n  d:\n    drift: { feature: age, reference: { uri: 's3://r' }, current: { uri: 's3://c' } }\ntriggers:\n  t: { when: d.drifted, action: alert }\n`,
    );
    const one = (o: Parameters<typeof measure>[1]['d']) =>
      evaluate(q, undefined, measure(q, { d: o }, iso(T0)), T0).decision.metrics[0];
    assert.equal(one({ value: 0.01, test: 'ks' })?.phase, 'breach');
    assert.equal(one({ value: 0.05, test: 'ks' })?.phase, 'breach');
    assert.equal(one({ value: 0.2, test: 'ks' })?.phase, 'ok');
    assert.equal(one({ value: 0.15, test: 'psi' })?.phase, 'breach');
    assert.equal(one({ value: 0.05, test: 'psi' })?.phase, 'ok');
    assert.equal(one(0.01)?.reason, 'the drift provider did not say which test it ran (test: auto)');
    assert.equal(one({ value: 0.01, test: 'kss' })?.phase, 'error');
  });
});

describe('persistence', () => {
  it('for: 3 fires on the third consecutive breach, not before; a good evaluation resets', () => {
    const p = policy('  t: { when: acc.breached, for: 3, action: retrain }');
    assert.deepEqual(acted(run(p, [bad, bad, good, bad, bad, bad])), [[], [], [], [], [], ['retrain:t']]);
  });

  it('undecided evaluations are skipped by default (hold) and restart the count with reset', () => {
    const hold = policy('  t: { when: acc.breached, for: 3, action: retrain }');
    const reset = policy('  t: { when: acc.breached, for: 3, action: retrain, onInconclusive: reset }');
    const steps = [bad, bad, { acc: 'nodata' as const, labels: 1 }, bad, bad];
    assert.deepEqual(acted(run(hold, steps)), [[], [], [], ['retrain:t'], []]);
    assert.deepEqual(acted(run(reset, steps)), [[], [], [], [], []]);
  });

  it('atLeast M of N counts decided evaluations in a sliding window', () => {
    const p = policy('  t: { when: acc.breached, for: { atLeast: 3, of: 5 }, action: retrain }');
    const e = run(p, [bad, good, bad, good, bad]);
    assert.deepEqual(acted(e), [[], [], [], [], ['retrain:t']]);
    assert.equal(
      e[3]?.decision.triggers[0]?.persistence,
      'held on 2 of the last 4 decided evaluations (3 of 5 needed)',
    );
    // bad good good good bad good bad: never three in any five.
    assert.deepEqual(acted(run(p, [bad, good, good, good, bad, good, bad])).flat(), []);
  });

  it('a retrain needs fresh evidence after it fires', () => {
    const p = policy('  t: { when: acc.breached, for: 2, action: retrain }');
    let state = run(p, [bad, bad])[1]?.nextState;
    assert.ok(state);
    state = retrainFinished(state, { at: iso(T0), outcome: 'rejected' });
    const e = run(p, [bad, bad], { state, start: T0 + minutes(10) });
    assert.deepEqual(acted(e), [[], ['retrain:t']]);
  });
});

describe('requirements and guards', () => {
  it('require holds the action back with the value that failed, and keeps persistence', () => {
    const p = policy('  t: { when: acc.breached, for: 2, require: labels.value >= 500, action: retrain }');
    const e = run(p, [
      { acc: 0.8, labels: 100 },
      { acc: 0.8, labels: 100 },
      { acc: 0.8, labels: 600 },
    ]);
    assert.deepEqual(acted(e), [[], [], ['retrain:t']]);
    const held = e[1]?.decision.actions[0];
    assert.equal(held?.status, 'held');
    assert.deepEqual(held?.heldBy, [
      { guard: 'require', detail: 'requirement `labels.value >= 500` is false (labels = 100)' },
    ]);
    assert.equal(e[1]?.decision.outcome, 'held');
  });

  it('a requirement on missing data is undecidable and holds the action', () => {
    const p = policy('  t: { when: acc.breached, require: labels.value >= 500, action: retrain }');
    const [e] = run(p, [{ acc: 0.8, labels: 'nodata' }]);
    assert.equal(e?.decision.actions[0]?.status, 'held');
    assert.equal(
      e?.decision.actions[0]?.heldBy[0]?.detail,
      'requirement `labels.value >= 500` cannot be decided: labels is inconclusive (no data: empty result)',
    );
  });

  it('cooldown holds a second retrain until it expires, and says until when', () => {
    const p = policy('  t: { when: acc.breached, action: retrain }', 'guards: { cooldown: 1h }');
    const e1 = run(p, [bad]);
    const s = retrainFinished(e1[0]?.nextState ?? initialState(), { at: iso(T0), outcome: 'failed' });
    const e2 = run(p, [bad, bad], { state: s, start: T0 + minutes(30), every: minutes(30) });
    assert.deepEqual(acted(e2), [[], ['retrain:t']]);
    assert.deepEqual(e2[0]?.decision.actions[0]?.heldBy, [
      {
        guard: 'cooldown',
        detail: `cooldown 1h: last retrain at ${iso(T0)}, next allowed at ${iso(T0 + hours(1))}`,
        until: iso(T0 + hours(1)),
      },
    ]);
  });

  it('without a cooldown, retrains that keep failing back off: 10m, 20m, 40m, … at most 24h; a success resets it', () => {
    const p = policy('  t: { when: acc.breached, action: retrain }');
    let state = initialState();
    const acts: string[] = [];
    // One evaluation a minute for five hours, every retrain failing at once.
    for (let i = 0; i < 300; i++) {
      const at = T0 + minutes(i);
      const { decision, nextState } = evaluate(p, state, measure(p, bad, iso(at)), at);
      const retrain = decision.actions.find((a) => a.kind === 'retrain');
      if (retrain?.status === 'act') acts.push(`${i}`);
      if (i === 1)
        assert.match(retrain?.heldBy[0]?.detail ?? '', /1 retrain\(s\) in a row failed .*backing off 10m/);
      state =
        retrain?.status === 'act'
          ? retrainFinished(nextState, { at: iso(at), outcome: 'failed' })
          : nextState;
    }
    // 0, +10, +20, +40, +80, +160 minutes.
    assert.deepEqual(acts, ['0', '10', '30', '70', '150']);
    assert.equal(state.failures?.count, 5);
    const reset = retrainFinished(state, { at: iso(T0 + minutes(300)), outcome: 'rejected' });
    assert.equal(reset.failures, null);
    const capped = policy(
      '  t: { when: acc.breached, action: retrain }',
      'guards: { failureBackoff: { initial: 1h, max: 2h } }',
    );
    const many = { ...initialState(), failures: { count: 9, lastAt: iso(T0) } };
    const held = evaluate(capped, many, measure(capped, bad, iso(T0 + minutes(119))), T0 + minutes(119));
    assert.equal(held.decision.actions[0]?.heldBy[0]?.guard, 'failureBackoff');
    const free = evaluate(capped, many, measure(capped, bad, iso(T0 + minutes(121))), T0 + minutes(121));
    assert.equal(free.decision.actions[0]?.status, 'act');
  });

  it('the budget counts retrains in a rolling period', () => {
    const p = policy(
      '  t: { when: acc.breached, action: retrain }',
      'guards: { budget: { retrains: 2, per: 1d } }',
    );
    let state = initialState();
    const outcomes: string[] = [];
    for (let i = 0; i < 4; i++) {
      const at = T0 + hours(6 * i);
      const { decision, nextState } = evaluate(p, state, measure(p, bad, iso(at)), at);
      outcomes.push(
        decision.actions.map((a) => `${a.status}${a.heldBy.map((h) => `:${h.guard}`).join('')}`).join(),
      );
      state = retrainFinished(nextState, { at: iso(at), outcome: 'failed' });
    }
    // 00:00 act, 06:00 act, 12:00 and 18:00 held (2 in the last day); the next slot is T0 + 1d.
    assert.deepEqual(outcomes, ['act', 'act', 'held:budget', 'held:budget']);
    const { decision } = evaluate(p, state, measure(p, bad, iso(T0 + days(1))), T0 + days(1));
    assert.equal(decision.actions[0]?.status, 'act');
  });

  it('only one retrain in flight; a second trigger in the same evaluation is held', () => {
    const p = policy(
      '  a: { when: acc.breached, action: retrain }\n  b: { when: acc.value < 0.85, action: retrain }',
    );
    const e = run(p, [bad, bad]);
    assert.deepEqual(
      e[0]?.decision.actions.map((a) => [a.origin, a.status, a.heldBy.map((h) => h.guard)]),
      [
        ['a', 'act', []],
        ['b', 'held', ['sameEvaluation', 'inFlight']],
      ],
    );
    assert.deepEqual(
      e[1]?.decision.actions.map((a) => a.heldBy.map((h) => h.guard)),
      [['inFlight'], ['inFlight']],
    );
  });

  it('maintenance windows hold retrains (weekly, in a time zone), not alerts', () => {
    const p = policy(
      '  r: { when: acc.breached, action: retrain }\n  a: { when: acc.breached, action: alert }',
      "guards:\n  maintenance:\n    - { weekly: { days: [mon], start: '13:00', end: '15:00', timezone: Europe/Paris }, reason: release }",
    );
    // T0 is Monday 2025-06-02 12:00 UTC = 14:00 in Paris (CEST).
    const [e] = run(p, [bad]);
    assert.deepEqual(
      e?.decision.actions.map((a) => [a.kind, a.status]),
      [
        ['retrain', 'held'],
        ['alert', 'act'],
      ],
    );
    assert.equal(
      e?.decision.actions[0]?.heldBy[0]?.detail,
      'maintenance window weekly mon 13:00–15:00 Europe/Paris (release) until 2025-06-02T13:00:00.000Z',
    );
    const [later] = run(p, [bad], { start: T0 + hours(1) });
    assert.equal(later?.decision.actions[0]?.status, 'act');
  });

  it('dry run decides and explains but never acts or spends the budget', () => {
    const p = policy(
      '  t: { when: acc.breached, action: retrain, dryRun: true }',
      'guards: { cooldown: 1d }',
    );
    const e = run(p, [bad, bad]);
    assert.deepEqual(
      e.map((x) => x.decision.actions.map((a) => a.status)),
      [['dryRun'], ['dryRun']],
    );
    assert.equal(e[1]?.nextState.lastRetrainAt, null);
    assert.equal(e[1]?.nextState.inFlight, null);
    assert.match(
      e[0]?.decision.actions[0]?.explanation ?? '',
      /Dry run: nothing was done; without dry run this would have acted\.$/,
    );
    assert.equal(e[0]?.decision.outcome, 'dryRun');
  });
});

describe('alerts', () => {
  it('fire once per episode, repeat when asked, and resolve on a decided false', () => {
    const p = policy('  t: { when: acc.breached, action: alert, repeatEvery: 12m }');
    const e = run(p, [bad, bad, bad, bad, { acc: 'nodata', labels: 1 }, good, good]);
    assert.deepEqual(
      e.map((x) => x.decision.actions.map((a) => `${a.kind}:${a.status}`)),
      [['alert:act'], [], [], ['alert:act'], [], ['resolve:act'], []],
    );
  });

  it('a metric without usable data for inconclusiveLimit evaluations raises one alert, and a resolve when it returns', () => {
    const p = policy('  t: { when: acc.breached, action: alert }');
    const e = run(p, [
      { acc: 'error', labels: 1 },
      { acc: 'error', labels: 1 },
      { acc: 'error', labels: 1 },
      { acc: 'error', labels: 1 },
      good,
    ]);
    assert.deepEqual(
      e.map((x) => x.decision.actions.map((a) => `${a.kind}:${a.origin}`)),
      [[], [], ['alert:metric:acc'], [], ['resolve:metric:acc']],
    );
    assert.match(
      e[2]?.decision.actions[0]?.explanation ?? '',
      /no usable measurement for 3 consecutive evaluations .*acc: error — measurement failed: connection refused/,
    );
  });
});

describe('dry run of a whole policy', () => {
  it('announces an unusable metric once, as a dry-run alert, and its recovery once', () => {
    const p = policy('  t: { when: acc.breached, action: retrain }', 'dryRun: true');
    const down = { acc: 'error' as const, labels: 1 };
    const e = run(p, [down, down, down, down, down, good, good]);
    assert.deepEqual(
      e.map((x) => x.decision.actions.map((a) => `${a.kind}:${a.status}`)),
      [[], [], ['alert:dryRun'], [], [], ['resolve:dryRun'], []],
    );
  });
});

describe('rollback during the bake period', () => {
  const p = policy(
    '  t: { when: acc.breached, for: 3, action: retrain }',
    'promotion:\n  bake: 2h\n  rollback: { when: acc.breached, for: 2 }',
  );

  it('watches the rollback condition only while baking, and rolls back to the recorded previous version', () => {
    let state = promoted(p.spec, initialState(), { at: iso(T0), version: '8', previousVersion: '7' });
    const e = run(p, [bad, bad], { state });
    assert.deepEqual(acted(e), [[], ['rollback:promotion.rollback']]);
    const action = e[1]?.decision.actions.find((a) => a.kind === 'rollback');
    assert.match(
      action?.explanation ?? '',
      /^Roll back unit-model from version 8 to 7 — the promotion’s rollback condition \(bake period of version 8 until 2025-06-02T14:00:00\.000Z\)/,
    );
    state = e[1]?.nextState ?? state;
    assert.deepEqual(state.rollbackPending, {
      origin: 'promotion.rollback',
      decidedAt: iso(T0 + minutes(5)),
    });
    // While the rollback is under way another breach does not request a second one.
    const [again] = run(p, [bad], { state, start: T0 + minutes(10) });
    assert.deepEqual(
      again?.decision.actions.filter((a) => a.kind === 'rollback').map((a) => a.status),
      [],
    );
    state = rolledBack(state, { at: iso(T0 + minutes(12)), toVersion: '7' });
    assert.equal(state.champion?.bakeUntil, null);
  });

  it('a breach that rolls back holds the retrain of the same evaluation, and its persistence starts over', () => {
    // Retrain for: 3 and rollback for: 2, both met on the third bad evaluation of the bake period.
    const state = promoted(p.spec, initialState(), { at: iso(T0), version: '8', previousVersion: '7' });
    const fast = policy(
      '  t: { when: acc.breached, for: 2, action: retrain }',
      'promotion:\n  bake: 2h\n  rollback: { when: acc.breached, for: 2 }',
    );
    const e = run(fast, [bad, bad], { state });
    assert.deepEqual(acted(e), [[], ['rollback:promotion.rollback']]);
    const retrain = e[1]?.decision.actions.find((a) => a.kind === 'retrain');
    assert.equal(retrain?.status, 'held');
    assert.deepEqual(
      retrain?.heldBy.map((h) => h.guard),
      ['rollingBack'],
    );
    assert.match(retrain?.heldBy[0]?.detail ?? '', /rolls version 8 back to 7.*restored champion/);
    assert.equal(e[1]?.decision.outcome, 'rollback');
    // The rollback is carried out; the restored champion is measured afresh: two breaches to retrain again.
    const after = rolledBack(e[1]!.nextState, { at: iso(T0 + minutes(6)), toVersion: '7' }, fast.spec);
    const next = run(fast, [bad, bad], { state: after, start: T0 + minutes(10) });
    assert.deepEqual(acted(next), [[], ['retrain:t']]);
  });

  it('a manual rollback also restarts the retrain triggers’ persistence', () => {
    const e = run(p, [bad, bad]);
    assert.equal(e[1]?.nextState.triggers.t?.streak, 2);
    const after = rolledBack(e[1]!.nextState, { at: iso(T0 + minutes(6)), toVersion: '7' }, p.spec);
    assert.equal(after.triggers.t?.streak, 0);
  });

  it('after the bake period the rollback condition is not watched', () => {
    const state = promoted(p.spec, initialState(), {
      at: iso(T0 - hours(3)),
      version: '8',
      previousVersion: '7',
    });
    assert.deepEqual(acted(run(p, [bad, bad], { state })).flat(), []);
  });
});

describe('state', () => {
  it('is small plain JSON that round-trips through parseState', () => {
    const p = policy('  t: { when: acc.breached, for: 3, action: retrain }');
    const e = run(p, [bad, bad, bad, good]);
    const s = e[3]?.nextState;
    const json = JSON.parse(JSON.stringify(s));
    assert.deepEqual(parseState(json), s);
    assert.ok(JSON.stringify(s).length < 1000);
    // Continuing from the parsed copy decides exactly as continuing from the original.
    const a = run(p, [bad, bad], { state: s, start: T0 + hours(1) });
    const b = run(p, [bad, bad], { state: parseState(json), start: T0 + hours(1) });
    assert.deepEqual(
      a.map((x) => x.decision),
      b.map((x) => x.decision),
    );
  });

  it('refuses unknown versions and malformed state', () => {
    assert.throws(() => parseState({ ...initialState(), version: 2 }), StateError);
    assert.throws(
      () => parseState({ ...initialState(), triggers: { t: { fp: 'x', streak: -1 } } }),
      /triggers\.t/,
    );
    assert.throws(() => parseState('{}'), /must be an object/);
  });

  it('a changed trigger starts over; an unchanged one keeps its count across policy versions', () => {
    const v1 = policy(
      '  t: { when: acc.breached, for: 3, action: retrain }\n  u: { when: acc.breached, for: 3, action: alert }',
    );
    const v2 = policy(
      '  t: { when: acc.breached, for: 3, action: retrain, severity: warning }\n  u: { when: acc.value < 0.85, for: 3, action: alert }',
    );
    const s = run(v1, [bad, bad])[1]?.nextState;
    const [e] = run(v2, [bad], { state: s, start: T0 + minutes(10) });
    assert.deepEqual(acted([e!]), [['retrain:t']]);
    assert.equal(e?.nextState.triggers.u?.streak, 1);
    assert.equal(e?.nextState.policyHash, v2.hash);
  });
});

describe('decisions explain themselves', () => {
  it('names the metric, value, threshold, query, persistence, requirement and guards', () => {
    const p = policy(
      '  slo: { when: acc.breached, for: 2, require: labels.value >= 500, action: retrain }',
      'guards: { cooldown: 1d, budget: { retrains: 2, per: 7d } }',
    );
    const e = run(p, [bad, bad]);
    const a = e[1]?.decision.actions[0];
    assert.equal(
      a?.explanation,
      'Retrain unit-model — trigger `slo`: `acc.breached` held on 2 consecutive evaluations (2 needed). ' +
        'Evidence: acc: breach — 0.8 is below min 0.9 (query: avg(acc{model="{{ model.name }}"})). ' +
        'Requirements met: `labels.value >= 500` holds (labels = 1000). ' +
        'Guards clear: cooldown 1d (no earlier retrain); budget 0 of 2 used in the last 7d.',
    );
    assert.deepEqual(a?.evidence, ['acc']);
    assert.equal(e[1]?.decision.summary, 'retrain: retrain by slo');
    assert.equal(e[1]?.decision.evaluation, 2);
    assert.equal(e[1]?.decision.policyHash, p.hash);
  });

  it('an undetermined trigger says which metric is missing', () => {
    const p = policy('  t: { when: acc.breached, action: retrain }');
    const [e] = run(p, [{ acc: 'nodata', labels: 1 }]);
    assert.equal(e?.decision.outcome, 'inconclusive');
    assert.equal(e?.decision.triggers[0]?.why, 'acc is inconclusive (no data: empty result)');
  });

  it('measurements for unknown metrics and duplicates become warnings', () => {
    const p = policy('  t: { when: acc.breached, action: alert }');
    const ms = [
      ...measure(p, good, iso(T0)),
      ...measure(p, { acc: 0.1 }, iso(T0)),
      { ...measure(p, { acc: 1 }, iso(T0))[0]!, metric: 'ghost' },
    ];
    const { decision } = evaluate(p, undefined, ms, T0);
    assert.equal(decision.metrics[0]?.value, 0.95);
    assert.deepEqual(decision.warnings, [
      'ignored a second measurement for `acc`; the first one counts',
      'ignored a measurement for `ghost`, which is not a metric of this policy',
    ]);
  });
});
