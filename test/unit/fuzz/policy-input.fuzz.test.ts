// Hostile and malformed policies, fuzzed: the loader never throws and
// answers every input with a policy or located issues; a policy that loads
// plans its measurements and decides on any measurements without throwing;
// a placeholder value can never change the structure of a PromQL query; a
// condition that loads is cheap to run, whatever its author wrote.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { type CelInput, celMap } from '@bufbuild/cel';
import { parser } from '@prometheus-io/lezer-promql';
import fc from 'fast-check';
import { parse, stringify } from 'yaml';
import { analyseCondition } from '../../../policies/cel/check.ts';
import { MAX_CONDITION_COST } from '../../../policies/cel/cost.ts';
import { runCondition } from '../../../policies/cel/runtime.ts';
import { evaluate } from '../../../policies/evaluate.ts';
import { type LoadResult, loadPolicy } from '../../../policies/loader.ts';
import type { Measurement, Outcome } from '../../../policies/measurement.ts';
import { renderQuery } from '../../../policies/promql.ts';
import { planMeasurements } from '../../../policies/requests.ts';
import type { Metric } from '../../../policies/schema/metrics.ts';
import { root } from '../policies/helpers.ts';
import { budget } from './budget.ts';
import { hostileJson, hostileString, INJECTIONS } from './hostile.ts';

const EXAMPLES = readdirSync(join(root, 'policies/examples'))
  .filter((f) => f.endsWith('.yaml'))
  .map((f) => readFileSync(join(root, 'policies/examples', f), 'utf8'));

const OUTCOMES = new Set(['rollback', 'retrain', 'alert', 'held', 'dryRun', 'inconclusive', 'ok']);

/** Every answer is a policy or issues a person can act on. */
function assertAnswer(result: LoadResult): void {
  if (result.ok) return;
  assert.ok(result.issues.length > 0, 'a rejection names at least one issue');
  for (const issue of result.issues) {
    assert.equal(typeof issue.code, 'string');
    assert.ok(issue.message.length > 0, 'every issue has a message');
    assert.ok(issue.line >= 1 && issue.column >= 1, `located: ${issue.line}:${issue.column}`);
  }
}

/** Every path to a value in a parsed document. */
function paths(value: unknown, prefix: (string | number)[] = []): (string | number)[][] {
  const out: (string | number)[][] = [prefix];
  if (Array.isArray(value)) {
    for (const [i, v] of value.entries()) out.push(...paths(v, [...prefix, i]));
  } else if (value && typeof value === 'object')
    for (const [k, v] of Object.entries(value)) out.push(...paths(v, [...prefix, k]));
  return out;
}

function setAt(doc: unknown, path: (string | number)[], value: unknown): unknown {
  if (path.length === 0) return value;
  const copy = structuredClone(doc) as Record<string | number, unknown>;
  let at = copy;
  for (const key of path.slice(0, -1)) at = at[key] as Record<string | number, unknown>;
  at[path[path.length - 1]!] = value;
  return copy;
}

const hostileValue: fc.Arbitrary<unknown> = fc.oneof(
  hostileString,
  hostileJson,
  fc.integer({ min: 1, max: 200 }).map((depth) => {
    let v: unknown = 'deep';
    for (let i = 0; i < depth; i++) v = { x: v };
    return v;
  }),
  fc.constantFrom(
    'precision.breached || [1,2,3].all(x, [1,2,3].all(y, true))',
    '5m',
    '0s',
    '-1h',
    '999999999999d',
    's3://{{ model.name }}/x.csv',
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a secret reference, not a JS template
    'http://127.0.0.1:1/${env:SECRET}',
  ),
);

/** Any outcome a provider could return — and a few a buggy one could (a NaN passed off as a value). */
const outcome: fc.Arbitrary<Outcome> = fc.oneof(
  fc.record({
    kind: fc.constant('value' as const),
    value: fc.double(),
    samples: fc.option(fc.oneof(fc.nat(), fc.double()), { nil: undefined }),
  }),
  fc.record({ kind: fc.constant('noData' as const), reason: hostileString }),
  fc.record({ kind: fc.constantFrom('nonFinite' as const), value: fc.constantFrom('NaN', '+Inf', '-Inf') }),
  fc.record({ kind: fc.constant('error' as const), message: hostileString }),
) as fc.Arbitrary<Outcome>;

