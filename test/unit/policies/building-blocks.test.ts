// biome-ignore-all lint/suspicious/noTemplateCurlyInString: secret references like ${env:TOKEN} are policy syntax, not JS templates
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { inspect } from 'node:util';
import fc from 'fast-check';
import { formatDuration, parseDuration } from '../../../policies/duration.ts';
import { explainPolicy, explanationText } from '../../../policies/explain.ts';
import { instanceName } from '../../../policies/fleet.ts';
import { canonicalJson, policyHash, sha256Hex } from '../../../policies/hash.ts';
import { policyJsonSchema } from '../../../policies/json-schema.ts';
import { nextEvaluationAt } from '../../../policies/lifecycle.ts';
import { activeMaintenance } from '../../../policies/maintenance.ts';
import { outcomeOf, outcomeOfText } from '../../../policies/measurement.ts';
import { planMeasurements } from '../../../policies/requests.ts';
import { createSecretResolver, SecretResolutionError } from '../../../policies/secrets.ts';
import { initialState } from '../../../policies/state.ts';
import { editDistance, nearest } from '../../../policies/suggest.ts';
import { example, load, root, T0 } from './helpers.ts';

describe('durations', () => {
  it('parses the documented forms', () => {
    assert.equal(parseDuration('30s'), 30_000);
    assert.equal(parseDuration('5m'), 300_000);
    assert.equal(parseDuration('24h'), 86_400_000);
    assert.equal(parseDuration('7d'), 604_800_000);
    assert.equal(parseDuration('1h30m'), 5_400_000);
    assert.equal(parseDuration('250ms'), 250);
    for (const bad of ['', '5', '5 m', '1.5h', '-5m', 'm', '5M', '1y'])
      assert.equal(parseDuration(bad), undefined, bad);
  });

  it('formats back to a parseable form of the same length', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 10 ** 12 }), (ms) => {
        assert.equal(parseDuration(formatDuration(ms)), ms);
      }),
    );
  });
});

describe('suggestions', () => {
  it('counts a swap of adjacent letters as one edit', () => {
    assert.equal(editDistance('valeu', 'value'), 1);
    assert.equal(editDistance('kitten', 'sitting'), 3);
  });

  it('suggests close names and nothing for unrelated ones', () => {
    assert.equal(nearest('cooldwon', ['cooldown', 'budget']), 'cooldown');
    assert.equal(nearest('labels-seen', ['labels_seen']), 'labels_seen');
    assert.equal(nearest('Objective', ['objective']), 'objective');
    assert.equal(nearest('zzz', ['cooldown', 'budget']), undefined);
  });
});

describe('content hash', () => {
  it('sha256 matches node:crypto on any input', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        assert.equal(sha256Hex(bytes), createHash('sha256').update(bytes).digest('hex'));
      }),
    );
  });

  it('canonical JSON sorts keys at every level', () => {
    assert.equal(
      canonicalJson({ b: 1, a: { d: [2, { f: 1, e: 2 }], c: null } }),
      '{"a":{"c":null,"d":[2,{"e":2,"f":1}]},"b":1}',
    );
    assert.equal(policyHash({ a: 1, b: 2 }), policyHash({ b: 2, a: 1 }));
  });
});

