// The workers: the orchestrator runs ctpilot's workflows and activities on
// the `ctpilot` task queue (CTPILOT_TASK_QUEUE); the training worker runs
// training jobs on `<task queue>-training`, so long jobs never take the
// orchestrator's slots and can run on other machines.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { NativeConnection, Runtime, Worker, type WorkflowBundleOption } from '@temporalio/worker';
import type { Logger } from 'pino';
import { createActivities } from '../activities/index.ts';
import { createTrainingWorkerActivities } from '../activities/training/run-job.ts';
import { sourceFingerprint } from '../infra/build-fingerprint.mjs';
import { trainingTaskQueue } from '../workflows/retrain.ts';
import type { Clients } from './clients.ts';
import { type Config, PROJECT_ROOT } from './config.ts';
import { temporalLogger } from './logger.ts';
import { metricsInterceptor } from './metrics-interceptor.ts';
import { temporalConnectionOptions } from './temporal-connection.ts';
import { currentTracing } from './tracing.ts';

/** The workflow sources (Temporal bundles them from TypeScript, also when this runs compiled). */
export const WORKFLOWS_PATH = join(PROJECT_ROOT, 'workflows', 'index.ts');

let runtimeInstalled = false;

/**
 * Installs the Temporal runtime once per process: SDK logs into our logger,
 * SDK metrics on a loopback address that the worker's /metrics endpoint
 * reads and serves beside ctpilot's own (workers/observability.ts), and no
 * signal handlers of its own — the process decides how to shut down (stop
 * the worker, then the stack).
 */
export function installRuntime(
  _config: Config,
  logger: Logger,
  options: { readonly sdkMetricsAddress?: string } = {},
): void {
  if (runtimeInstalled) return;
  Runtime.install({
    logger: temporalLogger(logger),
    shutdownSignals: [],
    telemetryOptions: options.sdkMetricsAddress
      ? { metrics: { prometheus: { bindAddress: options.sdkMetricsAddress } } }
      : undefined,
  });
  runtimeInstalled = true;
}

/** What every worker of ctpilot is built with: activity metrics, and tracing when configured. */
function observed() {
  const tracing = currentTracing();
  return {
    interceptors: { activity: [metricsInterceptor] },
    ...(tracing ? { plugins: [tracing.plugin] } : {}),
  };
}

/**
 * The workflow bundle the build made (dist/workflow-bundle.js), when it was
 * made from the sources as they are now: a worker then starts without
 * bundling. Otherwise undefined, and the worker bundles the sources itself.
 */
export function prebuiltWorkflowBundle(): WorkflowBundleOption | undefined {
  const codePath = join(PROJECT_ROOT, 'dist', 'workflow-bundle.js');
  const stamp = join(PROJECT_ROOT, 'dist', '.sources');
  if (!existsSync(codePath) || !existsSync(stamp)) return undefined;
  return readFileSync(stamp, 'utf8').trim() === sourceFingerprint(PROJECT_ROOT) ? { codePath } : undefined;
}

/**
 * The bundle given, else the build's when it is current and no tracing plugin
 * needs its own workflow interceptors bundled in, else the sources to bundle.
 */
function workflowCode(options: OrchestratorOptions) {
  const bundle = options.workflowBundle ?? (currentTracing() ? undefined : prebuiltWorkflowBundle());
  return bundle ? { workflowBundle: bundle } : { workflowsPath: WORKFLOWS_PATH };
}

export interface OrchestratorOptions {
  /** Pre-bundled workflow code (tests bundle once and share it). */
  readonly workflowBundle?: WorkflowBundleOption;
  readonly taskQueue?: string;
}

export async function createOrchestratorWorker(
  config: Config,
  clients: Clients,
  options: OrchestratorOptions = {},
): Promise<{ worker: Worker; connection: NativeConnection }> {
  const connection = await NativeConnection.connect(temporalConnectionOptions(config.temporal));
  const worker = await Worker.create({
    connection,
    namespace: config.temporal.namespace,
    taskQueue: options.taskQueue ?? config.temporal.taskQueue,
    ...workflowCode(options),
    activities: createActivities(clients),
    ...observed(),
  });
  return { worker, connection };
}

export interface TrainingWorkerOptions {
  /** The orchestrator's task queue; the training worker serves `<queue>-training`. */
  readonly taskQueue?: string;
  /** Training jobs at once on this worker (default 2). */
  readonly maxConcurrentJobs?: number;
}

export async function createTrainingWorker(
  config: Config,
  clients: Pick<Clients, 'mlflow'>,
  options: TrainingWorkerOptions = {},
): Promise<{ worker: Worker; connection: NativeConnection }> {
  const connection = await NativeConnection.connect(temporalConnectionOptions(config.temporal));
  const worker = await Worker.create({
    connection,
    namespace: config.temporal.namespace,
    taskQueue: trainingTaskQueue(options.taskQueue ?? config.temporal.taskQueue),
    activities: createTrainingWorkerActivities({ config, mlflow: clients.mlflow }),
    maxConcurrentActivityTaskExecutions: options.maxConcurrentJobs ?? 2,
    ...observed(),
  });
  return { worker, connection };
}
