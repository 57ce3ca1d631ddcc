// The S3-compatible object store for MLflow artifacts, shadow logs, reports
// and evidence packs. versitygw (built by the bootstrap from the Go module
// proxy) keeps objects as plain files under <home>/s3, so they survive a
// restart; without it, moto's in-memory server stands in, and says so.
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { ObjectStore } from '../../../activities/s3/client.ts';
import type { Config } from '../../../workers/config.ts';
import { probe, type Service } from '../service.ts';

export function localS3Backend(config: Config): 'versitygw' | 'moto' {
  return existsSync(join(config.venvBin, 'versitygw')) ? 'versitygw' : 'moto';
}

/** Creates ctpilot's bucket and MLflow's artifact bucket when missing. */
export async function ensureBuckets(config: Config, buckets: readonly string[]): Promise<void> {
  const store = new ObjectStore({ ...config.s3, bucket: config.s3.bucket });
  try {
    for (const bucket of buckets) await store.ensureBucket(bucket);
  } finally {
    store.destroy();
  }
}

export const s3: Service = {
  name: 's3',
  title: 'S3-compatible object store',
  externalVariable: 'S3_ENDPOINT',
  external: (config) => config.s3.external,
  endpoint: (config) => config.s3.endpoint,
  ports: (config) => [{ port: config.s3.port, variable: 'CTPILOT_S3_PORT', role: 'S3 API' }],
  after: [],
  startTimeoutMs: 30_000,
  prepare(config) {
    if (localS3Backend(config) === 'moto') {
      return {
        command: join(config.venvBin, 'moto_server'),
        args: ['-H', '127.0.0.1', '-p', String(config.s3.port)],
      };
    }
    const dataDir = join(config.home, 's3', 'data');
    const metaDir = join(config.home, 's3', 'meta');
    const versionsDir = join(config.home, 's3', 'versions');
    mkdirSync(dataDir, { recursive: true });
    mkdirSync(metaDir, { recursive: true });
    mkdirSync(versionsDir, { recursive: true });
    return {
      command: join(config.venvBin, 'versitygw'),
      args: [
        '--port',
        `127.0.0.1:${config.s3.port}`,
        '--region',
        config.s3.region,
        '--health',
        '/health',
        '--quiet',
        'posix',
        // Metadata in side files rather than extended attributes: works on any filesystem.
        '--sidecar',
        metaDir,
        // Versioning, and with it Object Lock, for the audit checkpoints' bucket.
        '--versioning-dir',
        versionsDir,
        dataDir,
      ],
      env: { ROOT_ACCESS_KEY_ID: config.s3.accessKeyId, ROOT_SECRET_ACCESS_KEY: config.s3.secretAccessKey },
    };
  },
  async healthy(config) {
    if (config.s3.external || localS3Backend(config) === 'moto') {
      // Any S3 answer (even 403 to an unsigned request) means it is serving.
      const response = await probe(`${config.s3.endpoint}/`);
      return response !== undefined && response.status < 500;
    }
    return (await probe(`${config.s3.endpoint}/health`))?.ok === true;
  },
  async ready(config) {
    await ensureBuckets(config, [config.s3.bucket, config.s3.mlflowBucket]);
    // The audit checkpoints' bucket, with Object Lock: workers may only add to it.
    const store = new ObjectStore({ ...config.s3, bucket: config.audit.bucket });
    try {
      await store.ensureProtectedBucket(config.audit.bucket, config.audit.retentionDays);
    } finally {
      store.destroy();
    }
  },
};
