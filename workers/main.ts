// `npm start`: the main job on embedded defaults. Starts the local stack (the
// services no variable points elsewhere), applies the database migrations,
// runs the orchestrator worker, proves the wiring with a stack-check
// workflow, and stays in the foreground until Ctrl-C — then stops the worker
// and the services it started. Data stays in .ctpilot/ for the next start.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { migrate } from '../activities/postgres/migrate.ts';
import type { StackCheckRecord } from '../activities/stack-check.ts';
import { isPortFree } from '../infra/stack/ports.ts';
import { type RunningStack, startStack } from '../infra/stack/stack.ts';
import { createClients } from './clients.ts';
import { type Config, ConfigError, loadConfig } from './config.ts';
import { createLogger } from './logger.ts';
import { createOrchestratorWorker, createTrainingWorker, installRuntime } from './orchestrator.ts';
import { ensureSearchAttributes } from './search-attributes.ts';

const started = Date.now();
const say = (line = '') => process.stdout.write(`${line}\n`);
const elapsed = () => `${((Date.now() - started) / 1000).toFixed(1)} s`;

/** A user-fixable problem: printed without a stack trace. */
class StartError extends Error {}

/** The first policy file under the policies directory, for the stack check to read. */
function firstPolicyFile(path: string): string | undefined {
  if (!existsSync(path)) return undefined;
  if (statSync(path).isFile()) return path;
  const queue = [path];
  while (queue.length > 0) {
    const dir = queue.shift()!;
    for (const entry of readdirSync(dir).sort()) {
      const full = join(dir, entry);
      if (statSync(full).isDirectory()) queue.push(full);
      else if (/\.ya?ml$/.test(entry)) return full;
    }
  }
  return undefined;
}

async function runStackCheck(config: Config): Promise<{ workflowId: string; result: StackCheckRecord }> {
  const connection = await Connection.connect({ address: config.temporal.address });
  try {
    if (config.temporal.external) await ensureSearchAttributes(connection, config.temporal.namespace);
    const client = new Client({ connection, namespace: config.temporal.namespace });
    const workflowId = `stack-check:${new Date().toISOString().replace(/[:.]/g, '-')}`;
    const policyFile = firstPolicyFile(config.policies);
    const result = await client.workflow.execute('stackCheckWorkflow', {
      workflowId,
      taskQueue: config.temporal.taskQueue,
      args: [{ policyFile }],
      memo: { summary: 'ctpilot stack check: MLflow, Prometheus, S3 and PostgreSQL reached from the worker' },
    });
    return { workflowId, result: result as StackCheckRecord };
  } finally {
    await connection.close();
  }
}

async function main(): Promise<void> {
  const config = loadConfig();
  const logger = createLogger(config.home, 'worker');
  say(`ctpilot: starting the local stack (data and logs in ${config.home})`);

  if (config.workerMetricsPort > 0 && !(await isPortFree(config.workerMetricsPort))) {
    throw new StartError(
      `port ${config.workerMetricsPort} (worker metrics) is already in use by another process. ` +
        'Set CTPILOT_WORKER_METRICS_PORT to a free port, or to 0 to turn the endpoint off.',
    );
  }

  let stack: RunningStack | undefined;
  try {
    stack = await startStack(config, { log: say });
  } catch (error) {
    throw new StartError((error as Error).message);
  }

  const clients = createClients(config, (error) =>
    logger.warn({ err: error }, 'idle database connection failed'),
  );
  let stopping: Promise<void> | undefined;
  const stop = (why: string) => {
    stopping ??= (async () => {
      say(`\nctpilot: ${why}; stopping…`);
      await clients.close().catch(() => {});
      await stack?.stop();
      say('ctpilot: stopped. Data kept in .ctpilot/ for the next start.');
    })();
    return stopping;
  };

  try {
    const applied = await migrate(clients.pool);
    say(`  ✓ database schema ${applied.length > 0 ? `migrated (${applied.join(', ')})` : 'up to date'}`);
    if (config.s3.external) await clients.store.ensureBucket();

    installRuntime(config, logger);
    const { worker, connection } = await createOrchestratorWorker(config, clients);
    const training = await createTrainingWorker(config, clients);
    const running = Promise.all([worker.run(), training.worker.run()]);
    say(
      `  ✓ workers on task queues "${config.temporal.taskQueue}" and "${config.temporal.taskQueue}-training" (${elapsed()})`,
    );

    const { workflowId, result } = await runStackCheck(config);
    const checks = [result.mlflow, result.prometheus, result.objectStore];
    const mark = (ok: boolean) => (ok ? '✓' : '✗');
    say(
      `  ${mark(checks.every((c) => c.ok))} stack check: MLflow ${mark(result.mlflow.ok)}  Prometheus ${mark(result.prometheus.ok)}  S3 ${mark(result.objectStore.ok)}  PostgreSQL ✓` +
        (result.policy?.name ? `  policy "${result.policy.name}" read` : ''),
    );
    say('');
    say(`ready in ${elapsed()}`);
    say(`  Temporal UI   ${config.temporal.uiUrl}/namespaces/${config.temporal.namespace}/workflows`);
    say(
      `  stack check   ${config.temporal.uiUrl}/namespaces/${config.temporal.namespace}/workflows/${encodeURIComponent(workflowId)}`,
    );
    say(`  MLflow UI     ${config.mlflow.trackingUri}`);
    say(`  Prometheus    ${config.prometheus.url}`);
    say(`  logs          ${join(config.home, 'logs')}`);
    say('Press Ctrl-C to stop.');

    const onSignal = (signal: NodeJS.Signals) => {
      say(`\nctpilot: ${signal} received; shutting the worker down…`);
      worker.shutdown();
      training.worker.shutdown();
    };
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
    await running;
    await connection.close();
    await training.connection.close();
    await stop('worker stopped');
  } catch (error) {
    await stop('start-up failed');
    throw error;
  }
}

main().catch((error: unknown) => {
  if (error instanceof StartError || error instanceof ConfigError) {
    process.stderr.write(`\nctpilot: cannot start: ${error.message}\n`);
  } else {
    process.stderr.write(
      `\nctpilot: internal error — this is a bug; please report it with the lines below.\n${(error as Error).stack ?? error}\n`,
    );
  }
  process.exit(1);
});
