// The provider factory (one `case` per kind of source) and the collection of
// every measurement an evaluation needs, in parallel, each bounded in time.
import type { Measurement } from '../../policies/measurement.ts';
import { failed } from '../../policies/measurement.ts';
import type { MeasurementRequest } from '../../policies/requests.ts';
import type { MlflowClient } from '../mlflow/client.ts';
import { alertProvider } from './alert.ts';
import { mlflowProvider } from './mlflow.ts';
import { type PrometheusFor, prometheusProvider } from './prometheus.ts';
import type { ProviderContext } from './provider.ts';
import {
  driftProvider,
  estimateProvider,
  qualityProvider,
  type WindowProviderDeps,
} from './window-metrics.ts';

export interface ProviderDeps extends WindowProviderDeps {
  readonly mlflow: MlflowClient;
  readonly prometheusFor: PrometheusFor;
  /** A provider that has not answered after this long yields an error measurement (default 60 s). */
  readonly timeoutMs?: number;
}

function measure(
  request: MeasurementRequest,
  context: ProviderContext,
  deps: ProviderDeps,
): Promise<Measurement> {
  switch (request.provider) {
    case 'prometheus':
      return prometheusProvider(deps.prometheusFor)(request, context);
    case 'mlflow':
      return mlflowProvider(deps.mlflow)(request, context);
    case 'alert':
      return alertProvider(request, context);
    case 'drift':
      return driftProvider(deps)(request, context);
    case 'estimate':
      return estimateProvider(deps)(request, context);
    case 'quality':
      return qualityProvider(deps)(request, context);
  }
}

/** Takes every measurement; a provider that throws or hangs becomes an error measurement, never a missing one. */
export async function collectMeasurements(
  requests: readonly MeasurementRequest[],
  context: ProviderContext,
  deps: ProviderDeps,
): Promise<Measurement[]> {
  const timeoutMs = deps.timeoutMs ?? 60_000;
  return Promise.all(
    requests.map(async (request) => {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<Measurement>((resolve) => {
        timer = setTimeout(
          () =>
            resolve({
              metric: request.metric,
              provider: request.provider,
              takenAt: new Date().toISOString(),
              source: {},
              outcome: failed(`no answer from the ${request.provider} provider within ${timeoutMs / 1000} s`),
            }),
          timeoutMs,
        );
      });
      try {
        return await Promise.race([measure(request, context, deps), timeout]);
      } catch (error) {
        return {
          metric: request.metric,
          provider: request.provider,
          takenAt: new Date().toISOString(),
          source: {},
          outcome: failed(`${request.provider} provider failed: ${(error as Error).message}`),
        };
      } finally {
        clearTimeout(timer);
      }
    }),
  );
}