describe('secrets', () => {
  const resolver = createSecretResolver({
    env: (n) => ({ TOKEN: 's3cr3t', EMPTY: '' })[n],
    readFile: async (p) => {
      if (p === '/run/secrets/hook') return 'file-secret\n';
      throw Object.assign(new Error('nope'), { code: 'ENOENT' });
    },
  });

  it('resolves env and file references; the value is only available through reveal()', async () => {
    const s = await resolver.resolve('${env:TOKEN}');
    assert.equal(s.reveal(), 's3cr3t');
    assert.equal(String(s), '[redacted]');
    assert.equal(JSON.stringify({ s }), '{"s":"[redacted]"}');
    assert.equal(`${s}`, '[redacted]');
    assert.equal(inspect(s), 'Secret(${env:TOKEN})');
    assert.equal((await resolver.resolve('${file:/run/secrets/hook}')).reveal(), 'file-secret');
  });

  it('interpolates references inside URLs', async () => {
    const s = await resolver.interpolate('https://hooks.example.com/${env:TOKEN}/x');
    assert.equal(s.reveal(), 'https://hooks.example.com/s3cr3t/x');
    assert.equal(String(s), '[redacted]');
  });

  it('fails with the reference, never a value', async () => {
    await assert.rejects(
      resolver.resolve('${env:MISSING}'),
      (e: unknown) =>
        e instanceof SecretResolutionError &&
        e.message === 'cannot resolve ${env:MISSING}: environment variable MISSING is not set on the worker',
    );
    await assert.rejects(resolver.resolve('${file:/nope}'), /file \/nope does not exist/);
    await assert.rejects(resolver.resolve('plain'), /not a reference/);
  });
});

describe('measurements', () => {
  it('never lets NaN or infinity pass for a value', () => {
    assert.deepEqual(outcomeOf(Number.NaN), { kind: 'nonFinite', value: 'NaN' });
    assert.deepEqual(outcomeOf(-Infinity), { kind: 'nonFinite', value: '-Inf' });
    assert.deepEqual(outcomeOfText('+Inf'), { kind: 'nonFinite', value: '+Inf' });
    assert.deepEqual(outcomeOfText('0.93', { samples: 10 }), { kind: 'value', value: 0.93, samples: 10 });
    assert.equal(outcomeOfText('abc').kind, 'error');
    assert.equal(outcomeOfText('').kind, 'error');
  });
});

describe('maintenance windows', () => {
  it('one-off windows are half-open', () => {
    const w = [{ from: '2025-06-02T00:00:00Z', to: '2025-06-03T00:00:00Z' }];
    assert.ok(activeMaintenance(w, Date.parse('2025-06-02T00:00:00Z')));
    assert.equal(activeMaintenance(w, Date.parse('2025-06-03T00:00:00Z')), undefined);
  });

  it('weekly windows run past midnight into the next day, in their time zone', () => {
    const w = [
      { weekly: { days: ['fri' as const], start: '22:00', end: '02:00', timezone: 'America/New_York' } },
    ];
    // Friday 2025-06-06 23:30 in New York = Saturday 03:30 UTC.
    assert.equal(activeMaintenance(w, Date.parse('2025-06-07T03:30:00Z'))?.until, '2025-06-07T06:00:00.000Z');
    // Saturday 01:59 in New York: still inside.
    assert.ok(activeMaintenance(w, Date.parse('2025-06-07T05:59:00Z')));
    // Saturday 02:00: over. Friday 21:59: not yet.
    assert.equal(activeMaintenance(w, Date.parse('2025-06-07T06:00:00Z')), undefined);
    assert.equal(activeMaintenance(w, Date.parse('2025-06-07T01:59:00Z')), undefined);
  });
});

describe('fleet instance names', () => {
  it('are valid, unique policy names', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.string({ minLength: 1, maxLength: 80 }), { minLength: 2, maxLength: 10 }),
        (models) => {
          const names = models.map((m) => instanceName('ranking-fleet', m));
          for (const n of names) assert.match(n, /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/);
          assert.equal(new Set(names).size, names.length);
        },
      ),
    );
  });
});

describe('measurement requests', () => {
  it('report a value that cannot be placed safely instead of running another query', () => {
    const p = load(`apiVersion: ctpilot/v1
kind: RetrainingPolicy
metadata: { name: r }
model: { name: 'm 1' }
metrics:
  a: { prometheus: { query: 'x_{{ model.name }}_total' }, objective: { min: 1 } }
triggers:
  t: { when: a.breached, action: alert }
`);
    const [r] = planMeasurements(p, T0);
    assert.match(r?.renderError ?? '', /not valid in a metric or label name/);
  });

  it('compute baseline and reference instants from the evaluation time', () => {
    const p = example('recommender-drift.yaml');
    const [ctr] = planMeasurements(p, T0);
    assert.ok(ctr?.provider === 'prometheus');
    assert.deepEqual(ctr.baseline, { query: ctr.query, at: '2025-05-26T12:00:00.000Z' });
  });
});

