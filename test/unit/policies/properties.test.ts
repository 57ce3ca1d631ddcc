// Property tests of the evaluator's promises (fast-check):
// - no-data, NaN and errors never make a retrain happen unless the policy says so;
// - for: N needs exactly N decided evaluations; M of N counts a sliding window;
// - cooldown and budget are never exceeded; dry run never acts;
// - state survives a JSON round trip (continue-as-new) without changing any decision.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { evaluate } from '../../../policies/evaluate.ts';
import { retrainFinished } from '../../../policies/lifecycle.ts';
import type { LoadedPolicy } from '../../../policies/loader.ts';
import { initialState, type PolicyState } from '../../../policies/state.ts';
import { iso, load, measure, minutes, type Short, T0 } from './helpers.ts';

const METRICS = ['a', 'b', 'c'] as const;
type M = (typeof METRICS)[number];

/** Conditions from a grammar that never mentions missing data explicitly. */
const atom = fc.oneof(
  fc.constantFrom(...METRICS).map((m) => `${m}.breached`),
  fc.constantFrom(...METRICS).map((m) => `${m}.ok`),
  fc
    .tuple(
      fc.constantFrom(...METRICS),
      fc.constantFrom('<', '<=', '>', '>='),
      fc.constantFrom('0.3', '0.5', '0.7'),
    )
    .map(([m, op, c]) => `${m}.value ${op} ${c}`),
);
const condition: fc.Arbitrary<string> = fc.letrec<{ expr: string }>((tie) => ({
  expr: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    atom,
    tie('expr').map((e) => `!(${e})`),
    fc.tuple(tie('expr'), tie('expr')).map(([x, y]) => `(${x}) && (${y})`),
    fc.tuple(tie('expr'), tie('expr')).map(([x, y]) => `(${x}) || (${y})`),
  ),
})).expr;

const persistence = fc.oneof(
  fc.integer({ min: 1, max: 4 }).map((n) => String(n)),
  fc
    .tuple(fc.integer({ min: 1, max: 4 }), fc.integer({ min: 0, max: 3 }))
    .map(([m, extra]) => `{ atLeast: ${m}, of: ${m + extra} }`),
);

const cache = new Map<string, LoadedPolicy>();
function policyFor(
  when: string,
  forText: string,
  opts: { onInconclusive?: string; dryRun?: boolean; guards?: string; onNoData?: string } = {},
): LoadedPolicy {
  const text = `apiVersion: ctpilot/v1
kind: RetrainingPolicy
metadata: { name: prop }
model: { name: prop-model }
evaluate: { onNoData: ${opts.onNoData ?? 'inconclusive'} }
metrics:
${METRICS.map((m) => `  ${m}: { prometheus: { query: 'x_${m}' }, objective: { min: 0.5 } }`).join('\n')}
triggers:
  t:
    when: ${JSON.stringify(when)}
    for: ${forText}
    action: retrain
    onInconclusive: ${opts.onInconclusive ?? 'hold'}
    dryRun: ${opts.dryRun ?? false}
training: { experiment: e, launcher: { command: { run: [train] } } }
${opts.guards ?? ''}
`;
  let p = cache.get(text);
  if (!p) {
    p = load(text);
    cache.set(text, p);
  }
  return p;
}

const unusable = fc.constantFrom<Short>('nodata', 'nan', 'inf', 'error');
const usable = fc.constantFrom<Short>(0.2, 0.4, 0.5, 0.6, 0.8);
const anyOutcome = fc.oneof(usable, unusable);

/** Run a sequence; after each retrain the controller reports it finished, so only the evaluator's own rules hold actions. */
function drive(p: LoadedPolicy, steps: readonly Record<M, Short>[], every = minutes(5)) {
  let state: PolicyState = initialState();
  const out = [];
  for (let i = 0; i < steps.length; i++) {
    const at = T0 + i * every;
    const e = evaluate(p, state, measure(p, steps[i] as Record<M, Short>, iso(at)), at);
    out.push(e);
    state = e.nextState.inFlight
      ? retrainFinished(e.nextState, { at: iso(at), outcome: 'rejected' })
      : e.nextState;
  }
  return out;
}

