// One metric over time as inline SVG, generated here rather than by a
// charting library: the report must open anywhere without a network (no
// CDN) and stay one file, and a line, a few dashed threshold lines and
// vertical markers need nothing more than this. Every element carries a
// class (and the markers their time) so tests and people can find them.

export interface ChartPoint {
  readonly t: number;
  /** Absent: no usable value at this step (a gap in the line). */
  readonly value?: number;
  readonly breach?: boolean;
  /** The step had no usable measurement (inconclusive or error). */
  readonly unusable?: boolean;
  readonly lower?: number;
  readonly upper?: number;
  readonly baseline?: number;
}

export interface ChartMarker {
  readonly t: number;
  /** `retrain`, `alert`, `rollback` (would have acted) or `held`. */
  readonly kind: 'retrain' | 'alert' | 'rollback' | 'held';
  readonly label: string;
}

export interface ChartSpec {
  readonly metric: string;
  readonly points: readonly ChartPoint[];
  /** Static thresholds (objective min/max, drift threshold). */
  readonly thresholds: ReadonlyArray<{ readonly value: number; readonly label: string }>;
  readonly markers: readonly ChartMarker[];
  readonly width?: number;
  readonly height?: number;
}

export const MARKER_COLOURS = {
  retrain: '#c62828',
  alert: '#ef6c00',
  rollback: '#6a1b9a',
  held: '#757575',
} as const;

export function escapeXml(s: string): string {
  return s.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string,
  );
}

const r2 = (n: number) => Math.round(n * 100) / 100;

/** Round tick values: 1, 2 or 5 times a power of ten. */
function niceTicks(lo: number, hi: number, count: number): number[] {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = ([1, 2, 5, 10].find((m) => m * mag >= raw) ?? 10) * mag;
  const out: number[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step)
    out.push(Number(v.toPrecision(12)));
  return out;
}

function fmtValue(v: number): string {
  if (v === 0) return '0';
  const a = Math.abs(v);
  if (a >= 1e5 || a < 1e-3) return v.toExponential(1);
  return String(Number(v.toPrecision(4)));
}

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
/** Steps a time axis may use: each divides the next level up, so ticks fall on round times (UTC). */
const TIME_STEPS = [
  MINUTE,
  5 * MINUTE,
  15 * MINUTE,
  30 * MINUTE,
  HOUR,
  3 * HOUR,
  6 * HOUR,
  12 * HOUR,
  DAY,
  2 * DAY,
  7 * DAY,
  14 * DAY,
  28 * DAY,
];

/**
 * Times for the axis: multiples of a round step (midnight UTC for steps of a
 * day or more), the smallest step that gives at most `count` ticks.
 */
export function timeTicks(t0: number, t1: number, count = 8): number[] {
  const span = Math.max(1, t1 - t0);
  const step = TIME_STEPS.find((s) => span / s <= count) ?? Math.ceil(span / count / DAY) * DAY;
  const out: number[] = [];
  for (let t = Math.ceil(t0 / step) * step; t <= t1; t += step) out.push(t);
  return out.length > 0 ? out : [t0];
}

/** Axis labels: the date alone at midnight, the date and time otherwise. */
function fmtTime(t: number): string {
  const iso = new Date(t).toISOString();
  return t % DAY === 0 ? iso.slice(0, 10) : `${iso.slice(5, 10)} ${iso.slice(11, 16)}`;
}

/** A polyline path through the defined points of `key`, broken where a value is missing. */
function pathOf(
  points: readonly ChartPoint[],
  key: 'value' | 'lower' | 'upper' | 'baseline',
  x: (t: number) => number,
  y: (v: number) => number,
): string {
  let d = '';
  let pen = false;
  for (const p of points) {
    const v = p[key];
    if (v === undefined || !Number.isFinite(v)) {
      pen = false;
      continue;
    }
    d += `${pen ? 'L' : 'M'}${r2(x(p.t))},${r2(y(v))}`;
    pen = true;
  }
  return d;
}

