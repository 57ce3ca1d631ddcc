// Metrics: where a number comes from (exactly one provider) and what it
// should be (an objective). Providers are deliberately thin descriptions; the
// activities that query Prometheus, compute drift, estimate performance, read
// MLflow or receive alerts interpret them.

import { z } from 'zod';
import { DRIFT_TEST_NAMES } from '../drift-tests.ts';
import {
  duration,
  exactlyOne,
  finite,
  maybeSecret,
  nonEmptyText,
  positiveInt,
  refineObject,
  text,
  url,
} from './common.ts';

export const PROVIDERS = ['prometheus', 'drift', 'estimate', 'quality', 'mlflow', 'alert'] as const;
export type ProviderKind = (typeof PROVIDERS)[number];

const headers = z
  .record(z.string(), maybeSecret('Header value.'))
  .meta({ description: 'Extra HTTP headers. Credentials must be secret references.' });

export const prometheusSource = z
  .strictObject({
    query: nonEmptyText(
      'PromQL instant query returning one series or a scalar. Parsed when the policy loads. Placeholders such as {{ model.name }} and {{ version }} are substituted with label values escaped for their position.',
    ).meta({
      examples: [
        'sum(rate(fraud_tp_total{model="{{ model.name }}"}[1h])) / sum(rate(fraud_flagged_total{model="{{ model.name }}"}[1h]))',
      ],
    }),
    samples: nonEmptyText(
      'PromQL query for the number of observations behind the value (labelled rows, requests), evaluated at the same instant; reported as the measurement’s samples and checked against minSamples.',
    )
      .meta({ examples: ['sum(increase(labels_total{model="{{ model.name }}"}[1h]))'] })
      .optional(),
    endpoint: url('Prometheus base URL; defaults to the worker setting (PROMETHEUS_URL).').optional(),
    headers: headers.optional(),
  })
  .meta({ description: 'Value of a PromQL query evaluated at the evaluation time.' });

/** A data window: an object in storage or a SQL query. */
export const dataWindow = z
  .strictObject({
    uri: nonEmptyText(
      'Object or file holding the data: s3://bucket/key.parquet, file:///path.csv, https://… (placeholders allowed).',
    ).optional(),
    format: z
      .enum(['parquet', 'csv', 'jsonl'])
      .meta({ description: 'File format; inferred from the extension when omitted.' })
      .optional(),
    sql: nonEmptyText(
      'SQL query returning the window. Values go in `params` as $1, $2 …, never spliced into the text: placeholders are not allowed in the SQL itself.',
    ).optional(),
    params: z
      .array(z.union([z.string(), z.number(), z.boolean()]))
      .meta({
        description:
          'Query parameters for $1, $2 …; strings may hold placeholders such as {{ window.from }}.',
      })
      .optional(),
    connection: maybeSecret('Database URL; defaults to the worker setting (DATABASE_URL).').optional(),
    lookback: duration(
      'Length of the window ending at the evaluation time; sets {{ window.from }} and {{ window.to }}.',
    ).optional(),
    timestampColumn: nonEmptyText(
      'Column holding each row’s time: with a lookback, rows outside the window are left out (and Parquet row groups skipped).',
    ).optional(),
    types: z
      .record(z.string(), z.enum(['numeric', 'categorical']))
      .meta({
        description:
          'Declared column kinds (e.g. integer codes that are categories); they win over inference.',
      })
      .optional(),
  })
  .check(exactlyOne(['uri', 'sql'], 'a data window'))
  .meta({ description: 'A window of rows: exactly one of uri or sql.' });

export const driftSource = z
  .strictObject({
    feature: nonEmptyText('Column to compare. One feature per metric, so each can be named in conditions.'),
    reference: dataWindow.meta({
      description: 'Reference data (typically the training set or a healthy period).',
    }),
    current: dataWindow.meta({ description: 'Current data (typically the last day of production inputs).' }),
    test: z.enum(DRIFT_TEST_NAMES).default('auto').meta({
      description:
        'Statistical test or distance. `auto` picks by column type and reference size (Evidently’s rules).',
    }),
    threshold: finite(
      'Drift when a p-value is ≤ threshold, or a distance is ≥ threshold. Defaults per test (p 0.05, distance 0.1).',
    ).optional(),
  })
  .meta({ description: 'Drift between a reference and a current data window.' });