describe('properties: missing data never retrains', () => {
  it('when every measurement is unusable, no retrain is ever decided (acted, held or dry-run)', () => {
    fc.assert(
      fc.property(
        condition,
        persistence,
        fc.constantFrom('hold', 'reset'),
        fc.array(fc.record({ a: unusable, b: unusable, c: unusable }), { minLength: 1, maxLength: 12 }),
        (when, forText, onInconclusive, steps) => {
          const p = policyFor(when, forText, { onInconclusive });
          for (const e of drive(p, steps)) {
            assert.deepEqual(
              e.decision.actions.filter((a) => a.kind === 'retrain'),
              [],
            );
            assert.notEqual(e.decision.triggers[0]?.condition, 'true');
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it('a condition decided true with some metrics unusable is true for every value those metrics could have had', () => {
    let exercised = 0;
    fc.assert(
      fc.property(condition, fc.record({ a: anyOutcome, b: anyOutcome, c: anyOutcome }), (when, step) => {
        const p = policyFor(when, '1');
        const [e] = drive(p, [step]);
        if (e?.decision.triggers[0]?.condition !== 'true') return;
        const missing = METRICS.filter((m) => typeof step[m] !== 'number');
        if (missing.length > 0) exercised++;
        // Fill the unusable metrics with every combination of a breaching and a healthy value.
        for (let mask = 0; mask < 1 << missing.length; mask++) {
          const filled = { ...step };
          missing.forEach((m, i) => {
            filled[m] = mask & (1 << i) ? 0.2 : 0.8;
          });
          const [f] = drive(p, [filled]);
          assert.equal(f?.decision.triggers[0]?.condition, 'true', `${when} with ${JSON.stringify(filled)}`);
        }
      }),
      { numRuns: 500 },
    );
    // Not vacuous: some generated conditions were decided true despite missing data.
    assert.ok(exercised > 10, `only ${exercised} cases exercised the property`);
  });

  it('only an explicit opt-in (onNoData: breach) lets missing data retrain', () => {
    const p = policyFor('a.breached', '1', { onNoData: 'breach' });
    const [e] = drive(p, [{ a: 'nodata', b: 0.8, c: 0.8 }]);
    assert.equal(e?.decision.actions[0]?.kind, 'retrain');
    assert.equal(e?.decision.actions[0]?.status, 'act');
  });
});

/** Reference model of persistence over decided-true (T), decided-false (F) and undecided (U) evaluations. */
function expectedFires(
  seq: readonly ('T' | 'F' | 'U')[],
  p: { n: number } | { atLeast: number; of: number },
  reset: boolean,
): number[] {
  const fires: number[] = [];
  let streak = 0;
  let window: boolean[] = [];
  seq.forEach((s, i) => {
    if (s === 'U') {
      if (reset) {
        streak = 0;
        window = [];
      }
      return;
    }
    streak = s === 'T' ? streak + 1 : 0;
    if ('of' in p) window = [...window, s === 'T'].slice(-p.of);
    const met = 'n' in p ? streak >= p.n : window.filter(Boolean).length >= p.atLeast;
    if (met) {
      fires.push(i);
      streak = 0;
      window = [];
    }
  });
  return fires;
}

const toStep = (s: 'T' | 'F' | 'U'): Record<M, Short> => ({
  a: s === 'T' ? 0.2 : s === 'F' ? 0.8 : 'nodata',
  b: 0.8,
  c: 0.8,
});
const seqArb = fc.array(fc.constantFrom<'T' | 'F' | 'U'>('T', 'F', 'U'), { minLength: 1, maxLength: 25 });

describe('properties: persistence', () => {
  it('for: N needs exactly N consecutive decided breaches (N − 1 never fires)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 6 }), (n) => {
        const p = policyFor('a.breached', String(n));
        const e = drive(
          p,
          Array.from({ length: n }, () => toStep('T')),
        );
        const fired = e.map((x) =>
          x.decision.actions.some((a) => a.kind === 'retrain' && a.status === 'act'),
        );
        assert.deepEqual(fired, [...Array.from({ length: n - 1 }, () => false), true]);
      }),
    );
  });

  it('for: N matches the reference model on any sequence of breaches, recoveries and missing data', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 5 }), fc.boolean(), seqArb, (n, reset, seq) => {
        const p = policyFor('a.breached', String(n), { onInconclusive: reset ? 'reset' : 'hold' });
        const fires = drive(p, seq.map(toStep))
          .map((e, i) =>
            e.decision.actions.some((a) => a.kind === 'retrain' && a.status === 'act') ? i : -1,
          )
          .filter((i) => i >= 0);
        assert.deepEqual(fires, expectedFires(seq, { n }, reset));
      }),
      { numRuns: 300 },
    );
  });

  it('atLeast M of N matches the reference model', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 4 }),
        fc.integer({ min: 0, max: 3 }),
        fc.boolean(),
        seqArb,
        (m, extra, reset, seq) => {
          const p = policyFor('a.breached', `{ atLeast: ${m}, of: ${m + extra} }`, {
            onInconclusive: reset ? 'reset' : 'hold',
          });
          const fires = drive(p, seq.map(toStep))
            .map((e, i) =>
              e.decision.actions.some((a) => a.kind === 'retrain' && a.status === 'act') ? i : -1,
            )
            .filter((i) => i >= 0);
          assert.deepEqual(fires, expectedFires(seq, { atLeast: m, of: m + extra }, reset));
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('properties: guards', () => {
  const gaps = fc.array(fc.integer({ min: 1, max: 180 }), { minLength: 1, maxLength: 40 });

  it('two retrains are never closer than the cooldown', () => {
    fc.assert(
      fc.property(gaps, fc.integer({ min: 1, max: 6 }), (gapMinutes, cooldownHours) => {
        const p = policyFor('a.breached', '1', { guards: `guards: { cooldown: ${cooldownHours}h }` });
        let state = initialState();
        let t = T0;
        const acts: number[] = [];
        for (const g of gapMinutes) {
          t += minutes(g);
          const e = evaluate(p, state, measure(p, toStep('T'), iso(t)), t);
          if (e.decision.actions.some((a) => a.kind === 'retrain' && a.status === 'act')) acts.push(t);
          state = retrainFinished(e.nextState, { at: iso(t), outcome: 'rejected' });
        }
        for (let i = 1; i < acts.length; i++)
          assert.ok((acts[i] as number) - (acts[i - 1] as number) >= cooldownHours * 3_600_000);
      }),
      { numRuns: 200 },
    );
  });

  it('no rolling period ever holds more retrains than the budget, and a breach with budget left acts', () => {
    fc.assert(
      fc.property(
        gaps,
        fc.integer({ min: 1, max: 3 }),
        fc.integer({ min: 1, max: 8 }),
        (gapMinutes, retrains, perHours) => {
          const per = perHours * 3_600_000;
          const p = policyFor('a.breached', '1', {
            guards: `guards: { budget: { retrains: ${retrains}, per: ${perHours}h } }`,
          });
          let state = initialState();
          let t = T0;
          const acts: number[] = [];
          for (const g of gapMinutes) {
            t += minutes(g);
            const e = evaluate(p, state, measure(p, toStep('T'), iso(t)), t);
            const acted = e.decision.actions.some((a) => a.kind === 'retrain' && a.status === 'act');
            const inWindow = acts.filter((x) => t - x < per).length;
            // Exactly: act iff fewer than `retrains` in the trailing period.
            assert.equal(acted, inWindow < retrains);
            if (acted) acts.push(t);
            state = retrainFinished(e.nextState, { at: iso(t), outcome: 'rejected' });
          }
        },
      ),
      { numRuns: 200 },
    );
  });

  it('dry run never acts, whatever happens', () => {
    fc.assert(
      fc.property(
        condition,
        persistence,
        fc.array(fc.record({ a: anyOutcome, b: anyOutcome, c: anyOutcome }), { minLength: 1, maxLength: 10 }),
        (when, forText, steps) => {
          const p = policyFor(when, forText, { dryRun: true });
          for (const e of drive(p, steps)) {
            assert.ok(
              e.decision.actions.every(
                (a) => a.kind === 'resolve' || a.kind === 'alert' || a.status !== 'act',
              ),
            );
            assert.equal(e.nextState.inFlight, null);
          }
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe('properties: state is plain JSON', () => {
  it('a JSON round trip of the state between evaluations changes no decision', () => {
    fc.assert(
      fc.property(
        condition,
        persistence,
        fc.array(fc.record({ a: anyOutcome, b: anyOutcome, c: anyOutcome }), { minLength: 1, maxLength: 10 }),
        (when, forText, steps) => {
          const p = policyFor(when, forText, {
            guards: 'guards: { cooldown: 10m, budget: { retrains: 2, per: 1h } }',
          });
          let direct: PolicyState = initialState();
          let viaJson: PolicyState = initialState();
          steps.forEach((step, i) => {
            const at = T0 + i * minutes(5);
            const ms = measure(p, step, iso(at));
            const a = evaluate(p, direct, ms, at);
            const b = evaluate(p, JSON.parse(JSON.stringify(viaJson)), ms, at);
            assert.deepEqual(b.decision, a.decision);
            direct = a.nextState;
            viaJson = b.nextState;
          });
        },
      ),
      { numRuns: 200 },
    );
  });
});
