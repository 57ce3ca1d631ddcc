// Stage 5 — has the concept changed, P(y | x)? CBPE (NannyML's confidence-
// based performance estimation) calibrates the scores on the reference
// (isotonic); if P(y | x) is unchanged, the calibrated probabilities are
// still right on the current window, whatever the inputs did. For each
// labelled current row, the probability that its prediction is correct is
// e_i = p_i when predicted 1 and 1 − p_i when predicted 0; its realized
// correctness is c_i. Under "P(y | x) unchanged" the c_i are independent
// Bernoulli(e_i) and Σc − Σe has variance Σe(1 − e) — if the calibration
// were exact. It is not: it was fitted on the reference's m labelled rows,
// and its error is shared by every current row. Counting that error like
// the sampling error of a reference mean gives
//   Var(Σc − Σe) ≈ Σe(1 − e) · (1 + n/m),   Z = (Σc − Σe) / √Var
// (on stable seeded worlds, n = 2,400 and m = 5,000, the plain
// (Σc − Σe)/√Σe(1 − e) has a standard deviation of 1.2 and crosses −1.645
// 13 % of the time; the corrected Z has 1.0, as a bootstrap of the
// calibration also gives). Both are in the evidence (`z`, `zSamplingOnly`).
// Concept drift: Z < −z_confidence (the model is right less often than its
// own calibrated confidence says) and the gap estimated − realized, in the
// chosen metric, is at least minGap (isotonic calibration is slightly
// optimistic in-sample; minGap keeps that from counting as drift). The
// estimate's interval is mean(e) ± z_confidence·√Var/n — the same one-sided
// critical value, so "realized below the lower bound" is the test. For a
// metric other than accuracy the test stays on correctness, the gap is
// taken in the metric (estimated by CBPE's expected counts), and the
// interval is null.
//
// Label shift changes P(y | x) too, but in a known way: when P(x | y) holds
// and the class prior moves from p to q, P(y=1 | x) becomes
// w₁p/(w₁p + w₀(1 − p)) with w = q/p. With `priorShift`, the calibrated
// probabilities are corrected so, and the stage judges only what the label
// shift does not explain.

import { estimateBinary, fitCbpe } from '../cbpe.ts';
import type { Table } from '../columns.ts';
import { predictIsotonic } from '../isotonic.ts';
import { binaryMetrics, type MetricName } from '../metrics.ts';
import { normPpf } from '../special/normal-quantile.ts';
import { DEFAULT_THRESHOLDS } from './defaults.ts';
import { finiteOrNull, num } from './format.ts';
import { classWeights } from './label-shift.ts';
import { labelsOf, pick, predictionsOf, scoresOf, usableRows } from './rows.ts';
import type {
  ConceptThresholds,
  DiagnosisRoles,
  PerformanceComparison,
  SegmentGap,
  StageResult,
} from './types.ts';

/** Fewest labelled rows for a segment to be compared. */
export const MIN_SEGMENT_ROWS = 30;

export type ConceptEvidence = {
  readonly performance: PerformanceComparison;
  readonly worstSegment: SegmentGap | null;
  /** (Σc − Σe)/√(Σe(1 − e)(1 + n/m)): the test statistic; null when not computable. */
  readonly z: number | null;
  /** (Σc − Σe)/√Σe(1 − e): the same without the calibration's error. */
  readonly zSamplingOnly: number | null;
  readonly criticalZ: number;
  /** estimated − realized, in the chosen metric. */
  readonly gap: number | null;
  readonly adjustedForLabelShift: boolean;
  /** Without the label-shift correction, when one was applied. */
  readonly unadjusted: { readonly estimated: number | null; readonly z: number | null } | null;
  readonly segments: readonly SegmentGap[];
};

export interface ConceptOptions {
  /** Fewest labelled current rows to judge (the validity stage's minLabelled; default 200). */
  readonly minLabelled?: number;
  /** Correct the calibration for a label shift from `referenceRate` to `rate` (positive rates). */
  readonly priorShift?: { readonly referenceRate: number; readonly rate: number };
}

interface Judged {
  readonly estimated: number;
  readonly realized: number;
  /** With the calibration's error (inflation 1 + n/m). */
  readonly z: number;
  readonly zSamplingOnly: number;
  readonly sd: number;
}

const ratio = (d: number, sd: number) => (sd > 0 ? d / sd : d === 0 ? 0 : d < 0 ? -Infinity : Infinity);

