// Drives the support-ticket example from TypeScript: what ctpilot's
// end-to-end tests import. It bootstraps the first champion, runs the MLflow
// project's `train` entry point against a given run, and starts traffic
// simulators (Python processes, recorded by process id and stopped by it).
//
// Where the services are comes from the same variables as everywhere in
// ctpilot (workers/config.ts): MLFLOW_TRACKING_URI, S3_ENDPOINT, AWS_*,
// CTPILOT_HOME, … — pass `env` to point at another stack than process.env's.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { isAlive, launch, logTail, readRecord, stopRecorded } from '../../infra/stack/processes.ts';
import { type Config, loadConfig, PROJECT_ROOT } from '../../workers/config.ts';
import { DEPLOY_HOOK, type DeployHookBody, signDeployHook } from './deploy-hook.ts';
import { METRICS, parseMetrics, promql, type Sample, sumOf } from './metrics.ts';

export {
  DEPLOY_HOOK,
  type DeployHookBody,
  METRICS,
  parseMetrics,
  promql,
  type Sample,
  signDeployHook,
  sumOf,
};

/** The MLflow project directory (the URI for `mlflow run`). */
export const EXAMPLE_DIR = join(PROJECT_ROOT, 'examples', 'support-tickets');
/** The four teams, i.e. the labels. */
export const CATEGORIES = ['billing', 'technical', 'account', 'shipping'] as const;
/** Default experiment of bootstrap runs. */
export const DEFAULT_EXPERIMENT = 'support-tickets';

// ---------------------------------------------------------------- environment

/** Variables for the example's Python processes: the stack's services and the project's venv first on PATH. */
export function pythonEnv(config: Config): Record<string, string> {
  const env: Record<string, string> = {
    PATH: `${config.venvBin}:${process.env.PATH ?? '/usr/bin:/bin'}`,
    MLFLOW_TRACKING_URI: config.mlflow.trackingUri,
    S3_ENDPOINT: config.s3.endpoint,
    S3_BUCKET: config.s3.bucket,
    S3_FORCE_PATH_STYLE: String(config.s3.forcePathStyle),
    AWS_REGION: config.s3.region,
    PYTHONUNBUFFERED: '1',
    // MLflow's client telemetry races on its session variable and can fail a
    // request with KeyError '_MLFLOW_TELEMETRY_SESSION_ID' (seen bootstrapping the champion).
    MLFLOW_DISABLE_TELEMETRY: 'true',
    // mlflow run looks for git to tag the run's source version; not finding it is not an error here.
    GIT_PYTHON_REFRESH: 'quiet',
  };
  if (config.mlflow.token) env.MLFLOW_TRACKING_TOKEN = config.mlflow.token;
  if (config.s3.accessKeyId) env.AWS_ACCESS_KEY_ID = config.s3.accessKeyId;
  if (config.s3.secretAccessKey) env.AWS_SECRET_ACCESS_KEY = config.s3.secretAccessKey;
  return env;
}

/** Default log prefix of a simulator instance: `s3://<S3_BUCKET>/examples/support-tickets/<instance>/`. */
export function defaultLogPrefix(config: Config, instance: string): string {
  return `s3://${config.s3.bucket}/examples/support-tickets/${instance}/`;
}

interface ProcessOutcome {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

function run(
  command: string,
  args: readonly string[],
  env: Record<string, string>,
  timeoutMs: number,
): Promise<ProcessOutcome> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: EXAMPLE_DIR, env: { ...process.env, ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk;
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk;
    });
    const timer = setTimeout(() => child.kill('SIGTERM'), timeoutMs);
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(
        new Error(`could not run ${command}: ${error.message} (run \`npm run bootstrap\` for the venv)`),
      );
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

function lastJsonLine(text: string): Record<string, unknown> | undefined {
  for (const line of text.trim().split('\n').reverse()) {
    if (!line.startsWith('{')) continue;
    try {
      return JSON.parse(line) as Record<string, unknown>;
    } catch {}
  }
  return undefined;
}

function tail(text: string, lines = 15): string {
  return text.trimEnd().split('\n').slice(-lines).join('\n');
}

// ---------------------------------------------------------------- bootstrap

