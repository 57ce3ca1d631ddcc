// PGlite served over the wire protocol, as the local stack runs it on a
// machine without PostgreSQL (CTPILOT_POSTGRES_ENGINE=pglite): the tests that
// check our SQL on both engines start one of their own.
import { startScratchStack } from './scratch-stack.ts';

export async function startPgliteServer(): Promise<{ url: string; close(): Promise<void> }> {
  const stack = await startScratchStack(['postgres'], { env: { CTPILOT_POSTGRES_ENGINE: 'pglite' } });
  return { url: stack.config.postgres.url, close: () => stack.remove() };
}
