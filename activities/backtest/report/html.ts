// The backtest report: one self-contained HTML file (inline CSS and SVG, no
// script, nothing fetched) with the summary, one chart per metric — its
// value over time, its thresholds, breaches, and the would-be actions marked
// — and the list of actions with their full explanations.

import { formatDuration } from '../../../policies/duration.ts';
import type { Policy } from '../../../policies/schema/policy.ts';
import type { BacktestSummary } from '../summary.ts';
import type { BacktestResult, StepRecord } from '../types.ts';
import { type ChartMarker, type ChartPoint, escapeXml, MARKER_COLOURS, renderChart } from './svg-chart.ts';

/** The explanations listed at the end are capped: a noisy policy over a long span would make a huge page. */
/** Rows of the Actions table at most: every action that would have gone out is listed first. */
const MAX_LISTED_ROWS = 2000;

type Listed = { at: string; to: string; steps: number; a: StepRecord['actions'][number] };

/**
 * The Actions table's rows, in time order: every action that would have gone
 * out, each on its own row; consecutive steps holding the same action back
 * for the same guards collapsed into one row with their count.
 */
function actionRuns(steps: readonly StepRecord[]): Listed[] {
  const rows: Listed[] = [];
  const open = new Map<string, Listed>();
  for (const s of steps) {
    const seen = new Set<string>();
    for (const a of s.actions) {
      if (a.kind === 'resolve') continue;
      if (a.status !== 'held') {
        rows.push({ at: s.at, to: s.at, steps: 1, a });
        continue;
      }
      const key = `${a.kind}\u0000${a.origin}\u0000${a.heldBy.join(',')}`;
      seen.add(key);
      const run = open.get(key);
      if (run) {
        run.to = s.at;
        run.steps++;
      } else {
        const row = { at: s.at, to: s.at, steps: 1, a };
        open.set(key, row);
        rows.push(row);
      }
    }
    for (const key of [...open.keys()]) if (!seen.has(key)) open.delete(key);
  }
  const acted = rows.filter((r) => r.a.status !== 'held');
  if (rows.length <= MAX_LISTED_ROWS) return rows;
  // Over the cap: every would-be action stays; held runs fill what is left, earliest first.
  const held = rows
    .filter((r) => r.a.status === 'held')
    .slice(0, Math.max(0, MAX_LISTED_ROWS - acted.length));
  return [...acted, ...held].sort((x, y) => x.at.localeCompare(y.at));
}

function staticThresholds(policy: Policy, metric: string): Array<{ value: number; label: string }> {
  const spec = policy.metrics[metric];
  if (!spec) return [];
  const out: Array<{ value: number; label: string }> = [];
  if (spec.objective?.min !== undefined)
    out.push({ value: spec.objective.min, label: `min ${spec.objective.min}` });
  if (spec.objective?.max !== undefined)
    out.push({ value: spec.objective.max, label: `max ${spec.objective.max}` });
  if (spec.drift) {
    const threshold = spec.drift.threshold;
    if (threshold !== undefined) out.push({ value: threshold, label: `threshold ${threshold}` });
  }
  // A trigger's `require: <metric>.value >= N` (a sample-size guard, usually) is a line on that metric too.
  for (const [name, trigger] of Object.entries(policy.triggers)) {
    const required = trigger.require === undefined ? [] : [trigger.require].flat();
    for (const condition of required) {
      const r = requiredValue(condition, metric);
      if (r) out.push({ value: r.value, label: `${name} requires ${r.op} ${r.value}` });
    }
  }
  return out;
}

/** `metric.value >= 500` (or >, <=, <, with the number on either side) as its bound; anything else: none. */
export function requiredValue(condition: string, metric: string): { op: string; value: number } | undefined {
  const number = '(-?(?:\\d+\\.?\\d*|\\.\\d+)(?:[eE][-+]?\\d+)?)';
  const name = metric.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const left = new RegExp(`^\\s*${name}\\.value\\s*(>=|>|<=|<)\\s*${number}\\s*$`).exec(condition);
  if (left) return { op: left[1]!, value: Number(left[2]) };
  const right = new RegExp(`^\\s*${number}\\s*(<=|<|>=|>)\\s*${name}\\.value\\s*$`).exec(condition);
  if (!right) return undefined;
  const flipped = { '<=': '>=', '<': '>', '>=': '<=', '>': '<' } as const;
  return { op: flipped[right[2] as keyof typeof flipped], value: Number(right[1]) };
}

