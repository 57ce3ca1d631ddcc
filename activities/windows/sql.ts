// A SQL window: the policy's query, run read-only behind a server-side
// cursor and fetched in batches, so a window of any size streams through the
// sink. The query text is sent as written and its values ($1, $2 … from
// `params`, where {{ window.from }} and {{ window.to }} were rendered) are
// bound by the server: nothing from a window is ever spliced into SQL.
//
// The transaction lives exactly as long as the read. On the local PGlite
// (one PostgreSQL backend shared by every connection through pglite-socket)
// an open transaction makes other connections' statements wait until it
// ends, so nothing else happens inside it: fetch, hand rows to the sink,
// fetch again, close, commit.

import type pg from 'pg';
import type { SecretResolver } from '../../policies/secrets.ts';
import { hasSecretRef } from '../../policies/secrets.ts';
import type { ColumnKind } from '../../stats/index.ts';
import { createPool, type Pool } from '../postgres/pool.ts';
import { WindowReadError } from './problems.ts';
import type { WindowSink } from './sink.ts';

const CURSOR = 'ctpilot_window';
const DECLARE = `DECLARE ${CURSOR} NO SCROLL CURSOR FOR `;

/** Type names of the OIDs a window is likely to return (pg_type.typname), with the kind each implies. */
const TYPES: Record<number, { name: string; kind?: ColumnKind; time?: boolean }> = {
  16: { name: 'bool', kind: 'categorical' },
  18: { name: 'char', kind: 'categorical' },
  19: { name: 'name', kind: 'categorical' },
  20: { name: 'int8', kind: 'numeric' },
  21: { name: 'int2', kind: 'numeric' },
  23: { name: 'int4', kind: 'numeric' },
  25: { name: 'text', kind: 'categorical' },
  26: { name: 'oid', kind: 'numeric' },
  114: { name: 'json' },
  700: { name: 'float4', kind: 'numeric' },
  701: { name: 'float8', kind: 'numeric' },
  1042: { name: 'bpchar', kind: 'categorical' },
  1043: { name: 'varchar', kind: 'categorical' },
  1082: { name: 'date', kind: 'numeric', time: true },
  1114: { name: 'timestamp', kind: 'numeric', time: true },
  1184: { name: 'timestamptz', kind: 'numeric', time: true },
  1700: { name: 'numeric', kind: 'numeric' },
  2950: { name: 'uuid', kind: 'categorical' },
  3802: { name: 'jsonb' },
};

/** Every value arrives as PostgreSQL's text; each type is converted here, once, by one rule. */
const rawText = { getTypeParser: () => (text: string) => text } as unknown as pg.CustomTypesConfig;

function convert(text: string | null, oid: number): unknown {
  if (text === null) return null;
  const t = TYPES[oid];
  if (t?.time) {
    // date / timestamp (read as UTC) / timestamptz, in PostgreSQL's ISO output. ±infinity is not a time.
    const ms = Date.parse(normaliseTimestamp(text));
    return Number.isNaN(ms) ? text : new Date(ms);
  }
  if (t?.kind === 'numeric') return Number(text); // 'NaN', 'Infinity' become non-finite: missing
  if (oid === 16) return text === 't' ? 'true' : text === 'f' ? 'false' : text;
  return text;
}

function normaliseTimestamp(s: string): string {
  const m =
    /^(\d{4}-\d{2}-\d{2})(?: (\d{2}:\d{2}:\d{2}(?:\.\d+)?))?([+-]\d{2}(?::?\d{2})?(?::\d{2})?)?$/.exec(s);
  if (!m) return s;
  const offset = m[3]
    ? m[3].replace(/^([+-]\d{2})(?::?(\d{2}))?.*$/, (_, h, mm) => `${h}:${mm ?? '00'}`)
    : 'Z';
  return `${m[1]}T${m[2] ?? '00:00:00'}${offset}`;
}

export interface SqlDeps {
  readonly pool?: Pool;
  readonly secrets?: SecretResolver;
}

export interface SqlOptions {
  readonly fetchRows: number;
  readonly statementTimeoutMs?: number;
}

/** A connection URL safe to print: no password. */
function shownUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return 'the configured database';
  }
}

async function poolFor(
  connection: string | undefined,
  deps: SqlDeps,
): Promise<{ pool: Pool; own: boolean; shown: string }> {
  if (connection === undefined) {
    if (!deps.pool)
      throw new WindowReadError('cannot run the window query: no database is configured on this worker');
    return { pool: deps.pool, own: false, shown: 'the worker database' };
  }
  let url = connection;
  if (hasSecretRef(connection)) {
    if (!deps.secrets)
      throw new WindowReadError('cannot resolve the window connection: no secret resolver on this worker');
    try {
      url = (await deps.secrets.interpolate(connection)).reveal();
    } catch (e) {
      throw new WindowReadError(`cannot resolve the window connection: ${(e as Error).message}`);
    }
  }
  return {
    pool: createPool(url, { max: 1, applicationName: 'ctpilot-window' }),
    own: true,
    shown: shownUrl(connection),
  };
}

