// The PostgreSQL connection pool. The same code serves a real server and the
// local PGlite (over pglite-socket), which accepts several connections but
// runs their statements one transaction at a time: keep transactions short.
import pg from 'pg';

export type Pool = pg.Pool;
export type PoolClient = pg.PoolClient;

export interface PoolOptions {
  readonly max?: number;
  readonly applicationName?: string;
  /** Longest a statement may run on the server (default 60 s). */
  readonly statementTimeoutMs?: number;
  /** Called when an idle connection breaks (server restart); the pool replaces it. */
  readonly onIdleError?: (error: Error) => void;
}

export function createPool(url: string, options: PoolOptions = {}): pg.Pool {
  const pool = new pg.Pool({
    connectionString: url,
    max: options.max ?? 8,
    application_name: options.applicationName ?? 'ctpilot',
    connectionTimeoutMillis: 10_000,
    idleTimeoutMillis: 30_000,
    // A stalled server or a lock held for ever ends the statement with an
    // error the activity retries, long before its own timeout. (PGlite does
    // not apply it: there a statement is bounded by the activity.)
    statement_timeout: options.statementTimeoutMs ?? 60_000,
  });
  // Without a listener, an idle client's error (the server went away)
  // would be an uncaught exception and take the worker down.
  pool.on('error', (error) => options.onIdleError?.(error));
  return pool;
}

/** Runs `fn` in a transaction on one connection: COMMIT on success, ROLLBACK on error. */
export async function inTransaction<T>(pool: pg.Pool, fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const result = await fn(client);
    await client.query('COMMIT');
    return result;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => {});
    throw error;
  } finally {
    client.release();
  }
}
