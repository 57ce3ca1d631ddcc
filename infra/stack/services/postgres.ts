// PostgreSQL for the audit history, two ways:
//   - Debian's PostgreSQL (the bootstrap installs it when run as root): a
//     cluster of our own in the home, password authentication on loopback,
//     one session per connection. Once healthy, the schema is migrated as the
//     owner and the workers get a login role, ctpilot_worker, that is only a
//     member of ctpilot_app (read and append) — never a superuser;
//   - PGlite (PostgreSQL compiled to WASM) served over the wire protocol by
//     pglite-socket, for machines without it. Its multiplexer puts every
//     client on one shared session: a `SET ROLE` or `session_replication_role`
//     made by one reaches all, and everyone is the superuser. The start says so.
import { spawnSync } from 'node:child_process';
import {
  chmodSync,
  chownSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { migrate } from '../../../activities/postgres/migrate.ts';
import {
  type Config,
  LOCAL_POSTGRES_ADMIN_PASSWORD,
  LOCAL_POSTGRES_WORKER_PASSWORD,
  LOCAL_WORKER_ROLE,
} from '../../../workers/config.ts';
import { homeSecret } from '../../../workers/local-secrets.ts';
import type { LaunchSpec } from '../processes.ts';
import type { Service } from '../service.ts';

const require = createRequire(import.meta.url);

/** PostgreSQL refuses to run as root: as root, the cluster belongs to the package's `postgres` user. */
function clusterUser(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const id = (flag: string) =>
    Number(spawnSync('id', [flag, 'postgres'], { encoding: 'utf8' }).stdout.trim());
  const uid = id('-u');
  const gid = id('-g');
  if (!Number.isInteger(uid) || uid <= 0)
    throw new Error(
      'running as root, and there is no `postgres` user to run PostgreSQL as (apt-get install postgresql)',
    );
  return { uid, gid };
}

function preparePostgresql(config: Config): LaunchSpec {
  const bin = config.postgres.binDir!;
  const dir = join(config.home, 'postgresql');
  const data = join(dir, 'data');
  const user = clusterUser();
  mkdirSync(dir, { recursive: true });
  if (user) {
    chownSync(dir, user.uid, user.gid);
    // The cluster's user must reach its directory through the home: traverse (x), never list or read.
    const mode = statSync(config.home).mode & 0o777;
    if ((mode & 0o001) === 0) chmodSync(config.home, mode | 0o001);
  }
  if (!existsSync(join(data, 'PG_VERSION'))) {
    // The owner's password through a file the cluster's user can read, removed at once.
    const scratch = mkdtempSync(join(tmpdir(), 'ctpilot-initdb-'));
    const pwfile = join(scratch, 'pw');
    writeFileSync(pwfile, `${homeSecret(config.home, LOCAL_POSTGRES_ADMIN_PASSWORD).value}\n`, {
      mode: 0o600,
    });
    if (user) {
      chownSync(scratch, user.uid, user.gid);
      chownSync(pwfile, user.uid, user.gid);
    }
    try {
      const init = spawnSync(
        join(bin, 'initdb'),
        [
          '-D',
          data,
          '-U',
          'postgres',
          '--auth-host=scram-sha-256',
          '--auth-local=peer',
          `--pwfile=${pwfile}`,
          '--no-sync',
          '-E',
          'UTF8',
        ],
        { encoding: 'utf8', ...(user ? { uid: user.uid, gid: user.gid } : {}) },
      );
      if (init.status !== 0) throw new Error(`initdb failed: ${init.stderr || init.stdout}`);
    } finally {
      rmSync(scratch, { recursive: true, force: true });
    }
  }
  return {
    command: join(bin, 'postgres'),
    // Loopback only; the socket in the home, not /var/run (which may not exist or be ours).
    args: ['-D', data, '-p', String(config.postgres.port), '-h', '127.0.0.1', '-k', dir],
    ...(user ? { user } : {}),
  };
}

function preparePglite(config: Config): LaunchSpec {
  const dataDir = join(config.home, 'postgres');
  mkdirSync(dataDir, { recursive: true });
  const server = join(require.resolve('@electric-sql/pglite-socket'), '..', 'scripts', 'server.js');
  return {
    command: process.execPath,
    // The multiplexer serialises connections onto PGlite's single session;
    // without max-connections it would serve one client at a time and a pool
    // sees "Connection terminated unexpectedly".
    args: [
      server,
      `--db=${dataDir}`,
      `--port=${config.postgres.port}`,
      '--host=127.0.0.1',
      '--max-connections=32',
    ],
  };
}

async function answers(url: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2000 });
  try {
    await client.connect();
    await client.query('SELECT 1');
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => {});
  }
}

/**
 * The schema, migrated as the owner, and the workers' login role: a member
 * of ctpilot_app (created by migration 0002: SELECT and INSERT on the audit
 * history, nothing else), with its password from the home.
 */
async function setUpDatabase(config: Config): Promise<void> {
  const pool = new pg.Pool({ connectionString: config.postgres.adminUrl, max: 2 });
  try {
    await migrate(pool);
    const password = homeSecret(config.home, LOCAL_POSTGRES_WORKER_PASSWORD).value;
    const exists = await pool.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [LOCAL_WORKER_ROLE]);
    // The password is a literal in DDL (no parameters there): it is hex, generated here.
    if (!/^[0-9a-f]+$/.test(password))
      throw new Error('the local worker password is not hex; remove it from the home');
    if (exists.rowCount === 0)
      await pool.query(
        `CREATE ROLE ${LOCAL_WORKER_ROLE} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD '${password}' IN ROLE ctpilot_app`,
      );
    else await pool.query(`ALTER ROLE ${LOCAL_WORKER_ROLE} LOGIN NOSUPERUSER PASSWORD '${password}'`);
  } finally {
    await pool.end();
  }
}

export const postgres: Service = {
  name: 'postgres',
  get title() {
    return 'PostgreSQL';
  },
  externalVariable: 'DATABASE_URL',
  external: (config) => config.postgres.external,
  endpoint: (config) =>
    config.postgres.engine === 'pglite'
      ? `${config.postgres.url} (PGlite)`
      : config.postgres.url.replace(/:[^:@/]*@/, '@'),
  ports: (config) => [
    { port: config.postgres.port, variable: 'CTPILOT_POSTGRES_PORT', role: 'PostgreSQL wire protocol' },
  ],
  after: [],
  startTimeoutMs: 60_000,
  prepare: (config) =>
    config.postgres.engine === 'pglite' ? preparePglite(config) : preparePostgresql(config),
  healthy: (config) => answers(config.postgres.adminUrl),
  async ready(config) {
    if (config.postgres.external || config.postgres.engine === 'pglite') return;
    await setUpDatabase(config);
  },
};
