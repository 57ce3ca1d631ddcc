// The monitoring configuration shipped in infra/: the alerting rules pass
// `promtool check rules` and their unit tests (`promtool test rules`), the
// stack's Prometheus configuration loads them, and the Grafana dashboard is
// valid where it matters (Grafana's dashboard schema cannot be fetched here,
// and no Grafana server installs from the allowed registries): every query
// parses as PromQL, uses only metrics the worker exports, and references
// defined variables; datasources are the dashboard's Prometheus variable;
// panels fit the grid.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { renderPrometheusConfig } from '../../infra/stack/services/prometheus.ts';
import { loadConfig } from '../../workers/config.ts';
import { checkDashboard, checkPromql, ctpilotSeriesNames } from '../../workers/metrics-catalog.ts';
import { TEMPORAL_SDK_METRICS } from './observability-sdk-metrics.ts';

const root = fileURLToPath(new URL('../../', import.meta.url));
const rules = join(root, 'infra', 'prometheus', 'rules');
const dashboardFile = join(root, 'infra', 'grafana', 'ctpilot-dashboard.json');
const promtool = spawnSync('sh', ['-c', 'command -v promtool'], { encoding: 'utf8' }).stdout.trim();

const known = async () => {
  const ours = await ctpilotSeriesNames();
  return (m: string) => ours.has(m) || TEMPORAL_SDK_METRICS.includes(m) || m === 'up';
};

describe('alerting rules', { skip: promtool ? false : 'promtool not installed (Debian prometheus)' }, () => {
  it('pass promtool check rules', () => {
    const r = spawnSync(promtool, ['check', 'rules', join(rules, 'ctpilot.rules.yml')], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /SUCCESS: 9 rules found/);
  });

  it('fire on the series they are written for (promtool test rules)', () => {
    const r = spawnSync(promtool, ['test', 'rules', 'ctpilot.rules.test.yml'], {
      cwd: rules,
      encoding: 'utf8',
    });
    assert.equal(r.status, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /SUCCESS/);
  });

  it('cover evaluation lag, stuck approvals, failed retrains and audit write failures, on exported metrics only', async () => {
    const doc = parse(readFileSync(join(rules, 'ctpilot.rules.yml'), 'utf8')) as {
      groups: Array<{ rules: Array<{ alert: string; expr: string }> }>;
    };
    const all = doc.groups.flatMap((g) => g.rules);
    for (const name of [
      'CtpilotEvaluationLagHigh',
      'CtpilotApprovalStuck',
      'CtpilotRetrainFailed',
      'CtpilotAuditWriteFailures',
      'CtpilotNotificationsFailing',
    ])
      assert.ok(
        all.some((r) => r.alert === name),
        name,
      );
    const isKnown = await known();
    for (const rule of all) {
      const check = checkPromql(rule.expr);
      assert.equal(check.syntaxError, undefined, rule.alert);
      for (const m of check.metrics)
        assert.ok(isKnown(m), `${rule.alert} uses ${m}, which ctpilot does not export`);
    }
  });

  it('are loaded by the local stack’s Prometheus configuration (promtool check config)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ctpilot-promcfg-'));
    try {
      const file = join(dir, 'prometheus.yml');
      writeFileSync(file, renderPrometheusConfig(loadConfig({}), join(dir, 'targets')));
      const r = spawnSync(promtool, ['check', 'config', file], { encoding: 'utf8' });
      assert.equal(r.status, 0, r.stdout + r.stderr);
      assert.match(r.stdout, /ctpilot\.rules\.yml/);
      assert.match(r.stdout, /SUCCESS: 9 rules found/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('the Grafana dashboard', () => {
  const dashboard = JSON.parse(readFileSync(dashboardFile, 'utf8')) as {
    panels: Array<{ type: string; title: string; targets?: Array<{ expr: string }> }>;
  };

  it('passes the structural checks: PromQL parses, metrics exist, variables and datasources resolve, grid fits', async () => {
    assert.deepEqual(checkDashboard(dashboard, await known()), []);
  });

  it('covers the policies, retraining, approvals, audit writes, activities and the Temporal SDK', () => {
    const exprs = dashboard.panels.flatMap((p) => (p.targets ?? []).map((t) => t.expr)).join('\n');
    for (const metric of [
      'ctpilot_evaluations_total',
      'ctpilot_decisions_total',
      'ctpilot_policy_evaluation_lag_seconds_bucket',
      'ctpilot_retrains_total',
      'ctpilot_promotions_total',
      'ctpilot_rollbacks_total',
      'ctpilot_approvals_pending',
      'ctpilot_audit_write_failures_total',
      'ctpilot_activity_duration_seconds_bucket',
      'temporal_activity_schedule_to_start_latency_bucket',
    ])
      assert.ok(exprs.includes(metric), metric);
  });

  it('catches what it is meant to catch', () => {
    const broken = {
      uid: 'x',
      title: 'x',
      schemaVersion: 39,
      templating: { list: [{ name: 'datasource', type: 'datasource', query: 'prometheus' }] },
      panels: [
        {
          id: 1,
          title: 'a',
          type: 'timeseries',
          // biome-ignore lint/suspicious/noTemplateCurlyInString: Grafana's variable syntax, not a template literal
          datasource: { type: 'prometheus', uid: '${datasource}' },
          gridPos: { x: 0, y: 0, w: 12, h: 8 },
          targets: [{ expr: 'sum(rate(nope_total[$__rate_interval])' }, { expr: 'up{x="$missing"}' }],
        },
        {
          id: 1,
          title: 'b',
          type: 'stat',
          datasource: { type: 'prometheus', uid: 'grafanacloud-prom' },
          gridPos: { x: 6, y: 4, w: 20, h: 8 },
          targets: [{ expr: 'ctpilot_evaluations_total' }],
        },
      ],
    };
    const messages = checkDashboard(broken, (m) => m === 'up' || m === 'ctpilot_evaluations_total').map(
      (p) => p.message,
    );
    for (const expected of [
      /PromQL syntax error/,
      /\$missing/,
      /id 1 is used twice/,
      /24-column grid/,
      /datasource must be/,
    ]) {
      assert.ok(
        messages.some((m) => expected.test(m)),
        `${expected}: ${messages.join('; ')}`,
      );
    }
  });
});
