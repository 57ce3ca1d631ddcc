// MLflow metrics: a metric logged on the training run of the champion or
// challenger version (found through the registry alias), or on the latest run
// of the training experiment.
import { failed, type Measurement, noData, outcomeOf } from '../../policies/measurement.ts';
import type { MlflowClient } from '../mlflow/client.ts';
import { latestMetrics } from '../training/training-runs.ts';
import type { Provider, ProviderContext, RequestOf } from './provider.ts';

async function runIdFor(
  mlflow: MlflowClient,
  request: RequestOf<'mlflow'>,
  context: ProviderContext,
): Promise<string | { none: string }> {
  if (request.run === 'latest') {
    if (!context.experiment)
      return { none: 'the policy has no training experiment to take the latest run from' };
    const experiment = await mlflow.getExperimentByName(context.experiment);
    if (!experiment) return { none: `experiment ${context.experiment} does not exist yet` };
    const { runs } = await mlflow.searchRuns({
      experimentIds: [experiment.experiment_id],
      filter: "attributes.status = 'FINISHED'",
      orderBy: ['attributes.start_time DESC'],
      maxResults: 1,
    });
    return runs[0]?.info.run_id ?? { none: `no finished run in experiment ${context.experiment}` };
  }
  const alias = context.aliases[request.run];
  const version = await mlflow.getAlias(context.model, alias);
  if (!version) return { none: `model ${context.model} has no ${alias} alias` };
  return (
    version.run_id || { none: `version ${version.version} of ${context.model} was not registered from a run` }
  );
}

export function mlflowProvider(mlflow: MlflowClient): Provider<'mlflow'> {
  return async (request, context): Promise<Measurement> => {
    const takenAt = new Date().toISOString();
    const base = { metric: request.metric, provider: 'mlflow' as const, takenAt };
    if (request.renderError) return { ...base, source: {}, outcome: failed(request.renderError) };
    try {
      const runId = await runIdFor(mlflow, request, context);
      if (typeof runId !== 'string')
        return { ...base, source: { inputs: { run: request.run } }, outcome: noData(runId.none) };
      const run = await mlflow.getRun(runId);
      const source = { inputs: { run: request.run, runId, key: request.key } };
      const value = latestMetrics(run.data.metrics)[request.key];
      if (value === undefined)
        return { ...base, source, outcome: noData(`run ${runId} has no metric ${request.key}`) };
      // MLflow stores infinities as ±MAX_VALUE: read them back as what they were.
      const restored = Math.abs(value) === Number.MAX_VALUE ? Math.sign(value) * Infinity : value;
      return {
        ...base,
        source,
        outcome: outcomeOf(restored),
        dataAt: new Date(run.info.end_time ?? run.info.start_time ?? Date.now()).toISOString(),
      };
    } catch (error) {
      return {
        ...base,
        source: { inputs: { run: request.run } },
        outcome: failed(`MLflow: ${(error as Error).message}`),
      };
    }
  };
}