describe('lifecycle', () => {
  it('the next evaluation is one cadence after the last', () => {
    const p = example('fraud-slo.yaml');
    assert.equal(nextEvaluationAt(p.spec, initialState(), T0), new Date(T0).toISOString());
    const s = { ...initialState(), lastEvaluatedAt: new Date(T0).toISOString() };
    assert.equal(nextEvaluationAt(p.spec, s, T0 + 1000), new Date(T0 + 300_000).toISOString());
  });
});

describe('JSON Schema export', () => {
  const schema = policyJsonSchema() as {
    properties: Record<string, { description?: string }>;
    $schema: string;
    title: string;
  };

  it('is draft-07 with titles and descriptions for editors', () => {
    assert.equal(schema.$schema, 'http://json-schema.org/draft-07/schema#');
    assert.equal(schema.title, 'ctpilot RetrainingPolicy');
    for (const key of [
      'metadata',
      'model',
      'evaluate',
      'metrics',
      'triggers',
      'guards',
      'training',
      'shadow',
      'promotion',
      'notify',
    ]) {
      assert.ok(schema.properties[key]?.description, `no description for ${key}`);
    }
    const text = JSON.stringify(schema);
    assert.match(text, /"additionalProperties":false/);
    assert.match(text, /Duration: a number followed by a unit/);
  });

  it('the committed policies/policy.schema.json is up to date (run `ctpilot schema -o policies/policy.schema.json`)', () => {
    const committed = JSON.parse(readFileSync(`${root}policies/policy.schema.json`, 'utf8'));
    assert.deepEqual(committed, policyJsonSchema());
  });
});

describe('explain', () => {
  it('puts the policy in plain words: what is watched, when it acts, what holds it back, what gates a promotion', () => {
    const e = explainPolicy(example('fraud-slo.yaml'));
    assert.equal(
      e.headline,
      'Policy fraud-detector (owner risk-ml) watches MLflow registered model `fraud-detector`.',
    );
    assert.deepEqual(
      e.sections.map((s) => s.title),
      [
        'Policy',
        'Cadence',
        'What is watched',
        'When it acts',
        'What holds it back',
        'How it retrains',
        'What gates a promotion',
        'Notifications',
      ],
    );
    const text = explanationText(e);
    assert.match(
      text,
      /slo-breach \(a contractual SLO is broken\): RETRAIN when `precision.breached \|\| recall.breached` holds on 3 consecutive evaluations, provided `labels_seen.value >= 500`\./,
    );
    assert.match(text, /At most 2 retrains and rollbacks in any 7d \(budget\)\./);
    assert.match(
      text,
      /Promotion needs a manual approval \(`ctpilot approve` by risk-ml-leads\) within 72h; on timeout the challenger is rejected\./,
    );
    assert.doesNotMatch(text, /hunter2|s3cr3t/);
  });

  it('describes fleet templates', () => {
    assert.match(
      explainPolicy(example('fleet-ranking.yaml')).headline,
      /every registered model tagged team=ranking, ctpilot=managed \(a fleet template: one controller per model\)/,
    );
  });
});

describe('docs/policies.md', () => {
  it('its first policy is valid', () => {
    const doc = readFileSync(`${root}docs/policies.md`, 'utf8');
    const first = /## A first policy\n\n```yaml\n([\s\S]*?)```/.exec(doc)?.[1];
    assert.ok(first);
    assert.equal(load(first).spec.metadata.name, 'fraud-detector');
  });
});