export const estimateSource = z
  .strictObject({
    method: z
      .enum(['cbpe'])
      .default('cbpe')
      .meta({ description: 'Confidence-based performance estimation (NannyML’s CBPE).' }),
    metric: z
      .enum(['accuracy', 'precision', 'recall', 'f1', 'roc_auc'])
      .meta({ description: 'Performance metric to estimate.' }),
    reference: dataWindow.meta({ description: 'Reference period with labels, used to calibrate.' }),
    current: dataWindow.meta({ description: 'Current predictions (no labels needed).' }),
    columns: z
      .strictObject({
        prediction: nonEmptyText('Predicted class column.').default('prediction'),
        probability: nonEmptyText('Predicted probability column (or prefix for multiclass).').default(
          'probability',
        ),
        label: nonEmptyText('Label column in the reference window.').default('label'),
      })
      .optional(),
  })
  .meta({ description: 'Performance estimated without labels.' });

export const qualitySource = z
  .strictObject({
    columns: z
      .array(nonEmptyText('A column.'))
      .min(1, { error: 'name at least one column' })
      .meta({ description: 'Columns to check.' }),
    reference: dataWindow.meta({ description: 'What healthy data looks like (typically the training set).' }),
    current: dataWindow.meta({
      description: 'The data to check (typically the last day of production inputs).',
    }),
    checks: z
      .array(z.enum(['missing-rate', 'out-of-range', 'new-category', 'schema', 'constant']))
      .min(1)
      .meta({ description: 'Which checks count (default: all).' })
      .optional(),
    maxMissingRate: finite('Missing rate that alerts (default 0.05).').min(0).max(1).optional(),
    maxMissingIncrease: finite('Rise in missing rate over the reference that alerts (default 0.02).')
      .min(0)
      .max(1)
      .optional(),
    maxOutOfRangeRate: finite('Share of values outside the reference range that alerts (default 0.01).')
      .min(0)
      .max(1)
      .optional(),
    maxNewCategoryRate: finite(
      'Share of values in categories unseen in the reference that alerts (default 0.01).',
    )
      .min(0)
      .max(1)
      .optional(),
  })
  .meta({
    description:
      'Data-quality checks of a window against a reference (stats/quality.ts): the value is the number of findings that alert; any breaches.',
  });

export const mlflowSource = z
  .strictObject({
    metric: nonEmptyText('Metric key logged on the run, e.g. val_accuracy.'),
    run: z.enum(['champion', 'challenger', 'latest']).default('champion').meta({
      description:
        'Whose run: the training run of the champion or challenger version, or the latest run of the experiment.',
    }),
  })
  .meta({ description: 'A metric logged on an MLflow run.' });

export const alertSource = z
  .strictObject({
    source: z
      .enum(['alertmanager', 'grafana', 'whylabs', 'arize', 'fiddler', 'webhook'])
      .meta({ description: 'Who sends the alert to ctpilot’s webhook endpoint.' }),
    match: z.record(z.string(), text('Label value (placeholders allowed).')).default({}).meta({
      description:
        'Labels the inbound alert must carry, e.g. { alertname: FeatureDrift, model: "{{ model.name }}" }.',
    }),
    resolveAfter: duration(
      'An alert not repeated for this long counts as resolved (for senders that never send a resolve).',
    ).optional(),
  })
  .meta({ description: 'An alert received from a monitoring system: 1 while firing, 0 when resolved.' });

export const baseline = z
  .strictObject({
    value: finite('A fixed baseline value.').optional(),
    offset: duration('The same query evaluated this long ago (Prometheus metrics).').optional(),
    query: nonEmptyText('Another PromQL query giving the baseline (Prometheus metrics).').optional(),
  })
  .check(exactlyOne(['value', 'offset', 'query'], 'a baseline'))
  .meta({ description: 'What the value is compared against: exactly one of value, offset, query.' });

