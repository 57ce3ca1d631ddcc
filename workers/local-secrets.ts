// Secrets the local stack generates for itself when none is configured: kept
// in the home (CTPILOT_HOME, mode 0600), made once, the same on every start.
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { ensureLocalAuditKey } from '../activities/audit/keys.ts';
import { LOCAL_POSTGRES_ADMIN_PASSWORD, LOCAL_POSTGRES_WORKER_PASSWORD } from './config.ts';

/** The deploy-hook secret the worker exports as CTPILOT_DEPLOY_HOOK_SECRET when it is unset. */
export const DEPLOY_HOOK_SECRET_FILE = 'deploy-hook-secret';

/** The secret in `<home>/<name>`, generated on first use; `where` is the file, for messages. */
export function homeSecret(home: string, name: string): { value: string; where: string } {
  const file = join(home, name);
  if (!existsSync(file)) {
    mkdirSync(home, { recursive: true });
    try {
      writeFileSync(file, `${randomBytes(24).toString('hex')}\n`, { mode: 0o600, flag: 'wx' });
    } catch (error) {
      // Another process made it first: use theirs.
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
  }
  return { value: readFileSync(file, 'utf8').trim(), where: relative(process.cwd(), file) || file };
}

/** The secret in `<home>/<name>` if one was generated, else undefined. */
export function existingHomeSecret(home: string, name: string): string | undefined {
  const file = join(home, name);
  return existsSync(file) ? readFileSync(file, 'utf8').trim() : undefined;
}

/**
 * Everything the local stack keeps in its home and makes once: the audit
 * signing key pair and the local PostgreSQL's passwords (the owner's and the
 * worker role's). Called before the configuration is read, by `npm start`,
 * `npm run stack` and the test stacks.
 */
export function ensureLocalSecrets(home: string): void {
  ensureLocalAuditKey(home);
  homeSecret(home, LOCAL_POSTGRES_ADMIN_PASSWORD);
  homeSecret(home, LOCAL_POSTGRES_WORKER_PASSWORD);
}
