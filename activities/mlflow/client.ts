// A typed client for MLflow's REST API (tracking and model registry), the only
// way ctpilot talks to MLflow. Every answer is validated; every failure is a
// typed MlflowError (errors.ts). Calls that are safe to repeat are retried a
// few times on transient failures; creating runs and versions is not, since a
// retry after a lost answer would create a second one — idempotency for those
// lives one level up (find by tag, then create).
import axios, { type AxiosInstance, type AxiosResponse, isAxiosError } from 'axios';
import type { z } from 'zod';
import {
  errorFromResponse,
  MlflowAlreadyExistsError,
  MlflowError,
  MlflowNotFoundError,
  MlflowRegistrationError,
  MlflowResponseError,
  MlflowUnavailableError,
} from './errors.ts';
import {
  type Experiment,
  type ModelVersion,
  type RegisteredModel,
  type Run,
  type RunInfo,
  type RunStatus,
  responses,
  toKeyValues,
} from './schemas.ts';

export interface MlflowClientOptions {
  /** e.g. http://127.0.0.1:5000 */
  readonly trackingUri: string;
  /** Sent as `Authorization: Bearer …` (MLFLOW_TRACKING_TOKEN). */
  readonly token?: string;
  readonly timeoutMs?: number;
  /** Attempts for calls that are safe to repeat (default 3). */
  readonly attempts?: number;
}

export interface MetricInput {
  readonly key: string;
  readonly value: number;
  readonly timestamp?: number;
  readonly step?: number;
}

export interface SearchRunsInput {
  readonly experimentIds: readonly string[];
  readonly filter?: string;
  readonly maxResults?: number;
  readonly orderBy?: readonly string[];
  readonly pageToken?: string;
  readonly viewType?: 'ACTIVE_ONLY' | 'DELETED_ONLY' | 'ALL';
}

type Method = 'GET' | 'POST' | 'PATCH' | 'DELETE';

interface CallOptions {
  /** Safe to send again after a lost answer. */
  readonly idempotent: boolean;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The largest REST answer read (pages are at most 1,000 items): more is a broken or hostile server. */
export const MAX_ANSWER_BYTES = 64 * 1024 * 1024;

/** Quotes a value for an MLflow search filter. MLflow's filter grammar has no escape sequences, so a value with both quote kinds cannot be expressed. */
export function filterLiteral(value: string): string {
  if (!value.includes("'")) return `'${value}'`;
  if (!value.includes('"')) return `"${value}"`;
  throw new MlflowError(`cannot search for a value containing both ' and ": ${value}`, 'search');
}

/** `tags.\`ctpilot.policy\` = 'fraud' AND …` from a record of tags. */
export function tagFilter(tags: Readonly<Record<string, string>>): string {
  return Object.entries(tags)
    .map(([key, value]) => {
      if (key.includes('`')) throw new MlflowError(`tag key contains a backtick: ${key}`, 'search');
      return `tags.\`${key}\` = ${filterLiteral(value)}`;
    })
    .join(' AND ');
}

export class MlflowClient {
  readonly trackingUri: string;
  private readonly http: AxiosInstance;
  private readonly attempts: number;
  private readonly timeoutMs: number;

  constructor(options: MlflowClientOptions) {
    this.trackingUri = options.trackingUri.replace(/\/$/, '');
    this.attempts = Math.max(1, options.attempts ?? 3);
    this.timeoutMs = options.timeoutMs ?? 30_000;
    this.http = axios.create({
      baseURL: `${this.trackingUri}/api/2.0/mlflow/`,
      timeout: this.timeoutMs,
      headers: options.token ? { Authorization: `Bearer ${options.token}` } : {},
      validateStatus: () => true, // status codes are mapped by errorFromResponse
      transitional: { clarifyTimeoutError: true },
    });
  }

