// ctpilot's configuration, read from the environment in one place.
//
// Every outside system has one variable that points ctpilot at a real
// service (TEMPORAL_ADDRESS, MLFLOW_TRACKING_URI, DATABASE_URL, S3_ENDPOINT,
// PROMETHEUS_URL). When it is unset, the local stack starts that service on
// loopback, on a port that CTPILOT_<SERVICE>_PORT changes. The README lists
// every variable; `describeVariables()` is the same list for `--help` texts.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The checkout: the nearest directory above this module holding
 * package.json — the same whether this runs from the sources or from the
 * compiled copy in dist/ (infra/build.mjs).
 */
export const PROJECT_ROOT = ((): string => {
  let dir = resolve(dirname(fileURLToPath(import.meta.url)), '..');
  while (!existsSync(join(dir, 'package.json')) && dirname(dir) !== dir) dir = dirname(dir);
  return dir;
})();

/** A bad value in the environment: names the variable and what it accepts. */
export class ConfigError extends Error {
  constructor(
    readonly variable: string,
    message: string,
  ) {
    super(`${variable}: ${message}`);
    this.name = 'ConfigError';
  }
}

export interface TemporalConfig {
  /** True when TEMPORAL_ADDRESS points at a server ctpilot does not manage. */
  readonly external: boolean;
  readonly address: string;
  readonly namespace: string;
  readonly taskQueue: string;
  readonly port: number;
  readonly uiPort: number;
  readonly httpPort: number;
  /**
   * The frontend's HTTP API (TEMPORAL_HTTP_URL, or the local dev server's), which the read-only verbs
   * ask instead of opening a gRPC connection; undefined for an external server without it set.
   */
  readonly httpUrl?: string;
  readonly metricsPort: number;
  /** Where an operator opens the Temporal UI (TEMPORAL_UI_URL, or the local one). */
  readonly uiUrl: string;
  /** The `temporal` binary used for the local dev server. */
  readonly cli: string;
  /** Start the local dev server without its Web UI (tests). */
  readonly headless: boolean;
  /** TLS to the frontend (TEMPORAL_TLS*, implied by a client certificate or an API key); undefined: plaintext. */
  readonly tls?: TemporalTlsConfig;
  /** Temporal Cloud API key (TEMPORAL_API_KEY), sent as a bearer token; implies TLS. */
  readonly apiKey?: string;
}

export interface TemporalTlsConfig {
  /** PEM client certificate and key for mTLS (TEMPORAL_TLS_CERT, TEMPORAL_TLS_KEY). */
  readonly certPath?: string;
  readonly keyPath?: string;
  /** PEM CA that signed the server's certificate (TEMPORAL_TLS_CA); default: the system's roots. */
  readonly caPath?: string;
  /** Host name to verify the server's certificate against, when it differs from the address (TEMPORAL_TLS_SERVER_NAME). */
  readonly serverName?: string;
}

export interface MlflowConfig {
  readonly external: boolean;
  readonly trackingUri: string;
  readonly port: number;
  /** MLFLOW_TRACKING_TOKEN, sent as a bearer token when set. */
  readonly token?: string;
}

export interface PostgresConfig {
  readonly external: boolean;
  /** What the workers and the CLI connect with: on the local stack, the least-privilege role ctpilot_worker. */
  readonly url: string;
  /** What migrations and the local stack's set-up connect with (the owner); DATABASE_URL itself when external. */
  readonly adminUrl: string;
  readonly port: number;
  /**
   * The local server: Debian's PostgreSQL when installed (one session per
   * connection, real roles), else PGlite, whose one shared session lets a
   * setting made by one client reach every other (CTPILOT_POSTGRES_ENGINE).
   */
  readonly engine: 'postgresql' | 'pglite';
  /** The local PostgreSQL's bin directory (engine postgresql). */
  readonly binDir?: string;
}

/** Files in the home holding the local PostgreSQL's passwords (workers/local-secrets.ts makes them). */
export const LOCAL_POSTGRES_ADMIN_PASSWORD = 'postgres-admin-password';
export const LOCAL_POSTGRES_WORKER_PASSWORD = 'postgres-worker-password';
/** The login role the workers use on the local PostgreSQL: a member of ctpilot_app (SELECT, INSERT). */
export const LOCAL_WORKER_ROLE = 'ctpilot_worker';

