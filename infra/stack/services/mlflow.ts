// The MLflow tracking server and model registry. Backend store: SQLite under
// <home>/mlflow, or the PostgreSQL of DATABASE_URL when one is given. It
// proxies artifacts (clients never need S3 credentials) into the S3 store.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Config } from '../../../workers/config.ts';
import { probe, type Service } from '../service.ts';

export function mlflowBackendStore(config: Config): string {
  if (config.postgres.external) return config.postgres.url;
  return `sqlite:///${join(config.home, 'mlflow', 'mlflow.db')}`;
}

export const mlflow: Service = {
  name: 'mlflow',
  title: 'MLflow tracking server',
  externalVariable: 'MLFLOW_TRACKING_URI',
  external: (config) => config.mlflow.external,
  endpoint: (config) => config.mlflow.trackingUri,
  ports: (config) => [
    { port: config.mlflow.port, variable: 'CTPILOT_MLFLOW_PORT', role: 'tracking REST API and UI' },
  ],
  after: ['s3'],
  // The first start creates the schema with dozens of migrations.
  startTimeoutMs: 180_000,
  prepare(config) {
    mkdirSync(join(config.home, 'mlflow'), { recursive: true });
    return {
      command: join(config.venvBin, 'mlflow'),
      args: [
        'server',
        '--backend-store-uri',
        mlflowBackendStore(config),
        '--artifacts-destination',
        `s3://${config.s3.mlflowBucket}/artifacts`,
        '--host',
        '127.0.0.1',
        '--port',
        String(config.mlflow.port),
        '--workers',
        '1',
      ],
      env: {
        MLFLOW_S3_ENDPOINT_URL: config.s3.endpoint,
        AWS_ACCESS_KEY_ID: config.s3.accessKeyId,
        AWS_SECRET_ACCESS_KEY: config.s3.secretAccessKey,
        AWS_DEFAULT_REGION: config.s3.region,
        // Its internal job runner is unneeded here and slows start-up.
        MLFLOW_SERVER_ENABLE_JOB_EXECUTION: 'false',
        // MLflow's usage telemetry: no use on a loopback stack, and its client
        // races on its own session variable (a KeyError that fails requests).
        MLFLOW_DISABLE_TELEMETRY: 'true',
        PYTHONUNBUFFERED: '1',
      },
    };
  },
  async healthy(config) {
    return (await probe(`${config.mlflow.trackingUri}/health`))?.ok === true;
  },
};
