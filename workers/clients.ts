// Builds the clients of every outside system from the configuration: the one
// place the worker, the CLI and the tests get them from.
import { Checkpointer } from '../activities/audit/checkpoints.ts';
import { type AuditKeys, loadAuditKeys } from '../activities/audit/keys.ts';
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
  /** The audit keys: the signer new rows get (when configured) and the public keys to verify with. */
  readonly auditKeys: AuditKeys;
  /** Writes the signed checkpoints (workers only). */
  readonly checkpointer?: Checkpointer;
  readonly secrets: SecretResolver;
  close(): Promise<void>;
}

export interface ClientOptions {
  /** Write signed checkpoints of the audit heads as rows are appended (the workers). */
  readonly checkpoints?: boolean;
  readonly onCheckpointError?: (error: Error, model: string) => void;
}

export function createClients(
  config: Config,
  onIdleDatabaseError?: (error: Error) => void,
  options: ClientOptions = {},
): Clients {
  const store = new ObjectStore({ ...config.s3 });
  const pool = createPool(config.postgres.url, { onIdleError: onIdleDatabaseError });
  const auditKeys = loadAuditKeys(config.audit);
  const checkpointer = options.checkpoints
    ? new Checkpointer({
        store,
        bucket: config.audit.bucket,
        signer: auditKeys.signer,
        everyMs: config.audit.checkpointEveryMs,
        signedFrom: (model) => audit.firstSigned(model),
        onError: options.onCheckpointError,
      })
    : undefined;
  // The checkpointer asks the store (declared after it) only once rows are appended.
  const audit = new AuditStore(pool, auditKeys.signer, checkpointer?.onAppended);
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
    audit,
    auditKeys,
    ...(checkpointer ? { checkpointer } : {}),
    secrets,
    async close() {
      await checkpointer?.flush();
      store.destroy();
      await pool.end();
    },
  };
}
