// A worker process and nothing else, for deployments: it starts no local
// services, connects to the Temporal, PostgreSQL, S3, MLflow and Prometheus
// the environment names, and serves one role. Run as many as the load needs —
// every replica polls the same task queue, and Temporal hands each workflow
// and activity task to one of them.
//
//   node --import tsx workers/run.ts --orchestrator   workflows and activities on CTPILOT_TASK_QUEUE
//   node --import tsx workers/run.ts --training       training jobs on <CTPILOT_TASK_QUEUE>-training
//   node --import tsx workers/run.ts --orchestrator --training   both in one process
//
// SIGTERM (Kubernetes stopping a pod) or SIGINT drains: the workers stop
// polling, finish or hand back their tasks, and the process exits 0.
// `npm start` is the one-machine way; this is the same workers without the stack.
import { parseArgs } from 'node:util';
import { Client, Connection } from '@temporalio/client';
import type { Worker } from '@temporalio/worker';
import { migrate } from '../activities/postgres/migrate.ts';
import { createAlertReceiver } from './alert-receiver.ts';
import { AuditSetupError, prepareAudit } from './audit-setup.ts';
import { createClients } from './clients.ts';
import { ConfigError, loadConfig } from './config.ts';
import { createLogger } from './logger.ts';
import { watchApprovals } from './metrics.ts';
import { startObservability } from './observability.ts';
import { createOrchestratorWorker, createTrainingWorker } from './orchestrator.ts';
import { ensureSearchAttributes } from './search-attributes.ts';
import { describeTemporalConnection, temporalConnectionOptions } from './temporal-connection.ts';

const USAGE = 'usage: workers/run.ts [--orchestrator] [--training]   (at least one)';

function concurrency(env: NodeJS.ProcessEnv): number {
  const raw = env.CTPILOT_TRAINING_CONCURRENCY;
  if (raw === undefined || raw === '') return 2;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1)
    throw new ConfigError(
      'CTPILOT_TRAINING_CONCURRENCY',
      `expected a positive integer, got ${JSON.stringify(raw)}`,
    );
  return n;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { orchestrator: { type: 'boolean' }, training: { type: 'boolean' }, help: { type: 'boolean' } },
  });
  if (values.help || (!values.orchestrator && !values.training)) {
    process.stderr.write(`${USAGE}\n`);
    process.exit(values.help ? 0 : 2);
  }
  const role = [values.orchestrator ? 'orchestrator' : '', values.training ? 'training' : '']
    .filter(Boolean)
    .join('+');
  const config = loadConfig();
  const logger = createLogger(config.home, `worker-${role}`);
  const clients = createClients(
    config,
    (error) => logger.warn({ err: error }, 'idle database connection failed'),
    {
      checkpoints: values.orchestrator === true,
      onCheckpointError: (error, model) =>
        logger.warn({ err: error, model }, 'audit checkpoint not written; the next append tries again'),
    },
  );
  const closers: Array<() => Promise<unknown>> = [];
  const workers: Worker[] = [];
  let up = false;
  const observability = await startObservability(config, logger, { role, healthy: () => up });
  closers.push(() => observability.close());

  if (values.orchestrator) {
    // Every replica may migrate at start: migrations serialise on an advisory lock and are idempotent.
    const applied = await migrate(clients.pool);
    if (applied.length) logger.info({ applied }, 'database migrated');
    const audit = await prepareAudit(config, clients);
    if (audit.keyId) logger.info({ keyId: audit.keyId, protection: audit.protection.kind }, audit.line);
    else logger.warn({ protection: audit.protection.kind }, audit.line);
    const connection = await Connection.connect(temporalConnectionOptions(config.temporal));
    closers.push(() => connection.close());
    if (config.temporal.external) {
      const added = await ensureSearchAttributes(connection, config.temporal.namespace).catch(
        (error: Error) => {
          // Temporal Cloud namespaces get search attributes from the cloud console or tcld, not the operator API.
          logger.warn(
            { err: error },
            'could not register search attributes; register CtPolicy, CtModel, CtPhase, CtLastDecision and CtPolicyVersion (Keyword) on the namespace',
          );
          return [];
        },
      );
      if (added.length) logger.info({ added }, 'search attributes registered');
    }
    const client = new Client({ connection, namespace: config.temporal.namespace });
    watchApprovals(client, (error) => logger.warn({ err: error }, 'pending approvals could not be counted'));
    const orchestrator = await createOrchestratorWorker(config, clients);
    closers.push(() => orchestrator.connection.close());
    workers.push(orchestrator.worker);
    if (config.alerts.port > 0 && (config.alerts.token || config.alerts.hmacSecret)) {
      const receiver = await createAlertReceiver({
        client,
        port: config.alerts.port,
        // In a container the endpoint must be reachable from the pod's network, like /metrics.
        host: config.workerMetricsHost,
        ...(config.alerts.token ? { token: config.alerts.token } : {}),
        ...(config.alerts.hmacSecret ? { hmacSecret: config.alerts.hmacSecret } : {}),
        log: (message, fields) => logger.info(fields ?? {}, message),
      });
      closers.push(() => receiver.close());
      logger.info({ url: receiver.url }, 'inbound alert endpoint listening');
    } else if (config.alerts.port > 0) {
      logger.info(
        'inbound alert endpoint off: set CTPILOT_ALERTS_TOKEN or CTPILOT_ALERTS_HMAC_SECRET to turn it on',
      );
    }
  }
  if (values.training) {
    const training = await createTrainingWorker(config, clients, {
      maxConcurrentJobs: concurrency(process.env),
    });
    closers.push(() => training.connection.close());
    workers.push(training.worker);
  }

  const running = Promise.all(workers.map((w) => w.run()));
  up = true;
  logger.info(
    {
      role,
      taskQueue: config.temporal.taskQueue,
      temporal: describeTemporalConnection(config.temporal),
      metrics: observability.metricsUrl ?? 'off',
      traces: observability.tracesTo ?? 'off',
    },
    'ctpilot worker ready',
  );
  process.stdout.write(
    `ctpilot worker ready: ${role} on ${describeTemporalConnection(config.temporal)}, task queue ${config.temporal.taskQueue}\n`,
  );
  const stop = (signal: NodeJS.Signals) => {
    logger.info({ signal }, 'draining: workers stop polling and finish their tasks');
    for (const w of workers) w.shutdown();
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
  try {
    await running;
  } finally {
    up = false;
    for (const close of closers.reverse()) await close().catch(() => {});
    await clients.close().catch(() => {});
    logger.info('ctpilot worker stopped');
    logger.flush();
  }
}

main().catch((error: unknown) => {
  if (error instanceof ConfigError || error instanceof AuditSetupError)
    process.stderr.write(`ctpilot worker: ${error.message}\n`);
  else process.stderr.write(`ctpilot worker: cannot start: ${(error as Error).stack ?? error}\n`);
  process.exit(1);
});
