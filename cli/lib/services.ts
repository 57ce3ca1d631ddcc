// The outside systems a verb talks to, from the same configuration the worker
// reads (the environment). A service that cannot be reached is the user's to
// fix (exit 2), with what to start or which variable to set.
import type { Client, Connection } from '@temporalio/client';
import type { Clients } from '../../workers/clients.ts';
import { type Config, ConfigError, loadConfig } from '../../workers/config.ts';
import { describeTemporalConnection, temporalConnectionOptions } from '../../workers/temporal-connection.ts';
import { UserError } from './errors.ts';
import type { Io } from './io.ts';

export function configFrom(io: Io): Config {
  try {
    return loadConfig(io.env as NodeJS.ProcessEnv);
  } catch (error) {
    if (error instanceof ConfigError)
      throw new UserError(error.message, 'fix the variable, or unset it to use the local stack');
    throw error;
  }
}

export async function connectTemporal(config: Config): Promise<{ client: Client; close(): Promise<void> }> {
  // Loaded here, not at the top: the gRPC stack only for the verbs that use it.
  const { Client, Connection } = await import('@temporalio/client');
  let connection: Connection;
  try {
    connection = await Connection.connect({
      ...temporalConnectionOptions(config.temporal),
      connectTimeout: 5000,
    });
    await connection.workflowService.getSystemInfo({});
  } catch (error) {
    throw temporalUnreachable(config, describeTemporalConnection(config.temporal), error);
  }
  return {
    client: new Client({ connection, namespace: config.temporal.namespace }),
    close: () => connection.close(),
  };
}

/** Temporal could not be reached at `where`: what to start or which variable to check. */
export function temporalUnreachable(config: Config, where: string, error: unknown): UserError {
  return new UserError(
    `cannot reach Temporal at ${where}: ${(error as Error).message.split('\n')[0]}`,
    config.temporal.external
      ? 'check TEMPORAL_ADDRESS (and TEMPORAL_HTTP_URL), or unset them and run `npm start`'
      : 'start the local stack with `npm start` (or set TEMPORAL_ADDRESS)',
  );
}

/** Runs `fn` with the clients of MLflow, S3 and PostgreSQL, closing them afterwards. */
export async function withClients<T>(config: Config, fn: (clients: Clients) => Promise<T>): Promise<T> {
  // Loaded here, not at the top: the S3, PostgreSQL and MLflow clients only for the verbs that use them.
  const { createClients } = await import('../../workers/clients.ts');
  const clients = createClients(config);
  try {
    return await fn(clients);
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (
      code === 'ECONNREFUSED' &&
      /5432|postgres/i.test(String((error as Error).message) + config.postgres.url)
    ) {
      throw new UserError(
        `cannot reach PostgreSQL at ${config.postgres.url.replace(/:[^:@/]*@/, ':***@')}`,
        'start the local stack with `npm start` (or set DATABASE_URL)',
      );
    }
    throw error;
  } finally {
    await clients.close();
  }
}

/** "24h" (ago), or an ISO 8601 time. */
export function parseTime(text: string, now = new Date()): Date {
  const relative = /^(\d+)(s|m|h|d|w)$/.exec(text.trim());
  if (relative) {
    const unit = { s: 1e3, m: 6e4, h: 3.6e6, d: 8.64e7, w: 6.048e8 }[relative[2] as 's'];
    return new Date(now.getTime() - Number(relative[1]) * unit);
  }
  const at = new Date(text);
  if (Number.isNaN(at.getTime())) {
    throw new UserError(
      `not a time: ${JSON.stringify(text)}`,
      'give an ISO 8601 time (2026-11-21T10:00:00Z) or an age such as 24h or 7d',
    );
  }
  return at;
}
