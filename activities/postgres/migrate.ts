// Versioned SQL migrations from infra/migrations/ (NNNN_name.sql), each
// applied once, in order, recorded with its checksum in
// <schema>.schema_migrations (schema `ctpilot`). Every start calls this; concurrent starts
// serialise on a transaction-level advisory lock and the later ones find
// nothing to do. All pending files apply in one transaction: all or none.
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type pg from 'pg';
import { PROJECT_ROOT } from '../../workers/config.ts';
import { inTransaction } from './pool.ts';

export const MIGRATIONS_DIR = join(PROJECT_ROOT, 'infra', 'migrations');

export interface Migration {
  readonly version: string;
  readonly name: string;
  readonly sql: string;
  readonly checksum: string;
}

/** Thrown when an applied migration's file changed afterwards: fix by adding a new migration instead. */
export class MigrationChangedError extends Error {
  constructor(readonly version: string) {
    super(
      `migration ${version} was changed after it was applied; ` +
        'restore the original file and put the change in a new migration',
    );
    this.name = 'MigrationChangedError';
  }
}

export function readMigrations(dir = MIGRATIONS_DIR): Migration[] {
  return readdirSync(dir)
    .filter((file) => /^\d{4}_[a-z0-9_]+\.sql$/.test(file))
    .sort()
    .map((file) => toMigration(file.slice(0, 4), file.slice(5, -4), readFileSync(join(dir, file), 'utf8')));
}

export function toMigration(version: string, name: string, sql: string): Migration {
  return { version, name, sql, checksum: createHash('sha256').update(sql).digest('hex') };
}

export interface MigrateOptions {
  readonly migrations?: readonly Migration[];
  /** Schema holding the bookkeeping table (and the lock's name); tests use their own. */
  readonly schema?: string;
}

/**
 * True when the ledger shows every migration applied, read without any DDL:
 * a worker running as a role that may only read and append (ctpilot_app)
 * starts without the right to create a schema. Undefined when the ledger
 * cannot be read (missing, or not readable): the full path decides.
 */
async function allApplied(
  pool: pg.Pool,
  schema: string,
  migrations: readonly Migration[],
): Promise<boolean | undefined> {
  try {
    const exists = await pool.query<{ t: string | null }>('SELECT to_regclass($1)::text AS t', [
      `${schema}.schema_migrations`,
    ]);
    if (!exists.rows[0]?.t) return undefined;
    const rows = await pool.query<{ version: string; checksum: string }>(
      `SELECT version, checksum FROM ${schema}.schema_migrations`,
    );
    const applied = new Map(rows.rows.map((row) => [row.version, row.checksum]));
    for (const m of migrations) {
      const checksum = applied.get(m.version);
      if (checksum === undefined) return false;
      if (checksum !== m.checksum) throw new MigrationChangedError(m.version);
    }
    return true;
  } catch (error) {
    if (error instanceof MigrationChangedError) throw error;
    return undefined;
  }
}

/** Applies the pending migrations; returns the versions it applied. */
export async function migrate(pool: pg.Pool, options: MigrateOptions = {}): Promise<string[]> {
  const migrations = options.migrations ?? readMigrations();
  const schema = options.schema ?? 'ctpilot';
  if (!/^[a-z_][a-z0-9_]*$/.test(schema)) throw new Error(`not a plain schema name: ${schema}`);
  if (await allApplied(pool, schema, migrations)) return [];
  return inTransaction(pool, async (client) => {
    // Every process migrating this schema takes the same lock; it is released at COMMIT.
    await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`ctpilot-migrations:${schema}`]);
    await client.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
    await client.query(`
      CREATE TABLE IF NOT EXISTS ${schema}.schema_migrations (
        version    text PRIMARY KEY,
        name       text NOT NULL,
        checksum   text NOT NULL,
        applied_at timestamptz NOT NULL DEFAULT now()
      )`);
    const rows = await client.query<{ version: string; checksum: string }>(
      `SELECT version, checksum FROM ${schema}.schema_migrations`,
    );
    const applied = new Map(rows.rows.map((row) => [row.version, row.checksum]));
    const done: string[] = [];
    for (const migration of migrations) {
      const checksum = applied.get(migration.version);
      if (checksum !== undefined) {
        if (checksum !== migration.checksum) throw new MigrationChangedError(migration.version);
        continue;
      }
      await client.query(migration.sql);
      await client.query(
        `INSERT INTO ${schema}.schema_migrations (version, name, checksum) VALUES ($1, $2, $3)`,
        [migration.version, migration.name, migration.checksum],
      );
      done.push(migration.version);
    }
    return done;
  });
}