/** The newest installed PostgreSQL's bin directory (Debian's layout), or undefined. */
export function postgresBinDir(): string | undefined {
  const base = '/usr/lib/postgresql';
  if (!existsSync(base)) return undefined;
  const versions = readdirSync(base)
    .filter((v) => existsSync(join(base, v, 'bin', 'postgres')))
    .sort((a, b) => Number(b) - Number(a));
  return versions[0] ? join(base, versions[0], 'bin') : undefined;
}

function localPassword(home: string, file: string): string {
  const path = join(home, file);
  return existsSync(path) ? readFileSync(path, 'utf8').trim() : '';
}

function postgresFrom(env: NodeJS.ProcessEnv, home: string): PostgresConfig {
  const localPort = port(env, 'CTPILOT_POSTGRES_PORT', 55432);
  const databaseUrl = nonEmpty(env.DATABASE_URL);
  if (databaseUrl && !/^postgres(ql)?:\/\//.test(databaseUrl)) {
    throw new ConfigError('DATABASE_URL', 'expected postgresql://user:password@host:port/database');
  }
  if (databaseUrl)
    return { external: true, url: databaseUrl, adminUrl: databaseUrl, port: localPort, engine: 'postgresql' };
  const asked = nonEmpty(env.CTPILOT_POSTGRES_ENGINE);
  if (asked !== undefined && asked !== 'postgresql' && asked !== 'pglite')
    throw new ConfigError(
      'CTPILOT_POSTGRES_ENGINE',
      `expected postgresql or pglite, got ${JSON.stringify(asked)}`,
    );
  const binDir = postgresBinDir();
  if (asked === 'postgresql' && !binDir)
    throw new ConfigError(
      'CTPILOT_POSTGRES_ENGINE',
      "postgresql needs Debian's PostgreSQL: apt-get install postgresql (npm run bootstrap does, as root)",
    );
  // A home whose audit history is already in PGlite keeps it there (nothing is lost by an upgrade).
  const pgliteHome = existsSync(join(home, 'postgres')) && !existsSync(join(home, 'postgresql'));
  const engine = asked ?? (binDir && !pgliteHome ? 'postgresql' : 'pglite');
  if (engine === 'pglite') {
    const url = `postgresql://postgres@127.0.0.1:${localPort}/postgres`;
    return { external: false, url, adminUrl: url, port: localPort, engine };
  }
  const enc = encodeURIComponent;
  return {
    external: false,
    url: `postgresql://${LOCAL_WORKER_ROLE}:${enc(localPassword(home, LOCAL_POSTGRES_WORKER_PASSWORD))}@127.0.0.1:${localPort}/postgres`,
    adminUrl: `postgresql://postgres:${enc(localPassword(home, LOCAL_POSTGRES_ADMIN_PASSWORD))}@127.0.0.1:${localPort}/postgres`,
    port: localPort,
    engine,
    ...(binDir ? { binDir } : {}),
  };
}

export interface S3Config {
  readonly external: boolean;
  readonly endpoint: string;
  readonly port: number;
  readonly region: string;
  /** Local server credentials; for an external endpoint, undefined means the AWS default chain. */
  readonly accessKeyId?: string;
  readonly secretAccessKey?: string;
  /** ctpilot's own bucket (reports, evidence packs, shadow logs). */
  readonly bucket: string;
  /** The bucket MLflow stores artifacts in when ctpilot starts MLflow. */
  readonly mlflowBucket: string;
  readonly forcePathStyle: boolean;
}

export interface AuditConfig {
  /**
   * The Ed25519 signing key, as a reference (`${env:NAME}` or `${file:/path}`,
   * CTPILOT_AUDIT_SIGNING_KEY); for the local stack, the key `npm start`
   * generated in the home. Undefined: rows are written unsigned.
   */
  readonly signingKey?: string;
  /** PEM files of public keys rows may be signed with (CTPILOT_AUDIT_PUBLIC_KEYS), beside the signing key's own. */
  readonly publicKeys: readonly string[];
  /** The bucket of the signed checkpoints (CTPILOT_AUDIT_BUCKET), created with Object Lock where the store offers it. */
  readonly bucket: string;
  /** How often a model's head is checkpointed, at most (CTPILOT_AUDIT_CHECKPOINT_EVERY). */
  readonly checkpointEveryMs: number;
  /** How long a checkpoint is locked against deletion (CTPILOT_AUDIT_RETENTION_DAYS). */
  readonly retentionDays: number;
}