export interface BootstrapOptions {
  /** Registered model name. */
  readonly modelName: string;
  /** Alias to point at the first version (default `champion`). */
  readonly alias?: string;
  readonly experiment?: string;
  /** Synthetic pre-launch tickets to train on (default 4000). */
  readonly rows?: number;
  readonly seed?: number;
  /** Where the services are (default process.env). */
  readonly env?: NodeJS.ProcessEnv;
  readonly timeoutMs?: number;
}

export interface BootstrapResult {
  readonly modelName: string;
  readonly alias: string;
  readonly version: string;
  readonly runId: string;
  /** False when the alias already existed (or a version from an interrupted bootstrap was reused). */
  readonly created: boolean;
  /** Validation accuracy of the new model (only when created). */
  readonly valAccuracy?: number;
}

/**
 * Trains the first model on pre-launch tickets, registers it and points the
 * alias at it. Idempotent: with the alias in place it changes nothing.
 */
export async function bootstrapChampion(options: BootstrapOptions): Promise<BootstrapResult> {
  const config = loadConfig(options.env ?? process.env);
  const args = ['-m', 'support_tickets.bootstrap_champion', '--model-name', options.modelName];
  if (options.alias) args.push('--alias', options.alias);
  if (options.experiment) args.push('--experiment', options.experiment);
  if (options.rows !== undefined) args.push('--rows', String(options.rows));
  if (options.seed !== undefined) args.push('--seed', String(options.seed));
  const outcome = await run(
    join(config.venvBin, 'python'),
    args,
    // Never attach to a run id this process happens to carry: bootstrap makes its own run.
    { ...pythonEnv(config), MLFLOW_RUN_ID: '' },
    options.timeoutMs ?? 300_000,
  );
  const summary = lastJsonLine(outcome.stdout);
  if (outcome.code !== 0 || !summary) {
    throw new Error(
      `bootstrap_champion for ${options.modelName} failed (exit ${outcome.code}):\n${tail(outcome.stderr || outcome.stdout)}`,
    );
  }
  return {
    modelName: String(summary.model_name),
    alias: String(summary.alias),
    version: String(summary.version),
    runId: String(summary.run_id),
    created: summary.created === true,
    valAccuracy: typeof summary.val_accuracy === 'number' ? summary.val_accuracy : undefined,
  };
}

// ---------------------------------------------------------------- training

/** Parameters of the `train` entry point, named as in the MLproject file. */
export interface TrainParameters {
  /** `s3://bucket/prefix/` of a simulator's logs, or `synthetic` (default). */
  readonly data_uri?: string;
  /** Window start: unix seconds, ISO 8601, or a duration before now (`30m`, `7d`). */
  readonly since?: string;
  readonly until?: string;
  /** Keep the most recent N labelled rows (0: all). */
  readonly max_rows?: number;
  /** Fail when the window has fewer labelled rows (default 50). */
  readonly min_rows?: number;
  readonly seed?: number;
  /** 0..1: relabel this share of training rows systematically, for a deliberately worse model. */
  readonly degrade?: number;
  readonly holdout?: number;
  readonly synthetic_rows?: number;
  readonly synthetic_drift?: number;
}

export interface CommandSpec {
  readonly command: string;
  readonly args: readonly string[];
  readonly cwd: string;
  readonly env: Record<string, string>;
}

/** The `mlflow run` command line of the `train` entry point against an existing run (what a launcher executes). */
export function trainingCommand(runId: string, parameters: TrainParameters, config: Config): CommandSpec {
  const args = ['run', EXAMPLE_DIR, '-e', 'train', '--run-id', runId, '--env-manager', 'local'];
  for (const [key, value] of Object.entries(parameters)) {
    if (value !== undefined) args.push('-P', `${key}=${value}`);
  }
  return { command: join(config.venvBin, 'mlflow'), args, cwd: EXAMPLE_DIR, env: pythonEnv(config) };
}

export interface TrainingOutcome {
  readonly ok: boolean;
  readonly exitCode: number | null;
  /** The entry point's summary line (run_id, model_uri, model_id, val_* metrics, row counts) when it succeeded. */
  readonly summary?: Record<string, unknown>;
  /** stdout and stderr of `mlflow run`, for messages and debugging. */
  readonly output: string;
}

