// A stack of real services of a fault test's own: its own home and free
// ports, started by the project's stack code, so the test can stop, kill and
// restart services without disturbing the shared test stack the other test
// files use. Services not selected can be taken from the shared stack by
// keeping their variables (e.g. TEMPORAL_ADDRESS) in `keep`.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePorts } from '../../infra/stack/ports.ts';
import { isAlive, readRecord } from '../../infra/stack/processes.ts';
import type { ServiceName } from '../../infra/stack/service.ts';
import { startStack, stopStack } from '../../infra/stack/stack.ts';
import { type Config, loadConfig } from '../../workers/config.ts';
import { ensureLocalSecrets } from '../../workers/local-secrets.ts';

/** The variables that point at the shared test stack's services. */
const SHARED = {
  temporal: ['TEMPORAL_ADDRESS', 'TEMPORAL_HTTP_URL'],
  mlflow: ['MLFLOW_TRACKING_URI'],
  postgres: ['DATABASE_URL'],
  s3: ['S3_ENDPOINT', 'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY'],
  prometheus: ['PROMETHEUS_URL'],
} as const satisfies Record<ServiceName, readonly string[]>;

export interface ScratchStack {
  readonly config: Config;
  /** The environment a worker process of this stack runs with: every service as an endpoint. */
  readonly env: Record<string, string>;
  /** Stops services by their recorded process ids (SIGTERM, then SIGKILL after the grace period). */
  stop(...names: ServiceName[]): Promise<void>;
  /** SIGKILLs a service's whole process group: no chance to flush or close anything. */
  kill(name: ServiceName): Promise<void>;
  /** Starts services again on the same ports and data (a running one is reused). */
  start(...names: ServiceName[]): Promise<void>;
  /** Stops everything this stack started and removes its home. */
  remove(): Promise<void>;
}

export async function startScratchStack(
  services: readonly ServiceName[],
  options: { readonly log?: (line: string) => void; readonly env?: Readonly<Record<string, string>> } = {},
): Promise<ScratchStack> {
  const home = mkdtempSync(join(tmpdir(), 'ctpilot-fault-'));
  const [t, th, tm, pgPort, s3, prom, mlflow] = await freePorts(7);
  const base: NodeJS.ProcessEnv = { ...process.env };
  // Services of our own replace the shared ones: drop the variables that point there.
  for (const name of services) for (const variable of SHARED[name]) delete base[variable];
  const stackEnv: Record<string, string> = {
    CTPILOT_HOME: home,
    CTPILOT_TEMPORAL_PORT: String(t),
    CTPILOT_TEMPORAL_HTTP_PORT: String(th),
    CTPILOT_TEMPORAL_METRICS_PORT: String(tm),
    CTPILOT_TEMPORAL_HEADLESS: 'true',
    CTPILOT_POSTGRES_PORT: String(pgPort),
    CTPILOT_S3_PORT: String(s3),
    CTPILOT_PROMETHEUS_PORT: String(prom),
    CTPILOT_MLFLOW_PORT: String(mlflow),
    CTPILOT_WORKER_METRICS_PORT: '0',
    ...options.env,
  };
  ensureLocalSecrets(home);
  const config = loadConfig({ ...base, ...stackEnv });
  await startStack(config, { only: services, log: options.log });

  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries({ ...base, ...stackEnv })) if (v !== undefined) env[k] = v;
  Object.assign(env, {
    TEMPORAL_ADDRESS: config.temporal.address,
    MLFLOW_TRACKING_URI: config.mlflow.trackingUri,
    DATABASE_URL: config.postgres.url,
    CTPILOT_TEST_ADMIN_DATABASE_URL: config.postgres.adminUrl,
    S3_ENDPOINT: config.s3.endpoint,
    PROMETHEUS_URL: config.prometheus.url,
  });
  if (config.temporal.httpUrl) env.TEMPORAL_HTTP_URL = config.temporal.httpUrl;
  if (services.includes('s3')) {
    env.AWS_ACCESS_KEY_ID = config.s3.accessKeyId ?? '';
    env.AWS_SECRET_ACCESS_KEY = config.s3.secretAccessKey ?? '';
  }

  return {
    config,
    env,
    async stop(...names) {
      await stopStack(config, names);
    },
    async kill(name) {
      const record = readRecord(config.home, name);
      if (!record) throw new Error(`${name} is not running in ${config.home}`);
      try {
        process.kill(-record.pid, 'SIGKILL');
      } catch {
        process.kill(record.pid, 'SIGKILL');
      }
      for (let i = 0; i < 100 && isAlive(record); i++) await new Promise((r) => setTimeout(r, 50));
    },
    async start(...names) {
      await startStack(config, { only: names, log: options.log });
    },
    async remove() {
      await stopStack(config);
      rmSync(home, { recursive: true, force: true });
    },
  };
}
