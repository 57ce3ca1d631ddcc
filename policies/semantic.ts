// Checks the schema cannot express: conditions against the policy's own
// metrics, PromQL syntax, placeholders, secret references, and references
// between sections. They run on the raw document even when the schema
// rejected parts of it — each check looks only at what it needs and skips
// what is malformed — so one run reports every problem.

import { analyseCondition } from './cel/check.ts';
import type { DocPath, IssueCode, PolicyIssue } from './issues.ts';
import { formatPath } from './issues.ts';
import { LIMITS } from './limits.ts';
import { checkQuery } from './promql.ts';
import {
  REPLAY_METRICS,
  SHADOW_METRICS_HIGHER_IS_BETTER,
  SHADOW_METRICS_LOWER_IS_BETTER,
} from './schema/lifecycle.ts';
import { type Metric, metric as metricSchema, providerOf } from './schema/metrics.ts';
import { findSecretRefs, SECRET_FORMS, secretRefProblem } from './secrets.ts';
import { suggestion } from './suggest.ts';
import { checkTemplate, scanTemplate, type TemplateContext, type TemplateScope } from './template.ts';
import { locate, locateInString, type ParsedSource } from './yaml-source.ts';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const asObj = (v: unknown): Obj => (isObj(v) ? v : {});
const isStr = (v: unknown): v is string => typeof v === 'string';

/** Words CEL reserves: a metric with one of these names could not be used in a condition. */
const CEL_RESERVED = new Set([
  'true',
  'false',
  'null',
  'in',
  'as',
  'break',
  'const',
  'continue',
  'else',
  'for',
  'function',
  'if',
  'import',
  'let',
  'loop',
  'package',
  'namespace',
  'return',
  'var',
  'void',
  'while',
  'has',
  'all',
  'exists',
  'exists_one',
  'map',
  'filter',
  'dyn',
  'int',
  'uint',
  'double',
  'bool',
  'string',
  'bytes',
  'list',
  'type',
  'duration',
  'timestamp',
]);