/** Runs the `train` entry point into the given (pre-created) MLflow run, as ctpilot's project launcher does. */
export async function runTraining(options: {
  readonly runId: string;
  readonly parameters?: TrainParameters;
  readonly env?: NodeJS.ProcessEnv;
  readonly timeoutMs?: number;
}): Promise<TrainingOutcome> {
  const config = loadConfig(options.env ?? process.env);
  const spec = trainingCommand(options.runId, options.parameters ?? {}, config);
  const outcome = await run(spec.command, spec.args, spec.env, options.timeoutMs ?? 300_000);
  return {
    ok: outcome.code === 0,
    exitCode: outcome.code,
    summary: outcome.code === 0 ? lastJsonLine(outcome.stdout) : undefined,
    output: `${outcome.stdout}${outcome.stderr}`,
  };
}

// ---------------------------------------------------------------- simulator

export interface SimulatorOptions {
  readonly modelName: string;
  /** Alias of the serving version (default `champion`). */
  readonly alias?: string;
  /** Simulated requests per second (default 5; 0: none). */
  readonly rate?: number;
  /** Seconds until a label arrives (default 5). */
  readonly labelDelaySeconds?: number;
  /** Share of requests ever labelled (default 1). */
  readonly labelFraction?: number;
  /** Initial drift level 0..1 (default 0). */
  readonly drift?: number;
  readonly seed?: number;
  /** Labels behind the accuracy gauge (default 100). */
  readonly accuracyWindow?: number;
  /** Name in request ids, log keys, metrics and the process record (default `st-<random>`). */
  readonly instance?: string;
  /** Port to listen on (default 0: a free one, reported when ready). */
  readonly port?: number;
  /** `s3://bucket/prefix/` of the request and label logs (default: defaultLogPrefix); null: no logs. */
  readonly logPrefix?: string | null;
  /** Seconds between log batches (default 2). */
  readonly flushSeconds?: number;
  /**
   * Register with Prometheus (file_sd): a targets directory, or true for the
   * local stack's `$CTPILOT_HOME/prometheus/targets` (default: true when it exists).
   */
  readonly prometheus?: boolean | string;
  /** Scrape interval asked of Prometheus (default `5s`). */
  readonly scrapeInterval?: string;
  /** Shared secret of the deploy hook (default: a random one, on the handle). */
  readonly hookSecret?: string;
  /** Stop the simulator when this Node process ends (default true). */
  readonly exitWithParent?: boolean;
  readonly env?: NodeJS.ProcessEnv;
  /** How long to wait for the model to load and the port to open (default 120 s). */
  readonly startTimeoutMs?: number;
}

/** GET /admin/state. */
export interface SimulatorState {
  readonly instance: string;
  readonly started_at: number;
  readonly model: {
    readonly name: string;
    readonly alias: string;
    readonly version: string;
    readonly run_id: string;
    readonly loaded_at: number;
  };
  readonly drift: { readonly level: number; readonly changed_at: number };
  readonly traffic: {
    readonly rate: number;
    readonly sent: number;
    readonly errors: number;
    readonly last_error: string | null;
    readonly label_delay: number;
    readonly label_fraction: number;
  };
  readonly requests: number;
  readonly labels: number;
  readonly pending_labels: number;
  /** Labels of requests scored since the last drift change. */
  readonly labels_since_drift_change: number;
  /** Labels of requests scored by the serving version since it was loaded. */
  readonly labels_for_serving_version: number;
  /** Accuracy over the last `accuracy_window.size` labels, null before the first. */
  readonly accuracy: number | null;
  readonly accuracy_window: { readonly labels: number; readonly size: number };
  readonly log: {
    readonly prefix: string;
    readonly written: { readonly requests: number; readonly labels: number };
    readonly buffered: number;
    readonly last_error: string | null;
  } | null;
  readonly deploy_hook: boolean;
  readonly at: number;
}

export interface ScoreResult {
  readonly predictions: string[];
  /** The version that answered (X-Model-Version). */
  readonly version: string;
  /** Request ids in the log (X-Request-Ids), for labels sent to POST /labels. */
  readonly ids: string[];
}

export interface HookAnswer {
  readonly status: number;
  readonly body: Record<string, unknown>;
}

