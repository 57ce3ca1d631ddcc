// Stage 1 — is the evaluation itself valid? A performance number from 40
// labels, from 2 % of the traffic, or from labels that arrive a week late is
// not a signal to act on. Checks: enough labelled current rows, a large
// enough share labelled, a fresh enough median label lag (when the lag
// column and a limit are given), and a reference with enough labels.

import { quantileSorted } from '../binning.ts';
import type { Table } from '../columns.ts';
import { sortFloat64 } from '../sort.ts';
import { DEFAULT_THRESHOLDS } from './defaults.ts';
import { finiteOrNull, num, pct } from './format.ts';
import { labelsOf, numbersOf, rowCount, usableRows } from './rows.ts';
import type { DiagnosisRoles, StageResult, ValidityThresholds } from './types.ts';

export type ValidityCheckName = 'volume' | 'share' | 'lag' | 'reference';

export type ValidityCheck = {
  readonly check: ValidityCheckName;
  readonly value: number | null;
  readonly limit: number;
  /** null: could not be checked (the lag column holds no values). */
  readonly ok: boolean | null;
};

export type ValidityEvidence = {
  readonly labelColumn: string;
  readonly present: boolean;
  readonly currentRows: number;
  readonly labelled: number;
  readonly share: number | null;
  readonly referenceRows: number;
  readonly referenceLabelled: number;
  readonly invalidLabels: number;
  readonly medianLabelLagSeconds: number | null;
  readonly checks: readonly ValidityCheck[];
};

function duration(seconds: number): string {
  if (seconds < 120) return `${num(seconds)} s`;
  if (seconds < 7200) return `${num(seconds / 60)} min`;
  if (seconds < 172800) return `${num(seconds / 3600)} h`;
  return `${num(seconds / 86400)} d`;
}

/**
 * Whether the labels behind the performance metric can be trusted: fail
 * when too few, too small a share, too late, or the reference too thinly
 * labelled; inconclusive when there is no label column.
 *
 * @example
 * const y = (...v) => ({ kind: 'numeric', values: Float64Array.from(v) });
 * const r = validityStage({ y: y(0, 1, 1, 0) }, { y: y(1, Number.NaN, Number.NaN, 0) }, { features: [], score: 's', label: 'y' }, { minLabelled: 2, minLabelShare: 0.6 });
 * r.verdict; // 'fail'
 * r.summary; // 'only 50.0 % of current rows labelled (need 60.0 %)'
 */
export function validityStage(
  reference: Table,
  current: Table,
  roles: DiagnosisRoles,
  thresholds: ValidityThresholds = DEFAULT_THRESHOLDS.validity,
): StageResult & { readonly evidence: ValidityEvidence } {
  const cur = labelsOf(current[roles.label]);
  const ref = labelsOf(reference[roles.label]);
  const currentRows = rowCount(current);
  const referenceRows = rowCount(reference);
  const base = {
    labelColumn: roles.label,
    currentRows,
    referenceRows,
  };
  if (!cur || !ref) {
    const where = !cur && !ref ? 'either window' : !cur ? 'the current window' : 'the reference';
    return {
      stage: 'validity',
      verdict: 'inconclusive',
      summary: `no label column '${roles.label}' in ${where}: performance cannot be checked`,
      features: [],
      evidence: {
        ...base,
        present: false,
        labelled: 0,
        share: null,
        referenceLabelled: 0,
        invalidLabels: 0,
        medianLabelLagSeconds: null,
        checks: [],
      },
    };
  }
  const labelledRows = usableRows(cur.values);
  const labelled = labelledRows.length;
  const referenceLabelled = usableRows(ref.values).length;
  const share = currentRows === 0 ? 0 : labelled / currentRows;
  const checks: ValidityCheck[] = [
    {
      check: 'volume',
      value: labelled,
      limit: thresholds.minLabelled,
      ok: labelled >= thresholds.minLabelled,
    },
    { check: 'share', value: share, limit: thresholds.minLabelShare, ok: share >= thresholds.minLabelShare },
    {
      check: 'reference',
      value: referenceLabelled,
      limit: thresholds.minLabelled,
      ok: referenceLabelled >= thresholds.minLabelled,
    },
  ];
  let median: number | null = null;
  const lagColumn = roles.labelLag;
  if (lagColumn !== undefined) {
    const lags = numbersOf(current[lagColumn]);
    const present = lags ? labelledRows.map((i) => lags[i]!).filter(Number.isFinite) : [];
    median = present.length ? quantileSorted(sortFloat64(present), 0.5) : null;
    if (thresholds.maxLabelLagSeconds !== undefined) {
      checks.push({
        check: 'lag',
        value: median,
        limit: thresholds.maxLabelLagSeconds,
        ok: median === null ? null : median <= thresholds.maxLabelLagSeconds,
      });
    }
  }
  const failed = checks.filter((c) => c.ok === false);
  const unchecked = checks.filter((c) => c.ok === null);
  const words: Record<ValidityCheckName, () => string> = {
    volume: () => `only ${labelled} of ${currentRows} current rows labelled (need ${thresholds.minLabelled})`,
    share: () => `only ${pct(share)} of current rows labelled (need ${pct(thresholds.minLabelShare)})`,
    reference: () =>
      `the reference has only ${referenceLabelled} labelled rows (need ${thresholds.minLabelled})`,
    lag: () =>
      median === null
        ? `no label lag in '${lagColumn}' on the labelled rows`
        : `median label lag ${duration(median)} (limit ${duration(thresholds.maxLabelLagSeconds ?? 0)})`,
  };
  const verdict = failed.length ? 'fail' : unchecked.length ? 'inconclusive' : 'pass';
  const summary =
    verdict === 'pass'
      ? `${labelled} of ${currentRows} current rows labelled (${pct(share)}), reference ${referenceLabelled} labelled${median === null ? '' : `, median label lag ${duration(median)}`}`
      : (failed.length ? failed : unchecked).map((c) => words[c.check]()).join('; ');
  const features = [
    ...new Set(failed.map((c) => (c.check === 'lag' ? (lagColumn ?? roles.label) : roles.label))),
  ];
  return {
    stage: 'validity',
    verdict,
    summary,
    features,
    evidence: {
      ...base,
      present: true,
      labelled,
      share: finiteOrNull(share),
      referenceLabelled,
      invalidLabels: cur.invalid,
      medianLabelLagSeconds: finiteOrNull(median),
      checks,
    },
  };
}
