// The evidence pack as one self-contained HTML page (no scripts, no outside
// resources: it opens offline, prints to PDF, and can be archived as is).
// The integrity verdict comes first, because everything below it depends on it.
import { formatDuration } from './duration-text.ts';
import type { EvidencePack, IncidentEvaluation, RetrainEntry, RowRef, StepEntry } from './pack.ts';

const esc = (v: unknown): string =>
  String(v ?? '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;');

const time = (iso: string | null | undefined) =>
  iso ? esc(iso.replace('T', ' ').replace(/\.\d+Z$/, 'Z')) : '—';
const hash = (h: string | null | undefined) =>
  h ? `<code title="${esc(h)}">${esc(h.slice(0, 19))}</code>` : '—';
const link = (url: string | null | undefined, text: string) =>
  url ? `<a href="${esc(url)}">${esc(text)}</a>` : esc(text);

function integrity(row: { integrity: readonly string[] }): string {
  return row.integrity.length === 0 ? '' : ` <span class="bad">⚠ ${esc(row.integrity.join(', '))}</span>`;
}

function table(head: readonly string[], rows: readonly (readonly string[])[], empty = 'none'): string {
  if (rows.length === 0) return `<p class="dim">${esc(empty)}</p>`;
  return `<table><thead><tr>${head.map((h) => `<th>${esc(h)}</th>`).join('')}</tr></thead><tbody>${rows
    .map((r) => `<tr>${r.map((c) => `<td>${c}</td>`).join('')}</tr>`)
    .join('')}</tbody></table>`;
}

function coverageSvg(pack: EvidencePack): string {
  const from = Date.parse(pack.period.from);
  const end = Math.max(from + 1, Date.parse(pack.coverage.coveredUntil));
  const width = 960;
  const x = (iso: string) => Math.max(0, Math.min(width, ((Date.parse(iso) - from) / (end - from)) * width));
  const evaluations = pack.timeline.filter((r) => r.kind === 'evaluation');
  const ticks =
    evaluations.length <= 2000
      ? evaluations
          .map((e) => {
            const colour =
              e.outcome === 'ok' ? '#2e7d32' : e.outcome === 'inconclusive' ? '#9e9e9e' : '#e65100';
            return `<line x1="${x(e.at).toFixed(1)}" x2="${x(e.at).toFixed(1)}" y1="6" y2="30" stroke="${colour}" stroke-width="1"><title>${esc(e.at)} ${esc(e.outcome)}</title></line>`;
          })
          .join('')
      : '';
  const gaps = pack.coverage.gaps
    .map((g) => {
      const a = x(g.from);
      const b = x(g.to);
      return `<rect x="${a.toFixed(1)}" y="4" width="${Math.max(2, b - a).toFixed(1)}" height="28" fill="#c62828" opacity="0.35"><title>${esc(g.text)}</title></rect>`;
    })
    .join('');
  return `<svg class="timeline" viewBox="0 0 ${width} 48" width="100%" role="img" aria-label="evaluations over the period, gaps in red">
<rect x="0" y="4" width="${width}" height="28" fill="#f1f3f4"/>${gaps}${ticks}
<text x="0" y="46" font-size="10">${time(pack.period.from)}</text><text x="${width}" y="46" font-size="10" text-anchor="end">${time(pack.coverage.coveredUntil)}</text></svg>`;
}

