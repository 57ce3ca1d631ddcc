// Builds the clients of every outside system from the configuration: the one
// place the worker, the CLI and the tests get them from.
import { AuditStore } from '../activities/audit/store.ts';
import type { PrometheusFor } from '../activities/metrics/prometheus.ts';
import { MlflowClient } from '../activities/mlflow/client.ts';
import { createPool, type Pool } from '../activities/postgres/pool.ts';
import { PrometheusClient } from '../activities/prometheus/client.ts';
import { ObjectStore } from '../activities/s3/client.ts';
import { resolveRecord, workerSecretResolver } from '../activities/secrets.ts';
import type { SecretResolver } from '../policies/secrets.ts';
import type { Config } from './config.ts';

export interface Clients {
  readonly mlflow: MlflowClient;
  readonly prometheus: PrometheusClient;
  /** The default Prometheus, or a client for a metric's own endpoint (headers may hold secret references). */
  readonly prometheusFor: PrometheusFor;
  readonly store: ObjectStore;
  readonly pool: Pool;
  readonly audit: AuditStore;
  readonly secrets: SecretResolver;
  close(): Promise<void>;
}

export function createClients(config: Config, onIdleDatabaseError?: (error: Error) => void): Clients {
  const store = new ObjectStore({ ...config.s3 });
  const pool = createPool(config.postgres.url, { onIdleError: onIdleDatabaseError });
  const prometheus = new PrometheusClient({ ...config.prometheus });
  const secrets = workerSecretResolver();
  const prometheusFor: PrometheusFor = async (endpoint, headers) => {
    if (!endpoint && !headers) return prometheus;
    // Built per call: header values are secrets resolved at the moment of use, never cached.
    return new PrometheusClient({
      ...config.prometheus,
      url: endpoint ? (await secrets.interpolate(endpoint)).reveal() : config.prometheus.url,
      // Messages and evidence name the endpoint as written, `${env:…}` and all.
      label: endpoint ?? config.prometheus.url,
      headers: await resolveRecord(secrets, headers),
    });
  };
  return {
    mlflow: new MlflowClient({ trackingUri: config.mlflow.trackingUri, token: config.mlflow.token }),
    prometheus,
    prometheusFor,
    store,
    pool,
    audit: new AuditStore(pool),
    secrets,
    async close() {
      store.destroy();
      await pool.end();
    },
  };
}
