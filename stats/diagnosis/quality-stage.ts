// Stage 2 — is the data broken? A pipeline that drops half of a column, or
// starts sending a category the model never saw, looks like drift and like
// a performance drop; retraining on it would teach the model the bug. Runs
// stats/quality.ts on the features and the score, and ranks the alerting
// findings by how far they exceed their limit.

import type { Column, Table } from '../columns.ts';
import { type QualityFinding, type QualityOptions, qualityChecks } from '../quality.ts';
import { DEFAULT_THRESHOLDS } from './defaults.ts';
import { finiteOrNull, names, pct } from './format.ts';
import type { DiagnosisRoles, StageResult } from './types.ts';

export type QualityAlert = {
  readonly column: string;
  readonly check: QualityFinding['check'];
  readonly value: number;
  readonly threshold: number;
  /** How far past its limit (in the finding's own unit, a share for every check). */
  readonly excess: number;
  readonly text: string;
};

export type QualityEvidence = {
  readonly columns: readonly string[];
  readonly alerts: readonly QualityAlert[];
  readonly checked: number;
};

function missingShare(c: Column | undefined): number {
  if (!c || c.values.length === 0) return 0;
  let m = 0;
  for (const v of c.values) if (v === null || (typeof v === 'number' && !Number.isFinite(v))) m++;
  return m / c.values.length;
}

function describe(f: QualityFinding, reference: Table, o: QualityOptions): { excess: number; text: string } {
  switch (f.check) {
    case 'missing-rate': {
      const ref = missingShare(reference[f.column]);
      const byRate = f.value - (o.maxMissingRate ?? DEFAULT_THRESHOLDS.quality.maxMissingRate ?? 0);
      const byIncrease =
        f.value - ref - (o.maxMissingIncrease ?? DEFAULT_THRESHOLDS.quality.maxMissingIncrease ?? 0);
      return {
        excess: Math.max(byRate, byIncrease),
        text: `${f.column} ${pct(f.value)} missing (reference ${pct(ref)})`,
      };
    }
    case 'out-of-range':
      return {
        excess: f.value - f.threshold,
        text: `${f.column} ${pct(f.value)} of values outside the reference range (${f.message.replace(/\.$/, '')})`,
      };
    case 'new-category': {
      const shown = f.message.replace(/^New categories: /, '').replace(/\.$/, '');
      return {
        excess: f.value - f.threshold,
        text: `${f.column} ${pct(f.value)} of values in categories the reference never saw (${shown})`,
      };
    }
    case 'constant':
      return { excess: 1, text: `${f.column} holds a single value in the current window` };
    case 'schema':
      return { excess: 1 + f.value, text: f.message.replace(/\.$/, '') };
  }
}

/**
 * Whether the current window's features and score are fit to judge: fail
 * when any quality check alerts, blaming the worst columns first.
 *
 * @example
 * const x = (...v) => ({ kind: 'numeric', values: Float64Array.from(v) });
 * const r = qualityStage({ income: x(1, 2, 3, 4) }, { income: x(2, Number.NaN, 3, 1) }, { features: ['income'], score: 's', label: 'y' });
 * r.verdict; // 'fail'
 * r.summary; // 'income 25.0 % missing (reference 0.0 %)'
 */
export function qualityStage(
  reference: Table,
  current: Table,
  roles: DiagnosisRoles,
  options: QualityOptions = DEFAULT_THRESHOLDS.quality,
  violations?: Readonly<Record<string, number>>,
): StageResult & { readonly evidence: QualityEvidence } {
  const columns = [...new Set([...roles.features, roles.score])].filter(
    (c) => c in reference || c in current,
  );
  const pickCols = (t: Table) => Object.fromEntries(columns.filter((c) => c in t).map((c) => [c, t[c]!]));
  const merged = { ...options.violations, ...violations };
  const findings = qualityChecks(pickCols(reference), pickCols(current), {
    ...options,
    violations: Object.fromEntries(Object.entries(merged).filter(([c]) => columns.includes(c))),
  });
  const alerts: QualityAlert[] = findings
    .filter((f) => f.alert)
    .map((f) => {
      const d = describe(f, reference, options);
      return {
        column: f.column,
        check: f.check,
        value: finiteOrNull(f.value) ?? 1,
        threshold: f.threshold,
        excess: finiteOrNull(d.excess) ?? 1,
        text: d.text,
      };
    })
    .sort((a, b) => b.excess - a.excess);
  const features = [...new Set(alerts.map((a) => a.column))];
  const absent = [...new Set([...roles.features, roles.score])].filter((c) => !columns.includes(c));
  const evidence: QualityEvidence = { columns, alerts, checked: findings.length };
  if (alerts.length === 0) {
    return {
      stage: 'quality',
      verdict: columns.length === 0 ? 'inconclusive' : 'pass',
      summary:
        columns.length === 0
          ? `none of the feature or score columns is in either window (${names(absent)})`
          : `no quality problem in ${columns.length} columns`,
      features: [],
      evidence,
    };
  }
  const more = alerts.length > 1 ? `; ${alerts.length - 1} more finding${alerts.length > 2 ? 's' : ''}` : '';
  return {
    stage: 'quality',
    verdict: 'fail',
    summary: `${alerts[0]!.text}${more}`,
    features,
    evidence,
  };
}
