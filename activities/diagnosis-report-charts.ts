// The inline SVG pieces of the diagnosis report (activities/diagnosis-report.ts):
// one feature's reference-vs-current distribution (overlaid histograms with
// shared bins, or side-by-side bars of category shares, missing values as
// their own bar), the performance comparison (the estimate's interval as a
// band, estimate and realized as points, the reference as a line), and the
// effect bar of the drift table. No xmlns (inline SVG in HTML needs none, and
// the page refers to nothing outside itself); every data string is escaped.

import type { Column } from '../stats/columns.ts';
import type { PerformanceComparison, SegmentGap } from '../stats/diagnosis/types.ts';
import { escapeXml as e } from './backtest/report/svg-chart.ts';

export const COLOURS = { reference: '#1565c0', current: '#ef6c00', pass: '#2e7d32', fail: '#c62828' };

const r2 = (n: number) => Math.round(n * 100) / 100;
/** A number for people: three decimals, or two significant digits in exponent form when tiny or huge. */
export function num(v: number | null | undefined): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return '—';
  const a = Math.abs(v);
  return a !== 0 && (a < 1e-3 || a >= 1e5) ? v.toExponential(2) : v.toFixed(3);
}
export const pct = (share: number) => `${(share * 100).toFixed(1)} %`;
const short = (s: string, n = 10) => (s.length > n ? `${s.slice(0, n - 1)}…` : s);
/** An axis label: four significant digits. */
const tick = (v: number) => (Math.abs(v) >= 1e5 ? v.toExponential(2) : String(Number(v.toPrecision(4))));

interface Bar {
  readonly label: string;
  readonly reference: number;
  readonly current: number;
}

function finiteSorted(values: Float64Array): number[] {
  return Array.from(values)
    .filter(Number.isFinite)
    .sort((a, b) => a - b);
}
const quantile = (sorted: readonly number[], q: number) =>
  sorted[Math.min(sorted.length - 1, Math.max(0, Math.floor(q * (sorted.length - 1))))]!;

/** Shares of all rows of each window (missing included, so the bars of a window with holes are lower). */
function numericBars(ref: Float64Array, cur: Float64Array, bins = 20) {
  const r = finiteSorted(ref);
  const c = finiteSorted(cur);
  const all = [...r, ...c].sort((a, b) => a - b);
  if (all.length === 0) return { bars: [] as Bar[], lo: 0, hi: 0, whole: false };
  // The 0.5–99.5 % range of both windows: one far outlier would squash the rest into one bin.
  let lo = quantile(all, 0.005);
  let hi = quantile(all, 0.995);
  // Counts (visits, items): one bin per whole number, not bins that fall between them.
  const whole = all.every(Number.isInteger) && hi - lo < 30;
  if (whole) [lo, hi, bins] = [lo - 0.5, hi + 0.5, hi - lo + 1];
  else if (!(hi > lo)) [lo, hi] = [lo - 0.5, lo + 0.5];
  const width = (hi - lo) / bins;
  const count = (values: readonly number[]) => {
    const out = new Array<number>(bins).fill(0);
    for (const v of values) out[Math.min(bins - 1, Math.max(0, Math.floor((v - lo) / width)))]!++;
    return out;
  };
  const rc = count(r);
  const cc = count(c);
  const bars = rc.map((n, i) => ({
    label: `[${tick(lo + i * width)}, ${tick(lo + (i + 1) * width)})`,
    reference: ref.length ? n / ref.length : 0,
    current: cur.length ? cc[i]! / cur.length : 0,
  }));
  return { bars, lo, hi, whole };
}

function categoricalBars(ref: readonly (string | null)[], cur: readonly (string | null)[], max = 10): Bar[] {
  const counts = new Map<string, { r: number; c: number }>();
  const add = (v: string | null, k: 'r' | 'c') => {
    if (v === null) return;
    const entry = counts.get(v) ?? { r: 0, c: 0 };
    entry[k]++;
    counts.set(v, entry);
  };
  for (const v of ref) add(v, 'r');
  for (const v of cur) add(v, 'c');
  const ranked = [...counts].sort((a, b) => b[1].r + b[1].c - (a[1].r + a[1].c) || (a[0] < b[0] ? -1 : 1));
  const kept = ranked.slice(0, max);
  const rest = ranked.slice(max).reduce((s, [, n]) => ({ r: s.r + n.r, c: s.c + n.c }), { r: 0, c: 0 });
  if (ranked.length > max) kept.push([`other (${ranked.length - max})`, rest]);
  return kept.map(([label, n]) => ({
    label,
    reference: ref.length ? n.r / ref.length : 0,
    current: cur.length ? n.c / cur.length : 0,
  }));
}

const missingCount = (c: Column) =>
  c.kind === 'numeric'
    ? c.values.filter((v) => !Number.isFinite(v)).length
    : c.values.filter((v) => v === null).length;

export interface DistributionChart {
  readonly svg: string;
  /** "missing: reference 0 of 5000 (0.0 %), current 1352 of 3000 (45.1 %)" */
  readonly missing: string;
  readonly note: string;
}