/** Where `npm start` keeps the local stack's audit key pair. */
export const LOCAL_AUDIT_KEY = 'audit-signing-key.pem';
export const LOCAL_AUDIT_PUBLIC_KEY = 'audit-signing-key.pub.pem';

export interface PrometheusConfig {
  readonly external: boolean;
  readonly url: string;
  readonly port: number;
  readonly bearerToken?: string;
  readonly username?: string;
  readonly password?: string;
}

export interface Config {
  readonly root: string;
  /** Service data, logs and process ids (CTPILOT_HOME, default .ctpilot/ in the project). */
  readonly home: string;
  readonly venvBin: string;
  readonly temporal: TemporalConfig;
  readonly mlflow: MlflowConfig;
  readonly postgres: PostgresConfig;
  readonly s3: S3Config;
  readonly prometheus: PrometheusConfig;
  /** Port of the worker's own Prometheus metrics endpoint; 0 turns it off. */
  readonly workerMetricsPort: number;
  /** Address the metrics endpoint listens on (CTPILOT_WORKER_METRICS_HOST; 0.0.0.0 in a container). */
  readonly workerMetricsHost: string;
  /** CTPILOT_POLICIES: what `npm start` applies; undefined: nothing (the examples are never applied by default). */
  readonly policies: string | undefined;
  /** The inbound alert endpoint (workers/alert-receiver.ts); port 0 turns it off. */
  readonly alerts: { readonly port: number; readonly token?: string; readonly hmacSecret?: string };
  readonly audit: AuditConfig;
}

