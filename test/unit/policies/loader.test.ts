import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PolicyLoadError } from '../../../policies/issues.ts';
import { loadPolicy, loadPolicyData, loadPolicyOrThrow } from '../../../policies/loader.ts';
import { issuesOf, load } from './helpers.ts';

const TINY = `apiVersion: ctpilot/v1
kind: RetrainingPolicy
metadata: { name: tiny }
model: { name: tiny-model }
metrics:
  acc:
    prometheus: { query: 'avg(acc)' }
    objective: { min: 0.9 }
triggers:
  drop: { when: acc.breached, for: 3, action: alert }
`;

describe('loader: valid policies', () => {
  it('fills defaults and keeps what was written', () => {
    const p = load(TINY);
    assert.equal(p.spec.metadata.name, 'tiny');
    assert.deepEqual(p.spec.evaluate, {
      every: '5m',
      onNoData: 'inconclusive',
      onError: 'error',
      inconclusiveLimit: 3,
    });
    assert.equal(p.spec.dryRun, false);
    assert.deepEqual(p.spec.model.aliases, { champion: 'champion', challenger: 'challenger' });
    const t = p.spec.triggers.drop;
    assert.ok(t);
    assert.equal(t.for, 3);
    assert.equal(t.onInconclusive, 'hold');
    assert.match(p.hash, /^sha256:[0-9a-f]{64}$/);
  });

  it('hashes content, not formatting: comments, quoting, flow vs block style and key order do not change the hash', () => {
    const reformatted = `# a comment
kind: "RetrainingPolicy"
apiVersion: 'ctpilot/v1'
metadata:
  name: tiny   # trailing comment
model:
  name: tiny-model
triggers:
  drop:
    action: alert
    for: 3
    when: acc.breached
metrics:
  acc:
    objective:
      min: 0.90
    prometheus:
      query: avg(acc)
`;
    assert.equal(load(reformatted).hash, load(TINY).hash);
  });

  it('hashes meaning: any change of a value changes the hash', () => {
    assert.notEqual(load(TINY.replace('min: 0.9', 'min: 0.91')).hash, load(TINY).hash);
    assert.notEqual(load(TINY.replace('for: 3', 'for: 4')).hash, load(TINY).hash);
  });

  it('accepts bytes with a UTF-8 byte order mark', () => {
    const bytes = new Uint8Array([0xef, 0xbb, 0xbf, ...new TextEncoder().encode(TINY)]);
    const r = loadPolicy(bytes, 'bom.yaml');
    assert.equal(r.ok, true);
  });

  it('validates a policy given as data (the apply update carries JSON) with the same hash', () => {
    const data = {
      apiVersion: 'ctpilot/v1',
      kind: 'RetrainingPolicy',
      metadata: { name: 'tiny' },
      model: { name: 'tiny-model' },
      metrics: { acc: { prometheus: { query: 'avg(acc)' }, objective: { min: 0.9 } } },
      triggers: { drop: { when: 'acc.breached', for: 3, action: 'alert' } },
    };
    const r = loadPolicyData(data);
    assert.equal(r.ok, true);
    assert.equal(r.ok && r.policy.hash, load(TINY).hash);
    const bad = loadPolicyData({ ...data, triggers: { drop: { when: 'acc.breachd', action: 'alert' } } });
    assert.equal(bad.ok, false);
    assert.equal(!bad.ok && bad.issues[0]?.code, 'cel-unknown-field');
    assert.equal(!bad.ok && bad.issues[0]?.path, 'triggers.drop.when');
  });

  it('loadPolicyOrThrow throws PolicyLoadError listing every error', () => {
    assert.throws(
      () => loadPolicyOrThrow(TINY.replace('for: 3', 'for: 0').replace('min: 0.9', 'min: high'), 'x.yaml'),
      (e: unknown) => e instanceof PolicyLoadError && e.issues.length === 2 && /2 errors/.test(e.message),
    );
  });

  it('reports warnings without rejecting the policy', () => {
    const r = loadPolicy(`${TINY}promotion: { approval: auto }\n`, 'w.yaml');
    assert.equal(r.ok, true);
    assert.ok(r.ok);
    assert.deepEqual(
      r.warnings.map((w) => [w.code, w.path, w.severity]),
      [['inconsistent', 'promotion', 'warning']],
    );
  });
});