export function semanticIssues(parsed: ParsedSource): PolicyIssue[] {
  const issues: PolicyIssue[] = [];
  const root = asObj(parsed.data);

  const at = (
    code: IssueCode,
    path: DocPath,
    message: string,
    hint?: string,
    where?: { offset: number } | 'key',
    severity: 'error' | 'warning' = 'error',
  ) => {
    const pos =
      where === 'key'
        ? locate(parsed, path, 'key')
        : where
          ? locateInString(parsed, path, where.offset)
          : locate(parsed, path);
    issues.push({
      code,
      message,
      ...(hint ? { hint } : {}),
      file: parsed.file,
      ...pos,
      path: formatPath(path),
      severity,
    });
  };

  // --- at least one metric and one trigger (counted on the raw document: a
  // metric with an invalid name is still a metric the user wrote).
  for (const section of ['metrics', 'triggers'] as const) {
    const v = root[section];
    if (isObj(v) && Object.keys(v).length === 0) {
      at(
        'missing-key',
        [section],
        `a policy needs at least one ${section === 'metrics' ? 'metric' : 'trigger'}`,
        section === 'metrics'
          ? 'e.g. metrics: { accuracy: { prometheus: { query: … }, objective: { min: 0.9 } } }'
          : 'e.g. triggers: { drop: { when: accuracy.breached, for: 3, action: alert } }',
        'key',
      );
    }
  }

  // --- bounds (policies/limits.ts): over them, nothing else is checked — a
  // policy of 10,000 metrics is refused at once, not analysed metric by metric.
  let overBounds = false;
  for (const [section, max] of [
    ['metrics', LIMITS.metrics],
    ['triggers', LIMITS.triggers],
  ] as const) {
    const count = Object.keys(asObj(root[section])).length;
    if (count > max) {
      overBounds = true;
      at(
        'too-many',
        [section],
        `the policy has ${count} ${section}; a policy may have at most ${max} (docs/policies.md, "Limits")`,
        section === 'metrics'
          ? 'every metric is measured at every evaluation and recorded in its decision: split the model into several policies, or watch aggregates instead of one metric per series'
          : 'combine conditions with || and &&, or split the policy',
        'key',
      );
    }
  }
  if (overBounds) return issues;

  // --- metrics: parse each on its own, so conditions can be checked against the valid ones.
  const rawMetrics = asObj(root.metrics);
  const metrics: Record<string, Metric> = {};
  const unparsable = new Set<string>();
  for (const [name, raw] of Object.entries(rawMetrics)) {
    if (CEL_RESERVED.has(name)) {
      at(
        'bad-name',
        ['metrics', name],
        `\`${name}\` is a reserved word in conditions and cannot name a metric`,
        `rename it, e.g. \`${name}_metric\``,
        'key',
      );
    }
    const r = metricSchema.safeParse(raw);
    if (r.success) metrics[name] = r.data;
    else unparsable.add(name);
  }

  const labels = Object.keys(asObj(asObj(root.metadata).labels));
  const fleet = isObj(asObj(root.model).selector);
  const scope: TemplateScope = { labels, fleet };

  const template = (path: DocPath, value: unknown, context: TemplateContext) => {
    if (!isStr(value)) return;
    for (const p of checkTemplate(value, context, scope))
      at(p.code, path, p.message, p.hint, { offset: p.offset });
  };

  const query = (path: DocPath, value: unknown) => {
    if (!isStr(value)) return;
    const templateProblems = checkTemplate(value, 'query', scope);
    for (const p of templateProblems) at(p.code, path, p.message, p.hint, { offset: p.offset });
    if (templateProblems.some((p) => p.code === 'template-syntax')) return;
    for (const p of checkQuery(value)) at(p.code, path, p.message, p.hint, { offset: p.offset });
  };

  const dataWindow = (path: DocPath, w: unknown) => {
    const win = asObj(w);
    template([...path, 'uri'], win.uri, 'window');
    if (isStr(win.sql)) {
      const { placeholders } = scanTemplate(win.sql);
      const first = placeholders[0];
      if (first) {
        at(
          'template-context',
          [...path, 'sql'],
          `placeholder {{ ${first.name} }} inside SQL text`,
          `pass values as parameters: write $1 in the SQL and params: ["{{ ${first.name} }}"], so a value can never change the query`,
          { offset: first.start },
        );
      }
    }
    if (Array.isArray(win.params))
      win.params.forEach((p, i) => {
        template([...path, 'params', i], p, 'window');
      });
  };

  for (const [name, raw] of Object.entries(rawMetrics)) {
    const m = asObj(raw);
    const base: DocPath = ['metrics', name];
    query([...base, 'prometheus', 'query'], asObj(m.prometheus).query);
    if (asObj(m.prometheus).samples !== undefined)
      query([...base, 'prometheus', 'samples'], asObj(m.prometheus).samples);
    const change = asObj(asObj(m.objective).change);
    const baseline = asObj(change.baseline);
    if (baseline.query !== undefined)
      query([...base, 'objective', 'change', 'baseline', 'query'], baseline.query);
    for (const kind of ['drift', 'estimate', 'quality'] as const) {
      const src = asObj(m[kind]);
      if (src.reference !== undefined) dataWindow([...base, kind, 'reference'], src.reference);
      if (src.current !== undefined) dataWindow([...base, kind, 'current'], src.current);
    }
    for (const [k, v] of Object.entries(asObj(asObj(m.alert).match)))
      template([...base, 'alert', 'match', k], v, 'query');

    const parsedMetric = metrics[name];
    if (!parsedMetric) continue;
    const provider = providerOf(parsedMetric);
    if ((baseline.offset !== undefined || baseline.query !== undefined) && provider !== 'prometheus') {
      at(
        'inconsistent',
        [...base, 'objective', 'change', 'baseline'],
        `baseline ${baseline.offset !== undefined ? 'offset' : 'query'} needs a prometheus metric; ${name} uses ${provider}`,
        'use baseline: { value: … } for other providers',
      );
    }
    if ((provider === 'drift' || provider === 'alert' || provider === 'quality') && parsedMetric.objective) {
      at(
        'inconsistent',
        [...base, 'objective'],
        `${provider} metrics decide by themselves (${provider === 'drift' ? 'the test and its threshold' : provider === 'quality' ? 'any alerting finding breaches' : 'firing or not'}); an objective does not apply`,
        provider === 'drift'
          ? 'remove objective; set drift.threshold to change the cut-off'
          : 'remove objective',
      );
    }
    if (parsedMetric.minSamples !== undefined) {
      // Without a sample count every measurement would be inconclusive: say so now, not after a week of silence.
      if (provider === 'alert' || provider === 'mlflow') {
        at(
          'inconsistent',
          [...base, 'minSamples'],
          `${provider} metrics have no sample count; minSamples does not apply`,
          'remove minSamples',
        );
      } else if (provider === 'prometheus' && parsedMetric.prometheus?.samples === undefined) {
        at(
          'missing-key',
          [...base, 'prometheus', 'samples'],
          'minSamples needs a sample count: a Prometheus query gives only its value',
          "add prometheus.samples with a query for the number of observations, e.g. samples: 'sum(increase(labels_total[1h]))'",
        );
      }
    }
  }

  // --- conditions
  const condition = (path: DocPath, expr: unknown) => {
    if (!isStr(expr) || expr.trim() === '') return;
    // Metrics the schema rejected are still names the user meant: they are
    // known to the checker, their fields unchecked (null).
    const names: Record<string, Metric | null> = {};
    for (const n of Object.keys(rawMetrics)) names[n] = metrics[n] ?? null;
    const a = analyseCondition(expr, names);
    for (const p of a.problems) at(p.code, path, p.message, p.hint, { offset: p.offset });
  };

  // --- diagnosis: the KPI is one of the policy's metrics; routes name receivers that exist.
  const diagnosis = asObj(root.diagnosis);
  if (isStr(diagnosis.kpi) && !Object.hasOwn(rawMetrics, diagnosis.kpi)) {
    at(
      'unknown-reference',
      ['diagnosis', 'kpi'],
      `no metric named \`${diagnosis.kpi}\` in metrics`,
      suggestion(diagnosis.kpi, Object.keys(rawMetrics), 'metrics'),
    );
  } else if (isStr(diagnosis.kpi) && !isObj(asObj(rawMetrics[diagnosis.kpi]).objective)) {
    at(
      'inconsistent',
      ['diagnosis', 'kpi'],
      `the KPI \`${diagnosis.kpi}\` has no objective, so it can never be seen to drop`,
      'give it one, e.g. objective: { change: { baseline: { offset: 7d }, maxRelativeDrop: 0.1 } }',
    );
  }
  for (const [cause, raw] of Object.entries(asObj(diagnosis.routes))) {
    const r = asObj(raw);
    if (r.action === 'retrain' && !isObj(root.training)) {
      at(
        'inconsistent',
        ['diagnosis', 'routes', cause, 'action'],
        `${cause} routes to a retrain, but the policy has no training section`,
        'add training: { experiment, launcher } or route it to alert',
      );
    }
    if (Array.isArray(r.receivers)) {
      r.receivers.forEach((name, i) => {
        if (isStr(name) && !Object.hasOwn(asObj(root.notify), name)) {
          at(
            'unknown-reference',
            ['diagnosis', 'routes', cause, 'receivers', i],
            `no receiver named \`${name}\` in notify`,
            suggestion(name, Object.keys(asObj(root.notify)), 'receivers'),
          );
        }
      });
    }
  }

  const triggers = asObj(root.triggers);
  const receivers = Object.keys(asObj(root.notify));
  for (const [name, raw] of Object.entries(triggers)) {
    const t = asObj(raw);
    const base: DocPath = ['triggers', name];
    condition([...base, 'when'], t.when);
    if (isStr(t.require)) condition([...base, 'require'], t.require);
    else if (Array.isArray(t.require))
      t.require.forEach((r, i) => {
        condition([...base, 'require', i], r);
      });
    if (Array.isArray(t.notify)) {
      t.notify.forEach((r, i) => {
        if (isStr(r) && !receivers.includes(r)) {
          at(
            'unknown-reference',
            [...base, 'notify', i],
            `no receiver named \`${r}\` in notify`,
            suggestion(r, receivers, 'receivers'),
          );
        }
      });
    }
    if (t.action === 'retrain' && !isObj(root.training)) {
      at(
        'inconsistent',
        [...base, 'action'],
        `trigger \`${name}\` retrains, but the policy has no training section`,
        'add training: { experiment, launcher } or change the action to alert',
      );
    }
    if (t.repeatEvery !== undefined && t.action !== 'alert') {
      at(
        'inconsistent',
        [...base, 'repeatEvery'],
        'repeatEvery applies to alert triggers only',
        'remove it',
        undefined,
        'warning',
      );
    }
  }

  const promotion = asObj(root.promotion);
  if (isObj(promotion.rollback)) condition(['promotion', 'rollback', 'when'], promotion.rollback.when);

  // --- training
  const training = asObj(root.training);
  template(['training', 'experiment'], training.experiment, 'training');
  for (const [k, v] of Object.entries(asObj(training.parameters)))
    template(['training', 'parameters', k], v, 'training');
  const launcher = asObj(training.launcher);
  template(['training', 'launcher', 'mlflowProject', 'uri'], asObj(launcher.mlflowProject).uri, 'training');
  const run = asObj(launcher.command).run;
  if (Array.isArray(run))
    run.forEach((arg, i) => {
      template(['training', 'launcher', 'command', 'run', i], arg, 'training');
    });

  // --- shadow
  const shadow = asObj(root.shadow);
  if (isObj(root.shadow)) {
    if (shadow.endpoint !== undefined) template(['shadow', 'endpoint'], shadow.endpoint, 'query');
    if (shadow.requests !== undefined) dataWindow(['shadow', 'requests'], shadow.requests);
    if (shadow.mode === 'replay' && shadow.requests === undefined) {
      at(
        'missing-key',
        ['shadow', 'requests'],
        'replay mode needs `requests`: where the logged production requests are',
        'e.g. requests: { uri: "s3://logs/{{ model.name }}/requests.jsonl" }',
      );
    }
    const needLabels: string[] = [];
    if (Array.isArray(shadow.compare)) {
      shadow.compare.forEach((c, i) => {
        const cmp = asObj(c);
        const path: DocPath = ['shadow', 'compare', i];
        if (shadow.mode === 'mirror') {
          if (cmp.query === undefined)
            at(
              'missing-key',
              [...path, 'query'],
              'mirror mode compares per-version PromQL results: each comparison needs `query` with {{ version }}',
              'e.g. query: \'sum(rate(correct_total{version="{{ version }}"}[1h])) / sum(rate(predictions_total{version="{{ version }}"}[1h]))\'',
            );
          else {
            query([...path, 'query'], cmp.query);
            if (isStr(cmp.query) && !scanTemplate(cmp.query).placeholders.some((p) => p.name === 'version')) {
              at(
                'inconsistent',
                [...path, 'query'],
                'a mirror comparison query must use {{ version }}, or both models get the same number',
                'filter by the version label, e.g. {version="{{ version }}"}',
              );
            }
          }
        } else if (shadow.mode === 'replay' && cmp.query !== undefined) {
          at(
            'inconsistent',
            [...path, 'query'],
            'replay mode computes metrics from the replayed requests; `query` is for mirror mode',
            'remove query, or use mode: mirror',
          );
        }
        const known = [...SHADOW_METRICS_HIGHER_IS_BETTER, ...SHADOW_METRICS_LOWER_IS_BETTER];
        const replayed = Object.keys(REPLAY_METRICS);
        if (shadow.mode === 'replay' && isStr(cmp.metric) && !replayed.includes(cmp.metric)) {
          // Replay scores the logged requests: a metric it cannot compute would leave every shadow inconclusive.
          at(
            'bad-value',
            [...path, 'metric'],
            `replay mode cannot compute \`${cmp.metric}\` from the replayed requests`,
            suggestion(cmp.metric, replayed, 'metrics replay computes'),
          );
        } else if (shadow.mode === 'replay' && isStr(cmp.metric) && REPLAY_METRICS[cmp.metric]?.needsLabels) {
          needLabels.push(cmp.metric);
        } else if (isStr(cmp.metric) && !known.includes(cmp.metric) && cmp.higherIsBetter === undefined) {
          if (shadow.mode === 'replay') {
            at(
              'bad-value',
              [...path, 'metric'],
              `replay mode cannot compute \`${cmp.metric}\``,
              suggestion(cmp.metric, known, 'metrics replay computes'),
            );
          } else {
            at(
              'missing-key',
              [...path, 'higherIsBetter'],
              `say whether a higher \`${cmp.metric}\` is better`,
              'add higherIsBetter: true or false',
            );
          }
        }
      });
    }
    if (needLabels.length > 0 && shadow.labels === undefined) {
      // Without labels these comparisons can never be decided: every shadow would end inconclusive, every challenger rejected.
      at(
        'missing-key',
        ['shadow', 'labels'],
        `comparing ${needLabels.map((m) => `\`${m}\``).join(' and ')} needs the labels of the replayed requests: without \`shadow.labels\` the comparison can never be decided, and every challenger would be rejected as inconclusive`,
        'add labels: { uri: "s3://logs/{{ model.name }}/labels/" } (JSON Lines joined to the requests by id), or compare a label-free metric (agreement, error_rate, latency_p50/p95/p99)',
      );
    }
  }

  const retrains = Object.values(triggers).some((t) => asObj(t).action === 'retrain');
  for (const section of ['shadow', 'promotion'] as const) {
    if (isObj(root[section]) && !retrains) {
      at(
        'inconsistent',
        [section],
        `\`${section}\` is set but no trigger retrains, so it is never used`,
        'add a trigger with action: retrain, or remove the section',
        'key',
        'warning',
      );
    }
  }

  // --- guards: time zones exist
  const maintenance = asObj(root.guards).maintenance;
  if (Array.isArray(maintenance)) {
    maintenance.forEach((w, i) => {
      const tz = asObj(asObj(w).weekly).timezone;
      if (isStr(tz)) {
        try {
          new Intl.DateTimeFormat('en-US', { timeZone: tz });
        } catch {
          at(
            'bad-value',
            ['guards', 'maintenance', i, 'weekly', 'timezone'],
            `unknown time zone \`${tz}\``,
            'use an IANA name such as UTC, Europe/Paris, America/New_York',
          );
        }
      }
    });
  }

  // --- secrets: references only where they are resolved, and credentials only as references.
  walkStrings(parsed.data, [], (path, value) => {
    const refs = findSecretRefs(value);
    const capable = refCapable(path);
    for (const r of refs) {
      if (!capable) {
        at(
          'bad-secret-ref',
          path,
          `\`\${${r.kind}:${r.body}}\` is not resolved in \`${formatPath(path)}\``,
          'secret references are resolved only in url, endpoint, connection and secret fields, header values and command env values',
          { offset: r.offset },
        );
        continue;
      }
      const problem = secretRefProblem(r.kind, r.body);
      if (problem)
        at('bad-secret-ref', path, `bad secret reference: ${problem}`, `write ${SECRET_FORMS}`, {
          offset: r.offset,
        });
    }
    if (/\$\{(?!env:|file:)[A-Za-z]+:/.test(value) && capable) {
      at('bad-secret-ref', path, 'unknown secret reference kind', `write ${SECRET_FORMS}`);
    }
    if (refs.length === 0 && capable) {
      const key = String(path[path.length - 1]);
      const inHeaders = path[path.length - 2] === 'headers' || path[path.length - 2] === 'env';
      if (inHeaders && /auth|token|key|secret|password|passwd|credential|cookie/i.test(key)) {
        at(
          'literal-secret',
          path,
          `\`${key}\` looks like a credential written in the policy`,
          `store it outside the policy and write ${SECRET_FORMS}`,
        );
      }
      if (/^[a-z][a-z0-9+.-]*:\/\/[^/@\s]*:[^/@\s]+@/i.test(value)) {
        at(
          'literal-secret',
          path,
          'the URL carries a password',
          `move the credentials out of the policy: write ${SECRET_FORMS}, e.g. \${env:DATABASE_URL}`,
        );
      }
    }
  });

  return issues;
}

function refCapable(path: DocPath): boolean {
  const key = path[path.length - 1];
  const parent = path[path.length - 2];
  if (key === 'url' || key === 'endpoint' || key === 'connection' || key === 'secret') return true;
  if (parent === 'headers') return true;
  if (parent === 'env' && path[path.length - 3] === 'command') return true;
  return false;
}

function walkStrings(v: unknown, path: DocPath, visit: (path: DocPath, value: string) => void): void {
  if (typeof v === 'string') visit(path, v);
  else if (Array.isArray(v)) {
    v.forEach((x, i) => {
      walkStrings(x, [...path, i], visit);
    });
  } else if (isObj(v)) {
    for (const [k, x] of Object.entries(v)) walkStrings(x, [...path, k], visit);
  }
}
