// Reads of the audit history that AuditStore.rows does not serve: one
// policy's decisions newest first (`ctpilot history` wants the latest N of a
// long history, not the oldest), through the store's row mapping.
import type pg from 'pg';
import type { AuditRow } from '../audit/chain.ts';
import { AUDIT_COLUMNS, type AuditDbRow, auditRowFrom } from '../audit/row.ts';

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
  const result = await pool.query<AuditDbRow>(
    `SELECT ${AUDIT_COLUMNS} FROM ctpilot.audit_log WHERE ${where.join(' AND ')}
     ORDER BY recorded_at DESC, seq DESC LIMIT $${params.length}`,
    params,
  );
  return result.rows.map(auditRowFrom).reverse();
}

/** Whether any audit row names the policy (to tell "no decisions yet" from "no such policy"). */
export async function policyKnown(pool: pg.Pool, policy: string): Promise<boolean> {
  const result = await pool.query('SELECT 1 FROM ctpilot.audit_log WHERE policy = $1 LIMIT 1', [policy]);
  return (result.rowCount ?? 0) > 0;
}
