// Confidence-based performance estimation (CBPE, as in NannyML): estimate a
// classifier's accuracy, precision, recall, F1 and ROC AUC on a window whose
// labels have not arrived, from its predicted probabilities — after
// calibrating them on the reference period (isotonic regression), because
// the estimate is only as good as the probabilities are calibrated.
//
// Binary, with calibrated p_i = P(y_i = 1) and predictions ŷ_i:
//   E[TP] = Σ_{ŷ=1} p_i   E[FP] = Σ_{ŷ=1} (1 − p_i)
//   E[FN] = Σ_{ŷ=0} p_i   E[TN] = Σ_{ŷ=0} (1 − p_i)
// and each metric is formed from these expected counts. ROC AUC: the area
// under the expected ROC curve (rows by descending score; expected TPR and
// FPR are the cumulative shares of Σp and Σ(1 − p)), trapezoid rule.
// Multiclass: calibrate each class's score one-vs-rest, renormalise rows to
// sum to 1, predict the argmax; accuracy = mean p_{i,ŷ_i}; precision,
// recall, F1 and AUC are macro averages of the binary estimates per class.

import { StatsInputError } from './errors.ts';
import { fitIsotonic, type IsotonicModel, predictIsotonic } from './isotonic.ts';
import type { MetricName } from './metrics.ts';

export type Estimates = Record<MetricName, number>;

/** Expected-count estimates from calibrated probabilities and predicted labels. */
export function estimateBinary(
  calibrated: ArrayLike<number>,
  predicted: ArrayLike<number>,
  scores?: ArrayLike<number>,
): Estimates {
  const n = calibrated.length;
  if (n === 0) throw new StatsInputError('empty-window', 'no rows to estimate on.');
  let tp = 0;
  let fp = 0;
  let fn = 0;
  let tn = 0;
  for (let i = 0; i < n; i++) {
    const p = calibrated[i]!;
    if (predicted[i] === 1) {
      tp += p;
      fp += 1 - p;
    } else {
      fn += p;
      tn += 1 - p;
    }
  }
  return {
    accuracy: (tp + tn) / n,
    precision: tp / (tp + fp),
    recall: tp / (tp + fn),
    f1: (2 * tp) / (2 * tp + fp + fn),
    roc_auc: expectedAuc(calibrated, scores ?? calibrated),
  };
}

/**
 * Area under the expected ROC curve.
 *
 * @example
 * expectedAuc([0.9, 0.8, 0.3, 0.1], [0.9, 0.8, 0.3, 0.1]); // 0.8634085213032581
 */
export function expectedAuc(calibrated: ArrayLike<number>, scores: ArrayLike<number>): number {
  const n = calibrated.length;
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => scores[b]! - scores[a]!);
  let P = 0;
  let N = 0;
  for (let i = 0; i < n; i++) {
    P += calibrated[i]!;
    N += 1 - calibrated[i]!;
  }
  if (P === 0 || N === 0) return Number.NaN;
  let tp = 0;
  let area = 0;
  let i = 0;
  while (i < n) {
    // Rows with equal scores move the curve together (one diagonal segment).
    let dtp = 0;
    let dfp = 0;
    const s = scores[order[i]!]!;
    while (i < n && scores[order[i]!] === s) {
      dtp += calibrated[order[i]!]!;
      dfp += 1 - calibrated[order[i]!]!;
      i++;
    }
    area += ((dfp / N) * (tp + tp + dtp)) / P / 2;
    tp += dtp;
  }
  return area;
}

export interface CbpeModel {
  kind: 'binary' | 'multiclass';
  classes: number[];
  calibrators: IsotonicModel[];
  /** Binary decision threshold on the (uncalibrated) score. */
  threshold: number;
}

/**
 * Fits CBPE's calibration on a labelled reference period. Binary: `scores`
 * are P(class 1) per row. Multiclass: `scores[i]` is the row's vector of
 * class scores, in the order of `classes`.
 */
export function fitCbpe(
  labels: ArrayLike<number>,
  scores: ArrayLike<number> | readonly ArrayLike<number>[],
  options: { classes?: number[]; threshold?: number } = {},
): CbpeModel {
  if (labels.length === 0) throw new StatsInputError('empty-window', 'the reference period has no rows.');
  const first = (scores as ArrayLike<unknown>)[0];
  if (typeof first === 'number') {
    const s = scores as ArrayLike<number>;
    return {
      kind: 'binary',
      classes: [0, 1],
      calibrators: [fitIsotonic(s, labels)],
      threshold: options.threshold ?? 0.5,
    };
  }
  const rows = scores as readonly ArrayLike<number>[];
  const classes = options.classes ?? Array.from({ length: rows[0]!.length }, (_, k) => k);
  const calibrators = classes.map((c, k) =>
    fitIsotonic(
      rows.map((r) => r[k]!),
      Array.from(labels, (y) => (y === c ? 1 : 0)),
    ),
  );
  return { kind: 'multiclass', classes, calibrators, threshold: options.threshold ?? 0.5 };
}

/**
 * Estimated metrics for an unlabelled window.
 *
 * @example
 * const m = fitCbpe([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8]);
 * estimateCbpe(m, [0.1, 0.8, 0.9]).accuracy; // 1
 */
export function estimateCbpe(
  model: CbpeModel,
  scores: ArrayLike<number> | readonly ArrayLike<number>[],
): Estimates {
  if (model.kind === 'binary') {
    const s = scores as ArrayLike<number>;
    const cal = predictIsotonic(model.calibrators[0]!, s);
    const pred = Array.from(s, (v) => (v >= model.threshold ? 1 : 0));
    return estimateBinary(cal, pred, s);
  }
  const rows = scores as readonly ArrayLike<number>[];
  if (rows.length === 0) throw new StatsInputError('empty-window', 'no rows to estimate on.');
  const K = model.classes.length;
  const cal = model.calibrators.map((c, k) =>
    predictIsotonic(
      c,
      rows.map((r) => r[k]!),
    ),
  );
  const probs = rows.map((_, i) => {
    let s = 0;
    for (let k = 0; k < K; k++) s += cal[k]![i]!;
    return Array.from({ length: K }, (_, k) => (s > 0 ? cal[k]![i]! / s : 1 / K));
  });
  const pred = probs.map((p) => p.indexOf(Math.max(...p)));
  const accuracy = probs.reduce((a, p, i) => a + p[pred[i]!]!, 0) / rows.length;
  const per = model.classes.map((_, k) =>
    estimateBinary(
      probs.map((p) => p[k]!),
      pred.map((c) => (c === k ? 1 : 0)),
      probs.map((p) => p[k]!),
    ),
  );
  const mean = (m: MetricName) => per.reduce((s, r) => s + r[m], 0) / K;
  return {
    accuracy,
    precision: mean('precision'),
    recall: mean('recall'),
    f1: mean('f1'),
    roc_auc: mean('roc_auc'),
  };
}
