// Logging for the worker processes: structured JSON lines (pino) with the
// workflow, run, activity and policy they concern, and secrets redacted.
//
// - `CTPILOT_LOG_FORMAT=pretty` (default): JSON lines to <home>/logs/<name>.log
//   (complete, for grep and log shippers) and readable lines on the terminal
//   (warnings and above, unless CTPILOT_LOG_LEVEL says otherwise).
// - `CTPILOT_LOG_FORMAT=json`: JSON lines on stdout only, at CTPILOT_LOG_LEVEL
//   (default info) — for containers, whose runtime collects stdout.
//
// Redaction is in two layers: fields whose name says secret (password,
// token, secret, authorization, apiKey, …, at any of the first levels of
// nesting) are replaced, and any string that carries credentials — a URL with
// user:password, the value of a secret variable from the environment — is
// scrubbed wherever it appears, messages included.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { LogLevel, LogMetadata, Logger as TemporalLogger } from '@temporalio/common';
import { type Logger, multistream, pino } from 'pino';
import pretty from 'pino-pretty';

const SECRET_KEYS = [
  'password',
  'passwd',
  'token',
  'secret',
  'authorization',
  'apiKey',
  'api_key',
  'accessToken',
  'clientSecret',
  'hmacSecret',
  'secretAccessKey',
  'cookie',
];

/** pino redaction paths: each secret-looking key at the top level and up to three levels down. */
export const REDACT_PATHS: readonly string[] = SECRET_KEYS.flatMap((k) => [
  k,
  `*.${k}`,
  `*.*.${k}`,
  `*.*.*.${k}`,
  `headers["${k}"]`,
  `*.headers["${k}"]`,
]);

/** Environment variables whose values are secrets: scrubbed from any log line they appear in. */
const SECRET_VARIABLES = [
  'TEMPORAL_API_KEY',
  'MLFLOW_TRACKING_TOKEN',
  'PROMETHEUS_BEARER_TOKEN',
  'PROMETHEUS_PASSWORD',
  'CTPILOT_ALERTS_TOKEN',
  'CTPILOT_ALERTS_HMAC_SECRET',
  'AWS_SECRET_ACCESS_KEY',
  'AWS_SESSION_TOKEN',
];

const CENSOR = '[redacted]';

/** The secret strings of an environment: the variables above, and the password of DATABASE_URL. */
export function secretValues(env: NodeJS.ProcessEnv): string[] {
  const values = SECRET_VARIABLES.map((v) => env[v]?.trim() ?? '').filter((v) => v.length >= 6);
  try {
    const db = env.DATABASE_URL ? new URL(env.DATABASE_URL).password : '';
    if (db.length >= 4) values.push(decodeURIComponent(db));
  } catch {
    // Not a URL: nothing to take from it.
  }
  return [...new Set(values)];
}

/** A string with credentials in URLs and known secret values replaced. */
export function scrub(text: string, secrets: readonly string[]): string {
  let out = text.replace(/(\b[a-z][a-z0-9+.-]*:\/\/)([^\s:/@]+):([^\s@/]+)@/gi, `$1$2:${CENSOR}@`);
  for (const s of secrets) if (out.includes(s)) out = out.split(s).join(CENSOR);
  return out;
}

/** Strings anywhere in a log call's arguments (a few levels deep), scrubbed; objects copied, never mutated. */
function scrubValue(value: unknown, secrets: readonly string[], depth = 0): unknown {
  if (typeof value === 'string') return scrub(value, secrets);
  if (depth > 4 || value === null || typeof value !== 'object') return value;
  if (value instanceof Error) {
    const copy = Object.assign(Object.create(Object.getPrototypeOf(value)), value) as Error;
    copy.message = scrub(value.message, secrets);
    if (value.stack) copy.stack = scrub(value.stack, secrets);
    return copy;
  }
  if (Array.isArray(value)) return value.map((v) => scrubValue(v, secrets, depth + 1));
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, scrubValue(v, secrets, depth + 1)]));
}

export type LogFormat = 'pretty' | 'json';

export function createLogger(home: string, name: string, env: NodeJS.ProcessEnv = process.env): Logger {
  const format: LogFormat = env.CTPILOT_LOG_FORMAT === 'json' ? 'json' : 'pretty';
  const secrets = secretValues(env);
  const options: pino.LoggerOptions = {
    name,
    redact: { paths: [...REDACT_PATHS], censor: CENSOR },
    hooks: {
      logMethod(args, method) {
        method.apply(this, args.map((a) => scrubValue(a, secrets)) as Parameters<typeof method>);
      },
    },
  };
  if (format === 'json') {
    return pino(
      { ...options, level: env.CTPILOT_LOG_LEVEL ?? 'info' },
      pino.destination({ dest: 1, sync: false }),
    );
  }
  mkdirSync(join(home, 'logs'), { recursive: true });
  const terminalLevel = env.CTPILOT_LOG_LEVEL ?? 'warn';
  return pino(
    { ...options, level: 'debug' },
    multistream([
      {
        level: 'info',
        stream: pino.destination({ dest: join(home, 'logs', `${name}.log`), mkdir: true, sync: false }),
      },
      {
        level: terminalLevel as pino.Level,
        stream: pretty({
          colorize: process.stderr.isTTY,
          destination: 2,
          ignore: 'pid,hostname',
          translateTime: 'HH:MM:ss',
        }),
      },
    ]),
  );
}

const LEVELS: Record<LogLevel, 'trace' | 'debug' | 'info' | 'warn' | 'error'> = {
  TRACE: 'trace',
  DEBUG: 'debug',
  INFO: 'info',
  WARN: 'warn',
  ERROR: 'error',
};

/** The policy a workflow belongs to, from its id: `policy:<name>` (controller) or `retrain:<name>:<attempt>`. */
export function policyOfWorkflowId(workflowId: unknown): string | undefined {
  if (typeof workflowId !== 'string') return undefined;
  const m = /^(?:policy:([^:]+)$|retrain:(.+):\d+$)/.exec(workflowId);
  return m ? (m[1] ?? m[2]) : undefined;
}

/**
 * Temporal's SDK logs (workflow and activity loggers included) into the same
 * logger. The SDK puts workflowId, runId, workflowType, activityType and
 * taskQueue in the metadata; the policy is added from the workflow id when
 * the log does not say it already (activity logs get it from the metrics
 * interceptor).
 */
export function temporalLogger(logger: Logger): TemporalLogger {
  const at =
    (level: LogLevel) =>
    (message: string, meta?: LogMetadata): void => {
      // A worker that only runs activities (the training worker) is expected to poll no workflows.
      const effective = message.startsWith('No workflows registered') ? 'DEBUG' : level;
      const policy = meta?.policy === undefined ? policyOfWorkflowId(meta?.workflowId) : undefined;
      logger[LEVELS[effective]](policy ? { ...meta, policy } : (meta ?? {}), message);
    };
  return {
    log: (level, message, meta) => at(level)(message, meta),
    trace: at('TRACE'),
    debug: at('DEBUG'),
    info: at('INFO'),
    warn: at('WARN'),
    error: at('ERROR'),
  };
}