/** Would-be actions become markers on the charts of the metrics they depend on (all charts if unknown). */
function markersOf(
  result: BacktestResult,
  metricsOfOrigin: (origin: string) => readonly string[] | undefined,
) {
  const byMetric = new Map<string, ChartMarker[]>();
  const all: Array<{ marker: ChartMarker; metrics: readonly string[] | undefined }> = [];
  // A guard usually holds an action back for many steps in a row: only the first of each run is marked.
  let heldBefore = new Set<string>();
  for (const step of result.steps) {
    const t = Date.parse(step.at);
    const heldNow = new Set<string>();
    for (const a of step.actions) {
      if (a.kind === 'resolve') continue;
      const acts = a.status === 'act' || (a.status === 'dryRun' && a.heldBy.length === 0);
      const held = a.heldBy.length > 0;
      if (held) heldNow.add(`${a.kind} ${a.origin}`);
      if (!acts && (!held || heldBefore.has(`${a.kind} ${a.origin}`))) continue;
      const kind = acts ? a.kind : 'held';
      const label = `${step.at}: ${acts ? `would ${a.kind}` : `${a.kind} held back by ${a.heldBy.join(', ')}`} (${a.origin})`;
      all.push({ marker: { t, kind, label }, metrics: metricsOfOrigin(a.origin) });
    }
    heldBefore = heldNow;
  }
  for (const { marker, metrics } of all) {
    for (const metric of metrics ?? result.steps[0]?.metrics.map((m) => m.metric) ?? []) {
      const list = byMetric.get(metric) ?? [];
      list.push(marker);
      byMetric.set(metric, list);
    }
  }
  return byMetric;
}

const css = `
body{font:14px/1.45 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:24px;color:#222;max-width:1040px}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 8px}h3{font-size:15px;margin:18px 0 4px}
.meta{color:#666}table{border-collapse:collapse;margin:6px 0}td,th{border:1px solid #ddd;padding:3px 8px;text-align:left;vertical-align:top}
th{background:#f3f3f3}.num{text-align:right}.legend span{display:inline-block;margin-right:14px}
.swatch{display:inline-block;width:14px;height:3px;vertical-align:middle;margin-right:4px}
.explanation{font-size:12px;color:#444}.limit{color:#8d6e00}`;