function incident(e: IncidentEvaluation): string {
  const breached = e.breached.map(
    (b) =>
      `${esc(b.metric)} = ${esc(b.value ?? '—')}${b.objective ? ` (objective ${esc(b.objective)})` : ''}`,
  );
  const actions = e.actions.map(
    (a) =>
      `<b>${esc(a.kind)}</b> ${esc(a.status)} <span class="dim">(${esc(a.origin)})</span>${a.heldBy.length ? ` — held by ${a.heldBy.map((h) => `${esc(h.guard)}: ${esc(h.detail)}`).join('; ')}` : ''}${a.explanation ? `<br><span class="dim small">${esc(a.explanation)}</span>` : ''}`,
  );
  const done = e.followUp.map((f) => `${esc(f.kind)} ${esc(f.outcome)}${integrity(f)}`);
  if (e.diagnosis) {
    const d = e.diagnosis;
    actions.push(
      `<b>diagnosis</b> ${esc(d.cause)}${d.features.length ? ` (${esc(d.features.join(', '))})` : ''} → ${esc(d.action)}<br><span class="dim small">${esc(d.explanation)}</span>${d.stages.length ? `<br><span class="dim small">${d.stages.map((s) => `${esc(s.stage)} ${esc(s.verdict)}`).join(' · ')}</span>` : ''}`,
    );
  }
  return `<tr><td>${time(e.row.at)}${integrity(e.row)}</td><td>#${esc(e.evaluation ?? '?')}</td><td>${esc(e.row.outcome)}</td><td>${breached.join('<br>') || '—'}</td><td>${actions.join('<br>') || '—'}</td><td>${[...done, e.retrainWorkflowId ? `retrain ${esc(e.retrainWorkflowId)}` : ''].filter(Boolean).join('<br>') || '—'}</td></tr>`;
}

function stepLine(s: StepEntry | null, what: string): string {
  if (!s) return `<tr><th>${esc(what)}</th><td class="dim">no step recorded</td></tr>`;
  const extra = [
    s.by ? `by ${esc(s.by)}` : '',
    s.reason ? `reason: ${esc(s.reason)}` : '',
    s.fromVersion || s.toVersion ? `version ${esc(s.fromVersion ?? '?')} → ${esc(s.toVersion ?? '?')}` : '',
    s.version && !s.toVersion ? `version ${esc(s.version)}` : '',
  ].filter(Boolean);
  return `<tr><th>${esc(what)}</th><td><b>${esc(s.outcome)}</b> at ${time(s.at)}${integrity(s)}${extra.length ? ` · ${extra.join(' · ')}` : ''}<br><span class="dim">${esc(s.detail)}</span></td></tr>`;
}

function retrain(r: RetrainEntry): string {
  return `<section class="retrain"><h3>${link(r.links.workflow, r.workflowId)} <span class="tag">${esc(r.result.kind)}: ${esc(r.result.outcome)}</span></h3>
<table class="kv"><tbody>
<tr><th>policy</th><td>${esc(r.policy)}${r.attempt ? ` · attempt ${esc(r.attempt)}` : ''}${r.trigger ? ` · trigger ${esc(r.trigger)}` : ''}</td></tr>
<tr><th>when</th><td>${time(r.startedAt)} → ${time(r.endedAt)}</td></tr>
<tr><th>MLflow run</th><td>${r.mlflowRunId ? link(r.links.run, r.mlflowRunId) : '—'}</td></tr>
<tr><th>model version</th><td>${r.version ? link(r.links.version, r.version) : '—'}</td></tr>
${stepLine(r.gates, 'gates')}${stepLine(r.shadow, 'shadow verdict')}${stepLine(r.approval, 'approval')}${stepLine(r.promotion, 'promotion')}${r.rollback ? stepLine(r.rollback, 'rollback') : ''}
</tbody></table>
<details><summary>${r.steps.length} audited steps</summary>${table(
    ['at', 'step', 'kind', 'outcome', 'detail', 'row'],
    r.steps.map((s) => [
      time(s.at) + integrity(s),
      esc(s.step),
      esc(s.kind),
      esc(s.outcome),
      esc(s.detail),
      `${esc(s.seq)}${s.inPeriod ? '' : ' <span class="dim">(outside the period)</span>'}`,
    ]),
  )}</details></section>`;
}

function timelineRow(r: RowRef): string[] {
  return [
    esc(r.seq),
    esc(r.modelSeq),
    time(r.at),
    esc(r.policy),
    esc(r.kind),
    esc(r.outcome),
    esc(r.workflowId),
    esc(r.summary.slice(0, 160)),
    `<code>${esc(r.hash.slice(0, 12))}</code>${integrity(r)}`,
  ];
}