/** A PostgreSQL error with its position mapped back into the policy's query. */
function queryError(e: unknown, sql: string): WindowReadError {
  const pe = e as { message?: string; code?: string; position?: string; detail?: string; hint?: string };
  let where = '';
  const pos = Number(pe.position);
  if (pe.position && pos > DECLARE.length) {
    const at = pos - DECLARE.length - 1;
    const line = sql.slice(0, at).split('\n').length;
    where = ` at character ${at + 1} (line ${line}: ${JSON.stringify(sql.split('\n')[line - 1]?.trim() ?? '')})`;
  }
  const extra = [pe.detail, pe.hint].filter(Boolean).join('; ');
  return new WindowReadError(
    `the window query failed${pe.code ? ` [${pe.code}]` : ''}: ${pe.message ?? String(e)}${where}${extra ? ` (${extra})` : ''}`,
  );
}

export async function readSql(
  sql: string,
  params: readonly (string | number | boolean)[],
  connection: string | undefined,
  sink: WindowSink,
  deps: SqlDeps,
  options: SqlOptions,
): Promise<void> {
  if (sql.includes('{{')) {
    throw new WindowReadError(
      'the window query contains a {{ placeholder }}: put values in params and refer to them as $1, $2 …',
    );
  }
  // A trailing semicolon is harmless in psql but not inside DECLARE … FOR.
  const query = sql.trim().replace(/;\s*$/, '');
  const { pool, own, shown } = await poolFor(connection, deps);
  let client: pg.PoolClient;
  try {
    client = await pool.connect();
  } catch (e) {
    if (own) await pool.end().catch(() => {});
    throw new WindowReadError(`cannot connect to ${shown}: ${(e as Error).message}`);
  }
  sink.beginObject('query', 'row');
  let ok = false;
  try {
    await client.query('BEGIN TRANSACTION READ ONLY');
    if (options.statementTimeoutMs !== undefined) {
      const ms = Math.max(1, Math.floor(options.statementTimeoutMs));
      await client.query(`SET LOCAL statement_timeout = ${ms}`);
    }
    try {
      await client.query({ text: DECLARE + query, values: [...params] });
    } catch (e) {
      throw queryError(e, query);
    }
    let row = 0;
    let oids: number[] | undefined;
    let index: number[] = [];
    let tsAt = -1;
    for (;;) {
      let batch: pg.QueryArrayResult<(string | null)[]>;
      try {
        batch = await client.query({
          text: `FETCH FORWARD ${options.fetchRows} FROM ${CURSOR}`,
          rowMode: 'array',
          types: rawText,
        });
      } catch (e) {
        throw queryError(e, query);
      }
      if (!oids) {
        const names = batch.fields.map((f) => f.name);
        oids = batch.fields.map((f) => f.dataTypeID);
        batch.fields.forEach((f) => {
          if (!sink.available.has(f.name))
            sink.available.set(f.name, TYPES[f.dataTypeID]?.name ?? `oid ${f.dataTypeID}`);
        });
        index = sink.cols.map((c) => names.indexOf(c.name));
        const missing = sink.cols.filter((_, j) => index[j]! < 0).map((c) => `\`${c.name}\``);
        if (missing.length > 0) {
          throw new WindowReadError(
            `the window query returns no column ${missing.join(', ')}; it returns: ${names.join(', ')}`,
          );
        }
        const ts = sink.options.timestampColumn;
        tsAt = ts === undefined ? -1 : names.indexOf(ts);
        if (ts !== undefined && tsAt < 0) {
          throw new WindowReadError(
            `the window query returns no column \`${ts}\` (the window's timestamp column); it returns: ${names.join(', ')}`,
          );
        }
        for (const [j, c] of sink.cols.entries()) c.sourceKind(TYPES[oids[index[j]!]!]?.kind);
      }
      for (const r of batch.rows) {
        row++;
        for (const cell of r) if (cell !== null) sink.bytesRead += cell.length;
        if (tsAt >= 0 && !sink.acceptTime(convert(r[tsAt]!, oids[tsAt]!), row)) continue;
        for (let j = 0; j < index.length; j++) {
          const k = index[j]!;
          sink.cols[j]!.push(convert(r[k]!, oids[k]!), row);
        }
        sink.endRow();
      }
      sink.tick();
      if (batch.rows.length < options.fetchRows) break;
    }
    await client.query(`CLOSE ${CURSOR}`);
    await client.query('COMMIT');
    ok = true;
  } finally {
    let broken = false;
    if (!ok) await client.query('ROLLBACK').catch(() => (broken = true));
    // A connection that cannot even roll back is discarded, not returned to the pool.
    client.release(broken);
    if (own) await pool.end().catch(() => {});
    sink.endObject();
  }
}
