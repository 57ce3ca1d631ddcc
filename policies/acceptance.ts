// Offline acceptance gates: does the retrained model's training run meet the
// policy's `training.accept` list? Absolute bounds (min/max) and bounds
// relative to the champion's own training run (notWorseThan: champion, with a
// tolerance). Pure, so the verdict and its reasons can be recorded and replayed.
import type { Policy } from './schema/policy.ts';

export type AcceptanceGate = NonNullable<Policy['training']>['accept'][number];

export interface GateResult {
  readonly metric: string;
  readonly passed: boolean;
  readonly value: number | null;
  /** In words: "val_precision 0.934 ≥ 0.92", "val_recall 0.71 < champion 0.78 − 0.01". */
  readonly explanation: string;
}

export interface AcceptanceVerdict {
  readonly accepted: boolean;
  readonly gates: readonly GateResult[];
  /** One line: which gates failed, or that all passed. */
  readonly summary: string;
}

const fmt = (x: number) => (Number.isInteger(x) ? String(x) : String(Number(x.toPrecision(6))));

/** MLflow stores ±Infinity as ±MAX_VALUE; such a value, NaN or a missing one never passes. */
function usable(value: number | undefined): value is number {
  return value !== undefined && Number.isFinite(value) && Math.abs(value) !== Number.MAX_VALUE;
}

export function checkAcceptance(
  gates: readonly AcceptanceGate[],
  candidate: Readonly<Record<string, number>>,
  champion: Readonly<Record<string, number>> | undefined,
): AcceptanceVerdict {
  const results = gates.map((gate): GateResult => {
    const value = candidate[gate.metric];
    if (!usable(value)) {
      return {
        metric: gate.metric,
        passed: false,
        value: null,
        explanation:
          value === undefined
            ? `${gate.metric} was not logged on the training run`
            : `${gate.metric} is not a finite number (${value})`,
      };
    }
    const reasons: string[] = [];
    let passed = true;
    if (gate.min !== undefined) {
      const ok = value >= gate.min;
      passed &&= ok;
      reasons.push(`${gate.metric} ${fmt(value)} ${ok ? '≥' : '<'} ${fmt(gate.min)}`);
    }
    if (gate.max !== undefined) {
      const ok = value <= gate.max;
      passed &&= ok;
      reasons.push(`${gate.metric} ${fmt(value)} ${ok ? '≤' : '>'} ${fmt(gate.max)}`);
    }
    if (gate.notWorseThan === 'champion') {
      const reference = champion?.[gate.metric];
      if (champion === undefined) {
        reasons.push(`no champion yet to compare ${gate.metric} with`);
      } else if (!usable(reference)) {
        reasons.push(`the champion's training run has no usable ${gate.metric}: not compared`);
      } else if (gate.higherIsBetter) {
        const bound = reference - gate.tolerance;
        const ok = value >= bound;
        passed &&= ok;
        reasons.push(
          `${gate.metric} ${fmt(value)} ${ok ? '≥' : '<'} champion ${fmt(reference)} − ${fmt(gate.tolerance)}`,
        );
      } else {
        const bound = reference + gate.tolerance;
        const ok = value <= bound;
        passed &&= ok;
        reasons.push(
          `${gate.metric} ${fmt(value)} ${ok ? '≤' : '>'} champion ${fmt(reference)} + ${fmt(gate.tolerance)}`,
        );
      }
    }
    return { metric: gate.metric, passed, value, explanation: reasons.join('; ') };
  });
  const failed = results.filter((r) => !r.passed);
  return {
    accepted: failed.length === 0,
    gates: results,
    summary:
      results.length === 0
        ? 'no acceptance gates'
        : failed.length === 0
          ? `all ${results.length} acceptance gate(s) passed`
          : `rejected: ${failed.map((f) => f.explanation).join('; ')}`,
  };
}