/** Every variable ctpilot reads, with what it does: the README's table and `--help`. */
export const VARIABLES: ReadonlyArray<{ name: string; default: string; description: string }> = [
  {
    name: 'CTPILOT_HOME',
    default: '.ctpilot',
    description: 'service data, logs and process ids of the local stack',
  },
  {
    name: 'CTPILOT_POLICIES',
    default: '— (none)',
    description:
      'policy directory or file that `npm start` applies; unset, it applies none (`npm run demo` or `ctpilot apply` does)',
  },
  {
    name: 'TEMPORAL_ADDRESS',
    default: 'local dev server',
    description: 'host:port of a Temporal frontend to use instead of the local one',
  },
  { name: 'TEMPORAL_NAMESPACE', default: 'default', description: 'Temporal namespace' },
  {
    name: 'TEMPORAL_TLS',
    default: 'false (true with a certificate or an API key)',
    description: 'connect to Temporal over TLS (server verified against the system roots or TEMPORAL_TLS_CA)',
  },
  {
    name: 'TEMPORAL_TLS_CERT / TEMPORAL_TLS_KEY',
    default: '—',
    description: 'PEM client certificate and private key files for mTLS (both or neither)',
  },
  {
    name: 'TEMPORAL_TLS_CA',
    default: 'system roots',
    description: "PEM file of the CA that signed the Temporal frontend's certificate",
  },
  {
    name: 'TEMPORAL_TLS_SERVER_NAME',
    default: 'host of TEMPORAL_ADDRESS',
    description: "name to verify the frontend's certificate against (behind a proxy or a load balancer)",
  },
  {
    name: 'TEMPORAL_API_KEY',
    default: '—',
    description: 'Temporal Cloud API key (sent as a bearer token; implies TLS)',
  },
  {
    name: 'TEMPORAL_UI_URL',
    default: 'http://127.0.0.1:8233',
    description: 'Temporal UI base address, for links',
  },
  {
    name: 'TEMPORAL_HTTP_URL',
    default: "the local dev server's HTTP API; none with `TEMPORAL_ADDRESS`",
    description:
      "the frontend's HTTP API (`http(s)://host:port`), which `list` and `status` ask instead of opening a gRPC connection; unset for an external server, they use gRPC",
  },
  {
    name: 'TEMPORAL_CLI',
    default: 'temporal on PATH, then .venv/bin/temporal',
    description: 'the Temporal CLI binary that runs the local dev server',
  },
  { name: 'CTPILOT_TASK_QUEUE', default: 'ctpilot', description: 'task queue of the orchestrator worker' },
  {
    name: 'CTPILOT_TEMPORAL_PORT',
    default: '7233',
    description: 'gRPC port of the local Temporal dev server',
  },
  { name: 'CTPILOT_TEMPORAL_UI_PORT', default: '8233', description: 'port of the local Temporal UI' },
  {
    name: 'CTPILOT_TEMPORAL_HTTP_PORT',
    default: '7243',
    description: 'HTTP API port of the local Temporal dev server',
  },
  {
    name: 'CTPILOT_TEMPORAL_HEADLESS',
    default: 'false',
    description: 'start the local Temporal dev server without its Web UI',
  },
  {
    name: 'CTPILOT_TEMPORAL_METRICS_PORT',
    default: '7244',
    description: 'metrics port of the local Temporal dev server',
  },
  {
    name: 'MLFLOW_TRACKING_URI',
    default: 'local server',
    description: 'MLflow tracking server to use instead of the local one',
  },
  { name: 'MLFLOW_TRACKING_TOKEN', default: '—', description: 'bearer token for MLflow' },
  { name: 'CTPILOT_MLFLOW_PORT', default: '5000', description: 'port of the local MLflow server' },
  {
    name: 'CTPILOT_MLFLOW_BUCKET',
    default: 'mlflow',
    description: 'bucket of the local MLflow server’s artifacts',
  },
  {
    name: 'DATABASE_URL',
    default: 'local PGlite',
    description: 'PostgreSQL for the audit history (and the local MLflow backend store)',
  },
  {
    name: 'CTPILOT_POSTGRES_PORT',
    default: '55432',
    description: "port of the local PostgreSQL (Debian's PostgreSQL, or PGlite over the wire protocol)",
  },
  {
    name: 'CTPILOT_POSTGRES_ENGINE',
    default: 'postgresql when installed, else pglite',
    description:
      "the local PostgreSQL: `postgresql` (Debian's, one session per connection, the worker as the least-privilege role ctpilot_worker) or `pglite` (no install; one shared session, so no isolation between clients)",
  },
  {
    name: 'S3_ENDPOINT',
    default: 'local server',
    description:
      'S3-compatible endpoint to use instead of the local one (AWS credentials from the usual AWS variables)',
  },
  {
    name: 'S3_BUCKET',
    default: 'ctpilot',
    description: "ctpilot's bucket for reports, evidence packs and shadow logs",
  },
  {
    name: 'S3_FORCE_PATH_STYLE',
    default: 'true for a custom endpoint',
    description: 'path-style addressing (needed by most local S3 servers)',
  },
  { name: 'AWS_REGION', default: 'us-east-1', description: 'S3 region' },
  { name: 'CTPILOT_S3_PORT', default: '9000', description: 'port of the local S3-compatible server' },
  {
    name: 'PROMETHEUS_URL',
    default: 'local server',
    description: 'Prometheus to query instead of the local one',
  },
  { name: 'PROMETHEUS_BEARER_TOKEN', default: '—', description: 'bearer token for Prometheus' },
  {
    name: 'PROMETHEUS_USERNAME / PROMETHEUS_PASSWORD',
    default: '—',
    description: 'basic auth for Prometheus',
  },
  { name: 'CTPILOT_PROMETHEUS_PORT', default: '9090', description: 'port of the local Prometheus' },
  {
    name: 'CTPILOT_LOG_FORMAT',
    default: 'pretty',
    description:
      'pretty: JSON lines to the log file, readable lines on the terminal; json: JSON lines on stdout only (containers)',
  },
  {
    name: 'CTPILOT_LOG_LEVEL',
    default: 'warn',
    description: 'lowest log level printed on the terminal (the log file has info and up)',
  },
  {
    name: 'CTPILOT_ALERTS_PORT',
    default: '9465',
    description: 'port of the inbound alert endpoint (POST /alerts/<source>; 0: off)',
  },
  {
    name: 'CTPILOT_ALERTS_TOKEN',
    default: 'generated into .ctpilot/alerts-token',
    description: 'bearer token senders of alerts must present',
  },
  {
    name: 'CTPILOT_ALERTS_HMAC_SECRET',
    default: '—',
    description: 'HMAC secret for signed alerts (X-Ctpilot-Signature), instead of or beside the token',
  },
  {
    name: 'CTPILOT_DEPLOY_HOOK_SECRET',
    default: 'generated into .ctpilot/deploy-hook-secret by `npm start`',
    description:
      // biome-ignore lint/suspicious/noTemplateCurlyInString: a secret reference, written as in a policy
      'a deploy-hook secret policies can name as ${env:CTPILOT_DEPLOY_HOOK_SECRET} (the demo policy does; `npm run demo` gives the example simulator the same)',
  },
  {
    name: 'CTPILOT_DEMO_PORT',
    default: '8780',
    description:
      'port of the demo’s traffic simulator (`npm run demo`); the demo applies its policy with this port',
  },
  {
    name: 'CTPILOT_AUDIT_SIGNING_KEY',
    default: 'generated into .ctpilot/audit-signing-key.pem by `npm start`',
    description:
      // biome-ignore lint/suspicious/noTemplateCurlyInString: a secret reference, written as the variable takes it
      'the Ed25519 key (PKCS#8 PEM) the worker signs audit rows and checkpoints with, by reference: ${file:/path.pem} or ${env:NAME}; the database never holds it',
  },
  {
    name: 'CTPILOT_AUDIT_PUBLIC_KEYS',
    default: 'the signing key’s own (and .ctpilot/audit-signing-key.pub.pem)',
    description:
      'comma-separated PEM files of public keys audit rows may be signed with (verifying without the private key; key rotation)',
  },
  {
    name: 'CTPILOT_AUDIT_BUCKET',
    default: 'ctpilot-audit',
    description:
      'bucket of the signed audit checkpoints; created with Object Lock (compliance mode) where the store offers it, else versioning',
  },
  {
    name: 'CTPILOT_AUDIT_CHECKPOINT_EVERY',
    default: '5m',
    description: 'how often, at most, a model’s audit head is checkpointed to the artefact store',
  },
  {
    name: 'CTPILOT_AUDIT_RETENTION_DAYS',
    default: '90',
    description: 'how long each checkpoint is locked against deletion (Object Lock retention)',
  },
  {
    name: 'CTPILOT_WORKER_METRICS_PORT',
    default: '9464',
    description: "port of the worker's /metrics endpoint (0: off)",
  },
  {
    name: 'CTPILOT_TRAINING_CONCURRENCY',
    default: '2',
    description: 'training jobs at once per training worker (workers/run.ts --training)',
  },
  {
    name: 'CTPILOT_WORKER_METRICS_HOST',
    default: '127.0.0.1',
    description:
      'address the /metrics and /healthz endpoint (and, from workers/run.ts, the alert endpoint) listens on (0.0.0.0 in a container)',
  },
  {
    name: 'OTEL_EXPORTER_OTLP_ENDPOINT',
    default: '— (tracing off)',
    description:
      'OTLP/HTTP collector for OpenTelemetry traces of workflows and activities (OTEL_EXPORTER_OTLP_HEADERS, OTEL_SERVICE_NAME also read)',
  },
];

