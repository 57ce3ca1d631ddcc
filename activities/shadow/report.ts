// The shadow report: one self-contained HTML page (inline SVG, no scripts, no
// network) that an approver or an auditor can open anywhere — the verdict in
// plain words, each comparison with its interval, accuracy over time for both
// models, where their predictions differ, confusion matrices against the
// labels, and latency. Pure: samples and verdict in, HTML out.
import type { PairedSample, ShadowVerdict } from '../../policies/shadow-verdict.ts';

export interface ReportContext {
  readonly policy: string;
  readonly model: string;
  readonly championVersion: string;
  readonly challengerVersion: string;
  readonly from: string;
  readonly to: string;
  readonly workflowId: string;
}

const escapeHtml = (s: string) =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
const num = (x: number | null | undefined, digits = 4) =>
  x === null || x === undefined || !Number.isFinite(x) ? '—' : String(Number(x.toPrecision(digits)));

const COLORS = { champion: '#4a6fa5', challenger: '#d9822b', grid: '#ddd', text: '#333' };

/** Accuracy per time bucket (labelled samples only), both models. */
function accuracyOverTime(samples: readonly PairedSample[], buckets = 20) {
  const labelled = samples.filter((s) => s.label !== undefined && s.challenger !== null);
  if (labelled.length === 0) return [];
  const start = Math.min(...labelled.map((s) => s.at));
  const end = Math.max(...labelled.map((s) => s.at)) + 1;
  const width = (end - start) / buckets;
  const rows = Array.from({ length: buckets }, (_, i) => ({
    at: start + (i + 0.5) * width,
    n: 0,
    champion: 0,
    challenger: 0,
  }));
  for (const s of labelled) {
    const row = rows[Math.min(buckets - 1, Math.floor((s.at - start) / width))]!;
    row.n++;
    if (s.champion === s.label) row.champion++;
    if (s.challenger === s.label) row.challenger++;
  }
  return rows
    .filter((r) => r.n > 0)
    .map((r) => ({ at: r.at, champion: r.champion / r.n, challenger: r.challenger / r.n, n: r.n }));
}

function lineChart(points: ReturnType<typeof accuracyOverTime>): string {
  if (points.length < 2)
    return '<p class="muted">Not enough labelled requests over time to draw accuracy.</p>';
  const W = 720;
  const H = 240;
  const pad = 40;
  const t0 = points[0]!.at;
  const t1 = points[points.length - 1]!.at;
  const x = (t: number) => pad + ((t - t0) / Math.max(1, t1 - t0)) * (W - 2 * pad);
  const y = (v: number) => H - pad - v * (H - 2 * pad);
  const path = (key: 'champion' | 'challenger') =>
    points.map((p, i) => `${i === 0 ? 'M' : 'L'}${x(p.at).toFixed(1)},${y(p[key]).toFixed(1)}`).join(' ');
  const grid = [0, 0.25, 0.5, 0.75, 1]
    .map(
      (v) =>
        `<line x1="${pad}" x2="${W - pad}" y1="${y(v)}" y2="${y(v)}" stroke="${COLORS.grid}"/><text x="4" y="${y(v) + 4}" font-size="11">${v}</text>`,
    )
    .join('');
  const label = (t: number) => new Date(t).toISOString().slice(11, 19);
  return `<svg class="chart" data-chart="accuracy" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-label="accuracy over time">
${grid}
<path d="${path('champion')}" fill="none" stroke="${COLORS.champion}" stroke-width="2"/>
<path d="${path('challenger')}" fill="none" stroke="${COLORS.challenger}" stroke-width="2"/>
<text x="${pad}" y="${H - 10}" font-size="11">${label(t0)}</text><text x="${W - pad - 50}" y="${H - 10}" font-size="11">${label(t1)}</text>
</svg>`;
}

function matrix(
  title: string,
  rows: readonly string[],
  cols: readonly string[],
  count: (r: string, c: string) => number,
  rowName: string,
  colName: string,
): string {
  const max = Math.max(1, ...rows.flatMap((r) => cols.map((c) => count(r, c))));
  const cell = (r: string, c: string) => {
    const n = count(r, c);
    const shade = Math.round(255 - (n / max) * 160);
    return `<td style="background:rgb(${shade},${shade},255)">${n}</td>`;
  };
  return `<table class="matrix" data-chart="${escapeHtml(title)}"><caption>${escapeHtml(title)}</caption>
<tr><th>${escapeHtml(rowName)} ↓ / ${escapeHtml(colName)} →</th>${cols.map((c) => `<th>${escapeHtml(c)}</th>`).join('')}</tr>
${rows.map((r) => `<tr><th>${escapeHtml(r)}</th>${cols.map((c) => cell(r, c)).join('')}</tr>`).join('\n')}
</table>`;
}

