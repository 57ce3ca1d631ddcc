// The training worker's activity: executes a training job for an MLflow run
// that already exists — an MLflow project (`mlflow run … --run-id …`) or a
// command with MLFLOW_RUN_ID set — heartbeating while it runs, killing it when
// cancelled, keeping its log as an artifact of the run, and never starting a
// second copy for the same run (see supervised-process.ts).

import { readFileSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { Context } from '@temporalio/activity';
import { CancelledFailure } from '@temporalio/common';
import { hasSecretRef } from '../../policies/secrets.ts';
import type { Config } from '../../workers/config.ts';
import type { MlflowClient } from '../mlflow/client.ts';
import type { RunStatus } from '../mlflow/schemas.ts';
import { redactValues, resolveRecord, workerSecretResolver } from '../secrets.ts';
import { logTail } from '../util/log-tail.ts';
import { forgetProcess, type ProcessSpec, superviseProcess } from './supervised-process.ts';

export type ParameterValue = string | number | boolean;

/** Runs an MLflow project entry point into an existing run (beside this file; the compiled one is in dist/). */
const projectRunner = (config: Config) =>
  join(config.root, 'activities', 'training', 'mlflow_project_run.py');

/** The launcher part of a policy's `training` section that runs on a training worker. */
export interface ProcessLauncher {
  readonly mlflowProject?: {
    readonly uri: string;
    readonly entryPoint: string;
    readonly version?: string;
    readonly envManager: 'local' | 'virtualenv' | 'uv' | 'conda';
  };
  readonly command?: {
    readonly run: readonly string[];
    readonly cwd?: string;
    /** Values may be secret references (`${env:…}`, `${file:…}`), resolved here. */
    readonly env?: Readonly<Record<string, string>>;
  };
}

export interface TrainingJobInput {
  readonly runId: string;
  readonly launcher: ProcessLauncher;
  /** Rendered parameters (placeholders already filled in). */
  readonly parameters: Readonly<Record<string, ParameterValue>>;
}

export interface TrainingJobResult {
  readonly runId: string;
  /** The run's status once the job ended. */
  readonly status: RunStatus;
  readonly exitCode: number | null;
  /** An earlier attempt had started the job; this one waited for it. */
  readonly adopted: boolean;
  /** The job had already finished before this attempt (retry, reset): nothing ran. */
  readonly alreadyFinished: boolean;
  readonly logArtifact?: string;
  readonly logTail: string;
}

export const TRAINING_LOG_ARTIFACT = 'ctpilot/training.log';
const TERMINAL: readonly RunStatus[] = ['FINISHED', 'FAILED', 'KILLED'];

export interface TrainingWorkerDeps {
  readonly config: Config;
  readonly mlflow: MlflowClient;
}

function projectUri(config: Config, uri: string): string {
  // Local project paths in policies are relative to the project root (the worker's home).
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(uri) || uri.startsWith('git@') || isAbsolute(uri)) return uri;
  return resolve(config.root, uri);
}

/** The environment a training job sees: the worker's, the venv first on PATH, MLflow and S3 coordinates. */
function jobEnvironment(config: Config, runId: string, experimentId: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined) env[k] = v;
  Object.assign(env, {
    PATH: `${config.venvBin}:${process.env.PATH ?? ''}`,
    MLFLOW_TRACKING_URI: config.mlflow.trackingUri,
    MLFLOW_RUN_ID: runId,
    MLFLOW_EXPERIMENT_ID: experimentId,
    S3_ENDPOINT: config.s3.endpoint,
    MLFLOW_S3_ENDPOINT_URL: config.s3.endpoint,
    AWS_REGION: config.s3.region,
    AWS_DEFAULT_REGION: config.s3.region,
    PYTHONUNBUFFERED: '1',
  });
  if (config.mlflow.token) env.MLFLOW_TRACKING_TOKEN = config.mlflow.token;
  if (config.s3.accessKeyId) env.AWS_ACCESS_KEY_ID = config.s3.accessKeyId;
  if (config.s3.secretAccessKey) env.AWS_SECRET_ACCESS_KEY = config.s3.secretAccessKey;
  return env;
}

