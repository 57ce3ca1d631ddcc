// `npm start`: the main job on embedded defaults. Validates the policies,
// starts the local stack (the services no variable points elsewhere),
// applies the database migrations, runs the orchestrator and training
// workers and the inbound alert endpoint, proves the wiring with a
// stack-check workflow, applies the policies (one controller each), and stays
// in the foreground until Ctrl-C — then stops the workers and the services it
// started. Data stays in .ctpilot/ for the next start.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { migrate } from '../activities/postgres/migrate.ts';
import type { StackCheckRecord } from '../activities/stack-check.ts';
import { isPortFree } from '../infra/stack/ports.ts';
import { type RunningStack, StackStartAborted, startStack } from '../infra/stack/stack.ts';
import { expandPolicyPaths, readPolicyFile } from '../policies/files.ts';
import { issueLine } from '../policies/issues.ts';
import { createAlertReceiver } from './alert-receiver.ts';
import { AuditSetupError, prepareAudit } from './audit-setup.ts';
import { createClients } from './clients.ts';
import { type Config, ConfigError, loadConfig, PROJECT_ROOT } from './config.ts';
import { DEPLOY_HOOK_SECRET_FILE, ensureLocalSecrets, homeSecret } from './local-secrets.ts';
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

/** The policy the stack check reads when CTPILOT_POLICIES names none: the demo's. */
const DEMO_POLICY_FILE = join(PROJECT_ROOT, 'policies', 'examples', 'support-tickets.yaml');

/** A user-fixable problem: printed without a stack trace. */
class StartError extends Error {}

