// The audit history in PostgreSQL (table ctpilot.audit_log, migration 0002).
// Appends are serialised per model by a transaction-level advisory lock, so
// two workflows of one model never fork its chain; a retried append of the
// same (workflow id, step) returns the row already written.
import type pg from 'pg';
import { inTransaction } from '../postgres/pool.ts';
import {
  type AuditEntry,
  type AuditRow,
  type ChainReport,
  chainHash,
  contentOf,
  GENESIS_HASH,
  type VerifyOptions,
  verifyChain,
} from './chain.ts';
import { AUDIT_COLUMNS, type AuditDbRow, auditRowFrom } from './row.ts';
import { type AuditSigner, rowMessage } from './signing.ts';

/**
 * The largest row content the history takes (1 MiB). A decision that big is
 * a policy out of bounds; refusing it fails that one evaluation with a
 * message naming the row, instead of filling PostgreSQL and Temporal.
 */
export const MAX_ROW_BYTES = 1024 * 1024;

export class AuditRowTooLargeError extends Error {
  constructor(entry: AuditEntry, bytes: number) {
    super(
      `audit row ${entry.kind} of ${entry.workflowId} step ${entry.step} is ${bytes} bytes, over the limit of ${MAX_ROW_BYTES}: the policy measures too much for one decision (docs/policies.md, "Limits")`,
    );
    this.name = 'AuditRowTooLargeError';
  }
}

export interface AppendResult {
  readonly row: AuditRow;
  /** True when this step was already recorded (a retry): nothing was written. */
  readonly duplicate: boolean;
}

export interface AuditQuery {
  readonly model?: string;
  readonly policy?: string;
  readonly workflowId?: string;
  readonly kind?: string;
  readonly since?: Date;
  readonly until?: Date;
  readonly limit?: number;
}

/** Told of every row appended (not of a retried one found again): the checkpointer hooks in here. */
export type AppendListener = (row: AuditRow) => void;

export class AuditStore {
  /**
   * @param signer signs each new row's hash; without one rows are written
   *   unsigned (and `audit verify` says so).
   */
  constructor(
    private readonly pool: pg.Pool,
    private readonly signer?: AuditSigner,
    private readonly onAppended?: AppendListener,
  ) {}

  /** The key new rows are signed with, if any. */
  get keyId(): string | undefined {
    return this.signer?.keyId;
  }

  async append(entry: AuditEntry): Promise<AppendResult> {
    const result = await inTransaction(this.pool, async (client): Promise<AppendResult> => {
      await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`ctpilot-audit:${entry.model}`]);
      const existing = await client.query<AuditDbRow>(
        `SELECT ${AUDIT_COLUMNS} FROM ctpilot.audit_log WHERE workflow_id = $1 AND step = $2`,
        [entry.workflowId, entry.step],
      );
      if (existing.rows[0]) return { row: auditRowFrom(existing.rows[0]), duplicate: true };

      const last = await client.query<{ model_seq: string; hash: string }>(
        'SELECT model_seq, hash FROM ctpilot.audit_log WHERE model = $1 ORDER BY model_seq DESC LIMIT 1',
        [entry.model],
      );
      const modelSeq = last.rows[0] ? Number(last.rows[0].model_seq) + 1 : 1;
      const prevHash = last.rows[0]?.hash ?? GENESIS_HASH;
      const content = contentOf(entry, modelSeq);
      if (content.length > MAX_ROW_BYTES) throw new AuditRowTooLargeError(entry, content.length);
      const hash = chainHash(prevHash, content);
      const signature = this.signer?.sign(rowMessage(hash)) ?? null;
      const inserted = await client.query<AuditDbRow>(
        `INSERT INTO ctpilot.audit_log
           (model, model_seq, recorded_at, policy, policy_version, workflow_id, workflow_run, mlflow_run_id,
            step, kind, outcome, content, prev_hash, hash, signature, key_id)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)
         RETURNING ${AUDIT_COLUMNS}`,
        [
          entry.model,
          modelSeq,
          entry.recordedAt,
          entry.policy,
          entry.policyVersion ?? null,
          entry.workflowId,
          entry.workflowRun ?? null,
          entry.mlflowRunId ?? null,
          entry.step,
          entry.kind,
          entry.outcome,
          content,
          prevHash,
          hash,
          signature,
          signature === null ? null : (this.signer?.keyId ?? null),
        ],
      );
      return { row: auditRowFrom(inserted.rows[0]!), duplicate: false };
    });
    if (!result.duplicate) this.onAppended?.(result.row);
    return result;
  }

  /** Rows matching the query, oldest first. */
  async rows(query: AuditQuery = {}): Promise<AuditRow[]> {
    const where: string[] = [];
    const params: unknown[] = [];
    const add = (sql: string, value: unknown) => {
      params.push(value);
      where.push(sql.replace('?', `$${params.length}`));
    };
    if (query.model) add('model = ?', query.model);
    if (query.policy) add('policy = ?', query.policy);
    if (query.workflowId) add('workflow_id = ?', query.workflowId);
    if (query.kind) add('kind = ?', query.kind);
    if (query.since) add('recorded_at >= ?', query.since);
    if (query.until) add('recorded_at < ?', query.until);
    const limit = query.limit ? `LIMIT ${Math.max(1, Math.floor(query.limit))}` : '';
    const result = await this.pool.query<AuditDbRow>(
      `SELECT ${AUDIT_COLUMNS} FROM ctpilot.audit_log ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY seq ${limit}`,
      params,
    );
    return result.rows.map(auditRowFrom);
  }

  /** The first signed position of a model's chain, or null when no row of it is signed. */
  async firstSigned(model: string): Promise<number | null> {
    const result = await this.pool.query<{ first: string | null }>(
      'SELECT min(model_seq) AS first FROM ctpilot.audit_log WHERE model = $1 AND signature IS NOT NULL',
      [model],
    );
    const first = result.rows[0]?.first;
    return first === null || first === undefined ? null : Number(first);
  }

  async models(): Promise<string[]> {
    const result = await this.pool.query<{ model: string }>(
      'SELECT DISTINCT model FROM ctpilot.audit_log ORDER BY model',
    );
    return result.rows.map((r) => r.model);
  }

  /** Verifies one model's chain, or every model's, from the table alone (anchors.ts adds what is kept elsewhere). */
  async verify(model?: string, options: VerifyOptions = {}): Promise<ChainReport[]> {
    const models = model ? [model] : await this.models();
    const reports: ChainReport[] = [];
    for (const name of models) reports.push(verifyChain(name, await this.rows({ model: name }), options));
    return reports;
  }
}
