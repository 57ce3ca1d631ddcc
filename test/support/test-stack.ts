// The services the integration tests share: the real stack, started by the
// project's own code on free ports in a scratch directory, and described to
// the tests through the variables a user would set. A variable that is
// already set (say TEMPORAL_ADDRESS) is honoured: that service is not started.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePorts } from '../../infra/stack/ports.ts';
import { startStack } from '../../infra/stack/stack.ts';
import { loadConfig } from '../../workers/config.ts';
import { ensureLocalSecrets } from '../../workers/local-secrets.ts';

export interface TestStack {
  /** Variables for the test processes: every service as an external endpoint. */
  readonly env: Record<string, string>;
  stop(): Promise<void>;
}

export async function startTestStack(): Promise<TestStack> {
  const home = mkdtempSync(join(tmpdir(), 'ctpilot-test-'));
  const [temporal, temporalHttp, temporalMetrics, mlflow, postgres, s3, prometheus] = await freePorts(7);
  const stackEnv: Record<string, string> = {
    CTPILOT_HOME: home,
    CTPILOT_TEMPORAL_PORT: String(temporal),
    CTPILOT_TEMPORAL_HTTP_PORT: String(temporalHttp),
    CTPILOT_TEMPORAL_METRICS_PORT: String(temporalMetrics),
    CTPILOT_TEMPORAL_HEADLESS: 'true',
    CTPILOT_MLFLOW_PORT: String(mlflow),
    CTPILOT_POSTGRES_PORT: String(postgres),
    CTPILOT_S3_PORT: String(s3),
    CTPILOT_PROMETHEUS_PORT: String(prometheus),
    CTPILOT_WORKER_METRICS_PORT: '0',
  };
  // Tests sign their audit rows like the local stack does: a key made in the scratch home.
  ensureLocalSecrets(home);
  const config = loadConfig({ ...process.env, ...stackEnv });
  const began = Date.now();
  process.stdout.write(`test stack: starting services in ${home}\n`);
  const stack = await startStack(config, { log: (line) => process.stdout.write(`${line}\n`) });
  process.stdout.write(`test stack: up in ${((Date.now() - began) / 1000).toFixed(1)} s\n`);

  const env: Record<string, string> = {
    ...stackEnv,
    TEMPORAL_ADDRESS: config.temporal.address,
    // The read-only verbs ask the HTTP API, as they do on the local stack; a test unsets it for gRPC.
    ...(config.temporal.httpUrl ? { TEMPORAL_HTTP_URL: config.temporal.httpUrl } : {}),
    MLFLOW_TRACKING_URI: config.mlflow.trackingUri,
    DATABASE_URL: config.postgres.url,
    // The owner's connection, for the tests that tamper with the audit table or run DDL as an insider would.
    CTPILOT_TEST_ADMIN_DATABASE_URL: config.postgres.adminUrl,
    S3_ENDPOINT: config.s3.endpoint,
    PROMETHEUS_URL: config.prometheus.url,
    CTPILOT_TEST_STACK: '1',
  };
  if (!config.s3.external) {
    // The local server's credentials, now that the tests see it as an external endpoint.
    env.AWS_ACCESS_KEY_ID = config.s3.accessKeyId ?? '';
    env.AWS_SECRET_ACCESS_KEY = config.s3.secretAccessKey ?? '';
  }
  return {
    env,
    async stop() {
      await stack.stop();
      rmSync(home, { recursive: true, force: true });
    },
  };
}
