// `npm start`: the main job on embedded defaults. Validates the policies,
// starts the local stack (the services no variable points elsewhere),
// applies the database migrations, runs the orchestrator and training
// workers and the inbound alert endpoint, proves the wiring with a
// stack-check workflow, applies the policies (one controller each), and stays
// in the foreground until Ctrl-C — then stops the workers and the services it
// started. Data stays in .ctpilot/ for the next start.
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { migrate } from '../activities/postgres/migrate.ts';
import type { StackCheckRecord } from '../activities/stack-check.ts';
import { isPortFree } from '../infra/stack/ports.ts';
import { type RunningStack, startStack } from '../infra/stack/stack.ts';
import { expandPolicyPaths, readPolicyFile } from '../policies/files.ts';
import { issueLine } from '../policies/issues.ts';
import { createAlertReceiver } from './alert-receiver.ts';
import { createClients } from './clients.ts';
import { type Config, ConfigError, loadConfig } from './config.ts';
import { createLogger } from './logger.ts';
import { watchApprovals } from './metrics.ts';
import { startObservability } from './observability.ts';
import { createOrchestratorWorker, createTrainingWorker } from './orchestrator.ts';
import { applyPolicies, loadPolicySet } from './policy-sync.ts';
import { ensureSearchAttributes } from './search-attributes.ts';
import { temporalConnectionOptions } from './temporal-connection.ts';

const started = Date.now();
const say = (line = '') => process.stdout.write(`${line}\n`);
const elapsed = () => `${((Date.now() - started) / 1000).toFixed(1)} s`;
const mark = (ok: boolean) => (ok ? '✓' : '✗');

/** A user-fixable problem: printed without a stack trace. */
class StartError extends Error {}

/** The first policy file under the policies directory, for the stack check to read. */
function firstPolicyFile(path: string): string | undefined {
  if (!existsSync(path)) return undefined;
  if (statSync(path).isFile()) return path;
  for (const entry of readdirSync(path, { recursive: true, encoding: 'utf8' }).sort()) {
    if (/\.ya?ml$/.test(entry)) return join(path, entry);
  }
  return undefined;
}

function invalidPolicies(config: Config, lines: readonly string[]): StartError {
  return new StartError(
    `the policies in ${config.policies} are not valid; nothing was applied:\n  ${lines.join('\n  ')}\n` +
      'Fix them (`npx ctpilot validate <dir>` shows the same), or point CTPILOT_POLICIES elsewhere.',
  );
}

async function checkPorts(config: Config): Promise<void> {
  const ports: Array<[number, string, string]> = [
    [config.workerMetricsPort, 'worker metrics', 'CTPILOT_WORKER_METRICS_PORT'],
    [config.alerts.port, 'inbound alerts', 'CTPILOT_ALERTS_PORT'],
  ];
  for (const [port, role, variable] of ports) {
    if (port > 0 && !(await isPortFree(port))) {
      throw new StartError(
        `port ${port} (${role}) is already in use by another process. Set ${variable} to a free port, or to 0 to turn it off.`,
      );
    }
  }
}

/** The token alert senders present: CTPILOT_ALERTS_TOKEN, or one generated once and kept in the home. */
function alertsToken(config: Config): { token: string; where: string } {
  if (config.alerts.token) return { token: config.alerts.token, where: 'CTPILOT_ALERTS_TOKEN' };
  const file = join(config.home, 'alerts-token');
  if (!existsSync(file)) writeFileSync(file, `${randomBytes(24).toString('hex')}\n`, { mode: 0o600 });
  return { token: readFileSync(file, 'utf8').trim(), where: relative(process.cwd(), file) || file };
}

async function runStackCheck(
  config: Config,
  client: Client,
): Promise<{ workflowId: string; result: StackCheckRecord }> {
  const workflowId = `stack-check:${new Date().toISOString().replace(/[:.]/g, '-')}`;
  const result = (await client.workflow.execute('stackCheckWorkflow', {
    workflowId,
    taskQueue: config.temporal.taskQueue,
    args: [{ policyFile: firstPolicyFile(config.policies) }],
    staticSummary: 'ctpilot stack check: MLflow, Prometheus, S3 and PostgreSQL reached from the worker',
  })) as StackCheckRecord;
  return { workflowId, result };
}

