// How an audit row is read back from PostgreSQL: the columns, and the row
// they make. One mapping for every reader (the store, `ctpilot history`,
// the evidence pack), so each sees the signature and key of a signed row.
import type { AuditRow } from './chain.ts';

export interface AuditDbRow {
  seq: string;
  model: string;
  model_seq: string;
  recorded_at: Date;
  policy: string;
  policy_version: string | null;
  workflow_id: string;
  workflow_run: string | null;
  mlflow_run_id: string | null;
  step: string;
  kind: string;
  outcome: string;
  content: string;
  prev_hash: string;
  hash: string;
  signature: string | null;
  key_id: string | null;
}

export const AUDIT_COLUMNS =
  'seq, model, model_seq, recorded_at, policy, policy_version, workflow_id, workflow_run, mlflow_run_id, step, kind, outcome, content, prev_hash, hash, signature, key_id';

export function auditRowFrom(db: AuditDbRow): AuditRow {
  let parsed: { inputs?: unknown; details?: unknown } = {};
  try {
    parsed = JSON.parse(db.content);
  } catch {
    // A row whose content is not JSON is reported by verifyChain.
  }
  return {
    seq: Number(db.seq),
    model: db.model,
    modelSeq: Number(db.model_seq),
    recordedAt: db.recorded_at.toISOString(),
    policy: db.policy,
    policyVersion: db.policy_version ?? undefined,
    workflowId: db.workflow_id,
    workflowRun: db.workflow_run ?? undefined,
    mlflowRunId: db.mlflow_run_id ?? undefined,
    step: db.step,
    kind: db.kind,
    outcome: db.outcome,
    inputs: parsed.inputs ?? undefined,
    details: parsed.details ?? undefined,
    content: db.content,
    prevHash: db.prev_hash,
    hash: db.hash,
    ...(db.signature !== null ? { signature: db.signature } : {}),
    ...(db.key_id !== null ? { keyId: db.key_id } : {}),
  };
}