/** One feature's distribution in both windows; the two columns must be of the same kind (else null). */
export function distributionChart(feature: string, ref: Column, cur: Column): DistributionChart | null {
  if (ref.kind !== cur.kind) return null;
  const numeric = ref.kind === 'numeric';
  const { bars, lo, hi, whole } =
    ref.kind === 'numeric' && cur.kind === 'numeric'
      ? numericBars(ref.values, cur.values)
      : {
          bars: categoricalBars(ref.values as (string | null)[], cur.values as (string | null)[]),
          lo: 0,
          hi: 0,
          whole: false,
        };
  const mr = missingCount(ref);
  const mc = missingCount(cur);
  const nr = ref.values.length;
  const nc = cur.values.length;
  const missing = `missing: reference ${mr} of ${nr} (${pct(nr ? mr / nr : 0)}), current ${mc} of ${nc} (${pct(nc ? mc / nc : 0)})`;
  const all: Bar[] = [...bars];
  if (mr + mc > 0) all.push({ label: 'missing', reference: nr ? mr / nr : 0, current: nc ? mc / nc : 0 });

  const width = 500;
  const height = 210;
  const m = { top: 12, right: 10, bottom: 40, left: 46 };
  const plotW = width - m.left - m.right;
  const plotH = height - m.top - m.bottom;
  const top = Math.max(0.01, ...all.map((b) => Math.max(b.reference, b.current)));
  const y = (share: number) => m.top + plotH - (share / top) * plotH;
  // A numeric feature's missing bar stands apart from the bins, one empty slot to its left.
  const gap = numeric && mr + mc > 0 ? 1 : 0;
  const slot = all.length ? plotW / (all.length + gap) : plotW;
  const parts = [
    `<svg class="chart distribution" data-feature="${e(feature)}" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-label="${e(`${feature}: reference vs current`)}">`,
    `<rect x="${m.left}" y="${m.top}" width="${plotW}" height="${plotH}" fill="#fafafa" stroke="#ddd"/>`,
    `<text x="${m.left - 4}" y="${m.top + 10}" text-anchor="end" font-size="10" fill="#555">${pct(top)}</text>`,
    `<text x="${m.left - 4}" y="${m.top + plotH}" text-anchor="end" font-size="10" fill="#555">0</text>`,
  ];
  if (bars.length === 0)
    parts.push(
      `<text x="${r2(m.left + (all.length ? slot / 2 : plotW / 2))}" y="${m.top + plotH / 2}" text-anchor="middle" font-size="12" fill="#777">no values in either window</text>`,
    );
  all.forEach((b, i) => {
    const isMissing = mr + mc > 0 && i === all.length - 1;
    const x0 = m.left + (i + (isMissing ? gap : 0)) * slot;
    // Numeric bins overlay (shared bins, translucent); categories and the missing bar sit side by side.
    const overlay = numeric && !isMissing;
    const w = overlay ? slot - 1 : (slot - 4) / 2;
    for (const [k, share, dx] of [
      ['reference', b.reference, 1],
      ['current', b.current, overlay ? 1 : 2 + w],
    ] as const) {
      const yy = y(share);
      parts.push(
        `<rect class="bar ${k}${isMissing ? ' missing' : ''}" x="${r2(x0 + dx)}" y="${r2(yy)}" width="${r2(Math.max(0.5, w))}" height="${r2(m.top + plotH - yy)}" fill="${COLOURS[k]}" fill-opacity="${overlay ? 0.45 : 0.8}"><title>${e(`${b.label}: ${k} ${pct(share)}`)}</title></rect>`,
      );
    }
    if (!numeric || isMissing)
      parts.push(
        `<text x="${r2(x0 + slot / 2)}" y="${m.top + plotH + 13}" text-anchor="middle" font-size="10" fill="#555">${e(short(b.label))}</text>`,
      );
  });
  if (numeric && bars.length) {
    const binsW = slot * bars.length;
    for (const [v, x, anchor] of [
      [lo, m.left, 'start'],
      [(lo + hi) / 2, m.left + binsW / 2, 'middle'],
      [hi, m.left + binsW, 'end'],
    ] as const)
      parts.push(
        `<text x="${r2(x)}" y="${m.top + plotH + 13}" text-anchor="${anchor}" font-size="10" fill="#555">${tick(v)}</text>`,
      );
  }
  parts.push(
    `<text x="${m.left}" y="${height - 6}" font-size="10" fill="${COLOURS.reference}">■ reference</text>`,
    `<text x="${m.left + 80}" y="${height - 6}" font-size="10" fill="${COLOURS.current}">■ current</text>`,
    `<text x="${m.left + plotW}" y="${height - 6}" text-anchor="end" font-size="10" fill="#555">share of the window's rows</text>`,
    '</svg>',
  );
  const note = numeric
    ? `${bars.length} shared bins${whole ? ', one per whole number,' : ''} over the 0.5–99.5 % range of both windows (values beyond fall in the edge bins)`
    : `share of each window's rows per category${bars.length >= 10 ? ' (the rarest grouped as other)' : ''}`;
  return { svg: parts.join(''), missing, note };
}

