// The `diagnosis` section: the staged triage ctpilot runs before it acts on a
// breach (stats/diagnosis/), and how each cause it finds is routed. Every
// stage works with defaults; any threshold may be overridden.

import { z } from 'zod';
import {
  duration,
  exactlyOne,
  maybeSecret,
  metricName,
  nonEmptyText,
  positiveInt,
  receiverName,
  url,
} from './common.ts';
import { dataWindow } from './metrics.ts';

const share = (description: string) =>
  z
    .number({ error: 'expected a number between 0 and 1' })
    .min(0, { error: 'must be between 0 and 1' })
    .max(1, { error: 'must be between 0 and 1' })
    .meta({ description });

const probability = (description: string) =>
  z
    .number({ error: 'expected a number between 0 and 1' })
    .gt(0, { error: 'must be between 0 and 1 (exclusive)' })
    .lt(1, { error: 'must be between 0 and 1 (exclusive)' })
    .meta({ description });

export const diagnosisColumns = z
  .strictObject({
    features: z
      .array(nonEmptyText('A feature column.'))
      .min(1, { error: 'name at least one feature' })
      .meta({ description: 'Feature columns to check for quality problems and drift.' }),
    score: nonEmptyText('The model’s score: P(class 1), in [0, 1].').default('score'),
    prediction: nonEmptyText('The predicted class (0/1); default: score ≥ threshold.').optional(),
    label: nonEmptyText('The true class (0/1); missing on rows not labelled yet.').default('label'),
    segment: nonEmptyText('A column to break the performance gap down by.').optional(),
    labelLag: nonEmptyText(
      'Seconds between each prediction and its label (for the freshness check).',
    ).optional(),
  })
  .meta({ description: 'Which column plays which part.' });

const thresholds = z
  .strictObject({
    validity: z
      .strictObject({
        minLabelled: positiveInt('Fewest labelled current rows behind the performance metric.').optional(),
        minLabelShare: share('Smallest share of current rows labelled.').optional(),
        maxLabelLag: z
          .number({ error: 'expected seconds' })
          .positive()
          .meta({ description: 'Largest median label lag in seconds (needs columns.labelLag).' })
          .optional(),
      })
      .optional(),
    quality: z
      .strictObject({
        maxMissingRate: share('Missing rate that alerts.').optional(),
        maxMissingIncrease: share('Rise in missing rate over the reference that alerts.').optional(),
        maxOutOfRangeRate: share('Share of values outside the reference range that alerts.').optional(),
        maxNewCategoryRate: share(
          'Share of values in categories unseen in the reference that alerts.',
        ).optional(),
      })
      .optional(),
    covariate: z
      .strictObject({
        score: z.boolean().meta({ description: 'Also test the score distribution.' }).optional(),
        multivariate: z.boolean().meta({ description: 'Also run MMD over the features jointly.' }).optional(),
      })
      .optional(),
    labelShift: z
      .strictObject({ alpha: probability('Significance of the label-distribution test.').optional() })
      .optional(),
    concept: z
      .strictObject({
        metric: z.enum(['accuracy', 'precision', 'recall', 'f1', 'roc_auc']).optional(),
        confidence: probability('Confidence that realized performance is below the estimate.').optional(),
        minGap: share('Smallest gap, estimated − realized, that counts.').optional(),
      })
      .optional(),
  })
  .meta({ description: 'Overrides of the stages’ defaults.' });

const route = z
  .strictObject({
    action: z.enum(['retrain', 'alert', 'hold']).optional(),
    receivers: z.array(receiverName).meta({ description: 'Receivers (from notify) to tell.' }).optional(),
  })
  .meta({ description: 'What to do when this is the primary cause.' });

export const diagnosisEvents = z
  .strictObject({
    window: dataWindow
      .meta({
        description:
          'A file, folder or SQL query of annotations: one row per event with columns `at` (a time) and `text`; rows in the lookback are listed.',
      })
      .optional(),
    grafana: z
      .strictObject({
        url: url('Grafana’s base URL (its annotations API is read: /api/annotations).'),
        headers: z
          .record(z.string(), maybeSecret('Header value.'))
          .meta({
            description:
              // biome-ignore lint/suspicious/noTemplateCurlyInString: a secret reference, not a JS template
              'HTTP headers, e.g. Authorization: "Bearer ${env:GRAFANA_TOKEN}" (a service-account token, as a secret reference).',
          })
          .optional(),
        tags: z
          .array(nonEmptyText('A tag.'))
          .meta({ description: 'Only annotations with these tags.' })
          .optional(),
      })
      .optional(),
    lookback: duration('How far back from the diagnosis events are listed.').default('14d'),
  })
  .check(exactlyOne(['window', 'grafana'], 'an events source'))
  .meta({
    description:
      'External events (campaigns, releases, outages) listed in the diagnosis beside what it found. Context only: never a cause by itself.',
  });

export const diagnosis = z
  .strictObject({
    reference: dataWindow.meta({ description: 'Labelled reference window (typically the training set).' }),
    current: dataWindow.meta({ description: 'Current window; labels may be partly missing.' }),
    columns: diagnosisColumns,
    threshold: probability('Decision threshold on the score.').default(0.5),
    kpi: metricName.optional().meta({
      description:
        'The business KPI: a metric of this policy whose objective (e.g. a change objective) says what a significant drop is. Concept drift retrains only when it has dropped.',
    }),
    thresholds: thresholds.optional(),
    events: diagnosisEvents.optional(),
    routes: z
      .strictObject({
        evaluation: route.optional(),
        dataQuality: route.optional(),
        covariateDrift: route.optional(),
        labelShift: route.optional(),
        conceptDrift: route.optional(),
        unexplained: route.optional(),
      })
      .meta({
        description: 'Cause → action; defaults: retrain on concept drift the KPI confirms, alert otherwise.',
      })
      .optional(),
    samples: z
      .strictObject({
        to: nonEmptyText('Where to write the hard cases: s3://bucket/prefix/.'),
        size: positiveInt('Rows per kind of case.').default(50),
      })
      .meta({
        description: 'A sample of hard cases for manual review, written when a diagnosis alerts or retrains.',
      })
      .optional(),
  })
  .meta({
    description:
      'Diagnose before acting: evaluation validity, data quality, covariate drift, label shift, concept drift, business impact. Retrains only on confirmed concept drift.',
  });

export type DiagnosisSpec = z.output<typeof diagnosis>;
