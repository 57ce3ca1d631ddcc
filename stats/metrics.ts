// Realised classification metrics, for windows whose labels have arrived and
// for the reference chunks that set CBPE's thresholds. Binary metrics use the
// positive class 1; multiclass ones are macro averages over classes. Undefined
// ratios (no predicted positives for precision, …) are NaN here and become
// *inconclusive* where a verdict is taken.

import { StatsInputError } from './errors.ts';

export const METRICS = ['accuracy', 'precision', 'recall', 'f1', 'roc_auc'] as const;
export type MetricName = (typeof METRICS)[number];

function check(n: number, m: number): void {
  if (n === 0) throw new StatsInputError('empty-window', 'no rows to score.');
  if (n !== m) throw new StatsInputError('type-mismatch', 'labels and predictions differ in length.');
}

/**
 * Binary metrics from labels (0/1), predicted labels (0/1) and scores.
 *
 * @example
 * const m = binaryMetrics([1, 0, 1, 1, 0], [1, 0, 0, 1, 1], [0.9, 0.2, 0.4, 0.8, 0.6]);
 * m.accuracy; // 0.6
 * m.precision; // 0.6666666666666666
 * m.roc_auc; // 0.8333333333333334
 */
export function binaryMetrics(
  labels: ArrayLike<number>,
  predicted: ArrayLike<number>,
  scores?: ArrayLike<number>,
): Record<MetricName, number> {
  check(labels.length, predicted.length);
  let tp = 0;
  let fp = 0;
  let fn = 0;
  let tn = 0;
  for (let i = 0; i < labels.length; i++) {
    const y = labels[i] === 1;
    const p = predicted[i] === 1;
    if (y && p) tp++;
    else if (!y && p) fp++;
    else if (y && !p) fn++;
    else tn++;
  }
  return {
    accuracy: (tp + tn) / labels.length,
    precision: tp / (tp + fp),
    recall: tp / (tp + fn),
    f1: (2 * tp) / (2 * tp + fp + fn),
    roc_auc: scores ? rocAuc(labels, scores) : Number.NaN,
  };
}

/**
 * ROC AUC by the Mann–Whitney statistic with midranks for tied scores
 * (equal to scikit-learn's roc_auc_score); NaN when one class is absent.
 */
export function rocAuc(labels: ArrayLike<number>, scores: ArrayLike<number>): number {
  const n = labels.length;
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => scores[a]! - scores[b]!);
  let rankSumPos = 0;
  let nPos = 0;
  let i = 0;
  while (i < n) {
    let j = i;
    while (j + 1 < n && scores[order[j + 1]!] === scores[order[i]!]) j++;
    const rank = (i + j) / 2 + 1;
    for (let k = i; k <= j; k++) {
      if (labels[order[k]!] === 1) {
        rankSumPos += rank;
        nPos++;
      }
    }
    i = j + 1;
  }
  const nNeg = n - nPos;
  if (nPos === 0 || nNeg === 0) return Number.NaN;
  return (rankSumPos - (nPos * (nPos + 1)) / 2) / (nPos * nNeg);
}

/**
 * Macro-averaged multiclass metrics; `probabilities[i][k]` is the score of
 * class k for row i (for ROC AUC, one-vs-rest per class).
 */
export function multiclassMetrics(
  labels: ArrayLike<number>,
  predicted: ArrayLike<number>,
  probabilities?: readonly ArrayLike<number>[],
  classes?: readonly number[],
): Record<MetricName, number> {
  check(labels.length, predicted.length);
  const ks = classes ?? [...new Set([...Array.from(labels), ...Array.from(predicted)])].sort((a, b) => a - b);
  let correct = 0;
  for (let i = 0; i < labels.length; i++) if (labels[i] === predicted[i]) correct++;
  const per = ks.map((k, ki) =>
    binaryMetrics(
      Array.from(labels, (y) => (y === k ? 1 : 0)),
      Array.from(predicted, (p) => (p === k ? 1 : 0)),
      probabilities ? probabilities.map((row) => row[ki]!) : undefined,
    ),
  );
  const mean = (m: MetricName) => per.reduce((s, r) => s + r[m], 0) / per.length;
  return {
    accuracy: correct / labels.length,
    precision: mean('precision'),
    recall: mean('recall'),
    f1: mean('f1'),
    roc_auc: probabilities ? mean('roc_auc') : Number.NaN,
  };
}
