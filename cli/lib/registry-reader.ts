// The two questions `list` and `status` ask MLflow: which version the
// champion alias points at, and which experiment a run belongs to (for its
// link). Over Node's http module rather than the activities' MlflowClient,
// whose axios and response schemas cost more to load than these verbs take
// to answer; failures are classified by the same errorFromResponse.
import {
  errorFromResponse,
  MlflowNotFoundError,
  MlflowResponseError,
  MlflowUnavailableError,
} from '../../activities/mlflow/errors.ts';
import type { MlflowConfig } from '../../workers/config.ts';
import { HttpStatusError, HttpTimeoutError, requestJson } from './http-json.ts';

export interface RegistryReader {
  /** The version `alias` points at; null when the model or the alias does not exist. */
  aliasVersion(model: string, alias: string): Promise<string | null>;
  /** The experiment id of a run. */
  runExperiment(runId: string): Promise<string>;
}

export function registryReader(mlflow: MlflowConfig, timeoutMs = 5000): RegistryReader {
  const base = `${mlflow.trackingUri.replace(/\/+$/, '')}/api/2.0/mlflow`;
  const get = async <T>(endpoint: string, params: Record<string, string>): Promise<T> => {
    try {
      return await requestJson<T>({
        url: `${base}/${endpoint}?${new URLSearchParams(params)}`,
        headers: mlflow.token ? { authorization: `Bearer ${mlflow.token}` } : {},
        timeoutMs,
      });
    } catch (error) {
      if (error instanceof HttpStatusError) throw errorFromResponse(endpoint, error.status, error.body);
      const reason =
        error instanceof HttpTimeoutError
          ? `no complete answer within ${timeoutMs} ms`
          : ((error as NodeJS.ErrnoException).code ?? (error as Error).message);
      throw new MlflowUnavailableError(
        `MLflow ${endpoint} unreachable at ${mlflow.trackingUri}: ${reason}`,
        endpoint,
      );
    }
  };
  return {
    async aliasVersion(model, alias) {
      try {
        const answer = await get<{ model_version?: { version?: string } }>('registered-models/alias', {
          name: model,
          alias,
        });
        return answer.model_version?.version ?? null;
      } catch (error) {
        if (error instanceof MlflowNotFoundError) return null;
        throw error;
      }
    },
    async runExperiment(runId) {
      const answer = await get<{ run?: { info?: { experiment_id?: string } } }>('runs/get', {
        run_id: runId,
      });
      const id = answer.run?.info?.experiment_id;
      if (!id)
        throw new MlflowResponseError(`MLflow runs/get answered without the run's experiment`, 'runs/get');
      return id;
    },
  };
}