  private async call<S extends z.ZodType>(
    method: Method,
    endpoint: string,
    schema: S,
    payload: Record<string, unknown> | undefined,
    { idempotent }: CallOptions,
  ): Promise<z.infer<S>> {
    const attempts = idempotent ? this.attempts : 1;
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.once(method, endpoint, schema, payload);
      } catch (error) {
        if (!(error instanceof MlflowUnavailableError) || attempt >= attempts) throw error;
        await sleep(200 * 2 ** (attempt - 1));
      }
    }
  }

  private async once<S extends z.ZodType>(
    method: Method,
    endpoint: string,
    schema: S,
    payload: Record<string, unknown> | undefined,
  ): Promise<z.infer<S>> {
    let response: AxiosResponse<unknown>;
    try {
      response = await this.http.request({
        method,
        url: endpoint,
        ...(method === 'GET' ? { params: payload } : { data: payload ?? {} }),
        // axios's timeout is the socket's idle time, which an answer that
        // trickles in never reaches: the whole call gets a deadline too.
        signal: AbortSignal.timeout(this.timeoutMs),
        maxContentLength: MAX_ANSWER_BYTES,
      });
    } catch (error) {
      if (isAxiosError(error) && /maxContentLength/.test(error.message)) {
        throw new MlflowResponseError(
          `MLflow ${endpoint} answered with more than ${MAX_ANSWER_BYTES} bytes`,
          endpoint,
        );
      }
      const reason = !isAxiosError(error)
        ? String(error)
        : error.code === 'ERR_CANCELED'
          ? `no complete answer within ${this.timeoutMs} ms`
          : (error.code ?? error.message);
      throw new MlflowUnavailableError(
        `MLflow ${endpoint} unreachable at ${this.trackingUri}: ${reason}`,
        endpoint,
      );
    }
    if (response.status < 200 || response.status >= 300) {
      throw errorFromResponse(endpoint, response.status, response.data);
    }
    const body = typeof response.data === 'string' && response.data === '' ? {} : response.data;
    const parsed = schema.safeParse(body);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new MlflowResponseError(
        `MLflow ${endpoint} answered with an unexpected shape: ${issue ? `${issue.path.join('.') || '(root)'}: ${issue.message}` : 'not JSON'}`,
        endpoint,
        response.status,
      );
    }
    return parsed.data;
  }

  /** GET /health: true when the server answers. */
  async health(): Promise<boolean> {
    try {
      const response = await this.http.get(`${this.trackingUri}/health`, { baseURL: '', timeout: 5000 });
      return response.status === 200;
    } catch {
      return false;
    }
  }

  // ---- experiments ----------------------------------------------------------

  async getExperimentByName(name: string): Promise<Experiment | undefined> {
    try {
      const body = await this.call(
        'GET',
        'experiments/get-by-name',
        responses.experiment,
        { experiment_name: name },
        { idempotent: true },
      );
      return body.experiment;
    } catch (error) {
      if (error instanceof MlflowNotFoundError) return undefined;
      throw error;
    }
  }

  async createExperiment(name: string, tags?: Readonly<Record<string, string>>): Promise<string> {
    const body = await this.call(
      'POST',
      'experiments/create',
      responses.createExperiment,
      { name, tags: toKeyValues(tags) },
      { idempotent: false },
    );
    return body.experiment_id;
  }

  /** The experiment's id, creating it if needed; a concurrent creation by someone else is fine. */
  async ensureExperiment(name: string, tags?: Readonly<Record<string, string>>): Promise<string> {
    const existing = await this.getExperimentByName(name);
    if (existing) return existing.experiment_id;
    try {
      return await this.createExperiment(name, tags);
    } catch (error) {
      if (!(error instanceof MlflowAlreadyExistsError)) throw error;
      const raced = await this.getExperimentByName(name);
      if (!raced) throw error;
      return raced.experiment_id;
    }
  }

  // ---- runs -----------------------------------------------------------------

  async createRun(input: {
    experimentId: string;
    runName?: string;
    tags?: Readonly<Record<string, string>>;
    startTime?: number;
  }): Promise<Run> {
    const body = await this.call(
      'POST',
      'runs/create',
      responses.run,
      {
        experiment_id: input.experimentId,
        run_name: input.runName,
        start_time: input.startTime ?? Date.now(),
        tags: toKeyValues(input.tags),
      },
      { idempotent: false },
    );
    return body.run;
  }

  async getRun(runId: string): Promise<Run> {
    return (await this.call('GET', 'runs/get', responses.run, { run_id: runId }, { idempotent: true })).run;
  }

  async updateRun(
    runId: string,
    update: { status?: RunStatus; endTime?: number; runName?: string },
  ): Promise<RunInfo> {
    const body = await this.call(
      'POST',
      'runs/update',
      responses.updateRun,
      { run_id: runId, status: update.status, end_time: update.endTime, run_name: update.runName },
      { idempotent: true },
    );
    return body.run_info;
  }

  async searchRuns(input: SearchRunsInput): Promise<{ runs: Run[]; nextPageToken?: string }> {
    const body = await this.call(
      'POST',
      'runs/search',
      responses.searchRuns,
      {
        experiment_ids: input.experimentIds,
        filter: input.filter,
        max_results: input.maxResults ?? 100,
        order_by: input.orderBy,
        page_token: input.pageToken,
        run_view_type: input.viewType ?? 'ACTIVE_ONLY',
      },
      { idempotent: true },
    );
    return { runs: body.runs, nextPageToken: body.next_page_token || undefined };
  }

  /** Every active run in the experiments carrying all the given tags (all pages). */
  async findRunsByTags(
    experimentIds: readonly string[],
    tags: Readonly<Record<string, string>>,
  ): Promise<Run[]> {
    const runs: Run[] = [];
    let pageToken: string | undefined;
    do {
      const page = await this.searchRuns({
        experimentIds,
        filter: tagFilter(tags),
        orderBy: ['attributes.start_time ASC'],
        pageToken,
      });
      runs.push(...page.runs);
      pageToken = page.nextPageToken;
    } while (pageToken);
    return runs;
  }

  /** Logs metrics, params and tags at once. Not retried: a repeated metric would be logged twice. */
  async logBatch(
    runId: string,
    batch: {
      metrics?: readonly MetricInput[];
      params?: Readonly<Record<string, string>>;
      tags?: Readonly<Record<string, string>>;
    },
  ): Promise<void> {
    const now = Date.now();
    await this.call(
      'POST',
      'runs/log-batch',
      responses.empty,
      {
        run_id: runId,
        metrics: (batch.metrics ?? []).map((m) => ({
          key: m.key,
          // JSON has no NaN or infinities; MLflow accepts these strings.
          value: Number.isFinite(m.value)
            ? m.value
            : Number.isNaN(m.value)
              ? 'NaN'
              : m.value > 0
                ? 'Infinity'
                : '-Infinity',
          timestamp: m.timestamp ?? now,
          step: m.step ?? 0,
        })),
        params: toKeyValues(batch.params),
        tags: toKeyValues(batch.tags),
      },
      { idempotent: false },
    );
  }

  async setRunTag(runId: string, key: string, value: string): Promise<void> {
    await this.call(
      'POST',
      'runs/set-tag',
      responses.empty,
      { run_id: runId, key, value },
      { idempotent: true },
    );
  }

  // ---- artifacts (through the server's artifact proxy) ----------------------

  /** The proxied artifact endpoint for a path in a run's artifact root (`mlflow-artifacts:/…`). */
  private artifactUrl(artifactUri: string | undefined, path: string): string {
    const root = /^mlflow-artifacts:\/(.*)$/.exec(artifactUri ?? '')?.[1];
    if (root === undefined) {
      throw new MlflowError(
        `the run's artifacts are at ${artifactUri ?? '(unknown)'}, not behind the server's artifact proxy; start MLflow with --serve-artifacts`,
        'mlflow-artifacts',
      );
    }
    const clean = path.split('/').filter((p) => p !== '' && p !== '.' && p !== '..');
    return `${this.trackingUri}/api/2.0/mlflow-artifacts/artifacts/${root.replace(/^\/+/, '')}/${clean.map(encodeURIComponent).join('/')}`;
  }

  /** Uploads a file into the run's artifacts (e.g. the training log). Idempotent: the same path is overwritten. */
  async uploadArtifact(
    run: { artifact_uri?: string },
    path: string,
    body: string | Uint8Array,
    contentType = 'text/plain',
  ): Promise<void> {
    const url = this.artifactUrl(run.artifact_uri, path);
    let response: AxiosResponse<unknown>;
    try {
      response = await this.http.put(url, body, { baseURL: '', headers: { 'Content-Type': contentType } });
    } catch (error) {
      const reason = isAxiosError(error) ? (error.code ?? error.message) : String(error);
      throw new MlflowUnavailableError(
        `MLflow artifact upload unreachable at ${this.trackingUri}: ${reason}`,
        'mlflow-artifacts',
      );
    }
    if (response.status < 200 || response.status >= 300)
      throw errorFromResponse('mlflow-artifacts', response.status, response.data);
  }

  /** Downloads one artifact of a run as text. */
  async downloadArtifact(run: { artifact_uri?: string }, path: string): Promise<string> {
    const url = this.artifactUrl(run.artifact_uri, path);
    const response = await this.http.get(url, {
      baseURL: '',
      responseType: 'text',
      transformResponse: (d) => d,
    });
    if (response.status < 200 || response.status >= 300)
      throw errorFromResponse('mlflow-artifacts', response.status, response.data);
    return String(response.data);
  }

  // ---- registered models ----------------------------------------------------

  async getRegisteredModel(name: string): Promise<RegisteredModel | undefined> {
    try {
      return (
        await this.call(
          'GET',
          'registered-models/get',
          responses.registeredModel,
          { name },
          { idempotent: true },
        )
      ).registered_model;
    } catch (error) {
      if (error instanceof MlflowNotFoundError) return undefined;
      throw error;
    }
  }

  /** Registered models matching a filter (e.g. `tags.team = 'risk'`), all pages. */
  async searchRegisteredModels(filter?: string): Promise<RegisteredModel[]> {
    const models: RegisteredModel[] = [];
    let pageToken: string | undefined;
    do {
      const page = await this.call(
        'GET',
        'registered-models/search',
        responses.searchRegisteredModels,
        { filter, max_results: 1000, page_token: pageToken },
        { idempotent: true },
      );
      models.push(...page.registered_models);
      pageToken = page.next_page_token || undefined;
    } while (pageToken);
    return models;
  }

  async createRegisteredModel(
    name: string,
    options: { tags?: Readonly<Record<string, string>>; description?: string } = {},
  ): Promise<RegisteredModel> {
    const body = await this.call(
      'POST',
      'registered-models/create',
      responses.registeredModel,
      { name, tags: toKeyValues(options.tags), description: options.description },
      { idempotent: false },
    );
    return body.registered_model;
  }

  /** The registered model, created when missing; a concurrent creation is fine. */
  async ensureRegisteredModel(name: string): Promise<RegisteredModel> {
    const existing = await this.getRegisteredModel(name);
    if (existing) return existing;
    try {
      return await this.createRegisteredModel(name);
    } catch (error) {
      if (!(error instanceof MlflowAlreadyExistsError)) throw error;
      const raced = await this.getRegisteredModel(name);
      if (!raced) throw error;
      return raced;
    }
  }

  // ---- model versions -------------------------------------------------------

  /** Registers a new version. Not retried: a lost answer would register two. */
  async createModelVersion(input: {
    name: string;
    source: string;
    runId?: string;
    /** MLflow 3 logged model id (`m-…`); with it, source is `models:/<id>`. */
    modelId?: string;
    tags?: Readonly<Record<string, string>>;
    description?: string;
  }): Promise<ModelVersion> {
    const body = await this.call(
      'POST',
      'model-versions/create',
      responses.modelVersion,
      {
        name: input.name,
        source: input.source,
        run_id: input.runId,
        model_id: input.modelId,
        tags: toKeyValues(input.tags),
        description: input.description,
      },
      { idempotent: false },
    );
    return body.model_version;
  }

  async getModelVersion(name: string, version: string): Promise<ModelVersion> {
    return (
      await this.call(
        'GET',
        'model-versions/get',
        responses.modelVersion,
        { name, version },
        { idempotent: true },
      )
    ).model_version;
  }

  /** Polls until the version is READY; FAILED_REGISTRATION or the timeout is a MlflowRegistrationError. */
  async waitForModelVersionReady(
    name: string,
    version: string,
    {
      timeoutMs = 300_000,
      pollMs = 1000,
      onPoll,
    }: { timeoutMs?: number; pollMs?: number; onPoll?: (status: string) => void } = {},
  ): Promise<ModelVersion> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const current = await this.getModelVersion(name, version);
      onPoll?.(current.status);
      if (current.status === 'READY') return current;
      if (current.status === 'FAILED_REGISTRATION') {
        throw new MlflowRegistrationError(
          `model ${name} version ${version} failed to register: ${current.status_message ?? 'no reason given'}`,
          'model-versions/get',
        );
      }
      if (Date.now() + pollMs > deadline) {
        throw new MlflowRegistrationError(
          `model ${name} version ${version} still ${current.status} after ${timeoutMs / 1000} s`,
          'model-versions/get',
        );
      }
      await sleep(pollMs);
    }
  }

  async searchModelVersions(
    input: { filter?: string; maxResults?: number; orderBy?: readonly string[]; pageToken?: string } = {},
  ): Promise<{ versions: ModelVersion[]; nextPageToken?: string }> {
    const body = await this.call(
      'GET',
      'model-versions/search',
      responses.searchModelVersions,
      {
        filter: input.filter,
        max_results: input.maxResults ?? 200,
        order_by: input.orderBy,
        page_token: input.pageToken,
      },
      { idempotent: true },
    );
    return { versions: body.model_versions, nextPageToken: body.next_page_token || undefined };
  }

  /** Deletes a version (a candidate abandoned half-way); deleting one that is gone is not an error. */
  async deleteModelVersion(name: string, version: string): Promise<void> {
    try {
      await this.call(
        'DELETE',
        'model-versions/delete',
        responses.empty,
        { name, version },
        { idempotent: true },
      );
    } catch (error) {
      if (!(error instanceof MlflowNotFoundError)) throw error;
    }
  }

  async setModelVersionTag(name: string, version: string, key: string, value: string): Promise<void> {
    await this.call(
      'POST',
      'model-versions/set-tag',
      responses.empty,
      { name, version, key, value },
      { idempotent: true },
    );
  }

  // ---- aliases --------------------------------------------------------------

  /** Points the alias at the version, creating or moving it. */
  async setAlias(name: string, alias: string, version: string): Promise<void> {
    await this.call(
      'POST',
      'registered-models/alias',
      responses.empty,
      { name, alias, version },
      { idempotent: true },
    );
  }

  /** The version the alias points at, or undefined when the alias does not exist. */
  async getAlias(name: string, alias: string): Promise<ModelVersion | undefined> {
    try {
      return (
        await this.call(
          'GET',
          'registered-models/alias',
          responses.modelVersion,
          { name, alias },
          { idempotent: true },
        )
      ).model_version;
    } catch (error) {
      if (error instanceof MlflowNotFoundError) return undefined;
      throw error;
    }
  }

  /** Removes the alias; removing one that does not exist is not an error. */
  async deleteAlias(name: string, alias: string): Promise<void> {
    try {
      await this.call(
        'DELETE',
        'registered-models/alias',
        responses.empty,
        { name, alias },
        { idempotent: true },
      );
    } catch (error) {
      if (!(error instanceof MlflowNotFoundError)) throw error;
    }
  }
}
