// What a worker checks about the audit history before it writes to it: that
// a configured signing key can be used (a worker that cannot sign must not
// write rows that look unsigned on purpose), and that the checkpoint bucket
// exists with the strongest protection the store offers. Shared by
// `npm start` and `npm run worker`.
import type { BucketProtection } from '../activities/s3/client.ts';
import type { Clients } from './clients.ts';
import type { Config } from './config.ts';

export class AuditSetupError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AuditSetupError';
  }
}

export interface AuditSetup {
  readonly keyId?: string;
  readonly protection: BucketProtection;
  /** One line for the start-up output. */
  readonly line: string;
}

export async function prepareAudit(config: Config, clients: Clients): Promise<AuditSetup> {
  if (clients.auditKeys.problems.length > 0)
    throw new AuditSetupError(`the audit keys cannot be used: ${clients.auditKeys.problems.join('; ')}`);
  const protection = await clients.store.ensureProtectedBucket(
    config.audit.bucket,
    config.audit.retentionDays,
  );
  const keyId = clients.auditKeys.signer?.keyId;
  const line = keyId
    ? `audit rows signed with key ${keyId}; checkpoints in s3://${config.audit.bucket} (${protection.detail})`
    : `audit rows are NOT signed (no CTPILOT_AUDIT_SIGNING_KEY): an insider with database rights could rewrite them undetected; checkpoints in s3://${config.audit.bucket} (${protection.detail})`;
  return { ...(keyId ? { keyId } : {}), protection, line };
}