export function renderChart(spec: ChartSpec): string {
  const width = spec.width ?? 960;
  const height = spec.height ?? 240;
  const m = { top: 14, right: 16, bottom: 28, left: 64 };
  const plotW = width - m.left - m.right;
  const plotH = height - m.top - m.bottom;
  const ts = spec.points.map((p) => p.t);
  const t0 = Math.min(...ts, ...spec.markers.map((k) => k.t));
  const t1 = Math.max(...ts, ...spec.markers.map((k) => k.t));
  const span = Math.max(1, t1 - t0);
  const ys: number[] = [];
  for (const p of spec.points)
    for (const v of [p.value, p.lower, p.upper, p.baseline])
      if (v !== undefined && Number.isFinite(v)) ys.push(v);
  for (const th of spec.thresholds) ys.push(th.value);
  let lo = ys.length ? Math.min(...ys) : 0;
  let hi = ys.length ? Math.max(...ys) : 1;
  if (hi === lo) {
    lo -= Math.abs(lo) * 0.1 || 1;
    hi += Math.abs(hi) * 0.1 || 1;
  }
  const pad = (hi - lo) * 0.08;
  lo -= pad;
  hi += pad;
  const x = (t: number) => m.left + ((t - t0) / span) * plotW;
  const y = (v: number) => m.top + (1 - (v - lo) / (hi - lo)) * plotH;

  const parts: string[] = [];
  parts.push(
    `<svg class="chart" data-metric="${escapeXml(spec.metric)}" xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-label="${escapeXml(spec.metric)} over time">`,
  );
  parts.push(
    `<rect class="plot" x="${m.left}" y="${m.top}" width="${plotW}" height="${plotH}" fill="#fafafa" stroke="#ddd"/>`,
  );
  for (const v of niceTicks(lo, hi, 4)) {
    const yy = r2(y(v));
    parts.push(
      `<line class="grid" x1="${m.left}" x2="${m.left + plotW}" y1="${yy}" y2="${yy}" stroke="#eee"/>`,
    );
    parts.push(
      `<text class="tick" x="${m.left - 6}" y="${yy + 4}" text-anchor="end" font-size="11" fill="#555">${fmtValue(v)}</text>`,
    );
  }
  for (const t of timeTicks(t0, t1)) {
    const xx = r2(x(t));
    parts.push(
      `<line class="grid time" x1="${xx}" x2="${xx}" y1="${m.top}" y2="${m.top + plotH}" stroke="#eee"/>`,
    );
    parts.push(
      `<text class="tick time" data-at="${new Date(t).toISOString()}" x="${xx}" y="${height - 8}" text-anchor="middle" font-size="11" fill="#555">${fmtTime(t)}</text>`,
    );
  }
  // Steps without a usable measurement: a grey tick along the bottom.
  for (const p of spec.points) {
    if (!p.unusable) continue;
    parts.push(
      `<rect class="unusable" x="${r2(x(p.t)) - 1}" y="${m.top + plotH - 4}" width="2" height="4" fill="#9e9e9e"/>`,
    );
  }
  for (const th of spec.thresholds) {
    const yy = r2(y(th.value));
    parts.push(
      `<line class="threshold" x1="${m.left}" x2="${m.left + plotW}" y1="${yy}" y2="${yy}" stroke="#1565c0" stroke-dasharray="6 4"><title>${escapeXml(th.label)}</title></line>`,
    );
    parts.push(
      `<text class="threshold-label" x="${m.left + plotW - 4}" y="${yy - 4}" text-anchor="end" font-size="11" fill="#1565c0">${escapeXml(th.label)}</text>`,
    );
  }
  for (const key of ['lower', 'upper', 'baseline'] as const) {
    const d = pathOf(spec.points, key, x, y);
    if (d)
      parts.push(
        `<path class="threshold band-${key}" d="${d}" fill="none" stroke="#1565c0" stroke-width="1" stroke-dasharray="4 3"><title>${key}</title></path>`,
      );
  }
  const line = pathOf(spec.points, 'value', x, y);
  if (line) parts.push(`<path class="series" d="${line}" fill="none" stroke="#2e7d32" stroke-width="1.5"/>`);
  for (const p of spec.points) {
    if (!p.breach || p.value === undefined) continue;
    parts.push(
      `<circle class="breach" cx="${r2(x(p.t))}" cy="${r2(y(p.value))}" r="2.5" fill="#c62828"><title>${escapeXml(`${new Date(p.t).toISOString()}: ${fmtValue(p.value)} (breach)`)}</title></circle>`,
    );
  }
  // Actions span the plot; a held-back action is a short dashed stub from the top, drawn last, so one at
  // the time of an action (a retrain held by the cooldown right after one) is still seen beside it.
  const acted = spec.markers.filter((k) => k.kind !== 'held');
  const held = spec.markers.filter((k) => k.kind === 'held');
  for (const k of [...acted, ...held]) {
    const xx = r2(x(k.t));
    const isHeld = k.kind === 'held';
    parts.push(
      `<line class="marker ${k.kind}" data-at="${new Date(k.t).toISOString()}" x1="${xx}" x2="${xx}" y1="${m.top}" y2="${isHeld ? m.top + Math.min(24, plotH) : m.top + plotH}" stroke="${MARKER_COLOURS[k.kind]}" stroke-width="${isHeld ? 1.5 : 2}"${isHeld ? ' stroke-dasharray="3 2"' : ''}><title>${escapeXml(k.label)}</title></line>`,
    );
  }
  parts.push('</svg>');
  return parts.join('');
}
