// What happens after a retrain is decided: training, shadow comparison,
// promotion, notification. The workflows of issues 5 and 6 execute these;
// the schema fixes their vocabulary.

import { z } from 'zod';
import {
  condition,
  duration,
  exactlyOne,
  finite,
  maybeSecret,
  nonEmptyText,
  positiveInt,
  refineObject,
  secret,
  text,
  url,
} from './common.ts';
import { dataWindow } from './metrics.ts';
import { persistence } from './triggers.ts';

const headers = z
  .record(z.string(), maybeSecret('Header value.'))
  .meta({ description: 'Extra HTTP headers; credentials as secret references.' });

export const webhook = z
  .strictObject({
    url: url('Endpoint to POST to.'),
    secret: secret('HMAC-SHA256 key: the body is signed in the X-Ctpilot-Signature header.').optional(),
    headers: headers.optional(),
  })
  .meta({ description: 'An HTTP endpoint.' });

export const launcher = z
  .strictObject({
    mlflowProject: z
      .strictObject({
        uri: nonEmptyText('Project directory or Git URI (placeholders allowed).'),
        entryPoint: nonEmptyText('Entry point of the MLproject.').default('main'),
        version: text('Git commit, branch or tag, for Git URIs.').optional(),
        envManager: z
          .enum(['local', 'virtualenv', 'uv', 'conda'])
          .default('local')
          .meta({ description: 'mlflow run --env-manager.' }),
      })
      .meta({ description: 'Run an MLflow project on a training worker (`mlflow run … --run-id …`).' })
      .optional(),
    command: z
      .strictObject({
        run: z
          .array(nonEmptyText('Argument.'))
          .min(1, { error: 'give the program and its arguments as a list, e.g. [python, train.py]' })
          .meta({
            description:
              'Program and arguments, executed without a shell (placeholders allowed in each argument).',
          }),
        cwd: text('Working directory.').optional(),
        env: z
          .record(z.string(), maybeSecret('Value.'))
          .meta({ description: 'Extra environment variables.' })
          .optional(),
      })
      .meta({ description: 'Run a command with MLFLOW_RUN_ID and MLFLOW_TRACKING_URI set.' })
      .optional(),
    webhook: webhook
      .meta({
        description:
          'Ask an external platform (Kubeflow, Argo, SageMaker, Databricks) to train; it reports to the MLflow run.',
      })
      .optional(),
  })
  .check(exactlyOne(['mlflowProject', 'command', 'webhook'], 'a launcher'))
  .meta({ description: 'How training is executed: exactly one of mlflowProject, command, webhook.' });

export const acceptanceGate = z
  .strictObject({
    metric: nonEmptyText('Metric logged on the training run, e.g. val_precision.'),
    min: finite('Reject the model below this.').optional(),
    max: finite('Reject the model above this.').optional(),
    notWorseThan: z
      .enum(['champion'])
      .meta({ description: 'Compare with the same metric on the champion’s training run.' })
      .optional(),
    tolerance: finite('How much worse than the champion is still accepted.').min(0).default(0),
    higherIsBetter: z.boolean().default(true).meta({ description: 'Direction for notWorseThan.' }),
  })
  .check(
    refineObject((v, ctx) => {
      if (v.min === undefined && v.max === undefined && v.notWorseThan === undefined) {
        ctx.addIssue({
          code: 'custom',
          message: 'an acceptance gate needs min, max or notWorseThan',
          params: {
            code: 'missing-key',
            hint: 'e.g. { metric: val_precision, min: 0.92 } or { metric: val_recall, notWorseThan: champion, tolerance: 0.01 }',
          },
        });
      }
    }),
  )
  .meta({ description: 'An offline acceptance gate on the training run’s metrics.' });

export const training = z
  .strictObject({
    experiment: nonEmptyText('MLflow experiment for training runs (placeholders allowed).'),
    launcher,
    parameters: z
      .record(z.string(), z.union([z.string(), z.number(), z.boolean()]))
      .meta({
        description:
          'Parameters passed to training; strings may hold placeholders such as {{ trigger }} and {{ model.name }}.',
      })
      .default({}),
    timeout: duration('Training that has not finished after this long is cancelled and fails.').default('2h'),
    modelPath: nonEmptyText('Artifact path of the model in the run, registered as the new version.').default(
      'model',
    ),
    accept: z
      .array(acceptanceGate)
      .default([])
      .meta({ description: 'Offline acceptance gates; all must pass.' }),
  })
  .meta({ description: 'How a retrain is carried out.' });