function invalidPolicies(config: Config, lines: readonly string[]): StartError {
  return new StartError(
    `the policies in ${config.policies ?? '(none)'} are not valid; nothing was applied:\n  ${lines.join('\n  ')}\n` +
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
  const { value, where } = homeSecret(config.home, 'alerts-token');
  return { token: value, where };
}

/**
 * CTPILOT_DEPLOY_HOOK_SECRET, the secret a policy's deploy hook can name as
 * `${env:CTPILOT_DEPLOY_HOOK_SECRET}`: when unset, one generated once into
 * the home, so the example (whose simulator reads the same file through
 * `npm run demo`) works without configuring anything.
 */
function ensureDeployHookSecret(config: Config): void {
  if (process.env.CTPILOT_DEPLOY_HOOK_SECRET) return;
  process.env.CTPILOT_DEPLOY_HOOK_SECRET = homeSecret(config.home, DEPLOY_HOOK_SECRET_FILE).value;
}

async function runStackCheck(
  config: Config,
  client: Client,
): Promise<{ workflowId: string; result: StackCheckRecord }> {
  const workflowId = `stack-check:${new Date().toISOString().replace(/[:.]/g, '-')}`;
  const result = (await client.workflow.execute('stackCheckWorkflow', {
    workflowId,
    taskQueue: config.temporal.taskQueue,
    args: [{ policyFile: firstPolicyFile(config.policies ?? DEMO_POLICY_FILE) }],
    staticSummary: 'ctpilot stack check: MLflow, Prometheus, S3 and PostgreSQL reached from the worker',
  })) as StackCheckRecord;
  return { workflowId, result };
}

/** The start was interrupted by a signal; what it launched is being stopped. */
class Interrupted extends Error {
  constructor(readonly signal: NodeJS.Signals) {
    super(`interrupted by ${signal}`);
  }
}

/** Exit status for a start ended by a signal: 128 + the signal's number, as shells report it. */
const SIGNAL_EXIT: Partial<Record<NodeJS.Signals, number>> = { SIGINT: 130, SIGTERM: 143 };

/** The first policy file under a path, for the stack check to read. */
function firstPolicyFile(path: string): string | undefined {
  if (!existsSync(path)) return undefined;
  if (statSync(path).isFile()) return path;
  for (const entry of readdirSync(path, { recursive: true, encoding: 'utf8' }).sort()) {
    if (/\.ya?ml$/.test(entry)) return join(path, entry);
  }
  return undefined;
}

async function main(): Promise<void> {
  // The local stack's own secrets, made once in the home: the audit signing
  // key (unless CTPILOT_AUDIT_SIGNING_KEY names one) and the local
  // PostgreSQL's passwords. Then the configuration, which reads them.
  ensureLocalSecrets(loadConfig().home);
  const config = loadConfig();
  const logger = createLogger(config.home, 'worker');
  // Said as the user would type it: relative when inside the current directory.
  const inside = relative(process.cwd(), config.home);
  const home = inside && !inside.startsWith('..') ? inside : config.home;
  say(`ctpilot: starting (data and logs in ${home})`);

  // A signal at any moment stops what this start launched: while services
  // start (the stack stops those it launched), while the workers start, and
  // once ready. Services run in their own process groups, so Ctrl-C reaches
  // only this process and it must do the stopping.
  const interrupt = new AbortController();
  let ready = false;
  let shutdownWorkers: (() => void) | undefined;
  const onSignal = (signal: NodeJS.Signals) => {
    if (interrupt.signal.aborted) {
      say(`ctpilot: ${signal} again; still stopping what this start launched…`);
      return;
    }
    say(
      `\nctpilot: ${signal} received; ${ready ? 'shutting the workers down' : 'stopping what this start launched'}…`,
    );
    interrupt.abort(new Interrupted(signal));
    shutdownWorkers?.();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  /** A start-up step that a signal cuts short (the step itself may finish later; its result is dropped). */
  const step = <T>(promise: Promise<T>): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      if (interrupt.signal.aborted) return reject(interrupt.signal.reason);
      const aborted = () => reject(interrupt.signal.reason);
      interrupt.signal.addEventListener('abort', aborted, { once: true });
      promise.then(resolve, reject).finally(() => interrupt.signal.removeEventListener('abort', aborted));
    });

  // Policies first: a malformed one stops the start before anything runs.
  const policiesGiven = config.policies !== undefined && existsSync(config.policies);
  if (config.policies !== undefined && !policiesGiven)
    throw new StartError(`CTPILOT_POLICIES is ${config.policies}, which does not exist`);
  if (policiesGiven) {
    const results = await Promise.all(
      (await expandPolicyPaths([config.policies!])).map((f) => readPolicyFile(f)),
    );
    const lines = results.flatMap((r) => (r.ok ? [] : r.issues.map(issueLine)));
    if (lines.length > 0) throw invalidPolicies(config, lines);
  }
  await checkPorts(config);
  ensureDeployHookSecret(config);

  let stack: RunningStack | undefined;
  try {
    stack = await startStack(config, { log: say, signal: interrupt.signal });
  } catch (error) {
    if (error instanceof StackStartAborted) {
      say('ctpilot: stopped the services this start had launched.');
      throw interrupt.signal.reason;
    }
    throw new StartError((error as Error).message);
  }

  const clients = createClients(
    config,
    (error) => logger.warn({ err: error }, 'idle database connection failed'),
    {
      checkpoints: true,
      onCheckpointError: (error, model) =>
        logger.warn({ err: error, model }, 'audit checkpoint not written; the next append tries again'),
    },
  );
  const closers: Array<() => Promise<unknown>> = [];
  let stopping: Promise<void> | undefined;
  const stop = (why: string) => {
    stopping ??= (async () => {
      say(`ctpilot: ${why}; stopping…`);
      for (const close of closers.reverse()) await close().catch(() => {});
      await clients.close().catch(() => {});
      await stack?.stop();
      say(`ctpilot: stopped. Data kept in ${home} for the next start.`);
    })();
    return stopping;
  };

  try {
    interrupt.signal.throwIfAborted();
    const policySet = policiesGiven
      ? await step(loadPolicySet([config.policies!], clients.mlflow))
      : undefined;
    if (policySet && !policySet.ok)
      throw invalidPolicies(
        config,
        policySet.failures.flatMap((f) => f.issues.map(issueLine)),
      );

    if (!config.postgres.external && config.postgres.engine === 'pglite')
      say(
        "  ! PostgreSQL is PGlite (Debian's PostgreSQL is not installed): one session shared by every client, so a setting one client makes reaches all, and the worker is its superuser. Install postgresql (npm run bootstrap, as root) for isolated sessions and a least-privilege worker.",
      );
    const applied = await step(migrate(clients.pool));
    say(`  ✓ database schema ${applied.length > 0 ? `migrated (${applied.join(', ')})` : 'up to date'}`);
    if (config.s3.external) await step(clients.store.ensureBucket());
    const audit = await step(prepareAudit(config, clients));
    say(`  ${audit.keyId ? '✓' : '!'} ${audit.line}`);

    let workersUp = false;
    const observability = await step(
      startObservability(config, logger, { role: 'all', healthy: () => workersUp }),
    );
    closers.push(() => observability.close());
    const orchestrator = await step(createOrchestratorWorker(config, clients));
    closers.push(() => orchestrator.connection.close());
    const training = await step(createTrainingWorker(config, clients));
    closers.push(() => training.connection.close());
    const running = Promise.all([orchestrator.worker.run(), training.worker.run()]).finally(() => {
      workersUp = false;
    });
    workersUp = true;
    shutdownWorkers = () => {
      orchestrator.worker.shutdown();
      training.worker.shutdown();
    };
    // Runs first on stop (closers run last-in, first-out): the workers finish
    // their tasks before their connections close.
    closers.push(async () => {
      shutdownWorkers?.();
      await running;
    });
    if (interrupt.signal.aborted) shutdownWorkers();
    say(
      `  ✓ workers on task queues "${config.temporal.taskQueue}" and "${config.temporal.taskQueue}-training" (${elapsed()})`,
    );

    const connection = await step(Connection.connect(temporalConnectionOptions(config.temporal)));
    closers.push(() => connection.close());
    const client = new Client({ connection, namespace: config.temporal.namespace });
    watchApprovals(client, (error) => logger.warn({ err: error }, 'pending approvals could not be counted'));
    if (config.temporal.external) await step(ensureSearchAttributes(connection, config.temporal.namespace));

    let alertsLine: string | undefined;
    if (config.alerts.port > 0) {
      const { token, where } = alertsToken(config);
      const receiver = await step(
        createAlertReceiver({
          client,
          port: config.alerts.port,
          token,
          hmacSecret: config.alerts.hmacSecret,
          log: (message, fields) => logger.info(fields ?? {}, message),
        }),
      );
      closers.push(() => receiver.close());
      alertsLine = `${receiver.url}/alerts/<source>   (bearer token in ${where})`;
    }

    const { workflowId, result } = await step(runStackCheck(config, client));
    const checks = [result.mlflow, result.prometheus, result.objectStore];
    say(
      `  ${mark(checks.every((c) => c.ok))} stack check: MLflow ${mark(result.mlflow.ok)}  Prometheus ${mark(result.prometheus.ok)}  S3 ${mark(result.objectStore.ok)}  PostgreSQL ✓`,
    );

    if (policySet?.ok) {
      const changes = await step(
        applyPolicies(client, policySet.policies, { taskQueue: config.temporal.taskQueue, by: 'npm start' }),
      );
      const count = (kind: string) => changes.filter((c) => c.kind === kind && c.applied).length;
      const skipped = changes.filter((c) => c.kind === 'remove' && !c.applied).length;
      say(
        `  ✓ policies from ${relative(process.cwd(), config.policies!) || config.policies}: ${count('create')} started, ${count('update')} updated, ${count('unchanged')} unchanged` +
          (skipped > 0
            ? `; ${skipped} controller(s) of removed policies left running (ctpilot apply --prune stops them)`
            : ''),
      );
    } else {
      say(
        '  - no policies applied at start (CTPILOT_POLICIES is unset); controllers applied earlier keep running',
      );
    }
    interrupt.signal.throwIfAborted();

    const ui = `${config.temporal.uiUrl}/namespaces/${config.temporal.namespace}/workflows`;
    say('');
    say(`ready in ${elapsed()}`);
    if (!config.temporal.headless || config.temporal.external) say(`  Temporal UI   ${ui}`);
    say(`  stack check   ${ui}/${encodeURIComponent(workflowId)}`);
    say(`  MLflow UI     ${config.mlflow.trackingUri}`);
    say(`  Prometheus    ${config.prometheus.url}`);
    if (observability.metricsUrl) say(`  metrics       ${observability.metricsUrl}`);
    if (observability.tracesTo) say(`  traces        ${observability.tracesTo}`);
    if (alertsLine) say(`  alerts        ${alertsLine}`);
    say(`  logs          ${join(home, 'logs')}`);
    say('');
    say('Next steps (in another terminal):');
    say(
      '  npm run demo                  the example model under a policy: drift, retrain, shadow, promotion',
    );
    say('  npx ctpilot list              every policy, its state and last decision');
    say(
      `  Temporal UI                   ${ui}?query=${encodeURIComponent("WorkflowType='policyControllerWorkflow'")}`,
    );
    say('  npx ctpilot apply <dir>       your own policies (npx ctpilot validate <dir> first)');
    say('Press Ctrl-C to stop.');
    ready = true;

    await running;
    await stop(interrupt.signal.aborted ? 'workers stopped' : 'the workers stopped by themselves');
  } catch (error) {
    await stop(interrupt.signal.aborted ? 'interrupted during start-up' : 'start-up failed');
    throw interrupt.signal.aborted ? interrupt.signal.reason : error;
  }
  if (interrupt.signal.aborted) throw interrupt.signal.reason;
}

main().catch((error: unknown) => {
  if (error instanceof Interrupted) {
    process.exit(SIGNAL_EXIT[error.signal] ?? 1);
  }
  if (error instanceof StartError || error instanceof ConfigError || error instanceof AuditSetupError) {
    process.stderr.write(`\nctpilot: cannot start: ${error.message}\n`);
  } else {
    process.stderr.write(
      `\nctpilot: internal error — this is a bug; please report it with the lines below.\n${(error as Error).stack ?? error}\n`,
    );
  }
  process.exit(1);
});