/** Credentials of the local S3 server only: it listens on loopback and holds development data. */
const LOCAL_S3_ACCESS_KEY = 'ctpilot-local';
const LOCAL_S3_SECRET_KEY = 'ctpilot-local-secret';

function port(env: NodeJS.ProcessEnv, variable: string, fallback: number): number {
  const raw = env[variable];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 0 || value > 65535) {
    throw new ConfigError(variable, `expected a port number from 0 to 65535, got ${JSON.stringify(raw)}`);
  }
  return value;
}

function url(env: NodeJS.ProcessEnv, variable: string): string | undefined {
  const raw = env[variable]?.trim();
  if (!raw) return undefined;
  try {
    return new URL(raw).toString().replace(/\/$/, '');
  } catch {
    throw new ConfigError(
      variable,
      `expected a URL such as http://127.0.0.1:9090, got ${JSON.stringify(raw)}`,
    );
  }
}

function flag(env: NodeJS.ProcessEnv, variable: string, fallback: boolean): boolean {
  const raw = env[variable]?.trim().toLowerCase();
  if (raw === undefined || raw === '') return fallback;
  if (['1', 'true', 'yes', 'on'].includes(raw)) return true;
  if (['0', 'false', 'no', 'off'].includes(raw)) return false;
  throw new ConfigError(variable, `expected true or false, got ${JSON.stringify(env[variable])}`);
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === '' ? undefined : value;
}

/**
 * TLS to Temporal from TEMPORAL_TLS and the certificate variables. Files are
 * named here and read when connecting (a mounted secret may be rotated); a
 * certificate without its key, or a file that does not exist, is refused now
 * rather than as a handshake failure later.
 */