describe('loader: every error at once, located, with hints', () => {
  const broken = `apiVersion: ctpilot/v1
kind: RetrainingPolicy
metadata: { name: Fraud_Detector, owner: risk-ml }
model: { name: fraud-detector }
evaluate: { every: 5 min, onNoData: inconclusiv }
metrics:
  precision:
    prometheus: { query: 'sum(rate(tp[1h])) / sum(rate(flagged[1h])' }
    objectiv: { min: 0.92 }
  recall:
    prometheus: { query: 'sum(rate(tp[1h])) / sum(rate(actual[1h]))' }
    objective: { min: "0.80" }
  volume:
    prometheus: { query: 'sum(rate(requests_total[1h]))' }
triggers:
  slo-breach: { when: precison.breached || recall.breached, for: 3, action: alert }
  drift: { when: volume.drifted, action: alert, for: { atLeast: 3, off: 5 } }
guards: { cooldwon: 24h }
`;
  const issues = issuesOf(broken, 'fraud.yaml');
  const find = (code: string, path: string) => {
    const i = issues.find((x) => x.code === code && x.path === path);
    assert.ok(i, `expected ${code} at ${path}; got ${issues.map((x) => `${x.code}@${x.path}`).join(', ')}`);
    return i;
  };

  it('finds all eleven problems in one pass, sorted by position', () => {
    assert.deepEqual(
      issues.map((i) => `${i.line}:${i.column} ${i.code} ${i.path}`),
      [
        '3:19 bad-name metadata.name',
        '5:20 bad-duration evaluate.every',
        '5:37 bad-value evaluate.onNoData',
        '8:68 promql-syntax metrics.precision.prometheus.query',
        '9:5 unknown-key metrics.precision.objectiv',
        '12:23 wrong-type metrics.recall.objective.min',
        '16:23 cel-unknown-metric triggers.slo-breach.when',
        '17:24 cel-unknown-field triggers.drift.when',
        '17:49 missing-key triggers.drift.for.of',
        '17:68 unknown-key triggers.drift.for.off',
        '18:11 unknown-key guards.cooldwon',
      ],
    );
    assert.ok(issues.every((i) => i.file === 'fraud.yaml' && i.severity === 'error'));
  });

  it('unknown keys name the nearest valid key', () => {
    assert.match(find('unknown-key', 'metrics.precision.objectiv').hint ?? '', /did you mean `objective`\?/);
    assert.match(find('unknown-key', 'guards.cooldwon').hint ?? '', /did you mean `cooldown`\?/);
    assert.match(find('unknown-key', 'triggers.drift.for.off').hint ?? '', /did you mean `of`\?/);
  });

  it('a bad duration lists the accepted forms', () => {
    const i = find('bad-duration', 'evaluate.every');
    assert.equal(i.message, '`5 min` is not a duration');
    assert.match(i.hint ?? '', /30s, 5m, 24h, 7d/);
  });

  it('enum values get a suggestion', () => {
    assert.match(find('bad-value', 'evaluate.onNoData').hint ?? '', /did you mean `inconclusive`\?/);
  });

  it('a quoted number says how to fix it', () => {
    const i = find('wrong-type', 'metrics.recall.objective.min');
    assert.equal(i.message, 'expected a number, got the string "0.80"');
    assert.equal(i.hint, 'remove the quotes to make it a number');
  });

  it('a misspelt metric in a condition points at the word and suggests the metric', () => {
    const i = find('cel-unknown-metric', 'triggers.slo-breach.when');
    assert.equal(i.message, 'unknown metric `precison`');
    assert.match(i.hint ?? '', /did you mean `precision`\?/);
  });

  it('a field that only drift metrics have is explained', () => {
    const i = find('cel-unknown-field', 'triggers.drift.when');
    assert.equal(i.message, 'metric `volume` has no field `drifted` (only drift metrics have it)');
  });

  it('policy names must be DNS labels, with the rule in the hint', () => {
    assert.match(find('bad-name', 'metadata.name').hint ?? '', /lower-case letters, digits and -/);
  });
});

describe('loader: positions inside strings', () => {
  it('points into a block-literal condition at the right line and column', () => {
    const text = TINY.replace(
      '  drop: { when: acc.breached, for: 3, action: alert }',
      '  drop:\n    when: |\n      acc.breached &&\n        acc.valeu > 3\n    action: alert',
    );
    const [i] = issuesOf(text);
    assert.equal(i?.code, 'cel-unknown-field');
    // Line 13 of the file, at the `.` of `acc.valeu` (CEL positions a field selection at its dot).
    assert.equal(i?.line, 13);
    assert.equal(i?.column, 12);
    assert.match(i?.hint ?? '', /did you mean `acc.value`\?/);
  });

  it('points into a double-quoted condition', () => {
    const [i] = issuesOf(TINY.replace('when: acc.breached', 'when: "acc.breached && foo.ok"'));
    assert.equal(i?.code, 'cel-unknown-metric');
    assert.equal(i?.line, 10);
    assert.equal(i?.column, 34);
  });
});