export const SHADOW_METRICS_HIGHER_IS_BETTER = [
  'accuracy',
  'precision',
  'recall',
  'f1',
  'roc_auc',
  'agreement',
  'ctr',
];
export const SHADOW_METRICS_LOWER_IS_BETTER = [
  'logloss',
  'mae',
  'rmse',
  'latency_p50',
  'latency_p95',
  'latency_p99',
  'error_rate',
];

/**
 * What replay mode computes from the replayed requests (policies/shadow-verdict.ts),
 * and which of those need the labels that arrive later (`shadow.labels`).
 */
export const REPLAY_METRICS: Readonly<Record<string, { readonly needsLabels: boolean }>> = {
  accuracy: { needsLabels: true },
  precision: { needsLabels: true },
  recall: { needsLabels: true },
  f1: { needsLabels: true },
  agreement: { needsLabels: false },
  error_rate: { needsLabels: false },
  latency_p50: { needsLabels: false },
  latency_p95: { needsLabels: false },
  latency_p99: { needsLabels: false },
};

export const comparison = z
  .strictObject({
    metric: nonEmptyText(
      `Metric compared between challenger and champion. Replay mode computes ${[...SHADOW_METRICS_HIGHER_IS_BETTER, ...SHADOW_METRICS_LOWER_IS_BETTER].join(', ')}; mirror mode names the query's metric.`,
    ),
    query: nonEmptyText(
      'Mirror mode: PromQL per version, with {{ version }} standing for each model version.',
    ).optional(),
    mustBe: z.enum(['notWorse', 'better']).default('notWorse').meta({
      description:
        '`notWorse`: challenger ≥ champion − margin; `better`: challenger ≥ champion + margin (with the given confidence).',
    }),
    margin: finite('Tolerance (notWorse) or required improvement (better), in the metric’s units.')
      .min(0)
      .default(0),
    confidence: finite('Confidence level of the statistical comparison.').gt(0.5).lt(1).default(0.95),
    higherIsBetter: z
      .boolean()
      .meta({ description: 'Direction; known for built-in metrics, required for others.' })
      .optional(),
  })
  .meta({ description: 'One statistical comparison between challenger and champion.' });

export const shadow = z
  .strictObject({
    mode: z.enum(['replay', 'mirror']).meta({
      description:
        '`replay`: ctpilot replays logged requests to the challenger; `mirror`: the platform mirrors traffic and exports per-version metrics.',
    }),
    duration: duration('How long the shadow comparison collects evidence.'),
    maxDuration: duration(
      'Extended up to this long while the verdict is inconclusive; then the challenger is rejected.',
    ).optional(),
    minSamples: positiveInt('Fewer paired samples than this is inconclusive, never a pass.'),
    requests: dataWindow
      .meta({
        description:
          'Replay mode: where the logged production requests are (JSON Lines objects under an s3:// prefix, one request per line).',
      })
      .optional(),
    labels: dataWindow
      .meta({
        description:
          'Replay mode: where labels arrive (JSON Lines, one per line), joined to the requests by id. Without it, only label-free comparisons (agreement, latency, error_rate) can be decided.',
      })
      .optional(),
    fields: z
      .strictObject({
        id: nonEmptyText('Request id, shared by a request and its label.').default('id'),
        inputs: nonEmptyText('The model input sent to the champion (an object: one row).').default('inputs'),
        prediction: nonEmptyText('The champion’s logged prediction.').default('prediction'),
        version: nonEmptyText('The model version that served the request.').default('model_version'),
        latency: nonEmptyText('The champion’s latency in milliseconds.').default('latency_ms'),
        timestamp: nonEmptyText('When the request was served: unix seconds or ISO 8601.').default('ts'),
        label: nonEmptyText('The true label, in the label records.').default('label'),
      })
      .default({
        id: 'id',
        inputs: 'inputs',
        prediction: 'prediction',
        version: 'model_version',
        latency: 'latency_ms',
        timestamp: 'ts',
        label: 'label',
      })
      .meta({ description: 'Replay mode: field names in the logged records.' }),
    batchSize: positiveInt('Replay mode: requests per scoring call.').default(50),
    concurrency: positiveInt('Replay mode: scoring calls in flight at once.').default(4),
    endpoint: url(
      'Replay mode: the challenger’s scoring endpoint (MLflow scoring protocol); {{ version }} allowed.',
    ).optional(),
    compare: z.array(comparison).min(1, { error: 'give at least one comparison' }),
  })
  .meta({ description: 'Compare the challenger with the champion on production traffic before promotion.' });

