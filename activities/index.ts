// Every activity of the orchestrator worker, built from the clients the worker
// wires (Temporal samples' factory pattern: tests can wire other clients).
// The training worker's activity (runTrainingJob) is separate: it runs on its
// own task queue, where training jobs may take hours.

import type { SecretResolver } from '../policies/secrets.ts';
import { createAuditActivities } from './audit/record.ts';
import type { AuditStore } from './audit/store.ts';
import { createEvaluationActivities } from './evaluation.ts';
import type { PrometheusFor } from './metrics/prometheus.ts';
import type { MlflowClient } from './mlflow/client.ts';
import { createNotifyActivities } from './notify.ts';
import type { Pool } from './postgres/pool.ts';
import type { PrometheusClient } from './prometheus/client.ts';
import { createPromotionActivities } from './promotion.ts';
import { createRegistryActivities } from './registry.ts';
import { createRetrainWatchActivities } from './retrain-watch.ts';
import type { ObjectStore } from './s3/client.ts';
import { createShadowEvaluationActivities } from './shadow/evaluate.ts';
import { createMirrorActivities } from './shadow/mirror.ts';
import { createReplayActivities } from './shadow/replay.ts';
import { createStackCheckActivities } from './stack-check.ts';
import { createTrainingRunActivities } from './training/training-runs.ts';
import { createValidationActivities } from './validate-policy.ts';

export interface ActivityDeps {
  readonly mlflow: MlflowClient;
  readonly prometheus: PrometheusClient;
  readonly prometheusFor: PrometheusFor;
  readonly store: ObjectStore;
  readonly pool: Pool;
  readonly audit: AuditStore;
  readonly secrets: SecretResolver;
}

export function createActivities(deps: ActivityDeps) {
  return {
    ...createStackCheckActivities(deps),
    ...createEvaluationActivities(deps),
    ...createAuditActivities(deps),
    ...createNotifyActivities(),
    ...createTrainingRunActivities(deps),
    ...createRegistryActivities(deps),
    ...createReplayActivities(deps),
    ...createShadowEvaluationActivities(deps),
    ...createMirrorActivities(deps),
    ...createPromotionActivities(deps),
    ...createValidationActivities(),
    ...createRetrainWatchActivities(),
  };
}

export type Activities = ReturnType<typeof createActivities>;
export type { TrainingWorkerActivities } from './training/run-job.ts';
