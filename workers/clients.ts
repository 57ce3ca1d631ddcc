// Builds the clients of every outside system from the configuration: the one
// place the worker, the CLI and the tests get them from.
import { MlflowClient } from '../activities/mlflow/client.ts';
import { createPool, type Pool } from '../activities/postgres/pool.ts';
import { PrometheusClient } from '../activities/prometheus/client.ts';
import { ObjectStore } from '../activities/s3/client.ts';
import type { Config } from './config.ts';

export interface Clients {
  readonly mlflow: MlflowClient;
  readonly prometheus: PrometheusClient;
  readonly store: ObjectStore;
  readonly pool: Pool;
  close(): Promise<void>;
}

export function createClients(config: Config, onIdleDatabaseError?: (error: Error) => void): Clients {
  const store = new ObjectStore({ ...config.s3 });
  const pool = createPool(config.postgres.url, { onIdleError: onIdleDatabaseError });
  return {
    mlflow: new MlflowClient({ trackingUri: config.mlflow.trackingUri, token: config.mlflow.token }),
    prometheus: new PrometheusClient({ ...config.prometheus }),
    store,
    pool,
    async close() {
      store.destroy();
      await pool.end();
    },
  };
}