export interface Simulator {
  readonly instance: string;
  readonly modelName: string;
  readonly alias: string;
  /** Base URL; the champion's scoring endpoint is `${url}/invocations`. */
  readonly url: string;
  readonly metricsUrl: string;
  readonly pid: number;
  /** `s3://bucket/prefix/` of the logs, or undefined when logging is off. */
  readonly logPrefix?: string;
  readonly requestsPrefix?: string;
  readonly labelsPrefix?: string;
  readonly hookSecret: string;
  readonly logFile: string;
  injectDrift(level: number): Promise<void>;
  setRate(requestsPerSecond: number): Promise<void>;
  state(): Promise<SimulatorState>;
  /** Writes buffered log records to S3 now. */
  flush(): Promise<{ written: Record<string, number> }>;
  metrics(): Promise<Sample[]>;
  score(texts: readonly string[]): Promise<ScoreResult>;
  /** Calls the deploy hook, signed with the simulator's secret (or `secret`) at `timestamp` (default now). */
  reload(body?: DeployHookBody, options?: { secret?: string; timestamp?: number }): Promise<HookAnswer>;
  /** SIGTERM (the simulator writes its buffered logs), SIGKILL after 20 s; resolves once it is gone. */
  stop(): Promise<void>;
}

/** Thrown when the simulator does not become ready; carries the end of its log. */
export class SimulatorStartError extends Error {
  constructor(
    readonly instance: string,
    readonly logFile: string,
    reason: string,
  ) {
    super(`simulator ${instance} did not start: ${reason}\n--- ${logFile} (end)\n${logTail(logFile, 25)}`);
    this.name = 'SimulatorStartError';
  }
}

async function call(url: string, init?: RequestInit): Promise<Response> {
  const response = await fetch(url, { ...init, signal: AbortSignal.timeout(30_000) });
  if (!response.ok)
    throw new Error(`${init?.method ?? 'GET'} ${url}: HTTP ${response.status} ${await response.text()}`);
  return response;
}

function postJson(url: string, body: unknown): Promise<Response> {
  return call(url, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
  });
}

