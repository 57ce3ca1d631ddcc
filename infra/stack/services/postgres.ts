// PostgreSQL for the audit history: PGlite (PostgreSQL compiled to WASM, data
// in a directory) served over the wire protocol by pglite-socket's own
// server, so the same `pg` code runs against it and against a real server.
import { mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import pg from 'pg';
import type { Service } from '../service.ts';

const require = createRequire(import.meta.url);

export const postgres: Service = {
  name: 'postgres',
  title: 'PostgreSQL (PGlite)',
  externalVariable: 'DATABASE_URL',
  external: (config) => config.postgres.external,
  endpoint: (config) => config.postgres.url,
  ports: (config) => [
    { port: config.postgres.port, variable: 'CTPILOT_POSTGRES_PORT', role: 'PostgreSQL wire protocol' },
  ],
  after: [],
  startTimeoutMs: 60_000,
  prepare(config) {
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
  },
  async healthy(config) {
    const client = new pg.Client({ connectionString: config.postgres.url, connectionTimeoutMillis: 2000 });
    try {
      await client.connect();
      await client.query('SELECT 1');
      return true;
    } catch {
      return false;
    } finally {
      await client.end().catch(() => {});
    }
  },
};