export function renderReport(
  result: BacktestResult,
  summary: BacktestSummary,
  policy: Policy,
  metricsOfOrigin: (origin: string) => readonly string[] | undefined,
): string {
  const e = escapeXml;
  const markers = markersOf(result, metricsOfOrigin);
  const metricNames = Object.keys(policy.metrics);
  const charts = metricNames.map((metric) => {
    const points: ChartPoint[] = result.steps.map((s) => {
      const v = s.metrics.find((m) => m.metric === metric);
      return {
        t: Date.parse(s.at),
        ...(v?.value !== undefined && (v.phase === 'ok' || v.phase === 'breach') ? { value: v.value } : {}),
        breach: v?.phase === 'breach',
        unusable: v?.phase === 'inconclusive' || v?.phase === 'error',
        ...(v?.lower !== undefined ? { lower: v.lower } : {}),
        ...(v?.upper !== undefined ? { upper: v.upper } : {}),
        ...(v?.baseline !== undefined ? { baseline: v.baseline } : {}),
      };
    });
    const description = policy.metrics[metric]?.description;
    const unusable = summary.unusable[metric] ?? 0;
    return `<section class="metric"><h3>${e(metric)}</h3>${description ? `<div class="meta">${e(description)}</div>` : ''}
${renderChart({ metric, points, thresholds: staticThresholds(policy, metric), markers: markers.get(metric) ?? [] })}
${unusable ? `<div class="meta">${unusable} of ${summary.steps} steps without a usable measurement (grey ticks)</div>` : ''}</section>`;
  });

  const outcomeRows = Object.entries(summary.outcomes)
    .map(([o, n]) => `<tr><td>${e(o)}</td><td class="num">${n}</td></tr>`)
    .join('');
  const heldRows = summary.held
    .map(
      (h) =>
        `<tr><td>${e(h.kind)} by ${e(h.origin)}</td><td>${e(h.guard)}</td><td class="num">${h.steps}</td><td>${e(h.first)}</td><td>${e(h.last)}</td></tr>`,
    )
    .join('');
  const episodeRows = summary.episodes
    .map(
      (ep) =>
        `<tr><td>${e(ep.trigger)}</td><td>${e(ep.from)}</td><td>${e(ep.to)}</td><td class="num">${ep.steps}</td></tr>`,
    )
    .join('');
  const listed = actionRuns(result.steps);
  const actionRows = listed
    .map(
      ({ at, to, steps, a }) =>
        `<tr class="action ${e(a.kind)} ${e(a.status)}" data-at="${e(at)}"><td>${e(at)}${steps > 1 ? ` → ${e(to)}` : ''}</td><td>${e(a.kind)}</td><td>${e(a.status)}${a.heldBy.length ? ` (${e(a.heldBy.join(', '))})` : ''}${steps > 1 ? ` <span class="meta">× ${steps} steps</span>` : ''}</td><td class="explanation">${e(a.explanation)}</td></tr>`,
    )
    .join('');
  const limitations = result.limitations
    .map((l) => `<li class="limit"><b>${e(l.metric)}</b>: ${e(l.reason)}</li>`)
    .join('');
  // Only the kinds of marker the charts show.
  const shown = new Set([...markers.values()].flat().map((k) => k.kind));
  const legend = (['retrain', 'alert', 'rollback', 'held'] as const)
    .filter((k) => shown.has(k))
    .map(
      (k) =>
        `<span><i class="swatch" style="background:${MARKER_COLOURS[k]}"></i>${k === 'held' ? 'held back (dashed)' : `would ${k}`}</span>`,
    )
    .join('');

  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Backtest of ${e(result.policy)}</title>
<meta name="viewport" content="width=device-width,initial-scale=1"><style>${css}</style></head>
<body>
<h1>Backtest of ${e(result.policy)}</h1>
<div class="meta">${e(result.from)} → ${e(result.to)}, every ${e(formatDuration(result.stepMs))} · ${summary.steps} evaluations · policy version ${e(result.policyHash)} · nothing was acted on</div>
<h2>Would have</h2>
<table><tr><th>retrained</th><th>alerted</th><th>rolled back</th></tr>
<tr><td class="num" id="count-retrain">${summary.counts.retrain}</td><td class="num" id="count-alert">${summary.counts.alert}</td><td class="num" id="count-rollback">${summary.counts.rollback}</td></tr></table>
<table><tr><th>outcome</th><th>evaluations</th></tr>${outcomeRows}</table>
${heldRows ? `<h2>Held back</h2><table><tr><th>action</th><th>guard</th><th>steps</th><th>first</th><th>last</th></tr>${heldRows}</table>` : ''}
${limitations ? `<h2>Not replayed</h2><ul>${limitations}</ul>` : ''}
<h2>Metrics</h2>
<div class="legend"><span><i class="swatch" style="background:#2e7d32"></i>value</span><span><i class="swatch" style="background:#1565c0"></i>threshold</span><span><i class="swatch" style="background:#c62828;height:6px;width:6px;border-radius:3px"></i>breach</span>${legend}</div>
${charts.join('\n')}
${episodeRows ? `<h2>When the conditions held</h2><table><tr><th>trigger</th><th>from</th><th>to</th><th>steps</th></tr>${episodeRows}</table>` : ''}
<h2>Actions</h2>
${actionRows ? `<table><tr><th>at</th><th>action</th><th>status</th><th>explanation</th></tr>${actionRows}</table>` : '<p>None: the policy would not have acted in this period.</p>'}
${listed.length === MAX_LISTED_ROWS ? `<p class="meta">the first ${MAX_LISTED_ROWS} rows are listed; --json has every step</p>` : ''}
</body></html>
`;
}