export const changeObjective = z
  .strictObject({
    baseline,
    direction: z
      .enum(['higherIsBetter', 'lowerIsBetter'])
      .default('higherIsBetter')
      .meta({ description: 'Which way is worse.' }),
    maxDrop: finite('Breach when the value is worse than the baseline by more than this absolute amount.')
      .min(0)
      .optional(),
    maxRelativeDrop: finite(
      'Breach when the value is worse than the baseline by more than this fraction of the baseline (0.05 = 5%).',
    )
      .min(0)
      .optional(),
  })
  .check(
    refineObject((v, ctx) => {
      if (v.maxDrop === undefined && v.maxRelativeDrop === undefined) {
        ctx.addIssue({
          code: 'custom',
          message: 'a change objective needs maxDrop, maxRelativeDrop or both',
          params: {
            code: 'missing-key',
            hint: 'e.g. maxDrop: 0.02 (two points) or maxRelativeDrop: 0.05 (5%)',
          },
        });
      }
    }),
  )
  .meta({ description: 'Change against a baseline (TFMA-style): absolute and/or relative tolerance.' });

export const referencePeriod = z
  .strictObject({
    lookback: duration('A period ending now: the last 30d, say.').optional(),
    from: z.iso
      .datetime({ offset: true, error: 'expected an ISO 8601 date-time such as 2025-01-01T00:00:00Z' })
      .optional(),
    to: z.iso
      .datetime({ offset: true, error: 'expected an ISO 8601 date-time such as 2025-02-01T00:00:00Z' })
      .optional(),
    step: duration('Spacing of the reference points (chunks).').default('1h'),
  })
  .check(
    refineObject((v, ctx) => {
      const fixed = v.from !== undefined || v.to !== undefined;
      if (v.lookback !== undefined && fixed) {
        ctx.addIssue({
          code: 'custom',
          message: 'give either lookback or from/to, not both',
          params: { code: 'one-of' },
        });
      } else if (v.lookback === undefined && (v.from === undefined || v.to === undefined)) {
        ctx.addIssue({
          code: 'custom',
          message: 'a reference period needs lookback, or both from and to',
          params: {
            code: 'missing-key',
            hint: 'e.g. reference: { lookback: 30d } or { from: 2025-01-01T00:00:00Z, to: 2025-02-01T00:00:00Z }',
          },
        });
      } else if (
        typeof v.from === 'string' &&
        typeof v.to === 'string' &&
        Date.parse(v.from) >= Date.parse(v.to)
      ) {
        ctx.addIssue({
          code: 'custom',
          message: '`from` must be before `to`',
          path: ['to'],
          params: { code: 'bad-value' },
        });
      }
    }),
  );

export const learnedObjective = z
  .strictObject({
    k: finite('Width of the band in standard deviations (NannyML’s default is 3).').positive().default(3),
    side: z
      .enum(['lower', 'upper', 'both'])
      .default('both')
      .meta({ description: 'Breach below mean − kσ (lower), above mean + kσ (upper), or either.' }),
    reference: referencePeriod.meta({
      description: 'Where the band is learned: the metric’s values over this period.',
    }),
    minPoints: positiveInt('Fewer reference points than this makes the measurement inconclusive.').default(
      10,
    ),
  })
  .meta({
    description: 'Thresholds learned from a reference period: mean ± k·σ of the metric’s values there.',
  });

export const detectorObjective = z
  .strictObject({
    method: z.enum(['page-hinkley', 'adwin']).default('page-hinkley').meta({
      description:
        'Streaming change detector run over this metric’s values, one per evaluation (stats/detectors/).',
    }),
    direction: z.enum(['down', 'up', 'both']).default('down').meta({
      description: 'Which change breaches: a fall (down, for performance metrics), a rise, or either.',
    }),
    threshold: finite('Page–Hinkley: the cumulative deviation that signals a change (default 0.15).')
      .positive()
      .optional(),
    delta: finite(
      'Page–Hinkley: the magnitude of change tolerated (default 0.005); ADWIN: the confidence δ (default 0.002).',
    )
      .positive()
      .optional(),
    minInstances: positiveInt('Values seen before the detector may signal (default 10).').optional(),
  })
  .meta({
    description:
      'A change in the metric’s stream of values, detected online. Defaults suit metrics in [0, 1] evaluated every few minutes or hours; the detector’s state is carried from evaluation to evaluation.',
  });