describe('fuzz: policies', () => {
  it('any bytes or text: the loader answers, never throws', () => {
    fc.assert(
      fc.property(
        fc.oneof(fc.uint8Array({ maxLength: 2048 }), fc.string({ unit: 'binary', maxLength: 2048 })),
        (input) => assertAnswer(loadPolicy(input, 'fuzz.yaml')),
      ),
      budget(300),
    );
  });

  it('an example with characters inserted, deleted or replaced: the loader answers, never throws', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...EXAMPLES),
        fc.array(
          fc.tuple(
            fc.double({ min: 0, max: 1, noNaN: true }),
            fc.nat(8),
            fc.string({ unit: 'binary', maxLength: 8 }),
          ),
          { minLength: 1, maxLength: 6 },
        ),
        (text, edits) => {
          let mutated = text;
          for (const [where, cut, insert] of edits) {
            const at = Math.floor(where * mutated.length);
            mutated = mutated.slice(0, at) + insert + mutated.slice(at + cut);
          }
          assertAnswer(loadPolicy(mutated, 'fuzz.yaml'));
        },
      ),
      budget(300),
    );
  });

  it('an example with any value replaced by a hostile one: loads or is refused; a loaded one plans and decides on any measurements', () => {
    const docs = EXAMPLES.map((t) => parse(t) as unknown);
    fc.assert(
      fc.property(
        fc
          .constantFrom(...docs)
          .chain((doc) => fc.tuple(fc.constant(doc), fc.constantFrom(...paths(doc)), hostileValue)),
        fc.array(outcome, { minLength: 1, maxLength: 12 }),
        ([doc, path, value], outcomes) => {
          // yaml renders a document replaced by `undefined` as no text at all: an empty file.
          const text = stringify(setAt(doc, path, value)) ?? '';
          const result = loadPolicy(text, 'fuzz.yaml');
          assertAnswer(result);
          if (!result.ok) return;
          const now = '2026-01-01T00:00:00.000Z';
          const requests = planMeasurements(result.policy, now, { version: '1' });
          const measurements: Measurement[] = requests.map((r, i) => ({
            metric: r.metric,
            provider: r.provider,
            takenAt: now,
            source: {},
            outcome: outcomes[i % outcomes.length]!,
          }));
          const { decision } = evaluate(result.policy, undefined, measurements, now);
          assert.ok(OUTCOMES.has(decision.outcome), decision.outcome);
        },
      ),
      budget(300),
    );
  });

  it('a measurement that is not a finite, decided value never retrains (NaN passed off as a value included)', () => {
    const policy = loadPolicy(
      stringify({
        apiVersion: 'ctpilot/v1',
        kind: 'RetrainingPolicy',
        metadata: { name: 'fuzz' },
        model: { name: 'fuzz-model' },
        metrics: {
          low: { prometheus: { query: 'a' }, objective: { min: 0.9 } },
          high: { prometheus: { query: 'b' }, objective: { max: 0.1 } },
          range: { prometheus: { query: 'c' }, objective: { min: 0.2, max: 0.8 } },
        },
        triggers: {
          any: { when: 'low.breached || high.breached || range.breached', action: 'retrain' },
          neg: { when: '!low.ok || !high.ok', action: 'retrain' },
        },
        training: { experiment: 'e', launcher: { command: { run: ['true'] } } },
      }),
      'fuzz.yaml',
    );
    assert.ok(policy.ok);
    const unusable = fc.oneof(
      fc.constantFrom<Outcome>(
        { kind: 'value', value: Number.NaN },
        { kind: 'value', value: Number.POSITIVE_INFINITY },
        { kind: 'value', value: Number.NEGATIVE_INFINITY },
      ),
      outcome.filter((o) => o.kind !== 'value'),
    );
    fc.assert(
      fc.property(fc.tuple(unusable, unusable, unusable), (outcomes) => {
        const now = '2026-01-01T00:00:00.000Z';
        const measurements: Measurement[] = ['low', 'high', 'range'].map((metric, i) => ({
          metric,
          provider: 'prometheus',
          takenAt: now,
          source: {},
          outcome: outcomes[i]!,
        }));
        const { decision } = evaluate(policy.policy, undefined, measurements, now);
        assert.ok(
          !decision.actions.some((a) => a.kind === 'retrain'),
          `${JSON.stringify(outcomes)} → ${decision.summary}`,
        );
      }),
      budget(300),
    );
  });
});

/** The tree of a query as node names, with the text of every string literal left out. */
function shape(query: string): string {
  const names: string[] = [];
  parser.parse(query).iterate({
    enter(n) {
      names.push(n.type.isError ? 'ERROR' : n.name);
    },
  });
  return names.join(' ');
}

