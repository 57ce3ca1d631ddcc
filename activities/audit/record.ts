// Workflow steps into the audit history: the activity the retraining and
// controller workflows call for every step that is not an evaluation.
import type { AuditEntry } from './chain.ts';
import type { AuditStore } from './store.ts';

export function createAuditActivities({ audit }: { audit: AuditStore }) {
  return {
    /** Appends one step; a retry of the same (workflow id, step) returns the row already written. */
    async recordAudit(entry: AuditEntry): Promise<{ modelSeq: number; hash: string; duplicate: boolean }> {
      const { row, duplicate } = await audit.append(entry);
      return { modelSeq: row.modelSeq, hash: row.hash, duplicate };
    },
  };
}
