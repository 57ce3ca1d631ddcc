// What integration tests share: the configuration of the test stack (see
// test-stack.ts), and names that cannot collide between tests or runs.
import { randomBytes } from 'node:crypto';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { type Config, loadConfig } from '../../workers/config.ts';

/** The test stack's configuration; fails clearly when a test file is run on its own without services. */
export function testConfig(): Config {
  if (!process.env.CTPILOT_TEST_STACK) {
    throw new Error('integration tests need the test stack: run them with `npm test -- <file filter>`');
  }
  return loadConfig(process.env);
}

/** A name unique to this test run, e.g. `exp-3f9a1c2b`. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${randomBytes(4).toString('hex')}`;
}

let runtimeInstalled = false;

/** Temporal's runtime with warnings and errors only: test output stays readable. Call before creating workers. */
export function quietTemporalRuntime(): void {
  if (runtimeInstalled) return;
  Runtime.install({ logger: new DefaultLogger('WARN'), shutdownSignals: [] });
  runtimeInstalled = true;
}

/** The test stack's PostgreSQL as its owner (a superuser): what an insider with the database's credentials holds. */
export function adminDatabaseUrl(): string {
  return process.env.CTPILOT_TEST_ADMIN_DATABASE_URL ?? testConfig().postgres.adminUrl;
}