/** Sums over rows: correctness expected and realized; `inflation` = 1 + n/m. */
function judge(e: Float64Array, c: Float64Array, inflation = 1): Judged {
  let se = 0;
  let sc = 0;
  let v = 0;
  for (let i = 0; i < e.length; i++) {
    se += e[i]!;
    sc += c[i]!;
    v += e[i]! * (1 - e[i]!);
  }
  const sd = Math.sqrt(v * inflation);
  return {
    estimated: se / e.length,
    realized: sc / e.length,
    z: ratio(sc - se, sd),
    zSamplingOnly: ratio(sc - se, Math.sqrt(v)),
    sd,
  };
}

function metricPair(
  metric: MetricName,
  y: Float64Array,
  pred: Float64Array,
  scores: Float64Array,
  p: Float64Array,
  e: Float64Array,
  c: Float64Array,
): { realized: number; estimated: number } {
  if (metric === 'accuracy') {
    const j = judge(e, c);
    return { realized: j.realized, estimated: j.estimated };
  }
  return {
    realized: binaryMetrics(y, pred, scores)[metric],
    estimated: estimateBinary(p, pred, scores)[metric],
  };
}

function inconclusive(summary: string, metric: MetricName, labelled: number, reference: number | null) {
  const evidence: ConceptEvidence = {
    performance: { metric, realized: null, estimated: null, lower: null, upper: null, reference, labelled },
    worstSegment: null,
    z: null,
    zSamplingOnly: null,
    criticalZ: 0,
    gap: null,
    adjustedForLabelShift: false,
    unadjusted: null,
    segments: [],
  };
  return { stage: 'concept' as const, verdict: 'inconclusive' as const, summary, features: [], evidence };
}

/**
 * Whether the model is right less often than its calibrated confidence
 * predicts — the sign that P(y | x) changed, as opposed to the inputs.
 *
 * @example
 * const n = (...v) => ({ kind: 'numeric', values: Float64Array.from(v) });
 * const ref = { s: n(0.1, 0.2, 0.8, 0.9, 0.1, 0.9), y: n(0, 0, 1, 1, 0, 1) };
 * const cur = { s: n(0.1, 0.2, 0.8, 0.9), y: n(1, 1, 0, 0) };
 * const r = conceptStage(ref, cur, { features: [], score: 's', label: 'y' }, undefined, { minLabelled: 4 });
 * r.verdict; // 'fail'
 * r.evidence.performance.realized; // 0
 * r.evidence.performance.estimated; // 1
 */