/** Beyond this many rows the page lists only what is not a routine evaluation; the data files hold every row. */
export const PAGE_ROW_LIMIT = 2000;

function timelineSection(pack: EvidencePack): string {
  const head = ['seq', 'position', 'at', 'policy', 'kind', 'outcome', 'workflow', 'summary', 'hash'];
  if (pack.timeline.length <= PAGE_ROW_LIMIT)
    return `<h2>Every audit row of the period</h2>\n${table(head, pack.timeline.map(timelineRow), 'no rows')}`;
  const shown = pack.timeline.filter(
    (r) => r.kind !== 'evaluation' || r.outcome !== 'ok' || r.integrity.length > 0,
  );
  return `<h2>Audit rows of the period</h2>
<p>${esc(pack.timeline.length)} rows; the ${esc(pack.timeline.length - shown.length)} evaluations with outcome <b>ok</b> and an intact hash are left off this page — every row is in <code>evidence.json</code> (timeline) and, as stored, in <code>audit-rows.jsonl</code>.</p>
${table(head, shown.map(timelineRow), 'no rows')}`;
}

const CSS = `
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#202124;margin:2rem auto;max-width:1100px;padding:0 1rem}
h1{font-size:1.6rem;margin-bottom:.2rem}h2{margin-top:2.2rem;border-bottom:1px solid #dadce0;padding-bottom:.2rem}h3{margin-bottom:.3rem}
table{border-collapse:collapse;width:100%;margin:.5rem 0}th,td{text-align:left;vertical-align:top;padding:.25rem .5rem;border-bottom:1px solid #eee}
th{background:#f8f9fa;font-weight:600}table.kv th{width:11rem;background:none}code{font-size:12px}
.dim{color:#5f6368}.small{font-size:12px}.bad{color:#b71c1c;font-weight:600}.banner{padding:1rem;border-radius:6px;margin:1rem 0;font-size:15px}
.banner.ok{background:#e6f4ea;border:1px solid #34a853}.banner.broken{background:#fce8e6;border:2px solid #d93025}
.cards{display:flex;flex-wrap:wrap;gap:.6rem}.card{border:1px solid #dadce0;border-radius:6px;padding:.5rem .8rem;min-width:8rem}
.card b{display:block;font-size:1.3rem}.tag{font-size:12px;background:#e8eaed;border-radius:4px;padding:1px 6px;font-weight:400}
.timeline{margin:.5rem 0}section.retrain{border:1px solid #dadce0;border-radius:6px;padding:.2rem 1rem 1rem;margin:1rem 0}
@media print{body{margin:0;max-width:none}details{display:block}details>summary{display:none}a{color:inherit}}
`;

