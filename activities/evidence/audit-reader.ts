// Reads of the audit history that AuditStore.rows does not serve: one
// policy's decisions newest first (`ctpilot history` wants the latest N of a
// long history, not the oldest), with the same row shape as the store.
import type pg from 'pg';
import type { AuditRow } from '../audit/chain.ts';

interface DbRow {
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
}

const COLUMNS =
  'seq, model, model_seq, recorded_at, policy, policy_version, workflow_id, workflow_run, mlflow_run_id, step, kind, outcome, content, prev_hash, hash';

function toRow(db: DbRow): AuditRow {
  let parsed: { inputs?: unknown; details?: unknown } = {};
  try {
    parsed = JSON.parse(db.content);
  } catch {
    // Not JSON: an altered row, which verification reports; its columns still show.
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
  };
}

export interface DecisionQuery {
  readonly policy: string;
  readonly since?: Date;
  readonly until?: Date;
  /** Only decisions with these outcomes. */
  readonly outcomes?: readonly string[];
  /** The latest this many (default 50). */
  readonly limit?: number;
}

/** The policy's latest evaluation rows, returned oldest first. */
export async function latestDecisions(pool: pg.Pool, query: DecisionQuery): Promise<AuditRow[]> {
  const params: unknown[] = [query.policy];
  const where = ['policy = $1', "kind = 'evaluation'"];
  if (query.since) {
    params.push(query.since);
    where.push(`recorded_at >= $${params.length}`);
  }
  if (query.until) {
    params.push(query.until);
    where.push(`recorded_at < $${params.length}`);
  }
  if (query.outcomes && query.outcomes.length > 0) {
    params.push([...query.outcomes]);
    where.push(`outcome = ANY($${params.length}::text[])`);
  }
  params.push(Math.max(1, Math.floor(query.limit ?? 50)));
  const result = await pool.query<DbRow>(
    `SELECT ${COLUMNS} FROM ctpilot.audit_log WHERE ${where.join(' AND ')}
     ORDER BY recorded_at DESC, seq DESC LIMIT $${params.length}`,
    params,
  );
  return result.rows.map(toRow).reverse();
}

/** Whether any audit row names the policy (to tell "no decisions yet" from "no such policy"). */
export async function policyKnown(pool: pg.Pool, policy: string): Promise<boolean> {
  const result = await pool.query('SELECT 1 FROM ctpilot.audit_log WHERE policy = $1 LIMIT 1', [policy]);
  return (result.rowCount ?? 0) > 0;
}