export function conceptStage(
  reference: Table,
  current: Table,
  roles: DiagnosisRoles,
  thresholds: ConceptThresholds = DEFAULT_THRESHOLDS.concept,
  options: ConceptOptions = {},
): StageResult & { readonly evidence: ConceptEvidence } {
  const { metric, confidence, minGap } = thresholds;
  const minLabelled = options.minLabelled ?? DEFAULT_THRESHOLDS.validity.minLabelled;
  const refY = labelsOf(reference[roles.label])?.values;
  const curY = labelsOf(current[roles.label])?.values;
  const refS = scoresOf(reference, roles);
  const curS = scoresOf(current, roles);
  if (!refY || !curY) return inconclusive(`no label column '${roles.label}'`, metric, 0, null);
  if (!refS || !curS) return inconclusive(`no score column '${roles.score}'`, metric, 0, null);
  const refP = predictionsOf(reference, roles, refS);
  const curP = predictionsOf(current, roles, curS);
  const refRows = usableRows(refY, refS, refP);
  const rows = usableRows(curY, curS, curP);
  const ry = pick(refY, refRows);
  const rs = pick(refS, refRows);
  const rp = pick(refP, refRows);
  const classes = new Set(ry).size;
  const refMetric = refRows.length ? finiteOrNull(binaryMetrics(ry, rp, rs)[metric]) : null;
  if (classes < 2) {
    const which = refRows.length === 0 ? 'no labelled, scored rows' : `only class ${ry[0]}`;
    return inconclusive(
      `the reference has ${which}: cannot calibrate the scores`,
      metric,
      rows.length,
      refMetric,
    );
  }
  if (rows.length < minLabelled) {
    return inconclusive(
      `only ${rows.length} labelled, scored current rows (need ${minLabelled}) to compare realized and estimated ${metric}`,
      metric,
      rows.length,
      refMetric,
    );
  }
  const model = fitCbpe(ry, rs, { threshold: roles.threshold ?? 0.5 });
  const y = pick(curY, rows);
  const s = pick(curS, rows);
  const pr = pick(curP, rows);
  const raw = Float64Array.from(predictIsotonic(model.calibrators[0]!, s));
  const w = options.priorShift
    ? classWeights(options.priorShift.referenceRate, options.priorShift.rate)
    : null;
  const p = w ? raw.map((v) => (w[1] * v) / (w[1] * v + w[0] * (1 - v) || 1)) : raw;
  const expected = (q: Float64Array) => q.map((v, i) => (pr[i] === 1 ? v : 1 - v));
  const e = expected(p);
  const c = Float64Array.from(y, (v, i) => (v === pr[i] ? 1 : 0));
  const inflation = 1 + rows.length / refRows.length;
  const j = judge(e, c, inflation);
  const zc = normPpf(confidence);
  const overall = metricPair(metric, y, pr, s, p, e, c);
  const realized = finiteOrNull(overall.realized);
  const estimated = finiteOrNull(overall.estimated);
  const half = (zc * j.sd) / rows.length;
  const performance: PerformanceComparison = {
    metric,
    realized,
    estimated,
    lower: metric === 'accuracy' ? j.estimated - half : null,
    upper: metric === 'accuracy' ? j.estimated + half : null,
    reference: refMetric,
    labelled: rows.length,
  };
  const segments = segmentGaps(current, roles, rows, metric, { y, pr, s, p, e, c });
  const worstSegment = segments[0] ?? null;
  const gap = realized !== null && estimated !== null ? estimated - realized : null;
  const unadjusted = w ? judge(expected(raw), c, inflation) : null;
  const evidence: ConceptEvidence = {
    performance,
    worstSegment,
    z: finiteOrNull(j.z),
    zSamplingOnly: finiteOrNull(j.zSamplingOnly),
    criticalZ: zc,
    gap,
    adjustedForLabelShift: w !== null,
    unadjusted: unadjusted
      ? {
          estimated: finiteOrNull(
            metric === 'accuracy' ? unadjusted.estimated : estimateBinary(raw, pr, s)[metric],
          ),
          z: finiteOrNull(unadjusted.z),
        }
      : null,
    segments: segments.slice(0, 10),
  };
  const significant = j.z < -zc;
  const adj = w ? ', estimate adjusted to the current class mix' : '';
  const words = `${metric} ${num(realized)} realized vs ${num(estimated)} estimated from the scores${
    performance.lower !== null ? ` (${num(performance.lower)}–${num(performance.upper)})` : ''
  }, z = ${num(finiteOrNull(j.z))}, on ${rows.length} labelled rows${adj}`;
  const seg =
    worstSegment && worstSegment.gap > 0
      ? `; worst ${worstSegment.segment}=${worstSegment.value}: ${num(worstSegment.realized)} vs ${num(worstSegment.estimated)} (${worstSegment.rows} rows)`
      : '';
  if (significant && gap === null) {
    return {
      stage: 'concept',
      verdict: 'inconclusive',
      summary: `${metric} is undefined here; ${words}`,
      features: [],
      evidence,
    };
  }
  const fail = significant && gap !== null && gap >= minGap;
  return {
    stage: 'concept',
    verdict: fail ? 'fail' : 'pass',
    summary: fail ? `${words}${seg}` : `P(y|x) holds: ${words}`,
    features: fail && worstSegment && roles.segment ? [roles.segment] : [],
    evidence,
  };
}

interface RowsOf {
  readonly y: Float64Array;
  readonly pr: Float64Array;
  readonly s: Float64Array;
  readonly p: Float64Array;
  readonly e: Float64Array;
  readonly c: Float64Array;
}

/** Gap per value of the segment column (≥ 30 labelled rows), largest first. */
function segmentGaps(
  current: Table,
  roles: DiagnosisRoles,
  rows: readonly number[],
  metric: MetricName,
  r: RowsOf,
): SegmentGap[] {
  const col = roles.segment ? current[roles.segment] : undefined;
  if (!roles.segment || !col) return [];
  const groups = new Map<string, number[]>();
  rows.forEach((row, k) => {
    const v = col.values[row];
    if (v === null || v === undefined || (typeof v === 'number' && Number.isNaN(v))) return;
    const key = String(v);
    const g = groups.get(key);
    if (g) g.push(k);
    else groups.set(key, [k]);
  });
  const out: SegmentGap[] = [];
  for (const [value, ks] of groups) {
    if (ks.length < MIN_SEGMENT_ROWS) continue;
    const sub = (a: Float64Array) => pick(a, ks);
    const m = metricPair(metric, sub(r.y), sub(r.pr), sub(r.s), sub(r.p), sub(r.e), sub(r.c));
    if (!Number.isFinite(m.realized) || !Number.isFinite(m.estimated)) continue;
    out.push({
      segment: roles.segment,
      value,
      rows: ks.length,
      realized: m.realized,
      estimated: m.estimated,
      gap: m.estimated - m.realized,
    });
  }
  return out.sort((a, b) => b.gap - a.gap || a.value.localeCompare(b.value));
}