/** The job, and the secret values it was given: its log is kept only with them redacted. */
async function processSpec(
  config: Config,
  input: TrainingJobInput,
  experimentId: string,
): Promise<{ spec: ProcessSpec; secrets: string[] }> {
  const env = jobEnvironment(config, input.runId, experimentId);
  // The job inherits the worker's environment: its credentials are redacted too.
  const secrets = [
    config.mlflow.token,
    config.s3.secretAccessKey,
    ...Object.entries(process.env)
      .filter(([name]) => /SECRET|TOKEN|PASSWORD|PASSWD|API_?KEY|CREDENTIAL/i.test(name))
      .map(([, value]) => value),
  ].filter((v): v is string => !!v);
  const { mlflowProject, command } = input.launcher;
  if (mlflowProject) {
    const params = Object.entries(input.parameters).flatMap(([k, v]) => ['-P', `${k}=${String(v)}`]);
    // What `mlflow run` does, through the same mlflow.projects.run, minus the CLI's two seconds of imports.
    const spec: ProcessSpec = {
      key: input.runId,
      command: join(config.venvBin, 'python'),
      args: [
        projectRunner(config),
        projectUri(config, mlflowProject.uri),
        '-e',
        mlflowProject.entryPoint,
        '--run-id',
        input.runId,
        '--env-manager',
        mlflowProject.envManager,
        ...(mlflowProject.version ? ['--version', mlflowProject.version] : []),
        ...params,
      ],
      env,
      cwd: config.root,
    };
    return { spec, secrets };
  }
  if (command) {
    const [program, ...args] = command.run;
    if (!program) throw new Error('the command launcher has an empty `run` list');
    const extra = await resolveRecord(workerSecretResolver(), command.env);
    for (const [key, value] of Object.entries(command.env ?? {})) {
      if (hasSecretRef(value) && extra[key]) secrets.push(extra[key]);
    }
    const parameterEnv = Object.fromEntries(
      Object.entries(input.parameters).map(([k, v]) => [
        `CTPILOT_PARAM_${k.toUpperCase().replace(/[^A-Z0-9]/g, '_')}`,
        String(v),
      ]),
    );
    const spec: ProcessSpec = {
      key: input.runId,
      command: program,
      args,
      env: { ...env, ...parameterEnv, CTPILOT_PARAMETERS: JSON.stringify(input.parameters), ...extra },
      cwd: command.cwd ? resolve(config.root, command.cwd) : config.root,
    };
    return { spec, secrets };
  }
  throw new Error('this launcher does not run on a training worker (only mlflowProject and command do)');
}

export function createTrainingWorkerActivities({ config, mlflow }: TrainingWorkerDeps) {
  return {
    async runTrainingJob(input: TrainingJobInput): Promise<TrainingJobResult> {
      const context = Context.current();
      const before = await mlflow.getRun(input.runId);
      if (before.info.status === 'FINISHED') {
        // A retry after success, or a workflow reset to before this step: training already happened.
        return {
          runId: input.runId,
          status: 'FINISHED',
          exitCode: 0,
          adopted: false,
          alreadyFinished: true,
          logTail: '',
        };
      }
      const { spec, secrets } = await processSpec(config, input, before.info.experiment_id);
      const outcome = await superviseProcess(config.home, spec, {
        heartbeat: (progress) => context.heartbeat(progress),
        signal: context.cancellationSignal,
      });
      // A job may print what it was given (an env dump on failure is common):
      // the tail goes into the history and the audit, the log into MLflow.
      const tail = redactValues(logTail(outcome.logFile, 40), secrets);

      let logArtifact: string | undefined;
      try {
        const log = redactValues(readFileSync(outcome.logFile, 'utf8'), secrets);
        await mlflow.uploadArtifact(before.info, TRAINING_LOG_ARTIFACT, log);
        logArtifact = TRAINING_LOG_ARTIFACT;
      } catch (error) {
        context.log.warn('could not keep the training log as an artifact', {
          runId: input.runId,
          error: String(error),
        });
      }

      // `mlflow run` ends the run itself; a plain command may not. Close it
      // according to how the job ended, so the run never stays RUNNING.
      let status = (await mlflow.getRun(input.runId)).info.status;
      if (!TERMINAL.includes(status)) {
        status = outcome.cancelled ? 'KILLED' : outcome.exitCode === 0 ? 'FINISHED' : 'FAILED';
        await mlflow.updateRun(input.runId, { status, endTime: Date.now() });
      }
      forgetProcess(config.home, input.runId);
      if (outcome.cancelled) throw new CancelledFailure(`training of run ${input.runId} was cancelled`);
      return {
        runId: input.runId,
        status,
        exitCode: outcome.exitCode,
        adopted: outcome.adopted,
        alreadyFinished: false,
        logArtifact,
        logTail: tail,
      };
    },
  };
}

export type TrainingWorkerActivities = ReturnType<typeof createTrainingWorkerActivities>;
