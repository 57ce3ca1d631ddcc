// The shapes of MLflow's REST answers that ctpilot relies on (MLflow 3.x,
// /api/2.0/mlflow). Unknown fields are dropped; a missing required field is a
// MlflowResponseError rather than an undefined deep inside a workflow.
import { z } from 'zod';

/** proto3 JSON may render int64 as a string; MLflow sends numbers today. */
const int64 = z.union([z.number(), z.string().regex(/^-?\d+$/)]).transform(Number);

/** Milliseconds since the epoch that a Date can hold: a time outside it is a broken answer, said here rather than as "Invalid time value" later. */
const millis = int64.refine((t) => Math.abs(t) <= 8.64e15, { error: 'not a time (milliseconds since 1970)' });

/** Metric values: numbers, or the strings MLflow uses for non-finite values. */
const metricValue = z
  .union([z.number(), z.enum(['NaN', 'Infinity', '-Infinity'])])
  .transform((v) =>
    typeof v === 'number' ? v : v === 'NaN' ? Number.NaN : v === 'Infinity' ? Infinity : -Infinity,
  );

const keyValue = z.object({ key: z.string(), value: z.string() });

export const experimentSchema = z.object({
  experiment_id: z.string(),
  name: z.string(),
  artifact_location: z.string().optional(),
  lifecycle_stage: z.string(),
  tags: z.array(keyValue).optional(),
});
export type Experiment = z.infer<typeof experimentSchema>;

export const RUN_STATUSES = ['RUNNING', 'SCHEDULED', 'FINISHED', 'FAILED', 'KILLED'] as const;
export type RunStatus = (typeof RUN_STATUSES)[number];

export const runInfoSchema = z.object({
  run_id: z.string(),
  experiment_id: z.string(),
  run_name: z.string().optional(),
  user_id: z.string().optional(),
  status: z.enum(RUN_STATUSES),
  start_time: millis.optional(),
  end_time: millis.optional(),
  artifact_uri: z.string().optional(),
  lifecycle_stage: z.string(),
});
export type RunInfo = z.infer<typeof runInfoSchema>;

export const metricSchema = z.object({
  key: z.string(),
  value: metricValue,
  timestamp: millis,
  step: int64.optional().default(0),
});
export type Metric = z.infer<typeof metricSchema>;

export const runSchema = z.object({
  info: runInfoSchema,
  data: z
    .object({
      metrics: z.array(metricSchema).default([]),
      params: z.array(keyValue).default([]),
      tags: z.array(keyValue).default([]),
    })
    .default({ metrics: [], params: [], tags: [] }),
  /** MLflow 3: models logged by the run (`mlflow.<flavor>.log_model`), by id. */
  outputs: z
    .object({
      model_outputs: z.array(z.object({ model_id: z.string(), step: int64.optional() })).default([]),
    })
    .default({ model_outputs: [] }),
});
export type Run = z.infer<typeof runSchema>;

export const MODEL_VERSION_STATUSES = ['PENDING_REGISTRATION', 'FAILED_REGISTRATION', 'READY'] as const;

export const modelVersionSchema = z.object({
  name: z.string(),
  version: z.string(),
  creation_timestamp: millis.optional(),
  last_updated_timestamp: millis.optional(),
  source: z.string().optional(),
  run_id: z.string().optional(),
  status: z.enum(MODEL_VERSION_STATUSES),
  status_message: z.string().optional(),
  description: z.string().optional(),
  tags: z.array(keyValue).default([]),
  aliases: z.array(z.string()).default([]),
});
export type ModelVersion = z.infer<typeof modelVersionSchema>;

export const registeredModelSchema = z.object({
  name: z.string(),
  creation_timestamp: millis.optional(),
  last_updated_timestamp: millis.optional(),
  description: z.string().optional(),
  tags: z.array(keyValue).default([]),
  aliases: z.array(z.object({ alias: z.string(), version: z.string() })).default([]),
});
export type RegisteredModel = z.infer<typeof registeredModelSchema>;

export const responses = {
  experiment: z.object({ experiment: experimentSchema }),
  createExperiment: z.object({ experiment_id: z.string() }),
  run: z.object({ run: runSchema }),
  updateRun: z.object({ run_info: runInfoSchema }),
  searchRuns: z.object({ runs: z.array(runSchema).default([]), next_page_token: z.string().optional() }),
  registeredModel: z.object({ registered_model: registeredModelSchema }),
  searchRegisteredModels: z.object({
    registered_models: z.array(registeredModelSchema).default([]),
    next_page_token: z.string().optional(),
  }),
  modelVersion: z.object({ model_version: modelVersionSchema }),
  searchModelVersions: z.object({
    model_versions: z.array(modelVersionSchema).default([]),
    next_page_token: z.string().optional(),
  }),
  empty: z.object({}),
} as const;

/** Tags as MLflow wants them ([{key, value}]) from a plain record. */
export function toKeyValues(
  record: Readonly<Record<string, string>> = {},
): Array<{ key: string; value: string }> {
  return Object.entries(record).map(([key, value]) => ({ key, value }));
}

/** Tags from MLflow's list form to a plain record. */
export function fromKeyValues(list: ReadonlyArray<{ key: string; value: string }>): Record<string, string> {
  return Object.fromEntries(list.map(({ key, value }) => [key, value]));
}