/** Starts a simulator on a free port and resolves once it serves the champion. */
export async function startSimulator(options: SimulatorOptions): Promise<Simulator> {
  const config = loadConfig(options.env ?? process.env);
  const instance = options.instance ?? `st-${randomBytes(4).toString('hex')}`;
  const name = `support-tickets-${instance}`;
  const readyFile = join(config.home, 'run', `${name}.ready`);
  const hookSecret = options.hookSecret ?? randomBytes(24).toString('hex');
  const logPrefix =
    options.logPrefix === null ? undefined : (options.logPrefix ?? defaultLogPrefix(config, instance));
  const localTargets = join(config.home, 'prometheus', 'targets');
  const targets =
    typeof options.prometheus === 'string'
      ? options.prometheus
      : (options.prometheus ?? existsSync(localTargets))
        ? localTargets
        : undefined;

  const args = [
    '-m',
    'support_tickets.simulator',
    '--model-name',
    options.modelName,
    '--port',
    String(options.port ?? 0),
  ];
  const flag = (flagName: string, value: string | number | undefined) => {
    if (value !== undefined) args.push(flagName, String(value));
  };
  flag('--alias', options.alias);
  flag('--instance', instance);
  flag('--rate', options.rate);
  flag('--label-delay', options.labelDelaySeconds);
  flag('--label-fraction', options.labelFraction);
  flag('--drift', options.drift);
  flag('--seed', options.seed);
  flag('--accuracy-window', options.accuracyWindow);
  flag('--log-prefix', logPrefix ?? 'none');
  flag('--flush-seconds', options.flushSeconds);
  flag('--prometheus-targets-dir', targets);
  flag('--scrape-interval', options.scrapeInterval);
  flag('--ready-file', readyFile);
  if (options.exitWithParent ?? true) args.push('--exit-with-parent');

  rmSync(readyFile, { force: true });
  const record = launch(config.home, name, {
    command: join(config.venvBin, 'python'),
    args,
    cwd: EXAMPLE_DIR,
    env: { ...pythonEnv(config), [DEPLOY_HOOK.secretVariable]: hookSecret },
  });

  const deadline = Date.now() + (options.startTimeoutMs ?? 120_000);
  let ready: { url: string; port: number } | undefined;
  while (!ready) {
    if (existsSync(readyFile)) {
      ready = JSON.parse(readFileSync(readyFile, 'utf8')) as { url: string; port: number };
      break;
    }
    if (!isAlive(record)) {
      await stopRecorded(config.home, name, 1000);
      throw new SimulatorStartError(instance, record.logFile, 'the process exited');
    }
    if (Date.now() > deadline) {
      await stopRecorded(config.home, name, 5000);
      throw new SimulatorStartError(
        instance,
        record.logFile,
        `not ready within ${options.startTimeoutMs ?? 120_000} ms`,
      );
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  await call(`${ready.url}/ping`);
  return attach(config, {
    instance,
    modelName: options.modelName,
    alias: options.alias ?? 'champion',
    url: ready.url,
    pid: record.pid,
    logPrefix,
    hookSecret,
    logFile: record.logFile,
  });
}

/**
 * A simulator started earlier (by another process, e.g. `npm run demo`)
 * that is still running: found by its process record and ready file in
 * the home. Undefined when there is none.
 */
export function runningSimulator(
  instance: string,
  options: { readonly hookSecret: string; readonly env?: NodeJS.ProcessEnv },
): Simulator | undefined {
  const config = loadConfig(options.env ?? process.env);
  const name = `support-tickets-${instance}`;
  const record = readRecord(config.home, name);
  const readyFile = join(config.home, 'run', `${name}.ready`);
  if (!record || !isAlive(record) || !existsSync(readyFile)) return undefined;
  const ready = JSON.parse(readFileSync(readyFile, 'utf8')) as {
    url: string;
    model_name: string;
    alias: string;
    log_prefix?: string | null;
  };
  return attach(config, {
    instance,
    modelName: ready.model_name,
    alias: ready.alias,
    url: ready.url,
    pid: record.pid,
    logPrefix: ready.log_prefix ?? undefined,
    hookSecret: options.hookSecret,
    logFile: record.logFile,
  });
}

/** The handle on a running simulator process. */
function attach(
  config: Config,
  at: {
    instance: string;
    modelName: string;
    alias: string;
    url: string;
    pid: number;
    logPrefix: string | undefined;
    hookSecret: string;
    logFile: string;
  },
): Simulator {
  const { instance, url, logPrefix, hookSecret } = at;
  const name = `support-tickets-${instance}`;
  const readyFile = join(config.home, 'run', `${name}.ready`);
  return {
    instance,
    modelName: at.modelName,
    alias: at.alias,
    url,
    metricsUrl: `${url}/metrics`,
    pid: at.pid,
    logPrefix,
    requestsPrefix: logPrefix ? `${logPrefix}requests/` : undefined,
    labelsPrefix: logPrefix ? `${logPrefix}labels/` : undefined,
    hookSecret,
    logFile: at.logFile,
    async injectDrift(level) {
      await postJson(`${url}/admin/drift`, { level });
    },
    async setRate(requestsPerSecond) {
      await postJson(`${url}/admin/traffic`, { rate: requestsPerSecond });
    },
    async state() {
      return (await (await call(`${url}/admin/state`)).json()) as SimulatorState;
    },
    async flush() {
      return (await (await postJson(`${url}/admin/flush`, {})).json()) as { written: Record<string, number> };
    },
    async metrics() {
      return parseMetrics(await (await call(`${url}/metrics`)).text());
    },
    async score(texts) {
      const response = await postJson(`${url}/invocations`, {
        dataframe_records: texts.map((text) => ({ text })),
      });
      const body = (await response.json()) as { predictions: string[] };
      return {
        predictions: body.predictions,
        version: response.headers.get('x-model-version') ?? '',
        ids: (response.headers.get('x-request-ids') ?? '').split(',').filter((id) => id !== ''),
      };
    },
    async reload(body = {}, hookOptions = {}) {
      const raw = JSON.stringify(body);
      const response = await fetch(`${url}${DEPLOY_HOOK.path}`, {
        method: 'POST',
        headers: {
          'Content-Type': 'application/json',
          [DEPLOY_HOOK.header]: signDeployHook(hookOptions.secret ?? hookSecret, raw, hookOptions.timestamp),
        },
        body: raw,
        signal: AbortSignal.timeout(120_000),
      });
      return { status: response.status, body: (await response.json()) as Record<string, unknown> };
    },
    async stop() {
      if (readRecord(config.home, name)) await stopRecorded(config.home, name, 20_000);
      rmSync(readyFile, { force: true });
    },
  };
}