export const objective = z
  .strictObject({
    min: finite('Breach when the value is below this.').optional(),
    max: finite('Breach when the value is above this.').optional(),
    change: changeObjective.optional(),
    learned: learnedObjective.optional(),
    detector: detectorObjective.optional(),
  })
  .check(
    refineObject((v, ctx) => {
      const styles = [
        v.min !== undefined || v.max !== undefined ? 'min/max' : '',
        v.change ? 'change' : '',
        v.learned ? 'learned' : '',
        v.detector ? 'detector' : '',
      ].filter(Boolean);
      if (styles.length !== 1) {
        ctx.addIssue({
          code: 'custom',
          message:
            styles.length === 0
              ? 'an objective needs min and/or max, change, learned, or detector'
              : `an objective has one style, got ${styles.join(' and ')}`,
          params: {
            code: 'one-of',
            hint: 'e.g. { min: 0.9 }, { change: { baseline: { offset: 7d }, maxDrop: 0.02 } }, { learned: { reference: { lookback: 30d } } }',
          },
        });
      }
      if (typeof v.min === 'number' && typeof v.max === 'number' && v.min > v.max) {
        ctx.addIssue({
          code: 'custom',
          message: `min (${v.min}) is above max (${v.max}): every value would breach`,
          path: ['min'],
          params: { code: 'bad-value' },
        });
      }
    }),
  )
  .meta({
    description:
      'What the value should be. Exactly one style: min/max, change against a baseline, learned from a reference period, or a change detector over the metric’s stream.',
  });

export const noDataPolicy = z.enum(['inconclusive', 'breach', 'ok']).meta({
  description:
    'How a measurement without usable data is classified (empty result, NaN/Inf, stale data). `inconclusive` (default) never acts; `breach` opts in to treating missing data as a breach.',
});

export const errorPolicy = z.enum(['error', 'breach']).meta({
  description:
    'How a failed measurement is classified. `error` (default) never acts; `breach` opts in to treating failures as breaches.',
});

export const metric = z
  .strictObject({
    description: text('What this metric means, for explanations.').optional(),
    prometheus: prometheusSource.optional(),
    drift: driftSource.optional(),
    estimate: estimateSource.optional(),
    quality: qualitySource.optional(),
    mlflow: mlflowSource.optional(),
    alert: alertSource.optional(),
    objective: objective.optional(),
    onNoData: noDataPolicy.optional(),
    onError: errorPolicy.optional(),
    minSamples: positiveInt(
      'Measurements backed by fewer samples (e.g. labelled rows) are inconclusive.',
    ).optional(),
    maxAge: duration(
      'Measurements whose data is older than this are treated as no data (label delay, stalled pipelines).',
    ).optional(),
    inconclusiveLimit: z
      .number({ error: 'expected a whole number' })
      .int()
      .min(0)
      .meta({
        description:
          'Alert after this many consecutive evaluations without a usable measurement; 0 disables. Overrides evaluate.inconclusiveLimit.',
      })
      .optional(),
  })
  .check(exactlyOne([...PROVIDERS], 'a metric'))
  .meta({
    description:
      'One measured quantity: exactly one provider (prometheus, drift, estimate, quality, mlflow, alert) and an optional objective.',
  });

export type Metric = z.output<typeof metric>;

/** The provider a metric uses (the schema guarantees exactly one). */
export function providerOf(m: Metric): ProviderKind {
  for (const p of PROVIDERS) if (m[p] !== undefined) return p;
  throw new Error('metric without provider (schema bypassed)');
}
