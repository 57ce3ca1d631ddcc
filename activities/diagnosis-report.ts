// The diagnosis report: one self-contained HTML page (inline CSS and SVG, no
// script, nothing fetched) that tells a person why ctpilot did what it did on
// a breach — the primary cause and the routed action up front, then the stage
// ladder, the per-feature drift ranking, the top features' distributions in
// both windows, realized vs estimated performance with its interval, the
// worst segment, the business KPI, the external events and the row counts.
// Pure: the diagnosis, its brief and the two windows in, HTML out. Every
// string from data is escaped; missing pieces (no KPI, no labels, no drift
// list, empty tables) are said in words rather than thrown on.

import type { DiagnosisBrief } from '../policies/decision.ts';
import type { Table } from '../stats/columns.ts';
import type { Cause, Diagnosis, FeatureDrift, StageName, StageResult } from '../stats/diagnosis/types.ts';
import { STAGES } from '../stats/diagnosis/types.ts';
import { escapeXml as e } from './backtest/report/svg-chart.ts';
import {
  COLOURS,
  distributionChart,
  effectBar,
  num,
  pct,
  performanceChart,
} from './diagnosis-report-charts.ts';

export interface DiagnosisReportInput {
  readonly policy: string;
  readonly model: string;
  readonly at: string;
  readonly diagnosis: Diagnosis;
  readonly brief: DiagnosisBrief;
  /** The windows, for the top features' distributions. */
  readonly reference: Table;
  readonly current: Table;
}

export const CAUSE_LABELS: Readonly<Record<Cause, string>> = {
  evaluation: 'performance signal suspect',
  dataQuality: 'data quality',
  covariateDrift: 'covariate drift',
  labelShift: 'label shift',
  conceptDrift: 'concept drift',
  unexplained: 'unexplained breach',
  none: 'no cause',
};

/** The stage that judged each cause (none for an unexplained breach or no cause). */
const STAGE_OF: Readonly<Record<Cause, StageName | null>> = {
  evaluation: 'validity',
  dataQuality: 'quality',
  covariateDrift: 'covariate',
  labelShift: 'labelShift',
  conceptDrift: 'concept',
  unexplained: null,
  none: null,
};

const QUESTIONS: Readonly<Record<StageName, string>> = {
  validity: 'Is the evaluation valid?',
  quality: 'Is the data broken?',
  covariate: 'Have the inputs drifted?',
  labelShift: 'Has the label distribution shifted?',
  concept: 'Has the concept changed?',
  business: 'Did the business KPI move?',
};

const VERDICT_COLOURS = { pass: COLOURS.pass, fail: COLOURS.fail, inconclusive: '#b26a00' } as const;
const ACTION_COLOURS = {
  retrain: COLOURS.fail,
  alert: '#ef6c00',
  hold: '#757575',
  none: COLOURS.pass,
} as const;
/** How many features get a distribution chart, by effect (the cause's own features are added to these). */
const TOP_FEATURES = 3;

const css = `
body{font:14px/1.45 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:24px;color:#222;max-width:1040px}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 8px}h3{font-size:15px;margin:14px 0 4px}
.meta{color:#666}table{border-collapse:collapse;margin:6px 0}td,th{border:1px solid #ddd;padding:3px 8px;text-align:left;vertical-align:top}
th{background:#f3f3f3}.num{text-align:right;font-variant-numeric:tabular-nums}
.headline{border-left:6px solid #555;background:#f7f7f7;padding:10px 16px;margin:14px 0}
.headline .cause{font-size:19px;font-weight:600}.badge{display:inline-block;padding:1px 8px;border-radius:10px;color:#fff;font-size:12px;font-weight:600;text-transform:uppercase}
.ladder td.verdict{white-space:nowrap}.ladder tr.primary td{background:#fff4e5;font-weight:600}.ladder tr.primary td.summary{font-weight:normal}
.ladder .q{color:#666;font-size:12px}.yes{color:${COLOURS.fail};font-weight:600}.feature-chart{display:inline-block;vertical-align:top;margin:0 18px 12px 0}
.small{font-size:12px;color:#555}`;

const badge = (text: string, colour: string, cls = '') =>
  `<span class="badge${cls ? ` ${cls}` : ''}" style="background:${colour}">${e(text)}</span>`;
const list = (xs: readonly string[]) => xs.map(e).join(', ');