describe('fuzz: PromQL placeholders', () => {
  const templates = [
    'sum(rate(requests_total{model="{{ model.name }}"}[5m]))',
    "sum(rate(requests_total{model='{{ model.name }}'}[5m]))",
    'sum(rate(requests_total{model=~"{{ model.name }}"}[5m]))',
    'sum(rate(requests_total{model!~"{{ model.name }}.*"}[5m]))',
    'sum(rate(requests_total{model=`{{ model.name }}`}[5m]))',
    'sum(rate({{ model.name }}_requests_total[5m]))',
    'label_replace(vector(1), "m", "{{ model.name }}", "", "")',
  ];

  it('a placeholder value never changes the query it lands in: same tree, or refused', () => {
    fc.assert(
      fc.property(fc.constantFrom(...templates), hostileString, (template, value) => {
        const benign = shape(renderQuery(template, { 'model.name': 'model_a' }));
        let rendered: string;
        try {
          rendered = renderQuery(template, { 'model.name': value });
        } catch (error) {
          assert.equal((error as Error).name, 'TemplateError', String(error));
          return;
        }
        assert.equal(shape(rendered), benign, `${JSON.stringify(value)} → ${rendered}`);
      }),
      budget(1000),
    );
  });

  it('every injection of the corpus stays one label value, or is refused', () => {
    const benign = shape(renderQuery(templates[0]!, { 'model.name': 'm' }));
    const refused: string[] = [];
    for (const value of INJECTIONS) {
      try {
        const rendered = renderQuery(templates[0]!, { 'model.name': value });
        assert.equal(shape(rendered), benign, rendered);
      } catch (error) {
        assert.equal((error as Error).name, 'TemplateError', String(error));
        refused.push(value);
      }
    }
    // Only a value that is not text (a lone UTF-16 surrogate) cannot be placed.
    assert.deepEqual(refused, ['\ud800']);
  });
});

/** Conditions from a grammar that includes the expensive parts: macros, nesting, long literals. */
const literalList = fc
  .array(fc.integer({ min: -5, max: 5 }), { minLength: 0, maxLength: 60 })
  .map((xs) => `[${xs.join(', ')}]`);
const condition: fc.Arbitrary<string> = fc.letrec<{ expr: string }>((tie) => ({
  expr: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.constantFrom('a.breached', 'a.ok', 'a.value > 0.5', 'a.inconclusive', 'has(a.value)', 'true'),
    tie('expr').map((e) => `!(${e})`),
    fc.tuple(tie('expr'), tie('expr')).map(([x, y]) => `(${x}) && (${y})`),
    fc.tuple(tie('expr'), tie('expr')).map(([x, y]) => `(${x}) || (${y})`),
    fc
      .tuple(fc.constantFrom('all', 'exists', 'exists_one'), literalList, tie('expr'))
      .map(([m, list, body]) => `${list}.${m}(x, ${body})`),
    fc
      .tuple(fc.constantFrom('map', 'filter'), literalList, tie('expr'))
      .map(([m, list, body]) => `size(${list}.${m}(x, ${body})) >= 0`),
    fc.tuple(literalList, literalList).map(([p, q]) => `size(${p} + ${q}) > 1 && a.breached`),
    hostileString.map((s) => `a.reason == ${JSON.stringify(s)}`),
  ),
})).expr;

describe('fuzz: conditions', () => {
  const metrics = { a: { prometheus: { query: 'up' }, objective: { min: 0.5 } } } as unknown as Record<
    string,
    Metric
  >;

  it('any text: analysed without throwing', () => {
    fc.assert(
      fc.property(
        fc.oneof(condition, hostileString, fc.string({ unit: 'binary', maxLength: 200 })),
        (text) => {
          const analysis = analyseCondition(text, metrics);
          assert.ok(Array.isArray(analysis.problems));
        },
      ),
      budget(500),
    );
  });

  it('a condition that loads runs to an answer: decided, or undetermined with the reason', () => {
    fc.assert(
      fc.property(condition, fc.option(fc.double(), { nil: undefined }), (text, value) => {
        const analysis = analyseCondition(text, metrics);
        if (analysis.problems.length > 0) return;
        const a =
          value === undefined
            ? { phase: 'inconclusive', inconclusive: true, error: false, noData: true, reason: 'no data' }
            : {
                phase: 'ok',
                value,
                ok: value >= 0.5,
                breached: value < 0.5,
                inconclusive: false,
                error: false,
                noData: false,
                reason: '',
              };
        const result = runCondition(text, {
          a: celMap(new Map(Object.entries(a) as [string, CelInput][])),
        });
        assert.ok(result.decided ? typeof result.value === 'boolean' : typeof result.why === 'string');
      }),
      budget(500),
    );
  });

  it('nested macros over long lists are refused at load, with the cost', () => {
    const list = `[${Array.from({ length: 200 }, (_, i) => i).join(',')}]`;
    for (const text of [
      `${list}.all(x, ${list}.all(y, ${list}.all(z, a.breached)))`,
      `size(${list}.map(x, ${list}.map(y, ${list}))) > 0 && a.breached`,
    ]) {
      const { problems } = analyseCondition(text, metrics);
      assert.equal(problems[0]?.code, 'cel-cost', JSON.stringify(problems));
      assert.match(problems[0]!.message, new RegExp(`at most ${MAX_CONDITION_COST.toLocaleString('en')}`));
    }
  });
});