function histogram(samples: readonly PairedSample[]): string {
  const champion = samples
    .map((s) => s.championLatencyMs)
    .filter((v): v is number => v !== undefined && Number.isFinite(v));
  const challenger = samples
    .map((s) => s.challengerLatencyMs)
    .filter((v): v is number => v !== undefined && Number.isFinite(v));
  if (champion.length + challenger.length === 0) return '<p class="muted">No latencies recorded.</p>';
  const all = [...champion, ...challenger].sort((a, b) => a - b);
  const hi = all[Math.floor(all.length * 0.99)] ?? all[all.length - 1]!;
  const bins = 20;
  const width = Math.max(hi, 1e-9) / bins;
  const count = (xs: number[]) => {
    const c = new Array<number>(bins).fill(0);
    for (const v of xs) c[Math.min(bins - 1, Math.floor(v / width))]!++;
    return c.map((n) => n / Math.max(1, xs.length));
  };
  const a = count(champion);
  const b = count(challenger);
  const W = 720;
  const H = 200;
  const top = Math.max(...a, ...b, 1e-9);
  const bar = (values: number[], offset: number, color: string) =>
    values
      .map((v, i) => {
        const h = (v / top) * (H - 40);
        return `<rect x="${30 + i * ((W - 40) / bins) + offset}" y="${H - 20 - h}" width="${(W - 40) / bins / 2 - 1}" height="${h}" fill="${color}"/>`;
      })
      .join('');
  return `<svg class="chart" data-chart="latency" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-label="latency distribution">
${bar(a, 0, COLORS.champion)}${bar(b, (W - 40) / bins / 2, COLORS.challenger)}
<text x="30" y="${H - 4}" font-size="11">0 ms</text><text x="${W - 80}" y="${H - 4}" font-size="11">${num(hi, 3)} ms</text>
</svg>`;
}

export function shadowReportHtml(
  context: ReportContext,
  verdict: ShadowVerdict,
  samples: readonly PairedSample[],
): string {
  const scored = samples.filter((s) => s.challenger !== null);
  const labelled = scored.filter((s) => s.label !== undefined);
  const classes = [
    ...new Set([
      ...scored.map((s) => s.champion),
      ...scored.map((s) => s.challenger!),
      ...labelled.map((s) => s.label!),
    ]),
  ].sort();
  const countWhere = (pick: (s: PairedSample) => [string, string], from: readonly PairedSample[]) => {
    const counts = new Map<string, number>();
    for (const s of from) {
      const key = pick(s).join('\u0000');
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
    return (r: string, c: string) => counts.get(`${r}\u0000${c}`) ?? 0;
  };
  const verdictColour =
    verdict.verdict === 'pass' ? '#2e7d32' : verdict.verdict === 'fail' ? '#c62828' : '#9e6a00';
  const rows = verdict.comparisons
    .map(
      (
        c,
      ) => `<tr><td>${escapeHtml(c.metric)}</td><td>${escapeHtml(c.mustBe)} (margin ${num(c.margin)})</td><td>${num(c.champion)}</td><td>${num(c.challenger)}</td>
<td>${c.improvement ? `${num(c.improvement.estimate)} [${num(c.improvement.lower)}, ${num(c.improvement.upper)}]` : '—'}</td><td>${c.samples}</td><td class="${c.status}">${c.status}</td></tr>`,
    )
    .join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<title>Shadow report: ${escapeHtml(context.model)} v${escapeHtml(context.challengerVersion)} vs v${escapeHtml(context.championVersion)}</title>
<style>
body{font-family:system-ui,sans-serif;color:${COLORS.text};max-width:900px;margin:2em auto;padding:0 1em}
.verdict{padding:1em;border-left:6px solid ${verdictColour};background:#f7f7f7}
table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:4px 8px;text-align:right}
th{background:#f0f0f0}.pass{color:#2e7d32}.fail{color:#c62828}.inconclusive{color:#9e6a00}.muted{color:#888}
.legend span{display:inline-block;width:12px;height:12px;margin:0 4px 0 12px}
</style></head><body>
<h1>Shadow comparison: ${escapeHtml(context.model)}</h1>
<p>Policy <b>${escapeHtml(context.policy)}</b>, challenger version <b>${escapeHtml(context.challengerVersion)}</b> against champion version <b>${escapeHtml(context.championVersion)}</b>,
production requests from ${escapeHtml(context.from)} to ${escapeHtml(context.to)}. Workflow <code>${escapeHtml(context.workflowId)}</code>.</p>
<div class="verdict"><h2 style="color:${verdictColour}">Verdict: ${escapeHtml(verdict.verdict)}</h2><p>${escapeHtml(verdict.summary)}</p>
<p>${verdict.samples.scored} requests scored by the challenger, ${verdict.samples.failed} it could not score, ${verdict.samples.labelled} with labels so far.</p></div>
<h2>Comparisons</h2>
<table><tr><th>metric</th><th>rule</th><th>champion</th><th>challenger</th><th>improvement [interval]</th><th>samples</th><th>status</th></tr>
${rows}</table>
<h2>Accuracy over time</h2>
<p class="legend"><span style="background:${COLORS.champion}"></span>champion <span style="background:${COLORS.challenger}"></span>challenger</p>
${lineChart(accuracyOverTime(samples))}
<h2>Where the predictions differ</h2>
${matrix(
  'champion vs challenger predictions',
  classes,
  classes,
  countWhere((s) => [s.champion, s.challenger!], scored),
  'champion',
  'challenger',
)}
<h2>Confusion matrices (labelled requests)</h2>
${matrix(
  'champion',
  classes,
  classes,
  countWhere((s) => [s.label!, s.champion], labelled),
  'label',
  'predicted',
)}
${matrix(
  'challenger',
  classes,
  classes,
  countWhere((s) => [s.label!, s.challenger!], labelled),
  'label',
  'predicted',
)}
<h2>Latency</h2>
<p class="legend"><span style="background:${COLORS.champion}"></span>champion (logged) <span style="background:${COLORS.challenger}"></span>challenger (replayed; per request within its batch)</p>
${histogram(scored)}
</body></html>
`;
}
