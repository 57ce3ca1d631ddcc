// What a dashboard or an alert rule may rely on: the metrics ctpilot's
// worker endpoint serves, and the PromQL in a Grafana dashboard checked
// against them. Used by the tests of infra/grafana and infra/prometheus/rules
// (Grafana's own dashboard schema cannot be fetched here; this checks what
// breaks dashboards in practice: queries that do not parse, metrics that do
// not exist, variables that do not resolve, panels that overlap).

import { parser } from '@prometheus-io/lezer-promql';
import { METRIC_NAMES, registry } from './metrics.ts';

const HISTOGRAM_SUFFIXES = ['_bucket', '_sum', '_count'];

/** ctpilot's metric names as they appear in a scrape (histograms with their suffixes, default process metrics included). */
export async function ctpilotSeriesNames(): Promise<Set<string>> {
  const names = new Set<string>();
  for (const m of await registry.getMetricsAsJSON()) {
    names.add(m.name);
    if (String(m.type) === 'histogram' || String(m.type) === 'summary')
      for (const s of HISTOGRAM_SUFFIXES) names.add(m.name + s);
  }
  for (const n of METRIC_NAMES) names.add(n);
  return names;
}

/** Grafana's built-in variables, and a value of the right kind for each when a query is parsed. */
const GRAFANA_BUILTINS: Record<string, string> = {
  __rate_interval: '5m',
  __interval: '1m',
  __range: '1h',
  __range_s: '3600',
  __range_ms: '3600000',
  __interval_ms: '60000',
};

/** A Grafana query with its variables replaced by plausible values, ready for the PromQL parser. */
export function substituteGrafanaVariables(
  expr: string,
  variables: ReadonlySet<string>,
): { query: string; unknown: string[] } {
  const unknown: string[] = [];
  const query = expr.replace(
    /\$\{(\w+)(?::\w+)?\}|\$(\w+)|\[\[(\w+)\]\]/g,
    (_m, a?: string, b?: string, c?: string) => {
      const name = (a ?? b ?? c) as string;
      if (name in GRAFANA_BUILTINS) return GRAFANA_BUILTINS[name] as string;
      if (!variables.has(name)) unknown.push(name);
      return 'x';
    },
  );
  return { query, unknown };
}

export interface QueryCheck {
  readonly syntaxError?: string;
  readonly metrics: readonly string[];
}

/** Parses a PromQL query and names the metrics it selects. */
export function checkPromql(query: string): QueryCheck {
  const metrics = new Set<string>();
  let syntaxError: string | undefined;
  parser.parse(query).iterate({
    enter(n) {
      if (n.type.isError && syntaxError === undefined)
        syntaxError = `syntax error at offset ${n.from}: \`${query.slice(Math.max(0, n.from - 15), n.to + 15)}\``;
      if (n.name === 'Identifier' && n.node.parent?.name === 'VectorSelector')
        metrics.add(query.slice(n.from, n.to));
    },
  });
  return { ...(syntaxError ? { syntaxError } : {}), metrics: [...metrics] };
}

interface Panel {
  id?: number;
  type?: string;
  title?: string;
  datasource?: { type?: string; uid?: string };
  gridPos?: { x: number; y: number; w: number; h: number };
  targets?: Array<{ expr?: string; legendFormat?: string; datasource?: { type?: string; uid?: string } }>;
  panels?: Panel[];
}

export interface DashboardProblem {
  readonly panel: string;
  readonly message: string;
}

/**
 * Structural checks of a Grafana dashboard (JSON model, schemaVersion ≥ 36):
 * every query parses, uses only `known` metrics, and references defined
 * variables; every datasource is the dashboard's Prometheus variable; panel
 * ids are unique; panels fit the 24-column grid without overlapping.
 */
export function checkDashboard(dashboard: unknown, known: (metric: string) => boolean): DashboardProblem[] {
  const problems: DashboardProblem[] = [];
  const d = dashboard as {
    uid?: unknown;
    title?: unknown;
    schemaVersion?: unknown;
    panels?: Panel[];
    templating?: { list?: Array<{ name: string; type: string; query?: unknown }> };
  };
  const top = (message: string) => problems.push({ panel: '(dashboard)', message });
  if (typeof d.uid !== 'string' || !/^[a-zA-Z0-9_-]{1,40}$/.test(d.uid))
    top('uid must be 1–40 letters, digits, - or _');
  if (typeof d.title !== 'string' || d.title === '') top('title is missing');
  if (typeof d.schemaVersion !== 'number' || d.schemaVersion < 36) top('schemaVersion must be a number ≥ 36');
  if (!Array.isArray(d.panels)) {
    top('panels must be an array');
    return problems;
  }
  const variables = new Set((d.templating?.list ?? []).map((v) => v.name));
  const datasourceVars = (d.templating?.list ?? []).filter(
    (v) => v.type === 'datasource' && v.query === 'prometheus',
  );
  if (datasourceVars.length === 0)
    top('no Prometheus datasource variable (type datasource, query prometheus)');
  const dsOk = (ds: Panel['datasource']) =>
    ds !== undefined &&
    ds.type === 'prometheus' &&
    datasourceVars.some((v) => ds.uid === `\${${v.name}}` || ds.uid === `$${v.name}`);

  const ids = new Set<number>();
  const boxes: Array<{ title: string; x: number; y: number; w: number; h: number }> = [];
  const all = d.panels.flatMap((p) => [p, ...(p.panels ?? [])]);
  for (const p of all) {
    const name = `${p.id ?? '?'} ${p.title ?? '(untitled)'}`;
    const bad = (message: string) => problems.push({ panel: name, message });
    if (typeof p.id !== 'number') bad('id must be a number');
    else if (ids.has(p.id)) bad(`id ${p.id} is used twice`);
    else ids.add(p.id);
    const g = p.gridPos;
    if (!g || ![g.x, g.y, g.w, g.h].every((n) => Number.isInteger(n) && n >= 0))
      bad('gridPos needs integer x, y, w, h');
    else if (g.x + g.w > 24 || g.w === 0 || g.h === 0)
      bad(`gridPos does not fit the 24-column grid: ${JSON.stringify(g)}`);
    else {
      for (const o of boxes) {
        if (g.x < o.x + o.w && o.x < g.x + g.w && g.y < o.y + o.h && o.y < g.y + g.h)
          bad(`overlaps panel ${o.title}`);
      }
      boxes.push({ title: name, ...g });
    }
    if (p.type === 'row') continue;
    if (!dsOk(p.datasource)) bad('datasource must be the dashboard’s Prometheus variable');
    if (!p.targets?.length) bad('no queries');
    for (const t of p.targets ?? []) {
      if (!dsOk(t.datasource ?? p.datasource))
        bad('query datasource must be the dashboard’s Prometheus variable');
      if (typeof t.expr !== 'string' || t.expr.trim() === '') {
        bad('a query has no expr');
        continue;
      }
      const { query, unknown } = substituteGrafanaVariables(t.expr, variables);
      for (const u of unknown) bad(`query uses $${u}, which is not a dashboard variable`);
      const check = checkPromql(query);
      if (check.syntaxError) bad(`PromQL ${check.syntaxError} in ${t.expr}`);
      for (const m of check.metrics) if (!known(m)) bad(`metric ${m} is not exported by ctpilot’s worker`);
      for (const [, v] of (t.legendFormat ?? '').matchAll(/\$(\w+)/g))
        if (!variables.has(v as string)) bad(`legend uses $${v}, which is not a dashboard variable`);
    }
  }
  return problems;
}
