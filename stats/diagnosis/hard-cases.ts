// The hard cases a diagnosis hands to people: the rows of the current window
// most worth a look. Three kinds: labelled rows the model got wrong (most
// confident first — a confident mistake says the most), rows closest to the
// decision threshold (the model could not tell), and rows that contribute
// most to the drifted features (values far outside the reference, or
// categories far more common than in the reference).

import type { Column, Table } from '../columns.ts';
import { labelsOf, predictionsOf, rowCount, scoresOf } from './rows.ts';
import type { Diagnosis, DiagnosisRoles } from './types.ts';

export type HardCaseKind = 'misclassified' | 'low-margin' | 'drift-contributor';

export interface HardCase {
  readonly case: HardCaseKind;
  /** Row number in the current window (0-based). */
  readonly row: number;
  /** In words: "score 0.93, label 0", "income 412000: 8.1 reference spreads from its median". */
  readonly why: string;
  /** The row's values of the roles' columns (null where missing). */
  readonly values: Readonly<Record<string, number | string | null>>;
}

function valueAt(c: Column | undefined, i: number): number | string | null {
  if (!c) return null;
  const v = c.values[i];
  if (c.kind === 'numeric') return Number.isFinite(v as number) ? (v as number) : null;
  return (v as string | null) ?? null;
}

function median(sorted: Float64Array): number {
  const n = sorted.length;
  return n % 2 ? sorted[(n - 1) >> 1]! : (sorted[n / 2 - 1]! + sorted[n / 2]!) / 2;
}

/** Per row, how unusual its value is against the reference: spreads from the median, or share ratio. */
function driftScores(
  reference: Column,
  current: Column,
): { score: Float64Array; why: (i: number) => string } {
  const n = current.values.length;
  const score = new Float64Array(n).fill(Number.NaN);
  if (reference.kind === 'numeric' && current.kind === 'numeric') {
    const ref = Float64Array.from(reference.values.filter(Number.isFinite)).sort();
    if (ref.length === 0) return { score, why: () => '' };
    const mid = median(ref);
    const q1 = ref[Math.floor(0.25 * (ref.length - 1))]!;
    const q3 = ref[Math.ceil(0.75 * (ref.length - 1))]!;
    const spread = q3 - q1 > 0 ? q3 - q1 : 1;
    for (let i = 0; i < n; i++) {
      const v = current.values[i]!;
      if (Number.isFinite(v)) score[i] = Math.abs(v - mid) / spread;
    }
    return {
      score,
      why: (i) =>
        `${current.values[i]}: ${score[i]!.toFixed(1)} reference interquartile ranges from its median ${mid}`,
    };
  }
  if (reference.kind === 'categorical' && current.kind === 'categorical') {
    const counts = (values: readonly (string | null)[]) => {
      const m = new Map<string, number>();
      let total = 0;
      for (const v of values)
        if (v !== null) {
          m.set(v, (m.get(v) ?? 0) + 1);
          total++;
        }
      return { m, total: Math.max(total, 1) };
    };
    const r = counts(reference.values);
    const c = counts(current.values);
    const ratio = (v: string) => c.m.get(v)! / c.total / ((r.m.get(v) ?? 0.5) / r.total);
    for (let i = 0; i < n; i++) {
      const v = current.values[i];
      if (v !== null && v !== undefined) score[i] = ratio(v);
    }
    return {
      score,
      why: (i) => {
        const v = current.values[i] as string;
        return r.m.has(v)
          ? `'${v}' is ${ratio(v).toFixed(1)}× as common as in the reference`
          : `'${v}' never appears in the reference`;
      },
    };
  }
  return { score, why: () => '' };
}

/**
 * Up to `size` rows of each kind, hardest first.
 *
 * @example
 * const t = {
 *   score: { kind: 'numeric', values: Float64Array.from([0.9, 0.52, 0.1]) },
 *   label: { kind: 'numeric', values: Float64Array.from([0, 1, 0]) },
 * };
 * const d = { drift: [] };
 * const roles = { features: [], score: 'score', label: 'label' };
 * hardCases(t, t, d, { roles, size: 1 }).map((c) => c.case); // ['misclassified', 'low-margin']
 */
export function hardCases(
  reference: Table,
  current: Table,
  diagnosis: Pick<Diagnosis, 'drift'>,
  options: { readonly roles: DiagnosisRoles; readonly size: number },
): HardCase[] {
  const { roles, size } = options;
  const n = rowCount(current);
  const columns = [
    ...new Set([roles.score, roles.label, roles.prediction, roles.segment, ...roles.features]),
  ].filter((c): c is string => c !== undefined && current[c] !== undefined);
  const values = (i: number) => Object.fromEntries(columns.map((c) => [c, valueAt(current[c], i)]));
  const threshold = roles.threshold ?? 0.5;
  const scores = scoresOf(current, roles);
  const out: HardCase[] = [];
  if (scores) {
    const predicted = predictionsOf(current, roles, scores);
    const labels = labelsOf(current[roles.label])?.values;
    const rows = Array.from({ length: n }, (_, i) => i).filter((i) => !Number.isNaN(scores[i]!));
    const margin = (i: number) => Math.abs(scores[i]! - threshold);
    if (labels) {
      const wrong = rows.filter((i) => !Number.isNaN(labels[i]!) && labels[i] !== predicted[i]);
      for (const i of wrong.sort((a, b) => margin(b) - margin(a)).slice(0, size))
        out.push({
          case: 'misclassified',
          row: i,
          why: `score ${scores[i]}, label ${labels[i]}`,
          values: values(i),
        });
    }
    for (const i of [...rows].sort((a, b) => margin(a) - margin(b)).slice(0, size))
      out.push({
        case: 'low-margin',
        row: i,
        why: `score ${scores[i]}, threshold ${threshold}`,
        values: values(i),
      });
  }
  const drifted = diagnosis.drift.filter((d) => d.drifted).slice(0, 3);
  for (const d of drifted) {
    const ref = reference[d.feature];
    const cur = current[d.feature];
    if (!ref || !cur) continue;
    const { score, why } = driftScores(ref, cur);
    const rows = Array.from({ length: n }, (_, i) => i).filter((i) => !Number.isNaN(score[i]!));
    for (const i of rows.sort((a, b) => score[b]! - score[a]!).slice(0, size))
      out.push({ case: 'drift-contributor', row: i, why: `${d.feature} ${why(i)}`, values: values(i) });
  }
  return out;
}