export const promotion = z
  .strictObject({
    approval: z.enum(['auto', 'manual']).default('manual').meta({
      description: 'Promote automatically after a passing shadow verdict, or wait for `ctpilot approve`.',
    }),
    approvers: z
      .array(nonEmptyText('A person or group.'))
      .meta({ description: 'Who may approve (informational; enforced by the approval update).' })
      .optional(),
    approvalTimeout: duration('How long a manual approval may take.').default('72h'),
    onTimeout: z
      .enum(['reject', 'promote'])
      .default('reject')
      .meta({ description: 'What an approval timeout means.' }),
    bake: duration('After promotion, watch `rollback.when` for this long; 0s disables.').default('2h'),
    rollback: z
      .strictObject({
        when: condition('Roll back to the previous champion when this holds during the bake period.'),
        for: persistence.default(1),
      })
      .optional(),
    deployHook: webhook
      .meta({ description: 'Called (HMAC-signed) after the champion alias moves, so serving reloads.' })
      .optional(),
  })
  .meta({ description: 'How a challenger becomes champion, and how it is undone.' });

export const NOTIFY_EVENTS = ['alert', 'retrain', 'rollback', 'approval', 'promotion', 'failure'] as const;

export const receiver = z
  .strictObject({
    webhook: webhook.optional(),
    alertmanager: z
      .strictObject({
        url: url('Alertmanager base URL; alerts are POSTed to /api/v2/alerts.'),
        headers: headers.optional(),
      })
      .optional(),
    on: z
      .array(z.enum(NOTIFY_EVENTS))
      .meta({ description: 'Events sent to this receiver; default: all.' })
      .optional(),
  })
  .check(exactlyOne(['webhook', 'alertmanager'], 'a receiver'))
  .meta({
    description:
      'Where notifications go: a webhook (JSON, Alertmanager-compatible payload) or an Alertmanager.',
  });

export const modelRef = z
  .strictObject({
    name: nonEmptyText('MLflow registered model name.').optional(),
    selector: z
      .strictObject({
        matchTags: z
          .record(z.string(), z.string())
          .meta({ description: 'Registered models carrying all these tags.' })
          .optional(),
        names: z
          .array(nonEmptyText('Model name.'))
          .min(1)
          .meta({ description: 'An explicit list of registered models.' })
          .optional(),
        maxControllers: z
          .number()
          .int()
          .min(1)
          .max(10_000)
          .meta({
            description:
              'The most controllers this template may start (default 1000; above 100 `apply` warns). Raise it knowingly: every controller evaluates on its own cadence.',
          })
          .optional(),
      })
      .check(
        refineObject((v, ctx) => {
          if (v.matchTags === undefined && v.names === undefined) {
            ctx.addIssue({
              code: 'custom',
              message: 'a selector needs matchTags or names',
              params: { code: 'missing-key' },
            });
          }
        }),
      )
      .meta({
        description:
          'Fleet template: one controller per selected model; {{ model.name }} and {{ model.tags.<tag> }} vary per model.',
      })
      .optional(),
    aliases: z
      .strictObject({
        champion: nonEmptyText('Alias of the serving version.').default('champion'),
        challenger: nonEmptyText('Alias of the candidate version.').default('challenger'),
      })
      .default({ champion: 'champion', challenger: 'challenger' }),
  })
  .check(exactlyOne(['name', 'selector'], 'model'))
  .meta({
    description: 'The MLflow registered model (name), or many models (selector) for a fleet template.',
  });