function headline(d: Diagnosis, brief: DiagnosisBrief): string {
  const colour = ACTION_COLOURS[brief.action] ?? '#555';
  const features = brief.features.length ? brief.features : d.features;
  return `<section class="headline" style="border-left-color:${colour}">
<div class="cause" id="cause" data-cause="${e(brief.cause)}">Primary cause: ${e(CAUSE_LABELS[brief.cause] ?? brief.cause)}${features.length ? ` <span class="features">(${list(features)})</span>` : ''}</div>
<div>Action: ${badge(brief.action, colour, 'action')}${brief.receivers.length ? ` <span class="meta">to ${list(brief.receivers)}</span>` : ''}</div>
<p class="explanation">${e(brief.explanation)}</p>
<p class="summary meta">${e(brief.summary || d.summary)}</p>
${brief.samplesUri ? `<p class="small">Hard cases for review: <code>${e(brief.samplesUri)}</code></p>` : ''}</section>`;
}

function ladder(d: Diagnosis): string {
  const primary = STAGE_OF[d.primaryCause];
  const rows = STAGES.map((name, i) => {
    const s: StageResult | undefined = d.stages.find((x) => x.stage === name);
    const verdict = s?.verdict;
    const colour = (verdict && VERDICT_COLOURS[verdict]) || '#9e9e9e';
    const v = e(verdict ?? 'missing');
    return `<tr class="stage ${v}${name === primary ? ' primary' : ''}" data-stage="${name}" data-verdict="${v}">
<td class="num">${i + 1}</td><td><span class="name">${name}</span><div class="q">${QUESTIONS[name]}</div></td>
<td class="verdict">${badge(verdict ?? 'not run', colour)}${name === primary ? ' ◀ cause' : ''}</td>
<td class="summary">${e(s?.summary ?? 'this stage did not run')}${s?.features.length ? `<div class="small">blames ${list(s.features)}</div>` : ''}</td></tr>`;
  });
  return `<table class="ladder"><tr><th>#</th><th>stage</th><th>verdict</th><th>finding</th></tr>${rows.join('\n')}</table>`;
}

/** Drifted first, then by effect, largest first. */
const ranked = (drift: readonly FeatureDrift[]) =>
  [...drift].sort((a, b) => Number(b.drifted) - Number(a.drifted) || b.effect - a.effect);

function driftTable(d: Diagnosis): string {
  if (d.drift.length === 0) return '<p class="meta">No per-feature drift tests in this diagnosis.</p>';
  const rows = ranked(d.drift);
  const scale = Math.max(0.1, ...rows.map((f) => (Number.isFinite(f.effect) ? f.effect : 0)));
  const body = rows.map(
    (f, i) =>
      `<tr class="feature${f.drifted ? ' drifted' : ''}" data-feature="${e(f.feature)}"><td class="num">${i + 1}</td><td>${e(f.feature)}</td><td>${e(f.test)}</td><td class="num">${num(f.value)}</td><td class="num">${num(f.threshold)}</td><td>${effectBar(f.effect, scale, f.drifted)} <span class="num">${num(f.effect)}</span></td><td class="${f.drifted ? 'yes' : 'no'}">${f.drifted ? 'yes' : 'no'}</td></tr>`,
  );
  return `<table class="drift"><tr><th>#</th><th>feature</th><th>test</th><th>value</th><th>threshold</th><th>effect</th><th>drifted</th></tr>${body.join('\n')}</table>
<p class="small">Effect: normalised Wasserstein distance (numeric) or Jensen–Shannon distance (categorical), comparable across features; value and threshold as the test reports them (p-value or distance).</p>`;
}

/** The cause's own features (when they are columns), then the top features by effect. */
function chartedFeatures(d: Diagnosis, reference: Table, current: Table): string[] {
  const byEffect = [...d.drift].sort((a, b) => b.effect - a.effect).map((f) => f.feature);
  const out = byEffect.slice(0, TOP_FEATURES);
  for (const f of d.features) if (!out.includes(f) && (f in reference || f in current)) out.push(f);
  return out;
}

function distributions(d: Diagnosis, reference: Table, current: Table): string {
  const features = chartedFeatures(d, reference, current);
  if (features.length === 0) return '<p class="meta">No features to show.</p>';
  const charts = features.map((f) => {
    const ref = Object.hasOwn(reference, f) ? reference[f] : undefined;
    const cur = Object.hasOwn(current, f) ? current[f] : undefined;
    const title = `<h3>${e(f)}${d.features.includes(f) ? ' <span class="small">(named by the cause)</span>' : ''}</h3>`;
    if (!ref || !cur)
      return `<div class="feature-chart">${title}<p class="meta">not in the ${!ref && !cur ? 'reference nor the current' : !ref ? 'reference' : 'current'} window</p></div>`;
    const chart = distributionChart(f, ref, cur);
    if (!chart)
      return `<div class="feature-chart">${title}<p class="meta">${e(`${ref.kind} in the reference, ${cur.kind} in the current window`)}</p></div>`;
    return `<div class="feature-chart" data-feature="${e(f)}">${title}${chart.svg}<div class="small missing-count">${e(chart.missing)}</div><div class="small">${e(chart.note)}</div></div>`;
  });
  return charts.join('\n');
}