export function renderHtml(pack: EvidencePack): string {
  const v = pack.verification;
  const c = pack.coverage;
  const s = pack.summary;
  const banner = `<div class="banner ${v.ok ? 'ok' : 'broken'}"><b>${v.ok ? '✓ Audit chain verified' : '✗ AUDIT CHAIN BROKEN'}</b><br>${esc(v.statement)}${
    v.problems.length
      ? `<ul>${v.problems.map((p) => `<li><b>${esc(p.kind)}</b>: ${esc(p.message)}</li>`).join('')}</ul>`
      : ''
  }</div>`;
  const cards = [
    ['evaluations', s.evaluations],
    ['coverage gaps', s.gaps],
    ['breach episodes', s.episodes],
    ['retrains', s.retrains],
    ['approvals', s.approvals],
    ['promotions', s.promotions],
    ['rollbacks', s.rollbacks],
    ['audit rows', s.rows],
  ]
    .map(([k, n]) => `<div class="card"><b>${esc(n)}</b>${esc(k)}</div>`)
    .join('');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Evidence pack — ${esc(pack.model)}</title>
<meta name="generator" content="ctpilot ${esc(pack.format)}"><style>${CSS}</style></head><body>
<h1>Evidence pack — model ${link(pack.links.model, pack.model)}</h1>
<p class="dim">Period ${time(pack.period.from)} to ${time(pack.period.to)} · generated ${time(pack.generatedAt)} by ${esc(pack.generatedBy)} · ${esc(pack.format)}</p>
${banner}
<div class="cards">${cards}</div>

<h2>Policy versions in force</h2>
${table(
  [
    'policy',
    'version (sha256 of its content)',
    'first seen',
    'last seen',
    'in the period',
    'evaluations',
    'cadence',
  ],
  pack.policyVersions.map((p) => [
    esc(p.policy),
    hash(p.hash),
    time(p.firstSeen),
    time(p.lastSeen),
    `${time(p.firstSeenInPeriod)} → ${time(p.lastSeenInPeriod)}`,
    esc(p.evaluationsInPeriod),
    p.cadence
      ? `${esc(p.cadence.every)} <span class="dim">(${esc(p.cadence.source)})</span>`
      : '<span class="bad">unknown</span>',
  ]),
  'no audit rows in the period',
)}

<h2>Monitoring coverage</h2>
<p>${c.ok ? '✓ Evaluated throughout the period: no interval longer than twice the cadence.' : c.gaps.length > 0 ? `<span class="bad">${c.gaps.length} gap(s) longer than twice the cadence.</span>` : '<span class="bad">Not shown to be covered throughout: the cadence of a policy version in force is unknown.</span>'}
${esc(c.evaluations)} evaluations${c.first ? ` from ${time(c.first)} to ${time(c.last)}` : ''}; by outcome: ${esc(
    Object.entries(c.byOutcome)
      .map(([k, n]) => `${k} ${n}`)
      .join(', ') || '—',
  )}; by reason: ${esc(
    Object.entries(c.byReason)
      .map(([k, n]) => `${k} ${n}`)
      .join(', ') || '—',
  )}.${c.unassessed ? ` <span class="bad">${esc(c.unassessed)} interval(s) not assessed (cadence unknown).</span>` : ''}</p>
${coverageSvg(pack)}
${table(
  ['from', 'to', 'length', 'where', 'what'],
  c.gaps.map((g) => [time(g.from), time(g.to), esc(formatDuration(g.ms)), esc(g.where), esc(g.text)]),
  'no gaps',
)}

<h2>Breaches and the actions taken</h2>
${
  pack.episodes.length === 0
    ? '<p class="dim">No evaluation in the period had a metric in breach or an action.</p>'
    : pack.episodes
        .map(
          (e) =>
            `<h3>${esc(e.policy)}: ${time(e.from)} → ${time(e.to)} <span class="tag">${esc(e.metrics.join(', ') || 'no metric in breach')}</span> <span class="tag">${esc(e.actions.join(', ') || 'no action')}</span></h3><table><thead><tr><th>at</th><th>evaluation</th><th>outcome</th><th>in breach</th><th>actions</th><th>done</th></tr></thead><tbody>${e.evaluations.map(incident).join('')}</tbody></table>`,
        )
        .join('')
}

<h2>Retrains</h2>
${pack.retrains.length === 0 ? '<p class="dim">No retrain in the period.</p>' : pack.retrains.map(retrain).join('')}

<h2>Rollbacks</h2>
${table(
  ['at', 'workflow', 'outcome', 'by', 'reason', 'versions', 'detail'],
  pack.rollbacks.map((r) => [
    time(r.at) + integrity(r),
    esc(r.workflowId),
    esc(r.outcome),
    esc(r.by ?? '—'),
    esc(r.reason ?? '—'),
    esc(`${r.fromVersion ?? '?'} → ${r.toVersion ?? '?'}`),
    esc(r.detail),
  ]),
  'no rollback in the period',
)}

<h2>Notes</h2>
<ul>${pack.notes.map((n) => `<li>${esc(n)}</li>`).join('')}</ul>
<p class="dim">Sources: ${esc(
    Object.entries(pack.sources)
      .map(([k, val]) => `${k} ${val}`)
      .join(' · ') || '—',
  )}</p>

${timelineSection(pack)}
</body></html>
`;
}