/** Realized vs estimated on one axis: the interval as a band with whiskers, the reference as a dashed line. */
export function performanceChart(p: PerformanceComparison, worst?: SegmentGap): string | null {
  const vals = [
    p.realized,
    p.estimated,
    p.lower,
    p.upper,
    p.reference,
    worst?.realized,
    worst?.estimated,
  ].filter((v): v is number => v !== null && v !== undefined && Number.isFinite(v));
  if (vals.length === 0) return null;
  let lo = Math.min(...vals);
  let hi = Math.max(...vals);
  if (!(hi > lo)) [lo, hi] = [lo - 0.05, hi + 0.05];
  const pad = (hi - lo) * 0.1;
  [lo, hi] = [lo - pad, hi + pad];
  const width = 620;
  const rowsN = worst ? 2 : 1;
  const height = 54 + rowsN * 44;
  const m = { left: 130, right: 20, top: 12 };
  const plotW = width - m.left - m.right;
  const x = (v: number) => r2(m.left + ((v - lo) / (hi - lo)) * plotW);
  const axisY = m.top + rowsN * 44;
  const parts = [
    `<svg class="chart performance" data-metric="${e(p.metric)}" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-label="${e(`${p.metric}: realized vs estimated`)}">`,
    `<line x1="${m.left}" x2="${m.left + plotW}" y1="${axisY}" y2="${axisY}" stroke="#999"/>`,
  ];
  for (let i = 0; i <= 4; i++) {
    const v = lo + ((hi - lo) * i) / 4;
    parts.push(
      `<line x1="${x(v)}" x2="${x(v)}" y1="${m.top}" y2="${axisY + 4}" stroke="#eee"/><text x="${x(v)}" y="${axisY + 16}" text-anchor="middle" font-size="10" fill="#555">${num(v)}</text>`,
    );
  }
  const row = (
    i: number,
    label: string,
    est: number | null,
    real: number | null,
    band?: [number, number],
  ) => {
    const cy = m.top + 22 + i * 44;
    parts.push(
      `<text x="${m.left - 8}" y="${cy + 4}" text-anchor="end" font-size="11" fill="#333">${e(short(label, 20))}</text>`,
    );
    if (band) {
      const [a, b] = band;
      parts.push(
        `<rect class="interval" x="${x(a)}" y="${cy - 9}" width="${r2(Math.max(1, x(b) - x(a)))}" height="18" fill="${COLOURS.reference}" fill-opacity="0.15"><title>${e(`interval ${num(a)}–${num(b)}`)}</title></rect>`,
        `<path class="whisker" d="M${x(a)},${cy - 9}v18M${x(b)},${cy - 9}v18M${x(a)},${cy}H${x(b)}" stroke="${COLOURS.reference}" fill="none"/>`,
      );
    }
    if (est !== null && Number.isFinite(est))
      parts.push(
        `<circle class="estimated" cx="${x(est)}" cy="${cy}" r="5" fill="#fff" stroke="${COLOURS.reference}" stroke-width="2"><title>estimated ${num(est)}</title></circle>`,
      );
    if (real !== null && Number.isFinite(real)) {
      const below = band ? real < band[0] : est !== null && real < est;
      parts.push(
        `<circle class="realized" cx="${x(real)}" cy="${cy}" r="5" fill="${below ? COLOURS.fail : COLOURS.pass}"><title>realized ${num(real)}</title></circle>`,
      );
    }
  };
  const band = p.lower !== null && p.upper !== null ? ([p.lower, p.upper] as [number, number]) : undefined;
  row(0, 'all labelled rows', p.estimated, p.realized, band);
  if (worst) row(1, `${worst.segment}=${worst.value}`, worst.estimated, worst.realized);
  if (p.reference !== null && Number.isFinite(p.reference))
    parts.push(
      `<line class="reference" x1="${x(p.reference)}" x2="${x(p.reference)}" y1="${m.top}" y2="${axisY}" stroke="#555" stroke-dasharray="4 3"><title>reference ${num(p.reference)}</title></line>`,
    );
  parts.push(
    `<text x="${m.left}" y="${height - 4}" font-size="10" fill="${COLOURS.reference}">○ estimated, band: interval</text>`,
    `<text x="${m.left + 170}" y="${height - 4}" font-size="10" fill="${COLOURS.fail}">● realized (red: below)</text>`,
    `<text x="${m.left + 320}" y="${height - 4}" font-size="10" fill="#555">┆ reference</text>`,
    '</svg>',
  );
  return parts.join('');
}

/** A small horizontal bar for a drift effect, scaled to the largest effect listed. */
export function effectBar(effect: number, scale: number, drifted: boolean): string {
  const w = Math.max(1, Math.min(1, (Number.isFinite(effect) ? effect : 0) / (scale || 1)) * 120);
  return `<svg class="effect-bar" width="124" height="12" viewBox="0 0 124 12" aria-hidden="true"><rect x="0" y="1" width="122" height="10" fill="#f0f0f0"/><rect x="0" y="1" width="${r2(w)}" height="10" fill="${drifted ? COLOURS.fail : '#90a4ae'}"/></svg>`;
}