describe('loader: semantic rules', () => {
  it('a metric without objective has no meaningful `breached`', () => {
    const [i] = issuesOf(TINY.replace('    objective: { min: 0.9 }\n', ''));
    assert.equal(i?.code, 'cel-unknown-field');
    assert.match(i?.message ?? '', /has no objective/);
  });

  it('a condition with no metric would never change', () => {
    const [i] = issuesOf(TINY.replace('when: acc.breached', 'when: "1 < 2"'));
    assert.equal(i?.code, 'cel-no-metric');
  });

  it('type errors: a metric is not a value, && needs booleans', () => {
    const a = issuesOf(TINY.replace('when: acc.breached', 'when: acc > 0.9'));
    assert.equal(a[0]?.code, 'cel-type');
    assert.match(a[0]?.message ?? '', /compares values, but this is the metric `acc`/);
    const b = issuesOf(TINY.replace('when: acc.breached', 'when: acc.value && acc.breached'));
    assert.equal(b[0]?.code, 'cel-type');
    assert.match(b[0]?.message ?? '', /&& needs true\/false, but this is a number/);
  });

  it('unknown functions are reported with the available ones', () => {
    const [i] = issuesOf(TINY.replace('when: acc.breached', 'when: "sise([acc.value]) > 0"'));
    assert.equal(i?.code, 'cel-unknown-function');
    assert.match(i?.hint ?? '', /did you mean `size`\?/);
  });

  it('a retrain trigger needs a training section', () => {
    const [i] = issuesOf(TINY.replace('action: alert', 'action: retrain'));
    assert.equal(i?.code, 'inconsistent');
    assert.equal(i?.path, 'triggers.drop.action');
  });

  it('notify references must exist', () => {
    const [i] = issuesOf(
      `${TINY.replace('action: alert }', 'action: alert, notify: [oncal] }')}notify:\n  oncall: { webhook: { url: 'https://x' } }\n`,
    );
    assert.equal(i?.code, 'unknown-reference');
    assert.match(i?.hint ?? '', /did you mean `oncall`\?/);
  });

  it('literal secrets are refused; references are required in secret fields', () => {
    const issues = issuesOf(
      `${TINY}notify:\n  hook:\n    webhook:\n      url: 'https://user:hunter2@hooks.example.com/x'\n      secret: hunter2\n      headers: { Authorization: 'Bearer abc' }\n`,
    );
    assert.deepEqual(
      issues.map((i) => [i.code, i.path]),
      [
        ['literal-secret', 'notify.hook.webhook.url'],
        ['literal-secret', 'notify.hook.webhook.secret'],
        ['literal-secret', 'notify.hook.webhook.headers.Authorization'],
      ],
    );
  });

  it('secret references outside resolvable fields are reported, and malformed ones too', () => {
    const issues = issuesOf(
      // biome-ignore lint/suspicious/noTemplateCurlyInString: a secret reference inside a query, on purpose
      `${TINY.replace("query: 'avg(acc)'", 'query: \'avg(acc{token="${env:TOKEN}"})\'')}notify:\n  hook: { webhook: { url: '\${env:lower-case}' } }\n`,
    );
    assert.deepEqual(
      issues.map((i) => [i.code, i.path]),
      [
        ['bad-secret-ref', 'metrics.acc.prometheus.query'],
        ['bad-secret-ref', 'notify.hook.webhook.url'],
      ],
    );
  });

  it('placeholders: unknown variables get suggestions; SQL text refuses them', () => {
    const a = issuesOf(TINY.replace("query: 'avg(acc)'", 'query: \'avg(acc{model="{{ model.nme }}"})\''));
    assert.equal(a[0]?.code, 'template-unknown-variable');
    assert.match(a[0]?.hint ?? '', /did you mean \{\{ model\.name \}\}\?/);
    const b = issuesOf(
      TINY.replace(
        "prometheus: { query: 'avg(acc)' }\n    objective: { min: 0.9 }",
        "drift: { feature: x, reference: { uri: 's3://a' }, current: { sql: \"select x from t where m = '{{ model.name }}'\" } }",
      ).replace('acc.breached', 'acc.drifted'),
    );
    assert.equal(b[0]?.code, 'template-context');
    assert.match(b[0]?.hint ?? '', /params/);
  });
});