function temporalTlsFrom(env: NodeJS.ProcessEnv): TemporalTlsConfig | undefined {
  const file = (variable: string) => {
    const value = nonEmpty(env[variable]?.trim());
    if (value !== undefined && !existsSync(value))
      throw new ConfigError(variable, `no such file: ${value} (a PEM file is expected)`);
    return value;
  };
  const certPath = file('TEMPORAL_TLS_CERT');
  const keyPath = file('TEMPORAL_TLS_KEY');
  const caPath = file('TEMPORAL_TLS_CA');
  const serverName = nonEmpty(env.TEMPORAL_TLS_SERVER_NAME?.trim());
  if ((certPath === undefined) !== (keyPath === undefined)) {
    throw new ConfigError(
      certPath === undefined ? 'TEMPORAL_TLS_CERT' : 'TEMPORAL_TLS_KEY',
      'mTLS needs both TEMPORAL_TLS_CERT and TEMPORAL_TLS_KEY',
    );
  }
  const wanted =
    flag(env, 'TEMPORAL_TLS', false) || [certPath, caPath, serverName].some((v) => v !== undefined);
  if (!wanted) return undefined;
  return {
    ...(certPath ? { certPath } : {}),
    ...(keyPath ? { keyPath } : {}),
    ...(caPath ? { caPath } : {}),
    ...(serverName ? { serverName } : {}),
  };
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const root = PROJECT_ROOT;
  const home = resolve(env.CTPILOT_HOME ?? join(root, '.ctpilot'));
  const venvBin = join(root, '.venv', 'bin');

  const temporalPort = port(env, 'CTPILOT_TEMPORAL_PORT', 7233);
  const temporalUiPort = port(env, 'CTPILOT_TEMPORAL_UI_PORT', 8233);
  const temporalAddress = nonEmpty(env.TEMPORAL_ADDRESS);
  if (temporalAddress && !/^[^\s:/]+:\d+$/.test(temporalAddress)) {
    throw new ConfigError(
      'TEMPORAL_ADDRESS',
      `expected host:port such as 127.0.0.1:7233, got ${JSON.stringify(temporalAddress)}`,
    );
  }

  const temporalTls = temporalTlsFrom(env);
  const temporalApiKey = nonEmpty(env.TEMPORAL_API_KEY?.trim());

  const mlflowPort = port(env, 'CTPILOT_MLFLOW_PORT', 5000);
  const mlflowUri = url(env, 'MLFLOW_TRACKING_URI');

  const s3Port = port(env, 'CTPILOT_S3_PORT', 9000);
  const s3Endpoint = url(env, 'S3_ENDPOINT');

  const prometheusPort = port(env, 'CTPILOT_PROMETHEUS_PORT', 9090);
  const prometheusUrl = url(env, 'PROMETHEUS_URL');

  return {
    root,
    home,
    venvBin,
    temporal: {
      external: temporalAddress !== undefined,
      address: temporalAddress ?? `127.0.0.1:${temporalPort}`,
      namespace: nonEmpty(env.TEMPORAL_NAMESPACE) ?? 'default',
      taskQueue: nonEmpty(env.CTPILOT_TASK_QUEUE) ?? 'ctpilot',
      port: temporalPort,
      uiPort: temporalUiPort,
      httpPort: port(env, 'CTPILOT_TEMPORAL_HTTP_PORT', 7243),
      ...temporalHttpUrl(env, temporalAddress === undefined),
      metricsPort: port(env, 'CTPILOT_TEMPORAL_METRICS_PORT', 7244),
      uiUrl: url(env, 'TEMPORAL_UI_URL') ?? `http://127.0.0.1:${temporalUiPort}`,
      cli: nonEmpty(env.TEMPORAL_CLI) ?? 'temporal',
      headless: flag(env, 'CTPILOT_TEMPORAL_HEADLESS', false),
      ...(temporalTls || temporalApiKey ? { tls: temporalTls ?? {} } : {}),
      ...(temporalApiKey ? { apiKey: temporalApiKey } : {}),
    },
    mlflow: {
      external: mlflowUri !== undefined,
      trackingUri: mlflowUri ?? `http://127.0.0.1:${mlflowPort}`,
      port: mlflowPort,
      token: nonEmpty(env.MLFLOW_TRACKING_TOKEN),
    },
    postgres: postgresFrom(env, home),
    s3: {
      external: s3Endpoint !== undefined,
      endpoint: s3Endpoint ?? `http://127.0.0.1:${s3Port}`,
      port: s3Port,
      region: nonEmpty(env.AWS_REGION) ?? nonEmpty(env.AWS_DEFAULT_REGION) ?? 'us-east-1',
      accessKeyId: s3Endpoint ? nonEmpty(env.AWS_ACCESS_KEY_ID) : LOCAL_S3_ACCESS_KEY,
      secretAccessKey: s3Endpoint ? nonEmpty(env.AWS_SECRET_ACCESS_KEY) : LOCAL_S3_SECRET_KEY,
      bucket: nonEmpty(env.S3_BUCKET) ?? 'ctpilot',
      mlflowBucket: nonEmpty(env.CTPILOT_MLFLOW_BUCKET) ?? 'mlflow',
      forcePathStyle: flag(env, 'S3_FORCE_PATH_STYLE', true),
    },
    prometheus: {
      external: prometheusUrl !== undefined,
      url: prometheusUrl ?? `http://127.0.0.1:${prometheusPort}`,
      port: prometheusPort,
      bearerToken: nonEmpty(env.PROMETHEUS_BEARER_TOKEN),
      username: nonEmpty(env.PROMETHEUS_USERNAME),
      password: nonEmpty(env.PROMETHEUS_PASSWORD),
    },
    workerMetricsPort: port(env, 'CTPILOT_WORKER_METRICS_PORT', 9464),
    workerMetricsHost: nonEmpty(env.CTPILOT_WORKER_METRICS_HOST?.trim()) ?? '127.0.0.1',
    policies: nonEmpty(env.CTPILOT_POLICIES) ? resolve(root, env.CTPILOT_POLICIES as string) : undefined,
    alerts: {
      port: port(env, 'CTPILOT_ALERTS_PORT', 9465),
      token: nonEmpty(env.CTPILOT_ALERTS_TOKEN),
      hmacSecret: nonEmpty(env.CTPILOT_ALERTS_HMAC_SECRET),
    },
    audit: auditFrom(env, home),
  };
}