async function main(): Promise<void> {
  const config = loadConfig();
  const logger = createLogger(config.home, 'worker');
  say(`ctpilot: starting (data and logs in ${config.home})`);

  // Policies first: a malformed one stops the start before anything runs.
  const policiesGiven = existsSync(config.policies);
  if (policiesGiven) {
    const results = await Promise.all(
      (await expandPolicyPaths([config.policies])).map((f) => readPolicyFile(f)),
    );
    const lines = results.flatMap((r) => (r.ok ? [] : r.issues.map(issueLine)));
    if (lines.length > 0) throw invalidPolicies(config, lines);
  }
  await checkPorts(config);

  let stack: RunningStack | undefined;
  try {
    stack = await startStack(config, { log: say });
  } catch (error) {
    throw new StartError((error as Error).message);
  }

  const clients = createClients(config, (error) =>
    logger.warn({ err: error }, 'idle database connection failed'),
  );
  const closers: Array<() => Promise<unknown>> = [];
  let stopping: Promise<void> | undefined;
  const stop = (why: string) => {
    stopping ??= (async () => {
      say(`\nctpilot: ${why}; stopping…`);
      for (const close of closers.reverse()) await close().catch(() => {});
      await clients.close().catch(() => {});
      await stack?.stop();
      say('ctpilot: stopped. Data kept in .ctpilot/ for the next start.');
    })();
    return stopping;
  };

  try {
    const policySet = policiesGiven ? await loadPolicySet([config.policies], clients.mlflow) : undefined;
    if (policySet && !policySet.ok)
      throw invalidPolicies(
        config,
        policySet.failures.flatMap((f) => f.issues.map(issueLine)),
      );

    const applied = await migrate(clients.pool);
    say(`  ✓ database schema ${applied.length > 0 ? `migrated (${applied.join(', ')})` : 'up to date'}`);
    if (config.s3.external) await clients.store.ensureBucket();

    let workersUp = false;
    const observability = await startObservability(config, logger, { role: 'all', healthy: () => workersUp });
    closers.push(() => observability.close());
    const orchestrator = await createOrchestratorWorker(config, clients);
    const training = await createTrainingWorker(config, clients);
    const running = Promise.all([orchestrator.worker.run(), training.worker.run()]).finally(() => {
      workersUp = false;
    });
    workersUp = true;
    closers.push(
      () => orchestrator.connection.close(),
      () => training.connection.close(),
    );
    say(
      `  ✓ workers on task queues "${config.temporal.taskQueue}" and "${config.temporal.taskQueue}-training" (${elapsed()})`,
    );

    const connection = await Connection.connect(temporalConnectionOptions(config.temporal));
    closers.push(() => connection.close());
    const client = new Client({ connection, namespace: config.temporal.namespace });
    watchApprovals(client, (error) => logger.warn({ err: error }, 'pending approvals could not be counted'));
    if (config.temporal.external) await ensureSearchAttributes(connection, config.temporal.namespace);

    let alertsLine: string | undefined;
    if (config.alerts.port > 0) {
      const { token, where } = alertsToken(config);
      const receiver = await createAlertReceiver({
        client,
        port: config.alerts.port,
        token,
        hmacSecret: config.alerts.hmacSecret,
        log: (message, fields) => logger.info(fields ?? {}, message),
      });
      closers.push(() => receiver.close());
      alertsLine = `${receiver.url}/alerts/<source>   (bearer token in ${where})`;
    }

    const { workflowId, result } = await runStackCheck(config, client);
    const checks = [result.mlflow, result.prometheus, result.objectStore];
    say(
      `  ${mark(checks.every((c) => c.ok))} stack check: MLflow ${mark(result.mlflow.ok)}  Prometheus ${mark(result.prometheus.ok)}  S3 ${mark(result.objectStore.ok)}  PostgreSQL ✓`,
    );

    if (policySet?.ok) {
      const changes = await applyPolicies(client, policySet.policies, {
        taskQueue: config.temporal.taskQueue,
        by: 'npm start',
      });
      const count = (kind: string) => changes.filter((c) => c.kind === kind && c.applied).length;
      const skipped = changes.filter((c) => c.kind === 'remove' && !c.applied).length;
      say(
        `  ✓ policies from ${relative(process.cwd(), config.policies) || config.policies}: ${count('create')} started, ${count('update')} updated, ${count('unchanged')} unchanged` +
          (skipped > 0
            ? `; ${skipped} controller(s) of removed policies left running (ctpilot apply --prune stops them)`
            : ''),
      );
    } else {
      say(`  - no policies applied: ${config.policies} does not exist (CTPILOT_POLICIES)`);
    }

    const ui = `${config.temporal.uiUrl}/namespaces/${config.temporal.namespace}/workflows`;
    say('');
    say(`ready in ${elapsed()}`);
    say(`  Temporal UI   ${ui}`);
    say(`  controllers   ${ui}?query=${encodeURIComponent("WorkflowType='policyControllerWorkflow'")}`);
    say(`  stack check   ${ui}/${encodeURIComponent(workflowId)}`);
    say(`  MLflow UI     ${config.mlflow.trackingUri}`);
    say(`  Prometheus    ${config.prometheus.url}`);
    if (observability.metricsUrl) say(`  metrics       ${observability.metricsUrl}`);
    if (observability.tracesTo) say(`  traces        ${observability.tracesTo}`);
    if (alertsLine) say(`  alerts        ${alertsLine}`);
    say(`  logs          ${join(config.home, 'logs')}`);
    say('Press Ctrl-C to stop.');

    const onSignal = (signal: NodeJS.Signals) => {
      say(`\nctpilot: ${signal} received; shutting the workers down…`);
      orchestrator.worker.shutdown();
      training.worker.shutdown();
    };
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
    await running;
    await stop('workers stopped');
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