function performance(d: Diagnosis): string {
  const p = d.performance;
  const svg = performanceChart(p, d.worstSegment);
  const interval = p.lower !== null && p.upper !== null ? ` (interval ${num(p.lower)}–${num(p.upper)})` : '';
  const realized =
    p.realized === null
      ? 'not measured (no labelled current rows)'
      : `<b class="realized">${num(p.realized)}</b>`;
  const text = `<p class="performance-numbers">${e(p.metric)}: realized ${realized} vs estimated <b class="estimated">${num(p.estimated)}</b>${interval}; reference ${num(p.reference)}; on ${p.labelled} labelled current rows.${
    p.realized !== null && p.lower !== null && p.realized < p.lower
      ? ' <span class="yes">Realized is below the interval.</span>'
      : ''
  }</p>`;
  return `${svg ?? '<p class="meta">No performance numbers (nothing labelled, no scores).</p>'}${text}`;
}

function worstSegment(d: Diagnosis): string {
  const w = d.worstSegment;
  if (!w) return '<p class="meta">No segment breakdown.</p>';
  return `<p class="worst-segment"><b>${e(w.segment)}=${e(w.value)}</b>: realized ${num(w.realized)} vs estimated ${num(w.estimated)} on ${w.rows} rows (gap ${num(w.gap)}).</p>`;
}

function kpi(d: Diagnosis): string {
  const k = d.kpi;
  if (!k) return '<p class="meta kpi-none">No business KPI declared.</p>';
  const dropped = k.dropped === 'unknown' ? 'unknown' : k.dropped ? 'yes' : 'no';
  return `<table class="kpi"><tr><th>metric</th><th>value</th><th>baseline</th><th>dropped</th><th>detail</th></tr>
<tr><td>${e(k.metric)}</td><td class="num">${num(k.value)}</td><td class="num">${num(k.baseline)}</td><td class="${dropped === 'yes' ? 'yes' : ''}">${dropped}</td><td>${e(k.detail)}</td></tr></table>`;
}

function events(d: Diagnosis): string {
  if (d.events.length === 0) return '';
  const items = d.events.map(
    (ev) =>
      `<li><b>${e(ev.at)}</b> ${e(ev.text)}${ev.tags?.length ? ` <span class="small">[${list(ev.tags)}]</span>` : ''}</li>`,
  );
  return `<h2>External events</h2><ul class="events">${items.join('')}</ul>`;
}

export function renderDiagnosisReport(input: DiagnosisReportInput): string {
  const { diagnosis: d, brief } = input;
  const title = `Diagnosis of ${input.policy} (${input.model}) at ${input.at}`;
  const findings = d.findings.map((f) => `<li>${e(f)}</li>`).join('');
  const legend = (['reference', 'current'] as const)
    .map((k) => `<span style="color:${COLOURS[k]}">■ ${k}</span>`)
    .join(' ');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${e(title)}</title>
<meta name="viewport" content="width=device-width,initial-scale=1"><style>${css}</style></head>
<body>
<h1>Diagnosis of ${e(input.policy)}</h1>
<div class="meta">model ${e(input.model)} · ${e(input.at)} · reference <span id="rows-reference">${d.rows.reference}</span> rows, current <span id="rows-current">${d.rows.current}</span> rows</div>
${headline(d, brief)}
<h2>Stages</h2>
${ladder(d)}
<h2>Feature drift, ranked</h2>
${driftTable(d)}
<h2>Distributions: reference vs current</h2>
<div class="small">${legend}</div>
${distributions(d, input.reference, input.current)}
<h2>Performance: realized vs estimated</h2>
${performance(d)}
<h2>Worst segment</h2>
${worstSegment(d)}
<h2>Business KPI</h2>
${kpi(d)}
${events(d)}
<h2>Rows</h2>
<p class="rows">reference ${d.rows.reference} rows, current ${d.rows.current} rows; ${d.performance.labelled} current rows labelled${d.rows.current ? ` (${pct(d.performance.labelled / d.rows.current)})` : ''}.</p>
${findings ? `<details><summary>All findings (${d.findings.length})</summary><ul class="findings">${findings}</ul></details>` : ''}
</body></html>
`;
}