function temporalHttpUrl(env: NodeJS.ProcessEnv, local: boolean): { httpUrl?: string } {
  const given = url(env, 'TEMPORAL_HTTP_URL');
  if (given) return { httpUrl: given };
  return local ? { httpUrl: `http://127.0.0.1:${port(env, 'CTPILOT_TEMPORAL_HTTP_PORT', 7243)}` } : {};
}

function auditFrom(env: NodeJS.ProcessEnv, home: string): AuditConfig {
  const given = nonEmpty(env.CTPILOT_AUDIT_SIGNING_KEY?.trim());
  if (given !== undefined && !/^\$\{(env|file):[^}]+\}$/.test(given)) {
    throw new ConfigError(
      'CTPILOT_AUDIT_SIGNING_KEY',
      // biome-ignore lint/suspicious/noTemplateCurlyInString: the reference forms, as the user writes them
      'give the key by reference, ${env:NAME} or ${file:/absolute/path.pem}, never the key itself',
    );
  }
  const local = join(home, LOCAL_AUDIT_KEY);
  const every = nonEmpty(env.CTPILOT_AUDIT_CHECKPOINT_EVERY) ?? '5m';
  const everyMatch = /^(\d+)(s|m|h)$/.exec(every);
  if (!everyMatch)
    throw new ConfigError(
      'CTPILOT_AUDIT_CHECKPOINT_EVERY',
      `expected a duration such as 5m, got ${JSON.stringify(every)}`,
    );
  const retention = Number(nonEmpty(env.CTPILOT_AUDIT_RETENTION_DAYS) ?? '90');
  if (!Number.isInteger(retention) || retention < 1)
    throw new ConfigError('CTPILOT_AUDIT_RETENTION_DAYS', 'expected a whole number of days, at least 1');
  const localPublic = join(home, LOCAL_AUDIT_PUBLIC_KEY);
  return {
    ...(given !== undefined
      ? { signingKey: given }
      : existsSync(local)
        ? { signingKey: `\${file:${local}}` }
        : {}),
    publicKeys: [
      ...(nonEmpty(env.CTPILOT_AUDIT_PUBLIC_KEYS) ?? '')
        .split(',')
        .map((p) => p.trim())
        .filter(Boolean),
      ...(existsSync(localPublic) ? [localPublic] : []),
    ],
    bucket: nonEmpty(env.CTPILOT_AUDIT_BUCKET) ?? 'ctpilot-audit',
    checkpointEveryMs: Number(everyMatch[1]) * { s: 1_000, m: 60_000, h: 3_600_000 }[everyMatch[2] as 's'],
    retentionDays: retention,
  };
}
