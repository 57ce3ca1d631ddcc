// Logging for the worker processes: JSON lines to <home>/logs/worker.log
// (complete, for grep and log shippers) and readable lines on the terminal
// (warnings and above, unless CTPILOT_LOG_LEVEL says otherwise).
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { LogLevel, LogMetadata, Logger as TemporalLogger } from '@temporalio/common';
import { type Logger, multistream, pino } from 'pino';
import pretty from 'pino-pretty';

export function createLogger(home: string, name: string): Logger {
  mkdirSync(join(home, 'logs'), { recursive: true });
  const terminalLevel = process.env.CTPILOT_LOG_LEVEL ?? 'warn';
  return pino(
    {
      name,
      level: 'debug',
      redact: { paths: ['*.password', '*.token', '*.secret', '*.authorization'], censor: '[redacted]' },
    },
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

/** Temporal's SDK logs (workflow and activity loggers included) into the same logger. */
export function temporalLogger(logger: Logger): TemporalLogger {
  const at =
    (level: LogLevel) =>
    (message: string, meta?: LogMetadata): void => {
      // A worker that only runs activities (the training worker) is expected to poll no workflows.
      const effective = message.startsWith('No workflows registered') ? 'DEBUG' : level;
      logger[LEVELS[effective]](meta ?? {}, message);
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
