// Heads of the audit chains kept outside PostgreSQL, and what they prove.
// Two kinds:
//   - Temporal: every append returns the row's position and hash to the
//     workflow that made it (the evaluation's `audit`, recordAudit's result),
//     so the controllers' and retrains' histories hold them;
//   - checkpoints: the signed heads the worker writes to the artefact store
//     (checkpoints.ts).
// A chain must hold, at each anchored position, the row with that hash. A
// chain that ends before an anchor was cut short; a different hash means the
// rows up to it were rewritten; no chain at all means it was deleted.
// Pure: the anchors are read by the caller (cli/lib/audit-verify.ts).
import type { AuditRow, ChainProblem } from './chain.ts';

export interface Anchor {
  readonly modelSeq: number;
  readonly hash: string;
  readonly source: 'temporal' | 'checkpoint';
  /** Where it was found, for the message: a workflow run, a checkpoint object. */
  readonly where: string;
}

const HEX64 = /^[0-9a-f]{64}$/;

/**
 * Positions and hashes inside a decoded activity result: recordAudit's
 * `{ modelSeq, hash }`, an evaluation's `{ audit: { modelSeq, hash } }`.
 */
export function anchorsInResult(value: unknown): { modelSeq: number; hash: string }[] {
  const found: { modelSeq: number; hash: string }[] = [];
  const visit = (v: unknown, depth: number) => {
    if (depth > 3 || v === null || typeof v !== 'object') return;
    const o = v as Record<string, unknown>;
    if (typeof o.modelSeq === 'number' && typeof o.hash === 'string' && HEX64.test(o.hash))
      found.push({ modelSeq: o.modelSeq, hash: o.hash });
    if (!Array.isArray(v)) for (const key of ['audit', 'result']) if (key in o) visit(o[key], depth + 1);
  };
  visit(value, 0);
  return found;
}

/** What the anchors say about one model's rows (given by position). */
export function checkAnchors(
  model: string,
  rows: readonly AuditRow[],
  anchors: readonly Anchor[],
): ChainProblem[] {
  const byPosition = new Map(rows.map((r) => [r.modelSeq, r]));
  const head = rows.reduce((max, r) => Math.max(max, r.modelSeq), 0);
  const problems: ChainProblem[] = [];
  const seen = new Set<string>();
  // The furthest anchor first: one message for a cut-off end, not one per anchor past it.
  const sorted = [...anchors].sort((a, b) => b.modelSeq - a.modelSeq);
  let cutReported = false;
  for (const a of sorted) {
    const key = `${a.modelSeq}:${a.hash}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const row = byPosition.get(a.modelSeq);
    if (!row) {
      if (a.modelSeq > head) {
        if (cutReported) continue;
        cutReported = true;
        problems.push({
          kind: 'removed',
          model,
          modelSeq: a.modelSeq,
          message:
            rows.length === 0
              ? `the chain of model ${model} is gone: ${a.where} recorded its position ${a.modelSeq} (hash ${a.hash.slice(0, 16)}…)`
              : `the chain of model ${model} ends at position ${head}, but ${a.where} recorded position ${a.modelSeq} (hash ${a.hash.slice(0, 16)}…): rows were removed from the end`,
        });
      }
      // A missing middle position is reported by the chain check itself.
      continue;
    }
    if (row.hash !== a.hash)
      problems.push({
        kind: 'altered',
        model,
        seq: row.seq,
        modelSeq: a.modelSeq,
        message: `row seq ${row.seq} (position ${a.modelSeq} of model ${model}) has hash ${row.hash.slice(0, 16)}…, but ${a.where} recorded ${a.hash.slice(0, 16)}… there: the chain up to it was rewritten`,
      });
  }
  return problems;
}
